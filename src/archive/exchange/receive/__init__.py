"""The receiving path, the same for every route: a package or a status message in, a receipt
or a refusal out.

A package, cheapest check first: its size, its XML parsed safely and its envelope read; its sender
known here; its signature present and of the accepted form; its attachments' base64 form and zip
directories (nothing inflated, only a zip's directory decoded); its XML signature verified against
the sender's registered organisation certificates, and only the signed subtree read from there on;
its addressee hosted here; only then its attachments inflated, streaming, under caps on size and
ratio per attachment and per package (``limits_of``). Refused when no
body here is named as receiver (wrong address), for Tối mật / Tuyệt mật, or when its DocumentId
was taken in before with other bytes; the same bytes again get the first receipt and create
nothing. Otherwise it becomes an incoming document in the receiver's inbox (đã đến, 01)
(the PDF signatures checked as on any intake) and status 01 goes back to the sender.

From the world outside (official email, the national axis: ``TOLERANT_ROUTES``), what is merely
non-standard is not refused (issue 16): a package whose sender is not in the directory or has no
registered certificate, or whose envelope signature is missing or of a form we do not verify (the
SDK's own ``Signature`` element), is read as it came and taken in as đã đến with its deviations
(``edxml.deviations``) for the clerk's origin check (*Cần kiểm tra nguồn gốc*): reference only
until accepted, status 02 back by the way it came when refused. What is unsafe (limits, DOCTYPE,
not XML), not ours (no body here), or proven false (a signature the sender's registered
certificate does not verify) is refused outright, and from email and the axis the refusal goes
back as a signed 02 (``queue_refusal``) naming the refused bytes' SHA-256. A DocumentId belongs
to its sender: what was taken in is known by (receiver, sender, DocumentId).

A status message: verified against the reporting body's certificates and applied to that
receiver's delivery row on the sender's side; a status for a document never sent to that body
is refused. A refusal after the sender's signature verified, for a body here, is journaled in
full (``exchange`` chain: the code, the reason, the package hash, never content); any other is
counted per hour, source and reason (``refused``), only the first of them journaled, so that
traffic nobody vouched for cannot grow the database with its volume.
"""
import hashlib

from pyramid.threadlocal import manager

from ... import failpoints, refused
from ...db import flush_refused, run_apart
from ..channels import Refused
from .common import ACTOR, CHAIN, System, from_package_error, limits_of, vouched
from .origin import (MAY_WAIT_FOR_CLERK, TOLERANT_ROUTES, Unlisted, org_certificates, origin_deviation,
                     route_back, verified)
from .packages import identity, receive_package
from .refusals import REASON_CHARS, carry_refusal, journal_refusal, queue_refusal, refusal, said_by
from .statuses import receive_status, signed_part

__all__ = ['ACTOR', 'CHAIN', 'MAY_WAIT_FOR_CLERK', 'REASON_CHARS', 'TOLERANT_ROUTES', 'Refused', 'System',
           'Unlisted', 'accept', 'carry_refusal', 'from_package_error', 'identity', 'journal_refusal',
           'limits_of', 'org_certificates', 'origin_deviation', 'queue_refusal', 'receive_package',
           'receive_status', 'refusal', 'route_back', 'said_by', 'signed_part', 'verified', 'vouched']


def accept(registry, data, route, kind='package', source=None):
    """The receiving path as every channel calls it: ``data`` (a package, or a status with
    ``kind='status'``) taken in its own transaction; a refusal recorded in another one, so that
    nothing of a refused package stays, and raised again for the channel to answer.

    ``source``: who sent it, as the channel knows (the endpoint: the client's address; else the
    route). A refusal nobody vouched for is counted per hour, source and reason (``refused``),
    its first journaled; a vouched one is journaled in full (``journal_refusal``)."""

    settings = registry.archive_settings
    data = bytes(data)

    def work(root):
        if kind == 'status':
            return receive_status(root, data, settings, route)
        receipt = receive_package(root, data, settings, route)
        failpoints.hit('receive.before_commit')
        return receipt
    manager.push({'registry': registry, 'request': None})
    try:
        return run_apart(registry, work)
    except Refused as exc:
        who = source or route
        said = said_by(data, settings)
        for name in ('sender', 'document_id'):          # the journal names who the package says sent it
            if said.get(name):
                exc.facts.setdefault(name, said[name])
        if exc.vouched or not refused.repeat(registry, who, exc.code):
            sha256 = hashlib.sha256(data).hexdigest()

            def record(root, exc=exc):
                journal_refusal(registry, root, exc, sha256, route, kind, who)
                if route in TOLERANT_ROUTES and kind == 'package':
                    queue_refusal(root, exc, said, route, sha256)
            run_apart(registry, record)
        flush_refused(registry)
        raise
    finally:
        manager.pop()

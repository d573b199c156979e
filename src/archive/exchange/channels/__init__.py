"""The channels a delivery or a status message leaves by, and packages come in by (Art. 7).

Each route a body's directory entry names (``hosted`` aside, which the worker hands straight to
the receiving path in one transaction) has a module here with

* ``carry(registry, address, data, kind, meta)``: send ``data`` (the bytes ``build`` made, or the
  signed package / status) to ``address``, outside any transaction. Returns a dict: a signed
  receipt (``{"receipt", "signature"}``, checked by the worker before it counts as proof) or what
  the channel can say of the hand-over (``{"handed_over": <channel>, ...}``; status 01 comes later
  through intake). Raises ``Refused`` (final: the other side said no, with its code) or
  ``Unreachable`` (try again later, with back-off);
* optionally ``build(root, delivery, settings)``: the bytes to keep on the delivery and send, when
  they are not the signed package itself (a person's mailbox gets a PDF and a summary);
* optionally ``poll(registry)``: take in what arrived (a mailbox, an axis folder) through
  ``receive.accept``, the one receiving path; returns how many items it handled.

``kind`` is ``'package'`` or ``'status'``; ``meta`` names the sender, receiver, DocumentId and the
delivery (for file names, subjects and logs).
"""
import importlib
import logging

from ..edxml import sdk_status_header
from ..safexml import PackageError, parse_xml

log = logging.getLogger(__name__)

# route -> module (under this package) carrying it
CARRIERS = {'instance': 'instance', 'email': 'email', 'mailbox': 'mailbox', 'axis': 'axis'}
STATUS_ROUTES = ('hosted', 'instance', 'email', 'axis')     # routes a status message can go back by
INTAKES = ('email', 'axis')


class Unreachable(Exception):
    """No usable answer: the delivery is tried again later."""


class Refused(Exception):
    """A package or status refused, either way, with its code and reason (Vietnamese, English):

    * by the receiving path here (``receive``, whatever the route it came by); ``vouched``: refused
      after its sender's signature verified, for a body here (journaled in full; other refusals
      are counted in the bounded record, ``archive.refused``); ``facts`` go to the journal;
    * by the other side, for what a channel carried: final — for another instance, only when
      ``answer`` holds the refusal signed by it (checked by the worker).
    """

    def __init__(self, code, message_vi, message_en='', vouched=False, answer=None, **facts):
        super().__init__(f'{code}: {message_vi}')
        self.code, self.message_vi, self.message_en, self.facts = code, message_vi, message_en, facts
        self.vouched = vouched
        self.answer = answer


def module(route):
    return importlib.import_module(f'{__name__}.{CARRIERS[route]}')


def carried(route):
    return route in CARRIERS


def poll_all(registry):
    """Run every intake once; how many items they handled. A failing intake is logged, the
    others still run."""
    handled = 0
    for name in INTAKES:
        try:
            handled += importlib.import_module(f'{__name__}.{name}').poll(registry) or 0
        except Exception:
            log.exception('intake %s failed', name)
    return handled


def kind_of(data):
    """``'status'`` or ``'package'`` for bytes that came in by a channel that does not say which
    (a mail attachment, a file in the axis folder): a Status element as root or in a SOAP header
    is a status; anything else goes to the package decoder, which names what is wrong with it."""
    from lxml import etree
    try:
        root = parse_xml(bytes(data))
    except PackageError:
        return 'package'
    name = etree.QName(root).localname
    if name == 'Status' or sdk_status_header(root) is not None:     # ours, or the SDK's form
        return 'status'
    if name == 'Envelope':
        if next(root.iter('{*}Status'), None) is not None:
            return 'status'
    return 'package'

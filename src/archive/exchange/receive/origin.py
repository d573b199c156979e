"""Who a package or a status is from: the sender's registered organisation certificates, its
envelope signature verified against them, what an unproven origin becomes on the routes from the
world outside (issue 16), and the way back to a sender for a status."""
from lxml import etree

from ...signing.keys import load_certificate
from .. import edxml, xmldsig
from ..channels import Refused
from ..safexml import PackageError
from .common import from_package_error


def org_certificates(root, body_code):
    """The body's registered organisation signing certificates (past ones too), as x509 objects."""
    body = root['bodies'].get(body_code) if body_code else None
    if body is None:
        return None
    return [load_certificate(r.pem) for r in body.certificates.values() if r.kind == 'org-sign']


def candidates_of(root, sender_code):
    """The sender's registered organisation certificates, or ``Refused`` (unknown, or none)."""
    candidates = org_certificates(root, sender_code)
    if candidates is None:
        raise Refused('sender_unknown', f'Cơ quan gửi {sender_code} không có trong danh bạ',
                      f'the sending body {sender_code} is not in the directory')
    if not candidates:
        raise Refused('sender_has_no_certificate',
                      f'Cơ quan gửi {sender_code} chưa đăng ký chứng thư ký số: không kiểm tra được chữ ký',
                      f'the sending body {sender_code} has no signing certificate registered')
    return candidates


def verified(root, data, sender_code, limits):
    candidates = candidates_of(root, sender_code)
    try:
        return xmldsig.verify(data, candidates, limits)
    except PackageError as exc:
        raise from_package_error(exc) from None


def xml_bytes(element):
    return etree.tostring(element, xml_declaration=True, encoding='utf-8')


# Routes from the world outside this system (the national axis, official email): what is merely
# non-standard there is taken in for the clerk's origin check (issue 16); between instances of this
# system (the HTTP endpoint) and inside one, every package must carry a verified envelope signature.
TOLERANT_ROUTES = ('email', 'axis')
MAY_WAIT_FOR_CLERK = ('sender_unknown', 'sender_has_no_certificate', 'unsigned', 'malformed_signature',
                      'wrong_reference')


def origin_deviation(exc, parsed):
    """The deviation a signature or sender problem becomes when the clerk checks the origin."""
    if exc.code == 'unsigned' and edxml.nonstandard_signature(parsed) is not None:
        return edxml.Deviation('signature_nonstandard', 'edXML:Signature')
    return edxml.Deviation(exc.code, str(getattr(exc, 'detail', '') or exc.facts.get('sender', ''))
                           if isinstance(exc, Refused) else str(getattr(exc, 'detail', '') or ''))


class Unlisted:
    """A sender not in the directory, as the route back to it: the way its package came (the
    axis knows it by its code; by email, the address its package gives)."""

    def __init__(self, code, route, address):
        self.code, self.route, self.address = code, route, address


def route_back(root, exchange):
    """The sender of a document taken in (``doc.exchange``) as a status goes back to it: its
    directory entry, else (issue 16) the route its package came by, or None."""
    sender = root['bodies'].get(exchange['sender'])
    if sender is not None:
        return sender
    if exchange.get('route') == 'axis':
        return Unlisted(exchange['sender'], 'axis', exchange['sender'])
    if exchange.get('route') == 'email' and exchange.get('sender_email'):
        return Unlisted(exchange['sender'], 'email', exchange['sender_email'])
    return None

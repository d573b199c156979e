"""A status message in: verified against the reporting body's certificates (or, from the world
outside, applied marked unverified) and recorded on the sender's delivery row."""
import copy
import hashlib
import re

from lxml import etree

from ... import audit, clock
from .. import deliveries, edxml, xmldsig
from ..channels import Refused
from ..safexml import PackageError, parse_xml
from .common import ACTOR, from_package_error, limits_of
from .origin import MAY_WAIT_FOR_CLERK, TOLERANT_ROUTES, origin_deviation, verified, xml_bytes


def signed_part(data, limits):
    """What the receiving path should verify: a SOAP envelope whose ``Status`` carries its own
    signature gives that ``Status`` alone (as it was signed); anything else is returned as is."""
    try:
        root = parse_xml(data, limits)
    except PackageError:
        return data
    if etree.QName(root) != etree.QName(edxml.SOAP_ENV, 'Envelope'):
        return data
    signed = [el for el in root.iter(f'{{{edxml.NS}}}Status')
              if next(el.iter(f'{{{xmldsig.DS}}}Signature'), None) is not None]
    if len(signed) != 1:
        return data
    # a deep copy keeps the element's own namespace declarations, not the envelope's
    return etree.tostring(copy.deepcopy(signed[0]), xml_declaration=True, encoding='utf-8')


_REFUSED_SHA = re.compile(r'SHA-256 ([0-9a-f]{64})')


def _refusal_of_other_bytes(status, delivery):
    """The SHA-256 a refusal at intake names (``queue_refusal``) when it is not that of the bytes
    this delivery handed over: a forged package in our name was refused, not ours."""
    named = _REFUSED_SHA.search(status.description or '') if status.status_code == '02' else None
    sent = (delivery.receipt or {}).get('sha256') if isinstance(delivery.receipt, dict) else None
    return named[1] if named and sent and named[1] != sent else None


def receive_status(root, data, settings, route='hosted'):
    """Apply a status message to the sender's delivery row; return what was recorded, with the
    DocumentId, the reporting body and the sender it is about (what a receipt names)."""
    limits = limits_of(settings)
    data = signed_part(bytes(data), limits)       # the government SDK's SOAP envelope, unwrapped
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        first = edxml.decode_status(data, limits, organ_id_pattern=settings.organ_id_pattern)
    except PackageError as exc:
        raise from_package_error(exc) from None
    reporter = first.status.from_organ.organ_id
    origin = None
    try:
        checked = verified(root, data, reporter, limits)
    except Refused as exc:
        if route not in TOLERANT_ROUTES or exc.code not in MAY_WAIT_FOR_CLERK:
            raise
        # the SDK's status: unsigned, or its own Signature element; applied, marked unverified
        parsed = parse_xml(data, limits)
        origin = origin_deviation(exc, parsed).code
        status = first.status
    else:
        try:
            status, _deviations = edxml.decode_status(xml_bytes(checked.element), limits,
                                                      organ_id_pattern=settings.organ_id_pattern)
        except PackageError as exc:
            raise from_package_error(exc) from None
    document_id = status.response_for.document_id
    delivery = deliveries.find(root, document_id, reporter)
    if delivery is None:
        raise Refused('status_unknown_document',
                      f'Thông điệp trạng thái {status.status_code} của cơ quan {reporter} cho văn bản {document_id}: '
                      'không ai ở đây chờ trạng thái này (văn bản chưa từng được gửi cho cơ quan đó)',
                      f'a status nobody here is waiting for: document {document_id} was never sent to {reporter}',
                      vouched=origin is None, sender=reporter, document_id=document_id)
    entry = {'code': status.status_code, 'at': clock.iso(status.timestamp or clock.now()),
             'description': status.description, 'staff': status.staff.staff, 'sha256': sha256}
    if origin:
        entry['unverified'] = origin        # shown beside the status: its origin is not proven
    applied = dict(entry, document_id=document_id, reporter=reporter, sender=delivery.sender)
    if any(s.get('sha256') == sha256 for s in delivery.statuses):
        return applied                                 # the same message twice: once is enough
    delivery.statuses.append(entry)
    refused_other = _refusal_of_other_bytes(status, delivery)
    if refused_other:       # someone else's package in our name was refused: ours stands
        entry['other_package'] = refused_other
    elif status.status_code == '02':
        delivery.state = deliveries.DECLINED
    doc = root['bodies'][delivery.sender].documents.get(delivery.document)
    if doc is not None:
        audit.append(root, doc.chain_id, 'status_received', ACTOR, receiver=reporter,
                     code=status.status_code, at=entry['at'], description=status.description,
                     staff=status.staff.staff)
    return applied

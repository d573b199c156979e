"""Writing edXML: a package or a status as an lxml element, validated against ``schemas/edxml.xsd``
and serialised. We write strictly: every envelope element ``edXML:``-prefixed."""
import base64
import io
import re
import threading
import zipfile

from lxml import etree

from ...clock import now
from ..safexml import PackageError
from .model import EXT, NS, REASON_REQUIRED, RECALL, SCHEMA, XLINK, _q
from .values import _date, _timestamp, document_id


def _sub(parent, name, text=None, ns=NS):
    el = etree.SubElement(parent, _q(name, ns))
    if text is not None:
        el.text = str(text)
    return el


def _opt(parent, name, value):
    """Optional elements are omitted when empty: the decoder flags empty ones in others' packages."""
    if value is not None and value != '':
        _sub(parent, name, value)


def _organ(parent, name, organ):
    el = _sub(parent, name)
    _sub(el, 'OrganId', organ.organ_id)
    _opt(el, 'OrganizationInCharge', organ.organization_in_charge)
    _sub(el, 'OrganName', organ.organ_name)
    for tag, value in (('OrganAdd', organ.organ_add), ('Email', organ.email),
                       ('Telephone', organ.telephone), ('Fax', organ.fax), ('Website', organ.website)):
        _opt(el, tag, value)


def _staff(parent, staff, order):
    values = {'Department': staff.department, 'Staff': staff.staff, 'Email': staff.email, 'Mobile': staff.mobile}
    if any(values.values()):
        el = _sub(parent, 'StaffInfo')
        for tag in order:
            _opt(el, tag, values[tag])


def _response_for(parent, rf):
    el = _sub(parent, 'ResponseFor')
    _sub(el, 'OrganId', rf.organ_id)
    _sub(el, 'Code', f'{rf.code_number}/{rf.code_notation}')
    if rf.promulgation_date is not None:
        _sub(el, 'PromulgationDate', _date(rf.promulgation_date))
    _sub(el, 'DocumentId', rf.document_id)


def _entry_name(attachment, cid):
    name = re.sub(r'[/\\:\x00]', '_', attachment.name)
    return name if name not in ('', '.', '..') else f'attachment-{cid}'


def _zip_one(name, data):
    """Deflate at level 1: signed PDFs are mostly compressed already, and level 6 cost ~7 ms a
    200 KB package for a few per cent."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))   # fixed: the same file zips the same
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, data, compresslevel=1)
    return out.getvalue()


def encode_package(pkg):
    """The package as an lxml element (not yet validated: a signature may still be added)."""
    if not pkg.attachments and pkg.business.doc_type != RECALL:
        raise PackageError('no_document')          # only a recall travels without the document
    if pkg.business.doc_type == RECALL and not pkg.business.reason:
        raise PackageError('reason_required', 'a recall states its reason')
    root = etree.Element(_q('edXML'), nsmap={'edXML': NS, 'arc': EXT, 'xlink': XLINK})
    envelope = _sub(root, 'edXMLEnvelope')
    header = _sub(envelope, 'edXMLHeader')

    mh = _sub(header, 'MessageHeader')
    _organ(mh, 'From', pkg.from_organ)
    for organ in pkg.to:
        _organ(mh, 'To', organ)
    code = _sub(mh, 'Code')
    _sub(code, 'CodeNumber', pkg.code_number)
    _sub(code, 'CodeNotation', pkg.code_notation)
    info = _sub(mh, 'PromulgationInfo')
    _opt(info, 'Place', pkg.promulgation_place)
    _sub(info, 'PromulgationDate', _date(pkg.promulgation_date))
    doc_type = _sub(mh, 'DocumentType')
    _sub(doc_type, 'Type', pkg.document_type.code)
    _opt(doc_type, 'TypeDetail', pkg.document_type.detail)
    _sub(doc_type, 'TypeName', pkg.document_type.name)
    _sub(mh, 'Subject', pkg.subject)
    _opt(mh, 'Content', pkg.content)
    signer = _sub(mh, 'SignerInfo')
    _opt(signer, 'Competence', pkg.signer_info.competence)
    _opt(signer, 'Position', pkg.signer_info.position)
    _sub(signer, 'FullName', pkg.signer_info.full_name)
    _opt(mh, 'DueDate', _date(pkg.due_date))
    if pkg.to_places:
        places = _sub(mh, 'ToPlaces')
        for place in pkg.to_places:
            _sub(places, 'Place', place)
    other = pkg.other_info
    el = _sub(mh, 'OtherInfo')
    _sub(el, 'Priority', other.priority)
    _opt(el, 'SphereOfPromulgation', other.sphere_of_promulgation)
    _opt(el, 'TyperNotation', other.typer_notation)
    _opt(el, 'PromulgationAmount', other.promulgation_amount)
    _opt(el, 'PageAmount', other.page_amount)
    _opt(el, 'Direction', other.direction)
    if other.appendixes:
        appendixes = _sub(el, 'Appendixes')
        for appendix in other.appendixes:
            _sub(appendixes, 'Appendix', appendix)
    for rf in pkg.response_for:
        _response_for(mh, rf)
    _opt(mh, 'SteeringType', pkg.steering_type)
    _sub(mh, 'DocumentId', pkg.document_id or document_id(
        pkg.from_organ.organ_id, pkg.promulgation_date, pkg.code_number, pkg.code_notation))

    traces = _sub(header, 'TraceHeaderList')
    for trace in pkg.traces:
        el = _sub(traces, 'TraceHeader')
        _sub(el, 'OrganId', trace.organ_id)
        _sub(el, 'Timestamp', _timestamp(trace.timestamp))
    business = pkg.business
    el = _sub(traces, 'Bussiness')             # sic: the standard's spelling
    _sub(el, 'BussinessDocType', business.doc_type)
    _opt(el, 'BussinessDocReason', business.reason)
    _opt(el, 'DocumentId', business.document_id)
    _sub(el, 'Paper', business.paper)
    _staff(el, business.staff, ('Department', 'Staff', 'Email', 'Mobile'))
    if business.replacement_info:
        replaced = _sub(el, 'ReplacementInfoList')
        for doc_id in business.replacement_info:
            _sub(_sub(replaced, 'ReplacementInfo'), 'DocumentId', doc_id)

    if pkg.classification:
        _sub(header, 'Classification', pkg.classification, ns=EXT)
    if pkg.encryption is not None:
        el = _sub(header, 'Encryption', base64.b64encode(pkg.encryption.wrapped_key).decode('ascii'), ns=EXT)
        el.set('Algorithm', pkg.encryption.algorithm)
        el.set('Recipient', pkg.encryption.recipient)

    manifest = _sub(_sub(envelope, 'edXMLBody'), 'edXMLManifest')
    encoded = _sub(root, 'AttachmentEncoded')
    for number, attachment in enumerate(pkg.attachments, 1):
        cid = attachment.content_id or str(number)
        ref = _sub(manifest, 'Reference')
        ref.set(_q('href', XLINK), f'cid:{cid}')
        ref.set(_q('type', XLINK), 'simple')
        _sub(ref, 'ContentId', f'cid:{cid}')
        _sub(ref, 'ContentType', attachment.content_type)
        _opt(ref, 'Description', attachment.description)
        _sub(ref, 'AttachmentName', attachment.name)
        el = _sub(encoded, 'Attachment')
        _sub(el, 'ContentId', cid)
        _sub(el, 'AttachmentName', attachment.name)
        _opt(el, 'Description', attachment.description)
        _sub(el, 'ContentType', attachment.content_type)
        zipped = _zip_one(_entry_name(attachment, cid), attachment.data)
        _sub(el, 'ContentTransferEncoded', base64.b64encode(zipped).decode('ascii'))
    return root


def encode_status(status):
    root = etree.Element(_q('Status'), nsmap={'edXML': NS})
    _response_for(root, status.response_for)
    _organ(root, 'From', status.from_organ)
    _sub(root, 'StatusCode', status.status_code)
    _opt(root, 'Description', status.description)
    _sub(root, 'Timestamp', _timestamp(status.timestamp or now()))      # a status is written when it happens
    _staff(root, status.staff, ('Department', 'Staff', 'Mobile', 'Email'))
    return root


_schema = None
_schema_lock = threading.Lock()


def validate(element):
    """Check what we write against ``schemas/edxml.xsd``; ``PackageError('invalid_schema')`` if it fails."""
    global _schema
    with _schema_lock:                          # one validator, one error log: one element at a time
        if _schema is None:
            _schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
        if _schema.validate(element):
            return
        error = _schema.error_log[0]
    raise PackageError('invalid_schema', error.message.replace(f'{{{NS}}}', 'edXML:').replace(f'{{{EXT}}}', 'arc:'))


def _serialize(element):
    return etree.tostring(element, xml_declaration=True, encoding='UTF-8')


def package_bytes(pkg):
    """The package as UTF-8 bytes, validated against the schema."""
    root = encode_package(pkg)
    validate(root)
    return _serialize(root)


def status_bytes(status):
    """The status message as UTF-8 bytes, validated; a refusal (02, 16) must give its reason."""
    root = encode_status(status)
    validate(root)
    if status.status_code in REASON_REQUIRED and not status.description.strip():
        raise PackageError('reason_required', status.status_code)
    return _serialize(root)



"""Reading edXML from any sender: tolerant of what others get wrong but we can still act on (kept
as a ``Deviation``), ``PackageError`` for what cannot be acted on."""
import base64
import binascii
import datetime as dt
import re

from lxml import etree

from ...clock import VN
from ...schemas.types import nfc
from ...settings import DEFAULT_ORGAN_ID_PATTERN
from ..safexml import Base64File, Budget, Limits, PackageError, b64_text, inflate, parse_xml, zip_entry
from .model import (CLASSIFICATIONS, EXT, NS, REASON_REQUIRED, RECALL, SOAP_ENV, STATUS_CODES, XLINK, Attachment,
                    Business, Decoded, Deviation, DocumentType, Encryption, Organ, OtherInfo, Package,
                    ResponseFor, SignerInfo, StaffInfo, Status, Trace, _q)
from .values import _STD_DATE, _STD_TIMESTAMP, _when, parse_document_id, split_number_symbol


_NUMBER = re.compile(r'\d{1,9}')


class _Reader:
    """Reads others' elements by name and keeps the deviations it meets."""

    def __init__(self, organ_id_pattern=None, known_types=None):
        self.organ_id_pattern = re.compile(organ_id_pattern or DEFAULT_ORGAN_ID_PATTERN)
        self.known_types = known_types
        self.deviations = []

    def flag(self, code, detail):
        self.deviations.append(Deviation(code, detail))

    # Elements are looked up in the edXML namespace, then without any: some senders write
    # AttachmentEncoded and its children unqualified.
    def find(self, parent, name):
        if parent is None:
            return None
        el = parent.find(_q(name))
        return el if el is not None else parent.find(name)

    def findall(self, parent, name):
        if parent is None:
            return []
        return parent.findall(_q(name)) or parent.findall(name)

    def text(self, parent, name, path, expected=False):
        el = self.find(parent, name)
        if el is None:
            if expected:
                self.flag('missing_element', path)
            return ''
        value = nfc(el.text or '').strip()
        if not value:
            self.flag('empty_element', path)
        return value

    def organ_id(self, value, path):
        if value and not self.organ_id_pattern.match(value):
            self.flag('organ_id_form', f'{path}: {value[:50]}')
        return value

    def document_id(self, value, path):
        if value:
            parts = parse_document_id(value)
            if parts is None or not self.organ_id_pattern.match(parts.organ_id):
                self.flag('document_id_form', f'{path}: {value[:100]}')
        return value

    def number(self, value, path, allowed, default):
        if not value:
            return default
        if _NUMBER.fullmatch(value) and int(value) in allowed:
            return int(value)
        self.flag('bad_value', f'{path}: {value[:50]}')
        return default

    def date(self, value, path):
        if not value:
            return None
        parsed = _when(value)
        if parsed is None:
            self.flag('bad_date', f'{path}: {value[:50]}')
            return None
        day, time, zone = parsed
        if time is not None and zone is not None:
            try:
                day = dt.datetime.combine(day, time, zone).astimezone(VN).date()
            except OverflowError:
                self.flag('bad_date', f'{path}: {value[:50]}')
                return None
        if not _STD_DATE.fullmatch(value):
            self.flag('date_format', f'{path}: {value[:50]}')
        return day

    def timestamp(self, value, path):
        if not value:
            return None
        parsed = _when(value)
        try:
            if parsed is None:
                raise ValueError
            day, time, zone = parsed
            moment = dt.datetime.combine(day, time or dt.time(0), zone or VN).astimezone(VN)
        except (ValueError, OverflowError):
            self.flag('bad_date', f'{path}: {value[:50]}')
            return None
        if not _STD_TIMESTAMP.fullmatch(value):
            self.flag('date_format', f'{path}: {value[:50]}')
        return moment

    def organ(self, el, path):
        def text(name):
            return self.text(el, name, f'{path}/{name}')
        return Organ(self.organ_id(text('OrganId'), f'{path}/OrganId'), text('OrganName'),
                     text('OrganizationInCharge'), text('OrganAdd'), text('Email'), text('Telephone'),
                     text('Fax'), text('Website'))

    def staff(self, el, path):
        if el is None:
            return StaffInfo()
        return StaffInfo(*(self.text(el, name, f'{path}/{name}')
                           for name in ('Department', 'Staff', 'Email', 'Mobile')))

    def response_for(self, el, path):
        code = self.find(el, 'Code')
        number, notation = '', ''
        if code is not None and len(code):      # written like MessageHeader/Code
            number = self.text(code, 'CodeNumber', f'{path}/Code/CodeNumber')
            notation = self.text(code, 'CodeNotation', f'{path}/Code/CodeNotation')
        else:
            text = self.text(el, 'Code', f'{path}/Code')
            if text:                            # ours: '917/TTr/VPTU'; others may write '917-TTr/VPTU'
                number, notation = split_number_symbol(text) or text.partition('/')[::2]
        return ResponseFor(self.organ_id(self.text(el, 'OrganId', f'{path}/OrganId'), f'{path}/OrganId'),
                           number, notation,
                           self.date(self.text(el, 'PromulgationDate', f'{path}/PromulgationDate'),
                                     f'{path}/PromulgationDate'),
                           self.document_id(self.text(el, 'DocumentId', f'{path}/DocumentId'), f'{path}/DocumentId'))


def _check_envelope_element(el):
    """Ours to read only in the edXML namespace, whatever its prefix (``edXML:``, none, ``ns2:``:
    real senders write all three; we write ``edXML:``)."""
    qname = etree.QName(el)
    if qname.namespace != NS:
        raise PackageError('wrong_namespace', f'{{{qname.namespace or ""}}}{qname.localname}')


def _child_named(parent, localname):
    for child in parent:
        if isinstance(child.tag, str) and etree.QName(child).localname == localname:
            return child
    return None


def _attachment_elements(r, root):
    """The attachments: ``AttachmentEncoded/Attachment`` as the standard has it, and any other
    element holding a ``ContentTransferEncoded`` outside the header (real senders put files in
    elements of their own: ``Attachments/Attachment``, ``edXMLBody/Attachment``...), flagged."""
    standard = [el for parent in r.findall(root, 'AttachmentEncoded') for el in r.findall(parent, 'Attachment')]
    seen = set(standard)
    others = []
    for encoded in root.iter():
        if not isinstance(encoded.tag, str) or etree.QName(encoded).localname != 'ContentTransferEncoded':
            continue
        el = encoded.getparent()
        if el is None or el in seen or any(isinstance(a.tag, str) and etree.QName(a).localname == 'edXMLHeader'
                                           for a in el.iterancestors()):
            continue
        seen.add(el)
        others.append(el)
        r.flag('attachment_element_form', etree.QName(el.getparent()).localname + '/' + etree.QName(el).localname)
    return standard + others


def _plain(el):
    return nfc(el.text or '').strip() if el is not None else ''


def _cid(value):
    value = value.strip().strip('<>')
    return value[4:] if value.lower().startswith('cid:') else value


def _b64(text, limits):
    """A small base64 value (a wrapped key): checked, then decoded."""
    try:
        return base64.b64decode(b64_text(text, limits), validate=True)
    except (binascii.Error, ValueError):
        raise PackageError('bad_base64') from None


def decode_package(data, limits=Limits(), *, known_types=None, organ_id_pattern=None, unpack=True):
    """Read a package from any sender: ``Decoded(package, deviations)`` or ``PackageError``.

    ``data``: bytes, or a root element already parsed by ``safexml.parse_xml``. ``known_types``:
    the document type codes we know (others are flagged); ``organ_id_pattern``: the identifier
    code form (the setting ``archive.organ_id_pattern``; default ``NNN.NN.NN.Lnn``).
    ``unpack=False`` reads the envelope only: each attachment keeps its base64 text in
    ``encoded``, unchecked and undecoded, for ``check_attachments`` and ``unpack_attachments``
    once the signature is known good.
    """
    root = data if isinstance(data, etree._Element) else parse_xml(data, limits)
    qname = etree.QName(root)
    if qname.namespace != NS:                   # the root itself may use the default namespace (SDK sample)
        raise PackageError('wrong_namespace', f'{{{qname.namespace or ""}}}{qname.localname}')
    if qname.localname != 'edXML':
        raise PackageError('not_a_package', qname.localname)
    envelope = _child_named(root, 'edXMLEnvelope')
    if envelope is None:
        raise PackageError('not_a_package', 'no edXMLEnvelope')
    _check_envelope_element(envelope)
    r = _Reader(organ_id_pattern, known_types)
    header = r.find(envelope, 'edXMLHeader')
    mh = r.find(header, 'MessageHeader')
    if mh is None:
        raise PackageError('not_a_package', 'no edXMLHeader/MessageHeader')

    from_organ = r.organ(r.find(mh, 'From'), 'From')
    if not from_organ.organ_id:
        raise PackageError('no_sender')
    to = [organ for organ in (r.organ(el, 'To') for el in r.findall(mh, 'To')) if organ.organ_id]
    if not to:
        raise PackageError('no_receiver')
    attachment_els = _attachment_elements(r, root)
    if len(attachment_els) > limits.max_attachments:
        raise PackageError('too_many_attachments', f'{len(attachment_els)} > {limits.max_attachments}')

    code = r.find(mh, 'Code')
    info = r.find(mh, 'PromulgationInfo')
    doc_type_el = r.find(mh, 'DocumentType')
    doc_type = DocumentType(r.text(doc_type_el, 'Type', 'DocumentType/Type', expected=True),
                            r.text(doc_type_el, 'TypeDetail', 'DocumentType/TypeDetail'),
                            r.text(doc_type_el, 'TypeName', 'DocumentType/TypeName'))
    if doc_type.code and r.known_types is not None and doc_type.code not in r.known_types:
        r.flag('unknown_document_type', doc_type.code[:50])
    signer_el = r.find(mh, 'SignerInfo')
    other_el = r.find(mh, 'OtherInfo')
    other = OtherInfo(
        r.number(r.text(other_el, 'Priority', 'OtherInfo/Priority'), 'OtherInfo/Priority', range(5), 0),
        r.text(other_el, 'SphereOfPromulgation', 'OtherInfo/SphereOfPromulgation'),
        r.text(other_el, 'TyperNotation', 'OtherInfo/TyperNotation'),
        r.number(r.text(other_el, 'PromulgationAmount', 'OtherInfo/PromulgationAmount'),
                 'OtherInfo/PromulgationAmount', range(10 ** 9), None),
        r.number(r.text(other_el, 'PageAmount', 'OtherInfo/PageAmount'), 'OtherInfo/PageAmount',
                 range(10 ** 9), None),
        r.text(other_el, 'Direction', 'OtherInfo/Direction'),
        [text for text in map(_plain, r.findall(r.find(other_el, 'Appendixes'), 'Appendix')) if text])
    pkg = Package(
        from_organ=from_organ,
        to=to,
        code_number=r.text(code, 'CodeNumber', 'Code/CodeNumber', expected=True),
        code_notation=r.text(code, 'CodeNotation', 'Code/CodeNotation', expected=True),
        promulgation_place=r.text(info, 'Place', 'PromulgationInfo/Place'),
        promulgation_date=r.date(r.text(info, 'PromulgationDate', 'PromulgationInfo/PromulgationDate',
                                        expected=True), 'PromulgationInfo/PromulgationDate'),
        document_type=doc_type,
        subject=r.text(mh, 'Subject', 'Subject', expected=True),
        content=r.text(mh, 'Content', 'Content'),
        signer_info=SignerInfo(r.text(signer_el, 'Competence', 'SignerInfo/Competence'),
                               r.text(signer_el, 'Position', 'SignerInfo/Position'),
                               r.text(signer_el, 'FullName', 'SignerInfo/FullName')),
        due_date=r.date(r.text(mh, 'DueDate', 'DueDate'), 'DueDate'),
        to_places=[text for text in map(_plain, r.findall(r.find(mh, 'ToPlaces'), 'Place')) if text],
        other_info=other,
        response_for=[r.response_for(el, 'ResponseFor') for el in r.findall(mh, 'ResponseFor')],
        steering_type=r.number(r.text(mh, 'SteeringType', 'SteeringType'), 'SteeringType', range(3), None),
        document_id=r.document_id(r.text(mh, 'DocumentId', 'DocumentId', expected=True), 'DocumentId'),
    )

    trace_list = r.find(header, 'TraceHeaderList')
    for el in r.findall(trace_list, 'TraceHeader'):
        organ_id = r.organ_id(r.text(el, 'OrganId', 'TraceHeader/OrganId'), 'TraceHeader/OrganId')
        pkg.traces.append(Trace(organ_id, r.timestamp(r.text(el, 'Timestamp', 'TraceHeader/Timestamp'),
                                                      'TraceHeader/Timestamp')))
    business_el = r.find(trace_list, 'Bussiness')
    if business_el is None:
        r.flag('missing_element', 'TraceHeaderList/Bussiness')
    else:
        replaced = [r.text(el, 'DocumentId', 'ReplacementInfo/DocumentId') or _plain(el)
                    for el in r.findall(r.find(business_el, 'ReplacementInfoList'), 'ReplacementInfo')]
        pkg.business = Business(
            r.number(r.text(business_el, 'BussinessDocType', 'Bussiness/BussinessDocType'),
                     'Bussiness/BussinessDocType', range(4), 0),
            r.text(business_el, 'BussinessDocReason', 'Bussiness/BussinessDocReason'),
            r.document_id(r.text(business_el, 'DocumentId', 'Bussiness/DocumentId'), 'Bussiness/DocumentId'),
            r.number(r.text(business_el, 'Paper', 'Bussiness/Paper'), 'Bussiness/Paper', range(2), 0),
            r.staff(r.find(business_el, 'StaffInfo'), 'Bussiness/StaffInfo'),
            [doc_id for doc_id in replaced if doc_id])

    if header is not None:
        classification = header.find(_q('Classification', EXT))
        if classification is not None:
            pkg.classification = (classification.text or '').strip()
            if pkg.classification not in CLASSIFICATIONS:
                r.flag('unknown_classification', pkg.classification[:50])
        encryption = header.find(_q('Encryption', EXT))
        if encryption is not None:
            pkg.encryption = Encryption(encryption.get('Algorithm', ''), encryption.get('Recipient', ''),
                                        _b64(encryption.text, limits))

    if not attachment_els and pkg.business.doc_type != RECALL:
        raise PackageError('no_document')          # only a recall travels without the document
    manifest = r.find(r.find(envelope, 'edXMLBody'), 'edXMLManifest')
    references = {}
    for ref in r.findall(manifest, 'Reference'):
        cid = _cid(r.text(ref, 'ContentId', 'Reference/ContentId') or ref.get(_q('href', XLINK), ''))
        references[cid] = ref
    for el in attachment_els:
        cid = _cid(r.text(el, 'ContentId', 'Attachment/ContentId'))
        ref = references.pop(cid, None)
        if ref is None:
            r.flag('manifest_mismatch', f'attachment {cid[:50]!r} is not in the manifest')
        encoded = r.find(el, 'ContentTransferEncoded')
        name, description, content_type = (
            r.text(el, tag, f'Attachment/{tag}') or _plain(r.find(ref, tag))   # else what the manifest says
            for tag in ('AttachmentName', 'Description', 'ContentType'))
        pkg.attachments.append(Attachment(cid, name, description, content_type or 'application/octet-stream',
                                          encoded=encoded.text or '' if encoded is not None else ''))
    if unpack:
        unpack_attachments(pkg, limits)
    for cid in references:
        r.flag('manifest_mismatch', f'reference {cid[:50]!r} has no attachment')
    return Decoded(pkg, r.deviations)


def _label(attachment):
    """How a refusal names an attachment: its name as the sender wrote it, capped."""
    return repr((attachment.name or f'cid:{attachment.content_id}')[:100])


_ZIP_MAGIC = (b'PK\x03\x04', b'PK\x05\x06', b'PK\x07\x08')


def _zipped(raw):
    """Whether an attachment's checked base64 text (``b64_text``) holds a zip: the standard
    zips each file; real senders as often send the file itself, base64-encoded."""
    return not raw or Base64File(raw).read(4) in _ZIP_MAGIC       # nothing at all: a zip that is not


def check_attachments(pkg, limits=Limits()):
    """Each attachment's base64 form and zip directory checked, nothing inflated and only the
    zip's directory decoded: what may be refused before the signature is verified. A file sent
    without the zip has only its base64 form and its size to check."""
    for attachment in pkg.attachments:
        raw = b64_text(attachment.encoded, limits)
        if _zipped(raw):
            zip_entry(raw, limits, _label(attachment))


def unpack_attachments(pkg, limits=Limits()):
    """Inflate each attachment (streaming, capped per attachment and per package); an
    attachment without a name takes its zip entry's. One sent without the zip is decoded as
    it is (``form`` 'base64'), under the same caps."""
    budget = Budget(limits)
    for attachment in pkg.attachments:
        label = _label(attachment)
        raw = b64_text(attachment.encoded, limits)
        if _zipped(raw):
            archive, info = zip_entry(raw, limits, label)
            attachment.data = inflate(archive, info, limits, budget, label)
            attachment.name = attachment.name or info.filename
        else:
            data = Base64File(raw).read()
            if len(data) > limits.max_unzipped_bytes:
                raise PackageError('zip_too_large', f'{label}: more than {limits.max_unzipped_bytes} bytes')
            budget.spend(len(data), len(data), label)
            budget.commit(len(data), len(data))
            attachment.data, attachment.form = data, 'base64'
        attachment.encoded = ''
    return pkg


def sdk_status_header(root):
    """The ``MessageHeader`` of a status written in the government SDK's form (root ``edXML``,
    ``edXMLEnvelope/edXMLHeader/MessageHeader`` holding ``StatusCode`` and no ``To``), or None."""
    if not isinstance(root.tag, str) or etree.QName(root).localname != 'edXML' or etree.QName(root).namespace != NS:
        return None
    envelope = _child_named(root, 'edXMLEnvelope')
    header = _child_named(envelope, 'edXMLHeader') if envelope is not None else None
    mh = _child_named(header, 'MessageHeader') if header is not None else None
    if mh is None or _child_named(mh, 'StatusCode') is None or _child_named(mh, 'To') is not None:
        return None
    return mh


def nonstandard_signature(root):
    """A ``Signature`` element in the edXML namespace (what the government SDK writes: RSA-SHA1,
    SHA-1 digests, its own transform URI, not XML-DSig's element), or None. It is reported as
    present but not verifiable: never as unsigned, never as valid."""
    return next(root.iter(f'{{{NS}}}Signature'), None)


def decode_status(data, limits=Limits(), *, organ_id_pattern=None):
    """Read a status message: ``Decoded(status, deviations)`` or ``PackageError``.

    The ``edXML:Status`` element may be the root or sit in a SOAP envelope's header, as the
    government SDK sends it.
    """
    root = data if isinstance(data, etree._Element) else parse_xml(data, limits)
    el = root
    if etree.QName(root) == etree.QName(SOAP_ENV, 'Envelope'):
        soap_header = _child_named(root, 'Header')
        el = _child_named(soap_header, 'Status') if soap_header is not None else None
        if el is None:
            raise PackageError('not_a_status', 'no Status in the SOAP header')
    _check_envelope_element(el)
    r = _Reader(organ_id_pattern)
    sdk = sdk_status_header(el)
    if sdk is not None:                 # the government SDK's form: a MessageHeader with a StatusCode
        r.flag('status_sdk_form', 'edXML/edXMLEnvelope/edXMLHeader/MessageHeader')
        el = sdk
    elif etree.QName(el).localname != 'Status':
        raise PackageError('not_a_status', etree.QName(el).localname)
    rf_el = r.find(el, 'ResponseFor')
    if rf_el is None:
        raise PackageError('no_reference')
    response_for = r.response_for(rf_el, 'ResponseFor')
    if not (response_for.document_id or response_for.code_number):
        raise PackageError('no_reference')
    from_organ = r.organ(r.find(el, 'From'), 'From')
    if not from_organ.organ_id:
        raise PackageError('no_sender')
    code = r.text(el, 'StatusCode', 'StatusCode')
    if not code:
        raise PackageError('no_status_code')
    if re.fullmatch(r'[0-9]', code):
        r.flag('status_code_form', code)
        code = '0' + code
    if code not in STATUS_CODES:
        r.flag('unknown_status_code', code[:20])
    description = r.text(el, 'Description', 'Description')
    if code in REASON_REQUIRED and not description:
        r.flag('missing_reason', code)
    status = Status(response_for, from_organ, code, description,
                    r.timestamp(r.text(el, 'Timestamp', 'Timestamp', expected=True), 'Timestamp'),
                    r.staff(r.find(el, 'StaffInfo'), 'StaffInfo'))
    return Decoded(status, r.deviations)

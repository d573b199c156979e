"""The edXML document package and status message (QCVN 102:2016): model, encoder, decoder.

We write strictly (``schemas/edxml.xsd``; every envelope element ``edXML:``-prefixed, since
receivers on the national axis reject unprefixed ones) and read tolerantly: what other
senders get wrong but we can still act on is kept as a ``Deviation`` for the clerk to see;
only what cannot be acted on raises ``PackageError`` (see ``safexml.MESSAGES`` for the codes).

Number and symbol ("số và ký hiệu") in ``Code``:

=============  ================  ==========  ============
form           as written        CodeNumber  CodeNotation
=============  ================  ==========  ============
Party          ``917-TTr/VPTU``  ``917``     ``TTr/VPTU``
State          ``15/QĐ-BNV``     ``15``      ``QĐ-BNV``
=============  ================  ==========  ============

The number keeps its digits as written (``02-QĐi/TU`` gives ``02``). The form is told back
from the notation alone: a Party notation always holds a ``/``, a state one never does.
``DocumentId`` is ``<OrganId>,<yyyy/MM/dd>,<CodeNumber>/<CodeNotation>``, e.g.
``000.00.00.G22,2015/09/30,7816/VPCP-TTĐT``; ``ResponseFor/Code`` is ``<CodeNumber>/<CodeNotation>``.

Dates are ``yyyy/MM/dd`` and timestamps ``yyyy/MM/dd HH:mm:ss`` without a zone, meaning
Vietnam time: the model holds ``datetime.date`` and aware datetimes, converted only here.

Attachments: each file is zipped alone (one entry named after it), base64-encoded into
``AttachmentEncoded/Attachment`` with ``ContentId`` ``N``, and listed in the manifest as
``cid:N``. Our extensions (classification, encryption) are in the ``arc`` namespace after
``TraceHeaderList``; an enveloped ``ds:Signature`` may close ``edXMLHeader`` and ``Status``.

Deviation codes: ``document_id_form`` (not ``<OrganId>,<date>,<number>/<notation>``, e.g. a
UUID), ``organ_id_form`` (not ``NNN.NN.NN.Lnn``), ``empty_element``, ``missing_element``,
``unknown_document_type``, ``date_format`` (another date form, converted), ``bad_date``
(unreadable, dropped), ``bad_value`` (a code or count out of range; the default is used),
``unknown_classification``, ``manifest_mismatch``, ``status_code_form``,
``unknown_status_code``, ``missing_reason``.
"""
import base64
import binascii
import datetime as dt
import io
import re
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from lxml import etree

from ..clock import VN, now, to_vn
from ..schemas.symbol import parse as parse_symbol
from ..schemas.types import nfc
from ..settings import DEFAULT_ORGAN_ID_PATTERN
from .safexml import Budget, Limits, PackageError, b64_text, inflate, parse_xml, zip_entry

__all__ = [
    'NS', 'EXT', 'DS', 'STATUS_CODES', 'CLASSIFICATIONS', 'Limits', 'PackageError',
    'Organ', 'DocumentType', 'SignerInfo', 'OtherInfo', 'ResponseFor', 'Trace', 'StaffInfo',
    'Business', 'Encryption', 'Attachment', 'Package', 'Status', 'Deviation', 'Decoded',
    'split_number_symbol', 'join_number_symbol', 'document_id', 'parse_document_id',
    'encode_package', 'package_bytes', 'encode_status', 'status_bytes', 'validate',
    'decode_package', 'check_attachments', 'unpack_attachments', 'decode_status',
]

NS = 'http://www.mic.gov.vn/TBT/QCVN_102_2016'
EXT = 'urn:party-archive:edxml-ext:1'
DS = 'http://www.w3.org/2000/09/xmldsig#'
XLINK = 'http://www.w3.org/1999/xlink'
SOAP_ENV = 'http://schemas.xmlsoap.org/soap/envelope/'
SCHEMA = Path(__file__).resolve().parents[3] / 'schemas' / 'edxml.xsd'

# The status codes (EDXML.md; only 01 is [V], the rest [S]: correct them here).
STATUS_CODES = {
    '01': 'đã đến', '02': 'từ chối tiếp nhận', '03': 'đã tiếp nhận', '04': 'phân công',
    '05': 'đang xử lý', '06': 'hoàn thành', '13': 'yêu cầu lấy lại', '15': 'đồng ý lấy lại',
    '16': 'từ chối lấy lại',
}
REASON_REQUIRED = ('02', '16')
NEW, RECALL, UPDATE, REPLACE = 0, 1, 2, 3               # Bussiness/BussinessDocType
CLASSIFICATIONS = ('mat', 'toi_mat', 'tuyet_mat')    # '' is not classified


# ---------------------------------------------------------------- model

@dataclass
class Organ:
    organ_id: str
    organ_name: str = ''
    organization_in_charge: str = ''
    organ_add: str = ''
    email: str = ''
    telephone: str = ''
    fax: str = ''
    website: str = ''


@dataclass
class DocumentType:
    code: str               # our code list (configurable): 'TTr', or a numeric code of another sender
    detail: str = ''
    name: str = ''


@dataclass
class SignerInfo:
    competence: str = ''
    position: str = ''
    full_name: str = ''


@dataclass
class OtherInfo:
    priority: int = 0               # 0 normal · 1 khẩn · 2 thượng khẩn · 3 hỏa tốc · 4 hỏa tốc hẹn giờ
    sphere_of_promulgation: str = ''
    typer_notation: str = ''
    promulgation_amount: int | None = None
    page_amount: int | None = None
    direction: str = ''
    appendixes: list[str] = field(default_factory=list)


@dataclass
class ResponseFor:
    organ_id: str
    code_number: str = ''
    code_notation: str = ''
    promulgation_date: dt.date | None = None
    document_id: str = ''


@dataclass
class Trace:
    organ_id: str
    timestamp: dt.datetime | None              # aware, Vietnam time when read


@dataclass
class StaffInfo:
    department: str = ''
    staff: str = ''
    email: str = ''
    mobile: str = ''


@dataclass
class Business:
    doc_type: int = 0                           # 0 new · 1 recall · 2 update · 3 replace
    reason: str = ''
    document_id: str = ''
    paper: int = 0                              # 1: a paper copy follows
    staff: StaffInfo = field(default_factory=StaffInfo)
    replacement_info: list[str] = field(default_factory=list)   # document ids


@dataclass
class Encryption:
    algorithm: str
    recipient: str                              # the recipient certificate's fingerprint
    wrapped_key: bytes


@dataclass
class Attachment:
    content_id: str                             # 'N'; the manifest says 'cid:N'
    name: str                                   # as the sender wrote it: a label, never a file path
    description: str = ''
    content_type: str = 'application/octet-stream'
    data: bytes = b''
    encoded: str = field(default='', repr=False, compare=False)   # as read, until unpacked


@dataclass
class Package:
    from_organ: Organ
    to: list[Organ]
    code_number: str = ''
    code_notation: str = ''
    promulgation_place: str = ''
    promulgation_date: dt.date | None = None
    document_type: DocumentType = field(default_factory=lambda: DocumentType(''))
    subject: str = ''
    content: str = ''
    signer_info: SignerInfo = field(default_factory=SignerInfo)
    due_date: dt.date | None = None
    to_places: list[str] = field(default_factory=list)
    other_info: OtherInfo = field(default_factory=OtherInfo)
    response_for: list[ResponseFor] = field(default_factory=list)
    steering_type: int | None = None            # 0 not a directive · 1 directive · 2 report on one
    document_id: str = ''                       # '' when encoding: built from the fields above
    traces: list[Trace] = field(default_factory=list)
    business: Business = field(default_factory=Business)
    classification: str = ''
    encryption: Encryption | None = None
    attachments: list[Attachment] = field(default_factory=list)


@dataclass
class Status:
    response_for: ResponseFor
    from_organ: Organ                           # the receiver that reports
    status_code: str
    description: str = ''
    timestamp: dt.datetime | None = None
    staff: StaffInfo = field(default_factory=StaffInfo)


@dataclass(frozen=True)
class Deviation:
    code: str
    detail: str


class Decoded(NamedTuple):
    value: object                               # a Package or a Status
    deviations: list

    @property
    def package(self):
        return self.value

    @property
    def status(self):
        return self.value


# ---------------------------------------------------------------- number, symbol, DocumentId

def split_number_symbol(text, known_types=None):
    """``'917-TTr/VPTU'`` → ``('917', 'TTr/VPTU')``; ``'15/QĐ-BNV'`` → ``('15', 'QĐ-BNV')``; else None."""
    parsed = parse_symbol(text, known_types)
    if parsed is None:
        return None
    notation = parsed.notation
    return parsed.text[:-len(notation) - 1], notation


def join_number_symbol(number, notation, form=None):
    """The number and symbol as written; ``form`` ('party' or 'state') is told from the notation if omitted."""
    if form is None:
        form = 'party' if '/' in notation else 'state'
    if form not in ('party', 'state'):
        raise ValueError(f'unknown form {form!r}')
    return f'{number}{"-" if form == "party" else "/"}{notation}'


class DocumentIdParts(NamedTuple):
    organ_id: str
    date: dt.date
    number: str
    notation: str


_DOCUMENT_ID = re.compile(r'(?P<organ>[^,\s]+),(?P<date>\d{4}/\d{2}/\d{2}),(?P<number>\d{1,11})/(?P<notation>\S+)')


def document_id(organ_id, date, number, notation):
    return f'{organ_id},{_date(date)},{number}/{notation}'


def parse_document_id(text):
    """The parts of ``<OrganId>,<yyyy/MM/dd>,<number>/<notation>``, or None (a UUID, say)."""
    m = _DOCUMENT_ID.fullmatch(nfc(text or '').strip())
    if not m:
        return None
    try:
        day = dt.datetime.strptime(m['date'], '%Y/%m/%d').date()
    except ValueError:
        return None
    return DocumentIdParts(m['organ'], day, m['number'], m['notation'])


# ---------------------------------------------------------------- dates

def _date(value):
    return f'{value.year:04d}/{value.month:02d}/{value.day:02d}' if value is not None else ''


def _timestamp(value):
    if value is None:
        return ''
    value = to_vn(value)
    return f'{_date(value)} {value.hour:02d}:{value.minute:02d}:{value.second:02d}'


_STD_DATE = re.compile(r'\d{4}/\d{2}/\d{2}')
_STD_TIMESTAMP = re.compile(r'\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}')
# what senders write: yyyy/MM/dd, yyyy-MM-dd, dd/MM/yyyy, with or without a time and a zone
_WHEN = re.compile(r'''
    (?: (?P<y>\d{4})[/-](?P<m>\d{1,2})[/-](?P<d>\d{1,2})
      | (?P<d2>\d{1,2})[/-](?P<m2>\d{1,2})[/-](?P<y2>\d{4}) )
    (?: (?:[ ]+|T) (?P<H>\d{1,2}):(?P<M>\d{2}) (?::(?P<S>\d{2})(?:[.,]\d{1,9})?)? )?
    \s* (?P<z>Z|[+-]\d{2}(?::?\d{2})?)?
''', re.X)


def _when(text):
    """``(date, time or None, tzinfo or None)`` or None when unreadable."""
    m = _WHEN.fullmatch(text)
    if not m:
        return None
    y, mo, d = (m['y'], m['m'], m['d']) if m['y'] else (m['y2'], m['m2'], m['d2'])
    try:
        day = dt.date(int(y), int(mo), int(d))
        time = dt.time(int(m['H']), int(m['M']), int(m['S'] or 0)) if m['H'] else None
        zone = None
        if m['z'] == 'Z':
            zone = dt.timezone.utc
        elif m['z']:
            digits = m['z'][1:].replace(':', '')
            offset = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
            zone = dt.timezone(-offset if m['z'][0] == '-' else offset)
    except ValueError:
        return None
    return day, time, zone


# ---------------------------------------------------------------- encoder

def _q(name, ns=NS):
    return f'{{{ns}}}{name}'


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


# ---------------------------------------------------------------- decoder

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
    """Ours to read only in the edXML namespace, written with the ``edXML:`` prefix as the axis requires."""
    qname = etree.QName(el)
    if qname.namespace != NS:
        raise PackageError('wrong_namespace', f'{{{qname.namespace or ""}}}{qname.localname}')
    if el.prefix != 'edXML':
        raise PackageError('wrong_namespace', f'<{qname.localname}> written without the edXML: prefix')


def _child_named(parent, localname):
    for child in parent:
        if isinstance(child.tag, str) and etree.QName(child).localname == localname:
            return child
    return None


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
    attachment_els = [el for parent in r.findall(root, 'AttachmentEncoded')
                      for el in r.findall(parent, 'Attachment')]
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


def check_attachments(pkg, limits=Limits()):
    """Each attachment's base64 form and zip directory checked, nothing inflated and only the
    zip's directory decoded: what may be refused before the signature is verified."""
    for attachment in pkg.attachments:
        zip_entry(b64_text(attachment.encoded, limits), limits, _label(attachment))


def unpack_attachments(pkg, limits=Limits()):
    """Inflate each attachment (streaming, capped per attachment and per package); an
    attachment without a name takes its zip entry's."""
    budget = Budget(limits)
    for attachment in pkg.attachments:
        label = _label(attachment)
        archive, info = zip_entry(b64_text(attachment.encoded, limits), limits, label)
        attachment.data = inflate(archive, info, limits, budget, label)
        attachment.name = attachment.name or info.filename
        attachment.encoded = ''
    return pkg


def decode_status(data, limits=Limits(), *, organ_id_pattern=None):
    """Read a status message: ``Decoded(status, deviations)`` or ``PackageError``.

    The ``edXML:Status`` element may be the root or sit in a SOAP envelope's header, as the
    government SDK sends it.
    """
    root = parse_xml(data, limits)
    el = root
    if etree.QName(root) == etree.QName(SOAP_ENV, 'Envelope'):
        soap_header = _child_named(root, 'Header')
        el = _child_named(soap_header, 'Status') if soap_header is not None else None
        if el is None:
            raise PackageError('not_a_status', 'no Status in the SOAP header')
    _check_envelope_element(el)
    if etree.QName(el).localname != 'Status':
        raise PackageError('not_a_status', etree.QName(el).localname)
    r = _Reader(organ_id_pattern)
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

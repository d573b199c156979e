"""What a transfer package says about its records: the file-level (hồ sơ) and document-level
descriptive metadata with the fields of EDXML.md "Archive", and the PREMIS events of each document.

Everything here is taken as recorded: a signature verdict is the one stored with the time of its
check (never checked again here, never turned into "valid"), registration and receipt are the times
the document holds, and the journal's own entries are quoted.
"""
import datetime as dt
import functools
import re

from ... import clock

NS = 'urn:vn:dang:luu-tru:chuyen-giao:1'      # the namespace of our descriptive records
PREMIS = 'http://www.loc.gov/premis/v3'
LOC_EVENT = 'http://id.loc.gov/vocabulary/preservation/eventType'
LOC_OUTCOME = 'http://id.loc.gov/vocabulary/preservation/eventOutcome'
PERMANENT = 'vinh-vien'
# Where a document's original is: on paper (received or sent on paper or by hand, or with no
# electronic file at all: registered from the paper with its metadata only), or electronic.
PAPER, ELECTRONIC = 'giay', 'dien-tu'
PAPER_CHANNELS = ('paper', 'hand')


def original_medium(doc, has_files):
    """``PAPER`` for a document whose original is a sheet of paper kept by the body (a scan, if
    any, is a copy), ``ELECTRONIC`` otherwise."""
    return PAPER if getattr(doc, 'channel', None) in PAPER_CHANNELS or not has_files else ELECTRONIC


_ESCAPE = str.maketrans({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\r': '&#13;'})
# what XML 1.0 cannot hold at all (lxml refused it too): never written, the export stops
_NOT_XML = re.compile('[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]')
DECLARATION = "<?xml version='1.0' encoding='UTF-8'?>\n"


def _text(value):
    if value is None or type(value) is str:
        return value
    if isinstance(value, dt.datetime):
        return clock.iso(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return '; '.join(str(v) for v in value)
    return str(value)


_SPECIAL = re.compile('[&<>"\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]')


def escape(text):
    """``text`` for an XML element or a double-quoted attribute (most values need nothing: one
    search decides)."""
    if _SPECIAL.search(text) is None:
        return text
    if _NOT_XML.search(text):
        raise ValueError(f'not allowed in XML: {text!r}')
    return text.translate(_ESCAPE)


def _el(name, value):
    """``<name>value</name>``, or nothing for an empty value (as before: empty fields are left out)."""
    if value is None or value == '':
        return ''
    text = value if type(value) is str else _text(value)      # most values are text already
    if text == '':
        return ''
    return f'<{name}>{escape(text)}</{name}>'


def _doc(root, parts):
    """The record as bytes: declaration, the root element in our namespace, one child a line."""
    body = '\n  '.join(p for p in parts if p)
    return f'{DECLARATION}<{root} xmlns="{NS}">\n  {body}\n</{root}>\n'.encode('utf-8')


def records_file_xml(f, documents, pages, secret):
    """The hồ sơ: file code, title, retention, access rights, language, start and end dates, number
    of documents and of pages, description (EDXML.md "Archive"), with where it comes from."""
    return _doc('HoSo', [
        _el('FileCode', f.code), _el('Title', f.title), _el('Year', f.year), _el('OrganId', f.body_code),
        _el('UnitCode', f.unit_code), _el('Responsible', f.responsible),
        _el('PlanEntry', getattr(f, 'plan_entry', None)),
        _el('Retention', PERMANENT if f.retention_years is None else f'{int(f.retention_years)}'),
        _el('AccessRights', 'mat' if secret else 'thuong'), _el('Language', 'vi'),
        _el('StartDate', f.opened_on), _el('EndDate', f.closed_on), _el('DocumentCount', documents),
        _el('PageCount', pages), _el('Description', getattr(f, 'description', None))])


def document_xml(doc, records_file, files, medium=ELECTRONIC):
    """One document with the stored field names of the national data standard (EDXML.md), its
    recorded legal status, where its original is (``medium``: ``PAPER`` or ``ELECTRONIC``), and the
    files of the package that hold it (``files``: dicts with ``path``, ``sha256``, ``role``,
    ``sealed``; none for a paper document registered with its metadata only)."""
    parsed = getattr(doc, 'parsed', None)
    signer = ''
    if doc.signer_name or doc.signer_position:
        signer = (f'<SignerInfo>{_el("Position", doc.signer_position)}{_el("FullName", doc.signer_name)}'
                  f'{_el("Competence", doc.signer_competence)}</SignerInfo>')
    incoming = doc.direction == 'incoming'
    verdict = doc.origin_verdict
    status = verdict.get('status') if isinstance(verdict, dict) else verdict
    checked = ''
    if isinstance(verdict, dict):
        checked = _el('Code', verdict.get('code')) + _el('Reason', verdict.get('reason')) + \
            _el('CheckedAt', verdict.get('checked_at'))
    listing = ''.join(
        f'<File role="{escape(str(item["role"]))}" sealed="{str(item["sealed"]).lower()}">'
        f'{_el("Path", item["path"])}{_el("Sha256", item["sha256"])}</File>' for item in files)
    return _doc('VanBan', [
        _el('DocumentId', doc.__name__), _el('FileCode', records_file.code), _el('Direction', doc.direction),
        _el('CodeNumber', getattr(parsed, 'number', None) or doc.register_number),
        _el('CodeNotation', doc.number_symbol), _el('IssuedDate', doc.issued_date), _el('OrganId', doc.organ_id),
        _el('OrganName', doc.sender), _el('Subject', doc.abstract), _el('TypeName', doc.doc_type), signer,
        _el('Priority', doc.urgency), _el('Classification', doc.classification), _el('PageAmount', doc.pages),
        _el('DueDate', doc.deadline),
        _el('ArrivalDate', doc.received_at) if incoming else _el('SentDate', doc.sent_at),
        _el('ArrivalNumber' if incoming else 'OutgoingNumber', doc.register_number),
        _el('ToPlaces', doc.receivers), _el('Notes', doc.notes), _el('OriginalMedium', medium),
        f'<SignatureVerdict>{_el("Status", status or "not_verified")}{checked}</SignatureVerdict>',
        f'<Files>{listing}</Files>'])


def _p(name, value):
    text = _text(value)
    if text is None or text == '':
        return ''
    return f'<premis:{name}>{escape(text)}</premis:{name}>'


def _event_type(kind):
    return (f'<premis:eventType authority="eventType" valueURI="{LOC_EVENT}/{escape(kind.replace(" ", ""))}">'
            f'{escape(kind)}</premis:eventType>')


_EVENT_TYPES = {kind: _event_type(kind) for kind in ('ingestion', 'creation', 'digital signature validation',
                                                     'accession', 'transfer')}


def _event(number, name, body):
    """One event (``name``: the document's name, escaped already; ``body``: ``_event_body``)."""
    return (f'<premis:event><premis:eventIdentifier><premis:eventIdentifierType>local</premis:eventIdentifierType>'
            f'<premis:eventIdentifierValue>{name}-{number}</premis:eventIdentifierValue></premis:eventIdentifier>'
            f'{body}'
            '<premis:linkingObjectIdentifier><premis:linkingObjectIdentifierType>local'
            f'</premis:linkingObjectIdentifierType><premis:linkingObjectIdentifierValue>{name}'
            '</premis:linkingObjectIdentifierValue></premis:linkingObjectIdentifier></premis:event>')


@functools.lru_cache(maxsize=4)
def _transfer_body(package_id, when):
    """The transfer event's type, time, detail and outcome: the same for every document of a package."""
    return _event_body('transfer', when, f'Chuyển giao vào lưu trữ, gói {package_id}', 'success')


def _event_body(kind, when, detail, outcome=None, outcome_detail=None):
    """An event's type, time, detail and outcome."""
    info = ''
    if outcome is not None:
        note = (f'<premis:eventOutcomeDetail>{_p("eventOutcomeDetailNote", outcome_detail)}'
                '</premis:eventOutcomeDetail>') if outcome_detail else ''
        info = f'<premis:eventOutcomeInformation>{_p("eventOutcome", outcome)}{note}</premis:eventOutcomeInformation>'
    kind_xml = _EVENT_TYPES.get(kind) or _event_type(kind)
    return (f'{kind_xml}{_p("eventDateTime", when)}'
            f'<premis:eventDetailInformation>{_p("eventDetail", detail)}</premis:eventDetailInformation>{info}')


def premis_xml(doc, package_id, transferred_at, medium=ELECTRONIC):
    """The document's events: receipt (or creation), every signature verification the journal
    holds with its recorded result and time (and the verdict stored on the document), registration,
    and this transfer. A paper original is said as a significant property of the intellectual
    entity ("original medium: paper"): the archive expects the sheet itself by the paper route.
    ``transferred_at``: the package's time, or its ISO text (the exporter's, made once a package).

    Written from string templates (every value escaped): building it element by element was a
    third of the export's time."""
    events = []
    if doc.direction == 'incoming':
        events.append(_event_body('ingestion', doc.received_at or doc.created_at,
                                  f'Tiếp nhận văn bản đến (receipt) qua {doc.channel or "?"}'))
    else:
        events.append(_event_body('creation', doc.created_at, 'Tạo văn bản đi (creation)'))
    # the document's recorded signature checks, as its journal has them (the document keeps them:
    # ``Document.origin_checks``, evolve step 0017 for those checked before)
    checks = list(doc.origin_checks)
    verdict = doc.origin_verdict if isinstance(doc.origin_verdict, dict) else None
    if verdict is not None and checks and checks[-1][1] == verdict.get('status'):
        checks = checks[:-1]            # the stored verdict is the last check: told once, below
    for at, status, code, file, sha256 in checks:
        events.append(_event_body('digital signature validation', at,
                                  f'Xác thực chữ ký số tệp {file} (sha256 {sha256}), kết quả như đã ghi lúc '
                                  'kiểm tra', status, code))
    if verdict is not None:
        events.append(_event_body('digital signature validation', verdict.get('checked_at'),
                                  'Xác thực chữ ký số: kết quả và thời điểm như đã lưu trên văn bản (không kiểm '
                                  'tra lại)', verdict.get('status'), f'{verdict.get("code")}: {verdict.get("reason")}'))
    if doc.registered_at is not None:
        events.append(_event_body('accession', doc.registered_at,
                                  f'Vào sổ văn bản (registration), số {doc.register_number}'))
    events.append(_transfer_body(package_id, _text(transferred_at)))
    prop = ''
    if medium == PAPER:
        prop = ('<premis:significantProperties><premis:significantPropertiesType>original medium'
                '</premis:significantPropertiesType><premis:significantPropertiesValue>'
                'paper (bản gốc giấy, lưu tại cơ quan)</premis:significantPropertiesValue>'
                '</premis:significantProperties>')
    name = escape(doc.__name__)
    body = '\n  '.join(_event(n, name, event) for n, event in enumerate(events, 1))
    return (f'{DECLARATION}<premis:premis xmlns:premis="{PREMIS}" version="3.0">\n'
            f'  <premis:object xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="premis:intellectualEntity">'
            '<premis:objectIdentifier><premis:objectIdentifierType>local</premis:objectIdentifierType>'
            f'<premis:objectIdentifierValue>{name}</premis:objectIdentifierValue>'
            f'</premis:objectIdentifier>{prop}</premis:object>\n  {body}\n</premis:premis>\n').encode('utf-8')

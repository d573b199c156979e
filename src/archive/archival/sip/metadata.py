"""What a transfer package says about its records: the file-level (hồ sơ) and document-level
descriptive metadata with the fields of EDXML.md "Archive", and the PREMIS events of each document.

Everything here is taken as recorded: a signature verdict is the one stored with the time of its
check (never checked again here, never turned into "valid"), registration and receipt are the times
the document holds, and the journal's own entries are quoted.
"""
import datetime as dt

from lxml import etree

from ... import audit, clock
from ...resources.folder import find_root

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


def _text(value):
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return clock.iso(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return '; '.join(str(v) for v in value)
    return str(value)


def _add(parent, name, value, ns=NS):
    text = _text(value)
    if text in (None, ''):
        return None
    el = etree.SubElement(parent, f'{{{ns}}}{name}')
    el.text = text
    return el


def _bytes(root):
    return etree.tostring(root, xml_declaration=True, encoding='UTF-8', pretty_print=True)


def records_file_xml(f, documents, pages, secret):
    """The hồ sơ: file code, title, retention, access rights, language, start and end dates, number
    of documents and of pages, description (EDXML.md "Archive"), with where it comes from."""
    root = etree.Element(f'{{{NS}}}HoSo', nsmap={None: NS})
    _add(root, 'FileCode', f.code)
    _add(root, 'Title', f.title)
    _add(root, 'Year', f.year)
    _add(root, 'OrganId', f.body_code)
    _add(root, 'UnitCode', f.unit_code)
    _add(root, 'Responsible', f.responsible)
    _add(root, 'PlanEntry', getattr(f, 'plan_entry', None))
    _add(root, 'Retention', PERMANENT if f.retention_years is None else f'{int(f.retention_years)}')
    _add(root, 'AccessRights', 'mat' if secret else 'thuong')
    _add(root, 'Language', 'vi')
    _add(root, 'StartDate', f.opened_on)
    _add(root, 'EndDate', f.closed_on)
    _add(root, 'DocumentCount', documents)
    _add(root, 'PageCount', pages)
    _add(root, 'Description', getattr(f, 'description', None))
    return _bytes(root)


def document_xml(doc, records_file, files, medium=ELECTRONIC):
    """One document with the stored field names of the national data standard (EDXML.md), its
    recorded legal status, where its original is (``medium``: ``PAPER`` or ``ELECTRONIC``), and the
    files of the package that hold it (``files``: dicts with ``path``, ``sha256``, ``role``,
    ``sealed``; none for a paper document registered with its metadata only)."""
    root = etree.Element(f'{{{NS}}}VanBan', nsmap={None: NS})
    _add(root, 'DocumentId', doc.__name__)
    _add(root, 'FileCode', records_file.code)
    _add(root, 'Direction', doc.direction)
    parsed = getattr(doc, 'parsed', None)
    _add(root, 'CodeNumber', getattr(parsed, 'number', None) or doc.register_number)
    _add(root, 'CodeNotation', doc.number_symbol)
    _add(root, 'IssuedDate', doc.issued_date)
    _add(root, 'OrganId', doc.organ_id)
    _add(root, 'OrganName', doc.sender)
    _add(root, 'Subject', doc.abstract)
    _add(root, 'TypeName', doc.doc_type)
    if doc.signer_name or doc.signer_position:
        signer = etree.SubElement(root, f'{{{NS}}}SignerInfo')
        _add(signer, 'Position', doc.signer_position)
        _add(signer, 'FullName', doc.signer_name)
        _add(signer, 'Competence', doc.signer_competence)
    _add(root, 'Priority', doc.urgency)
    _add(root, 'Classification', doc.classification)
    _add(root, 'PageAmount', doc.pages)
    _add(root, 'DueDate', doc.deadline)
    if doc.direction == 'incoming':
        _add(root, 'ArrivalDate', doc.received_at)
        _add(root, 'ArrivalNumber', doc.register_number)
    else:
        _add(root, 'SentDate', doc.sent_at)
        _add(root, 'OutgoingNumber', doc.register_number)
    _add(root, 'ToPlaces', doc.receivers)
    _add(root, 'Notes', doc.notes)
    _add(root, 'OriginalMedium', medium)
    verdict = doc.origin_verdict
    status = verdict.get('status') if isinstance(verdict, dict) else verdict
    sig = etree.SubElement(root, f'{{{NS}}}SignatureVerdict')
    _add(sig, 'Status', status or 'not_verified')
    if isinstance(verdict, dict):
        _add(sig, 'Code', verdict.get('code'))
        _add(sig, 'Reason', verdict.get('reason'))
        _add(sig, 'CheckedAt', verdict.get('checked_at'))
    listing = etree.SubElement(root, f'{{{NS}}}Files')
    for item in files:
        el = etree.SubElement(listing, f'{{{NS}}}File', role=item['role'], sealed=str(item['sealed']).lower())
        _add(el, 'Path', item['path'])
        _add(el, 'Sha256', item['sha256'])
    return _bytes(root)


def _journal(doc):
    try:
        return audit.entries(find_root(doc), doc.chain_id)
    except (AttributeError, KeyError):
        return []


def _event(parent, number, doc, kind, when, detail, outcome=None, outcome_detail=None):
    event = etree.SubElement(parent, f'{{{PREMIS}}}event')
    ident = etree.SubElement(event, f'{{{PREMIS}}}eventIdentifier')
    _add(ident, 'eventIdentifierType', 'local', PREMIS)
    _add(ident, 'eventIdentifierValue', f'{doc.__name__}-{number}', PREMIS)
    el = _add(event, 'eventType', kind, PREMIS)
    el.set('authority', 'eventType')
    el.set('valueURI', f'{LOC_EVENT}/{kind.replace(" ", "")}')
    _add(event, 'eventDateTime', when, PREMIS)
    _add(etree.SubElement(event, f'{{{PREMIS}}}eventDetailInformation'), 'eventDetail', detail, PREMIS)
    if outcome is not None:
        info = etree.SubElement(event, f'{{{PREMIS}}}eventOutcomeInformation')
        _add(info, 'eventOutcome', outcome, PREMIS)
        if outcome_detail:
            _add(etree.SubElement(info, f'{{{PREMIS}}}eventOutcomeDetail'), 'eventOutcomeDetailNote',
                 outcome_detail, PREMIS)
    link = etree.SubElement(event, f'{{{PREMIS}}}linkingObjectIdentifier')
    _add(link, 'linkingObjectIdentifierType', 'local', PREMIS)
    _add(link, 'linkingObjectIdentifierValue', doc.__name__, PREMIS)


def premis_xml(doc, package_id, transferred_at, medium=ELECTRONIC):
    """The document's events: receipt (or creation), every signature verification the journal
    holds with its recorded result and time (and the verdict stored on the document), registration,
    and this transfer. A paper original is said as a significant property of the intellectual
    entity ("original medium: paper"): the archive expects the sheet itself by the paper route."""
    root = etree.Element(f'{{{PREMIS}}}premis', nsmap={'premis': PREMIS}, version='3.0')
    obj = etree.SubElement(root, f'{{{PREMIS}}}object', nsmap={'xsi': 'http://www.w3.org/2001/XMLSchema-instance'})
    obj.set('{http://www.w3.org/2001/XMLSchema-instance}type', 'premis:intellectualEntity')
    ident = etree.SubElement(obj, f'{{{PREMIS}}}objectIdentifier')
    _add(ident, 'objectIdentifierType', 'local', PREMIS)
    _add(ident, 'objectIdentifierValue', doc.__name__, PREMIS)
    if medium == PAPER:
        prop = etree.SubElement(obj, f'{{{PREMIS}}}significantProperties')
        _add(prop, 'significantPropertiesType', 'original medium', PREMIS)
        _add(prop, 'significantPropertiesValue', 'paper (bản gốc giấy, lưu tại cơ quan)', PREMIS)
    n = 0
    if doc.direction == 'incoming':
        n += 1
        _event(root, n, doc, 'ingestion', doc.received_at or doc.created_at,
               f'Tiếp nhận văn bản đến (receipt) qua {doc.channel or "?"}')
    else:
        n += 1
        _event(root, n, doc, 'creation', doc.created_at, 'Tạo văn bản đi (creation)')
    checks = [e for e in _journal(doc) if e['action'] == 'origin_checked']
    verdict = doc.origin_verdict if isinstance(doc.origin_verdict, dict) else None
    if verdict is not None and checks and checks[-1]['details'].get('status') == verdict.get('status'):
        checks = checks[:-1]            # the stored verdict is the last check: told once, below
    for entry in checks:
        n += 1
        details = entry['details']
        _event(root, n, doc, 'digital signature validation', entry['at'],
               f'Xác thực chữ ký số tệp {details.get("file")} (sha256 {details.get("sha256")}), '
               'kết quả như đã ghi lúc kiểm tra',
               details.get('status'), details.get('code'))
    if verdict is not None:
        n += 1
        _event(root, n, doc, 'digital signature validation', verdict.get('checked_at'),
               'Xác thực chữ ký số: kết quả và thời điểm như đã lưu trên văn bản (không kiểm tra lại)',
               verdict.get('status'), f'{verdict.get("code")}: {verdict.get("reason")}')
    if doc.registered_at is not None:
        n += 1
        _event(root, n, doc, 'accession', doc.registered_at,
               f'Vào sổ văn bản (registration), số {doc.register_number}')
    n += 1
    _event(root, n, doc, 'transfer', transferred_at, f'Chuyển giao vào lưu trữ, gói {package_id}',
           'success')
    return _bytes(root)

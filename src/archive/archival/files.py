"""Records files (hồ sơ) and the body's file plan (danh mục hồ sơ), as records offices keep them.

Each body has one ``Records`` container (``body.records``): the file plan per year (entries with a
code, title, unit and retention period), the files opened from it, and the disposition batches
(``batches.py``). A file is opened from a plan entry, filled with documents (a document belongs to
one file), and closed; closing fixes its retention period (the longest of the entry's and its
documents' types', ``retention.py``) and starts it. Every change is journaled: the plan on
``records:<body>``, a file on ``file:<body>:<name>`` and the document on its own chain.
"""
import datetime as dt
import re

from BTrees.OOBTree import OOBTree
from persistent import Persistent
from persistent.list import PersistentList
from pyramid.authorization import Allow, Deny, Everyone

from .. import audit, clock
from .. import security as S
from ..errors import Conflict, InputError, Unknown
from ..i18n import _
from ..resources.records import ensure_records, records_of  # noqa: F401 - part of this module's face
from ..workflow.states import fileable
from ..workflow.titles import state_title
from . import retention

OPEN, CLOSED, TRANSFERRED, DESTROYED = 'open', 'closed', 'transferred', 'destroyed'
STATES = {
    OPEN: _('file_state_open', default='Đang mở'),
    CLOSED: _('file_state_closed', default='Đã đóng'),
    TRANSFERRED: _('file_state_transferred', default='Đã nộp lưu'),
    DESTROYED: _('file_state_destroyed', default='Đã hủy'),
}
CODE = re.compile(r'^[\w.\-]{1,30}$')       # a plan entry's code: letters, digits, . - _
MIN_YEAR, MAX_YEAR = 1945, 2100


def _error(field, code, message):
    return InputError([{'field': field, 'code': code, 'message': message}])


class PlanEntry(Persistent):
    """One line of the file plan: the file a unit is to open that year, and how long it is kept."""

    def __init__(self, year, code, title, unit_code, retention_years):
        self.year = year
        self.code = code
        self.title = title
        self.unit_code = unit_code
        self.retention_years = retention_years     # None: permanent


class RecordsFile(Persistent):
    """A file (hồ sơ): the interface the transfer package reads (``archival/sip``) is its
    attributes ``code``, ``title``, ``year``, ``body_code``, ``unit_code``, ``responsible``,
    ``opened_on``, ``closed_on``, ``retention_years``, ``plan_entry``, ``document_names`` and
    ``secret``."""

    __name__ = None
    __parent__ = None
    state = OPEN
    batch = None           # the name of the batch in progress that holds it
    kept = None            # {reason, by, at}: appraised and kept, not to be destroyed
    page_count = 0
    disposed_at = None     # when it was transferred or destroyed
    retention_basis = None  # set on closing: what the retention was taken from (retention.of_file)

    def __init__(self, code, title, year, body_code, unit_code, responsible, opened_on, plan_entry,
                 retention_years):
        self.code = code
        self.title = title
        self.year = year
        self.body_code = body_code
        self.unit_code = unit_code
        self.responsible = responsible
        self.opened_on = opened_on
        self.closed_on = None
        self.plan_entry = plan_entry
        self.retention_years = retention_years     # the entry's until closed, then the file's own
        self.document_names = PersistentList()

    @property
    def chain_id(self):
        return f'file:{self.body_code}:{self.__name__}'

    @property
    def document_count(self):
        return len(self.document_names)

    @property
    def secret(self):
        """True when any document in it is Mật (the body's index of Mật documents, no loading)."""
        secret = self.__parent__.__parent__.documents.secret
        return any(name in secret for name in self.document_names)

    @property
    def due_on(self):
        return retention.due_on(self.closed_on, self.retention_years)

    @property
    def __acl__(self):
        code = self.body_code
        acl = [(Allow, S.org_role(code, r), S.VIEW_FILES) for r in (S.CLERK, S.ARCHIVIST, S.LEADER)]
        acl.append((Allow, f'u:{self.responsible}', S.VIEW_FILES))
        if self.unit_code:
            acl.append((Allow, S.unit_principal(code, self.unit_code), S.VIEW_FILES))
        acl.append((Deny, Everyone, S.VIEW_FILES))      # the container's grant is for the lists only
        return acl


def get_file(records, name):
    f = records.files.get(name) if records is not None else None
    if f is None:
        raise Unknown('file_unknown', _('file_unknown', default='Không có hồ sơ "${name}"',
                                        mapping={'name': name}))
    return f


# -- the file plan ------------------------------------------------------------------------

def parse_year(value, field='year'):
    try:
        year = int(value)
    except (TypeError, ValueError):
        year = None
    if year is None or isinstance(value, bool) or not MIN_YEAR <= year <= MAX_YEAR:
        raise _error(field, 'year_invalid', _('year_invalid', default='Năm không hợp lệ'))
    return year


def _text(values, field, limit, required=True):
    value = values.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _error(field, 'required', _('required', default='Bắt buộc phải nhập'))
        return ''
    if not isinstance(value, str) or len(value) > limit or any(
            not ch.isprintable() for ch in value):
        raise _error(field, 'text_invalid', _('text_invalid', default='Nội dung không hợp lệ'))
    return value.strip()


def set_plan_entry(root, body, values, settings, actor):
    """Add or change a line of the body's file plan; files already opened keep what they have."""
    year = parse_year(values.get('year'))
    code = _text(values, 'code', 30)
    if not CODE.match(code):
        raise _error('code', 'plan_code_invalid', _(
            'plan_code_invalid', default='Ký hiệu hồ sơ chỉ gồm chữ, số và . - _ (tối đa 30 ký tự)'))
    title = _text(values, 'title', 500)
    unit_code = _text(values, 'unit_code', 30, required=False) or None
    if unit_code is not None and unit_code not in body.units:
        raise _error('unit_code', 'unit_unknown', _('unit_unknown', default='Đơn vị "${unit}" không thuộc cơ quan này',
                                                    mapping={'unit': unit_code}))
    try:
        years = retention.parse(values.get('retention'), settings)
    except ValueError:
        raise _error('retention', 'retention_invalid', _(
            'retention_invalid', default='Thời hạn bảo quản phải là vĩnh viễn hoặc một trong: ${list}',
            mapping={'list': ', '.join(str(n) for n in settings.retention_periods)})) from None
    records = ensure_records(body)
    entries = records.plans.get(year)
    if entries is None:
        entries = records.plans[year] = OOBTree()
    entry = entries.get(code)
    if entry is None:
        entry = entries[code] = PlanEntry(year, code, title, unit_code, years)
        action = 'plan_entry_added'
    else:
        entry.title, entry.unit_code, entry.retention_years = title, unit_code, years
        action = 'plan_entry_changed'
    audit.append(root, f'records:{body.code}', action, actor, year=year, code=code, title=title,
                 unit_code=unit_code, retention_years=years)
    return entry


# -- files --------------------------------------------------------------------------------

def may_open(user, records, entry):
    """Clerks and archivists open any file of the plan; a processor those of their own unit."""
    code = records.__parent__.code
    if user.body_code != code:
        return False
    if user.has_role(S.CLERK) or user.has_role(S.ARCHIVIST):
        return True
    return user.has_role(S.PROCESSOR) and entry.unit_code is not None and entry.unit_code == user.unit_code


def open_file(root, body, values, user):
    """Open the file of a plan entry (``year``, ``plan_entry``); the responsible person is the one
    who opens it unless ``responsible`` names another user of the body. A second file of the same
    entry in a year gets ``-2``, ``-3``... after the code."""
    records = ensure_records(body)
    year = parse_year(values.get('year'))
    code = _text(values, 'plan_entry', 30)
    entry = records.plans.get(year, {}).get(code)
    if entry is None:
        raise _error('plan_entry', 'plan_entry_unknown', _(
            'plan_entry_unknown', default='Danh mục hồ sơ năm ${year} không có ký hiệu "${code}"',
            mapping={'year': year, 'code': code}))
    if not may_open(user, records, entry):
        raise Conflict('file_open_not_allowed', _(
            'file_open_not_allowed', default='Chỉ văn thư, lưu trữ viên hoặc chuyên viên của đơn vị được giao mới mở hồ sơ này'))
    responsible = _text(values, 'responsible', 64, required=False) or user.login
    person = root['users'].get(responsible)
    if person is None or person.body_code != body.code:
        raise _error('responsible', 'responsible_unknown', _(
            'responsible_unknown', default='Người chịu trách nhiệm "${login}" không thuộc cơ quan',
            mapping={'login': responsible}))
    taken = {f.code for f in records.files.values() if f.year == year and f.plan_entry == code}
    file_code, n = code, 1
    while file_code in taken:
        n += 1
        file_code = f'{code}-{n}'
    title = _text(values, 'title', 500, required=False) or entry.title
    f = records.add_file(RecordsFile(file_code, title, year, body.code, entry.unit_code, responsible,
                                     clock.today(), code, entry.retention_years))
    audit.append(root, f.chain_id, 'file_opened', user.login, code=file_code, title=title, year=year,
                 plan_entry=code, responsible=responsible, retention_years=entry.retention_years)
    return f


def _resolve(root, doc, ref):
    """The file a filing names: ``name`` (the document's body) or ``<body code>/<name>``."""
    if not isinstance(ref, str) or not ref.strip():
        raise _error('file', 'required', _('required', default='Bắt buộc phải nhập'))
    code, sep, name = ref.strip().rpartition('/')
    code = code if sep else doc.body_code
    if code != doc.body_code:
        raise Conflict('file_other_body', _(
            'file_other_body', default='Hồ sơ thuộc cơ quan khác: văn bản chỉ được lập vào hồ sơ của cơ quan mình'))
    return get_file(records_of(root['bodies'][code]), name)


def not_fileable(doc):
    """The refusal for a document its state keeps out of files (a draft, one only arrived, refused,
    recalled or deleted: ``fileable`` in workflows/*.zcml), or None when it may be filed."""
    if fileable(doc):
        return None
    return Conflict('document_not_fileable', _(
        'document_not_fileable', default='Văn bản đang ở trạng thái "${state}": chỉ lập vào hồ sơ văn bản đến đã '
        'vào sổ và văn bản đi đã ban hành (đã ký số), không lập dự thảo, văn bản chưa vào sổ, đã từ chối nhận, '
        'đã thu hồi hay đã xóa', mapping={'state': state_title(doc, None)}))


def file_document(root, doc, ref, user, may_view_file):
    """Put a document into an open file of its own body (a document belongs to one file, and only
    one its state lets be filed); counts the documents and pages. ``may_view_file(f)``: whether the
    user may see that file."""
    refusal = not_fileable(doc)
    if refusal is not None:
        raise refusal
    f = _resolve(root, doc, ref)
    if not may_view_file(f):
        raise Unknown('file_unknown', _('file_unknown', default='Không có hồ sơ "${name}"',
                                        mapping={'name': ref}))
    if f.state != OPEN:
        raise Conflict('file_closed', _(
            'file_closed', default='Hồ sơ ${code} đã đóng: không lập thêm văn bản vào được',
            mapping={'code': f.code}))
    records = f.__parent__
    current = records.file_of(doc.__name__)
    if current is not None:
        raise Conflict('document_already_filed', _(
            'document_already_filed', default='Văn bản đã thuộc hồ sơ ${code} (${year})',
            mapping={'code': current.code, 'year': current.year}))
    f.document_names.append(doc.__name__)
    records.by_document[doc.__name__] = f.__name__
    f.page_count += doc.pages or 0
    audit.append(root, f.chain_id, 'document_filed', user.login, document=doc.__name__,
                 number_symbol=doc.number_symbol, pages=doc.pages)
    audit.append(root, doc.chain_id, 'filed', user.login, file=f.code, year=f.year, file_name=f.__name__)
    return f


def documents_of(f):
    """The file's documents, in filing order."""
    return (doc for _name, doc in named_documents(f))


def named_documents(f):
    """The file's documents with their names, in filing order, not loaded (what the transfer
    package writes: its workers load them)."""
    documents = f.__parent__.__parent__.documents
    for name in f.document_names:
        doc = documents.get(name)
        if doc is not None:
            yield name, doc


def may_close(user, f, manage):
    return manage or user.login == f.responsible


def close_file(root, f, user, settings, manage=False):
    """Close a file: its retention becomes the longest of its entry's and its documents' types'
    (a file is kept as long as its longest-kept document), what it was taken from is kept
    (``retention_basis``), and it starts today."""
    if not may_close(user, f, manage):
        raise Conflict('file_close_not_allowed', _(
            'file_close_not_allowed', default='Chỉ người lập hồ sơ, văn thư hoặc lưu trữ viên mới đóng được hồ sơ'))
    if f.state != OPEN:
        raise Conflict('file_not_open', _('file_not_open', default='Hồ sơ ${code} không còn mở',
                                          mapping={'code': f.code}))
    if not f.document_names:
        raise Conflict('file_empty', _('file_empty_close', default='Hồ sơ ${code} chưa có văn bản nào: không đóng được',
                                       mapping={'code': f.code}))
    docs = list(documents_of(f))
    f.retention_years, f.retention_basis = retention.of_file(settings, f.retention_years, f.plan_entry, docs)
    f.page_count = sum(doc.pages or 0 for doc in docs)
    f.closed_on = clock.today()
    f.state = CLOSED
    f.__parent__.index(f)
    audit.append(root, f.chain_id, 'file_closed', user.login, closed_on=f.closed_on.isoformat(),
                 retention_years=f.retention_years, retention_basis=dict(f.retention_basis),
                 documents=len(docs), pages=f.page_count,
                 due_on=f.due_on.isoformat() if f.due_on else None)
    return f


def keep_file(root, f, reason, user):
    """Appraisal: the file is kept (not destroyed) past its retention, with the reason."""
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 1000:
        raise _error('reason', 'required', _('required', default='Bắt buộc phải nhập'))
    if f.state != CLOSED:
        raise Conflict('file_not_closed', _('file_not_closed', default='Hồ sơ ${code} chưa đóng',
                                            mapping={'code': f.code}))
    f.kept = {'reason': reason.strip(), 'by': user.login, 'at': clock.iso(clock.now())}
    audit.append(root, f.chain_id, 'file_kept', user.login, reason=reason.strip())
    return f


def due_for_appraisal(records, today, horizon_days):
    """Closed files whose retention ends by ``today`` + the horizon (read from the index of due
    dates: only those files are loaded), soonest first."""
    if records is None:
        return []
    return records.due_by(today + dt.timedelta(days=horizon_days))


def set_disposed(f, state, when):
    """A file transferred or destroyed leaves the indexes."""
    old_due = f.due_on
    f.state, f.batch, f.disposed_at = state, None, when
    f.__parent__.index(f, old_due)


def as_json(f, request_may_view_docs=None):
    """A file as the API shows it."""
    return {
        'name': f.__name__, 'code': f.code, 'title': f.title, 'year': f.year, 'body': f.body_code,
        'unit': f.unit_code, 'responsible': f.responsible, 'plan_entry': f.plan_entry,
        'state': f.state, 'opened_on': f.opened_on.isoformat(),
        'closed_on': f.closed_on.isoformat() if f.closed_on else None,
        'retention_years': f.retention_years,
        'retention_basis': dict(f.retention_basis) if f.retention_basis else None,
        'due_on': f.due_on.isoformat() if f.due_on else None,
        'documents': list(f.document_names), 'document_count': f.document_count, 'page_count': f.page_count,
        'secret': f.secret, 'batch': f.batch, 'kept': dict(f.kept) if f.kept else None,
    }


def entry_json(entry):
    return {'year': entry.year, 'code': entry.code, 'title': entry.title, 'unit': entry.unit_code,
            'retention_years': entry.retention_years}

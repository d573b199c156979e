"""Disposition batches: transfer to the archive (nộp lưu) and destruction (hủy) of records files.

An archivist selects closed files (by year, plan entry, retention due) into a batch and submits
it; a leader of the body approves it (or returns it). A transfer batch is then exported as a
transfer package (``archival.sip``, validated before anything is marked) and marked transferred
only when the archive confirms receipt (an uploaded receipt, or a reference and a date). A
destruction batch takes only files whose retention has ended and that appraisal did not keep;
destroying removes the documents' files (blobs), keeps their metadata, and leaves a destruction
record: a protocol PDF signed with the body's organisation key. Nothing is half-marked: every
check runs before the first change, in one transaction.

A Mật file is refused from a transfer batch unless ``archive.transfer_secret`` allows it (the
package then carries it encrypted for the archive's certificate). States::

    transfer:    draft → submitted → approved → exported → transferred
    destruction: draft → submitted → approved → destroyed
    (submitted → draft when the leader returns it)
"""
import os

from persistent import Persistent
from persistent.list import PersistentList

from .. import audit, clock
from .. import security as S
from ..errors import Conflict, InputError, Unknown
from ..i18n import _, plural
from . import files as F
from . import retention
from . import sip

TRANSFER, DESTROY = 'transfer', 'destroy'
KINDS = {TRANSFER: _('batch_kind_transfer', default='Nộp lưu'),
         DESTROY: _('batch_kind_destroy', default='Hủy hồ sơ hết thời hạn bảo quản')}
DRAFT, SUBMITTED, APPROVED, EXPORTED, TRANSFERRED, DESTROYED = (
    'draft', 'submitted', 'approved', 'exported', 'transferred', 'destroyed')
STATES = {
    DRAFT: _('batch_state_draft', default='Đang lập danh sách'),
    SUBMITTED: _('batch_state_submitted', default='Chờ lãnh đạo duyệt'),
    APPROVED: _('batch_state_approved', default='Đã duyệt'),
    EXPORTED: _('batch_state_exported', default='Đã xuất gói, chờ Lưu trữ xác nhận'),
    TRANSFERRED: _('batch_state_transferred', default='Đã nộp lưu'),
    DESTROYED: _('batch_state_destroyed', default='Đã hủy'),
}
IN_PROGRESS = (DRAFT, SUBMITTED, APPROVED, EXPORTED)


class Batch(Persistent):
    __name__ = None
    __parent__ = None
    submitted = approved = returned = exported = confirmed = destruction = None
    receipt = None               # resources.files.File: the archive's receipt, when uploaded
    protocol = None              # resources.files.File: the signed destruction protocol
    progress = None              # (before export jobs: unused)
    export_job = None            # archival.export_jobs.ExportJob: the export asked for, its progress

    def __init__(self, kind, body_code, title, criteria, actor):
        self.kind = kind
        self.body_code = body_code
        self.title = title
        self.criteria = dict(criteria)
        self.state = DRAFT
        self.file_names = PersistentList()
        self.created_by = actor
        self.created_at = clock.now()

    @property
    def chain_id(self):
        return f'batch:{self.body_code}:{self.__name__}'

    @property
    def package_id(self):
        """The transfer package's id (its root folder's name)."""
        return f'{self.body_code}-nop-luu-{self.__name__}'

    def files(self):
        records = self.__parent__
        return [records.files[n] for n in self.file_names if n in records.files]


def _bad(field, code, message):
    return InputError([{'field': field, 'code': code, 'message': message}])


def get_batch(records, name):
    batch = records.batches.get(name) if records is not None else None
    if batch is None:
        raise Unknown('batch_unknown', _('batch_unknown', default='Không có lô hồ sơ "${name}"',
                                         mapping={'name': name}))
    return batch


def find_batch(root, name):
    """A batch by ``<body code>/<name>`` or by its package id, in any body (the command line)."""
    code, sep, short = (name or '').rpartition('/')
    for body in root['bodies'].values():
        records = F.records_of(body)
        if records is None or (sep and body.code != code):
            continue
        for batch in records.batches.values():
            if (sep and batch.__name__ == short) or batch.package_id == name:
                return batch
    raise Unknown('batch_unknown', _('batch_unknown', default='Không có lô hồ sơ "${name}"',
                                     mapping={'name': name}))


def select(records, year=None, plan_entry=None, due_by=None, kind=TRANSFER):
    """The closed files a batch could take: of ``year``, of ``plan_entry``, with retention ending
    by ``due_by`` (a date); those in another batch are left out."""
    out = []
    candidates = records.due_by(due_by) if due_by is not None else records.files.values()
    for f in candidates:
        if f.state != F.CLOSED or f.batch is not None:
            continue
        if year is not None and f.year != year:
            continue
        if plan_entry and f.plan_entry != plan_entry:
            continue
        if due_by is not None and not retention.is_due(f.closed_on, f.retention_years, due_by):
            continue
        if kind == DESTROY and (f.kept or f.retention_years is None):
            continue
        out.append(f)
    return sorted(out, key=lambda f: (f.year, f.code))


def check_file(f, kind, settings, today):
    """Why ``f`` cannot go in a batch of ``kind``: an ``(code, message)``, or None."""
    if f.state != F.CLOSED:
        return 'file_not_closed', _('batch_file_not_closed', default='Hồ sơ ${code} chưa đóng hoặc đã xử lý',
                                    mapping={'code': f.code})
    if f.batch is not None:
        return 'file_in_batch', _('file_in_batch', default='Hồ sơ ${code} đã ở trong lô ${batch}',
                                  mapping={'code': f.code, 'batch': f.batch})
    if kind == TRANSFER and f.secret and not settings.transfer_secret:
        return 'batch_secret_file', _(
            'batch_secret_file', default='Hồ sơ ${code} có văn bản Mật: không đưa vào lô nộp lưu '
            '(văn bản Mật chuyển theo kênh riêng; chỉ nộp lưu khi cấu hình cho phép và gói được mã hóa)',
            mapping={'code': f.code})
    if kind == DESTROY:
        if f.kept:
            return 'file_kept', _('file_kept', default='Hồ sơ ${code} đã được thẩm định giữ lại: không hủy',
                                  mapping={'code': f.code})
        if not retention.is_due(f.closed_on, f.retention_years, today):
            return 'file_not_due', _('file_not_due', default='Hồ sơ ${code} chưa hết thời hạn bảo quản',
                                     mapping={'code': f.code})
    return None


def _refuse_files(chosen, kind, settings):
    today = clock.today()
    errors = []
    for f in chosen:
        why = check_file(f, kind, settings, today)
        if why is not None:
            errors.append({'field': 'files', 'code': why[0], 'message': why[1]})
    if errors:
        raise InputError(errors)


def create(root, body, values, settings, actor):
    """A new batch of the files named (``files``: file names), each checked first; none marked
    when one is refused."""
    kind = values.get('kind', TRANSFER)
    if not isinstance(kind, str) or kind not in KINDS:
        raise _bad('kind', 'batch_kind_invalid', _('batch_kind_invalid', default='Loại lô không hợp lệ'))
    records = F.ensure_records(body)
    names = values.get('files')
    if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
        raise _bad('files', 'required', _('required', default='Bắt buộc phải nhập'))
    names = list(dict.fromkeys(names))
    if not names:
        raise _bad('files', 'batch_empty', _('batch_empty', default='Chưa chọn hồ sơ nào'))
    chosen = [F.get_file(records, n) for n in names]
    _refuse_files(chosen, kind, settings)
    title = values.get('title')
    if title is not None and (not isinstance(title, str) or len(title) > 500):
        raise _bad('title', 'text_invalid', _('text_invalid', default='Nội dung không hợp lệ'))
    records.batch_seq += 1
    criteria = values.get('criteria') if isinstance(values.get('criteria'), dict) else {}
    criteria = {k: criteria.get(k) for k in ('year', 'plan_entry', 'due')
                if isinstance(criteria.get(k), (str, int, bool))}
    batch = Batch(kind, body.code, (title or '').strip(), criteria, actor)
    batch.__name__ = str(records.batch_seq)
    batch.__parent__ = records
    records.batches[batch.__name__] = batch
    for f in chosen:
        f.batch = batch.__name__
        batch.file_names.append(f.__name__)
    audit.append(root, batch.chain_id, 'batch_created', actor, kind=kind,
                 files=[[f.__name__, f.code, f.year] for f in chosen], criteria=batch.criteria)
    return batch


def _state(batch, allowed, code, message):
    if batch.state not in allowed:
        raise Conflict(code, message)


def _stamp(user, **more):
    return {'by': user.login, 'at': clock.iso(clock.now()), **more}


def submit(root, batch, user):
    _state(batch, (DRAFT,), 'batch_not_draft', _('batch_not_draft', default='Lô đã được trình duyệt'))
    batch.state = SUBMITTED
    batch.submitted = _stamp(user)
    audit.append(root, batch.chain_id, 'batch_submitted', user.login)
    return batch


def approve(root, batch, user, settings):
    """The leader's approval; the files are checked again (a Mật file may have been filed since)."""
    _state(batch, (SUBMITTED,), 'batch_not_submitted', _('batch_not_submitted', default='Lô chưa được trình duyệt'))
    today = clock.today()
    errors = []
    for f in batch.files():
        f.batch = None                  # its own batch does not count against it
        why = check_file(f, batch.kind, settings, today)
        f.batch = batch.__name__
        if why is not None and why[0] != 'file_in_batch':
            errors.append({'field': 'files', 'code': why[0], 'message': why[1]})
    if errors:
        raise InputError(errors)
    batch.state = APPROVED
    batch.approved = _stamp(user)
    audit.append(root, batch.chain_id, 'batch_approved', user.login)
    return batch


def send_back(root, batch, user, reason):
    """The leader returns the batch to the archivist, with the reason."""
    _state(batch, (SUBMITTED,), 'batch_not_submitted', _('batch_not_submitted', default='Lô chưa được trình duyệt'))
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 1000:
        raise _bad('reason', 'required', _('required', default='Bắt buộc phải nhập'))
    batch.state = DRAFT
    batch.returned = _stamp(user, reason=reason.strip())
    audit.append(root, batch.chain_id, 'batch_returned', user.login, reason=reason.strip())
    return batch


# -- transfer -----------------------------------------------------------------------------

def check_exportable(batch, settings):
    """What refuses an export before any work: the kind, the state, a Mật file."""
    _check_export_state(batch)
    secret = [f.code for f in batch.files() if f.secret]
    if secret and not settings.transfer_secret:
        raise Conflict('batch_secret_file', _(
            'batch_secret_file', default='Hồ sơ ${code} có văn bản Mật: không đưa vào lô nộp lưu '
            '(văn bản Mật chuyển theo kênh riêng; chỉ nộp lưu khi cấu hình cho phép và gói được mã hóa)',
            mapping={'code': ', '.join(secret)}))


def _check_export_state(batch):
    if batch.kind != TRANSFER:
        raise Conflict('batch_not_transfer', _('batch_not_transfer', default='Lô hủy không xuất gói nộp lưu'))
    if batch.state == TRANSFERRED:
        raise Conflict('batch_transferred', _(
            'batch_transferred', default='Lô đã nộp lưu (Lưu trữ đã xác nhận): không xuất lại'))
    _state(batch, (APPROVED, EXPORTED), 'batch_not_approved', _(
        'batch_not_approved', default='Lô chưa được lãnh đạo duyệt'))


def transfer_dir(settings):
    return settings.transfer_dir or os.path.join('var', 'transfer')


def package_path(settings, batch):
    return os.path.join(transfer_dir(settings), batch.package_id + '.zip')


def export(root, batch, settings, user, progress=None, bag=False):
    """Write the batch's transfer package (resuming an interrupted run) and validate it; with
    ``bag``, wrap it as a BagIt bag beside it (``<package id>.bag``) and validate that too; mark the
    batch exported only when all is valid. The one way a package is written and checked: the
    pages and the API (through the export job, ``archival.export_jobs``) and ``archive-transfer``.
    The package writer is the transfer part's (``archival.sip``)."""
    check_exportable(batch, settings)
    body = batch.__parent__.__parent__
    target = package_path(settings, batch)
    os.makedirs(transfer_dir(settings), exist_ok=True)
    report = sip.write_package(target, batch.package_id, body, batch.files(), F.named_documents, progress=progress,
                               allow_secret=settings.transfer_secret, settings=settings,
                               archive_certificate=settings.transfer_certificate, workers=settings.export_workers,
                               summaries=body.documents.summaries)
    problems = sip.validate(target)
    if bag and not problems:
        bag = sip.make_bag(target, os.path.join(transfer_dir(settings), batch.package_id + '.bag'), body,
                           batch.package_id)
        problems = sip.validate(bag)
    if problems:
        audit.append(root, batch.chain_id, 'batch_export_invalid', user.login,
                     problems=[str(p) for p in problems][:50])
        raise Conflict('package_invalid', plural(
            'package_invalid', len(problems), default='Gói nộp lưu không hợp lệ (${n} lỗi): lô chưa được đánh dấu đã xuất'))
    return record_export(root, batch, target, report, user, bag=bag or None)


def _plain(report):
    """The export report as plain values (for the batch page, the API and the journal): numbers and
    text, and lists and mappings of them kept as such (the page lists the problems in words; they
    were once kept as the text of a Python list)."""
    import dataclasses
    if dataclasses.is_dataclass(report):
        report = dataclasses.asdict(report)
    elif hasattr(report, '_asdict'):
        report = report._asdict()
    elif not isinstance(report, dict):
        report = {k: v for k, v in vars(report).items() if not k.startswith('_')}
    return {str(k): plain_value(v) for k, v in report.items()}


def plain_value(value):
    if isinstance(value, (int, float, bool, str, type(None))):
        return value
    if isinstance(value, (list, tuple)):
        return [plain_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain_value(v) for k, v in value.items()}
    return str(value)


def record_export(root, batch, path, report, user, bag=None):
    """The batch is exported: the package at ``path`` (and its bag at ``bag``) is valid and waits
    for the archive."""
    _check_export_state(batch)
    batch.state = EXPORTED
    more = {'bag': str(bag)} if bag else {}
    batch.exported = _stamp(user, path=str(path), report=_plain(report), **more)
    audit.append(root, batch.chain_id, 'batch_exported', user.login, path=str(path), report=batch.exported['report'],
                 **more)
    return batch


def confirm(root, batch, values, user, receipt=None, settings=None):
    """The archive confirmed receipt: a reference and a date, and/or an uploaded receipt (``receipt``:
    a ``resources.files.File`` already stored). The batch and its files are marked transferred."""
    if batch.kind != TRANSFER:
        raise Conflict('batch_not_transfer', _('batch_not_transfer', default='Lô hủy không xuất gói nộp lưu'))
    if batch.state == TRANSFERRED:
        raise Conflict('batch_already_transferred', _(
            'batch_already_transferred', default='Lô đã được xác nhận nộp lưu'))
    _state(batch, (EXPORTED,), 'batch_not_exported', _(
        'batch_not_exported', default='Lô chưa xuất gói nộp lưu: chưa thể xác nhận'))
    reference = values.get('reference')
    if reference is not None and (not isinstance(reference, str) or len(reference) > 200
                                  or any(not ch.isprintable() for ch in reference)):
        raise _bad('reference', 'text_invalid', _('text_invalid', default='Nội dung không hợp lệ'))
    reference = (reference or '').strip()
    if not reference and receipt is None:
        raise _bad('reference', 'receipt_missing', _(
            'receipt_missing', default='Cần số hiệu biên bản giao nhận của Lưu trữ, hoặc tệp biên nhận'))
    on = values.get('date')
    try:
        import datetime as dt
        on = on if isinstance(on, dt.date) else dt.date.fromisoformat(on)
    except (TypeError, ValueError):
        raise _bad('date', 'date_invalid', _('date_invalid', default='Ngày không hợp lệ: dùng dạng YYYY-MM-DD')) from None
    if on > clock.today():
        raise _bad('date', 'date_in_future', _('date_in_future', default='Ngày không được ở tương lai'))
    batch.state = TRANSFERRED
    batch.confirmed = _stamp(user, reference=reference, date=on.isoformat())
    if receipt is not None:
        receipt.__parent__ = batch
        batch.receipt = receipt
        batch.confirmed.update(receipt=receipt.filename, receipt_sha256=receipt.sha256)
    now = clock.now()
    for f in batch.files():
        F.set_disposed(f, F.TRANSFERRED, now)
        audit.append(root, f.chain_id, 'file_transferred', user.login, batch=batch.__name__, reference=reference)
    audit.append(root, batch.chain_id, 'batch_transferred', user.login, reference=reference,
                 date=on.isoformat(), receipt_sha256=receipt.sha256 if receipt is not None else None)
    return batch


def in_progress(records):
    if records is None:
        return []
    return [b for b in records.batches.values() if b.state in IN_PROGRESS]


def as_json(batch):
    return {
        'name': batch.__name__, 'kind': batch.kind, 'state': batch.state, 'title': batch.title,
        'body': batch.body_code, 'package_id': batch.package_id, 'files': list(batch.file_names),
        'criteria': dict(batch.criteria), 'created_by': batch.created_by,
        'created_at': clock.iso(batch.created_at),
        **{k: (dict(getattr(batch, k)) if getattr(batch, k) else None)
           for k in ('submitted', 'approved', 'returned', 'exported', 'confirmed', 'destruction')},
        'export_job': batch.export_job.as_json() if batch.export_job is not None else None,
    }


# -- one entry for pages, API and command line ----------------------------------------------

ACTIONS = {'submit': S.MANAGE_BATCHES, 'approve': S.APPROVE_BATCHES, 'return': S.APPROVE_BATCHES,
           'export': S.MANAGE_BATCHES, 'confirm': S.MANAGE_BATCHES, 'destroy': S.MANAGE_BATCHES}
ACTION_TITLES = {
    'submit': _('batch_submit', default='Trình lãnh đạo duyệt'),
    'approve': _('batch_approve', default='Duyệt'),
    'return': _('batch_return', default='Trả lại'),
    'export': _('batch_export', default='Xuất gói nộp lưu'),
    'confirm': _('batch_confirm', default='Xác nhận Lưu trữ đã nhận'),
    'destroy': _('batch_destroy', default='Hủy hồ sơ và lập biên bản'),
}


def available(batch):
    """The actions the batch's state offers (who may take them: ``ACTIONS``)."""
    if batch.state == DRAFT:
        return ['submit'] if batch.file_names else []
    if batch.state == SUBMITTED:
        return ['approve', 'return']
    exporting = batch.export_job is not None and batch.export_job.state in ('queued', 'running')
    if batch.state == APPROVED:
        return ([] if exporting else ['export']) if batch.kind == TRANSFER else ['destroy']
    if batch.state == EXPORTED:
        return ['confirm']          # its package is made: exporting again is the command line's --overwrite
    return []


def unknown_action(action):
    return Unknown('batch_action_unknown', _('batch_action_unknown', default='Không có thao tác "${action}"',
                                             mapping={'action': action}))

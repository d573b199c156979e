"""Destroying an approved destruction batch (hủy hồ sơ hết thời hạn bảo quản): the protocol made
and signed with the body's organisation key before anything is removed, then each document's
content removed, the metadata and the trail kept (see ``batches`` for the batch's life)."""
import io

from .. import audit, clock
from ..exchange.recall import destroy as destroy_content
from ..reports.exports import Table, to_pdf
from ..resources.files import PDF, File, write_content
from ..signing.keys import KeyStoreError
from ..signing.pades import SigningFailed, sign_pdf
from ..errors import Conflict
from ..i18n import _
from . import files as F
from . import retention
from .batches import APPROVED, DESTROY, DESTROYED, _stamp, _state

PROTOCOL_COLUMNS = ('STT', 'Ký hiệu hồ sơ', 'Tiêu đề hồ sơ', 'Năm', 'Thời hạn bảo quản', 'Ngày đóng',
                    'Hết hạn', 'Số văn bản', 'Số trang')


def protocol_pdf(body, batch, files, approver, when):
    """The destruction protocol (biên bản hủy hồ sơ) as a PDF table."""
    rows = [(str(n), f.code, f.title, str(f.year), f'{f.retention_years} năm', f.closed_on.isoformat(),
             f.due_on.isoformat(), str(f.document_count), str(f.page_count)) for n, f in enumerate(files, 1)]
    subtitle = (f'{body.name} ({body.code}) — lô {batch.__name__}, duyệt bởi {approver}, '
                f'hủy lúc {clock.iso(when)}')
    return to_pdf(Table('Biên bản hủy hồ sơ hết thời hạn bảo quản', subtitle, PROTOCOL_COLUMNS, rows))


def destroy(root, batch, user, settings):
    """Destroy an approved destruction batch: the protocol is made and signed with the body's
    organisation key first (no key: nothing destroyed), then each document's files are removed
    (the metadata and the trail stay; ``archive-storage verify-destroyed`` covers them)."""
    if batch.kind != DESTROY:
        raise Conflict('batch_not_destroy', _('batch_not_destroy', default='Lô nộp lưu không hủy được'))
    if batch.state == DESTROYED:
        raise Conflict('batch_already_destroyed', _('batch_already_destroyed', default='Lô đã hủy'))
    _state(batch, (APPROVED,), 'batch_not_approved', _('batch_not_approved', default='Lô chưa được lãnh đạo duyệt'))
    files = batch.files()
    not_due = [f for f in files if f.kept or not retention.is_due(f.closed_on, f.retention_years, clock.today())]
    if not_due:
        f = not_due[0]
        raise Conflict('file_not_due', _('file_not_due', default='Hồ sơ ${code} chưa hết thời hạn bảo quản',
                                         mapping={'code': f.code}))
    body = batch.__parent__.__parent__
    key_id = f'org-sign:{body.code}'
    store = settings.keystore
    now = clock.now()
    content = protocol_pdf(body, batch, files, batch.approved['by'], now)
    not_signed = Conflict('destruction_not_signed', _(
        'destruction_not_signed', default='Không ký số được biên bản hủy bằng khóa của cơ quan (${key}): '
        'chưa hủy gì', mapping={'key': key_id}))
    if store is None:
        raise not_signed
    try:
        signed = sign_pdf(content, store.signer(key_id), field_name='ChuKyToChuc', now=now)
    except (KeyStoreError, SigningFailed) as exc:
        raise not_signed from exc
    protocol = File(f'bien-ban-huy-lo-{batch.__name__}.pdf', 'protocol')
    write_content(protocol, io.BytesIO(signed))
    protocol.size, protocol.media_type, protocol.uploaded_at, protocol.uploaded_by = len(signed), PDF, now, user.login
    protocol.__parent__ = batch
    documents = body.documents
    removed = []
    for f in files:
        gone = []
        for name in f.document_names:
            doc = documents.get(name)
            if doc is None:
                continue
            result = destroy_content(root, doc)
            audit.append(root, doc.chain_id, 'destroyed_retention', user.login, file=f.code, batch=batch.__name__,
                         **result)
            gone.append(name)
        F.set_disposed(f, F.DESTROYED, now)
        audit.append(root, f.chain_id, 'file_destroyed', user.login, batch=batch.__name__, documents=gone)
        removed.append([f.__name__, f.code, len(gone)])
    batch.protocol = protocol
    batch.state = DESTROYED
    batch.destruction = _stamp(user, protocol_sha256=protocol.sha256, files=removed)
    audit.append(root, batch.chain_id, 'batch_destroyed', user.login, protocol_sha256=protocol.sha256,
                 files=removed)
    return batch

"""Files as ZODB blobs, with SHA-256, size and a media type detected from the content."""
import hashlib

import filetype
from persistent import Persistent
from ZODB.blob import Blob

from .. import clock
from ..errors import single
from ..i18n import _
from ..schemas.types import nfc

CHUNK = 1 << 16
PDF = 'application/pdf'
MAIN = 'main'
ATTACHMENT = 'attachment'


class File(Persistent):
    """A stored file; never rewritten once committed (a new version is a new File)."""

    def __init__(self, filename, role):
        self.blob = Blob()
        self.filename = filename
        self.role = role
        self.size = 0
        self.sha256 = None
        self.media_type = None
        self.uploaded_at = None
        self.uploaded_by = None

    def open(self):
        return self.blob.open('r')

    def committed(self):
        return self.blob.committed()


def detect(head):
    """The media type from the first bytes; PDF by its header, the rest by ``filetype``."""
    if head.lstrip()[:5] == b'%PDF-':
        return PDF
    kind = filetype.guess(head)
    return kind.mime if kind is not None else 'application/octet-stream'


def clean_filename(name):
    name = nfc(name or '').replace('\\', '/').rsplit('/', 1)[-1].strip()
    name = ''.join(ch for ch in name if ch.isprintable())
    return name[:200] or 'tep'


def ingest(field, filename, stream, role, settings, actor):
    """Copy an upload into a new blob-backed ``File``, checking size and type as it goes.

    Raises ``colander.Invalid`` naming ``field`` for a file over the size limit, a
    main document that is not a PDF, or an attachment of a type not allowed.
    """
    limit = settings.max_upload_bytes
    f = File(clean_filename(filename), role)
    digest = hashlib.sha256()
    size = 0
    head = b''
    with f.blob.open('w') as out:
        while True:
            chunk = stream.read(CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                raise single(field, _(
                    'file_too_large', default='Tệp "${name}" vượt quá giới hạn ${limit} byte',
                    mapping={'name': f.filename, 'limit': limit}))
            if len(head) < 8192:
                head += chunk[:8192 - len(head)]
            digest.update(chunk)
            out.write(chunk)
    if size == 0:
        raise single(field, _('file_empty', default='Tệp "${name}" rỗng', mapping={'name': f.filename}))
    media_type = detect(head)
    if role == MAIN and media_type != PDF:
        raise single(field, _(
            'main_not_pdf', default='Tệp văn bản chính "${name}" không phải PDF (nội dung là ${type})',
            mapping={'name': f.filename, 'type': media_type}))
    if role == ATTACHMENT and media_type not in settings.attachment_types:
        raise single(field, _(
            'attachment_type_not_allowed',
            default='Loại tệp đính kèm "${name}" (${type}) không được phép',
            mapping={'name': f.filename, 'type': media_type}))
    f.size = size
    f.sha256 = digest.hexdigest()
    f.media_type = media_type
    f.uploaded_at = clock.now()
    f.uploaded_by = actor
    return f

"""Files as ZODB blobs, with SHA-256, size and a media type detected from the content."""
import hashlib
import mimetypes

import filetype
from persistent import Persistent
from ZODB.blob import Blob

from .. import clock
from ..errors import single
from ..i18n import Size, _
from ..schemas.types import nfc
from .summary import FILE_WATCHED

CHUNK = 1 << 16
PDF = 'application/pdf'
MAIN = 'main'
ATTACHMENT = 'attachment'


class File(Persistent):
    """A stored file; never rewritten once committed (a new version is a new File).

    A Mật document's files are sealed (``encrypted``): the blob holds ciphertext, ``sha256`` is
    None (a plaintext hash would let anyone confirm a guessed content) and ``stored_sha256`` is
    the hash of the stored ciphertext, which backups and integrity checks use. Its ``filename`` is
    then only its ``sealed_name``; the name it came with is in ``sealed_filename``, sealed."""
    encrypted = False
    unlisted = False        # an attachment of a type not on the list, taken in by exchange: download only
    stored_sha256 = None
    sealed_filename = None

    def __init__(self, filename, role):
        self.blob = Blob()
        self.filename = filename
        self.role = role
        self.size = 0
        self.sha256 = None
        self.media_type = None
        self.uploaded_at = None
        self.uploaded_by = None

    def __setattr__(self, name, value):
        """A value a transfer package writes of a file, changed, changes its document's export
        summary (``resources.summary``; a file not added to a document yet has none)."""
        super().__setattr__(name, value)
        if name in FILE_WATCHED:
            keep = getattr(getattr(self, '__parent__', None), 'keep_summary', None)
            if keep is not None:
                keep()

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


SEALED_NAMES = {MAIN: 'van-ban-mat', ATTACHMENT: 'tep-dinh-kem-mat'}


def sealed_name(role, media_type):
    """The name a sealed (Mật) file is kept under: its role and type only. The name it came
    with is not stored (it often says what the document is about, and names are not sealed)."""
    return SEALED_NAMES.get(role, 'tep-mat') + (mimetypes.guess_extension(media_type or '') or '')


class _Measured:
    """A reader over an upload that counts and keeps the head of what passes through, and stops
    at the size limit: the same for a plain copy and for sealing."""

    def __init__(self, stream, limit, too_large):
        self.stream, self.limit, self.too_large = stream, limit, too_large
        self.size, self.head = 0, b''

    def read(self, n=CHUNK):
        chunk = self.stream.read(n if n and n > 0 else CHUNK)
        self.size += len(chunk)
        if self.size > self.limit:
            raise self.too_large()
        if len(self.head) < 8192:
            self.head += chunk[:8192 - len(self.head)]
        return chunk


class _Hashing:
    """A writer that hashes what it writes (the ciphertext of a sealed file)."""

    def __init__(self, out):
        self.out, self.digest = out, hashlib.sha256()

    def write(self, data):
        self.digest.update(data)
        return self.out.write(data)


def write_content(f, source, sealer=None):
    """Fill ``f``'s new blob from ``source`` (a reader); sealed by ``sealer(src, dst)`` for a
    Mật document. Sets ``sha256`` (plain files only) and ``stored_sha256``."""
    with f.blob.open('w') as out:
        if sealer is None:
            digest = hashlib.sha256()
            while True:
                chunk = source.read(CHUNK)
                if not chunk:
                    break
                digest.update(chunk)
                out.write(chunk)
            f.sha256 = f.stored_sha256 = digest.hexdigest()
        else:
            hashing = _Hashing(out)
            sealer(source, hashing)
            f.encrypted = True
            f.sha256 = None
            f.stored_sha256 = hashing.digest.hexdigest()


def too_large(filename, limit):
    """The refusal of a file over the upload limit (the pages check it as the file is picked too)."""
    return _('file_too_large', default='Tệp "${name}" vượt quá giới hạn ${limit}',
             mapping={'name': filename, 'limit': Size(limit)})


def ingest(field, filename, stream, role, settings, actor, sealer=None, any_type=False):
    """Copy an upload into a new blob-backed ``File``, checking size and type as it goes;
    sealed as it is copied when ``sealer`` is given (the plaintext never reaches the disk).

    Raises ``colander.Invalid`` naming ``field`` for a file over the size limit, a
    main document that is not a PDF, or an attachment of a type not allowed (``any_type``: kept,
    marked ``unlisted``: what another system sent is never lost for its type).
    """
    limit = settings.max_upload_bytes
    f = File(clean_filename(filename), role)

    reader = _Measured(stream, limit, lambda: single(field, too_large(f.filename, limit)))
    write_content(f, reader, sealer)
    size, head = reader.size, reader.head
    if size == 0:
        raise single(field, _('file_empty', default='Tệp "${name}" rỗng', mapping={'name': f.filename}))
    media_type = detect(head)
    if role == MAIN and media_type != PDF:
        raise single(field, _(
            'main_not_pdf', default='Tệp văn bản chính "${name}" không phải PDF (nội dung là ${type})',
            mapping={'name': f.filename, 'type': media_type}))
    if role == ATTACHMENT and media_type not in settings.attachment_types and any_type:
        f.unlisted = True
    elif role == ATTACHMENT and media_type not in settings.attachment_types:
        raise single(field, _(
            'attachment_type_not_allowed',
            default='Loại tệp đính kèm "${name}" (${type}) không được phép',
            mapping={'name': f.filename, 'type': media_type}))
    f.size = size
    f.media_type = media_type
    if f.encrypted:
        f.filename = sealed_name(role, media_type)
    f.uploaded_at = clock.now()
    f.uploaded_by = actor
    return f

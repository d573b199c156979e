"""Finding a stored file's committed blob file without loading its ``Blob``: the one place the
export relies on ZODB's private details (a connection's storage, a FileStorage's blob folder)."""
import os

from ZODB.blob import BLOB_SUFFIX, SAVEPOINT_SUFFIX, BlobStorage
from ZODB.FileStorage import FileStorage
from ZODB.interfaces import BlobError
from ZODB.utils import repr_to_oid

from .workers import snapshot

FOLDERS = (FileStorage, BlobStorage)     # storages whose blob folder is read directly (``_only_revision``)


def open_stored(f):
    """The stored file's committed blob, opened as a plain unbuffered file (no ``BlobFile`` for the
    blob to track, no buffer: every read asks for what it takes); one written in this very
    transaction (not committed yet) through the blob."""
    try:
        return open(_committed(f.blob), 'rb', buffering=0)
    except BlobError:
        return f.open()


def _committed(blob):
    """The file of ``blob`` as committed, as ``Blob.committed()`` gives it, without loading the blob
    when it is a ghost (as every original of a document loaded for the export is): its revision is
    asked of the connection's storage by its oid, and the storage names that revision's file. The
    one place that relies on ZODB's private detail (``_p_jar._storage``: the connection's view of
    the storage, its MVCC snapshot, or the savepoint's storage while the transaction has one; a ZEO
    client's ``loadBlob`` fetches the file into its blob cache). Loading the ``Blob`` cost a third of
    a document's ZODB loads, only to learn that revision. A blob loaded already, or new, or changed
    in this transaction is ZODB's own to answer (``BlobError`` for one not committed); one in a
    savepoint is not committed either."""
    jar = blob._p_jar
    if jar is None or blob._p_changed is not None:
        return blob.committed()
    name = _only_revision(jar, blob._p_oid)
    if name is not None:
        return name
    storage = jar._storage
    serial = storage.load(blob._p_oid)[1]
    name = storage.loadBlob(blob._p_oid, serial)
    if name.endswith(SAVEPOINT_SUFFIX):
        raise BlobError('Uncommitted changes')
    return name


def _only_revision(jar, oid):
    """The file of the blob ``oid`` in a FileStorage's blob folder, when it holds one revision only,
    committed before the connection's snapshot (as every original: a stored file's blob is never
    rewritten, a new version is a new ``File``); None otherwise (ZEO's blob cache, a savepoint, a
    revision newer than the snapshot or more than one: asked of the storage). Its record is not
    read: that read was a third of finding the file."""
    storage = jar.db().storage
    if type(storage) not in FOLDERS or jar._storage is not jar._normal_storage:
        return None
    before = snapshot(jar)
    folder = storage.fshelper.getPathForOID(oid)
    try:
        names = os.listdir(folder)
    except OSError:
        return None                     # not committed: the storage says what it is
    found = [n for n in names if n.endswith(BLOB_SUFFIX)]
    if len(found) != 1 or before is None or repr_to_oid(found[0][:-len(BLOB_SUFFIX)]) >= before:
        return None
    return os.path.join(folder, found[0])

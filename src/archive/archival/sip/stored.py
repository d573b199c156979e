"""Finding a stored file's committed blob file without loading its ``Blob``: the one place the
export relies on ZODB's private details (a connection's storage)."""
from ZODB.blob import SAVEPOINT_SUFFIX
from ZODB.interfaces import BlobError


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
    storage = jar._storage
    serial = storage.load(blob._p_oid)[1]
    name = storage.loadBlob(blob._p_oid, serial)
    if name.endswith(SAVEPOINT_SUFFIX):
        raise BlobError('Uncommitted changes')
    return name

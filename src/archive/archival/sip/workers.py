"""Worker processes that prepare a package's documents while the exporting process writes the zip:
the machine's other cores do the reading.

Most of an export's time is spent before a byte is written: loading each document, its files and
their blobs from ZODB, reading and hashing the originals, and writing the two XML records. A worker
(a process forked from the exporting one, so nothing is imported again) opens the same FileStorage
read-only, at the very snapshot the exporting connection reads (``DB.open(before=...)``: every
worker sees what the exporter would have seen; a document changed in the exporting transaction and
not committed is done by the exporter), and for each batch of documents it is sent (oid, class
and name) returns their entries ready to write (bytes, CRC-32, SHA-256) and journal lines' extras.
The exporting process keeps everything that makes the package what it is, in the documents' order:
the zip, the journal that makes it resumable, METS, the file list. A document a worker does not do
alone (an original longer than one read, a Mật document whose key must be wrapped, anything
unexpected) is done by the exporting process itself, as without workers; a blob missing or damaged
is the same error as without workers, raised when its turn comes.

Only a FileStorage is read this way (a ZEO client's blob cache is its own): other storages export
in one process. A worker ends when the exporting process closes its pipe, or dies (a SIGKILL of the
exporter: the worker's next read or write on the pipe fails). A worker uses nothing of the
exporter's but the writer's plain values and the code: forked from a server's export thread, it
meets no lock another thread held (its database, connection and pipes are its own).

Measured on a shared 2-core machine (bench/README.md) workers cost more CPU than they saved and
gained no wall time, so ``archive.export_workers`` defaults to 1.
"""
import multiprocessing

import ZODB
from ZODB.blob import BlobStorage
from ZODB.FileStorage import FileStorage

from ...db import find_classes_once
from ...errors import Conflict

BATCH = 8                       # documents a message to a worker and back
AHEAD = 2                       # batches sent ahead to each worker (their bytes wait in the pipe)
CACHE = 400                     # objects a worker's connection keeps


def snapshot(jar):
    """The transaction id before which ``jar`` (a ZODB connection) reads, or None if not known.
    ZODB keeps it on the connection's MVCC adapter (``_start``) or, for a historical connection,
    as ``before``."""
    before = getattr(jar, 'before', None)
    return before if before is not None else getattr(getattr(jar, '_storage', None), '_start', None)


class Pool:
    """``submit(...)`` documents, then ``result(ticket)`` of each in the same order. Documents go
    to the workers in batches of ``BATCH``, each worker's in turn, and come back a batch at a time
    (one message each way for ``BATCH`` documents: a message a document cost each side a wake-up)."""

    def __init__(self, writer, jar, count):
        opener = read_only_opener(jar.db().storage)
        before = snapshot(jar)
        self.pipes, self.processes = [], []
        self.gathering, self.sent, self.results = [], 0, {}
        if count < 2 or opener is None or before is None:
            return
        context = multiprocessing.get_context('fork')
        for _ in range(count):
            mine, theirs = context.Pipe()
            process = context.Process(target=_serve, daemon=True,
                                      args=(theirs, [*self.pipes, mine], writer, opener, before))
            process.start()
            theirs.close()
            self.pipes.append(mine)
            self.processes.append(process)
        self.live = [True] * count

    @property
    def depth(self):
        """Documents the exporter may have sent ahead of the one it writes."""
        return AHEAD * BATCH * len(self.pipes)

    def submit(self, doc, records_file, folder, name):
        """A document for the workers: its ticket, or None if they do not take it (the exporting
        process does it)."""
        if not self.pipes or doc._p_oid is None or doc._p_changed:
            return None                 # new or changed in this transaction: the workers read what is committed
        self.gathering.append((doc._p_oid, type(doc), records_file, folder, name))
        ticket = (self.sent, len(self.gathering) - 1)
        if len(self.gathering) == BATCH:
            self._send()
        return ticket

    def _send(self):
        k = self.sent % len(self.pipes)
        if self.live[k]:
            try:
                self.pipes[k].send(self.gathering)
            except OSError:
                self.live[k] = False
        if not self.live[k]:
            self.results[self.sent] = [('local', None)] * len(self.gathering)
        self.sent += 1
        self.gathering = []

    def result(self, ticket):
        """``('ok', prepared)``, ``('error', (code, message, document, file))`` of a TransferError,
        or ``('local', None)``: do it here."""
        batch, n = ticket
        if batch == self.sent:
            self._send()                # the last documents: a batch not full
        if batch not in self.results:
            k = batch % len(self.pipes)
            try:
                self.results = {batch: self.pipes[k].recv()}     # the earlier batches are written
            except (EOFError, OSError):
                self.live[k] = False
                return 'local', None
        return self.results[batch][n]

    def close(self):
        for pipe in self.pipes:
            try:
                pipe.send(None)
            except OSError:
                pass
            pipe.close()
        for process in self.processes:
            process.join(5)
            if process.is_alive():
                process.kill()
                process.join()


def read_only_opener(storage):
    """A function that opens ``storage`` again, read-only, in a worker: a FileStorage with its blob
    folder, or one wrapped in a ``BlobStorage`` (as ``zodburi`` opens a ``file://`` URI with
    ``blobstorage_dir``); None for any other storage."""
    if type(storage) is BlobStorage:
        inner = storage._BlobStorage__storage       # the storage it wraps (its attributes forward to it)
        if type(inner) is not FileStorage:
            return None
        path, folder, layout = inner.getName(), storage.fshelper.base_dir, storage.fshelper.layout_name
        return lambda: BlobStorage(folder, FileStorage(path, read_only=True), layout=layout)
    if type(storage) is FileStorage and getattr(storage, 'blob_dir', None):
        path, folder = storage.getName(), storage.blob_dir
        return lambda: FileStorage(path, read_only=True, blob_dir=folder)
    return None


def _serve(pipe, inherited, writer, opener, before):
    """A worker: prepare each document sent until told to stop (``None``) or the pipe closes."""
    for other in inherited:             # the exporter's ends of the pipes: its death must close them
        other.close()
    db = ZODB.DB(opener(), pool_size=1, cache_size=CACHE)
    find_classes_once(db)
    conn = db.open(before=before)
    done = 0
    try:
        while (batch := pipe.recv()) is not None:
            results = []
            for oid, kind, records_file, folder, name in batch:
                results.append(_prepare(conn, writer, oid, kind, records_file, folder, name))
                done += 1
                release(conn.get(oid), done)
            pipe.send(results)
    except (EOFError, OSError):
        pass
    finally:
        conn.close()
        db.close()


def _prepare(conn, writer, oid, kind, records_file, folder, name):
    try:
        prepared = writer._prepare(records_file, folder, name, _ghost(conn, oid, kind), whole_only=True)
        return ('ok', prepared) if prepared is not None else ('local', None)
    except Conflict as exc:             # a TransferError: the same the exporter would raise
        return 'error', (exc.code, exc.message, getattr(exc, 'document', None), getattr(exc, 'file', None))
    except Exception:                   # noqa: BLE001 - the exporter does it and says what is wrong
        return 'local', None


def _ghost(conn, oid, kind):
    """The document as a ghost of its known class: ``conn.get(oid)`` would load its record once
    more only to learn the class (ZODB makes ghosts this way when it unpickles a reference)."""
    obj = conn._cache.get(oid)
    if obj is None:
        obj = kind.__new__(kind)
        conn._cache.new_ghost(oid, obj)
    return obj


def release(doc, n):
    """Let the connection's cache drop a document once written, and every hundred documents
    shrink the cache to its size (the journal chains read for PREMIS): memory stays flat."""
    jar = getattr(doc, '_p_jar', None)
    if jar is None or doc._p_changed:
        return
    if doc._p_changed is not None:          # not a ghost already (a document resumed is not loaded)
        for f in doc.file_list():
            if not f._p_changed:
                f._p_deactivate()
        doc._p_deactivate()
    if n % 100 == 0:
        jar.cacheGC()

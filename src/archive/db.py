"""The database: creating the root, running evolve steps, and writing apart.

"Writing apart" is for the few records that must survive the request's own
abort: a refusal at the entry point (nothing of the document is stored, but the
refusal is), and failed login counts.
"""
import logging
import random
import time

import transaction
from ZODB.broken import Broken
from ZODB.POSException import ConflictError

from . import refused
from .resources.root import ArchiveRoot, root_key

log = logging.getLogger(__name__)


def database(registry):
    return registry._zodb_databases['']


def find_classes_once(db):
    """Let ``db`` find each class its records name once, for the life of the process: ZODB asks
    its ``classFactory`` for every class of every record it loads (a document, its files, their
    blobs, their datetimes: about fifteen a document) and that looks the module up each time.

    A class not found (ZODB's ``Broken`` stand-in) is not kept: its module may come later. The
    connections the database opened already (the one it made its root with, waiting in its pool)
    took the factory when they were made, so their readers are given this one too (a private
    attribute of ZODB's ``Connection``: nothing public hands a connection a new factory)."""
    found = {}
    ask = db.classFactory

    def class_factory(connection, modulename, globalname):
        try:
            return found[modulename, globalname]
        except KeyError:
            pass
        klass = ask(connection, modulename, globalname)
        if not (isinstance(klass, type) and issubclass(klass, Broken)):
            found[modulename, globalname] = klass
        return klass
    db.classFactory = class_factory
    db._connectionMap(lambda conn: setattr(conn._reader, '_factory', class_factory))
    return db


def ensure_root(conn, key):
    """Create the application root on first start; return (root, created)."""
    zroot = conn.root()
    if key not in zroot:
        from .evolve import STEPS
        root = ArchiveRoot()
        for name, _fn in STEPS:
            root.evolved.add(name)   # a new database already has every step's shape
        zroot[key] = root
        return root, True
    return zroot[key], False


def run_apart(registry, fn, attempts=5, backoff=0.0):
    """Run ``fn(root)`` in a transaction of its own, retried on conflict; return its result.
    ``backoff``: wait a random time up to ``backoff`` x the attempt's number (seconds) before
    retrying, so that workers that collided do not collide again at once."""
    tm = transaction.TransactionManager()
    conn = database(registry).open(transaction_manager=tm)
    try:
        for attempt in range(attempts):
            try:
                with tm:
                    result = fn(conn.root()[root_key(registry)])
                return result
            except ConflictError:
                if attempt == attempts - 1:
                    raise
                log.info('conflict writing apart, retrying')
                if backoff:
                    time.sleep(random.uniform(0, backoff * (attempt + 1)))
    finally:
        conn.close()


def flush_refused(registry, force=False):
    """Write the refusal counts this process holds (``refused``), when due or ``force``; a
    failure is logged, never raised (counting must not fail an answer). Returns how many records."""
    counts = refused.take(registry, force=force)
    if not counts:
        return 0
    try:
        run_apart(registry, lambda root: refused.write(registry, root, counts))
    except Exception:   # the loss of some counting is logged, never raised
        log.exception('refusal counts not written: %s', counts)
    return len(counts)

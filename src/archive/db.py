"""The database: creating the root, running evolve steps, and writing apart.

"Writing apart" is for the few records that must survive the request's own
abort: a refusal at the entry point (nothing of the document is stored, but the
refusal is), and failed login counts.
"""
import logging
import random
import time

import transaction
from ZODB.POSException import ConflictError

from . import refused
from .resources.root import ArchiveRoot, root_key

log = logging.getLogger(__name__)


def database(registry):
    return registry._zodb_databases['']


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

"""The worker's part of the statistics counters: folding each shard's pending events into the
roll-ups, day sets and late sets after commit (``counters``: a registration only appends its
record, which readers already count; the fold is ~1.3 ms for 32 records, mostly loading the
day-set buckets they fall in, and was paid by one registration in 32 before it moved here).

Run by the exchange worker's round (a thread of the server on FileStorage, ``archive-worker`` on
ZEO), woken by the commit that brings a shard to ``counters.FOLD_AT``. Each shard is folded in a
transaction of its own, retried on conflict (a valve's fold of the same shard at once); a shard
that fails is logged and left for the next round, and the others are folded.

The worker is woken by every commit that queues a status message (every registration), and a look
at the 32 shards costs a transaction (~0.4 ms of CPU a registration, measured): the round looks
only when this process committed a shard at ``FOLD_AT`` (``counters.WANTED``), or every
``LOOK_EVERY`` seconds for the commits of other processes (``archive-worker`` on ZEO).
"""
import logging
import time

from ..db import database, run_apart
from . import counters

log = logging.getLogger(__name__)
LOOK_EVERY = 10.0       # seconds: at 256 (VALVE) a shard would need ~22 events/s of it meanwhile


def fold_due(registry, attempts=5, force=False):
    """Fold every shard that has ``FOLD_AT`` pending events or more, when there may be some (or
    ``force``); the number of events folded."""
    looked, db = registry.__dict__.setdefault('archive_folds_looked', [0.0]), database(registry)
    if not (force or db in counters.WANTED or time.monotonic() - looked[0] >= LOOK_EVERY):
        return 0
    counters.WANTED.discard(db)
    looked[0] = time.monotonic()
    parts = run_apart(registry, lambda root: counters.due(counters.stats_of(root)))
    folded = 0
    for part in parts:
        try:
            folded += run_apart(registry, lambda root, part=part: counters.fold(counters.stats_of(root), part),
                                attempts, backoff=0.01)
        except Exception:       # one shard's failure (a conflict retried out, a bad record) is its own
            log.exception('statistics: the pending events of shard %d not folded; next round', part)
    return folded

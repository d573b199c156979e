"""The worker's part of the statistics counters: folding each shard's pending events into the
roll-ups, day sets and late sets after commit (``counters``: a registration only appends its
record, which readers already count; the fold is ~1.3 ms for 32 records, mostly loading the
day-set buckets they fall in, and was paid by one registration in 32 before it moved here).

Run by the exchange worker's round (a thread of the server on FileStorage, ``archive-worker`` on
ZEO), woken by the commit that brings a shard to ``counters.FOLD_AT``. Each shard is folded in a
transaction of its own, retried on conflict (a valve's fold of the same shard at once); a shard
that fails is logged and left for the next round, and the others are folded.
"""
import logging

from ..db import run_apart
from . import counters

log = logging.getLogger(__name__)


def fold_due(registry, attempts=5):
    """Fold every shard that has ``FOLD_AT`` pending events or more; the number of events folded."""
    parts = run_apart(registry, lambda root: counters.due(counters.stats_of(root)))
    folded = 0
    for part in parts:
        try:
            folded += run_apart(registry, lambda root, part=part: counters.fold(counters.stats_of(root), part),
                                attempts, backoff=0.01)
        except Exception:       # one shard's failure (a conflict retried out, a bad record) is its own
            log.exception('statistics: the pending events of shard %d not folded; next round', part)
    return folded

"""The statistics counters' fold after commit (#15: counter updates add under 10 % to a
registration): the commit that brings a shard's pending events to ``FOLD_AT`` wakes the worker,
whose round folds every due shard in a transaction of its own; a shard that cannot be folded is
left for the next round and the others are folded."""
import datetime as dt

from archive.exchange import wake
from archive.reports import counters, folding
from archive.reports import rollups as R
from archive.seed import HOST

from ..conftest import open_root

KEY = ('received', '', 'CV', 'manual', False)


def test_the_commit_that_reaches_fold_at_wakes_the_worker(app, monkeypatch):
    """Below ``FOLD_AT`` no alarm; at it, none before the commit, one after it, and the worker's
    round looks for due shards (it looks otherwise only every ``LOOK_EVERY`` seconds: it is woken
    by every registration's status message); an aborted transaction wakes nobody."""
    monkeypatch.setattr(counters, 'FOLD_AT', 2)
    conn, root = open_root(app)
    db = app.registry._zodb_databases['']
    waiter = wake.Waiter()
    try:
        counters.fold_all(root.stats)
        conn.transaction_manager.commit()
        folding.fold_due(app.registry, force=True)          # a look now: the next in LOOK_EVERY
        waiter.event.clear()
        counters._add(root.stats, HOST, dt.date(2026, 5, 4), KEY, 'a', 1)
        conn.transaction_manager.commit()
        assert not waiter.event.is_set() and db not in counters.WANTED
        counters._add(root.stats, HOST, dt.date(2026, 5, 4), KEY, 'b', 1)
        assert not waiter.event.is_set()
        conn.transaction_manager.abort()
        assert not waiter.event.is_set() and db not in counters.WANTED
        assert folding.fold_due(app.registry) == 0 and len(root.stats.pending[R.shard(HOST)]) == 1
        counters._add(root.stats, HOST, dt.date(2026, 5, 4), KEY, 'b', 1)
        conn.transaction_manager.commit()
        assert waiter.event.is_set() and db in counters.WANTED
        assert folding.fold_due(app.registry) == 2 and db not in counters.WANTED
    finally:
        waiter.close()
        conn.transaction_manager.abort()
        conn.close()


def test_a_shard_that_cannot_be_folded_does_not_stop_the_others(app, monkeypatch):
    """A shard whose pending text holds a broken record (here written by hand) fails its fold,
    which is logged and rolled back; the other due shards are folded, in the same round."""
    monkeypatch.setattr(counters, 'FOLD_AT', 2)
    conn, root = open_root(app)
    try:
        counters.fold_all(root.stats)
        other = next(c for c in root['bodies'].keys() if R.shard(c) != R.shard(HOST))
        for code in (HOST, other):
            for name in ('a', 'b'):
                counters._add(root.stats, code, dt.date(2026, 5, 4), KEY, name, 1)
        root.stats.pending[R.shard(HOST)].append('broken')
        conn.transaction_manager.commit()
        assert sorted(counters.due(root.stats)) == sorted((R.shard(HOST), R.shard(other)))
        assert folding.fold_due(app.registry) == 2
        conn.sync()
        assert len(root.stats.pending[R.shard(HOST)]) == 3 and not len(root.stats.pending[R.shard(other)])
        assert R.row(root.stats.rollups, 'M2026-05', other)[R.column(KEY)] == 2
        assert R.column(KEY) not in R.row(root.stats.rollups, 'M2026-05', HOST)
    finally:
        conn.transaction_manager.abort()
        conn.close()

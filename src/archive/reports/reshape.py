"""What the evolve steps of the statistics do to stored counters: each reshapes what is stored,
without reading the journal (``recount.rebuild`` does that).
"""
import datetime as dt

from BTrees.OOBTree import OOBTree, OOTreeSet

from . import rollups as R
from .counters import LATE, SEP, month_key, pending_tree, stats_of
from .recount import as_rollups


def add_pending(root):
    """Evolve step 0024: each shard gets its pending events (``Pending``), so that an event writes
    one object; what is stored stays where it is."""
    stats = stats_of(root)
    if stats.pending is None:
        stats.pending = pending_tree()


def _tally_rows(stats):
    """The roll-ups' rows summed from the per-body month tallies of before 0018."""
    rows = {}
    for (month, body), tally in stats.buckets.items():
        row = rows.setdefault((month, R.shard(body)), {}).setdefault(body, {})
        for key, n in tally.counts.items():
            row[R.column(key)] = row.get(R.column(key), 0) + n
    return rows


def build_rollups(root):
    """The roll-ups from what is stored (evolve step 0015): the per-body month tallies of before
    0018, the late entries of the day sets, each body's deadline index counted by day. Cheaper
    than ``rebuild`` (no journal read); ``archive-stats check`` compares with a recount. Without
    tallies (counted since 0018, or rebuilt) there is nothing to build from: they are there."""
    stats = stats_of(root)
    if stats.buckets is None:
        return
    deadlines, late = {}, {}
    for (day, body), entries in stats.docs.items():
        for text in entries:
            if text.split(SEP, 1)[0] in LATE:
                late.setdefault((f'M{day[1:8]}', R.shard(body)), set()).add(R.late_entry(day, body, text))
    for body in root['bodies'].values():
        index = body.documents.by_deadline
        for ordinal, _name in (index.keys() if index is not None else ()):
            day = dt.date.fromordinal(ordinal)
            row = deadlines.setdefault((month_key(day), R.shard(body.code)), {}).setdefault(body.code, {})
            row[f'{day.day:02d}'] = row.get(f'{day.day:02d}', 0) + 1
    stats.rollups = as_rollups(_tally_rows(stats))
    stats.deadlines = as_rollups(deadlines)
    stats.late = OOBTree({key: OOTreeSet(entries) for key, entries in late.items()})


def drop_tallies(root):
    """Evolve step 0018: the month's counters move into the roll-ups, with the document type (the
    per-body tallies summed, as ``build_rollups`` does from them), and the tallies go: each event
    then writes two objects, not three. The deadline roll-ups are stored again with their rows as
    bytes; the late sets do not change."""
    stats = stats_of(root)
    if stats.buckets is None:
        return
    stats.rollups = as_rollups(_tally_rows(stats))
    stats.deadlines = as_rollups({key: rollup.decoded() for key, rollup in (stats.deadlines or {}).items()})
    stats.buckets = None


def reshard(root):
    """Evolve step 0023: the roll-ups, deadline roll-ups and late sets grouped again by the shard
    each body has now (``rollups.SHARDS`` changed), from what is stored: no journal read."""
    stats = stats_of(root)
    if stats.rollups is None:
        return
    for name in ('rollups', 'deadlines'):
        rows = {}
        for (month, _shard), rollup in getattr(stats, name).items():
            for code, row in rollup.decoded().items():
                rows.setdefault((month, R.shard(code)), {})[code] = row
        setattr(stats, name, as_rollups(rows))
    late = {}
    for (month, _shard), entries in stats.late.items():
        for text in entries:
            late.setdefault((month, R.shard(R.split_late(text)[1])), []).append(text)
    stats.late = OOBTree({key: OOTreeSet(entries) for key, entries in late.items()})
    if stats.pending is not None:           # pending records go to their body's shard's too
        records = [r for pending in stats.pending.values() for r in pending.take()]
        stats.pending = pending_tree()
        for day, body, text in records:
            stats.pending[R.shard(body)].append(R.late_entry(day, body, text))

"""Roll-ups of the statistics across bodies: what the dashboard and the quarterly report read,
in few objects however many bodies a subtree has (#15, the 1,000,000-document goal).

The per-body tallies of ``reports.counters`` cost one object per body and month to read: a
quarter over 300 bodies is 900 objects, each a load from the storage when the cache is cold.
A :class:`Rollup` holds the rows of every body of one *shard* (a fixed share of the bodies, by a
hash of the code) for one month, so the same quarter is 3 × ``SHARDS`` objects. It is kept in the
same transaction as the tallies, by the same events, and a write-write conflict between two
transactions adds both sides' changes (as ``counters.Tally`` does), so concurrent counting in
bodies of one shard never fails. A shard is small (a few dozen bodies' rows of a few numbers),
so the object written with each event stays small.

Three kinds, in ``counters.Stats``:

* ``rollups[(month key, shard)]``: per body, the month's counters without the document type
  (``column(key)``: metric, detail, route, urgent) — totals, rows per body and per month;
* ``deadlines[(month key, shard)]``: per body, how many documents whose deadline still runs have
  it on each day of that month (column ``'DD'``), moved by ``Documents.index_state`` with the
  deadline index — the "still open past the deadline" figure without reading each body's index;
* ``late[(month key, shard)]``: a tree set of the month's late events (``late_entry``), for the
  report's lists of late documents without reading every day of every body.

Each is recounted by ``counters.recount`` and compared by ``counters.differences``.
"""
import zlib

from persistent import Persistent

SHARDS = 16
SEP = '|'


def shard(code):
    """The shard of a body code (stable across processes: not Python's ``hash``)."""
    return zlib.crc32(code.encode('utf-8')) % SHARDS


class Rollup(Persistent):
    """``rows[body code][column] -> n`` for the bodies of one shard in one month; a column whose
    count falls to zero is dropped. Concurrent changes merge (``_p_resolveConflict``)."""

    def __init__(self):
        self.rows = {}

    def add(self, body, column, n=1):
        row = self.rows.get(body)
        if row is None:
            row = self.rows[body] = {}
        value = row.get(column, 0) + n
        if value:
            row[column] = value
        else:
            row.pop(column, None)
            if not row:
                del self.rows[body]
        self._p_changed = True

    def _p_resolveConflict(self, old, committed, new):
        rows = {body: dict(row) for body, row in committed['rows'].items()}
        before, after = old['rows'], new['rows']
        for body in set(before) | set(after):
            was, now = before.get(body, {}), after.get(body, {})
            for column in set(was) | set(now):
                delta = now.get(column, 0) - was.get(column, 0)
                if not delta:
                    continue
                row = rows.setdefault(body, {})
                value = row.get(column, 0) + delta
                if value:
                    row[column] = value
                else:
                    row.pop(column, None)
        return dict(committed, rows={body: row for body, row in rows.items() if row})


def column(key):
    """The roll-up column of a counter key ``(metric, detail, doc_type, route, urgent)``."""
    metric, detail, _doc_type, route, urgent = key
    return SEP.join((metric, detail, route, '1' if urgent else '0'))


def key_of(text, _cache={}):    # noqa: B006 (a cache of the few columns there are)
    """The counter key a column stands for, with no document type."""
    key = _cache.get(text)
    if key is None:
        metric, detail, route, urgent = text.split(SEP)
        key = _cache[text] = (metric, detail, '', route, urgent == '1')
    return key


def add(tree, month, body, column_, n=1):
    """Add ``n`` to ``column_`` of ``body`` in the roll-up of ``month`` (made when missing)."""
    rollup = tree.get((month, shard(body)))
    if rollup is None:
        rollup = tree[(month, shard(body))] = Rollup()
    rollup.add(body, column_, n)


def row(tree, month, body):
    """The row of ``body`` in ``month`` (``{}`` when nothing was counted)."""
    rollup = tree.get((month, shard(body)))
    return rollup.rows.get(body, {}) if rollup is not None else {}


def late_entry(day_key, body, entry):
    """A late event in its month's tree set: the day first (a period is a range), the body, the
    day's entry (``counters.entry``)."""
    return SEP.join((day_key, body)) + SEP + entry


def split_late(text):
    """``(day key, body, entry)`` of a late set's element."""
    day_key, body, entry = text.split(SEP, 2)
    return day_key, body, entry

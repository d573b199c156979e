"""Roll-ups of the statistics across bodies: the counters themselves, in few objects however
many bodies a subtree has (#15, the 1,000,000-document goal), and cheap to write.

A :class:`Rollup` holds the rows of every body of one *shard* (a fixed share of the bodies, by a
hash of the code) for one month, so a quarter over a tree of 300 bodies is 3 × ``SHARDS``
objects to read where per-body objects would be 900. It is written when its shard's pending
events are folded (``counters.Pending``: every few dozen events, since evolve step 0024; at every
event before), and a write-write conflict between two transactions adds both sides'
changes (``_p_resolveConflict``), so concurrent counting in bodies of one shard never fails.
``SHARDS`` is 32 since evolve step 0023 (16 before): a busy month's roll-up that a fold of
its shard rewrites holds ~10 bodies' rows, not ~19 (the city office's shard at 620,000 documents:
13 KB, not 24 KB), for ~100 more small objects read by a quarter's dashboard (526, not 422).

Each body's row is kept as one ``bytes`` (the row ``{column: n}`` pickled on its own), not as
a dict of dicts: the roll-up is written at every fold of its shard, and ZODB's
pickler calls back into Python for every element of a state (each column name and each number),
where a row kept as bytes is one element. Only the row that changes is encoded again, by the C
pickler (a fifth of what JSON costs for a busy body's row of ~130 columns); rows read are decoded
once per loaded object (``Rollup.row``).

Three kinds, in ``counters.Stats``:

* ``rollups[(month key, shard)]``: per body, the month's counters (``column(key)``: metric,
  detail, document type, route, urgent) — totals, rows per body, per month, per type;
* ``deadlines[(month key, shard)]``: per body, how many documents whose deadline still runs have
  it on each day of that month (column ``'DD'``), moved by ``Documents.index_state`` with the
  deadline index — the "still open past the deadline" figure without reading each body's index;
* ``late[(month key, shard)]``: a tree set of the month's late events (``late_entry``), for the
  report's lists of late documents without reading every day of every body.

Each is recounted by ``recount.recount`` and compared by ``recount.differences``.
"""
import pickle
import zlib

from persistent import Persistent

SHARDS = 32
SEP = '|'


def shard(code):
    """The shard of a body code (stable across processes: not Python's ``hash``)."""
    return zlib.crc32(code.encode('utf-8')) % SHARDS


def _decoded(row):
    """A row as stored (its pickle; a dict in a state stored before evolve step 0018; ``{}``
    for none)."""
    if row is None:
        return {}
    return pickle.loads(row) if isinstance(row, bytes) else dict(row)


def _encoded(row):
    return pickle.dumps(row, 4)


class Rollup(Persistent):
    """``rows[body code]``: the row ``{column: n}`` of each body of one shard in one month, as
    bytes; a column whose count falls to zero is dropped, a row left empty too. Concurrent
    changes merge (``_p_resolveConflict``)."""

    def __init__(self, rows=None):
        self.rows = {body: _encoded(row) for body, row in (rows or {}).items() if row}

    def _kept(self, name, body, compute):
        """``compute(stored row)`` for ``body``, kept in the volatile ``name`` until that row changes."""
        cache = getattr(self, name, None)
        if cache is None:
            cache = {}
            setattr(self, name, cache)
        text = self.rows.get(body)
        known = cache.get(body)
        if known is not None and known[0] is text:
            return known[1]
        value = compute(text)
        cache[body] = (text, value)
        return value

    def row(self, body):
        """The row of ``body``, decoded (once per stored row read; not to be changed)."""
        return self._kept('_v_decoded', body, _decoded)

    def untyped(self, body):
        """The row of ``body`` by counter key without the document type (what the dashboard and
        the report group), summed once per stored row read; not to be changed."""
        def summed(_text):
            out = {}
            for column, n in self.row(body).items():
                key = untyped_key_of(column)
                out[key] = out.get(key, 0) + n
            return out
        return self._kept('_v_untyped', body, summed)

    def decoded(self):
        """``{body: row}``, every row decoded."""
        return {body: self.row(body) for body in self.rows}

    def add(self, body, column, n=1):
        self.add_row(body, {column: n})

    def add_row(self, body, counts):
        """Add ``counts`` (``{column: n}``) to the row of ``body``: decoded and encoded once."""
        row = dict(self.row(body))
        for column, n in counts.items():
            value = row.get(column, 0) + n
            if value:
                row[column] = value
            else:
                row.pop(column, None)
        if row:
            self.rows[body] = _encoded(row)
        else:
            self.rows.pop(body, None)
        self._v_decoded[body] = (self.rows.get(body), row)
        self._p_changed = True

    def _p_resolveConflict(self, old, committed, new):
        rows = dict(committed['rows'])
        before, after = old['rows'], new['rows']
        for body in set(before) | set(after):
            if before.get(body) == after.get(body):
                continue
            was, now = _decoded(before.get(body)), _decoded(after.get(body))
            row = _decoded(rows.get(body))
            for column in set(was) | set(now):
                value = row.get(column, 0) + now.get(column, 0) - was.get(column, 0)
                if value:
                    row[column] = value
                else:
                    row.pop(column, None)
            if row:
                rows[body] = _encoded(row)
            else:
                rows.pop(body, None)
        return dict(committed, rows=rows)


def column(key):
    """The roll-up column of a counter key ``(metric, detail, doc_type, route, urgent)``."""
    metric, detail, doc_type, route, urgent = key
    return SEP.join((metric, detail, doc_type, route, '1' if urgent else '0'))


def key_of(text, _cache={}):    # noqa: B006 (a cache of the few columns there are)
    """The counter key ``(metric, detail, doc_type, route, urgent)`` a column stands for."""
    key = _cache.get(text)
    if key is None:
        metric, detail, doc_type, route, urgent = text.split(SEP)
        key = _cache[text] = (metric, detail, doc_type, route, urgent == '1')
    return key


def untyped_key_of(text, _cache={}):    # noqa: B006 (as key_of)
    """The counter key of a column with no document type (what the dashboard groups)."""
    key = _cache.get(text)
    if key is None:
        metric, detail, _doc_type, route, urgent = key_of(text)
        key = _cache[text] = (metric, detail, '', route, urgent)
    return key


def add(tree, month, body, column_, n=1):
    """Add ``n`` to ``column_`` of ``body`` in the roll-up of ``month`` (made when missing)."""
    add_row(tree, month, body, {column_: n})


def add_row(tree, month, body, counts):
    """Add ``counts`` (``{column: n}``) to the row of ``body`` in the roll-up of ``month``."""
    rollup = tree.get((month, shard(body)))
    if rollup is None:
        rollup = tree[(month, shard(body))] = Rollup()
    rollup.add_row(body, counts)


def row(tree, month, body):
    """The row of ``body`` in ``month`` (``{}`` when nothing was counted; not to be changed)."""
    rollup = tree.get((month, shard(body)))
    return rollup.row(body) if rollup is not None else {}


def untyped(tree, month, body):
    """The row of ``body`` in ``month`` by counter key without the document type."""
    rollup = tree.get((month, shard(body)))
    return rollup.untyped(body) if rollup is not None else {}


def late_entry(day_key, body, entry):
    """A late event in its month's tree set: the day first (a period is a range), the body, the
    day's entry (``counters.entry``)."""
    return SEP.join((day_key, body)) + SEP + entry


def split_late(text):
    """``(day key, body, entry)`` of a late set's element."""
    day_key, body, entry = text.split(SEP, 2)
    return day_key, body, entry

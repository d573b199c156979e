"""Statistics counters (Art. 12): kept as documents move, in the transaction that moves them.

What is counted is read from the journal, the record: each counted journal entry (a transition,
a document entered or received, an update, a replacement) gives a few *events* (``counted.events``), and
each event adds one to a key ``(metric, detail, doc_type, route, urgent)`` in the row of the
document's body in the month's roll-up of its shard of bodies (``reports.rollups``; a quarter or
a year is read as its months), and an entry to the body's day set (what a day counts is the
number of its entries with the key: the days at the edges of a period are read from there).
The same functions recount the whole journal (``reports.recount``), so ``archive-stats rebuild``
both rebuilds the counters and proves that they equal a full recount.

An event writes one small object: its record is appended to the ``Pending`` events of the body's
shard (a few KB); that record is the counter update. Folding a shard's records into the roll-ups
(a busy shard's month roll-up is ~13 KB), the day sets and the late sets is maintenance done after
commit: the worker folds each shard that reached ``FOLD_AT`` (``reports.folding``; the commit that
reaches it wakes the worker), and only without a worker does an event fold, at ``VALVE``. Writing
the roll-up and a day set's bucket at every event cost ~0.4 ms of a registration's ~3 ms, a fold
of 32 in the registration ~1.3 ms. Whoever reads the counters reads the pending records with them
(``month_row``, ``day_entries``, ``days_between``): the figures are the same folded or not.

Counting does not make concurrent transactions conflict: pending records of different
transactions merge (``Pending._p_resolveConflict``: both appends kept, a fold's removal kept),
a roll-up resolves a write-write conflict by adding both transactions' increments (what
``BTrees.Length`` does for one number; here for the rows of a few dozen bodies), and a day set is
a tree set, where inserts of different entries merge. Two folds of one shard at once conflict
(each would add the same records) and one is retried (the worker's, or a valve's). Counters
are not register numbers: merging concurrent increments is exactly right for them (DESIGN.md keeps
numbers of the registers un-merged). Only the first fold of a shard in a new month inserts a new
roll-up into the tree; two such at once conflict once and are retried.

The day sets also name the document behind each event, for the drill-down lists.

"""
import datetime as dt
import json
import weakref

from BTrees.OOBTree import OOBTree, OOTreeSet
from persistent import Persistent
from ZODB.POSException import ConflictError

from ..exchange import wake
from . import rollups as R
from .counted import MANUAL, PAPER, events, facts, package_events  # noqa: F401 (long read as counters.*)

METRICS = ('received', 'registered', 'registered_late', 'assigned', 'assigned_late', 'completed',
           'completed_late', 'refused', 'recalled', 'updated', 'replaced', 'sent', 'sent_late',
           'sent_via', 'dual_sent')
LATE = frozenset(('sent_late', 'registered_late', 'assigned_late', 'completed_late'))
PACKAGE_CHAIN = 'exchange'     # the receiving path's chain (exchange.receive.CHAIN): refused packages


class Tally(Persistent):
    """The counters of one body in one month: ``counts[key] -> n``. Stored before evolve step
    0018, which moved them into the roll-ups (with the document type) and dropped them: a third
    object written at every event. Kept so that those databases (and their history) load."""

    def __init__(self):
        self.counts = {}

    def add(self, key, n=1):
        self.counts[key] = self.counts.get(key, 0) + n
        self._p_changed = True

    def _p_resolveConflict(self, old, committed, new):
        counts = dict(committed['counts'])
        for key, n in new['counts'].items():
            counts[key] = counts.get(key, 0) + n - old['counts'].get(key, 0)
        return dict(committed, counts=counts)


class Stats(Persistent):
    """``rollups[(month key, shard)] -> Rollup``: the month's counters of each body of the shard
    (``M2026-10``; quarters and years are read as their months); ``docs[(day key, body code)] ->
    OOTreeSet`` of ``entry(key, document name, journal seq, k)``, one entry per event of the day
    (``D2026-10-05``, Vietnam time): the documents behind a figure, and the counts of the days at
    the edges of a period. A tree set: an insert rewrites one small bucket of it, and concurrent
    inserts of different entries merge. ``deadlines``, ``late``: see ``reports.rollups``.

    ``pending[shard] -> Pending``: the events of the shard's bodies not yet folded into the others
    (since evolve step 0024; one object per shard, made with the tree, so that counting never
    inserts into it).

    ``buckets``: the per-body month tallies (``Tally``) of before evolve step 0018."""

    buckets = rollups = deadlines = late = pending = None      # before 0015 / after 0018 / before 0024

    def __init__(self):
        self.docs = OOBTree()
        self.rollups = OOBTree()
        self.deadlines = OOBTree()
        self.late = OOBTree()
        self.pending = pending_tree()


RS = '\x1e'          # the record separator: between the records of ``Pending``
FOLD_AT = 32         # records of a shard the worker folds (a pending object ~2.5 KB)
# Records at which an event folds its shard itself: the worker is stopped or far behind. Each
# append rewrites the whole pending text (~80 B a record: ~20 KB at 256), so this bounds what a
# registration writes and a reader parses, and leaves the worker 224 events of the shard to come.
VALVE = 8 * FOLD_AT


class Pending(Persistent):
    """The counted events of one shard of bodies not yet folded into the roll-ups, day sets and
    late sets: ``text`` is their records (``rollups.late_entry(day key, body, entry)``) joined by
    ``RS``, one string (pickled as one element); ``folds`` counts the folds, so that two at once
    conflict. Readers see the records parsed once per stored text (``records``, ``rows``)."""

    def __init__(self):
        self.text = ''
        self.folds = 0

    def __len__(self):
        return self.text.count(RS) + 1 if self.text else 0

    def append(self, record):
        self.text = f'{self.text}{RS}{record}' if self.text else record

    def take(self):
        """The records, removed (the fold that writes them elsewhere)."""
        records = self.records()
        self.text = ''
        self.folds += 1
        return records

    def _kept(self, name, compute):
        known = getattr(self, name, None)
        if known is not None and known[0] is self.text:
            return known[1]
        value = compute()
        setattr(self, name, (self.text, value))
        return value

    def records(self):
        """``[(day key, body, entry)]``."""
        return self._kept('_v_records', lambda: [R.split_late(r) for r in self.text.split(RS)] if self.text else [])

    def rows(self):
        """``{(month key, body): {column: n}}``: the records counted as the roll-ups count."""
        return self._kept('_v_rows', lambda: rows_of(self.records()))

    def untyped(self):
        """``{(month key, body): row}`` without the document type (``rollups.untyped_key_of``)."""
        def summed():
            out = {}
            for (m, b), row in self.rows().items():
                into = out.setdefault((m, b), {})
                for column, n in row.items():
                    key = R.untyped_key_of(column)
                    into[key] = into.get(key, 0) + n
            return out
        return self._kept('_v_untyped', summed)

    def _p_resolveConflict(self, old, committed, new):
        if committed['folds'] != old['folds'] and new['folds'] != old['folds']:
            raise ConflictError('two folds of one shard\'s pending events')
        was = set(old['text'].split(RS)) if old['text'] else set()
        now = set(new['text'].split(RS)) if new['text'] else set()
        gone = was - now
        kept = [r for r in (committed['text'].split(RS) if committed['text'] else ()) if r not in gone]
        have = set(kept)
        kept += [r for r in (new['text'].split(RS) if new['text'] else ()) if r not in was and r not in have]
        return dict(committed, text=RS.join(kept), folds=max(committed['folds'], new['folds']))


def pending_tree():
    return OOBTree({part: Pending() for part in range(R.SHARDS)})


def _column_of_entry(text):
    """The roll-up column (``rollups.column``) of a day's entry."""
    metric, detail, doc_type, route, urgent = text.split(SEP, 5)[:5]
    return R.SEP.join((metric, detail, doc_type, route, urgent))


def rows_of(records):
    """``{(month key, body): {column: n}}``: records ``(day key, body, entry)`` counted as the
    roll-ups count them."""
    out = {}
    for day, body, text in records:
        row = out.setdefault((f'M{day[1:8]}', body), {})
        column = _column_of_entry(text)
        row[column] = row.get(column, 0) + 1
    return out


def placed(records):
    """``(days, late)``: records ``(day key, body, entry)`` as the day sets hold them, ``{(day key,
    body): [entry]}``, and the late ones as the late sets do, ``{(month key, shard): [late entry]}``."""
    days, late = {}, {}
    for day, body, text in records:
        days.setdefault((day, body), []).append(text)
        if text.split(SEP, 1)[0] in LATE:
            late.setdefault((f'M{day[1:8]}', R.shard(body)), []).append(R.late_entry(day, body, text))
    return days, late


def stats_of(root):
    return root.stats


def month_key(day):
    return f'M{day.year}-{day.month:02d}'


def day_key(day):
    return f'D{day.isoformat()}'


SEP = '\x1f'         # the unit separator: in no code, type, route or document name


def entry(key, name, seq, k):
    """A day's entry as one string (a tree set bucket of strings pickles in a few calls, where
    tuples of eight would cost one call per element at every insert)."""
    metric, detail, doc_type, route, urgent = key
    return SEP.join((metric, detail, doc_type, route, '1' if urgent else '0', name, str(seq), str(k)))


def entry_key(text):
    """The counter key ``(metric, detail, doc_type, route, urgent)`` of a day's entry."""
    metric, detail, doc_type, route, urgent = text.split(SEP, 5)[:5]
    return (metric, detail, doc_type, route, urgent == '1')


def entry_name(text):
    return text.split(SEP)[5]


def dims_of(doc):
    """The dimensions a document's events are counted under, frozen at its first count (a later
    correction of its type or urgency does not move what was counted)."""
    if doc.stats_dims is None:
        doc.stats_dims = (doc.doc_type or '', bool(doc.urgent))
    return doc.stats_dims


# -- what an entry counts -------------------------------------------------------------------
# -- counting as it happens ------------------------------------------------------------------

def _add(stats, body_code, day, key, name, seq, k=0):
    """One event (its document, the journal entry and the event's place in it, so that two events
    of one entry stay two): a record in the shard's pending events; from ``FOLD_AT`` of them the
    commit wakes the worker, which folds them; at ``VALVE`` this event folds them (into the others
    at once in a database of before evolve step 0024)."""
    record = R.late_entry(day_key(day), body_code, entry(key, name, seq, k))
    part = R.shard(body_code)
    pending = stats.pending.get(part) if stats.pending is not None else None
    if pending is None:
        _fold(stats, [R.split_late(record)])
        return
    pending.append(record)
    n = len(pending)
    if n >= VALVE:
        fold(stats, part)
    elif n >= FOLD_AT and pending._p_jar is not None:
        txn = pending._p_jar.transaction_manager.get()
        if not any(hook is _due for hook, _args, _kws in txn.getAfterCommitHooks()):
            txn.addAfterCommitHook(_due, (pending._p_jar.db(),))


WANTED = weakref.WeakSet()   # databases in which this process committed a shard at ``FOLD_AT``


def _due(committed, db):
    """After the commit that brought a shard to ``FOLD_AT``: the worker is told (``WANTED``: its
    round looks for due shards only then, or now and again) and woken."""
    if committed:
        WANTED.add(db)
        wake.ring()


def due(stats):
    """The shards whose pending events the worker folds (``FOLD_AT`` or more)."""
    return [part for part, pending in (stats.pending.items() if stats.pending is not None else ())
            if len(pending) >= FOLD_AT]


def fold(stats, part):
    """Fold the pending events of shard ``part``; how many there were."""
    pending = stats.pending[part]
    records = pending.take() if len(pending) else []
    records and _fold(stats, records)
    return len(records)


def _fold(stats, records):
    """Records ``(day key, body, entry)`` into the month roll-ups (each body's row once), the day
    sets and the late sets."""
    for (month, body), row in rows_of(records).items():
        R.add_row(stats.rollups, month, body, row)
    for tree, added in zip((stats.docs, stats.late), placed(records)):
        for key, texts in added.items():
            found = tree.get(key)
            if found is None:
                tree[key] = OOTreeSet(texts)
            else:
                found.update(texts)


def fold_all(stats):
    """Fold every shard's pending events (a test's shape of before)."""
    for part in (list(stats.pending.keys()) if stats.pending is not None else ()):
        fold(stats, part)


def _pending_of(stats, body):
    return stats.pending.get(R.shard(body)) if stats.pending is not None else None


def _plus(row, more):
    """``row`` with the counts of ``more`` added (a copy; ``row`` itself when there are none)."""
    if not more:
        return row
    row = dict(row)
    for column, n in more.items():
        row[column] = row.get(column, 0) + n
    return row


class Gathered:
    """Every shard's pending events read once, for a read of many bodies and months (the
    dashboard looked a shard's up for each body and month: 3,588 times at 620,000 documents):
    ``rows``, ``untyped`` as ``Pending``'s, ``days`` ``{(day key, body): [entry]}``. Passed as
    ``gathered`` to ``month_row``, ``month_untyped``, ``day_entries``; good for one transaction."""

    def __init__(self, stats):
        self.rows, self.untyped, self.days = {}, {}, {}
        for pending in (stats.pending.values() if stats.pending is not None else ()):
            if pending.text:                # a body is in one shard: no key in two of them
                self.rows.update(pending.rows())
                self.untyped.update(pending.untyped())
                for day, body, text in pending.records():
                    self.days.setdefault((day, body), []).append(text)


def _more(stats, body, key, gathered, kind):
    """The pending events of ``body`` under ``key`` in ``Pending.<kind>()`` / ``Gathered.<kind>``."""
    if gathered is not None:
        return getattr(gathered, kind).get(key)
    pending = _pending_of(stats, body)
    return getattr(pending, kind)().get(key) if pending is not None and pending.text else None


def month_row(stats, month, body, gathered=None):
    """The row of ``body`` in ``month`` (``{column: n}``, with the document type), folded and
    pending: not to be changed."""
    return _plus(R.row(stats.rollups, month, body), _more(stats, body, (month, body), gathered, 'rows'))


def month_untyped(stats, month, body, gathered=None):
    """As ``month_row``, by counter key without the document type (``rollups.untyped``)."""
    return _plus(R.untyped(stats.rollups, month, body), _more(stats, body, (month, body), gathered, 'untyped'))


def month_counts(stats, month, body):
    """The row of ``body`` in ``month`` as ``{counter key: n}``."""
    return {R.key_of(column): n for column, n in month_row(stats, month, body).items()}


def day_entries(stats, day, body, gathered=None):
    """The entries of ``body`` on the day ``day`` (a day key), folded and pending."""
    stored = stats.docs.get((day, body), ())
    if gathered is not None:
        more = gathered.days.get((day, body))
    else:
        pending = _pending_of(stats, body)
        if pending is None or not pending.text:
            return stored
        more = [text for d, b, text in pending.records() if d == day and b == body]
    return sorted(set(stored) | set(more)) if more else stored


def _pending_between(stats, first, last, shards=None):
    """``{(day key, body): [entry]}`` of the pending records of days ``first`` to ``last``."""
    out = {}
    for part, pending in (stats.pending.items() if stats.pending is not None else ()):
        if shards is not None and part not in shards or not pending.text:
            continue
        for day, body, text in pending.records():
            if first <= day <= last:
                out.setdefault((day, body), []).append(text)
    return out


def days_between(stats, first, last, shards=None):
    """``[((day key, body), entries)]`` of days ``first`` to ``last`` (day keys), in order, folded
    and pending (only bodies of ``shards``' pending records, if given)."""
    more = _pending_between(stats, first, last, shards)
    stored = stats.docs.items(min=(first, ''), max=(last, '\uffff'))
    if not more:
        yield from stored
        return
    extra = sorted(more)
    i = 0
    for key, entries in stored:
        while i < len(extra) and extra[i] < key:
            yield extra[i], sorted(more[extra[i]])
            i += 1
        if i < len(extra) and extra[i] == key:
            yield key, sorted(set(entries) | set(more[key]))
            i += 1
        else:
            yield key, entries
    for key in extra[i:]:
        yield key, sorted(more[key])


def late_between(stats, month, part, first, last):
    """The late set's elements (``rollups.late_entry``) of ``month`` and shard ``part`` from day
    ``first`` to ``last``, folded and pending, in order."""
    late = stats.late.get((month, part))
    found = list(late.keys(min=first, max=last + R.SEP + '\uffff')) if late is not None else []
    pending = stats.pending.get(part) if stats.pending is not None else None
    if pending is not None and pending.text:
        more = [R.late_entry(d, b, text) for d, b, text in pending.records()
                if first <= d <= last and f'M{d[1:8]}' == month and text.split(SEP, 1)[0] in LATE]
        if more:
            found = sorted(set(found) | set(more))
    return found


def deadline_moved(root, body_code, ordinal, n):
    """A document of ``body_code`` whose deadline (day ``ordinal``) runs entered (``n=1``) or left
    (``n=-1``) the deadline index: the count of its day in the deadline roll-up follows."""
    stats = getattr(root, 'stats', None)
    if stats is None or stats.deadlines is None:
        return
    day = dt.date.fromordinal(ordinal)
    R.add(stats.deadlines, month_key(day), body_code, f'{day.day:02d}', n)


def count(root, doc, chain_id, seq, by_exchange=False):
    """Count the journal entry ``seq`` of ``chain_id`` just appended about ``doc``."""
    at, _actor, action, details, _prev, _hash = root.journal.chains[chain_id].entries[seq]
    found = events(action, json.loads(details), doc, by_exchange, at)
    if not found:
        return
    doc_type, urgent = dims_of(doc)
    day = dt.date.fromisoformat(at[:10])
    stats = stats_of(root)
    for k, (metric, detail, route) in enumerate(found):
        _add(stats, doc.body_code, day, (metric, detail, doc_type, route, urgent), doc.__name__, seq, k)


def count_package(root, chain_id, seq):
    """Count the entry ``seq`` of ``chain_id`` (the exchange chain) just appended, if it is a
    package refused per receiving body (``package_events``); no document stands behind it."""
    at, _actor, action, details, _prev, _hash = root.journal.chains[chain_id].entries[seq]
    day, stats, bodies = dt.date.fromisoformat(at[:10]), stats_of(root), root['bodies']
    for k, (code, metric, detail, route) in enumerate(package_events(action, json.loads(details))):
        if code in bodies:
            _add(stats, code, day, (metric, detail, '', route, False), '', seq, k)

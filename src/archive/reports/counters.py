"""Statistics counters (Art. 12): kept as documents move, in the transaction that moves them.

What is counted is read from the journal, the record: each counted journal entry (a transition,
a document entered or received, an update, a replacement) gives a few *events* (``events``), and
each event adds one to a key ``(metric, detail, doc_type, route, urgent)`` in the buckets of the
document's body for the day, month, quarter and year of the entry. The same function recounts
the whole journal (``recount``), so ``archive-stats rebuild`` both rebuilds the counters and
proves that they equal a full recount.

Buckets do not make concurrent transactions conflict: a bucket belongs to one body and one period,
and a :class:`Tally` resolves a write-write conflict by adding both transactions' increments
(what ``BTrees.Length`` does for one number; here for a small dict of them). Counters are not
register numbers: merging concurrent increments is exactly right for them (DESIGN.md keeps
numbers of the registers un-merged). Only the first event of a body in a new period inserts a new
bucket into the tree; two such first events at once conflict once and are retried.

Day buckets also keep the names of the documents behind each key, for the drill-down lists
(a few documents per body per day).

Metrics (the dashboard and the report name them in Vietnamese):
``received`` (route: the exchange route, ``paper`` or ``manual`` for one entered by hand),
``registered``/``registered_late``, ``assigned``/``assigned_late`` (urgent documents past the
handling limit), ``completed``/``completed_late`` (after the processing deadline),
``refused`` (detail: ``refuse_arrived`` từ chối nhận, ``refuse_registered`` trả lại),
``recalled``, ``updated``, ``replaced``, ``sent``/``sent_late`` (Art. 6.3; ``urgent`` splits
urgent and normal), ``sent_via`` (one per delivery, by route), ``dual_sent`` (Art. 8).
Documents still open past their deadline are not counted here: they are found at read time from
the state index (``reports.figures.overdue``), since "still open" changes with no event.
"""
import datetime as dt
import json

from BTrees.OOBTree import OOBTree
from persistent import Persistent

from .. import calendar as cal_mod
from .. import clock

METRICS = ('received', 'registered', 'registered_late', 'assigned', 'assigned_late', 'completed',
           'completed_late', 'refused', 'recalled', 'updated', 'replaced', 'sent', 'sent_late',
           'sent_via', 'dual_sent')
GRAINS = ('D', 'M', 'Q', 'Y')
PAPER, MANUAL = 'paper', 'manual'


class Tally(Persistent):
    """The counters of one body in one period: ``counts[key] -> n``; for a day also
    ``docs[key] -> (document names...)``. Concurrent increments merge (``_p_resolveConflict``)."""

    def __init__(self):
        self.counts = {}
        self.docs = {}

    def add(self, key, name=None, n=1):
        self.counts[key] = self.counts.get(key, 0) + n
        if name is not None:
            self.docs[key] = self.docs.get(key, ()) + (name,)
        self._p_changed = True

    def _p_resolveConflict(self, old, committed, new):
        merged = dict(committed)
        counts = dict(committed['counts'])
        for key, n in new['counts'].items():
            counts[key] = counts.get(key, 0) + n - old['counts'].get(key, 0)
        docs = dict(committed['docs'])
        for key, names in new['docs'].items():
            docs[key] = docs.get(key, ()) + names[len(old['docs'].get(key, ())):]
        merged['counts'], merged['docs'] = counts, docs
        return merged


class Stats(Persistent):
    """``buckets[(period key, body code)] -> Tally``; period keys ``D2026-10-05``, ``M2026-10``,
    ``Q2026-4``, ``Y2026`` (days in Vietnam time)."""

    def __init__(self):
        self.buckets = OOBTree()


def stats_of(root):
    return root.stats


def period_keys(day):
    """The four buckets a day's event goes to."""
    return (f'D{day.isoformat()}', f'M{day.year}-{day.month:02d}',
            f'Q{day.year}-{(day.month - 1) // 3 + 1}', f'Y{day.year}')


def dims_of(doc):
    """The dimensions a document's events are counted under, frozen at its first count (a later
    correction of its type or urgency does not move what was counted)."""
    if doc.stats_dims is None:
        doc.stats_dims = (doc.doc_type or '', bool(doc.urgent))
    return doc.stats_dims


# -- what an entry counts -------------------------------------------------------------------

def events(action, details, doc, by_exchange=False):
    """``[(metric, detail, route)]`` a journal entry of ``doc`` counts.

    ``by_exchange``: the document was received as a package (its ``received`` entry counts it,
    not its ``created`` one)."""
    if action == 'created':
        if doc.direction == 'incoming' and not by_exchange:
            return [('received', '', PAPER if doc.channel == 'paper' else MANUAL)]
        return []
    if action == 'received':
        return [('received', '', details.get('route') or '')]
    if action == 'updated_by_sender':
        return [('updated', '', '')]
    if action == 'replaces':
        return [('replaced', '', '')]
    t = details.get('transition')
    if t is None or details.get('from') == details.get('to') and t != 'update':
        return []
    late = bool(details.get('late'))
    out = []
    if t == 'register':
        out.append(('registered', '', ''))
        late and out.append(('registered_late', '', ''))
    elif t == 'assign':
        out.append(('assigned', '', ''))
        late and out.append(('assigned_late', '', ''))
    elif t == 'complete':
        out.append(('completed', '', ''))
        late and out.append(('completed_late', '', ''))
    elif details.get('to') == 'refused':
        out.append(('refused', t, ''))
    elif details.get('to') == 'recalled':
        out.append(('recalled', '', ''))
    elif t == 'update':
        out.append(('updated', '', ''))
    elif t == 'send':
        out.append(('sent', '', ''))
        late and out.append(('sent_late', '', ''))
        details.get('dual') and out.append(('dual_sent', '', ''))
        out.extend(('sent_via', '', route) for _receiver, route in details.get('deliveries') or ())
    return out


def facts(settings, root, doc, transition):
    """What the journal entry of a transition must record for it to be counted the same way
    later: whether it was late (urgent handling, the processing deadline) and whether an
    outgoing document also goes on paper (Art. 8). Called by ``workflow.engine.fire`` after the
    callbacks, before the journal entry is written."""
    name = transition['name']
    if name in ('register', 'assign'):
        if not doc.urgent:
            return {'late': False}
        since = doc.received_at or doc.created_at
        limit = dt.timedelta(minutes=settings.urgent_handling_minutes)
        if doc.urgency in ('hoa_toc', 'hoa_toc_hen_gio'):
            return {'late': clock.now() - since > limit}
        cal = settings.calendar.with_overrides(root.calendar_overrides)
        return {'late': cal_mod.working_time_between(cal, since, clock.now()) > limit}
    if name == 'complete':
        done = clock.to_vn(doc.completed_at or clock.now()).date()
        return {'late': bool(doc.deadline and done > doc.deadline)}
    if name == 'send':
        return {'dual': bool(doc.paper_category)}
    return {}


# -- counting as it happens ------------------------------------------------------------------

def _add(buckets, body_code, day, key, name):
    for pk in period_keys(day):
        tally = buckets.get((pk, body_code))
        if tally is None:
            tally = buckets[(pk, body_code)] = Tally()
        tally.add(key, name if pk[0] == 'D' else None)


def count(root, doc, chain_id, seq, by_exchange=False):
    """Count the journal entry ``seq`` of ``chain_id`` just appended about ``doc``."""
    at, _actor, action, details, _prev, _hash = root.journal.chains[chain_id].entries[seq]
    found = events(action, json.loads(details), doc, by_exchange)
    if not found:
        return
    doc_type, urgent = dims_of(doc)
    day = dt.date.fromisoformat(at[:10])
    buckets = stats_of(root).buckets
    for metric, detail, route in found:
        _add(buckets, doc.body_code, day, (metric, detail, doc_type, route, urgent), doc.__name__)


# -- the full recount -----------------------------------------------------------------------

def recount(root):
    """Every counter recounted from the journal: ``{(period key, body): {key: n}}`` and the day
    buckets' documents ``{(period key, body): {key: names}}``."""
    counts, docs = {}, {}
    chains = root.journal.chains
    for body in root['bodies'].values():
        for name, doc in body.documents.items():
            chain = chains.get(doc.chain_id)
            if chain is None:
                continue
            entries = list(chain.entries.values())
            by_exchange = any(e[2] == 'received' for e in entries)
            dims = None
            for at, _actor, action, details, _prev, _hash in entries:
                found = events(action, json.loads(details), doc, by_exchange)
                if not found:
                    continue
                dims = dims or (doc.stats_dims or (doc.doc_type or '', bool(doc.urgent)))
                day = dt.date.fromisoformat(at[:10])
                for metric, detail, route in found:
                    key = (metric, detail, dims[0], route, dims[1])
                    for pk in period_keys(day):
                        bucket = counts.setdefault((pk, doc.body_code), {})
                        bucket[key] = bucket.get(key, 0) + 1
                        if pk[0] == 'D':
                            names = docs.setdefault((pk, doc.body_code), {})
                            names[key] = names.get(key, ()) + (name,)
    return counts, docs


def differences(root):
    """Where the stored counters differ from a full recount: ``[(bucket, key, stored, recounted)]``
    (documents behind day figures compared as sorted lists)."""
    counts, docs = recount(root)
    stored = stats_of(root).buckets
    out = []
    for bucket_key in sorted(set(stored.keys()) | set(counts)):
        tally = stored.get(bucket_key)
        have = tally.counts if tally is not None else {}
        want = counts.get(bucket_key, {})
        for key in sorted(set(have) | set(want), key=repr):
            if have.get(key, 0) != want.get(key, 0):
                out.append((bucket_key, key, have.get(key, 0), want.get(key, 0)))
        if bucket_key[0].startswith('D'):
            have_docs = tally.docs if tally is not None else {}
            want_docs = docs.get(bucket_key, {})
            for key in sorted(set(have_docs) | set(want_docs), key=repr):
                if sorted(have_docs.get(key, ())) != sorted(want_docs.get(key, ())):
                    out.append((bucket_key, ('docs',) + key, len(have_docs.get(key, ())),
                                len(want_docs.get(key, ()))))
    return out


def rebuild(root):
    """Replace every counter by a full recount from the journal; return the number of buckets."""
    counts, docs = recount(root)
    stats = stats_of(root)
    stats.buckets = OOBTree()
    for bucket_key, keys in counts.items():
        tally = Tally()
        tally.counts = dict(keys)
        tally.docs = dict(docs.get(bucket_key, {}))
        stats.buckets[bucket_key] = tally
    return len(counts)

"""The full recount: every counter counted again from the journal (``recount``), compared with
what is stored (``differences``, what ``archive-stats check`` prints) or put in its place
(``rebuild``). Apart from ``counters``, which counts as things happen, since this reads the whole
archive and runs only from the command line, an evolve step or a test.
"""
import datetime as dt
import json

from BTrees.OOBTree import OOBTree, OOTreeSet

from ..workflow.states import state_data, workflows
from . import rollups as R
from .counters import (LATE, PACKAGE_CHAIN, day_key, entry, events, month_key, package_events, pending_tree,
                       placed, rows_of, stats_of)


def recount(root):
    """Every counter recounted from the journal (and, for the deadline roll-up, from the
    documents as they are): ``{'rollups': {(month key, shard): {body: {column: n}}}, 'docs':
    {(day key, body): {entry}}, 'deadlines': as the roll-ups, by deadline day, 'late': {(month
    key, shard): {late entry}}}``. Raises ``LookupError`` without the workflow registry pushed
    (which says whether a document's deadline runs) rather than count every deadline wrong."""
    if not workflows():
        raise LookupError('recount needs the workflow registry pushed (pyramid.threadlocal): '
                          'without it no deadline runs, and every deadline would be counted wrong')
    docs, rollups, deadlines, late = {}, {}, {}, {}
    chains = root.journal.chains

    def counted(code, day, key, name, seq, k):
        month = month_key(day)
        row = rollups.setdefault((month, R.shard(code)), {}).setdefault(code, {})
        row[R.column(key)] = row.get(R.column(key), 0) + 1
        text = entry(key, name, seq, k)
        docs.setdefault((day_key(day), code), set()).add(text)
        if key[0] in LATE:
            late.setdefault((month, R.shard(code)), set()).add(R.late_entry(day_key(day), code, text))

    for body in root['bodies'].values():
        for name, doc in body.documents.items():
            if doc.deadline is not None and state_data(doc).get('deadline_runs'):
                row = deadlines.setdefault((month_key(doc.deadline), R.shard(doc.body_code)), {}) \
                    .setdefault(doc.body_code, {})
                row[f'{doc.deadline.day:02d}'] = row.get(f'{doc.deadline.day:02d}', 0) + 1
            chain = chains.get(doc.chain_id)
            if chain is None:
                continue
            entries = list(chain.entries.items())
            by_exchange = any(e[2] == 'received' for _seq, e in entries)
            dims = None
            for seq, (at, _actor, action, details, _prev, _hash) in entries:
                found = events(action, json.loads(details), doc, by_exchange, at)
                if not found:
                    continue
                dims = dims or (doc.stats_dims or (doc.doc_type or '', bool(doc.urgent)))
                day = dt.date.fromisoformat(at[:10])
                for k, (metric, detail, route) in enumerate(found):
                    counted(doc.body_code, day, (metric, detail, dims[0], route, dims[1]), name, seq, k)
    exchange = chains.get(PACKAGE_CHAIN)
    for seq, (at, _actor, action, details, _prev, _hash) in (exchange.entries.items() if exchange else ()):
        if action != 'package_refused':
            continue
        day = dt.date.fromisoformat(at[:10])
        for k, (code, metric, detail, route) in enumerate(package_events(action, json.loads(details))):
            if code in root['bodies']:
                counted(code, day, (metric, detail, '', route, False), '', seq, k)
    return {'docs': docs, 'rollups': rollups, 'deadlines': deadlines, 'late': late}


def _row_differences(stored, wanted, where, what, pending=None):
    """Differences between stored roll-ups (and the rows of ``pending`` records, ``{(month key,
    shard): {body: row}}``) and recounted ones, per body and column: ``where(month key, body)``
    and ``what(column)`` name them."""
    out = []
    pending = pending or {}
    for key in sorted(set(stored.keys()) | set(wanted) | set(pending)):
        rollup = stored.get(key)
        have_rows = rollup.decoded() if rollup is not None else {}
        for body, more in pending.get(key, {}).items():
            row = have_rows[body] = dict(have_rows.get(body, {}))
            for col, n in more.items():
                row[col] = row.get(col, 0) + n
        want_rows = wanted.get(key, {})
        for body in sorted(set(have_rows) | set(want_rows)):
            have, want = have_rows.get(body, {}), want_rows.get(body, {})
            for col in sorted(set(have) | set(want)):
                if have.get(col, 0) != want.get(col, 0):
                    out.append((where(key[0], body), what(col), have.get(col, 0), want.get(col, 0)))
    return out


def differences(root):
    """Where the stored counters differ from a full recount: ``[(where, key, stored, recounted)]``:
    a counter ``((month key, body), counter key, n, n)``; the documents behind a day ``((day key,
    body), ('docs',), entries, entries)``; the deadline roll-up ``(('deadlines <month>', body),
    ('deadlines', day), n, n)``; a month's late set ``(('late <month>', shard), ('late',), …)``."""
    full = recount(root)
    stats = stats_of(root)
    if stats.rollups is None:
        return [(('rollups', '-'), ('missing',), 0, 1)]
    # what is pending, as the others hold it
    records = [r for pending in (stats.pending.values() if stats.pending is not None else ()) for r in pending.records()]
    rows = {}
    for (month, body), row in rows_of(records).items():
        rows.setdefault((month, R.shard(body)), {})[body] = row
    days, late = placed(records)
    out = _row_differences(stats.rollups, full['rollups'], lambda month, body: (month, body), R.key_of, rows)
    docs = full['docs']
    for bucket_key in sorted(set(stats.docs.keys()) | set(docs) | set(days)):
        have = set(stats.docs.get(bucket_key, ())) | set(days.get(bucket_key, ()))
        want = docs.get(bucket_key, set())
        if have != want:
            out.append((bucket_key, ('docs',), len(have), len(want)))
    out.extend(_row_differences(stats.deadlines, full['deadlines'],
                                lambda month, body: (f'deadlines {month}', body), lambda col: ('deadlines', col)))
    for key in sorted(set(stats.late.keys()) | set(full['late']) | set(late)):
        have = set(stats.late.get(key, ())) | set(late.get(key, ()))
        want = full['late'].get(key, set())
        if have != want:
            out.append(((f'late {key[0]}', str(key[1])), ('late',), len(have), len(want)))
    return out


def as_rollups(rows):
    return OOBTree({key: R.Rollup(by_body) for key, by_body in rows.items()})


def rebuild(root):
    """Replace every counter by a full recount from the journal; return the number of roll-ups."""
    full = recount(root)
    stats = stats_of(root)
    stats.docs = OOBTree({day_key_: OOTreeSet(entries) for day_key_, entries in full['docs'].items()})
    stats.rollups = as_rollups(full['rollups'])
    stats.deadlines = as_rollups(full['deadlines'])
    stats.late = OOBTree({key: OOTreeSet(entries) for key, entries in full['late'].items()})
    stats.pending = pending_tree()
    stats.buckets = None
    return len(full['rollups'])

"""Statistics counters (#15 item 1): kept in the transaction that moves a document, equal to a
full recount of the journal after a randomised run over several bodies and several periods."""
import datetime as dt
import random

import pytest
from pyramid.threadlocal import manager

from archive import clock
from archive.reports import counters, folding, recount
from archive.reports import rollups as R
from archive.seed import DEMO_RECEIVER, HOST
from archive.services import directory
from archive.services import documents as svc
from archive.workflow.engine import fire

from ..conftest import open_root
from ..helpers import incoming

VN = dt.timezone(dt.timedelta(hours=7))
TU = '000.00.00.H01'
BTG = '000.00.03.H01'


@pytest.fixture
def world(app):
    """The app, a connection and its root, with a leader and a processor in two more bodies."""
    conn, root = open_root(app)
    manager.push({'registry': app.registry, 'request': None})
    try:
        for code, suffix in ((DEMO_RECEIVER, 'btc'), (BTG, 'btg')):
            for role in ('clerk', 'leader', 'processor'):
                login = f'{role}.{suffix}'
                if login not in root['users']:
                    directory.add_user(root, {'login': login, 'full_name': f'Người {login}', 'body_code': code,
                                              'roles': [role], 'password': 'cụm-từ-khó-đoán-cho-thống-kê-2026'}, app.registry.archive_settings,
                                       'test', password_hash='not-a-hash')
        conn.transaction_manager.commit()
        yield app, conn, root
    finally:
        manager.pop()
        clock.set_now(None)
        conn.transaction_manager.abort()
        conn.close()


def month_counts(root, month, code):
    """What is stored for ``code`` in ``month``: ``{counter key: n}``, with the document type
    (folded into the roll-ups or pending)."""
    return counters.month_counts(root.stats, month, code)


PEOPLE = {HOST: ('vanthu', 'lanhdao', 'chuyenvien'), DEMO_RECEIVER: ('clerk.btc', 'leader.btc', 'processor.btc'),
          BTG: ('clerk.btg', 'leader.btg', 'processor.btg')}


def step(root, registry, doc, rng):
    """One random action the document's state allows, as the person who may take it."""
    clerk, leader, processor = (root['users'][u] for u in PEOPLE[doc.body_code])
    today = clock.today()
    moves = {
        'arrived': [('register', clerk, {}), ('refuse', clerk, {'reason': 'Sai địa chỉ'}),
                    ('recall', clerk, {'reason': 'Thu hồi'})],
        'registered': [('assign', leader, {'main_processor': processor.login,
                                           'deadline': (today + dt.timedelta(days=rng.randint(0, 3))).isoformat()}),
                       ('refuse', leader, {'reason': 'Trả lại'})],
        'assigned': [('start', processor, {}), ('return', processor, {'reason': 'Không đúng người'})],
        'processing': [('complete', processor, {'note': 'Xong'}), ('complete', processor, {})],
        'recalled': [('keep', clerk, {'reason': 'Giữ lại'}), ('delete', clerk, {'reason': 'Hủy'})],
    }.get(doc.state)
    if not moves:
        return
    action, user, data = rng.choice(moves)
    fire(root, doc, action, user, registry, data=dict(data))


@pytest.mark.parametrize('fold_at, valve, worker', [(3, 1000, True), (None, None, True), (3, 5, False)])
def test_random_run_equals_full_recount(world, monkeypatch, fold_at, valve, worker):
    """The worker folding each day's shards that reached 3 events, or ``FOLD_AT`` (after the
    day's commit, in its own transaction: the next day's appends merge with its folds); or no
    worker, the valve folding a shard at its 5th event."""
    app, conn, root = world
    if fold_at:
        monkeypatch.setattr(counters, 'FOLD_AT', fold_at)
    if valve:
        monkeypatch.setattr(counters, 'VALVE', valve)
    rng = random.Random(20261203)
    bodies = [HOST, DEMO_RECEIVER, BTG]
    docs = []
    start = dt.datetime(2026, 3, 30, 9, 0, tzinfo=VN)     # crosses a month and a quarter
    settings = app.registry.archive_settings
    worked = 0
    for day in range(6):
        clock.set_now(start + dt.timedelta(days=day, hours=day % 3))
        for k in range(4):
            code = rng.choice(bodies)
            urgency = rng.choice(('normal', 'normal', 'khan', 'hoa_toc'))
            doc = svc.create(root, root['bodies'][code], incoming(
                doc_type=rng.choice(('CV', 'TTr', 'BC')), urgency=urgency, number_symbol=f'{day * 4 + k + 1}-CV/BTCTU',
                channel=rng.choice(('electronic', 'paper')), received_at=clock.iso(clock.now())),
                [], settings, PEOPLE[code][0])
            docs.append(doc)
        for _k in range(20):
            clock.set_now(clock.now() + dt.timedelta(minutes=rng.randint(5, 90)))
            moving = [d for d in docs if d.state not in ('completed', 'refused', 'deleted', 'destroyed')]
            step(root, app.registry, rng.choice(moving or docs), rng)
        conn.transaction_manager.commit()
        if worker:
            worked += folding.fold_due(app.registry)
    conn.sync()
    assert (worked > 0) == worker and sum(p.folds for p in root.stats.pending.values()) > 0
    assert all(len(p) < counters.VALVE for p in root.stats.pending.values())
    assert recount.differences(root) == []
    # the deadline index holds exactly the documents whose deadline still runs
    for code in bodies:
        documents = root['bodies'][code].documents
        running = sorted((d.deadline.toordinal(), d.__name__) for d in documents.values()
                         if d.deadline and d.state in ('arrived', 'registered', 'assigned', 'processing'))
        assert list(documents.by_deadline.keys()) == running
    assert any(d.state == 'completed' and d.deadline for d in docs)
    # The run did count what it did, in each body, and the entries of the days sum to the month's.
    for code in bodies:
        month = month_counts(root, 'M2026-04', code) or month_counts(root, 'M2026-03', code)
        assert sum(v for k, v in month.items() if k[0] == 'received') > 0
    for code in bodies:
        month = month_counts(root, 'M2026-04', code)
        if month:
            summed = {}
            for (_day, c), entries in counters.days_between(root.stats, 'D2026-04-01', 'D2026-04-30'):
                if c == code:
                    for entry in entries:
                        summed[counters.entry_key(entry)] = summed.get(counters.entry_key(entry), 0) + 1
            assert summed == month
    metrics = {k[0] for code in bodies for m in ('M2026-03', 'M2026-04') for k in month_counts(root, m, code)}
    assert {'received', 'registered', 'assigned', 'completed', 'refused'} <= metrics
    # some events were folded into the roll-ups, others are pending: both are read
    assert any(len(p) for p in root.stats.pending.values()) and len(root.stats.rollups)
    counters.fold_all(root.stats)
    assert recount.differences(root) == [] and not any(len(p) for p in root.stats.pending.values())
    # A counter that drifts is found by the recount, and rebuild repairs it.
    month = 'M2026-04' if month_counts(root, 'M2026-04', HOST) else 'M2026-03'
    key = next(iter(month_counts(root, month, HOST)))
    R.add(root.stats.rollups, month, HOST, R.column(key), n=5)
    assert [d[1] for d in recount.differences(root)] == [key]
    recount.rebuild(root)
    assert recount.differences(root) == [] and not any(len(p) for p in root.stats.pending.values())


def test_tally_merges_concurrent_increments(app):
    """Two transactions counting in the same body and day at once both commit (no conflict
    error), and both increments are kept."""
    import transaction
    conn_a, root_a = open_root(app)
    conn_b, root_b = open_root(app)
    try:
        key = ('received', '', 'CV', 'manual', False)
        counters._add(root_a.stats, HOST, dt.date(2026, 5, 4), key, 'a', 1)
        conn_a.transaction_manager.commit()
        conn_b.sync()
        conn_a.sync()
        counters._add(root_a.stats, HOST, dt.date(2026, 5, 4), key, 'b', 1)
        counters._add(root_b.stats, HOST, dt.date(2026, 5, 4), key, 'c', 1)
        conn_a.transaction_manager.commit()
        conn_b.transaction_manager.commit()       # would raise ConflictError without the merge
        conn_c, root_c = open_root(app)
        assert month_counts(root_c, 'M2026-05', HOST)[key] == 3
        assert sorted(counters.entry_name(e) for e in counters.day_entries(root_c.stats, 'D2026-05-04', HOST)) == \
            ['a', 'b', 'c']
        conn_c.close()
    finally:
        transaction.abort()
        conn_a.close()
        conn_b.close()


def test_evolve_step_builds_counters_and_deadline_index_from_what_is_stored(world):
    """Evolve step 0010 on a database stored before the statistics: counters from the journal,
    each body's deadline index from its documents."""
    from BTrees.OOBTree import OOBTree

    from archive import evolve
    app, conn, root = world
    clock.set_now(dt.datetime(2026, 6, 1, 9, 0, tzinfo=VN))
    settings = app.registry.archive_settings
    doc = svc.create(root, root['bodies'][HOST], incoming(deadline='2026-06-10'), [], settings, 'vanthu')
    fire(root, doc, 'register', root['users']['vanthu'], app.registry)
    conn.transaction_manager.commit()
    del root.stats
    for body in root['bodies'].values():
        body.documents.by_deadline = None
    root.evolved.remove('0010-stats')
    assert [name for name, _fn in evolve.pending(root)] == ['0010-stats']
    evolve.evolve(root)
    assert recount.differences(root) == [] and len(root.stats.rollups) > 0
    assert list(root['bodies'][HOST].documents.by_deadline.keys()) == [(dt.date(2026, 6, 10).toordinal(), doc.__name__)]
    assert isinstance(root.stats.docs, OOBTree)


def _run(world, seed, days=4):
    """A smaller randomised run over the three bodies, across a month and quarter boundary."""
    app, conn, root = world
    rng = random.Random(seed)
    docs = []
    start = dt.datetime(2026, 3, 30, 9, 0, tzinfo=VN)
    for day in range(days):
        clock.set_now(start + dt.timedelta(days=day, hours=day % 3))
        for k in range(6):
            code = rng.choice((HOST, DEMO_RECEIVER, BTG))
            docs.append(svc.create(root, root['bodies'][code], incoming(
                doc_type=rng.choice(('CV', 'TTr')), urgency=rng.choice(('normal', 'khan', 'hoa_toc')),
                number_symbol=f'{day * 6 + k + 1}-CV/BTCTU', channel=rng.choice(('electronic', 'paper')),
                received_at=clock.iso(clock.now())), [], app.registry.archive_settings, PEOPLE[code][0]))
        for _k in range(12):
            clock.set_now(clock.now() + dt.timedelta(minutes=rng.randint(5, 90)))
            moving = [d for d in docs if d.state not in ('completed', 'refused', 'deleted', 'destroyed')]
            step(root, app.registry, rng.choice(moving or docs), rng)
        conn.transaction_manager.commit()
    return docs


def test_rollups_equal_the_day_sets_and_indexes_and_a_drift_is_found_and_rebuilt(world):
    """The roll-ups across bodies hold what the entries of the days hold (with the document type),
    the deadline roll-up what the deadline indexes hold, the late index the late entries of the
    days; a drift in any of them is named by the recount and repaired by rebuild."""
    from archive.reports import figures as F
    _app, conn, root = world
    _run(world, 1512)
    stats = root.stats
    assert recount.differences(root) == []
    counters.fold_all(stats)                # what is pending goes into the others: the same counts
    assert recount.differences(root) == []
    by_month = {}
    for (day, code), entries in stats.docs.items():
        month = by_month.setdefault((f'M{day[1:8]}', code), {})
        for e in entries:
            month[R.column(counters.entry_key(e))] = month.get(R.column(counters.entry_key(e)), 0) + 1
    assert by_month and {key: R.row(stats.rollups, *key) for key in by_month} == by_month
    assert sum(len(r.rows) for r in stats.rollups.values()) == len(by_month)
    deadlines = {}
    for code in (HOST, DEMO_RECEIVER, BTG):
        for ordinal, _name in root['bodies'][code].documents.by_deadline.keys():
            day = dt.date.fromordinal(ordinal)
            deadlines[(code, day)] = deadlines.get((code, day), 0) + 1
    assert deadlines and {(code, dt.date.fromisoformat(f'{month[1:]}-{d}')): n
                          for (month, _s), r in stats.deadlines.items() for code, row in r.decoded().items()
                          for d, n in row.items()} == deadlines
    late = sorted(R.late_entry(day, code, e) for (day, code), entries in stats.docs.items() for e in entries
                  if counters.entry_key(e)[0] in counters.LATE)
    assert late and sorted(e for s in stats.late.values() for e in s) == late
    # the figures without the document type equal those with it, summed
    for code in (HOST, DEMO_RECEIVER, BTG):
        for start, end in ((dt.date(2026, 3, 1), dt.date(2026, 4, 30)), (dt.date(2026, 3, 31), dt.date(2026, 4, 1))):
            typed = F.sum_counts(stats, code, start, end)
            untyped = {}
            for (m, d, _t, r, u), n in typed.items():
                untyped[(m, d, '', r, u)] = untyped.get((m, d, '', r, u), 0) + n
            assert F.sum_rolled(stats, code, start, end) == untyped
    # a drift in each roll-up is named by the recount, and rebuild repairs it
    some = next(iter(stats.rollups.values()))
    body = next(iter(some.rows))
    some.add(body, 'received||CV|paper|0', 2)
    stats.deadlines[next(iter(stats.deadlines.keys()))].add(body, '15', 1)
    next(iter(stats.late.values())).remove(next(iter(next(iter(stats.late.values())))))
    kinds = sorted({d[1][0] for d in recount.differences(root)})
    assert kinds == ['deadlines', 'late', 'received']
    recount.rebuild(root)
    assert recount.differences(root) == []
    conn.transaction_manager.commit()


def test_pending_events_gathered_once_give_the_sums_read_shard_by_shard(world):
    """The dashboard reads every shard's pending events once (``counters.Gathered``): the sums of
    each body, whole months and days at the edges, with and without the type, are those read
    from each body's shard."""
    from archive.reports import figures as F
    _app, _conn, root = world
    _run(world, 1514)
    stats = root.stats
    assert any(len(p) for p in stats.pending.values())
    gathered = counters.Gathered(stats)
    for code in (HOST, DEMO_RECEIVER, BTG):
        for start, end in ((dt.date(2026, 3, 1), dt.date(2026, 4, 30)), (dt.date(2026, 3, 30), dt.date(2026, 4, 2))):
            for summed in (F.sum_counts, F.sum_rolled):
                alone = summed(stats, code, start, end)
                assert summed(stats, code, start, end, gathered=gathered) == alone and alone


def test_overdue_and_late_lists_from_the_rollups_equal_the_indexes(world):
    """The count of documents still open past their deadline (the deadline roll-up) equals the
    deadline index's list, and the late documents behind a figure (the late index) equal those
    found by reading every day of every body."""
    from archive.reports import figures as F
    app, conn, root = world
    _run(world, 1513, days=5)
    today = dt.date(2026, 4, 20)
    for code in (HOST, DEMO_RECEIVER, BTG):
        for start, end in ((dt.date(2026, 3, 1), dt.date(2026, 4, 19)), (dt.date(2026, 3, 31), dt.date(2026, 4, 2))):
            assert F.overdue(root, code, start, end, today) == len(F.overdue(root, code, start, end, today, names=True))
    assert sum(F.overdue(root, c, dt.date(2026, 3, 1), dt.date(2026, 4, 19), today) for c in (HOST, DEMO_RECEIVER, BTG)) > 0
    leader = root['users']['lanhdao']
    late = ['registered_late', 'assigned_late', 'completed_late', 'sent_late_urgent']
    clock.set_now(dt.datetime(2026, 4, 20, 9, 0, tzinfo=VN))
    for start, end in ((dt.date(2026, 3, 1), dt.date(2026, 4, 19)), (dt.date(2026, 3, 31), dt.date(2026, 4, 1))):
        query = F.Query(TU, True, start, end, 'total')
        from_index = F.documents_behind_each(root, leader, query, late)
        saved, root.stats.late = root.stats.late, None           # the day sets, read one by one
        try:
            from_days = F.documents_behind_each(root, leader, query, late)
        finally:
            root.stats.late = saved
        assert {m: [d.__name__ for d in v] for m, v in from_index.items()} == \
            {m: [d.__name__ for d in v] for m, v in from_days.items()}
    assert any(from_index.values())
    conn.transaction_manager.abort()


def test_rollups_merge_concurrent_changes(app):
    """Two transactions counting at once in the same shard of bodies (the same body, and two
    bodies) both commit, and every increment is kept; so do the deadline and late roll-ups."""
    import transaction

    conn_a, root_a = open_root(app)
    conn_b, root_b = open_root(app)
    try:
        other = next(c for c in root_a['bodies'].keys() if c != HOST and R.shard(c) == R.shard(HOST))
        key = ('registered_late', '', 'CV', '', True)
        counters._add(root_a.stats, HOST, dt.date(2026, 5, 4), key, 'a', 1)
        counters.deadline_moved(root_a, HOST, dt.date(2026, 5, 9).toordinal(), 1)
        conn_a.transaction_manager.commit()
        conn_b.sync()
        conn_a.sync()
        counters._add(root_a.stats, HOST, dt.date(2026, 5, 4), key, 'b', 1)
        counters.deadline_moved(root_a, HOST, dt.date(2026, 5, 9).toordinal(), 1)
        counters._add(root_b.stats, HOST, dt.date(2026, 5, 5), key, 'c', 1)
        counters._add(root_b.stats, other, dt.date(2026, 5, 5), key, 'd', 1)
        counters.deadline_moved(root_b, HOST, dt.date(2026, 5, 9).toordinal(), -1)
        conn_a.transaction_manager.commit()
        conn_b.transaction_manager.commit()       # would raise ConflictError without the merge
        conn_c, root_c = open_root(app)
        column = R.column(key)
        host = counters.month_row(root_c.stats, 'M2026-05', HOST)
        assert host[column] == 3 and counters.month_row(root_c.stats, 'M2026-05', other)[column] == 1
        assert R.row(root_c.stats.deadlines, 'M2026-05', HOST) == {'09': 1}
        late = counters.late_between(root_c.stats, 'M2026-05', R.shard(HOST), 'D2026-05-01', 'D2026-05-31')
        assert sorted(counters.entry_name(R.split_late(e)[2]) for e in late) == ['a', 'b', 'c', 'd']
        conn_c.close()
    finally:
        transaction.abort()
        conn_a.close()
        conn_b.close()


def _written(db):
    """The classes of the objects the last transaction wrote, with how many of each."""
    from ZODB.utils import get_pickle_metadata
    tid = db.lastTransaction()
    found = {}
    for txn in db.storage.iterator(tid, tid):
        for record in txn:
            name = '.'.join(get_pickle_metadata(record.data))
            found[name] = found.get(name, 0) + 1
    return found


def test_a_registration_writes_one_object_the_worker_folds_and_the_valve_without_it(file_app, monkeypatch):
    """What the counters add to a registration (#15: under 10 %): one object, the pending events
    of the body's shard, also the one that brings the shard to ``FOLD_AT`` (no roll-up: the fold
    is the worker's, after commit); the worker's round then writes the month's roll-up, the day's
    entry set (its tree, or its bucket once it has several) and the pending events. Without a
    worker, the registration that brings the shard to ``VALVE`` folds it. The objects written
    with and without counting are compared, one registration each."""
    from archive.exchange import worker
    from archive.workflow import engine
    app = file_app
    db = app.registry._zodb_databases['']
    conn, root = open_root(app)
    manager.push({'registry': app.registry, 'request': None})
    real = engine.counters.count
    try:
        clock.set_now(dt.datetime(2026, 5, 4, 9, 0, tzinfo=VN))
        docs = [svc.create(root, root['bodies'][HOST], incoming(number_symbol=f'{k}-CV/BTCTU'), [],
                           app.registry.archive_settings, 'vanthu') for k in range(8)]
        fire(root, docs[0], 'register', root['users']['vanthu'], app.registry)       # the register's first
        counters.fold_all(root.stats)              # what the template and the set-up counted
        conn.transaction_manager.commit()
        pending = root.stats.pending[R.shard(HOST)]
        monkeypatch.setattr(counters, 'FOLD_AT', 2)
        monkeypatch.setattr(counters, 'VALVE', 4)
        fire(root, docs[1], 'register', root['users']['vanthu'], app.registry)
        conn.transaction_manager.commit()
        counting = _written(db)
        fire(root, docs[2], 'register', root['users']['vanthu'], app.registry)       # FOLD_AT reached
        conn.transaction_manager.commit()
        reaching = _written(db)
        assert len(pending) == 2 and recount.differences(root) == []
        worker.run_round(app.registry)                                               # the worker's fold
        folding_ = _written(db)
        conn.sync()
        assert len(pending) == 0 and recount.differences(root) == []
        below = []
        for doc in docs[3:7]:                                  # no worker: the 4th pending event folds
            fire(root, doc, 'register', root['users']['vanthu'], app.registry)
            conn.transaction_manager.commit()
            below.append(_written(db))
        valve = below.pop()
        assert len(pending) == 0 and recount.differences(root) == []
        engine.counters.count = lambda *a, **kw: None
        fire(root, docs[7], 'register', root['users']['vanthu'], app.registry)
        conn.transaction_manager.commit()
        bare = _written(db)
    finally:
        engine.counters.count = real
        manager.pop()
        clock.set_now(None)
        conn.close()

    def added(written):
        return {name: n - bare.get(name, 0) for name, n in written.items() if n != bare.get(name, 0)}
    assert added(counting) == added(reaching) == {'archive.reports.counters.Pending': 1}, (counting, reaching, bare)
    assert all(added(w) == {'archive.reports.counters.Pending': 1} for w in below), below
    sets = {'BTrees.OOBTree.OOTreeSet', 'BTrees.OOBTree.OOSet', 'BTrees.OOBTree.OOBTree', 'BTrees.OOBTree.OOBucket'}
    assert folding_.get('archive.reports.rollups.Rollup') == 1 and folding_.get('archive.reports.counters.Pending') == 1
    assert set(folding_) - {'archive.reports.rollups.Rollup', 'archive.reports.counters.Pending'} <= sets, folding_
    folded = added(valve)
    assert folded.get('archive.reports.rollups.Rollup') == 1 and folded.get('archive.reports.counters.Pending') == 1
    assert set(folded) - {'archive.reports.rollups.Rollup', 'archive.reports.counters.Pending'} <= sets


def test_pending_events_merge_and_two_folds_at_once_conflict(app, monkeypatch):
    """Two transactions appending to one shard's pending events both commit; a fold beside an
    append keeps the append; two folds at once conflict (each would add the same records to the
    roll-ups), and the one retried leaves the counters equal to what was counted; the worker's
    fold, committed while two transactions have appended and not yet committed, loses neither."""
    import transaction
    from ZODB.POSException import ConflictError

    conn_a, root_a = open_root(app)
    conn_b, root_b = open_root(app)
    try:
        key = ('received', '', 'CV', 'manual', False)
        counters.fold_all(root_a.stats)
        conn_a.transaction_manager.commit()
        conn_b.sync()
        counters._add(root_a.stats, HOST, dt.date(2026, 5, 4), key, 'a', 1)
        counters._add(root_b.stats, HOST, dt.date(2026, 5, 4), key, 'b', 1)
        conn_a.transaction_manager.commit()
        conn_b.transaction_manager.commit()
        conn_a.sync()
        conn_b.sync()
        assert sorted(counters.entry_name(e) for e in counters.day_entries(root_a.stats, 'D2026-05-04', HOST)) == ['a', 'b']
        counters.fold_all(root_a.stats)                                         # a fold ...
        counters._add(root_b.stats, HOST, dt.date(2026, 5, 4), key, 'c', 1)     # ... beside an append
        conn_a.transaction_manager.commit()
        conn_b.transaction_manager.commit()
        conn_a.sync()
        conn_b.sync()
        assert counters.month_row(root_a.stats, 'M2026-05', HOST)[R.column(key)] == 3
        assert R.row(root_a.stats.rollups, 'M2026-05', HOST)[R.column(key)] == 2      # a, b folded; c pending
        counters._add(root_a.stats, HOST, dt.date(2026, 5, 4), key, 'd', 1)
        conn_a.transaction_manager.commit()
        conn_b.sync()
        counters.fold_all(root_a.stats)
        counters.fold_all(root_b.stats)
        conn_a.transaction_manager.commit()
        with pytest.raises(ConflictError):
            conn_b.transaction_manager.commit()
        conn_b.transaction_manager.abort()
        conn_b.sync()
        counters.fold_all(root_b.stats)                                         # the retry: nothing left
        conn_b.transaction_manager.commit()
        conn_c, root_c = open_root(app)
        assert R.row(root_c.stats.rollups, 'M2026-05', HOST)[R.column(key)] == 4
        assert sorted(counters.entry_name(e) for e in root_c.stats.docs[('D2026-05-04', HOST)]) == ['a', 'b', 'c', 'd']
        assert not len(root_c.stats.pending[R.shard(HOST)])
        conn_c.close()
        conn_a.sync()
        conn_b.sync()
        counters._add(root_a.stats, HOST, dt.date(2026, 5, 4), key, 'e', 1)
        conn_a.transaction_manager.commit()
        conn_b.sync()
        counters._add(root_a.stats, HOST, dt.date(2026, 5, 4), key, 'f', 1)    # two appends not yet
        counters._add(root_b.stats, HOST, dt.date(2026, 5, 5), key, 'g', 1)    # committed ...
        monkeypatch.setattr(counters, 'FOLD_AT', 1)
        assert folding.fold_due(app.registry, force=True) == 1                  # ... the worker folds 'e'
        conn_a.transaction_manager.commit()
        conn_b.transaction_manager.commit()
        conn_c, root_c = open_root(app)
        assert R.row(root_c.stats.rollups, 'M2026-05', HOST)[R.column(key)] == 5
        assert counters.month_row(root_c.stats, 'M2026-05', HOST)[R.column(key)] == 7
        pending = root_c.stats.pending[R.shard(HOST)]
        assert sorted(counters.entry_name(text) for _day, _body, text in pending.records()) == ['f', 'g']
        assert folding.fold_due(app.registry, force=True) == 2 and not folding.fold_due(app.registry, force=True)
        conn_c.sync()
        assert R.row(root_c.stats.rollups, 'M2026-05', HOST)[R.column(key)] == 7 and not len(pending)
        assert sorted(counters.entry_name(e) for e in root_c.stats.docs[('D2026-05-05', HOST)]) == ['g']
        conn_c.close()
    finally:
        transaction.abort()
        conn_a.close()
        conn_b.close()


def test_evolve_step_0018_moves_the_tallies_into_the_rollups(world):
    """A database counted before 0018 (per-body month tallies with the document type, roll-ups
    without it, rows stored as dicts): the step moves the counts into the roll-ups with the type,
    stores every row as bytes and drops the tallies; the counters equal a full recount and the
    figures by type and by body are those the tallies gave."""
    from BTrees.OOBTree import OOBTree

    from archive import evolve
    from archive.reports import figures as F
    _app, conn, root = world
    _run(world, 1518)
    stats = root.stats
    counters.fold_all(stats)
    stats.pending = None                    # before 0024 too
    assert recount.differences(root) == []
    full = recount.recount(root)
    stats.buckets = OOBTree()               # the shape of before: tallies, untyped rows as dicts
    for (month, _shard), rows in full['rollups'].items():
        for code, row in rows.items():
            tally = stats.buckets[(month, code)] = counters.Tally()
            for column, n in row.items():
                tally.add(R.key_of(column), n)
    for tree in (stats.rollups, stats.deadlines):
        for rollup in tree.values():
            rows = {}
            for code, row in rollup.decoded().items():
                for column, n in row.items():
                    old = column if tree is stats.deadlines else '|'.join(R.key_of(column)[i] for i in (0, 1, 3)) + \
                        ('|1' if R.key_of(column)[4] else '|0')
                    rows.setdefault(code, {})[old] = rows.get(code, {}).get(old, 0) + n
            rollup.rows = rows
    conn.transaction_manager.commit()
    assert stats.rollups and all(isinstance(row, dict) for r in stats.rollups.values() for row in r.rows.values())
    root.evolved.remove('0018-stats-tallies-in-rollups')
    assert [name for name, _fn in evolve.pending(root)] == ['0018-stats-tallies-in-rollups']
    evolve.evolve(root)
    conn.transaction_manager.commit()
    assert stats.buckets is None and recount.differences(root) == []
    assert all(isinstance(text, bytes) for tree in (stats.rollups, stats.deadlines)
               for rollup in tree.values() for text in rollup.rows.values())
    for code in (HOST, DEMO_RECEIVER, BTG):
        typed = F.sum_counts(stats, code, dt.date(2026, 3, 1), dt.date(2026, 4, 30))
        wanted = {}
        for month in ('M2026-03', 'M2026-04'):
            for column, n in full['rollups'].get((month, R.shard(code)), {}).get(code, {}).items():
                wanted[R.key_of(column)] = wanted.get(R.key_of(column), 0) + n
        assert typed == wanted and wanted


def test_evolve_step_0023_groups_the_counters_by_the_new_shards(world, monkeypatch):
    """A database counted with 16 shards of bodies (before 0023): the step groups the roll-ups,
    the deadline roll-ups and the late sets again by each body's shard out of ``SHARDS`` (32), from
    what is stored; before it a recount finds them misplaced, after it none, and the figures of
    each body are the same."""
    from archive import evolve
    from archive.reports import figures as F
    _app, conn, root = world
    monkeypatch.setattr(R, 'SHARDS', 16)
    monkeypatch.setattr(counters, 'VALVE', 5)   # some folded (no worker here), some pending
    recount.rebuild(root)                  # what the template counted, as 16 shards held it
    _run(world, 2323)
    stats = root.stats
    assert recount.differences(root) == []
    before = {code: F.sum_counts(stats, code, dt.date(2026, 3, 1), dt.date(2026, 4, 30))
              for code in (HOST, DEMO_RECEIVER, BTG)}
    old_keys = set(stats.rollups.keys())
    monkeypatch.undo()
    assert R.SHARDS == 32 and {R.shard(code) for code in (HOST, DEMO_RECEIVER, BTG)} != {15}
    assert recount.differences(root) != []            # grouped by the old shards
    root.evolved.discard('0023-stats-shards')
    assert [name for name, _fn in evolve.pending(root)] == ['0023-stats-shards']
    evolve.evolve(root)
    conn.transaction_manager.commit()
    assert recount.differences(root) == [] and set(stats.rollups.keys()) != old_keys
    assert all(code_shard == R.shard(code) for tree in (stats.rollups, stats.deadlines)
               for (_month, code_shard), rollup in tree.items() for code in rollup.rows)
    assert all(key[1] == R.shard(R.split_late(text)[1]) for key, entries in stats.late.items() for text in entries)
    assert stats.late and stats.deadlines
    for code, figures in before.items():
        assert F.sum_counts(stats, code, dt.date(2026, 3, 1), dt.date(2026, 4, 30)) == figures and figures


def test_a_recount_without_the_workflows_refuses_rather_than_find_every_deadline_wrong(app):
    """Whether a document's deadline runs is said by its workflow's state (the registry's
    workflows): a recount without the registry pushed found no deadline running, and every
    counted deadline a difference (1,206 left over in a bench's recount). It refuses instead,
    naming what is missing; with the registry the same database equals its recount."""
    conn, root = open_root(app)
    try:
        manager.push({'registry': app.registry, 'request': None})
        try:
            clock.set_now(dt.datetime(2026, 6, 1, 9, 0, tzinfo=VN))
            doc = svc.create(root, root['bodies'][HOST], incoming(deadline='2026-06-10'), [],
                             app.registry.archive_settings, 'vanthu')
            fire(root, doc, 'register', root['users']['vanthu'], app.registry)
            assert R.row(root.stats.deadlines, 'M2026-06', HOST).get('10', 0) >= 1
            assert recount.differences(root) == []
        finally:
            manager.pop()
        from pyramid.registry import Registry
        manager.push({'registry': Registry('bare'), 'request': None})
        try:
            with pytest.raises(LookupError, match='workflow registry'):
                recount.recount(root)
            with pytest.raises(LookupError, match='workflow registry'):
                recount.differences(root)
            with pytest.raises(LookupError, match='workflow registry'):
                recount.rebuild(root)
        finally:
            manager.pop()
    finally:
        clock.set_now(None)
        conn.transaction_manager.abort()
        conn.close()


def test_evolve_step_0024_gives_each_shard_its_pending_events(world):
    """A database of before 0024 (no pending events: each event written into the roll-up and the
    day set at once) counts as it did; the step gives each shard its pending events, nothing
    stored moves, and the counters equal a full recount before and after."""
    from archive import evolve
    _app, conn, root = world
    stats = root.stats
    counters.fold_all(stats)
    stats.pending = None
    _run(world, 2424, days=2)
    assert recount.differences(root) == [] and stats.pending is None
    rollups = {key: r.decoded() for key, r in stats.rollups.items()}
    root.evolved.discard('0024-stats-pending')
    assert [name for name, _fn in evolve.pending(root)] == ['0024-stats-pending']
    evolve.evolve(root)
    assert sorted(stats.pending.keys()) == list(range(R.SHARDS)) and not any(len(p) for p in stats.pending.values())
    assert {key: r.decoded() for key, r in stats.rollups.items()} == rollups
    _run(world, 2425, days=2)
    assert recount.differences(root) == [] and any(len(p) for p in stats.pending.values())
    conn.transaction_manager.commit()

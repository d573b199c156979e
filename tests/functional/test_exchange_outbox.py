"""The status sender reads the outbox's index of pending messages, not the history: a due status
is found among many carried ones without reading them, carried messages leave the index, an
existing outbox gets its index from an evolve step, and a status that cannot be signed (its body
has no key) is tried again after its own back-off without holding back the ones behind it."""
import datetime as dt

import pytest
from ZODB.ActivityMonitor import ActivityMonitor

from archive import clock, evolve
from archive.exchange import worker
from archive.outbox import outbox_of, stamp

from ..conftest import HOST_CODE, free_port
from .test_exchange_local import BTG, Session, act, exchange_app, rows, send  # noqa: F401 (a fixture)
from .test_exchange_paper import sent_document_id

BDV = '000.00.05.H01'           # Ban Dân vận: a body of the demo with no key in the key store
HISTORY = 400                   # status messages carried before the one to send


def deliver_all(app):
    while worker.deliver_one(app.registry) is not None:
        pass


def loads_while(app, fn):
    """How many objects the database loaded while ``fn()`` ran, every cache emptied first."""
    db = app.registry._zodb_databases['']
    db.cacheMinimize()
    db._connectionMap(lambda conn: conn.getTransferCounts(True))
    monitor = ActivityMonitor()
    db.setActivityMonitor(monitor)
    try:
        result = fn()
    finally:
        db.setActivityMonitor(None)
    return result, sum(d['loads'] for d in monitor.getActivityAnalysis(divisions=1))


def test_a_due_status_is_found_among_many_carried_without_reading_them(exchange_app):
    app = exchange_app
    sent = send(app, [BTG], abstract='Một trạng thái sau nhiều trạng thái đã gửi')
    assert worker.run_round(app.registry) == 2            # delivered, status 01 carried
    with Session(app) as root:                           # a long history of statuses carried
        box = outbox_of(root)
        for n in range(HISTORY):
            key = box.put('status', status_code='01', document=f'cu-{n}', body=BTG, description='')
            box.settle(key, 'carried')
    act(app, BTG, sent_document_id(app, sent), 'vanthu.btg', 'register')     # status 03 queued
    with Session(app) as root:
        [(key, message)] = outbox_of(root).pending('status')
        assert message['status_code'] == '03' and len(outbox_of(root).items) == HISTORY + 2

    carried, loads = loads_while(app, lambda: worker.send_one_status(app.registry))
    assert carried == key and rows(app, sent['id'])[BTG][1] == ['01', '03']
    assert loads < HISTORY / 4, loads                   # not one load per message of the history
    with Session(app) as root:
        box = outbox_of(root)
        assert list(box.due) == [] and box.items[key].state == 'carried'     # the index: pending only
        assert box.pending('status') == [] and worker.send_one_status(app.registry) is None


def test_an_existing_outbox_gets_its_index_from_an_evolve_step(exchange_app):
    app = exchange_app
    start = clock.now()
    later = start + dt.timedelta(minutes=5)
    with Session(app) as root:          # an outbox as stored before the index: states set in place
        box = outbox_of(root)
        keys = []
        for n, code in enumerate(('01', '03', '04', '05', '06')):
            clock.set_now(start + dt.timedelta(seconds=n))
            keys.append(box.put('status', status_code=code, document='d', body=BTG, description=''))
        clock.set_now(None)
        first, waiting, carried, failed, forward = keys
        box.items[waiting].fields = dict(box.items[waiting].fields, attempts=1,
                                         next_attempt_at=clock.iso(later))
        box.items[carried].state, box.items[failed].state = 'carried', 'failed'
        box.items[forward].kind = 'forward'
        for message in box.items.values():
            del message.due_at
        del box.due, box.failed
        root.evolved.remove('0006-outbox-index')
        assert box.due is None
    with Session(app) as root:
        assert evolve.evolve(root) == ['0006-outbox-index']
        box = outbox_of(root)
        assert list(box.due) == [('forward', forward[0], forward), ('status', first[0], first),
                                 ('status', stamp(clock.parse_iso(clock.iso(later))), waiting)]
        assert list(box.failed) == [('status', failed)]
        assert box.first_due('status') == (first, box.items[first])
        assert [k for k, _m in box.stuck('status', 10)] == [failed, waiting, first]
        assert [k for k, _m in box.pending('status')] == [first, waiting]


@pytest.mark.parametrize('route', ['hosted', 'instance'])
def test_a_status_that_cannot_be_signed_holds_back_none_behind_it(exchange_app, route):
    """The first status queued is for a body with no key (it cannot be signed); the one queued after
    it, for a body with its key, goes (on this instance) or is tried (to another, at a closed port)
    in the same round; the first waits for its own next try, and is tried again when due."""
    app = exchange_app
    poisoned = send(app, [BDV], abstract='Cơ quan nhận chưa có khóa')
    deliver_all(app)                            # BDV's status 01 queued first
    healthy = send(app, [BTG], abstract='Cơ quan nhận có khóa')
    deliver_all(app)                            # BTG's status 01 queued after it
    if route == 'instance':
        with Session(app) as root:
            host = root['bodies'][HOST_CODE]
            host.route, host.address = 'instance', f'http://127.0.0.1:{free_port()}'

    worker.run_round(app.registry)
    with Session(app) as root:
        box = outbox_of(root)
        [bad] = [m for m in box.items.values() if m.get('body') == BDV]
        [good] = [m for m in box.items.values() if m.get('body') == BTG]
        assert (bad.state, bad['attempts']) == ('pending', 1) and BDV in bad['last_error']
        assert clock.parse_iso(bad['next_attempt_at']) > clock.now()
        if route == 'hosted':
            assert good.state == 'carried'
        else:
            assert (good.state, good['attempts']) == ('pending', 1) and '127.0.0.1' in good['last_error']
    if route == 'hosted':
        assert rows(app, healthy['id'])[BTG][1] == ['01']
    assert rows(app, poisoned['id'])[BDV][1] == []

    clock.set_now(clock.parse_iso(bad['next_attempt_at']) + dt.timedelta(seconds=1))
    try:                                        # when due, the first is tried again, once
        for _ in range(5):
            if worker.send_one_status(app.registry) is None:
                break
    finally:
        clock.set_now(None)
    with Session(app) as root:
        [bad] = [m for m in outbox_of(root).items.values() if m.get('body') == BDV]
        assert (bad.state, bad['attempts']) == ('pending', 2)

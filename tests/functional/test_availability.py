"""Availability of the exchange (Art. 13.1) from the journal: the worker's start, heartbeats and
stop, each route's failures and recoveries, and ``reports.availability.downtime`` computing the
intervals each was down (issue 15, item 4: the figures of the quarterly report)."""
import datetime as dt
import threading
import time

from archive import audit, clock
from archive.exchange import wake, worker
from archive.reports.availability import downtime

from ..conftest import HOST_CODE, free_port
from .test_exchange_local import BTG, Session, exchange_app, send  # noqa: F401 (a fixture)

T0 = dt.datetime(2026, 10, 1, 8, 0, tzinfo=clock.VN)


def at(minutes):
    return T0 + dt.timedelta(minutes=minutes)


def journal(app, events):
    """``(minute, chain, action, details)`` appended at those times, as the worker appends them."""
    try:
        with Session(app) as root:
            for minute, chain, action, details in events:
                clock.set_now(at(minute))
                audit.append(root, chain, action, 'exchange', **details)
    finally:
        clock.set_now(None)


def span(a, b):
    return (clock.iso(at(a)), clock.iso(at(b)))


def test_downtime_of_the_worker_and_of_each_route(file_app):
    w, r = audit.WORKER_CHAIN, audit.ROUTES_CHAIN
    beat = {'worker': 'w1', 'every': 300}
    journal(file_app, [
        (0, w, 'worker_started', beat), (5, w, 'worker_alive', beat), (10, w, 'worker_alive', beat),
        (7, r, 'route_down', {'route': 'instance', 'error': 'connection refused'}),
        (15, r, 'route_up', {'route': 'instance'}),
        # silent after minute 10: up until 20 (twice the heartbeat), then down until it starts again
        (60, w, 'worker_started', beat), (65, w, 'worker_alive', beat), (70, w, 'worker_stopped', beat),
        (80, r, 'route_down', {'route': 'email', 'error': 'SMTP 421'}),
    ])
    with Session(file_app) as root:
        got = downtime(root, at(0), at(90), now=at(90))
        assert got['measured_from'] == clock.iso(at(0))
        assert got['worker'] == {'intervals': [span(20, 60), span(70, 90)], 'seconds': 60 * 60}
        assert got['routes'] == {'instance': {'intervals': [span(7, 15)], 'seconds': 8 * 60},
                                 'email': {'intervals': [span(80, 90)], 'seconds': 10 * 60},
                                 'axis': {'intervals': [], 'seconds': 0}}
        clipped = downtime(root, at(12), at(85), now=at(200))            # the period's edges cut
        assert clipped['worker']['intervals'] == [span(20, 60), span(70, 85)]
        assert clipped['routes']['instance']['intervals'] == [span(12, 15)]
        assert clipped['routes']['email']['intervals'] == [span(80, 85)]
        later = downtime(root, at(3 * 24 * 60), at(4 * 24 * 60), now=at(5 * 24 * 60))   # nothing journaled since
        assert later['worker']['seconds'] == 24 * 3600 and later['routes']['email']['seconds'] == 24 * 3600
        before = downtime(root, at(-120), at(-60), now=at(90))             # before anything was recorded
        assert before['measured_from'] is None and before['worker'] == {'intervals': [], 'seconds': 0}


def test_the_quarterly_reports_availability_section_reads_the_same_journal(file_app):
    """What the quarterly report shows (reports.quarterly.availability): per day, to midnight."""
    from archive.reports import quarterly
    w, r = audit.WORKER_CHAIN, audit.ROUTES_CHAIN
    beat = {'worker': 'w1', 'every': 300}
    journal(file_app, [
        (0, w, 'worker_started', beat), (10, w, 'worker_alive', beat), (40, w, 'worker_started', beat),
        (7, r, 'route_down', {'route': 'instance', 'error': 'x'}), (15, r, 'route_up', {'route': 'instance'}),
        (80, r, 'route_down', {'route': 'email', 'error': 'SMTP 421'}),
    ])
    day = T0.date()
    with Session(file_app) as root:
        rows = dict(quarterly.availability(root, day, day))
        assert rows['Đo từ'] == '01/10/2026 08:00'
        # silent from minute 10: down from 20 to 40, then from 50 (its start's heartbeat lapsed) to midnight
        assert rows['Tiến trình trao đổi văn bản ngừng'] == '15 giờ 30 phút (2 lần)'
        assert rows['Liên thông giữa các hệ thống (HTTP) ngừng'] == '0 giờ 8 phút (1 lần)'
        assert rows['Thư điện tử công vụ ngừng'] == '14 giờ 40 phút (1 lần)'
        assert rows['Trục liên thông quốc gia ngừng'] == '0 giờ 0 phút (0 lần)'
        assert quarterly.availability(root, day - dt.timedelta(days=2), day - dt.timedelta(days=1)) == [
            ('Tiến trình trao đổi văn bản', 'Chưa đo (chưa có nhịp hoạt động nào trong kỳ)')]


def test_two_workers_each_alive_cover_each_other(file_app):
    w = audit.WORKER_CHAIN
    journal(file_app, [(0, w, 'worker_started', {'worker': 'a', 'every': 60}),
                       (1, w, 'worker_started', {'worker': 'b', 'every': 60}),
                       (2, w, 'worker_stopped', {'worker': 'a', 'every': 60}),
                       (2.5, w, 'worker_alive', {'worker': 'b', 'every': 60})])
    with Session(file_app) as root:
        assert downtime(root, at(0), at(6), now=at(6))['worker']['intervals'] == [span(4.5, 6)]


def test_the_worker_journals_its_start_heartbeats_and_stop(file_app):
    file_app.registry.archive_settings.heartbeat_minutes = 0.001       # 60 ms
    stop = wake.Stop()
    thread = threading.Thread(target=worker.run_forever, args=(file_app.registry, stop, 0.02))
    thread.start()
    time.sleep(0.3)
    stop.set()
    thread.join(5)
    with Session(file_app) as root:
        actions = [e['action'] for e in audit.entries(root, audit.WORKER_CHAIN)]
        start = clock.parse_iso(audit.entries(root, audit.WORKER_CHAIN)[0]['at'])
        got = downtime(root, start, clock.now())
    assert actions[0] == 'worker_started' and actions[-1] == 'worker_stopped'
    assert 2 <= actions.count('worker_alive') <= 6                      # a write per heartbeat, not per round
    assert got['worker']['seconds'] <= 1                                 # stopped just now


def test_a_route_failing_and_recovering_is_journaled_once_each(exchange_app):
    app = exchange_app
    with Session(app) as root:
        body = root['bodies'][BTG]
        body.route, body.address = 'instance', f'http://127.0.0.1:{free_port()}'
    clock.set_now(clock.now() - dt.timedelta(hours=2))
    try:
        send(app, [BTG], abstract='Tới một hệ thống đang tắt')
        worker.run_round(app.registry)
        clock.set_now(clock.now() + dt.timedelta(hours=1))       # its next attempt is due: it fails again
        worker.run_round(app.registry)
    finally:
        clock.set_now(None)
    worker.route_seen(app.registry, 'instance', True)                  # it answered again
    worker.route_seen(app.registry, 'instance', True)
    with Session(app) as root:
        changes = [(e['action'], e['details']['route']) for e in audit.entries(root, audit.ROUTES_CHAIN)]
        attempts = max(d.attempts for d in root.exchange.deliveries.values())
        got = downtime(root, clock.now() - dt.timedelta(hours=3), clock.now())
    assert attempts == 2 and changes == [('route_down', 'instance'), ('route_up', 'instance')]
    [(down, up)] = got['routes']['instance']['intervals']
    assert dt.timedelta(minutes=119) < clock.parse_iso(up) - clock.parse_iso(down) < dt.timedelta(minutes=121)
    assert HOST_CODE not in got['routes']

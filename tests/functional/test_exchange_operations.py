"""The administrators' page on the exchange (*Tình trạng trao đổi văn bản*, Art. 6.4, 7) and
/healthz, through the real app and the real worker: a delivery past the retry limit, an Art. 8
paper copy recorded sent, a status message that could not leave (its sender's instance at a
closed port), a package the receiving path refused. Administrators only."""
import re
import time

from archive.exchange import deliveries, worker
from archive.outbox import outbox_of

from ..conftest import HOST_CODE, client, free_port
from .test_exchange_local import BTG, Session, act, exchange_app, send  # noqa: F401 (a fixture)
from .test_exchange_paper import (file_app, on_paper, paper_url, rows_of,  # noqa: F401 (fixtures)
                                  sent_document_id, spec)
from .test_openapi import conforms


def count(page, name):
    return int(re.search(rf'data-count="{name}">(\d+)<', page.text).group(1))


def stuck_status(app, anon):
    """A status 03 for a document the host sent, while the host's directory entry points at an
    instance that never answers: carried, retried, then given up ('failed'). /healthz counts it
    waiting to leave until it is given up."""
    sent = send(app, [BTG], abstract='Trạng thái không về được')
    worker.run_round(app.registry)
    assert anon.get('/healthz').json['exchange']['messages_waiting'] == 0
    with Session(app) as root:
        host = root['bodies'][HOST_CODE]
        host.route, host.address = 'instance', f'http://127.0.0.1:{free_port()}'
    act(app, BTG, sent_document_id(app, sent), 'vanthu.btg', 'register')
    assert anon.get('/healthz').json['exchange']['messages_waiting'] == 1
    for _ in range(40):
        worker.run_round(app.registry)
        with Session(app) as root:
            states = [m.state for m in outbox_of(root).items.values()
                      if m.kind == 'status' and m['status_code'] == '03']
        if states == ['failed']:
            assert anon.get('/healthz').json['exchange']['messages_waiting'] == 0
            return
        time.sleep(0.03)
    raise AssertionError(f'the status message was not given up: {states}')


def refused_delivery(app):
    """A package the receiving path refuses (it no longer knows the sender's certificate)."""
    sent = send(app, [BTG], abstract='Không kiểm tra được chữ ký')
    with Session(app) as root:
        certificates = root['bodies'][HOST_CODE].certificates
        for fp in [fp for fp, r in certificates.items() if r.kind == 'org-sign']:
            del certificates[fp]
    worker.run_round(app.registry)
    assert [r[3] for r in rows_of(app, sent['id'])] == ['declined']


def test_the_operations_page_shows_the_exchange_to_administrators_only(exchange_app, spec):
    app = exchange_app
    anon, clerk, admin = client(app), client(app, 'vanthu'), client(app, 'quantri')
    page = admin.get('/admin/exchange')
    assert count(page, 'paper_waiting') == count(page, 'declined') == count(page, 'failed') == 0
    assert 'data-failure=' not in page.text and 'data-refusal=' not in page.text

    art8 = send(app, [BTG], abstract='Báo cáo tài chính', paper_category='tai_chinh')
    [paper_row] = [r[0] for r in rows_of(app, art8['id']) if r[2] == 'paper']
    clerk.post_json(paper_url(art8, paper_row), {'means': 'hand'}, headers={'X-CSRF-Token': clerk.csrf})
    worker.run_round(app.registry)
    sent, on_paper_id = on_paper(app)
    health = conforms(spec, anon.get('/healthz')).json
    assert health['paper_waiting'] == 1 and health['exchange']['waiting'] == {}
    stuck_status(app, anon)
    refused_delivery(app)

    page = admin.get('/admin/exchange')
    assert page.status_int == 200 and 'Tình trạng trao đổi văn bản' in page.text
    assert (count(page, 'paper_waiting'), count(page, 'paper_sent'), count(page, 'declined')) == (1, 1, 1)
    assert count(page, 'delivered') == 2 and count(page, 'in_flight') == count(page, 'retrying') == 0
    failure = re.search(rf'<tr data-failure="{on_paper_id}" data-state="paper">(.*?)</tr>', page.text, re.S).group(1)
    assert 'Connection refused' in failure and '127.0.0.1' in failure and '<td>2</td>' in failure
    assert 'data-state="failed"' in page.text and 'Không gửi được' in page.text     # the status message
    message = re.search(r'<tr data-message="[0-9a-f]+" data-state="failed">(.*?)</tr>', page.text, re.S).group(1)
    assert '<td>03</td>' in message and 'Connection refused' in message and f'<code>{HOST_CODE}</code>' in message
    assert 'data-refusal="sender_has_no_certificate"' in page.text
    assert sent['abstract'] not in page.text                                   # an administrator sees no document
    assert 'href="http://localhost/admin/exchange"' in page.text                # in the administrators' menu

    assert 'admin/exchange' not in clerk.get('/desk').text
    clerk.get('/admin/exchange', status=403)
    client(app, 'lanhdao').get('/admin/exchange', status=403)
    assert anon.get('/admin/exchange', status=303).location.startswith('http://localhost/login')


def test_recent_failures_are_bounded_newest_first(exchange_app):
    """Sixty failed deliveries: the page lists the fifty most recent, newest first."""
    app = exchange_app
    with Session(app) as root:
        ex = deliveries.exchange_of(root)
        for n in range(60):
            d = deliveries.Delivery(HOST_CODE, f'doc{n}', f'id-{n}', BTG, 'Ban', 'instance', 3)
            d.errors = [{'attempt': 1, 'at': f'2026-11-24T09:{n:02d}:00+07:00', 'error': f'lỗi số {n}'}]
            d.last_error, d.state = f'lỗi số {n}', deliveries.FAILED
            ex.deliveries[d.id] = d
    page = client(app, 'quantri').get('/admin/exchange')
    shown = [int(n) for n in re.findall(r'lỗi số (\d+)', page.text)]
    assert shown == list(range(59, 9, -1)) and count(page, 'failed') == 60


def test_the_operations_page_writes_times_as_people_write_them(exchange_app):
    """A failure's time on the administrators' page: 24/11/2026 09:07, its ISO form kept in
    ``<time datetime>`` (#14: ISO stays inside and in the API)."""
    app = exchange_app
    with Session(app) as root:
        d = deliveries.Delivery(HOST_CODE, 'doc7', 'id-7', BTG, 'Ban', 'instance', 3)
        d.errors = [{'attempt': 1, 'at': '2026-11-24T09:07:00+07:00', 'error': 'lỗi số 7'}]
        d.last_error, d.state = 'lỗi số 7', deliveries.FAILED
        deliveries.exchange_of(root).deliveries[d.id] = d
    page = client(app, 'quantri').get('/admin/exchange')
    [row] = [tr for tr in page.html.select('main tr') if 'lỗi số 7' in tr.get_text()]
    shown = row.select_one('time')
    assert (shown.get_text(), shown['datetime']) == ('24/11/2026 09:07', '2026-11-24T09:07:00+07:00')
    assert not re.search(r'\d{4}-\d{2}-\d{2}T', page.html.select_one('main').get_text())

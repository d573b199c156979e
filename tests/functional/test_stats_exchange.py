"""Statistics of the exchange (#15 item 1): an outgoing document sent late (Art. 6.3) to two hosted
bodies is counted as sent, late, and once per delivery route at the sender, and as received
electronically at each receiver, in the transactions that send and receive it; the counters
equal a full recount; each office sees its own figures through the API."""
import datetime as dt

from archive import clock
from archive.reports import counters, recount
from archive.reports import figures as F
from archive.reports import rollups as R
from archive.exchange import worker

from ..conftest import HOST_CODE, client
from ..helpers import multipart, pdf
from .test_exchange_local import API, BTC, BTG, Session, exchange_app, send  # noqa: F401 (a fixture)

VN = dt.timezone(dt.timedelta(hours=7))


def test_sent_late_and_received_by_exchange_are_counted(exchange_app):
    app = exchange_app
    clerk, leader = client(app, 'vanthu'), client(app, 'lanhdao')
    try:
        clock.set_now(dt.datetime(2026, 11, 23, 9, 0, tzinfo=VN))        # a Monday
        values = {'direction': 'outgoing', 'organ_id': HOST_CODE, 'doc_type': 'CV', 'holder_unit': 'TH',
                  'abstract': 'Công văn gửi chậm', 'send_to': [BTC, BTG], 'signer_name': 'Trần Văn Lãnh Đạo'}
        params, files = multipart(values, ('cong-van.pdf', pdf('Cong van')))
        doc = clerk.post(API, params, upload_files=files, headers={'X-CSRF-Token': clerk.csrf}, status=201).json
        for who, action in ((clerk, 'submit'), (leader, 'approve'), (clerk, 'number'), (clerk, 'sign')):
            who.post_json(f"{API}/{doc['id']}/transitions/{action}", {}, headers={'X-CSRF-Token': who.csrf})
        clock.set_now(dt.datetime(2026, 11, 25, 15, 0, tzinfo=VN))       # past Tuesday's noon: late
        clerk.post_json(f"{API}/{doc['id']}/transitions/send", {}, headers={'X-CSRF-Token': clerk.csrf})
        send(app, [BTG], abstract='Báo cáo tài chính', paper_category='tai_chinh')      # Art. 8, on time
        worker.run_round(app.registry)
        with Session(app) as root:
            assert recount.differences(root) == []
            month = {code: F.summary(counters.month_counts(root.stats, 'M2026-11', code)) for code in (HOST_CODE, BTC, BTG)}
            sent_via = {k[3]: n for k, n in counters.month_counts(root.stats, 'M2026-11', HOST_CODE).items()
                        if k[0] == 'sent_via'}
        host = month[HOST_CODE]
        assert (host['sent'], host['sent_late'], host['sent_on_time_pct'], host['dual_sent']) == (2, 1, 50.0, 1)
        assert sent_via == {'hosted': 3, 'paper': 1}
        assert (month[BTC]['received'], month[BTC]['received_electronic'], month[BTC]['received_paper']) == (1, 1, 0)
        assert (month[BTG]['received'], month[BTG]['received_electronic'], month[BTG]['received_paper']) == (2, 2, 0)
        period = {'from': '2026-11-01', 'to': '2026-11-25'}
        city = clerk.get('/api/v1/stats', params=dict(period, body='000.00.00.H01', group='body')).json
        assert (city['total']['sent'], city['total']['sent_late'], city['total']['received']) == (2, 1, 3)
        btc = client(app, 'vanthu.btc').get('/api/v1/stats', params=period).json
        assert (btc['body'], btc['total']['received'], btc['total']['sent']) == (BTC, 1, 0)
    finally:
        clock.set_now(None)


def test_packages_refused_before_any_document_are_counted_per_receiving_body(exchange_app):
    """A package refused before it became a document counts for the body it was addressed to,
    when its sender's signature verified (Tối mật, Tuyệt mật); one nobody vouched for (a
    signature that fails) counts for no body. The counters equal a full recount, which a drift
    in the refusal's counter breaks."""
    import pytest

    from archive.exchange import receive

    from .test_exchange_bad_input import package
    app = exchange_app
    try:
        clock.set_now(dt.datetime(2026, 11, 24, 9, 0, tzinfo=VN))
        sent = send(app, [BTG], abstract='Văn bản gửi rồi bị làm hỏng')
        bad = [('classification_refused', package(app, sent['id'], classification='toi_mat')),
               ('classification_refused', package(app, sent['id'], classification='tuyet_mat')),
               ('signature_invalid', package(app, sent['id']).replace(
                   'Văn bản gửi rồi bị làm hỏng'.encode(), 'Văn bản đã bị sửa đổi'.encode()))]
        for code, data in bad:
            with pytest.raises(receive.Refused) as info:
                receive.accept(app.registry, data, 'instance')
            assert info.value.code == code
        with Session(app) as root:
            assert recount.differences(root) == []
            month = counters.month_counts(root.stats, 'M2026-11', BTG)
            refused = {k[1]: n for k, n in month.items() if k[0] == 'refused_package'}
            assert refused == {'classification_refused': 2}
            assert not any(k[0] == 'refused_package' for k in counters.month_counts(root.stats, 'M2026-11', HOST_CODE))
            R.add(root.stats.rollups, 'M2026-11', BTG, R.column(('refused_package', 'classification_refused', '', 'instance', False)))
            assert [d[1][0] for d in recount.differences(root)] == ['refused_package']
            recount.rebuild(root)
        clerk = client(app, 'vanthu')
        city = clerk.get('/api/v1/stats', params={'from': '2026-11-01', 'to': '2026-11-24', 'body': '000.00.00.H01',
                                                   'group': 'body'}).json
        rows = {r['key']: r['figures']['refused_package'] for r in city['rows']}
        assert rows[BTG] == 2 and city['total']['refused_package'] == 2
        # on the dashboard: the figure, with no link to a list (no document stands behind it)
        page = clerk.get('/stats', params={'from': '2026-11-01', 'to': '2026-11-24', 'body': '000.00.00.H01'})
        cell = page.html.select_one('tr[data-figure="refused_package"] td')
        assert cell.text.strip() == '2' and cell.select_one('a') is None
        assert page.html.select('tr[data-figure] td a')             # other figures link to their lists
        clerk.get('/stats/documents', params={'from': '2026-11-01', 'to': '2026-11-24', 'metric': 'refused_package'},
                  status=400)
    finally:
        clock.set_now(None)

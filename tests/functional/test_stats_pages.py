"""Statistics read back (#15 items 2, 3, 4, 6 and the bad input): the roll-up over the body tree
within what each reader may see, merged bodies rolling up to their successor, the dashboard with
its charts and drill-down, the quarterly report read back from PDF, XLSX and CSV, and the same
error code in the page and the API for each bad question."""
import datetime as dt
import io
import re
from importlib.resources import files
from xml.etree import ElementTree

import pytest
from pyramid.threadlocal import manager

from archive import clock
from archive.reports import counters
from archive.seed import DEMO_RECEIVER, HOST
from archive.services import documents as svc

from ..conftest import open_root
from ..helpers import incoming

VN = dt.timezone(dt.timedelta(hours=7))
TU = '000.00.00.H01'
BTG = '000.00.03.H01'
QUHK, DUPHK = '000.01.00.H01', '000.01.10.H01'     # the district merged into the ward on 2025-06-30
NOW = dt.datetime(2026, 11, 30, 10, 0, tzinfo=VN)


@pytest.fixture
def figures_app(app):
    """Documents received in Q4 2026: 2 in the city office, 3 in Ban Tổ chức, 1 in Ban Tuyên giáo
    (one urgent, one on paper); and counters of the merged district before and after its merger."""
    conn, root = open_root(app)
    manager.push({'registry': app.registry, 'request': None})
    try:
        made = 0
        for code, n in ((HOST, 2), (DEMO_RECEIVER, 3), (BTG, 1)):
            for _k in range(n):
                made += 1
                clock.set_now(dt.datetime(2026, 10, 5 + made, 9, 0, tzinfo=VN))
                svc.create(root, root['bodies'][code], incoming(
                    number_symbol=f'{made}-CV/BTCTU', doc_type='CV', received_at=clock.iso(clock.now()),
                    abstract=f'Công văn thống kê số {made}', channel='paper' if made == 6 else 'electronic',
                    urgency='khan' if made == 1 else 'normal', deadline='2026-10-20'),
                    [], app.registry.archive_settings, 'vanthu')
        key = ('received', '', 'CV', 'hosted', False)
        counters._add(root.stats, QUHK, dt.date(2025, 5, 2), key, 'before', 1)
        counters._add(root.stats, QUHK, dt.date(2025, 8, 1), key, 'after', 1)
        conn.transaction_manager.commit()
    finally:
        manager.pop()
        conn.close()
    clock.set_now(NOW)
    yield app
    clock.set_now(None)


def stats(client, status=200, **params):
    return client.get('/api/v1/stats', params=params, status=status).json


def test_city_office_sees_every_body_and_subtree_totals(figures_app, clerk):
    got = stats(clerk, body=TU, subtree='1', **{'from': '2026-10-01', 'to': '2026-11-30'}, group='body')
    rows = {r['key']: r['figures'] for r in got['rows']}
    assert rows[HOST]['received'] == 2 and rows[DEMO_RECEIVER]['received'] == 3 and rows[BTG]['received'] == 1
    assert got['total']['received'] == 6
    assert got['total']['received_paper'] == 1 and got['total']['received_electronic'] == 5
    # the deadline 2026-10-20 passed with all six still waiting for registration
    assert got['total']['overdue_open'] == 6
    assert got['received_by_route'] == {'manual': 5, 'paper': 1}
    one = stats(clerk, body=DEMO_RECEIVER, subtree='0', **{'from': '2026-10-01', 'to': '2026-11-30'})
    assert one['total']['received'] == 3 and one['rows'] == []


def test_a_committee_office_sees_only_its_own_branch(figures_app, other_clerk):
    own = stats(other_clerk, **{'from': '2026-10-01', 'to': '2026-11-30'}, group='body')
    assert own['body'] == DEMO_RECEIVER
    assert [r['key'] for r in own['rows']] == [DEMO_RECEIVER]
    assert own['total']['received'] == 3          # not 6: no other branch inside its totals
    for other in (TU, HOST, BTG):
        err = stats(other_clerk, status=403, body=other, **{'from': '2026-10-01', 'to': '2026-11-30'})
        assert err['errors'][0]['code'] == 'stats_forbidden'
        page = other_clerk.get('/stats', params={'body': other}, status=403)
        assert 'data-code="stats_forbidden"' in page.text
    for metric in ('received', 'overdue_open'):
        other_clerk.get('/stats/documents', params={'body': HOST, 'metric': metric,
                                                    'from': '2026-10-01', 'to': '2026-11-30'}, status=403)
    err = other_clerk.get('/api/v1/reports/quarterly', params={'body': TU, 'year': 2026, 'quarter': 4,
                                                               'format': 'json'}, status=403).json
    assert err['errors'][0]['code'] == 'stats_forbidden'


def test_processor_sees_no_figures(figures_app, processor):
    err = stats(processor, status=403, **{'from': '2026-10-01', 'to': '2026-11-30'})
    assert err['errors'][0]['code'] == 'stats_forbidden'


def test_merged_body_keeps_its_history_and_rolls_up_to_its_successor(figures_app, clerk):
    period = {'from': '2025-04-01', 'to': '2025-09-30'}
    rows = {r['key']: r['figures']['received'] for r in
            stats(clerk, body=TU, subtree='1', group='body', **period)['rows']}
    assert rows[QUHK] == 1 and rows[DUPHK] == 1
    assert stats(clerk, body=QUHK, subtree='1', **period)['total']['received'] == 1
    assert stats(clerk, body=DUPHK, subtree='1', **period)['total']['received'] == 1
    assert stats(clerk, body=DUPHK, subtree='1', **{'from': '2025-04-01', 'to': '2025-06-30'})['total']['received'] == 0


def test_dashboard_draws_charts_and_drills_down(figures_app, clerk):
    page = clerk.get('/stats', params={'body': TU, 'subtree': '1', 'from': '2026-10-01', 'to': '2026-11-30'})
    assert page.text.count('<svg') == 8 and 'Văn bản đến theo kênh' in page.text       # each a wide and a narrow copy
    # no inline style (the page's policy, style-src 'self', would block it: every chart drawn in
    # black): colours as SVG attributes, each chart well-formed (no attribute twice)
    charts = page.html.select('svg')
    assert all(not node.get('style') for chart in charts for node in [chart, *chart.find_all(True)])
    assert {node.get('fill') for chart in charts for node in chart.find_all(True)} - {None, 'rgb(0%,0%,0%)'}
    for chart in re.findall(r'<svg.*?</svg>', page.text, re.S):
        ElementTree.fromstring(chart)
    assert 'href="http://localhost/stats"' in clerk.get('/desk').text      # the one nav link
    # what is not on paper is electronic, typed in by hand included (5 here): not "over the network"
    said = page.html.select_one('tr[data-figure="received_electronic"]').get_text(' ', strip=True)
    assert said == 'Đến bản điện tử 5'
    link = page.html.select_one('tr[data-figure="received_paper"] a')['href']
    listed = clerk.get(link)
    assert [tr.select('td')[1].text for tr in listed.html.select('tr[data-doc]')] == ['Công văn thống kê số 6']
    listed = clerk.get('/stats/documents', params={'body': TU, 'subtree': '1', 'metric': 'received',
                                                   'from': '2026-10-01', 'to': '2026-11-30'})
    assert len(listed.html.select('tr[data-doc]')) == 6


def test_quarterly_report_reads_back(figures_app, clerk):
    import openpyxl
    import pypdf
    params = {'body': TU, 'year': '2026', 'quarter': '4'}
    pdf = clerk.get('/api/v1/reports/quarterly', params=dict(params, format='pdf'))
    assert pdf.content_type == 'application/pdf'
    text = ''.join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.body)).pages)
    for expected in ('Báo cáo quý 4 năm 2026', 'Thành ủy và các cơ quan trực thuộc', 'Văn bản đến',
                     'Ban Tổ chức Thành ủy', 'Quá hạn chưa hoàn thành', 'Công văn thống kê số 6',
                     'IV. Tình trạng hoạt động của hệ thống trao đổi văn bản', 'Tiến trình trao đổi văn bản', 'Tổng cộng'):
        assert expected in text, expected
    assert clerk.get('/api/v1/reports/quarterly', params=dict(params, format='pdf')).body == pdf.body
    xlsx = clerk.get('/api/v1/reports/quarterly', params=dict(params, format='xlsx'))
    assert clerk.get('/api/v1/reports/quarterly', params=dict(params, format='xlsx')).body == xlsx.body
    wb = openpyxl.load_workbook(io.BytesIO(xlsx.body))
    ws = wb['Số liệu']
    header = [c.value for c in ws[4]]
    col = header.index('Văn bản đến')
    rows = {r[0].value: r[col].value for r in ws.iter_rows(min_row=5)}
    assert rows['Ban Tổ chức Thành ủy'] == 3 and rows['Văn phòng Thành ủy'] == 2 and rows['Tổng cộng'] == 6
    assert [[c.value for c in wb['Kênh nhận'][r]] for r in (5, 6)] == [['Nhập tay (điện tử)', 5], ['Bản giấy', 1]]
    late = [r[3].value for r in wb['Chậm, quá hạn'].iter_rows(min_row=5) if r[0].value == 'Quá hạn chưa hoàn thành']
    assert sorted(late) == sorted(f'Công văn thống kê số {k}' for k in range(1, 7))
    csv = clerk.get('/api/v1/reports/quarterly', params=dict(params, format='csv'))
    assert clerk.get('/api/v1/reports/quarterly', params=dict(params, format='csv')).body == csv.body
    lines = csv.body.decode('utf-8-sig').splitlines()
    assert lines[0] == 'Báo cáo quý 4 năm 2026' and 'Tổng cộng,6,5,1,' in csv.body.decode('utf-8-sig')
    assert 'IV. Tình trạng hoạt động của hệ thống trao đổi văn bản (Điều 13.1)' in lines
    signed = clerk.get('/stats/quarterly', params=dict(params, format='pdf', sign='1'))
    assert signed.body.startswith(pdf.body[:8]) and b'/ByteRange' in signed.body
    assert pypdf.PdfReader(io.BytesIO(signed.body)).get_fields()['ChuKyToChuc']['/FT'] == '/Sig'


NOT_OFFERED = [
    # (case, params, field, code, status)
    ('reversed period', {'from': '2026-11-01', 'to': '2026-10-01'}, 'to', 'period_reversed', 400),
    ('period in the future', {'from': '2026-11-01', 'to': '2026-12-31'}, 'to', 'period_in_future', 400),
    ('not a date', {'from': '2026-13-01'}, 'from', 'date_invalid', 400),
    ('before the records', {'from': '2019-01-01', 'to': '2019-03-31'}, 'from', 'period_too_early', 400),
    ('too long', {'from': '2020-01-01', 'to': '2026-11-30'}, 'from', 'period_too_long', 400),
    ('grouping not offered', {'group': 'weekday'}, 'group', 'group_unknown', 400),
    ('unknown body', {'body': '999.99.99.H99'}, 'body', 'body_unknown', 404),
]


@pytest.mark.parametrize('case,params,field,code,status', NOT_OFFERED, ids=[c[0] for c in NOT_OFFERED])
def test_bad_questions_same_code_in_page_and_api(figures_app, clerk, case, params, field, code, status):
    err = stats(clerk, status=status, **params)
    assert [(e['field'], e['code']) for e in err['errors']] == [(field, code)]
    page = clerk.get('/stats', params=params, status=status)
    assert f'data-code="{code}"' in page.text and f'data-field="{field}"' in page.text


QUARTERS = [
    ('quarter 5', {'year': '2026', 'quarter': '5'}, 'quarter', 'quarter_unknown'),
    ('quarter not a number', {'year': '2026', 'quarter': 'IV'}, 'quarter', 'quarter_unknown'),
    ('quarter to come', {'year': '2027', 'quarter': '1'}, 'quarter', 'period_in_future'),
    ('format not offered', {'year': '2026', 'quarter': '4', 'format': 'docx'}, 'format', 'format_unknown'),
]


@pytest.mark.parametrize('case,params,field,code', QUARTERS, ids=[c[0] for c in QUARTERS])
def test_bad_quarters(figures_app, clerk, case, params, field, code):
    err = clerk.get('/api/v1/reports/quarterly', params=params, status=400).json
    assert [(e['field'], e['code']) for e in err['errors']] == [(field, code)]
    page = clerk.get('/stats/quarterly', params=params, status=400)
    assert code in page.text


def test_api_answers_conform_to_the_openapi(figures_app, clerk, other_clerk):
    from openapi_core import Config, OpenAPI

    from .test_openapi import SPEC_PATH, conforms
    spec = OpenAPI.from_file_path(str(SPEC_PATH), config=Config(additional_properties_default_policy='forbid'))
    period = {'from': '2026-10-01', 'to': '2026-11-30'}
    for group in ('total', 'body', 'month', 'type', 'route'):
        conforms(spec, clerk.get('/api/v1/stats', params=dict(period, body=TU, subtree='1', group=group)))
    conforms(spec, clerk.get('/api/v1/stats', params=dict(period, group='weekday'), status=400))
    conforms(spec, other_clerk.get('/api/v1/stats', params=dict(period, body=TU), status=403))
    conforms(spec, clerk.get('/api/v1/stats', params=dict(period, body='999.99.99.H99'), status=404))
    report = {'body': TU, 'year': '2026', 'quarter': '4'}
    conforms(spec, clerk.get('/api/v1/reports/quarterly', params=dict(report, format='json')))
    for fmt in ('pdf', 'csv', 'xlsx'):
        conforms(spec, clerk.get('/api/v1/reports/quarterly', params=dict(report, format=fmt)))


def test_drill_down_lists_only_what_the_reader_may_see(figures_app, clerk, leader):
    """A Mật document counts in the figures of everyone who sees the body, but only the people
    named on it find it in the list behind the figure."""
    conn, root = open_root(figures_app)
    manager.push({'registry': figures_app.registry, 'request': None})
    try:
        clock.set_now(dt.datetime(2026, 11, 2, 9, 0, tzinfo=VN))
        secret = svc.create(root, root['bodies'][HOST], incoming(
            number_symbol='99-CV/BTCTU', doc_type='CV', classification='mat', named_people=['vanthu'],
            abstract='Công văn mật', received_at=clock.iso(clock.now())), [],
            figures_app.registry.archive_settings, 'vanthu')
        conn.transaction_manager.commit()
        name = secret.__name__
    finally:
        manager.pop()
        conn.close()
        clock.set_now(NOW)
    params = {'body': HOST, 'subtree': '0', 'metric': 'received', 'from': '2026-11-01', 'to': '2026-11-30'}
    assert stats(leader, body=HOST, subtree='0', **{'from': '2026-11-01', 'to': '2026-11-30'})['total']['received'] == 1
    seen = [tr['data-doc'] for tr in clerk.get('/stats/documents', params=params).html.select('tr[data-doc]')]
    assert seen == [name]
    assert leader.get('/stats/documents', params=params).html.select('tr[data-doc]') == []


# -- the pages as people read them (found wanting by a new user) -----------------------------

def _nav(client):
    return [a.get_text(strip=True) for a in client.get('/bodies/').html.select('header.top nav a')]


def test_the_statistics_link_is_shown_to_those_who_may_see_statistics_only(figures_app, clerk, leader, admin,
                                                                          processor):
    """The menu offers "Thống kê" to whom the statistics pages answer, and to nobody else (an
    administrator or a processor followed it to a refusal)."""
    people = {'vanthu': clerk, 'lanhdao': leader, 'quantri': admin, 'chuyenvien': processor}
    shown = {login: 'Thống kê' in _nav(client) for login, client in people.items()}
    assert shown == {'vanthu': True, 'lanhdao': True, 'quantri': False, 'chuyenvien': False}
    for login, client in people.items():
        client.get('/stats', status=200 if shown[login] else 403)
    from archive.resources import access          # the one decision both ask
    conn, root = open_root(figures_app)
    try:
        assert {login: access.statistics_root(root['bodies'], root['users'][login]) is not None
                for login in people} == shown
    finally:
        conn.close()


def test_a_refusal_page_says_plainly_that_the_user_is_not_allowed(figures_app, admin, processor):
    for client, path in ((admin, '/stats'), (processor, '/stats/documents?metric=received'),
                         (processor, '/users/')):
        page = client.get(path, status=403)
        main = page.html.find('main').get_text(' ', strip=True)
        assert 'Dữ liệu không hợp lệ' not in main, path
        assert page.html.find('h1').get_text(' ', strip=True).startswith('Không có quyền truy cập'), path
        assert page.html.title.get_text().startswith('Không có quyền truy cập'), path
        assert page.html.select_one('p.error')['data-code'] == 'forbidden'
    why = admin.get('/stats', status=403).html.select('ul.errors li')
    assert [(li['data-code'], li.get_text(strip=True)) for li in why] == [
        ('stats_forbidden', 'Bạn không được xem số liệu thống kê')]
    english = admin.get('/stats', params={'_LOCALE_': 'en'}, status=403)
    assert english.html.find('h1').get_text(' ', strip=True).startswith('Access denied')
    assert admin.get('/api/v1/stats', status=403).json['errors'][0]['code'] == 'stats_forbidden'   # the API as before


def test_a_refusal_by_the_workflow_is_the_same_page_with_its_reason(figures_app, clerk, leader):
    """``errors.Forbidden`` (the workflow refusing the acting user): the refusal page, saying why."""
    from ..helpers import incoming as fields
    doc = clerk.post_json(f'/api/v1/bodies/{HOST}/documents', fields(), status=201,
                          headers={'X-CSRF-Token': clerk.csrf}).json
    page = leader.post(f"/bodies/{HOST}/documents/{doc['id']}/transition?action=register",
                       {'csrf_token': leader.csrf}, status=403)
    assert page.html.find('h1').get_text(' ', strip=True).startswith('Không có quyền truy cập')
    assert [li['data-code'] for li in page.html.select('ul.errors li')] == ['forbidden']
    assert 'Bạn không có quyền thực hiện' in page.html.select_one('ul.errors li').get_text()


def test_the_grouping_choices_are_in_words(figures_app, clerk):
    page = clerk.get('/stats', params={'body': TU, 'from': '2026-10-01', 'to': '2026-11-30'})
    options = [(o['value'], o.get_text(strip=True)) for o in page.html.select('select[name=group] option')]
    assert [v for v, _t in options] == ['total', 'body', 'month', 'type', 'route']
    assert all(text and text != value and text.lower() != value for value, text in options), options
    assert dict(options)['body'] == 'Cơ quan, đơn vị' and dict(options)['month'] == 'Tháng'
    # grouped, each figure of a row carries its title (a phone reads each row as a card)
    from archive.reports import figures as F
    grouped = clerk.get('/stats', params={'body': TU, 'from': '2026-10-01', 'to': '2026-11-30', 'group': 'body'})
    cells = grouped.html.select('table.stats tbody td[data-figure]')
    assert cells and all(td['data-title'] == F.TITLES[td['data-figure']] for td in cells)
    by_type = clerk.get('/stats', params={'body': TU, 'from': '2026-10-01', 'to': '2026-11-30', 'group': 'type'})
    assert [th.get_text(strip=True) for th in by_type.html.select('table.stats tbody th')] == ['Công văn (CV)']
    english = clerk.get('/stats', params={'body': TU, 'from': '2026-10-01', 'to': '2026-11-30', '_LOCALE_': 'en'})
    assert dict((o['value'], o.get_text(strip=True)) for o in english.html.select('select[name=group] option'))['month'] == 'Month'


def test_the_documents_behind_a_figure_show_dates_as_people_read_them(figures_app, clerk):
    listed = clerk.get('/stats/documents', params={'body': TU, 'subtree': '1', 'metric': 'received',
                                                   'from': '2026-10-01', 'to': '2026-11-30'})
    main = listed.html.find('main').get_text(' ', strip=True)
    assert re.search(r'\d{4}-\d\d-\d\d', main) is None          # ISO 8601 stays in <time datetime>
    assert 'Thành ủy · 01/10/2026 – 30/11/2026' in main and TU not in main
    row = listed.html.select('tr[data-doc]')[0]
    arrived = row.select('time')[0]
    assert re.fullmatch(r'\d\d/\d\d/2026 \d\d:\d\d', arrived.text)
    assert clock.display(clock.parse_iso(arrived['datetime'])) == arrived.text
    deadline = row.select('time')[1]
    assert (deadline.text, deadline['datetime']) == ('20/10/2026', '2026-10-20')
    now = listed.html.select_one('footer time')                 # the page frame's time, too
    assert (now.text, now['datetime']) == ('30/11/2026 10:00', '2026-11-30T10:00:00+07:00')


def test_the_quarterly_report_headers_wrap_at_spaces_only(figures_app, clerk):
    """Every word of a column header is read back whole from the PDF (a 20-column table of
    equal widths broke "chậm" as "chậ m")."""
    import pypdf

    from archive.reports import figures as F
    from archive.reports import quarterly
    body = clerk.get('/api/v1/reports/quarterly', params={'body': TU, 'year': '2026', 'quarter': '4',
                                                           'format': 'pdf'}).body
    runs = []

    def visit(text, cm, tm, font, size):
        if font is not None and 'Bold' in str(font.get('/BaseFont', '')) and size == 7 and text.strip():
            runs.append(text)
    for page in pypdf.PdfReader(io.BytesIO(body)).pages:
        page.extract_text(visitor_text=visit)
    heads = ['Cơ quan, đơn vị', *(F.TITLES[k] for k in quarterly.COLUMNS), *quarterly.LATE_COLUMNS,
             'Kênh', 'Số văn bản', 'Nội dung', 'Giá trị']
    words = {w for h in heads for w in h.split()}
    read = [w for run in runs for w in run.split()]
    assert read and set(read) <= words, sorted(set(read) - words)
    assert {w for w in (w for k in quarterly.COLUMNS for w in F.TITLES[k].split())} <= set(read)


def test_every_word_of_the_charts_is_inside_the_picture(figures_app, clerk):
    """The legends' names (Đến, Đi, the channels) were drawn past the right edge of each chart,
    where the page's SVG cuts them off: only the colour swatches were seen."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from archive.reports.exports import FONT
    page = clerk.get('/stats', params={'body': TU, 'subtree': '1', 'from': '2026-10-01', 'to': '2026-11-30'})
    charts = page.html.select('div.charts svg')
    assert len(charts) == 8                                  # the wide copies and the phone's narrow ones
    legends = []
    for chart in charts:
        width = float(chart['width'].removesuffix('px')) if chart.get('width') else float(chart['viewbox'].split()[2])
        for text in chart.find_all('text'):
            anchor = text.get('text-anchor', 'start')
            size = float(text['font-size'].removesuffix('px'))
            right = float(text['x']) + stringWidth(text.get_text(), FONT, size) * {'start': 1, 'middle': .5, 'end': 0}[anchor]
            assert right <= width, (text.get_text(), right, width)
            legends.append(text.get_text())
    assert {'Đến', 'Đi', 'Nhập tay (điện tử): 5', 'Bản giấy: 1'} <= set(legends)


def test_the_dashboard_in_english_names_its_figures_and_charts_in_english(figures_app, clerk):
    """The figures' and charts' titles are messages: English on the English page, while the
    quarterly report and the API keep the Vietnamese (``figures.TITLES``)."""
    from archive.reports import figures as F
    params = {'body': TU, 'from': '2026-10-01', 'to': '2026-11-30', 'group': 'body'}
    vi = clerk.get('/stats', params=params)
    en = clerk.get('/stats', params=dict(params, _LOCALE_='en'))
    for page, words in ((vi, F.TITLES), (en, {})):
        shown = {tr['data-figure']: tr.th.get_text(strip=True) for tr in page.html.select('table.fields tr[data-figure]')}
        assert list(shown) == list(F.TITLES)
        if words:
            assert shown == words
        else:
            assert not set(shown.values()) & set(F.TITLES.values()), shown
            assert shown['received'] == 'Incoming documents'
    chart_words = ' '.join(t.get_text() for t in en.html.select('div.charts .chart-wide svg text'))
    assert 'Incoming and outgoing documents by month' in chart_words and 'Văn bản đến' not in chart_words
    assert en.html.select_one('div.table-scroll > table.stats')      # wider in English: it scrolls inside itself
    rows = {}
    for group in ('route', 'month'):
        page = clerk.get('/stats', params=dict(params, group=group, _LOCALE_='en'))
        rows[group] = [th.get_text(strip=True) for th in page.html.select('table.stats tbody th')]
    assert rows['route'] == ['Entered by hand (electronic)', 'On paper']
    assert rows['month'] == ['10/2026', '11/2026']
    assert [r['label'] for r in stats(clerk, body=TU, group='route', **{'from': '2026-10-01', 'to': '2026-11-30'})['rows']] \
        == ['Nhập tay (điện tử)', 'Bản giấy']                       # the API as before
    report = clerk.get('/api/v1/reports/quarterly', params={'body': TU, 'year': '2026', 'quarter': '4',
                                                             'format': 'json', '_LOCALE_': 'en'}).json
    assert report['columns'][0] == 'Văn bản đến'


def test_the_charts_count_whole_documents_and_say_when_nothing_was_sent(figures_app, clerk):
    """A chart of counts was ticked 0, 0.2, 0.4 … documents; the on-time rate, in %, was ticked
    0 to 1 and drew a month with nothing sent as 0 % on time. Now counts are ticked in whole
    numbers, the rate from 0 to 100, a month with nothing sent has no bar, and a period with
    nothing sent says so in the chart."""
    from archive.reports import charts as C
    page = clerk.get('/stats', params={'body': TU, 'subtree': '1', 'from': '2026-10-01', 'to': '2026-11-30'})
    svgs = page.html.select('div.charts .chart-wide svg')
    words = [[t.get_text() for t in svg.find_all('text')] for svg in svgs]
    ticks = [[w for w in chart if re.fullmatch(r'\d+(?:[.,]\d+)?', w)] for chart in words]
    assert ticks[0] and all(re.fullmatch(r'\d+', w) for chart in ticks[:2] for w in chart), ticks[:2]
    assert ticks[2] == ['0', '20', '40', '60', '80', '100']
    assert 'Chưa gửi văn bản đi nào trong kỳ' in words[2]
    english = clerk.get('/stats', params={'body': TU, 'from': '2026-10-01', 'to': '2026-11-30', '_LOCALE_': 'en'})
    assert 'Nothing was sent in the period' in [t.get_text() for t in english.html.select('div.charts .chart-wide svg')[2].find_all('text')]
    bars = [C.svg(C.bars('%', ['10/2026', '11/2026'], [rates], ['%'], percent=True)).count('<rect')
            for rates in ([None, None], [None, 50.0], [100.0, 50.0])]
    assert bars[1] == bars[0] + 1 and bars[2] == bars[0] + 2          # one bar for each month that sent


def test_a_long_body_name_in_a_chart_is_whole_or_cut_after_a_word():
    """The chart by body cut every name at 28 characters, mid-word ("Đảng ủy Khối các cơ quan Thà")."""
    from archive.reports import charts as C
    long = 'Đảng ủy Khối các cơ quan Thành phố'
    drawn = C.svg(C.bars('x', [long, 'Ban Tổ chức Thành ủy với một cái tên dài hơn mọi tên cơ quan khác'],
                         [[1, 2]], ['Đến'], horizontal=True))
    words = [t for t in re.findall(r'<text[^>]*>([^<]*)</text>', drawn)]
    assert long in words
    [cut] = [w for w in words if w.startswith('Ban Tổ chức')]
    assert cut.endswith('…') and 'Ban Tổ chức Thành ủy với một cái tên dài hơn mọi tên cơ quan khác'.startswith(
        cut[:-1] + ' ')                                                      # cut after a whole word


def test_a_phone_gets_a_narrow_copy_of_each_chart_with_fewer_bars_and_14_px_words(figures_app, clerk):
    """On a phone the charts, drawn 480 points wide, shrank to fit the screen and their words to
    5 px. Each chart now has a narrow copy beside it, which the stylesheet shows at phone width
    instead: as wide as a phone's screen, its words at 14 points (14 px there), the latest six
    months and the first six bodies only."""
    from archive.reports import charts as C
    page = clerk.get('/stats', params={'body': TU, 'subtree': '1', 'from': '2026-01-01', 'to': '2026-11-30'})
    pairs = page.html.select('div.charts div.chart')
    assert len(pairs) == 4 and all(p.select_one('.chart-wide svg') and p.select_one('.chart-narrow svg') for p in pairs)
    for pair in pairs:
        svg = pair.select_one('.chart-narrow svg')
        width = float(svg['width'].removesuffix('px')) if svg.get('width') else float(svg['viewbox'].split()[2])
        assert width == C.NARROW_WIDTH
        sizes = {float(t['font-size'].removesuffix('px')) for t in svg.find_all('text')}
        assert sizes == {C.NARROW_TEXT}, sizes
    wide_months = [t.get_text() for t in pairs[0].select('.chart-wide svg text') if re.fullmatch(r'Tháng \d+/2026', t.get_text())]
    narrow_months = [t.get_text() for t in pairs[0].select('.chart-narrow svg text') if re.fullmatch(r'\d+/2026', t.get_text())]
    # the phone's months short ("6/2026": "Tháng 6/2026" side by side touched), the latest six
    assert len(wide_months) == 11 and narrow_months == [m.removeprefix('Tháng ') for m in wide_months[-C.NARROW_BARS:]]
    css = (files('archive') / 'static' / 'archive.css').read_text(encoding='utf-8')
    assert re.search(r'\.charts \.chart-narrow \{\s*display:none;?\s*\}', css)
    phone = css[css.index('@media (max-width: 760px) { /* the charts'):]
    assert '.charts .chart-wide { display:none; }' in phone and '.charts .chart-narrow { display:block; }' in phone

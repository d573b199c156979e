"""The registers and the document lists take the search's filters: the same names, values and
errors, in the page and the API, kept in the URL, honoured by the register's files, and never a
document of another body."""
import csv
import io

import openpyxl
import pytest

from ..conftest import HOST_CODE
from ..helpers import incoming, multipart, pdf
from .test_openapi import conforms, spec  # noqa: F401 (spec: a fixture)

OTHER_CODE = '000.00.02.H01'          # Ban Tổ chức Thành ủy, vanthu.btc's body
API = f'/api/v1/bodies/{HOST_CODE}/documents'
REGISTER = f'/api/v1/bodies/{HOST_CODE}/registers/incoming'
PAGE = f'/bodies/{HOST_CODE}'
REGISTER_PAGE = f'/bodies/{HOST_CODE}/registers'
ABSTRACT_A = 'Công văn về lịch trực cơ quan dịp Tết'
ABSTRACT_B = 'Thông báo kết luận hội nghị chuyển đổi số'


def _create(c, attachments=(), **over):
    if not attachments:
        return c.post_json(API, incoming(**over), headers={'X-CSRF-Token': c.csrf}, status=201).json
    params, files = multipart(incoming(**over), ('chinh.pdf', pdf('Van ban chinh')), attachments)
    return c.post(API, params, upload_files=files, headers={'X-CSRF-Token': c.csrf}, status=201).json


def _act(c, doc, action, **data):
    return c.post_json(f"{API}/{doc['id']}/transitions/{action}", data, headers={'X-CSRF-Token': c.csrf}).json


@pytest.fixture
def two(app, clerk, leader):
    """A: khan, CV, on paper, held by unit TH, issued 1/11, arrived 10/11, registered and assigned;
    B: normal, TB, electronic, an attachment, issued 15/11, arrived 20/11, registered."""
    a = _create(clerk, abstract=ABSTRACT_A, number_symbol='11-CV/BTCTU', doc_type='CV', urgency='khan',
                channel='paper', holder_unit='TH', issued_date='2026-11-01',
                received_at='2026-11-10T09:00:00+07:00')
    b = _create(clerk, attachments=[('phu-luc.pdf', pdf('Phu luc'))], abstract=ABSTRACT_B,
                number_symbol='12-TB/BTCTU', doc_type='TB', urgency='normal', channel='electronic',
                issued_date='2026-11-15', received_at='2026-11-20T09:00:00+07:00')
    for doc in (a, b):
        _act(clerk, doc, 'register')
    _act(leader, a, 'assign', main_processor='chuyenvien', instruction='Giao phòng Tổng hợp', days=5)
    a, b = (clerk.get(f"{API}/{d['id']}").json for d in (a, b))
    assert a['status'] != b['status']
    return a, b


# (filter parameters, which of A and B they let through)
NARROWING = [
    ({'urgency': 'khan'}, 'A'),
    ({'urgency': ['khan', 'normal']}, 'AB'),
    ({'doc_type': 'TB'}, 'B'),
    ({'route': 'paper'}, 'A'),
    ({'unit': 'TH'}, 'A'),
    ({'attachments': 'yes'}, 'B'),
    ({'attachments': 'no'}, 'A'),
    ({'direction': 'outgoing'}, ''),
    ({'body': OTHER_CODE}, ''),
    ({'body': HOST_CODE, 'doc_type': 'CV'}, 'A'),
    ({'verdict': 'valid'}, ''),
    ({'date_from': '2026-11-15'}, 'B'),
    ({'date_to': '2026-11-12'}, 'A'),
    ({'date_from': '2026-11-09', 'date_to': '2026-11-11'}, 'A'),
    ({'issued_from': '2026-11-10'}, 'B'),
    ({'issued_to': '2026-11-10', 'urgency': 'khan'}, 'A'),
]


def _expect(two, letters):
    a, b = two
    return {'A': a, 'B': b}, {n for n in 'AB' if n in letters}


def _state_filter(two):
    return {'state': two[0]['status']}, 'A'


@pytest.mark.parametrize('params, letters', NARROWING + [('state', 'A')])
def test_each_filter_narrows_the_list_and_the_register_in_page_and_api(app, clerk, two, params, letters):
    if params == 'state':
        params, letters = _state_filter(two)
    docs, wanted = _expect(two, letters)
    listed = {d['id'] for d in clerk.get(API, params=dict(params, limit='200')).json['items']}
    assert {n for n in 'AB' if docs[n]['id'] in listed} == wanted
    page = clerk.get(PAGE, params=params).text
    assert {n for n, abstract in (('A', ABSTRACT_A), ('B', ABSTRACT_B)) if abstract in page} == wanted

    rows = clerk.get(REGISTER, params=params).json['rows']
    shown = {n for n, abstract in (('A', ABSTRACT_A), ('B', ABSTRACT_B)) if any(abstract in r[5] for r in rows)}
    assert shown == wanted
    register_page = clerk.get(REGISTER_PAGE, params=dict(params, kind='incoming')).text
    assert {n for n, abstract in (('A', ABSTRACT_A), ('B', ABSTRACT_B)) if abstract in register_page} == wanted


def test_unfiltered_list_and_register_show_both(app, clerk, two):
    listed = {d['id'] for d in clerk.get(API, params={'limit': '200'}).json['items']}
    assert {two[0]['id'], two[1]['id']} <= listed
    register = clerk.get(REGISTER).json
    assert sum(ABSTRACT_A in r[5] or ABSTRACT_B in r[5] for r in register['rows']) == 2
    assert {f['value']: f['count'] for f in register['facets']['urgency']}['khan'] >= 1


def test_filters_are_kept_in_the_url_and_the_form(app, clerk, two):
    page = clerk.get(PAGE, params={'urgency': 'khan', 'date_from': '2026-11-01'})
    form = page.forms[[k for k, f in page.forms.items() if 'urgency' in f.fields][0]]
    assert form['urgency'].value == 'khan' and form['date_from'].value == '2026-11-01'
    again = form.submit().maybe_follow()          # the same filtered list (without scripts: via the clean URL)
    assert 'urgency=khan' in again.request.url and ABSTRACT_A in again.text and ABSTRACT_B not in again.text
    register = clerk.get(REGISTER_PAGE, params={'kind': 'incoming', 'doc_type': 'TB'})
    assert register.html.select_one('select[name=doc_type] option[selected]')['value'] == 'TB'
    export_links = [a for a in register.html.select('a.button') if 'format=csv' in a['href']]
    assert export_links and 'doc_type=TB' in export_links[0]['href']
    assert clerk.get(export_links[0]['href']).body.decode('utf-8-sig').count(ABSTRACT_B) == 1


def test_the_register_files_honour_the_filters(app, clerk, two):
    got = clerk.get(REGISTER, params={'urgency': 'khan', 'format': 'csv'})
    rows = list(csv.reader(io.StringIO(got.body.decode('utf-8-sig'))))
    text = '\n'.join(','.join(r) for r in rows)
    assert ABSTRACT_A in text and ABSTRACT_B not in text
    whole = clerk.get(REGISTER, params={'format': 'csv'}).body.decode('utf-8-sig')
    assert ABSTRACT_A in whole and ABSTRACT_B in whole
    xlsx = clerk.get(REGISTER_PAGE, params={'kind': 'incoming', 'doc_type': 'TB', 'format': 'xlsx'})
    cells = ' '.join(str(c.value) for row in openpyxl.load_workbook(io.BytesIO(xlsx.body)).active.iter_rows()
                     for c in row if c.value)
    assert ABSTRACT_B in cells and ABSTRACT_A not in cells and 'bản lọc' in cells


BAD = [
    # (params, field, code): as the search answers them (tests/functional/test_search.py)
    ({'colour': 'red'}, 'colour', 'filter_unknown'),
    ({'q': 'x'}, 'q', 'filter_unknown'),            # a list filters; it does not search words
    ({'urgency': 'very'}, 'urgency', 'filter_value_invalid'),
    ({'attachments': 'maybe'}, 'attachments', 'filter_value_invalid'),
    ({'body': 'y' * 500}, 'body', 'filter_value_invalid'),
    ({'doc_type': ['CV'] * 21}, 'doc_type', 'filter_value_invalid'),
    ({'date_from': '2026-13-45'}, 'date_from', 'date_invalid'),
    ({'issued_to': 'yesterday'}, 'issued_to', 'date_invalid'),
    ({'date_from': '2026-12-01', 'date_to': '2026-01-01'}, 'date_to', 'period_reversed'),
]


@pytest.mark.parametrize('params, field, code', BAD)
def test_bad_filters_answer_the_search_codes_in_lists_and_registers(app, clerk, params, field, code):
    search_params = dict(params, q='x') if field != 'q' else {'q': 'x', 'colour': 'red'}
    if field != 'q':
        searched = clerk.get('/api/v1/search', params=search_params, status=400).json
        assert [(e['field'], e['code']) for e in searched['errors']] == [(field, code)]
    for url in (API, REGISTER):
        got = clerk.get(url, params=params, status=400).json
        assert [(e['field'], e['code']) for e in got['errors']] == [(field, code)], url
    for url, extra in ((PAGE, {}), (REGISTER_PAGE, {'kind': 'incoming'})):
        page = clerk.get(url, params=dict(params, **extra), status=400)
        assert f'data-code="{code}" data-field="{field}"' in page.text, url
    clerk.get(REGISTER, params=dict(params, format='csv'), status=400)       # no file of a wrong filter


def test_another_bodys_documents_never_appear(app, clerk, other_clerk, two):
    for params in ({}, {'body': HOST_CODE}, {'urgency': 'khan'}, {'date_from': '2026-11-01'}):
        theirs = other_clerk.get(f'/api/v1/bodies/{OTHER_CODE}/documents', params=params).json['items']
        assert not {d['id'] for d in theirs} & {two[0]['id'], two[1]['id']}
        assert all(d['body'] == OTHER_CODE for d in theirs) if theirs and 'body' in theirs[0] else True
        rows = other_clerk.get(f'/api/v1/bodies/{OTHER_CODE}/registers/incoming', params=params).json['rows']
        assert not any(ABSTRACT_A in ' '.join(r) or ABSTRACT_B in ' '.join(r) for r in rows)
        page = other_clerk.get(f'/bodies/{OTHER_CODE}', params=params).text
        assert ABSTRACT_A not in page and ABSTRACT_B not in page
        other_clerk.get(API, params=params, status=403)
        other_clerk.get(REGISTER, params=params, status=403)


def test_a_filtered_register_leaves_out_the_rows_one_may_not_see(app, clerk, leader):
    secret = _create(clerk, classification='mat', abstract='Nội dung mật về nhân sự', urgency='khan')
    _act(clerk, secret, 'register')
    plain = leader.get(REGISTER, params={'secret': '1'}).json
    assert plain['rows'][-1][-1] == '(văn bản mật)'                      # unfiltered: the number stays
    filtered = leader.get(REGISTER, params={'secret': '1', 'urgency': 'khan'}).json
    assert filtered['rows'] == [] and filtered['facets']['urgency'] == []  # nothing told about it
    mine = clerk.get(REGISTER, params={'secret': '1', 'urgency': 'khan'}).json
    assert any('Nội dung mật về nhân sự' in r[5] for r in mine['rows'])


def test_list_paging_keeps_the_filters(app, clerk):
    made = [_create(clerk, abstract=f'Nghị quyết chuyên đề số {n}', number_symbol=f'{40 + n}-NQ/BTCTU', doc_type='NQ',
                    received_at=f'2026-11-{10 + n:02d}T08:00:00+07:00') for n in range(5)]
    first = clerk.get(API, params={'doc_type': 'NQ', 'limit': '2'}).json
    second = clerk.get(API, params={'doc_type': 'NQ', 'limit': '2', 'start': '2'}).json
    third = clerk.get(API, params={'doc_type': 'NQ', 'limit': '2', 'start': '4'}).json
    got = [d['id'] for page in (first, second, third) for d in page['items']]
    assert got == [d['id'] for d in reversed(made)] and first['more'] and not third['more']
    page = clerk.get(PAGE, params={'doc_type': 'NQ'})
    assert all('doc_type=NQ' in a['href'] for a in page.html.select('p.pager a'))


def test_the_list_and_register_answers_conform_to_the_spec(app, clerk, two, spec):
    conforms(spec, clerk.get(API, params={'urgency': 'khan', 'date_from': '2026-11-01', 'attachments': 'no'}))
    conforms(spec, clerk.get(REGISTER, params={'doc_type': ['CV', 'TB'], 'issued_to': '2026-12-31'}))
    conforms(spec, clerk.get(REGISTER, params={'urgency': 'khan', 'format': 'csv'}))
    conforms(spec, clerk.get(API, params={'date_from': 'x'}, status=400), check_request=False)


def test_a_day_is_a_day_in_vietnam_in_lists_registers_and_search(app, clerk):
    """Taken in at 01:00 on 10/11 Vietnam time (18:00 on 9/11 UTC): a filter on 10/11 finds it,
    one on 9/11 does not, in the list, the register and the search alike."""
    from archive import search
    doc = _create(clerk, abstract='Công văn đến lúc sáng sớm', number_symbol='77-CV/BTCTU',
                  received_at='2026-11-10T01:00:00+07:00')
    _act(clerk, doc, 'register')
    search.apply_pending(app.registry)
    for day, found in (('2026-11-10', True), ('2026-11-09', False)):
        params = {'date_from': day, 'date_to': day}
        listed = [d['id'] for d in clerk.get(API, params=params).json['items']]
        assert (doc['id'] in listed) == found, day
        rows = clerk.get(REGISTER, params=params).json['rows']
        assert any('Công văn đến lúc sáng sớm' in r[5] for r in rows) == found, day
        hits = [h['id'] for h in clerk.get('/api/v1/search', params=dict(params, q='sang som')).json['items']]
        assert (doc['id'] in hits) == found, day


def test_the_calendars_first_and_last_days_are_days_like_others(app, clerk, two):
    """"Đến ngày 31/12/9999" was a 500 in the search, the lists and the registers, page and API
    (the day after it, which the filter's edge was, does not exist)."""
    from archive import search
    search.apply_pending(app.registry)
    for params in ({'date_to': '9999-12-31'}, {'date_from': '0001-01-01', 'date_to': '9999-12-31'},
                   {'issued_to': '9999-12-31'}):
        listed = {d['id'] for d in clerk.get(API, params=params).json['items']}
        assert {two[0]['id'], two[1]['id']} <= listed, params
        assert ABSTRACT_A in clerk.get(PAGE, params=params).text
        assert sum(ABSTRACT_A in r[5] for r in clerk.get(REGISTER, params=params).json['rows']) == 1
        assert ABSTRACT_A in clerk.get(REGISTER_PAGE, params=dict(params, kind='incoming')).text
        found = clerk.get('/api/v1/search', params=dict(params, q='lich truc')).json['items']
        assert two[0]['id'] in [h['id'] for h in found], params
        assert ABSTRACT_A in clerk.get('/search', params=dict(params, q='lich truc')).html.get_text()   # words marked


def test_the_filters_fold_and_say_when_one_is_in_use(app, clerk):
    """On a phone the filters took the screen before the list: they are a <details> now, sent open
    (wide screens and pages without scripts see them as before), which archive.js closes on a phone
    unless a filter is in use (``data-active``)."""
    for url in (PAGE, f'{REGISTER_PAGE}?kind=incoming'):
        fold = clerk.get(url).html.select_one('form.filter-form details.filters-fold[data-fold-on-phone]')
        assert fold.has_attr('open') and not fold.has_attr('data-active'), url
        assert fold.summary.get_text(strip=True) == 'Lọc văn bản' and fold.select_one('fieldset.filters')
    used = clerk.get(PAGE, params={'urgency': 'khan'}).html.select_one('details.filters-fold')
    assert used['data-active'] == '1'
    english = clerk.get(PAGE, params={'_LOCALE_': 'en'}).html.select_one('details.filters-fold summary')
    assert english.get_text(strip=True) == 'Filter documents'


def test_the_list_names_each_documents_type_as_the_filter_and_the_document_page_do(app, clerk, two):
    """Filtered by "Thông báo (TB)", the list said each row's type as "TB": the list now names it
    as its filter, the search and the document page do (tên loại văn bản)."""
    page = clerk.get(PAGE, params={'doc_type': 'TB'}).html
    [row] = [tr for tr in page.select('table.documents tbody tr') if ABSTRACT_B in tr.get_text()]
    assert 'Thông báo (TB)' in [td.get_text(strip=True) for td in row.select('td')]
    chosen = page.select_one('select[name="doc_type"] option[selected]')
    assert chosen.get_text(strip=True) == 'Thông báo (TB)'


def test_a_register_offers_no_choice_of_direction(app, clerk, two):
    """The incoming register offered "Văn bản đến, đi", whose "Văn bản đi" emptied it: a register
    holds one direction. The list of all documents keeps the choice."""
    for kind in ('incoming', 'outgoing', 'follow-up'):
        page = clerk.get(REGISTER_PAGE, params={'kind': kind}).html
        assert page.select_one('select[name=doc_type]') is not None
        assert page.select_one('select[name=direction]') is None, kind
    assert clerk.get(PAGE).html.select_one('select[name=direction]') is not None


@pytest.mark.parametrize('params, said', [
    ({'urgency': 'very'}, 'Độ khẩn: Giá trị bộ lọc không hợp lệ'),
    ({'colour': 'red'}, '"colour": Không có bộ lọc này'),
    ({'date_from': '2026-13-45'}, 'Từ ngày: Ngày không hợp lệ: dùng dạng YYYY-MM-DD'),
])
def test_a_page_names_the_filter_its_error_is_about(app, clerk, params, said):
    """"Giá trị bộ lọc không hợp lệ" on a page of a dozen filters did not say which (the API says
    it in ``field``): the search, the list and the register pages name it."""
    for url, extra in (('/search', {}), (PAGE, {}), (REGISTER_PAGE, {'kind': 'incoming'})):
        page = clerk.get(url, params=dict(params, **extra), status=400).html
        assert [li.get_text() for li in page.select('li.error[data-code]')][-1] == said, url
    assert clerk.get('/api/v1/search', params=params, status=400).json['errors'][0]['message'] == said.split(': ', 1)[1]


def test_the_search_page_names_the_number_a_paging_error_is_about(app, clerk):
    page = clerk.get('/search', params={'q': 'x', 'start': '999999999'}, status=400).html
    assert page.select_one('li.error').get_text() == 'Kết quả bắt đầu từ: Phải là số nguyên từ 0 đến 1000'
    english = clerk.get('/search', params={'q': 'x', 'limit': '0', '_LOCALE_': 'en'}, status=400).html
    assert english.select_one('li.error').get_text().startswith('Results per page: ')


def test_a_filtered_register_can_be_cleared_in_one_step(app, clerk, two):
    """The list had "Bỏ lọc"; a filtered register had none: each choice had to be set back to
    "Tất cả" by hand. It has the link now, keeping the register, its year and the Mật series."""
    assert clerk.get(REGISTER_PAGE, params={'kind': 'incoming'}).html.select_one('a[data-clear]') is None
    page = clerk.get(REGISTER_PAGE, params={'kind': 'follow-up', 'year': '2026', 'secret': '1', 'doc_type': 'TB',
                                            'date_from': '2026-11-01'}).html
    clear = page.select_one('form.filter-form a[data-clear]')
    assert clear.get_text(strip=True) == 'Bỏ lọc'
    assert clear['href'] == f'http://localhost{REGISTER_PAGE}?kind=follow-up&year=2026&secret=1'


def test_a_list_page_past_the_last_leads_back_to_the_first(app, clerk, two):
    """A bookmarked page of a filtered list that now holds fewer showed nothing, and its "« Mới
    hơn" stepped back one page at a time through empty pages: it leads to the first page (the list
    does not count its documents, so the last page is not known)."""
    page = clerk.get(PAGE, params={'doc_type': 'TB', 'start': '5000'}).html
    assert ABSTRACT_B not in page.get_text()
    [newer] = page.select('p.pager a')
    assert newer.get_text(strip=True) == '« Mới hơn'
    assert 'start=0' in newer['href'] and 'doc_type=TB' in newer['href']
    assert ABSTRACT_B in clerk.get(newer['href']).text
    # a page with documents on it steps back one page, as before
    middle = clerk.get(PAGE, params={'start': '1'}).html.select_one('p.pager a')
    assert 'start=0' in middle['href']

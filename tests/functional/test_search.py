"""Search: Vietnamese words and symbols, phrases, facets, file text, access, the queue, bad input.

The index is applied synchronously through the public API (``search.apply_pending``), as the
indexer thread would after each commit; each test has its own small index beside its Data.fs.
Every test runs on both engines (``archive.search_engine``: tantivy and Whoosh).
"""
import io

import pytest

from archive import search
from archive.search.engine import ENGINES

from ..conftest import HOST_CODE, client
from ..helpers import incoming, multipart, pdf
from .test_openapi import conforms, spec  # noqa: F401 (spec: a fixture)

API = f'/api/v1/bodies/{HOST_CODE}/documents'
SEARCH = '/api/v1/search'


def create(c, main=None, attachments=(), **over):
    if main is None and not attachments:
        return c.post_json(API, incoming(**over), headers={'X-CSRF-Token': c.csrf}, status=201).json
    params, files = multipart(incoming(**over), main, attachments)
    return c.post(API, params, upload_files=files, headers={'X-CSRF-Token': c.csrf}, status=201).json


def find(c, status=200, **params):
    return c.get(SEARCH, params=params, status=status).json


def ids(result):
    return [item['id'] for item in result['items']]


@pytest.fixture(params=ENGINES)
def engine_name(request):
    return request.param


@pytest.fixture
def settings(settings, engine_name):
    """The test's settings (conftest), on each search engine."""
    return dict(settings, **{'archive.search_engine': engine_name})


@pytest.fixture
def indexed(app):
    """Apply the index queue now (what the indexer thread does after each commit)."""
    def apply():
        search.apply_pending(app.registry)
    apply()
    return apply


def test_diacritics_fold_and_the_exact_form_ranks_first(app, clerk, indexed):
    ban = create(clerk, abstract='Họp bàn kế hoạch công tác năm 2027', number_symbol='1-TB/BTCTU')
    ban2 = create(clerk, abstract='Thư gửi bạn đọc của tạp chí', number_symbol='2-TB/BTCTU')
    dang = create(clerk, abstract='Báo cáo tổng kết công tác xây dựng Đảng', number_symbol='3-BC/BTCTU')
    indexed()
    assert ids(find(clerk, q='bao cao xay dung')) == [dang['id']]
    assert dang['id'] in ids(find(clerk, q='dang'))
    assert dang['id'] in ids(find(clerk, q='ĐẢNG'))
    folded = ids(find(clerk, q='ban'))
    assert ban['id'] in folded and ban2['id'] in folded
    assert ids(find(clerk, q='bàn'))[0] == ban['id']            # the exact form first
    assert ids(find(clerk, q='bạn'))[0] == ban2['id']


def test_number_and_symbol_parts_find_the_document(app, clerk, indexed):
    doc = create(clerk, number_symbol='917-TTr/VPTU', abstract='Tờ trình về nhân sự')
    create(clerk, number_symbol='918-TTr/BTCTU', abstract='Tờ trình khác')
    indexed()
    for q in ('917', '917-TTr', 'TTr/VPTU', '917-TTr/VPTU', '917-ttr/vptu'):
        assert ids(find(clerk, q=q)) == [doc['id']], q


def test_no_english_stop_words_phrases_prefixes_and_exclusion(app, clerk, indexed):
    an = create(clerk, abstract='Đảm bảo an toàn thông tin mạng', number_symbol='4-CV/BTCTU')
    plan = create(clerk, abstract='Kế hoạch tuyên truyền an toàn giao thông', number_symbol='5-CV/BTCTU')
    indexed()
    assert set(ids(find(clerk, q='an'))) >= {an['id'], plan['id']}
    assert ids(find(clerk, q='"an toan thong tin"')) == [an['id']]
    assert ids(find(clerk, q='an toàn -"giao thông"')) == [an['id']]
    assert ids(find(clerk, q='tuyen*')) == [plan['id']]
    assert ids(find(clerk, q='"an toan thong')) == [an['id']]    # an unclosed quote runs to the end


def test_filters_facets_highlights_sort_and_paging(app, clerk, indexed):
    docs = [create(clerk, abstract=f'Công văn về chỉnh lý tài liệu đợt {n}', number_symbol=f'{20 + n}-CV/BTCTU',
                   urgency='khan' if n % 2 else 'normal', received_at=f'2026-11-{10 + n}T09:00:00+07:00')
            for n in range(5)]
    indexed()
    found = find(clerk, q='chinh ly')
    assert found['total'] == 5 and found['total_exact']
    assert {f['value']: f['count'] for f in found['facets']['urgency']} == {'khan': 2, 'normal': 3}
    assert '<mark class="match term0">chỉnh</mark>' in found['items'][0]['highlights'][0]['html']
    urgent = find(clerk, q='chinh ly', urgency='khan')
    assert urgent['total'] == 2 and set(ids(urgent)) == {docs[1]['id'], docs[3]['id']}
    newest = find(clerk, q='chinh ly', sort='date', limit='2')
    assert ids(newest) == [docs[4]['id'], docs[3]['id']]
    page2 = find(clerk, q='chinh ly', sort='date', limit='2', start='2')
    assert ids(page2) == [docs[2]['id'], docs[1]['id']]
    oldest = find(clerk, q='chinh ly', sort='date_asc', date_from='2026-11-11', date_to='2026-11-12')
    assert ids(oldest) == [docs[1]['id'], docs[2]['id']]


def test_facets_are_counted_as_asked_and_the_page_always_counts_them(app, clerk, indexed):
    for n in range(3):
        create(clerk, abstract=f'Tờ trình mua sắm thiết bị đợt {n}', number_symbol=f'{95 + n}-TTr/BTCTU',
               urgency='khan' if n else 'normal')
    indexed()
    every = find(clerk, q='mua sam')
    assert set(every['facets']) == set(search.FACETS) and every['total'] == 3
    none = find(clerk, q='mua sam', facets='none')
    assert none['facets'] == {} and ids(none) == ids(every)
    some = find(clerk, q='mua sam', facets='urgency,state')
    assert set(some['facets']) == {'urgency', 'state'} and ids(some) == ids(every)
    assert {f['value']: f['count'] for f in some['facets']['urgency']} == {'khan': 2, 'normal': 1}
    assert set(find(clerk, q='mua sam', facets=['body', 'urgency'])['facets']) == {'body', 'urgency'}
    bad = clerk.get(SEARCH, params={'q': 'mua sam', 'facets': 'colour'}, status=400).json
    assert [(e['field'], e['code']) for e in bad['errors']] == [('facets', 'filter_value_invalid')]
    page = clerk.get('/search', params={'q': 'mua sam', 'facets': 'none'})
    assert 'data-facet="urgency"' in page.text and '<span class="count">2</span>' in page.text


def test_file_text_is_searchable_and_highlighted(app, clerk, indexed):
    doc = create(clerk, main=('hop-dong.pdf', pdf('Noi dung hop dong bao tri may chu')),
                 attachments=[('phu-luc.pdf', pdf('Phu luc danh muc thiet bi tin hoc'))],
                 abstract='Về việc ký hợp đồng')
    indexed()
    assert ids(find(clerk, q='bao tri may chu')) == [doc['id']]
    found = find(clerk, q='thiet bi', attachments='yes')
    assert ids(found) == [doc['id']]
    assert any(h['field'] == 'content' and '<mark' in h['html'] for h in found['items'][0]['highlights'])


def _scan_pdf(text):
    """A PDF holding only an image of ``text`` (a scanned page: no text layer)."""
    from PIL import Image, ImageDraw, ImageFont
    image = Image.new('L', (1400, 200), 255)
    ImageDraw.Draw(image).text((40, 60), text, fill=0, font=ImageFont.load_default(size=64))
    out = io.BytesIO()
    image.save(out, format='PDF', resolution=150)
    return out.getvalue()


def test_a_scan_without_text_layer_is_read_by_ocr(app, clerk, indexed):
    from archive.search import content
    if not content.ocr_available():
        pytest.skip('tesseract is not installed (Debian tesseract-ocr tesseract-ocr-vie): OCR not tested')
    doc = create(clerk, main=('scan.pdf', _scan_pdf('QUYET DINH KHEN THUONG')), abstract='Bản chụp')
    indexed()
    assert ids(find(clerk, q='khen thuong')) == [doc['id']]


def test_another_body_never_sees_our_documents_not_even_counted(app, clerk, other_clerk, processor, indexed):
    mine = create(clerk, abstract='Hồ sơ nhân sự cấp ủy khóa mới', number_symbol='30-CV/BTCTU')
    held = create(clerk, abstract='Hồ sơ nhân sự của phòng', number_symbol='31-CV/BTCTU', holder_unit='TH')
    indexed()
    assert set(ids(find(clerk, q='nhan su'))) == {mine['id'], held['id']}
    theirs = find(other_clerk, q='nhan su')
    assert theirs['items'] == [] and theirs['total'] == 0
    assert all(f['value'] != HOST_CODE for f in theirs['facets'].get('body', []))
    assert sum(f['count'] for f in theirs['facets'].get('urgency', [])) == 0
    # A processor sees what their unit holds; access kept current when the unit changes.
    assert ids(find(processor, q='nhan su')) == [held['id']]
    clerk.patch_json(f"{API}/{mine['id']}", {'holder_unit': 'TH'}, headers={'X-CSRF-Token': clerk.csrf})
    indexed()
    assert set(ids(find(processor, q='nhan su'))) == {mine['id'], held['id']}
    assert find(client(app, 'quantri'), q='nhan su')['total'] == 0   # administrators see no documents


def test_secret_document_is_found_by_its_readers_only(app, clerk, leader, processor, indexed):
    doc = create(clerk, main=('mat.pdf', pdf('Noi dung tuyet doi bi mat XYZZY')), classification='mat',
                 named_people=['lanhdao'], abstract='Văn bản về phương án nhân sự')
    indexed()
    assert ids(find(leader, q='phuong an nhan su')) == [doc['id']]
    assert find(processor, q='phuong an nhan su')['total'] == 0
    assert find(leader, q='XYZZY')['total'] == 0          # its content never enters the index
    # Naming another reader widens who finds it.
    clerk.patch_json(f"{API}/{doc['id']}", {'named_people': ['lanhdao', 'chuyenvien'],
                                            'readers_reason': 'Cần tham mưu'},
                     headers={'X-CSRF-Token': clerk.csrf})
    indexed()
    assert ids(find(processor, q='phuong an nhan su')) == [doc['id']]


def test_workflow_changes_reach_the_index(app, clerk, indexed):
    doc = create(clerk, abstract='Giấy mời dự hội nghị', number_symbol='40-GM/BTCTU', doc_type='CV')
    indexed()
    before = find(clerk, q='giay moi')['items']
    assert [i['id'] for i in before] == [doc['id']]
    state = clerk.get(f"{API}/{doc['id']}").json['status']
    assert find(clerk, q='giay moi', state=state)['total'] == 1
    clerk.post_json(f"{API}/{doc['id']}/transitions/register", {}, headers={'X-CSRF-Token': clerk.csrf})
    indexed()
    after = clerk.get(f"{API}/{doc['id']}").json['status']
    assert after != state
    assert find(clerk, q='giay moi', state=state)['total'] == 0
    assert find(clerk, q='giay moi', state=after)['total'] == 1


def test_the_indexer_catches_up_after_a_crash_and_applies_twice_as_once(app, clerk, indexed):
    first = create(clerk, abstract='Quyết định điều động cán bộ', number_symbol='50-QĐ/BTCTU', doc_type='QĐ')
    indexed()
    # The process dies: a new indexer (nothing in memory) on the same folder; meanwhile a commit.
    app.registry._archive_indexer = None
    second = create(clerk, abstract='Quyết định bổ nhiệm cán bộ', number_symbol='51-QĐ/BTCTU', doc_type='QĐ')
    indexer = search.indexer_of(app.registry)
    gen = indexer.store.current()
    gen.mark(gen.state['done_until'] - 60)        # it died before recording how far it got
    indexer.apply_pending()
    assert set(ids(find(clerk, q='quyet dinh can bo'))) == {first['id'], second['id']}
    assert find(clerk, q='quyet dinh can bo')['total'] == 2     # applied twice, indexed once
    assert gen.count() == indexer.store.current().count()


def test_a_new_schema_version_rebuilds_the_index(app, clerk, indexed, monkeypatch):
    doc = create(clerk, abstract='Thông báo lịch trực cơ quan dịp Tết', number_symbol='60-TB/BTCTU', doc_type='TB')
    indexed()
    from archive.search import engine
    old = search.indexer_of(app.registry).store.current().folder
    monkeypatch.setattr(engine, 'SCHEMA_VERSION', engine.SCHEMA_VERSION + 1)
    assert find(clerk, q='"lich truc co quan"')['ready'] is False     # the old one is not used
    assert search.apply_pending(app.registry) == -1            # rebuilt
    assert ids(find(clerk, q='"lich truc co quan"')) == [doc['id']]
    assert search.indexer_of(app.registry).store.current().folder != old


BAD = [
    # (params, field, code)
    ({'q': 'a*'}, 'q', 'search_prefix_short'),
    ({'q': 'x' * 10_000}, 'q', 'search_too_long'),
    ({'q': ' '.join(f'w{n}' for n in range(40))}, 'q', 'search_too_many_words'),
    ({'q': 'x', 'colour': 'red'}, 'colour', 'filter_unknown'),
    ({'q': 'x', 'urgency': 'very'}, 'urgency', 'filter_value_invalid'),
    ({'q': 'x', 'body': 'y' * 500}, 'body', 'filter_value_invalid'),
    ({'q': 'x', 'date_from': '2026-13-45'}, 'date_from', 'date_invalid'),
    # a period the wrong way round found nothing, as if there were nothing (trial9)
    ({'q': 'x', 'date_from': '2026-12-01', 'date_to': '2026-01-01'}, 'date_to', 'period_reversed'),
    ({'q': 'x', 'issued_from': '2026-03-02', 'issued_to': '2026-03-01'}, 'issued_to', 'period_reversed'),
    ({'q': 'x', 'sort': 'random'}, 'sort', 'sort_unknown'),
    ({'q': 'x', 'start': '999999999999'}, 'start', 'paging_invalid'),
    ({'q': 'x', 'start': '990'}, 'start', 'search_too_deep'),
    ({'q': 'x', 'limit': '0'}, 'limit', 'paging_invalid'),
]


@pytest.mark.parametrize('params, field, code', BAD)
def test_bad_search_input_is_refused_plainly_in_api_and_page(app, clerk, indexed, params, field, code):
    got = clerk.get(SEARCH, params=params, status=400).json
    assert [(e['field'], e['code']) for e in got['errors']] == [(field, code)]
    page = clerk.get('/search', params=params, status=400)
    assert code in page.text or 'data-code="' + code in page.text


@pytest.mark.parametrize('q', ['"unbalanced', '-', '*', '***', '- - -', '""', '-"', '917-', '/', '" -x'])
def test_odd_queries_get_a_bounded_answer(app, clerk, indexed, q):
    got = find(clerk, q=q)
    assert got['total'] >= 0 and len(got['items']) <= 20
    clerk.get('/search', params={'q': q}, status=200)


def test_search_page_has_box_filters_facets_and_links(app, clerk, indexed):
    doc = create(clerk, abstract='Báo cáo kết quả chuyển đổi số', number_symbol='70-BC/BTCTU', doc_type='BC')
    indexed()
    home = clerk.get(f'/bodies/{HOST_CODE}')
    assert 'name="q"' in home.text and 'action="http://localhost/search"' in home.text
    page = clerk.get('/search', params={'q': 'chuyen doi so'})
    assert f"/bodies/{HOST_CODE}/documents/{doc['id']}" in page.text
    assert 'chuyển</mark>' in page.text and 'data-facet="doc_type"' in page.text
    en = clerk.get('/search', params={'q': 'chuyen doi so', '_LOCALE_': 'en'})
    assert 'Search documents' in en.text and f"documents/{doc['id']}" in en.text


def test_reindex_asked_while_the_server_holds_the_database(app, clerk, indexed):
    """``archive-search reindex`` beside a server on FileStorage leaves a request its indexer takes."""
    doc = create(clerk, abstract='Kế hoạch kiểm tra giám sát quý I', number_symbol='80-KH/BTCTU', doc_type='CV')
    indexed()
    old = search.indexer_of(app.registry).store.current().folder
    folder = search.request_rebuild(app.registry.archive_settings, app.registry.settings['zodbconn.uri'])
    assert folder == search.index_folder(app.registry)
    assert search.apply_pending(app.registry) == -1
    assert search.indexer_of(app.registry).store.current().folder != old
    assert ids(find(clerk, q='kiem tra giam sat')) == [doc['id']]
    assert search.apply_pending(app.registry) >= 0          # the request was taken once (the recent
    assert search.apply_pending(app.registry) == 0          # queue is read again after a rebuild)


def test_the_search_api_conforms_to_the_spec(app, clerk, indexed, spec):
    create(clerk, abstract='Công văn về lịch họp giao ban', number_symbol='90-CV/BTCTU')
    indexed()
    conforms(spec, clerk.get(SEARCH, params={'q': 'giao ban', 'urgency': 'normal', 'sort': 'date'}))
    conforms(spec, clerk.get(SEARCH, params={'q': 'giao ban', 'facets': ['urgency', 'body']}))
    conforms(spec, clerk.get(SEARCH, params={'q': 'a*'}, status=400))


@pytest.mark.slow     # the server's background threads, waited for
def test_the_server_indexer_thread_makes_a_commit_searchable_within_two_seconds(tmp_path, monkeypatch,
                                                                                 engine_name):
    """The thread started with the server's background work applies the queue by itself."""
    import time

    from archive import background

    from ..conftest import base_settings, close_app, file_uri, make_app
    monkeypatch.delenv(background.NO_THREADS_ENV, raising=False)
    app = make_app(base_settings(tmp_path, file_uri(tmp_path), **{
        'archive.background': 'true', 'archive.exchange_worker': 'false',
        'archive.journal_checkpoint_minutes': '600', 'archive.search_poll_seconds': '0.2',
        'archive.search_engine': engine_name}))
    try:
        clerk = client(app, 'vanthu')
        deadline = time.monotonic() + 30
        while not find(clerk, q='x')['ready'] and time.monotonic() < deadline:    # the first build
            time.sleep(0.05)
        doc = create(clerk, abstract='Giấy mời họp chi bộ tháng Giêng', number_symbol='95-CV/BTCTU')
        committed = time.monotonic()
        while ids(find(clerk, q='hop chi bo thang gieng')) != [doc['id']]:
            assert time.monotonic() - committed < 2, 'not searchable within 2 s of its commit'
            time.sleep(0.05)
    finally:
        close_app(app)


def test_two_app_servers_on_zeo_each_keep_their_own_index(zeo_server, tmp_path, engine_name):
    import uuid

    from ..conftest import base_settings, close_app, make_app, template_for
    key = 'archive-' + uuid.uuid4().hex
    apps, template = [], None
    try:
        for name in ('a', 'b'):
            folder = tmp_path / name
            folder.mkdir()
            settings = base_settings(folder, zeo_server.uri(str(folder)), **{
                'archive.root_key': key, 'archive.search_index_dir': str(folder / 'index'),
                'archive.search_engine': engine_name})
            if template is None:
                template = template_for(settings)
                template.import_root(settings['zodbconn.uri'], key)
            template.copy_keys(settings)
            apps.append(make_app(settings))
        a, b = apps
        doc = create(client(a, 'vanthu'), abstract='Quy chế làm việc của Ban Chấp hành', number_symbol='96-QC/BTCTU')
        for app in apps:
            search.apply_pending(app.registry)
        for app in apps:
            assert ids(find(client(app, 'vanthu'), q='quy che lam viec')) == [doc['id']]
        folders = {search.indexer_of(app.registry).store.current().folder for app in apps}
        assert len(folders) == 2 and all(str(tmp_path) in f for f in folders)
    finally:
        for app in apps:
            close_app(app)


def test_a_rebuild_by_another_process_is_caught_up_by_the_server(app, clerk, indexed):
    """``archive-search reindex`` on ZEO builds a generation the server did not write: the server's
    indexer reads the recent queue again into it, even what it had applied to the old one."""
    from archive.search.engine import Store
    from archive.search.indexer import Indexer
    doc = create(clerk, abstract='Biên bản hội nghị cán bộ chủ chốt', number_symbol='97-BB/BTCTU', doc_type='CV')
    indexed()
    other = Indexer(app.registry, Store(search.index_folder(app.registry), app.registry.archive_settings.search_engine))
    other.rebuild()
    # as if the other process had read the document before its change committed
    other.store.current().write([], [f"{HOST_CODE}/{doc['id']}"])
    assert find(clerk, q='bien ban hoi nghi')['total'] == 0
    indexed()
    assert ids(find(clerk, q='bien ban hoi nghi')) == [doc['id']]

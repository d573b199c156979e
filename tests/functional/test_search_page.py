"""The search page as a clerk reads it (#13 item 7, found wanting by a new user): the facet panel
in words (the words the document pages use, body names instead of codes), one search box whose
button sends what was typed in it, the panel beside the hits in the project's stylesheet, and
snippets that say each thing once, with the stored text's diacritics.

The page is the same on both engines (the words come from ``views/filter_form.py``, the
fragments from ``search/highlight.py``): these tests run on the default one."""
import io
import re
from importlib.resources import files

from archive import search
from archive.search import indexer
from archive.seed import HOST

from ..conftest import HOST_CODE, open_root
from ..conftest import client as signed_in
from ..helpers import pdf
from .test_search import create, find, ids

# the values the index stores, which the panel used to show as they are
RAW = ('arrived', 'electronic', 'not_verified', 'unsigned', 'valid', 'yes', 'no', 'incoming', 'outgoing',
       'normal', HOST_CODE)


def _apply(app):
    search.apply_pending(app.registry)


def _panel(page):
    """``{facet: [the values shown]}`` of the side panel."""
    return {s['data-facet']: [li.a.get_text(strip=True) for li in s.select('li')]
            for s in page.html.select('aside.facets section[data-facet]')}


def _field(page, label):
    """A field's value on the document page (the row headed ``label``)."""
    row = next(tr for tr in page.html.select('table.fields tr') if tr.th.get_text(strip=True) == label)
    return row.td.get_text(' ', strip=True)


def test_the_facet_panel_says_in_words_what_the_document_page_says(app, clerk):
    from ..helpers import pdf
    doc = create(clerk, main=('chinh.pdf', pdf('Van ban chinh')), attachments=[('phu-luc.pdf', pdf('Phu luc'))],
                 abstract='Báo cáo sơ kết công tác văn thư quý', number_symbol='80-BC/BTCTU', doc_type='BC',
                 holder_unit='TH')
    _apply(app)
    page = clerk.get('/search', params={'q': 'so ket van thu'})
    panel = _panel(page)
    shown = [v for values in panel.values() for v in values]
    assert not set(shown) & set(RAW), set(shown) & set(RAW)
    seen = clerk.get(f"/bodies/{HOST_CODE}/documents/{doc['id']}/")
    assert panel['state'] == [_field(seen, 'Trạng thái xử lý')]
    assert panel['direction'] == [_field(seen, 'Văn bản đến / đi')]
    assert panel['route'] == [_field(seen, 'Hình thức nhận / gửi')]
    assert panel['urgency'] == [_field(seen, 'Độ khẩn')]
    assert panel['doc_type'] == [_field(seen, 'Loại văn bản')]
    assert panel['unit'] == [_field(seen, 'Đơn vị giữ văn bản')]
    conn, root = open_root(app)
    try:
        assert panel['body'] == [root['bodies'][HOST].name]
    finally:
        conn.close()
    assert panel['attachments'] == ['Có']
    # the value is still the code in the link, and the filter it sets works
    link = page.html.select_one('section[data-facet="state"] li a')['href']
    assert ids(find(clerk, **dict(p.split('=', 1) for p in link.split('?', 1)[1].split('&')
                                  if not p.startswith('q=')), q='so ket van thu')) == [doc['id']]
    english = _panel(clerk.get('/search', params={'q': 'so ket van thu', '_LOCALE_': 'en'}))
    assert english['direction'] != panel['direction'] and not set(english['direction']) & set(RAW)


def test_the_search_page_has_one_box_and_its_button_sends_what_was_typed(app, clerk):
    doc = create(clerk, abstract='Kế hoạch số hóa tài liệu kho lưu trữ', number_symbol='81-KH/BTCTU')
    _apply(app)
    assert len(clerk.get('/desk').html.select('input[name=q]')) == 1      # the top bar's box, elsewhere
    page = clerk.get('/search')
    assert len(page.html.select('input[name=q]')) == 1
    form = next(f for f in page.forms.values() if 'sort' in f.fields)
    assert [b.get_text(strip=True) for b in page.html.select('form.search-page .search-bar button')] == ['Tìm']
    form['q'] = 'so hoa tai lieu'
    found = form.submit().maybe_follow()          # without scripts: redirected to the clean URL
    assert found.request.GET['q'] == 'so hoa tai lieu'
    assert [li['data-doc'] for li in found.html.select('ol.hits li')] == [doc['id']]
    # a facet's link keeps what was asked, not the empty fields the form sent
    link = found.html.select_one('section[data-facet="urgency"] li a')['href']
    assert link == 'http://localhost/search?q=so+hoa+tai+lieu&sort=relevance&urgency=normal'


def test_the_filters_are_a_side_panel_of_the_stylesheet(app, clerk):
    create(clerk, abstract='Thông báo kết luận hội nghị', number_symbol='82-TB/BTCTU')
    _apply(app)
    page = clerk.get('/search', params={'q': 'ket luan'})
    results = page.html.select_one('div.search-results')
    assert [c.name for c in results.find_all(recursive=False)] == ['aside', 'section']
    assert results.aside.select('section[data-facet]') and results.aside.select('fieldset.filters select')
    assert not page.html.select('[style]')                 # style-src 'self': no inline style
    css = (files('archive') / 'static' / 'archive.css').read_text()
    rule = re.search(r'\.search-results \{([^}]*)\}', css).group(1)
    assert 'display:grid' in rule and 'grid-template-columns' in rule


def _vietnamese_pdf(text):
    """A PDF whose text layer holds ``text`` with its diacritics (the project's DejaVu font)."""
    from reportlab.pdfgen import canvas

    from archive.reports.exports import FONT, register_fonts
    register_fonts()
    out = io.BytesIO()
    c = canvas.Canvas(out)
    c.setFont(FONT, 12)
    c.drawString(72, 760, text)
    c.save()
    return out.getvalue()


def test_a_snippet_says_each_thing_once_with_the_stored_diacritics(app, clerk):
    # the demo's issued notice: signed by the leader, then by the organisation, each signing
    # keeping the file it signed; its PDF says "Thong bao lich tiep" (ASCII)
    _apply(app)
    conn, root = open_root(app)
    try:
        notice = next(d for d in root['bodies'][HOST].documents.values() if d.abstract.startswith('Thông báo lịch tiếp'))
        assert len(notice.files) == 3
        fields, _scans = indexer.document_fields(notice)
        assert fields['content'] == 'Thong bao lich tiep'          # the text of the file in force, once
        name = notice.__name__
    finally:
        conn.close()
    hit = next(i for i in find(clerk, q='thong bao lich tiep')['items'] if i['id'] == name)
    assert [h['field'] for h in hit['highlights']] == ['abstract']
    assert hit['highlights'][0]['html'].startswith('<mark class="match term0">Thông</mark> <mark class="match term1">báo</mark>')
    # a file's text with more to say is shown, as stored: with its diacritics
    doc = create(clerk, main=('bien-ban.pdf', _vietnamese_pdf('Biên bản họp về lịch tiếp công dân quý I')),
                 abstract='Biên bản họp giao ban', number_symbol='83-BB/BTCTU')
    _apply(app)
    hit = next(i for i in find(clerk, q='lich tiep cong dan')['items'] if i['id'] == doc['id'])
    assert [h['field'] for h in hit['highlights']] == ['content']
    assert '<mark class="match term0">lịch</mark> <mark class="match term1">tiếp</mark>' in hit['highlights'][0]['html']
    page = clerk.get('/search', params={'q': 'lich tiep cong dan'})
    # the abstract once, whole, its words marked: the hit's link, not again under it
    assert not page.html.select(f'li[data-doc="{name}"] p.fragment')
    [link] = page.html.select(f'li[data-doc="{name}"] > a')
    assert link.get_text(' ', strip=True).endswith('Thông báo lịch tiếp công dân tháng 12 năm 2026')
    assert [m.get_text() for m in link.select('mark')] == ['lịch', 'tiếp', 'công', 'dân']


def test_a_hit_shows_its_whole_abstract_once_with_the_words_marked(app, clerk):
    """The abstract's fragment was a window of ±40 characters under the abstract shown in full:
    "…giám sát năm" under "…giám sát năm 2026" (trial 9, item 18). The page shows the whole
    abstract once, as the hit's link, with the words marked; the API's abstract highlight is
    the whole abstract too."""
    abstract = ('Báo cáo kết quả thực hiện nhiệm vụ trọng tâm của cơ quan trong năm, '
                'công tác kiểm tra, giám sát năm 2026')
    doc = create(clerk, abstract=abstract, number_symbol='88-BC/BTCTU')
    _apply(app)
    [hit] = [i for i in find(clerk, q='giám sát')['items'] if i['id'] == doc['id']]
    assert hit['highlights'][0]['field'] == 'abstract'
    assert hit['highlights'][0]['html'].endswith('<mark class="match term1">sát</mark> năm 2026')
    assert hit['highlights'][0]['html'].startswith('Báo cáo kết quả thực hiện')
    page = clerk.get('/search', params={'q': 'giám sát'})
    [link] = page.html.select(f'li[data-doc="{doc["id"]}"] > a')
    assert link.get_text(' ', strip=True) == '88-BC/BTCTU ' + abstract
    assert [m.get_text() for m in link.select('mark')] == ['giám', 'sát']
    assert not page.html.select(f'li[data-doc="{doc["id"]}"] p.fragment')


def test_the_top_bar_offers_the_search_box_to_those_who_have_documents_to_find(app, clerk, processor, admin):
    """An administrator sees no document (every search of theirs was empty): no box for them,
    as no "Văn bản" link; the clerk and the processor have both."""
    for client, offered in ((clerk, True), (processor, True), (admin, False)):
        page = client.get('/bodies/')
        nav = [a.get_text(strip=True) for a in page.html.select('header.top nav a')]
        assert bool(page.html.select('header.top form.search-box input[name=q]')) == offered == ('Văn bản' in nav)


def test_the_url_of_a_search_holds_only_what_was_asked(app, clerk):
    """The form sends every filter, empty or not; without scripts the page redirects to the same
    URL without the empty ones (with scripts the form leaves them out: static/archive.js), so a
    search's URL is what was asked. The lists and registers that share the filter form do the same."""
    doc = create(clerk, abstract='Kế hoạch chỉnh lý tài liệu tồn đọng', number_symbol='83-KH/BTCTU')
    _apply(app)
    form = next(f for f in clerk.get('/search').forms.values() if 'sort' in f.fields)
    form['q'] = 'chinh ly tai lieu'
    sent = form.submit(status=303)
    assert '=&' in sent.request.url                              # what the form sent: every field
    assert sent.location == 'http://localhost/search?q=chinh+ly+tai+lieu&sort=relevance'
    page = sent.follow()
    assert [li['data-doc'] for li in page.html.select('ol.hits li')] == [doc['id']]
    assert clerk.get('/search?q=&doc_type=', status=303).location == 'http://localhost/search'
    clerk.get('/search?q=chinh+ly', status=200)                  # a clean URL is answered as it is
    for path, clean in ((f'/bodies/{HOST_CODE}/?urgency=&date_from=&state=arrived',
                         f'http://localhost/bodies/{HOST_CODE}/?state=arrived'),
                        (f'/bodies/{HOST_CODE}/registers?kind=incoming&year=&doc_type=&issued_from=',
                         f'http://localhost/bodies/{HOST_CODE}/registers?kind=incoming')):
        assert clerk.get(path, status=303).location == clean, path
        clerk.get(clean, status=200)
    script = (files('archive') / 'static' / 'archive.js').read_text()
    assert "addEventListener('formdata'" in script


def test_on_a_phone_the_hits_come_before_the_filters_which_a_link_leads_to(app, clerk):
    """The panel stays first in the page (the desktop's reading order, the side panel on the
    left); the phone's rule of the stylesheet puts the hits first, and a link at the total leads
    to the filters after them (shown on a phone only). The browser walk measures it."""
    create(clerk, abstract='Báo cáo tổng kết công tác lưu trữ', number_symbol='84-BC/BTCTU')
    _apply(app)
    page = clerk.get('/search', params={'q': 'tong ket'})
    assert page.html.select_one('div.search-results > aside.facets')['id'] == 'filters'
    assert page.html.select_one('section.hits p.total a.to-filters')['href'] == '#filters'
    css = (files('archive') / 'static' / 'archive.css').read_text()
    phone = re.search(r'@media \(max-width: 760px\) \{\s*\.search-results \{[^}]*\}(.*?)\n\}', css, re.S).group(1)
    assert re.search(r'\.search-results section\.hits \{\s*order:\s*-1;?\s*\}', phone)
    assert re.search(r'\.search-results a\.to-filters \{[^}]*display:inline', phone)
    assert re.search(r'\.search-results a\.to-filters \{\s*display:none;?\s*\}', css.split('@media (max-width: 760px) {\n  .search-results')[0])


def test_a_hit_without_a_number_says_so(app, clerk):
    """The demo's draft has no number yet: its hit was headed by a bare "—"."""
    _apply(app)
    page = clerk.get('/search', params={'q': 'chuyen doi so cong tac van thu'})
    [hit] = [li for li in page.html.select('ol.hits li') if 'Tờ trình về kế hoạch chuyển đổi số' in li.get_text()]
    assert hit.a.strong.get_text() == '(chưa có số)' and '—' not in hit.a.get_text()


def test_a_search_that_finds_nothing_says_so(app, clerk):
    """It showed "Số kết quả: 0" and a link to filters that had nothing to offer."""
    _apply(app)
    page = clerk.get('/search', params={'q': 'xyzzyqq'}).html
    said = ' '.join(page.select_one('[data-empty="hits"]').get_text().split())
    assert said == 'Không tìm thấy văn bản nào. Thử từ khác hoặc ít từ hơn, hoặc bỏ bớt điều kiện lọc.'
    assert page.select_one('a.to-filters') is None
    found = clerk.get('/search', params={'q': 'kiem diem'}).html
    assert found.select_one('[data-empty="hits"]') is None and found.select_one('a.to-filters')


def test_a_hit_names_the_documents_type_state_and_body(app, clerk):
    """A hit showed only its number and abstract: two letters of the same subject, one only
    arrived and one a report already registered, read alike. Now each names its type, state and the
    body holding it, in words, as the document page does (and in English too)."""
    doc = create(clerk, abstract='Báo cáo tổng kết công tác lưu trữ năm', number_symbol='81-BC/BTCTU', doc_type='BC')
    _apply(app)
    page = clerk.get('/search', params={'q': 'tong ket cong tac luu tru'})
    [hit] = page.html.select(f"ol.hits li[data-doc=\"{doc['id']}\"]")
    seen = clerk.get(f"/bodies/{HOST_CODE}/documents/{doc['id']}/")
    meta = hit.select_one('p.hit-meta')
    assert meta.select_one('[data-doc-type]').get_text(strip=True) == _field(seen, 'Loại văn bản') == 'Báo cáo (BC)'
    assert meta.select_one('[data-state]').get_text(strip=True) == _field(seen, 'Trạng thái xử lý') == 'Đã đến'
    conn, root = open_root(app)
    try:
        assert meta.select_one('[data-body]').get_text(strip=True) == root['bodies'][HOST].name
    finally:
        conn.close()
    english = clerk.get('/search', params={'q': 'tong ket cong tac luu tru', '_LOCALE_': 'en'})
    [hit] = english.html.select(f"ol.hits li[data-doc=\"{doc['id']}\"]")
    assert hit.select_one('p.hit-meta [data-state]').get_text(strip=True) == 'Arrived'


def test_a_hit_is_marked_urgent_and_mat_as_the_lists_mark_them(app, clerk):
    """A new user scanning the hits missed an urgent letter and read a Mật one as secret only
    from its title: the hits now carry the urgency and Mật badges the desks and lists show."""
    urgent = create(clerk, abstract='Công văn về lịch giao ban quý', urgency='khan', number_symbol='71-CV/BTCTU')
    plain = create(clerk, abstract='Công văn về lịch tiếp dân quý', number_symbol='72-CV/BTCTU')
    secret = create(clerk, main=('mat.pdf', pdf('Noi dung mat')), classification='mat',
                    named_people=['lanhdao'], abstract='Công văn về lịch công tác nhân sự quý',
                    number_symbol='73-CV/BTCTU')
    _apply(app)
    leader = signed_in(app, 'lanhdao')
    hits = {li['data-doc']: li.select_one('p.hit-meta')
            for li in leader.get('/search', params={'q': 'cong van lich quy'}).html.select('ol.hits li')}
    assert hits[urgent['id']].select_one('.badge.urgent').get_text(strip=True) == 'Khẩn'
    assert hits[urgent['id']].select_one('.badge.secret') is None
    assert hits[secret['id']].select_one('.badge.secret').get_text(strip=True) == 'Mật'
    assert hits[plain['id']].select('.badge') == []


def test_a_hit_shows_its_date_as_the_lists_do(app, clerk):
    """A new user sorted by "Mới nhất" and could not tell from the hits whether they were newest
    first: a hit showed no date. It now shows the one the document list shows (received, sent or
    created), dd/mm/yyyy HH:mm in Vietnam time, the ISO form kept in ``<time datetime>``."""
    older = create(clerk, abstract='Công văn về lịch trực cơ quan', number_symbol='85-CV/BTCTU',
                   received_at='2026-03-04T10:28:00+07:00')
    newer = create(clerk, abstract='Công văn về lịch trực lễ', number_symbol='86-CV/BTCTU',
                   received_at='2026-10-12T01:05:00Z')
    _apply(app)
    page = clerk.get('/search', params={'q': 'cong van lich truc', 'sort': 'date'}).html
    hits = page.select('ol.hits li')
    assert [li['data-doc'] for li in hits] == [newer['id'], older['id']]
    dates = [li.select_one('p.hit-meta [data-date] time') for li in hits]
    assert [t.get_text() for t in dates] == ['12/10/2026 08:05', '04/03/2026 10:28']
    assert dates[1]['datetime'] == '2026-03-04T10:28:00+07:00'
    listed = clerk.get(f'/bodies/{HOST_CODE}/').html
    assert '04/03/2026 10:28' in listed.get_text()


def test_a_metadata_snippet_shows_the_values_found_apart_and_no_codes(app, clerk):
    """A hit found by its sender or signer showed the whole metadata run together, the
    register number and the body's identifier code among it: "911-NQ/TU 17 Thành ủy Nguyễn Văn
    An 000.00.00.H01". The page now shows the values with a match, apart (the API keeps the
    fragment as the index gives it)."""
    doc = create(clerk, abstract='Công văn về lịch trực', number_symbol='87-CV/BTCTU',
                 sender='Ban Tổ chức Thành ủy', signer_name='Nguyễn Văn Bình', organ_id='000.00.02.H01')
    _apply(app)
    page = clerk.get('/search', params={'q': 'to chuc nguyen'}).html
    [fragment] = page.select(f'li[data-doc="{doc["id"]}"] p.fragment[data-field="meta"]')
    assert fragment.get_text() == 'Ban Tổ chức Thành ủy · Nguyễn Văn Bình'
    assert [m.get_text() for m in fragment.select('mark')] == ['Tổ', 'chức', 'Nguyễn']
    [hit] = [i for i in find(clerk, q='to chuc nguyen')['items'] if i['id'] == doc['id']]
    assert '000.00.02.H01' in hit['highlights'][0]['html']


def test_a_period_the_wrong_way_round_is_said_with_the_pages_dates(app, clerk):
    """It found nothing, as if there were nothing; then it said so with the dates as the API
    reads them (2026-01-01): the page says them as every page does."""
    page = clerk.get('/search', params={'date_from': '2026-12-01', 'date_to': '2026-01-01'}, status=400).html
    [error] = page.select('li.error[data-code="period_reversed"]')
    assert error['data-field'] == 'date_to'
    assert error.get_text() == 'Ngày kết thúc (01/01/2026) trước ngày bắt đầu (01/12/2026)'


def test_a_page_past_the_last_leads_back_to_the_last(app, clerk):
    """A bookmarked page of a search that now finds fewer showed no hits, and its "Trang trước"
    led to another empty page, one page back at a time: it now leads to the last page."""
    made = [create(clerk, abstract=f'Giấy mời họp giao ban tuần {n}', number_symbol=f'{90 + n}-GM/BTCTU')
            for n in range(3)]
    _apply(app)
    page = clerk.get('/search', params={'q': 'giay moi hop giao ban', 'limit': '2', 'start': '40'}).html
    assert page.select('ol.hits li') == []
    back = page.select_one('p.paging a')
    assert back.get_text() == 'Trang trước' and 'start=2' in back['href']
    last = clerk.get(back['href']).html
    assert len(last.select('ol.hits li')) == 1 and len(made) == 3
    middle = clerk.get('/search', params={'q': 'giay moi hop giao ban', 'limit': '1', 'start': '2'}).html
    assert 'start=1' in middle.select_one('p.paging a')['href']


def test_the_filters_in_use_are_said_beside_the_total(app, clerk):
    """On a phone the panel is below the hits: a clerk who searched again from the page's box kept
    an earlier filter without seeing it, and read "Số kết quả: 0" as nothing in the archive. The
    filters in use are now said by the total, in words, with a link that clears them all (and
    keeps the words and the sort)."""
    create(clerk, abstract='Báo cáo tổng kết công tác lưu trữ', number_symbol='84-BC/BTCTU', doc_type='BC',
           urgency='khan')
    _apply(app)
    plain = clerk.get('/search', params={'q': 'tong ket'}).html
    assert plain.select_one('[data-filters-in-use]') is None
    page = clerk.get('/search', params={'q': 'tong ket', 'sort': 'date', 'urgency': 'khan', 'doc_type': 'BC',
                                        'date_from': '2026-11-01'}).html
    said = page.select_one('section.hits [data-filters-in-use]')
    text = ' '.join(said.get_text(' ').split())
    assert 'Loại văn bản: Báo cáo (BC); Độ khẩn: Khẩn; Từ ngày: 01/11/2026 ·' in text
    clear = said.select_one('a')
    assert clear.get_text() == 'Bỏ mọi điều kiện lọc'
    assert clear['href'] == 'http://localhost/search?q=tong+ket&sort=date'
    english = clerk.get('/search', params={'q': 'tong ket', 'urgency': 'khan', '_LOCALE_': 'en'}).html
    said = ' '.join(english.select_one('[data-filters-in-use]').get_text(' ').split())
    assert said.startswith('Filtered by') and said.endswith('Clear all filters')


def test_the_panels_choices_of_signature_start_with_a_capital_as_the_others_do(app, clerk):
    """"chưa xác thực chữ ký số" (the badge's words, said within a line) stood in lower case among
    "Đã đến", "Khẩn", "Giấy (bưu chính)" in the search's panel and the lists' choices."""
    _apply(app)
    panel = _panel(clerk.get('/search'))
    assert panel['verdict'] and all(v[0].isupper() for v in panel['verdict']), panel['verdict']
    listed = clerk.get(f'/bodies/{HOST_CODE}/').html
    choices = [o.get_text(strip=True) for o in listed.select('select[name=verdict] option')[1:]]
    assert 'Chưa xác thực chữ ký số' in choices and all(c[0].isupper() for c in choices)

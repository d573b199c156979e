"""Pages that speak the trade (#17 item 3): no internal code on a page, the workflow's states and
actions in the reader's language, column headers and the Mật mark on the desk."""
import re

from lxml import etree


from ..conftest import HERE, HOST_CODE
from ..helpers import incoming

API = f'/api/v1/bodies/{HOST_CODE}/documents'
# what the pages showed before: a register's key, a verdict's code beside its status, a journal code
INTERNAL = re.compile(r'\((?:den|di)[-a-z]*, \d{4}\)|\bvalid \(valid\)|secret_file_read|origin_checked')


def test_every_workflow_title_is_in_the_english_catalog():
    """The titles come from workflows/*.zcml (the one place that names a state); the extractor puts
    each in the catalog under the id the pages ask for, and each has its English."""
    from babel.messages.pofile import read_po
    with open(f'{HERE}/src/archive/locale/en/LC_MESSAGES/archive.po', 'rb') as f:
        english = {m.id: m.string for m in read_po(f) if m.id}
    for kind in ('incoming', 'outgoing'):
        tree = etree.parse(f'{HERE}/workflows/{kind}.zcml')
        for el in tree.iter('{*}state', '{*}transition'):
            if el.get('title') is None:
                continue
            infix = 'state_' if el.tag.endswith('state') else ''
            assert english.get(f"wf_{kind}_{infix}{el.get('name')}"), (kind, el.get('name'))


def test_every_desk_queue_title_is_in_the_english_catalog_and_on_the_english_desk(clerk):
    """The desk's queue titles are the ``desk`` and ``origin_check`` keys of workflows/*.zcml; the
    extractor puts each in the catalog as ``wf_<type>_<key>_<state>``, each has its English, and the
    English desk shows it (the API's desk too)."""
    from babel.messages.pofile import read_po
    with open(f'{HERE}/src/archive/locale/en/LC_MESSAGES/archive.po', 'rb') as f:
        english = {m.id: m.string for m in read_po(f) if m.id}
    found = []
    for kind in ('incoming', 'outgoing'):
        tree = etree.parse(f'{HERE}/workflows/{kind}.zcml')
        for state in tree.iter('{*}state'):
            for key in state.iter('{*}key'):
                if key.get('name') in ('desk', 'origin_check'):
                    msgid = f"wf_{kind}_{key.get('name')}_{state.get('name')}"
                    assert english.get(msgid), msgid
                    found.append((msgid, key.get('value')))
    assert len(found) >= 11
    titles = dict(found)
    vi = clerk.get('/desk').html.select('main section h2')
    en = clerk.get('/desk?_LOCALE_=en').html.select('main section h2')
    assert titles['wf_incoming_desk_arrived'] in ' '.join(h.get_text() for h in vi)
    en_text = ' '.join(h.get_text() for h in en)
    assert english['wf_incoming_desk_arrived'] in en_text and english['wf_outgoing_desk_approved'] in en_text
    assert not any(value in en_text for value in titles.values())
    api = clerk.get('/api/v1/desk?_LOCALE_=en').json
    assert {q['name']: q['title'] for q in api['queues']}['incoming/arrived'] == english['wf_incoming_desk_arrived']


def test_a_registered_document_page_shows_no_internal_code_in_either_language(clerk):
    doc = clerk.post_json(API, incoming(holder_unit='TH'), headers={'X-CSRF-Token': clerk.csrf}, status=201).json
    clerk.post_json(f"{API}/{doc['id']}/transitions/register", {}, headers={'X-CSRF-Token': clerk.csrf})
    vi = clerk.get(f"/bodies/{HOST_CODE}/documents/{doc['id']}/")
    main = vi.html.find('main').get_text(' ')
    assert INTERNAL.search(main) is None
    assert re.search(r'Sổ văn bản đến, \d{4}', main) and 'Phòng Tổng hợp' in main
    assert re.search(r'\d{4}-\d\d-\d\d', main) is None               # one date format: 24/11/2026 09:30
    assert vi.html.find('time', datetime='2026-11-24T09:30:00+07:00').text == '24/11/2026 09:30'
    en = clerk.get(f"/bodies/{HOST_CODE}/documents/{doc['id']}/?_LOCALE_=en")
    main = en.html.find('main').get_text(' ')
    assert INTERNAL.search(main) is None
    assert 'Accepted' in main and 'Đã tiếp nhận' not in main
    assert re.search(r'Incoming register, \d{4}', main)
    history = [td.get_text(strip=True) for td in en.html.select('table.history td:nth-of-type(3)')]
    assert history[-1] == 'Register as incoming'
    assert [s.get_text(strip=True) for s in en.html.select('details.action summary')] == ['Return', 'Forward to another body', 'Recall', 'Delete']


def test_the_desk_has_column_headers_and_marks_the_secret_document(clerk):
    desk = clerk.get('/desk?_LOCALE_=en')
    for table in desk.html.select('section table.documents'):
        assert table.find('thead') is not None and table.find('th').get_text(strip=True)
    rows = [tr for tr in desk.html.select('section table.documents tbody tr') if '(Mật)' in tr.get_text()]
    assert rows and all(tr.select_one('.badge.secret') is not None for tr in rows)
    assert 'Arrived' in desk.text and 'Đã đến' not in desk.text


def test_a_documents_files_show_their_size_as_people_write_it(app, clerk):
    """The files table: "31,2 kB" in Vietnamese, "31.2 kB" in English (``i18n.size_text``), the
    exact number of bytes kept in ``<data value>``; the API keeps the number."""
    from archive.i18n import size_text
    from ..conftest import open_root
    conn, root = open_root(app)
    doc = next(d for d in root['bodies'][HOST_CODE].documents.values() if d.number_symbol == '245-HD/BTCTU')
    name, size = doc.__name__, doc.file_list()[0].size
    conn.close()
    assert size >= 1000                                   # signed: kB, with a decimal
    for locale in ('vi', 'en'):
        page = clerk.get(f'/bodies/{HOST_CODE}/documents/{name}/', params={'_LOCALE_': locale})
        cell = page.html.select_one(f'data[value="{size}"]')
        assert cell.get_text() == size_text(size, locale), locale
    api = clerk.get(f'{API}/{name}').json
    assert size in [f['size'] for f in api['files']]


def test_a_field_without_a_value_shows_a_dash(clerk):
    """The document page's empty fields (Hạn xử lý, Nơi nhận, ... of a letter just arrived) were blank
    cells; the stylesheet draws a dash in every empty cell of a field table or a list."""
    from importlib.resources import files
    doc = clerk.post_json(API, incoming(), headers={'X-CSRF-Token': clerk.csrf}, status=201).json
    page = clerk.get(f"/bodies/{HOST_CODE}/documents/{doc['id']}/").html
    row = next(tr for tr in page.select('table.fields tr') if tr.th.get_text(strip=True) == 'Hạn xử lý')
    assert row.td.contents == []                                   # empty: what the rule below matches
    css = (files('archive') / 'static' / 'archive.css').read_text()
    assert re.search(r'table\.fields td:empty::after[^{]*\{\s*content:"—"', css)


def test_the_first_revision_says_it_is_the_first_not_every_field(clerk):
    """A document's first revision, and the history's "Tạo mới" row, listed every field it was
    created with as "changed"; the revision says it is the first, and a later one names what changed."""
    doc = clerk.post_json(API, incoming(), headers={'X-CSRF-Token': clerk.csrf}, status=201).json
    clerk.patch_json(f"{API}/{doc['id']}", {'abstract': 'Tờ trình về công tác cán bộ (sửa)'},
                     headers={'X-CSRF-Token': clerk.csrf})
    items = clerk.get(f"/bodies/{HOST_CODE}/documents/{doc['id']}/").html.select('ol.revisions li')
    said = [' '.join(li.get_text().split()).split(' · ', 2)[2] for li in items]
    assert said == ['bản đầu tiên, khi tạo văn bản', 'Trích yếu nội dung']
    # the history's "Tạo mới" row does not list every field either; the edit's row names its field
    page = clerk.get(f"/bodies/{HOST_CODE}/documents/{doc['id']}/").html
    rows = {tr.select('td')[2].get_text(strip=True): ' '.join(tr.select('td')[3].get_text().split())
            for tr in page.select('table.history tbody tr')}
    assert rows['Tạo mới'] == '' and any('Trích yếu nội dung' in v for k, v in rows.items() if k != 'Tạo mới'), rows


def test_an_empty_queue_on_a_desk_says_so_in_a_sentence(app, clerk, leader, processor):
    """A queue with nothing in it showed its title, "(0)" and nothing else, which read like a page
    that had not loaded. Each says so now, in Vietnamese and in English, and shows no table."""
    from ..conftest import client
    archivist = client(app, 'luutru')
    seen = set()
    for c in (clerk, leader, processor, archivist):
        for locale, words in (('vi', 'Không có'), ('en', 'No ')):
            desk = c.get('/desk', params={'_LOCALE_': locale}).html
            for section in desk.select('main section'):
                for heading in section.find_all('h2'):
                    if heading.select_one('.count') is None or heading.select_one('.count').get_text() != '(0)':
                        continue
                    said = heading.find_next_sibling()
                    assert said is not None and said.name == 'p' and 'empty' in said['class'], heading.get_text()
                    assert said.get_text(strip=True).startswith(words), said.get_text()
                    seen.add(said['data-empty'])
    assert {'overdue', 'due_soon', 'due'} <= seen, seen


def test_a_revision_says_its_fields_in_words_in_the_forms_order(clerk):
    """A revision's page (linked from the document's page) showed the stored codes, "incoming",
    "email", "hoa_toc", "thuong", "BC", under field titles sorted by their internal names: it says
    them as the document page does, in the form's order."""
    doc = clerk.post_json(API, incoming(channel='email', urgency='hoa_toc', doc_type='BC', holder_unit='TH'),
                          headers={'X-CSRF-Token': clerk.csrf}, status=201).json
    page = clerk.get(f"/bodies/{HOST_CODE}/documents/{doc['id']}/revision?n=1").html
    rows = {tr.th.get_text(strip=True): tr.td.get_text(' ', strip=True) for tr in page.select('table.fields tr')}
    seen = clerk.get(f"/bodies/{HOST_CODE}/documents/{doc['id']}/").html
    shown = {tr.th.get_text(strip=True): tr.td.get_text(' ', strip=True) for tr in seen.select('table.fields tr')}
    for title in ('Văn bản đến / đi', 'Hình thức nhận / gửi', 'Độ khẩn', 'Độ mật', 'Loại văn bản', 'Đơn vị giữ văn bản'):
        assert rows[title] == shown[title], (title, rows[title], shown[title])
    assert rows['Loại văn bản'] == 'Báo cáo (BC)' and rows['Độ khẩn'] == 'Hỏa tốc'
    titles = list(rows)
    assert titles.index('Văn bản đến / đi') < titles.index('Mã định danh cơ quan ban hành') < titles.index('Trích yếu nội dung')

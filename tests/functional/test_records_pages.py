"""The records pages as a clerk and an archivist read them (#14, defects a new user found): the
"Hồ sơ" box on a document page with no open file, the confirmation after filing, the transfer
batch after an export (its outcome in words, the package to download, no server path), dates as
people write them, and the backups page in words."""
import re

from ..conftest import HOST_CODE, client
from .test_records_files import archivist, new_document, open_file, plan_entry  # noqa: F401 (a fixture)

DATE_TIME = re.compile(r'^\d{2}/\d{2}/\d{4} \d{2}:\d{2}$')
ISO = re.compile(r'\d{4}-\d{2}-\d{2}T\d{2}:\d{2}')


def document_page(c, doc, **query):
    return c.get(f'/bodies/{HOST_CODE}/documents/{doc}/', params=query)


# -- the "Hồ sơ" box on a document page ---------------------------------------------------------

def test_with_no_open_file_the_box_says_so_and_offers_no_button(app, clerk, archivist):
    doc = new_document(clerk)
    box = document_page(clerk, doc).html.select_one('section.records-file')
    assert box.select_one('form#records-file') is None and box.select('button') == []
    hint = box.select_one('[data-hint="no-open-file"]')
    assert 'chưa có hồ sơ nào đang mở' in hint.get_text()
    assert hint.a['href'].endswith(f'/bodies/{HOST_CODE}/records/')
    english = document_page(clerk, doc, _LOCALE_='en').html.select_one('[data-hint="no-open-file"]')
    assert 'no open file' in english.get_text()
    plan_entry(archivist)
    open_file(clerk)
    box = document_page(clerk, doc).html.select_one('section.records-file')
    assert box.select_one('[data-hint]') is None and box.select_one('form#records-file select option')


def test_filing_from_the_page_is_confirmed(app, clerk, archivist):
    plan_entry(archivist, title='Hồ sơ tổng hợp')
    f = open_file(clerk)
    doc = new_document(clerk)
    page = document_page(clerk, doc).forms['records-file'].submit(status=303).follow()
    [notice] = page.html.select('p.flash')
    assert notice.get_text().strip() == f"Đã lập văn bản vào hồ sơ TH.01 · Hồ sơ tổng hợp ({f['year']})"
    assert page.html.select_one('section.records-file [data-file]')['data-file'] == f['name']
    assert document_page(clerk, doc).html.select('p.flash') == []          # shown once


# -- the backups page ---------------------------------------------------------------------------

def test_the_backups_page_names_kinds_and_the_scheduler_in_words_and_dates_as_people_write_them(tmp_path):
    """A scheduled run (actor ``system``) and one an administrator starts: each run's kind in
    words (Đầy đủ, Gia tăng, ...), the scheduler as "Hệ thống", every time as dd/mm/yyyy HH:mm
    (its ISO form kept in ``<time datetime>``); in English too."""
    from archive.archival import backup

    from .test_backups import _app, add_file
    app = _app(tmp_path, tmp_path / 'dest')
    try:
        backup.run_and_journal(app.registry)                         # the schedule's (actor: system)
        add_file(app, b'%PDF-1.4 new content')
        backup.run_and_journal(app.registry, actor='quantri')
        admin = client(app, 'quantri')
        page = admin.get('/admin/backups').html
        runs = page.select('tr[data-run]')
        cells = [[td.get_text(' ', strip=True) for td in row.select('td')] for row in runs]
        assert [(c[3], c[7]) for c in cells] == [('Gia tăng', 'Hoàng Văn Quản Trị'),
                                                 ('Đầy đủ', 'Hệ thống (tự động theo lịch)')]
        times = page.select('main time')
        assert len(times) >= 4 and all(DATE_TIME.match(t.get_text()) and ISO.match(t['datetime']) for t in times)
        assert not ISO.search(page.select_one('main').get_text())        # no ISO time shown as text
        english = admin.get('/admin/backups', params={'_LOCALE_': 'en'}).html
        cells = [[td.get_text(' ', strip=True) for td in row.select('td')] for row in english.select('tr[data-run]')]
        assert [c[3] for c in cells] == ['Incremental', 'Full'] and cells[1][7] == 'System (scheduled)'
    finally:
        from ..conftest import close_app
        close_app(app)

"""The records pages as a clerk and an archivist read them (#14, defects a new user found): the
"Hồ sơ" box on a document page with no open file, the confirmation after filing, the transfer
batch after an export (its outcome in words, the package to download, no server path), dates as
people write them, and the backups page in words."""
import re

from archive import audit
from archive.i18n import size_text

from ..conftest import HOST_CODE, client, open_root
from .test_records_files import archivist, file_doc, new_document, open_file, plan_entry  # noqa: F401 (a fixture)

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
    again = document_page(clerk, doc)
    assert again.html.select('p.flash') == []                               # shown once
    [row] = [r for r in again.html.select('table.history tbody tr') if 'Lập vào hồ sơ' in r.get_text()]
    assert 'hồ sơ TH.01' in ' '.join(row.get_text().split())               # in words, not "filed"


# -- the backups page ---------------------------------------------------------------------------

def test_the_backups_page_names_kinds_and_the_scheduler_in_words_and_dates_as_people_write_them(tmp_path):
    """A scheduled run (actor ``system``) and one an administrator starts: each run's kind in
    words (Đầy đủ, Gia tăng, ...), the scheduler as "Hệ thống", every time as dd/mm/yyyy HH:mm
    (its ISO form kept in ``<time datetime>``); in English too."""
    from archive.archival import backup

    from .test_backups import _app, add_file, journaled
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
        # sizes for people, the reader's decimal sign; the exact bytes kept in <data value>
        sizes = [int(row.select('td')[4].data['value']) for row in runs]
        assert sizes == [r['bytes'] for r in journaled(app)] and all(sizes)
        assert [c[4] for c in cells] == [size_text(n, 'en') for n in sizes]
        assert [row.select('td')[4].get_text(strip=True) for row in runs] == [size_text(n, 'vi') for n in sizes]
        # the result in words (it said "OK"), the run's seconds with the decimal comma, the age in words
        shown = [[td.get_text(' ', strip=True) for td in row.select('td')] for row in runs]
        assert [c[2] for c in shown] == ['Thành công'] * 2 and [c[2] for c in cells] == ['Succeeded'] * 2
        assert all(re.fullmatch(r'\d+(,\d{1,2})?', c[6]) for c in shown), [c[6] for c in shown]
        assert re.fullmatch(r'dưới 1 phút|\d+ phút', ' '.join(page.select_one('td[data-age]').get_text().split()).split(' (')[0])
    finally:
        from ..conftest import close_app
        close_app(app)


# -- a transfer batch after its export ----------------------------------------------------------

def _exported(tmp_path):
    """An app whose approved batch (one file, one letter with a PDF that is not PDF/A) was exported
    from its page; returns the app, the batch's page URL and the document's id."""
    from archive.archival import export_jobs

    from ..conftest import base_settings, file_uri, make_app
    from .test_records_files import approved_batch_with_a_pdf
    app = make_app(base_settings(tmp_path, file_uri(tmp_path), **{'archive.transfer_dir': str(tmp_path / 'nop-luu')}))
    batch, doc = approved_batch_with_a_pdf(app)
    archivist = client(app, 'luutru')
    url = f'/bodies/{HOST_CODE}/records/batch/{batch}'
    archivist.post(f'{url}/export', {'csrf_token': archivist.csrf}, status=303)
    assert export_jobs.run_pending(app.registry) == 1
    return app, url, doc


def test_an_exported_batch_says_what_was_made_in_words_and_offers_the_package(tmp_path):
    import io
    import zipfile

    from ..conftest import close_app
    app, url, _doc = _exported(tmp_path)
    try:
        archivist = client(app, 'luutru')
        page = archivist.get(url)
        cell = page.html.select_one('td.export-outcome')
        text = ' '.join(cell.get_text().split())
        assert 'Đã tạo gói nộp lưu: 1 văn bản, 1 tệp gốc' in text
        conn, root = open_root(app)
        made = root['bodies'][HOST_CODE].records.batches[url.rsplit('/', 1)[1]].exported['report']['bytes']
        conn.close()
        assert f'1 tệp gốc, {size_text(made, "vi")}.' in text and 'MB' not in text.replace(size_text(made, 'vi'), '')
        assert cell.select_one('[data-outcome="made"] data')['value'] == str(made)
        assert cell.select_one('[data-outcome="validated"]') is not None
        [problem] = [li.get_text(' ', strip=True) for li in cell.select('ul.export-problems li')]
        assert problem.startswith('Văn bản 5-CV/BTCTU, tệp ') and 'không phải PDF/A' in problem
        assert str(tmp_path) not in page.text                                  # no path on the server
        for raw in ("'code'", 'not_pdfa', 'package_id', 'problem_counts', 'mets_sha256'):
            assert raw not in page.html.select_one('main').get_text(), raw
        times = page.html.select('main time')
        assert times and all(DATE_TIME.match(t.get_text()) for t in times)
        assert not ISO.search(page.html.select_one('main').get_text())
        link = cell.select_one('a[data-download="package"]')
        package = archivist.get(link['href'])
        assert package.content_type == 'application/zip' and package.headers['Content-Disposition'].startswith(
            'attachment;')
        assert zipfile.ZipFile(io.BytesIO(package.body)).testzip() is None
        conn, root = open_root(app)
        batch = root['bodies'][HOST_CODE].records.batches[url.rsplit('/', 1)[1]]
        [taken] = [e for e in audit.entries(root, batch.chain_id) if e['action'] == 'batch_package_taken']
        assert taken['actor'] == 'luutru' and taken['details']['package'] == batch.package_id
        conn.close()
        english = archivist.get(url, params={'_LOCALE_': 'en'}).html.select_one('td.export-outcome')
        assert f'Transfer package made: 1 document, 1 original file, {size_text(made, "en")}.' in ' '.join(
            english.get_text().split())      # one of each: the singular (i18n.plural)
        [problem] = [li.get_text(' ', strip=True) for li in english.select('ul.export-problems li')]
        assert problem.startswith('Document 5-CV/BTCTU, file ') and 'not PDF/A' in problem
        leader = client(app, 'lanhdao')                      # approves batches, takes no package away
        assert leader.get(url).html.select_one('a[data-download]') is None
        leader.get(link['href'], status=403)
        for login in ('vanthu.btc', 'vanthu'):               # another body's clerk; a clerk of this body
            res = client(app, login).get(link['href'], expect_errors=True)
            assert res.status_int in (403, 404) and res.content_type != 'application/zip', login
        client(app).get(link['href'], status=(302, 303, 401, 403))     # nobody logged in
    finally:
        close_app(app)


def test_an_export_report_kept_as_text_is_read_back_by_the_evolve_step(tmp_path):
    """Batches exported before kept the report's lists as the text of a Python list (the page
    showed ``[{'code': 'not_pdfa', ...}]``): evolve step 0022 reads them back as values."""
    from archive.evolve import evolve

    from ..conftest import close_app, open_root
    app, url, _doc = _exported(tmp_path)
    try:
        conn, root = open_root(app)
        batch = root['bodies'][HOST_CODE].records.batches[url.rsplit('/', 1)[1]]
        report = batch.exported['report']
        assert isinstance(report['problems'], list) and report['problems'][0]['code'] == 'not_pdfa'
        batch.exported = dict(batch.exported, report={k: v if isinstance(v, (int, float, bool, type(None)))
                                                      else str(v) for k, v in report.items()})    # as it was kept
        root.evolved.remove('0022-export-reports-as-values')
        conn.transaction_manager.commit()
        assert evolve(root) == ['0022-export-reports-as-values']
        conn.transaction_manager.commit()
        assert batch.exported['report'] == report
        conn.close()
        page = client(app, 'luutru').get(url).html
        assert 'không phải PDF/A' in page.select_one('ul.export-problems li').get_text()
    finally:
        close_app(app)


# -- dates as people write them ------------------------------------------------------------------

DATE = re.compile(r'^\d{2}/\d{2}/\d{4}( \d{2}:\d{2})?$')


def shown_times(page):
    """The times a page shows: each in ``<time>``, as people write it, its ISO form kept for machines."""
    times = page.html.select('main time')
    assert times and all(DATE.match(t.get_text()) and t['datetime'][:4].isdigit() for t in times), \
        [t.get_text() for t in times if not DATE.match(t.get_text())]
    return times


def test_the_signing_times_on_a_document_page_are_written_as_people_write_them(app, clerk):
    """The demo's signed 245-HD/BTCTU: the signature's time, the check's, the history's."""
    body = clerk.get(f'/bodies/{HOST_CODE}/')
    link = next(a['href'] for a in body.html.select('a[href*="/documents/"]') if '245-HD/BTCTU' in a.get_text())
    page = clerk.get(link)
    signers = page.html.select('ul.signers li')
    assert signers and all(li.select_one('time') is not None for li in signers)
    shown_times(page)
    for cell in page.html.select('ul.signers, table.history, table.list'):
        assert not ISO.search(cell.get_text()), cell.get_text()


def test_the_file_and_appraisal_pages_write_dates_as_people_write_them(app, clerk, archivist):
    from .test_records_files import back_date, closed_file
    name, _doc = closed_file(clerk, archivist, retention=10)
    back_date(app, name, 10)
    records = f'/bodies/{HOST_CODE}/records'
    page = archivist.get(f'{records}/file/{name}')
    times = shown_times(page)
    assert len(times) >= 3                              # opened, closed, retention ends
    assert page.html.select_one('[data-due]')['data-due'][:4].isdigit()    # ISO kept for machines
    appraisal = archivist.get(f'{records}/appraisal')
    assert len(shown_times(appraisal)) >= 2             # the horizon and the file's due date
    assert not re.search(r'\d{4}-\d{2}-\d{2}', appraisal.html.select_one('main').get_text())


# -- a refusal on the records pages ---------------------------------------------------------------

def test_a_refusal_on_the_records_pages_is_headed_in_words(app, clerk, archivist, leader):
    """It was headed by a bare "409" or "403"; now as every error page: the status in words, a
    403 saying the user is not allowed, then what refused it, and the way back."""
    from .test_records_files import BODY, closed_file, csrf
    name, _doc = closed_file(clerk, archivist)
    doc = new_document(clerk, number_symbol='9-CV/BTCTU')
    page = clerk.post(f'/bodies/{HOST_CODE}/documents/{doc}/file-into', {'csrf_token': clerk.csrf, 'file': name},
                      status=409)
    assert ' '.join(page.html.h1.get_text().split()) == 'Không thực hiện được (409)'
    assert page.html.title.get_text().startswith('Không thực hiện được ·')
    assert page.html.select_one('ul.errors li')['data-code'] == 'file_closed'
    english = clerk.post(f'/bodies/{HOST_CODE}/documents/{doc}/file-into?_LOCALE_=en',
                         {'csrf_token': clerk.csrf, 'file': name}, status=409)
    assert not re.search(r'^\s*\d+\s*$', english.html.h1.get_text()) and '(409)' in english.html.h1.get_text()
    batch = archivist.post_json(f'{BODY}/batches', {'kind': 'transfer', 'files': [name]}, headers=csrf(archivist),
                                status=201).json['name']
    archivist.post_json(f'{BODY}/batches/{batch}/submit', {}, headers=csrf(archivist))
    refused = archivist.post(f'/bodies/{HOST_CODE}/records/batch/{batch}/approve', {'csrf_token': archivist.csrf},
                             status=403)                                # the leader approves
    assert ' '.join(refused.html.h1.get_text().split()) == 'Không có quyền truy cập (403)'
    assert 'Bạn không được phép xem trang này hoặc làm việc này.' in refused.html.select_one('main').get_text()


# -- the records page as a new user finds it --------------------------------------------------------

def test_the_records_page_names_units_says_when_there_is_no_batch_and_links_only_where_one_may_go(
        app, clerk, leader, archivist):
    """The file plan and a file's page showed a unit's code (TH) where the office names it; the batches' heading
    stood over nothing; a batch's file count was a bare number; and the leader, who approves
    batches but does not make them, was offered "Lập lô nộp lưu / hủy", a page refused to them."""
    from .test_records_files import approved_batch
    records = f'/bodies/{HOST_CODE}/records/'
    plan_entry(archivist)                                                   # unit TH
    page = archivist.get(records).html
    assert page.select_one('tr[data-entry="TH.01"] td[data-unit="TH"]').get_text(strip=True) == 'Phòng Tổng hợp'
    empty = page.select_one('[data-empty="batches"]')
    assert 'Chưa có lô nộp lưu hay hủy nào.' in empty.get_text() and empty.a['href'].endswith('/records/select')
    for shown in (leader.get(records).html,):
        assert not [a for a in shown.select('main a') if a['href'].endswith('/records/select')]
        assert 'Chưa có lô nộp lưu hay hủy nào.' in shown.select_one('[data-empty="batches"]').get_text()
    leader.get(records + 'select', status=403)                               # where the link led them
    opened = open_file(archivist)                                           # its page names the unit too
    shown = archivist.get(f"{records}file/{opened['name']}").html.select_one('td[data-unit="TH"]')
    assert shown.get_text(strip=True) == 'Phòng Tổng hợp'
    batch, _name, _doc = approved_batch(clerk, archivist, leader)
    item = archivist.get(records).html.select_one(f'li[data-batch="{batch}"]')
    assert ' '.join(item.get_text().split()).endswith('· 1 hồ sơ')
    assert archivist.get(records).html.select_one('[data-empty="batches"]') is None
    # the archivist's desk names a batch as the records page does (it showed its package id and a bare count)
    from .test_records_files import mark_exported
    mark_exported(app, batch)
    waiting = archivist.get('/desk').html.select_one(f'ul[data-list="awaiting_confirmation"] li[data-batch="{batch}"]')
    assert ' '.join(waiting.get_text().split()) == f'Nộp lưu {batch} · 1 hồ sơ'


def test_a_leaders_desk_shows_the_batches_to_approve_not_the_archivists_queues(app, clerk, leader, archivist):
    """The leader's desk listed the archivist's three queues, always empty for them ("Hồ sơ đến hạn
    thẩm định (0)", ...); it shows the batches waiting for their approval, when there are any."""
    from .test_records_files import BODY, closed_file, csrf
    def headings(c):
        section = c.get('/desk').html.select_one('section.archival-desk')
        return [' '.join(h.get_text().split()) for h in section.select('h2')] if section else []
    assert headings(leader) == []
    assert headings(archivist) == ['Hồ sơ đến hạn thẩm định (0)', 'Lô nộp lưu / hủy đang làm (0)',
                                   'Chờ Lưu trữ xác nhận đã nhận (0)']
    name, _doc = closed_file(clerk, archivist)
    batch = archivist.post_json(f'{BODY}/batches', {'kind': 'transfer', 'files': [name]}, headers=csrf(archivist),
                                status=201).json['name']
    archivist.post_json(f'{BODY}/batches/{batch}/submit', {}, headers=csrf(archivist))
    assert headings(leader) == ['Lô chờ duyệt (1)']
    assert set(leader.get('/api/v1/desk').json['archival']) == {'due', 'in_progress', 'awaiting_confirmation',
                                                                'to_approve'}          # the API as before


def test_a_file_whose_documents_give_no_page_count_says_so_not_zero(app, clerk, archivist):
    """The file's number of pages goes into the handover inventory: a file whose documents were
    registered without a page count shows a dash, as each document's row does, never "0"."""
    plan_entry(archivist)
    f = open_file(clerk)
    file_doc(clerk, new_document(clerk), f['name'])
    records = f'/bodies/{HOST_CODE}/records'
    page = archivist.get(f'{records}/file/{f["name"]}')
    assert page.html.select_one('td[data-pages]').get_text() == '—'
    row = archivist.get(f'{records}/').html.select_one(f'tr[data-file="{f["name"]}"]')
    assert '0' not in [td.get_text() for td in row.select('td')][5]


def test_a_page_sum_that_leaves_documents_out_says_how_many(app, clerk, archivist):
    """Pages summed over the documents that give a count: the ones without are said beside the sum,
    not hidden in it."""
    plan_entry(archivist)
    f = open_file(clerk)
    file_doc(clerk, new_document(clerk, pages=5, number_symbol='21-CV/BTCTU'), f['name'])
    file_doc(clerk, new_document(clerk, number_symbol='22-CV/BTCTU'), f['name'])
    page = archivist.get(f'/bodies/{HOST_CODE}/records/file/{f["name"]}')
    cell = page.html.select_one('td[data-pages]')
    assert cell.get_text() == '5 (còn 1 văn bản chưa ghi số trang)' and cell.small['data-no-pages'] == '1'
    english = archivist.get(f'/bodies/{HOST_CODE}/records/file/{f["name"]}?_LOCALE_=en').html
    assert english.select_one('td[data-pages]').get_text() == '5 (1 more document has no page count)'

"""The PDF shown in the browser on the document page (#17 item 3): the main file at once, the other
PDFs on "Xem", in the browser's own viewer inside an ``<iframe>``, served inline by the file route;
only that answer may be framed, and only by the site's own pages. A Mật file is shown only to its
readers, never at once, and each read is journaled; an ordinary file shown in the page is not a
download and is not journaled (#14: every visit of the page added a "Tải tệp" row)."""
import json
import re

import pytest

from ..conftest import HOST_CODE, client, open_root
from ..helpers import incoming, pdf

API = f'/api/v1/bodies/{HOST_CODE}/documents'
PNG = b'\x89PNG\r\n\x1a\n' + b'\x00' * 32


@pytest.fixture
def people(file_app):
    return {login: client(file_app, login) for login in ('vanthu', 'lanhdao', 'chuyenvien', 'vanthu.btc')}


def new_doc(clerk, **over):
    files = [('main_file', 'chinh.pdf', pdf('Van ban chinh')), ('attachments', 'phu-luc.pdf', pdf('Phu luc')),
             ('attachments', 'anh.png', PNG)]
    return clerk.post(API, {'metadata': json.dumps(incoming(**over), ensure_ascii=False)}, upload_files=files,
                      headers={'X-CSRF-Token': clerk.csrf}, status=201).json


def page_of(c, doc, status=200):
    return c.get(f"/bodies/{HOST_CODE}/documents/{doc['id']}/", status=status)


def policy(res):
    return dict(d.strip().split(' ', 1) for d in res.headers['Content-Security-Policy'].split(';'))


def journal(app, doc, action):
    from archive import audit
    conn, root = open_root(app)
    try:
        chain = root['bodies'][HOST_CODE].documents[doc['id']].chain_id
        return [e for e in audit.entries(root, chain) if e['action'] == action]
    finally:
        conn.close()


def test_the_main_pdf_is_shown_in_the_page_and_the_others_on_click(file_app, people):
    clerk = people['vanthu']
    doc = new_doc(clerk)
    page = page_of(clerk, doc)
    frame = page.html.select_one('iframe#pdf-view')
    # not loaded with the page: archive.js loads data-src (at once on a wide screen, on the button on
    # a phone); without scripts, a link opens it
    assert not frame.get('src') and frame['name'] == 'pdf-view'
    assert frame['data-src'].endswith(f"/documents/{doc['id']}/1/inline")
    asked = page.html.select_one('[data-pdf-load]')
    assert asked.has_attr('hidden') and asked.button.get_text(strip=True) == 'Hiện tệp PDF'
    assert 'chinh.pdf' in asked.get_text() and page.html.select_one('noscript a')['href'] == frame['data-src']
    frame['src'] = frame['data-src']
    links = {a['href'].rsplit('/', 2)[-2]: a['target'] for a in page.html.select('a.view-file')}
    assert links == {'1': 'pdf-view', '2': 'pdf-view'}          # the two PDFs, not the picture
    before = len(journal(file_app, doc, 'file_downloaded'))
    shown = clerk.get(frame['src'])
    assert shown.content_type == 'application/pdf' and shown.body == pdf('Van ban chinh')
    assert re.match(r'inline; filename="chinh\.pdf"', shown.headers['Content-Disposition'])
    assert policy(shown) == {'default-src': "'none'", 'object-src': "'self'", 'base-uri': "'none'",
                             'form-action': "'none'", 'frame-ancestors': "'self'"}
    assert shown.headers['X-Frame-Options'] == 'SAMEORIGIN' and shown.headers['Cache-Control'] == 'no-store'
    assert len(journal(file_app, doc, 'file_downloaded')) == before    # shown, not downloaded: not journaled
    attachment = clerk.get(f"/bodies/{HOST_CODE}/documents/{doc['id']}/2/inline")
    assert attachment.body == pdf('Phu luc')
    clerk.get(f"/bodies/{HOST_CODE}/documents/{doc['id']}/3/inline", status=404)     # not a PDF: not inline
    download = clerk.get(f"/bodies/{HOST_CODE}/documents/{doc['id']}/1")
    assert download.headers['Content-Disposition'].startswith('attachment;')
    assert policy(download)['frame-ancestors'] == "'none'" and download.headers['X-Frame-Options'] == 'DENY'
    assert policy(page)['frame-ancestors'] == "'none'"           # the page itself is never framed


def test_a_secret_pdf_is_shown_only_to_its_readers_on_click_and_each_read_journaled(file_app, people):
    doc = new_doc(people['vanthu'], classification='mat', named_people=['lanhdao'])
    inline = f"/bodies/{HOST_CODE}/documents/{doc['id']}/1/inline"
    page = page_of(people['lanhdao'], doc)
    frame = page.html.select_one('iframe#pdf-view')
    assert frame is not None and not frame.get('src') and not frame.get('data-src')     # not read until asked
    assert page.html.select_one('[data-pdf-load]') is None
    assert inline in [a['href'].replace('http://localhost', '') for a in page.html.select('a.view-file')]
    before = journal(file_app, doc, 'secret_file_read')         # (the clerk's, when the file was checked)
    assert not [e for e in before if e['actor'] == 'lanhdao']      # the page alone read nothing
    shown = people['lanhdao'].get(inline)
    assert shown.body == pdf('Van ban chinh') and shown.headers['Content-Disposition'].startswith('inline;')
    [read] = journal(file_app, doc, 'secret_file_read')[len(before):]
    assert (read['actor'], read['details']['purpose']) == ('lanhdao', 'view')
    rows = page_of(people['lanhdao'], doc).html.select('table.history tbody tr')
    [row] = [r for r in rows if r.select_one('[data-purpose="view"]') is not None]
    assert 'Đọc tệp văn bản Mật' in row.get_text() and 'xem trong trang' in row.get_text()    # why, in words
    people['chuyenvien'].get(inline, status=403)              # not a reader
    people['vanthu.btc'].get(inline, status=403)              # another body
    assert len(journal(file_app, doc, 'secret_file_read')) == len(before) + 1


def test_viewing_the_page_again_and_again_adds_no_download_to_the_history(file_app, people):
    """A clerk opens the document page three times (its viewer shows the main PDF each time) and
    downloads the file once: the history has one "Tải tệp" row, the download's."""
    clerk = people['vanthu']
    doc = new_doc(clerk)
    for _n in range(3):
        page = page_of(clerk, doc)
        clerk.get(page.html.select_one('iframe#pdf-view')['data-src'])
    assert journal(file_app, doc, 'file_downloaded') == []
    clerk.get(f"/bodies/{HOST_CODE}/documents/{doc['id']}/1")
    [download] = journal(file_app, doc, 'file_downloaded')
    assert (download['actor'], download['details']['filename']) == ('vanthu', 'chinh.pdf')
    rows = [r for r in page_of(clerk, doc).html.select('table.history tbody tr') if 'Tải tệp' in r.get_text()]
    assert len(rows) == 1

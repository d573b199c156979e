"""What an outside probe found answering 500 or leaking through headers (issue 11, items 15-16):
unreadable multipart bodies, dot segments, control characters in the comment of an action,
Vietnamese download names, a body's address, and the headers of every answer, errors included."""
import json
import os
import re
from urllib.parse import unquote

import pytest

from archive import clock

from ..conftest import HOST_CODE, client, open_root
from ..helpers import incoming, pdf

API = f'/api/v1/bodies/{HOST_CODE}/documents'


@pytest.fixture
def people(file_app):
    return {login: client(file_app, login) for login in ('vanthu', 'quantri', 'vanthu.btc')}


def _filename(header):
    """The name a client reads from a Content-Disposition (``filename*``, RFC 6266 / 5987)."""
    return unquote(re.search(r"filename\*=UTF-8''([^;\s]+)", header).group(1), errors='strict')


def _new_doc(clerk, **over):
    return clerk.post_json(API, incoming(**over), headers={'X-CSRF-Token': clerk.csrf}, status=201).json


# --- bad input that answered 500 ---------------------------------------------------------------

@pytest.mark.parametrize('who,url', [
    (None, '/login'),
    ('vanthu', API),
    ('quantri', '/api/v1/bodies'),
    ('vanthu', f'/bodies/{HOST_CODE}/documents/new?direction=incoming'),
    (None, '/healthz'),
], ids=['login page', 'API documents', 'API bodies', 'document form', 'health (JSON, no app root)'])
def test_multipart_without_boundary_is_a_bad_request(file_app, people, who, url):
    c = people[who] if who else client(file_app)
    for content_type in ('multipart/form-data', 'multipart/form-data; charset=utf-8'):
        res = c.post(url, b'{"abstract": "x"}', headers={'Content-Type': content_type}, status=400)
        if url.startswith(('/api/', '/healthz')):
            assert res.json['error'] == 'invalid_input'
            assert [e['code'] for e in res.json['errors']] == ['multipart_invalid']
        else:
            assert res.html.select_one('[data-code]').attrs['data-code'] == 'invalid_input'


@pytest.mark.parametrize('path', [
    '/api/v1/bodies/..',
    '/api/v1/bodies/%2e%2e',
    '/api/v1/bodies/../documents',
    '/api/v1/bodies/./units',
    f'/api/v1/bodies/{HOST_CODE}/documents/..',
    f'/api/v1/bodies/{HOST_CODE}/documents/../history',
    f'/api/v1/bodies/{HOST_CODE}/documents/./files',
])
def test_dot_segments_name_nothing(people, path):
    res = people['vanthu'].get(path, status=404)
    assert res.json['error'] == 'not_found'


def test_a_query_that_is_not_utf8_is_a_bad_request(people):
    clerk = people['vanthu']
    for url in (f'{API}?start=%ff', f'{API}?limit=%c3%28&_LOCALE_=en', f'/bodies/{HOST_CODE}/registers?year=%ff'):
        res = clerk.get(url, status=400)
        if url.startswith('/api/'):
            assert [e['code'] for e in res.json['errors']] == ['encoding_invalid']


def test_a_path_that_is_not_utf8_is_a_bad_request(file_app):
    from webob import Request
    for path in ('/bodies/\xff', f'{API}/\xff', '/exchange/v1/\xff'):   # WSGI: bytes as latin-1
        res = Request.blank('/', environ={'PATH_INFO': path, 'REMOTE_ADDR': '127.0.0.1'}).get_response(file_app)
        assert res.status_int in (400, 404), (path, res.status)


def test_control_characters_in_an_action_comment_are_refused(file_app, people):
    clerk = people['vanthu']
    doc = _new_doc(clerk)
    url = f"{API}/{doc['id']}/transitions/register"
    for comment, code in (('Đã nhận\x00', 'control_character'), ('\x1b[31mđỏ', 'control_character'),
                          ('xem \u202etrái', 'bidi_control')):
        res = clerk.post_json(url, {'comment': comment}, headers={'X-CSRF-Token': clerk.csrf}, status=400)
        assert [(e['field'], e['code']) for e in res.json['errors']] == [('comment', code)]
    assert clerk.get(f"{API}/{doc['id']}").json['status'] == doc['status']       # nothing happened
    ok = clerk.post_json(url, {'comment': 'Đã nhận,\nvào sổ'}, headers={'X-CSRF-Token': clerk.csrf})
    assert ok.json['status'] != doc['status']                                     # several lines are fine


def test_direction_marks_are_dropped(people):
    doc = _new_doc(people['vanthu'], sender='\u200fBan Tổ chức\u200e Thành ủy')
    assert doc['sender'] == 'Ban Tổ chức Thành ủy'


@pytest.mark.parametrize('route,address,code', [
    ('email', 'vanthu@phulinh.example\r\nBcc: ca-nha@example.org', 'control_character'),
    ('email', 'khong-phai-thu', 'address_not_email'),
    ('mailbox', '', 'address_required'),
    ('instance', 'ftp://vanban.example/', 'address_not_url'),
    ('instance', 'https://vanban.example/\u202e', 'bidi_control'),
])
def test_a_body_address_is_checked_on_creation(file_app, people, route, address, code):
    admin = people['quantri']
    values = {'code': '000.03.01.H01', 'name': 'Xã ủy Phù Linh', 'symbol': 'XUPL', 'route': route,
              'address': address}
    api = admin.post_json('/api/v1/bodies', values, headers={'X-CSRF-Token': admin.csrf}, status=400)
    assert ('address', code) in {(e['field'], e['code']) for e in api.json['errors']}
    form = admin.get('/bodies/new').forms['admin']
    for k, v in values.items():
        form[k].force_value(v)
    page = form.submit('submit', status=400)
    assert ('address', code) in {(li.attrs['data-field'], li.attrs['data-code'])
                                 for li in page.html.select('ul.errors li')}
    conn, root = open_root(file_app)
    try:
        assert '000.03.01.H01' not in root['bodies']
    finally:
        conn.close()


# --- downloads -----------------------------------------------------------------------------------

def test_secret_register_export_has_a_vietnamese_file_name(people):
    clerk = people['vanthu']
    year = clock.now().year
    for url, fmt in ((f'/api/v1/bodies/{HOST_CODE}/registers/incoming?format=csv&secret=1', 'csv'),
                     (f'/bodies/{HOST_CODE}/registers?kind=incoming&format=xlsx&secret=1', 'xlsx')):
        header = clerk.get(url).headers['Content-Disposition']
        header.encode('latin-1')                                   # what goes on the wire
        assert _filename(header) == f'incoming-{year} — văn bản mật.{fmt}'
        fallback = re.search(r'filename="([^"]*)"', header).group(1)
        assert fallback == f'incoming-{year} _ van ban mat.{fmt}'


def test_a_file_name_with_vietnamese_characters_downloads(people):
    clerk = people['vanthu']
    name = 'Tờ trình số 1 — Đảng ủy (bản chính).pdf'
    doc = clerk.post(API, {'metadata': json.dumps(incoming(), ensure_ascii=False)},
                     upload_files=[('main_file', name, pdf())], headers={'X-CSRF-Token': clerk.csrf},
                     status=201).json
    res = clerk.get(f"{API}/{doc['id']}/files/1")
    header = res.headers['Content-Disposition']
    header.encode('latin-1')
    assert _filename(header) == name
    assert re.search(r'filename="([^"]*)"', header).group(1) == 'To trinh so 1 _ Dang uy (ban chinh).pdf'


# --- headers on every answer ------------------------------------------------------------------------

def _assert_secured(res, stored=False):
    csp = res.headers['Content-Security-Policy']
    directives = dict(d.strip().split(' ', 1) for d in csp.split(';'))
    assert directives['frame-ancestors'] == "'none'"
    assert directives['script-src'] == "'self'" and 'unsafe-inline' not in csp
    assert res.headers['X-Content-Type-Options'] == 'nosniff'
    assert res.headers['Referrer-Policy'] == 'same-origin'
    if not stored:
        assert res.headers['Cache-Control'] == 'no-store', res.request.url


def test_every_answer_carries_the_security_headers(file_app, people):
    clerk, other, anon = people['vanthu'], people['vanthu.btc'], client(file_app)
    doc = _new_doc(clerk)
    clerk.post(f"{API}/{doc['id']}/files", upload_files=[('main_file', 'a.pdf', pdf())],
               headers={'X-CSRF-Token': clerk.csrf}, status=201)
    answers = [
        clerk.get('/'), clerk.get(f"/bodies/{HOST_CODE}/documents/{doc['id']}"), anon.get('/login'),
        clerk.get('/api/v1/me'), clerk.get(f"{API}/{doc['id']}/files/1"),                      # download
        clerk.get(f'/api/v1/bodies/{HOST_CODE}/registers/outgoing?format=pdf'),                 # export
        clerk.post_json(API, {}, headers={'X-CSRF-Token': clerk.csrf}, status=400),           # 400
        clerk.post(f'/bodies/{HOST_CODE}/documents/new', {'x': '1'}, status=400),               # bad CSRF
        anon.get('/api/v1/me', status=401),
        anon.get('/desk', status=303),
        other.get(f"{API}/{doc['id']}", status=403),
        other.get(f"/bodies/{HOST_CODE}/documents/{doc['id']}", status=403),
        clerk.get('/api/v1/bodies/000.99.99.X99', status=404), clerk.get('/no-such-page', status=404),
        clerk.post_json(f"{API}/{doc['id']}/transitions/archive", {}, headers={'X-CSRF-Token': clerk.csrf},
                        status=409),
        clerk.post('/login', b'x', headers={'Content-Type': 'multipart/form-data'}, status=400),
    ]
    for res in answers:
        _assert_secured(res)
    static = anon.get('/static/archive.css')
    _assert_secured(static, stored=True)
    assert static.headers['Cache-Control'] != 'no-store'                 # static files may be kept


def test_an_unexpected_error_is_a_500_with_the_headers_and_nothing_of_it_shown(file_app, people):
    """A file whose blob went missing on disk (a storage fault): nothing answers that but the
    catch-all view; before it, the exception reached the server's own bare 500."""
    clerk = people['vanthu']
    doc = _new_doc(clerk)
    clerk.post(f"{API}/{doc['id']}/files", upload_files=[('main_file', 'a.pdf', pdf())],
               headers={'X-CSRF-Token': clerk.csrf}, status=201)
    conn, root = open_root(file_app)
    try:
        os.remove(root['bodies'][HOST_CODE].documents[doc['id']].files['1'].blob.committed())
    finally:
        conn.close()
    res = clerk.get(f"{API}/{doc['id']}/files/1", status=500)
    assert res.json['error'] == 'internal_error' and 'Traceback' not in res.text
    _assert_secured(res)
    page = clerk.get(f"/bodies/{HOST_CODE}/documents/{doc['id']}/1", status=500)
    assert page.html.select_one('[data-code]').attrs['data-code'] == 'internal_error'
    _assert_secured(page)


def test_pages_have_no_inline_script_style_or_handler(file_app, people):
    """What the Content-Security-Policy refuses must not be what the pages need."""
    clerk, admin = people['vanthu'], people['quantri']
    doc = _new_doc(clerk)
    pages = [clerk.get(u) for u in ('/desk', f'/bodies/{HOST_CODE}', f'/bodies/{HOST_CODE}/registers',
                                    f'/bodies/{HOST_CODE}/documents/new?direction=incoming',
                                    f'/bodies/{HOST_CODE}/documents/new?direction=outgoing',
                                    f"/bodies/{HOST_CODE}/documents/{doc['id']}")]
    pages += [admin.get(u) for u in ('/bodies/', '/bodies/new', '/users/', '/users/new', '/admin/exchange')]
    pages.append(client(file_app).get('/login'))
    for page in pages:
        assert page.content_type == 'text/html', (page.request.url, page.text[:200])
        for script in page.html.find_all('script'):
            assert script.get('src'), page.request.url
        for tag in page.html.find_all(True):
            assert 'style' not in tag.attrs, (page.request.url, tag.name)
            assert not [a for a in tag.attrs if a.lower().startswith('on')], (page.request.url, tag.name)
        assert not page.html.find_all('style'), page.request.url

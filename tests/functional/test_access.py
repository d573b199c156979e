"""Who sees what: roles, units, Mật documents by name, other bodies never; login, CSRF, tokens."""
import re

import pytest

from archive import audit

from ..conftest import HOST_CODE, client, open_root
from ..helpers import DEMO_DOCS, incoming

API = f'/api/v1/bodies/{HOST_CODE}/documents'


def create(c, **over):
    return c.post_json(API, incoming(**over), headers={'X-CSRF-Token': c.csrf}, status=201).json


def test_roles_of_the_body_see_its_documents(app, clerk, leader, processor):
    doc = create(clerk, abstract='Công văn chung')
    url = f"{API}/{doc['id']}"
    leader.get(url, status=200)
    client(app, 'luutru').get(url, status=200)
    # A processor sees only what their unit holds (or what is assigned to them).
    processor.get(url, status=403)
    clerk.patch_json(url, {'holder_unit': 'TH'}, headers={'X-CSRF-Token': clerk.csrf})
    processor.get(url, status=200)
    # Leaders read but do not edit a document the clerk registered.
    leader.patch_json(url, {'abstract': 'x'}, headers={'X-CSRF-Token': leader.csrf}, status=403)


def test_administrator_manages_bodies_but_sees_no_documents(app, clerk, admin):
    doc = create(clerk)
    admin.get(f"{API}/{doc['id']}", status=403)
    admin.get(API, status=403)
    assert admin.get('/api/v1/users').json['items']


def test_list_is_trimmed_to_what_the_user_may_see(app, clerk, processor):
    create(clerk, abstract='Của phòng Tổng hợp', holder_unit='TH')
    create(clerk, abstract='Không giao cho phòng', number_symbol='918-TTr/BTCTU')
    items = processor.get(API).json['items']
    seen = [d['abstract'] for d in items]
    assert 'Của phòng Tổng hợp' in seen and 'Không giao cho phòng' not in seen
    assert {d['holder_unit'] for d in items} == {'TH'}
    page = processor.get(f'/bodies/{HOST_CODE}/')
    assert 'Của phòng Tổng hợp' in page.text and 'Không giao cho phòng' not in page.text


def test_secret_document_only_for_the_people_named(app, clerk, leader, processor):
    doc = create(clerk, classification='mat', abstract='Văn bản mật', named_people=['lanhdao'],
                 holder_unit='TH')
    url = f"{API}/{doc['id']}"
    leader.get(url, status=200)
    clerk.get(url, status=200)                 # the clerk who registered it
    processor.get(url, status=403)             # unit holds it, but they are not named
    client(app, 'luutru').get(url, status=403)  # the archivist's role is not enough
    assert 'Văn bản mật' not in client(app, 'luutru').get(f'/bodies/{HOST_CODE}/').text


def test_named_people_must_belong_to_the_body(app, clerk):
    res = clerk.post_json(API, incoming(classification='mat', named_people=['vanthu.btc']),
                          headers={'X-CSRF-Token': clerk.csrf}, status=400)
    assert res.json['errors'] == [{'field': 'named_people', 'code': 'person_unknown',
                                   'message': '"vanthu.btc" không phải người của cơ quan này'}]


@pytest.mark.storage
def test_revisions_stay_readable(app, clerk):
    doc = create(clerk, abstract='Bản đầu')
    url = f"{API}/{doc['id']}"
    changed = clerk.patch_json(url, {'abstract': 'Bản sửa', 'urgency': 'khan'},
                               headers={'X-CSRF-Token': clerk.csrf}).json
    assert sorted(changed['changed']) == ['abstract', 'urgency'] and changed['revision'] == 2
    first = clerk.get(f'{url}/revisions/1').json
    second = clerk.get(f'{url}/revisions/2').json
    assert first['values']['abstract'] == 'Bản đầu' and second['values']['abstract'] == 'Bản sửa'
    assert second['changed'] == ['urgency', 'abstract'] or sorted(second['changed']) == ['abstract', 'urgency']
    page = clerk.get(f"/bodies/{HOST_CODE}/documents/{doc['id']}/revision?n=1")
    assert 'Bản đầu' in page.text
    history = clerk.get(f'{url}/history').json['items']
    assert [e['action'] for e in history] == ['created', 'changed']
    assert history[1]['details']['fields'] == second['changed']


@pytest.mark.storage
def test_file_download_is_served_and_journaled(app, clerk):
    from ..helpers import multipart, pdf
    content = pdf('Tai xuong')
    params, files = multipart(incoming(), ('văn bản.pdf', content))
    doc = clerk.post(API, params, upload_files=files, headers={'X-CSRF-Token': clerk.csrf}, status=201).json
    f = doc['files'][0]
    assert f['media_type'] == 'application/pdf' and f['size'] == len(content)
    import hashlib
    assert f['sha256'] == hashlib.sha256(content).hexdigest()
    res = clerk.get(f"{API}/{doc['id']}/files/{f['name']}")
    assert res.body == content and res.content_type == 'application/pdf'
    assert "filename*=UTF-8''v%C4%83n%20b%E1%BA%A3n.pdf" in res.headers['Content-Disposition']
    history = clerk.get(f"{API}/{doc['id']}/history").json['items']
    assert history[-1]['action'] == 'file_downloaded' and history[-1]['details']['sha256'] == f['sha256']


@pytest.mark.storage
def test_state_change_with_cookie_needs_csrf(app, clerk):
    res = clerk.post_json(API, incoming(), status=400)
    assert res.json['error'] == 'csrf_invalid'
    res = clerk.post_json(API, incoming(), headers={'X-CSRF-Token': 'forged'}, status=400)
    conn, root = open_root(app)
    try:
        assert len(root['bodies'][HOST_CODE].documents) == DEMO_DOCS   # the demo's, nothing more
    finally:
        conn.close()


def test_bearer_token_works_without_csrf_and_stops_when_revoked(app, anon):
    from archive.db import run_apart
    from archive.services import directory
    token, token_id = run_apart(app.registry, lambda root: directory.create_token(
        root, root['users']['vanthu'], 'test', 'test'))
    headers = {'Authorization': f'Bearer {token}'}
    assert anon.get('/api/v1/me', headers=headers).json['login'] == 'vanthu'
    anon.post_json(API, incoming(), headers=headers, status=201)
    run_apart(app.registry, lambda root: directory.revoke_token(root, root['users']['vanthu'], token_id, 'test'))
    anon.get('/api/v1/me', headers=headers, status=401)
    anon.get('/api/v1/me', headers={'Authorization': 'Bearer arch_guessed'}, status=401)
    conn, root = open_root(app)
    try:
        assert len(root.tokens) == 0
        assert token not in repr(list(root['users']['vanthu'].tokens.keys()))
    finally:
        conn.close()


@pytest.mark.storage
def test_failed_logins_are_limited_per_account(app):
    c = client(app)
    for _ in range(5):
        res = c.login('vanthu', 'wrong-password', status=401)
        assert 'không đúng' in res.text
    locked = c.login('vanthu', 'demo-mat-khau-2026', status=429)        # even the right password now
    assert 'quá nhiều lần' in locked.text
    client(app).login('lanhdao')                               # other accounts are not locked
    conn, root = open_root(app)
    try:
        failures = [e for e in audit.entries(root, 'user:vanthu') if e['action'] == 'login_failed']
        assert len(failures) == 5
    finally:
        conn.close()


def test_failed_logins_are_limited_per_address(app):
    c = client(app)
    for n in range(20):
        c.login(f'nobody{n}', 'wrong-password', status=401)
    c.login('lanhdao', 'demo-mat-khau-2026', status=429)                 # this address is locked out
    elsewhere = client(app)
    elsewhere.extra_environ['REMOTE_ADDR'] = '127.0.0.2'
    elsewhere.login('lanhdao')                                 # another address is not


def test_session_cookie_flags_and_logout(app):
    c = client(app)
    page = c.get('/login')
    form = page.forms[0]
    form['login'], form['password'] = 'vanthu', 'demo-mat-khau-2026'
    res = form.submit(status=303)
    cookie = res.headers['Set-Cookie']
    assert 'HttpOnly' in cookie and 'SameSite=Lax' in cookie
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get('/bodies/').text).group(1)
    c.post('/logout', {'csrf_token': token}, status=303)
    assert '/login' in c.get('/bodies/', status=303).location


@pytest.mark.parametrize('path', ['/bodies/', f'/bodies/{HOST_CODE}/', '/users/'])
def test_pages_need_login(anon, path):
    assert '/login' in anon.get(path, status=303).location


def test_administrator_adds_a_user_through_the_form(app, admin):
    page = admin.get('/users/new')
    form = page.forms['admin']
    assert form['password'].attrs['type'] == 'password'
    form['login'] = 'vanthu2'
    form['full_name'] = 'Trịnh Thị Văn Thư'
    form['body_code'] = HOST_CODE
    form['password'] = 'mat-khau-moi-2026'
    for box in form.fields['checkbox']:
        if box._value in ('clerk', 'archivist'):
            box.checked = True
    form.submit('submit', status=303)
    c = client(app, None)
    c.login('vanthu2', 'mat-khau-moi-2026')
    # a password an administrator gave is temporary: the user sets their own first (test_people.py)
    assert c.get('/api/v1/me', status=403).json['error'] == 'password_change_required'
    own = c.get('/password').forms['own-password']
    own['current_password'], own['password'] = 'mat-khau-moi-2026', 'cum-tu-rieng-cua-van-thu-hai'
    own['password_again'] = 'cum-tu-rieng-cua-van-thu-hai'
    own.submit(status=303)
    assert c.get('/api/v1/me').json['roles'] == ['clerk', 'archivist']
    nav = client(app, 'quantri').get('/bodies/')
    assert 'Sổ đăng ký' not in nav.text                               # no document links for admins


def test_intake_is_the_clerks_processors_draft_outgoing(app, processor):
    res = processor.post_json(API, incoming(), headers={'X-CSRF-Token': processor.csrf}, status=403)
    assert res.json['error'] == 'forbidden'
    processor.post_json(API, {'direction': 'outgoing', 'organ_id': HOST_CODE, 'doc_type': 'CV',
                              'abstract': 'Dự thảo công văn'}, headers={'X-CSRF-Token': processor.csrf}, status=201)
    assert 'Tiếp nhận văn bản đến' not in processor.get(f'/bodies/{HOST_CODE}/').text


def test_the_one_access_decision_agrees_with_every_acl(app, clerk):
    """``resources.access`` reduces each document's ACL to allowed/denied principals; for every user
    and document of the demo (Mật ones included, administrators too) it answers as the ACL walk."""
    from pyramid.authorization import ACLHelper
    from pyramid.threadlocal import manager

    from archive import security as S
    from archive.resources import access
    create(clerk, abstract='Một văn bản của phòng', holder_unit='TH')
    create(clerk, abstract='Văn bản mật', classification='mat', named_people=['chuyenvien'], number_symbol='918-TTr/BTCTU')
    conn, root = open_root(app)
    manager.push({'registry': app.registry, 'request': None})
    try:
        users = list(root['users'].values())
        docs = [d for body in root['bodies'].values() for d in body.documents.values()]
        assert any(d.classification == 'mat' for d in docs) and len(users) > 3
        seen = 0
        for doc in docs:
            for user in users:
                principals = S.principals_of(user)
                expected = bool(ACLHelper().permits(doc, principals, S.VIEW))
                assert access.may_see(principals, doc) is expected, (user.login, doc.__name__)
                seen += expected
        assert seen  # someone sees something, and not everyone sees everything
        assert seen < len(docs) * len(users)
    finally:
        manager.pop()
        conn.close()

"""Administrators manage accounts and units in the pages and the API (#17 item 3), within the bodies
they administer; role changes, unit changes, locking and password resets are security events
(#15 item 5); a body is made the office of a committee on an existing database (#15: office_of)."""
import csv
import datetime as dt
import io
import json
import re

import pytest
from pyramid.threadlocal import manager

from archive import audit, clock
from archive.seed import DEMO_RECEIVER
from archive.services import directory
from archive.services import documents as svc

from ..conftest import HOST_CODE, client, open_root
from ..helpers import incoming

BTC = DEMO_RECEIVER                       # Ban Tổ chức Thành ủy
TU = '000.00.00.H01'                      # Thành ủy: the city committee
DUK = '000.02.00.H01'                     # Đảng ủy Khối: a committee under the city
DUK_OFFICE = '000.02.01.H01'              # its office, added by the tests
PASSWORD = 'demo-mat-khau-2026'
NEW_PASSWORD = 'mot-cum-tu-rat-dai-2026'


def csrf(c):
    return {'X-CSRF-Token': c.csrf}


def errors_of(res):
    return [(e['field'], e['code']) for e in res.json['errors']]


def form_to(page, action):
    """The page's form that posts to ``action`` (the page frame has forms of its own)."""
    found = [f for f in page.forms.values() if f.action.endswith(action)]
    assert len(found) == 1, [f.action for f in page.forms.values()]
    return found[0]


def add_users(app, *specs):
    conn, root = open_root(app)
    try:
        for spec in specs:
            directory.add_user(root, dict(spec, password=PASSWORD), app.registry.archive_settings, 'test')
        conn.transaction_manager.commit()
    finally:
        conn.close()


def journal(app, chain):
    conn, root = open_root(app)
    try:
        return audit.entries(root, chain)
    finally:
        conn.close()


@pytest.fixture
def btc_admin(app):
    """The administrator of Ban Tổ chức, and a clerk of Ban Tổ chức besides the demo one."""
    add_users(app, {'login': 'quantri.btc', 'full_name': 'Quản Trị Ban Tổ chức', 'body_code': BTC, 'roles': ['admin']},
              {'login': 'chuyenvien.btc', 'full_name': 'Chuyên Viên Ban Tổ chức', 'body_code': BTC,
               'roles': ['processor']})
    return client(app, 'quantri.btc')


# -- who sees what ----------------------------------------------------------------------------

def test_a_body_administrator_sees_and_manages_only_their_bodys_accounts(app, admin, btc_admin):
    listed = btc_admin.get('/users/')
    logins = [tr['data-login'] for tr in listed.html.select('table.users tbody tr[data-login]')]
    assert sorted(logins) == ['chuyenvien.btc', 'quantri.btc', 'vanthu.btc']
    assert 'vanthu' not in logins and 'Nguyễn Thị Văn Thư' not in listed.text
    assert sorted(u['login'] for u in btc_admin.get('/api/v1/users').json['items']) == logins and logins
    # the city's administrator sees both bodies' accounts
    city = {u['login'] for u in admin.get('/api/v1/users').json['items']}
    assert {'vanthu', 'quantri', 'vanthu.btc', 'quantri.btc'} <= city
    # another body's account: unknown, page and API, for reading and for every change
    for path in ('/users/vanthu', '/users/vanthu/password', f'/bodies/{HOST_CODE}/admin'):
        btc_admin.get(path, status=404)
    token = btc_admin.csrf
    for name, data in (('roles', {'roles': 'leader'}), ('unit', {'unit_code': 'TH'}), ('active', {'active': 'false'}),
                       ('password', {'password': NEW_PASSWORD})):
        btc_admin.post(f'/users/vanthu/{name}', dict(data, csrf_token=token), status=404)
    assert btc_admin.get('/api/v1/users/vanthu', status=404).json['error'] == 'user_unknown'
    btc_admin.patch_json('/api/v1/users/vanthu', {'active': False}, headers=csrf(btc_admin), status=404)
    btc_admin.put_json('/api/v1/users/vanthu/roles', {'roles': ['leader']}, headers=csrf(btc_admin), status=404)
    btc_admin.put_json('/api/v1/users/vanthu/unit', {'unit_code': 'TH'}, headers=csrf(btc_admin), status=404)
    btc_admin.post_json(f'/api/v1/bodies/{HOST_CODE}/units', {'code': 'X1', 'name': 'Phòng X'},
                        headers=csrf(btc_admin), status=404)
    btc_admin.patch_json(f'/api/v1/bodies/{HOST_CODE}/units/TH', {'name': 'Phòng Y'}, headers=csrf(btc_admin),
                         status=404)
    btc_admin.delete(f'/api/v1/bodies/{HOST_CODE}/units/TH', headers=csrf(btc_admin), status=404)
    res = btc_admin.post_json('/api/v1/users', {'login': 'lan.sang', 'full_name': 'Lấn Sang', 'body_code': HOST_CODE,
                                                'roles': ['clerk'], 'password': NEW_PASSWORD},
                              headers=csrf(btc_admin), status=400)
    assert errors_of(res) == [('body_code', 'body_unknown')]
    form = btc_admin.get('/users/new').forms['admin']
    assert [o[0] for o in form['body_code'].options if o[0]] == [BTC]          # only their body offered
    # nothing changed
    me = client(app, 'vanthu').get('/api/v1/me').json
    assert me['roles'] == ['clerk'] and me['unit_code'] is None
    assert not [e for e in journal(app, 'user:vanthu') if e['actor'] == 'quantri.btc']
    admin.get('/api/v1/users/lan.sang', status=404)


def test_a_body_administrator_sees_only_their_bodys_security_events(app, admin, btc_admin):
    client(app).login('vanthu', 'sai-mat-khau', status=401)          # a failed login in the city office
    admin.put_json('/api/v1/users/vanthu/roles', {'roles': ['clerk', 'leader']}, headers=csrf(admin))
    btc_admin.put_json('/api/v1/users/chuyenvien.btc/roles', {'roles': ['processor', 'archivist']},
                       headers=csrf(btc_admin))
    city = admin.get('/api/v1/security-events').json['items']
    assert {'vanthu', 'chuyenvien.btc'} <= {r['account'] for r in city}
    assert any(r['account'] is None and r['reason'] == 'login_failed' for r in city)     # counted by address
    mine = btc_admin.get('/api/v1/security-events').json
    assert mine['items'] and {r['body'] for r in mine['items']} == {BTC}
    assert [r['account'] for r in mine['items'] if r['reason'] == 'roles_changed'] == ['chuyenvien.btc']
    assert mine['summary']['login_failed'] == 0
    page = btc_admin.get('/admin/security', params={'kind': 'account'})
    assert 'chuyenvien.btc' in page.text and '>vanthu<' not in page.text and HOST_CODE not in page.text
    exported = btc_admin.get('/admin/security', params={'format': 'csv'}).body.decode('utf-8-sig')
    assert HOST_CODE not in exported and '127.0.0.1' not in exported


def test_a_body_administrator_manages_their_own_bodys_accounts(app, btc_admin):
    form = btc_admin.get('/users/new').forms['admin']
    form['login'], form['full_name'], form['password'] = 'lanhdao.btc', 'Lãnh Đạo Ban Tổ chức', NEW_PASSWORD
    form['body_code'] = BTC
    for box in form.fields['checkbox']:
        box.checked = box._value == 'leader'
    page = form.submit(status=303).follow()
    assert 'Đã tạo tài khoản lanhdao.btc' in page.text
    # the initial password is temporary: the new leader sets their own first
    first = client(app)
    first.login('lanhdao.btc', NEW_PASSWORD)
    assert first.get('/desk').html.select_one('form#own-password')
    page = btc_admin.post('/users/lanhdao.btc/roles', {'roles': ['leader', 'processor'], 'csrf_token': btc_admin.csrf},
                          status=303).follow()
    assert page.html.select_one('[data-roles]')['data-roles'] == 'leader processor'
    assert 'Đã đổi vai trò' in page.text


# -- roles, unit, lock and password: pages, API, journal --------------------------------------

def test_role_change_on_the_page_is_journaled_and_on_the_security_page_and_export(app, admin, leader):
    form = form_to(admin.get('/users/chuyenvien'), '/users/chuyenvien/roles')
    for box in form.fields['roles']:
        box.checked = box._value in ('processor', 'archivist')
    after = form.submit(status=303).follow()
    assert after.html.select_one('[data-roles]')['data-roles'] == 'processor archivist'
    assert 'Chuyên viên → Chuyên viên, Lưu trữ viên' in after.html.select_one('.account-history').get_text()
    changes = [e for e in journal(app, 'user:chuyenvien') if e['action'] == 'roles_changed']
    assert [(e['actor'], e['details']) for e in changes] == [
        ('quantri', {'old_roles': ['processor'], 'roles': ['processor', 'archivist']})]
    # the processor reads files as an archivist now: roles take effect on the next request
    assert 'archivist' in client(app, 'chuyenvien').get('/api/v1/me').json['roles']
    # on the security monitoring page, with its filter, and in its export
    got = admin.get('/api/v1/security-events', params={'kind': 'account', 'action': 'roles_changed'}).json
    assert [(r['account'], r['actor'], r['body'], r['detail']) for r in got['items']] == [
        ('chuyenvien', 'quantri', HOST_CODE, {'old_roles': ['processor'], 'roles': ['processor', 'archivist']})]
    assert got['action'] == 'roles_changed'
    page = admin.get('/admin/security', params={'kind': 'account', 'action': 'roles_changed'})
    rows = page.html.select('tr[data-kind="account"]')
    assert len(rows) == 1 and 'Chuyên viên → Chuyên viên, Lưu trữ viên' in rows[0].get_text()
    assert page.html.select_one('select[name="action"] option[selected]')['value'] == 'roles_changed'
    exported = list(csv.reader(io.StringIO(admin.get('/admin/security', params={
        'action': 'roles_changed', 'format': 'csv'}).body.decode('utf-8-sig'))))
    assert [r for r in exported if 'chuyenvien' in r][0][-1] == 'roles: processor → processor, archivist'
    # other account changes are not role changes
    admin.post('/users/lanhdao/active', {'active': 'false', 'csrf_token': admin.csrf}, status=303)
    assert [r['reason'] for r in admin.get('/api/v1/security-events', params={
        'action': 'roles_changed'}).json['items']] == ['roles_changed']
    res = admin.get('/api/v1/security-events', params={'action': 'nope'}, status=400)
    assert errors_of(res) == [('action', 'security_action_unknown')]
    assert 'data-code="security_action_unknown"' in admin.get('/admin/security', params={'action': 'nope'},
                                                              status=400).text


def test_lock_unlock_password_reset_and_unit_change_are_journaled_without_a_password(app, admin):
    token = admin.csrf
    admin.post('/users/luutru/active', {'active': 'false', 'csrf_token': token}, status=303)
    admin.post('/users/luutru/active', {'active': 'true', 'csrf_token': token}, status=303)
    form = admin.get('/users/luutru/password').forms['admin']
    form['password'] = NEW_PASSWORD
    page = form.submit(status=303).follow()
    assert 'Đã đặt mật khẩu mới' in page.text
    page = admin.post('/users/luutru/unit', {'unit_code': 'TH', 'csrf_token': token}, status=303).follow()
    assert page.html.select_one('table.fields').get_text().count('Phòng Tổng hợp') == 1
    admin.put_json('/api/v1/users/luutru/unit', {'unit_code': None}, headers=csrf(admin))
    entries = journal(app, 'user:luutru')
    assert [e['action'] for e in entries][-5:] == ['user_disabled', 'user_enabled', 'password_set',
                                                   'unit_changed', 'unit_changed']
    assert [e['details'] for e in entries if e['action'] == 'unit_changed'] == [
        {'old_unit': 'HCLT', 'unit': 'TH'}, {'old_unit': 'TH', 'unit': None}]
    assert NEW_PASSWORD not in json.dumps(entries, ensure_ascii=False)
    got = admin.get('/api/v1/security-events', params={'kind': 'account', 'account': 'luutru'}).json['items']
    assert [r['reason'] for r in got][-5:] == ['user_disabled', 'user_enabled', 'password_set', 'unit_changed',
                                          'unit_changed']
    assert NEW_PASSWORD not in admin.get('/admin/security', params={'format': 'csv'}).body.decode('utf-8-sig')
    client(app).login('luutru', NEW_PASSWORD)


def test_api_changes_roles_and_refuses_bad_input(app, admin):
    url = '/api/v1/users/vanthu/roles'
    res = admin.put_json(url, {'roles': ['clerk', 'leader']}, headers=csrf(admin))
    assert res.json['roles'] == ['clerk', 'leader']
    assert client(app, 'vanthu').get('/api/v1/me').json['roles'] == ['clerk', 'leader']
    for body, expected, status in (
            ({'roles': ['clerk', 'admin']}, [('roles', 'roles_admin_exclusive')], 400),
            ({'roles': ['boss']}, [('roles', 'role_unknown')], 400),
            ({'roles': []}, [('roles', 'required')], 400),
            ({}, [('roles', 'required')], 400),
            ({'roles': 'clerk'}, None, 200),                         # one role as text is a list of one
            ({'roles': 5}, [('roles', 'lines_invalid')], 400)):
        res = admin.put_json(url, body, headers=csrf(admin), status=status)
        if expected is not None:
            assert errors_of(res) == expected
    assert client(app, 'vanthu').get('/api/v1/me').json['roles'] == ['clerk']
    res = admin.put_json('/api/v1/users/quantri/roles', {'roles': ['clerk']}, headers=csrf(admin), status=409)
    assert res.json['error'] == 'roles_self'
    res = admin.put_json('/api/v1/users/vanthu/unit', {'unit_code': 'KHONG'}, headers=csrf(admin), status=400)
    assert errors_of(res) == [('unit_code', 'unit_unknown')]
    # the page: the same codes beside the form, nothing written; and CSRF as every form
    page = admin.post('/users/vanthu/roles', {'roles': ['clerk', 'admin'], 'csrf_token': admin.csrf}, status=400)
    assert 'data-code="roles_admin_exclusive"' in page.text
    admin.post('/users/vanthu/roles', {'roles': ['leader']}, status=400)                  # no CSRF token
    admin.put_json(url, {'roles': ['leader']}, status=400)                               # nor in the API
    assert client(app, 'vanthu').get('/api/v1/me').json['roles'] == ['clerk']
    client(app, 'lanhdao').get('/users/vanthu', status=403)                              # not an administrator


# -- units ------------------------------------------------------------------------------------

def test_units_are_listed_added_renamed_and_removed_unless_in_use(app, admin):
    page = admin.get(f'/bodies/{HOST_CODE}/')
    assert page.html.select_one(f'a[href$="/bodies/{HOST_CODE}/admin"]')
    page = admin.get(f'/bodies/{HOST_CODE}/admin')
    assert [tr['data-unit'] for tr in page.html.select('tr[data-unit]')] == ['HCLT', 'TH']
    token = admin.csrf
    page = admin.post(f'/bodies/{HOST_CODE}/unit-add', {'code': 'TT', 'name': 'Phòng Thông tin',
                                                         'csrf_token': token}, status=303).follow()
    assert 'Phòng Thông tin' in page.text
    bad = admin.post(f'/bodies/{HOST_CODE}/unit-add', {'code': 'TT', 'name': 'Trùng', 'csrf_token': token}, status=400)
    assert 'data-code="unit_duplicate"' in bad.text and 'value="Trùng"' in bad.text          # kept as typed
    admin.post(f'/bodies/{HOST_CODE}/unit-rename', {'code': 'TH', 'name': 'Phòng Tổng hợp - Thông tin',
                                                     'csrf_token': token}, status=303)
    # the name every page shows comes from here
    assert 'Phòng Tổng hợp - Thông tin' in admin.get('/users/').text
    assert admin.get(f'/api/v1/bodies/{HOST_CODE}').json['units'][1] == {'code': 'TH', 'name': 'Phòng Tổng hợp - Thông tin'}
    # TH holds a document and an account: refused, saying by what; TT is free: removed
    refused = admin.post(f'/bodies/{HOST_CODE}/unit-delete', {'code': 'TH', 'csrf_token': token}, status=409)
    message = refused.html.select_one('li[data-code="unit_in_use"]').get_text()
    assert 'Phòng Tổng hợp - Thông tin' in message and '1 tài khoản' in message and 'văn bản' in message
    english = admin.post(f'/bodies/{HOST_CODE}/unit-delete?_LOCALE_=en', {'code': 'TH', 'csrf_token': token},
                         status=409).html.select_one('li[data-code="unit_in_use"]').get_text()
    assert re.search(r'\(1 account, (1 document|[02-9]\d* documents), 0 files, 0 file plan entries\)', english)
    res = admin.delete(f'/api/v1/bodies/{HOST_CODE}/units/HCLT', headers=csrf(admin), status=409)
    assert res.json['error'] == 'unit_in_use'
    admin.post(f'/bodies/{HOST_CODE}/unit-delete', {'code': 'TT', 'csrf_token': token}, status=303)
    assert [u['code'] for u in admin.get(f'/api/v1/bodies/{HOST_CODE}').json['units']] == ['HCLT', 'TH']
    # the API: rename, bad input, unknown unit
    res = admin.patch_json(f'/api/v1/bodies/{HOST_CODE}/units/HCLT', {'name': 'Phòng Lưu trữ'}, headers=csrf(admin))
    assert res.json == {'code': 'HCLT', 'name': 'Phòng Lưu trữ'}
    res = admin.patch_json(f'/api/v1/bodies/{HOST_CODE}/units/HCLT', {'name': ''}, headers=csrf(admin), status=400)
    assert errors_of(res) == [('name', 'required')]
    res = admin.patch_json(f'/api/v1/bodies/{HOST_CODE}/units/KHONG', {'name': 'X'}, headers=csrf(admin), status=404)
    assert res.json['error'] == 'unit_unknown'
    admin.post(f'/bodies/{HOST_CODE}/unit-add', {'code': 'X2', 'name': 'Phòng X'}, status=400)     # no CSRF token
    actions = [e['action'] for e in journal(app, f'body:{HOST_CODE}')]
    assert actions[-4:] == ['unit_created', 'unit_renamed', 'unit_deleted', 'unit_renamed']


# -- the office of a committee ----------------------------------------------------------------

VN = dt.timezone(dt.timedelta(hours=7))


def test_the_city_administrator_makes_a_body_the_office_of_its_committee(app, admin, btc_admin):
    """Đảng ủy Khối gets an office on an existing database: before, its clerk sees only the office's
    own figures; once the city administrator sets ``office_of``, the branch's figures (and no other)."""
    admin.post_json('/api/v1/bodies', {'code': DUK_OFFICE, 'name': 'Văn phòng Đảng ủy Khối', 'symbol': 'VPĐUK',
                                       'parent_code': DUK}, headers=csrf(admin), status=201)
    add_users(app, {'login': 'vanthu.vpduk', 'full_name': 'Văn Thư VP Đảng ủy Khối', 'body_code': DUK_OFFICE,
                    'roles': ['clerk']})
    conn, root = open_root(app)
    manager.push({'registry': app.registry, 'request': None})
    try:
        for n, code in enumerate((DUK, DUK, DUK_OFFICE, HOST_CODE), 1):
            clock.set_now(dt.datetime(2026, 10, 5 + n, 9, 0, tzinfo=VN))
            svc.create(root, root['bodies'][code], incoming(number_symbol=f'{n}-CV/DUK', doc_type='CV',
                                                            received_at=clock.iso(clock.now())),
                       [], app.registry.archive_settings, 'test')
        conn.transaction_manager.commit()
    finally:
        manager.pop()
        conn.close()
    clock.set_now(dt.datetime(2026, 11, 30, 10, 0, tzinfo=VN))
    try:
        office = client(app, 'vanthu.vpduk')
        period = {'from': '2026-10-01', 'to': '2026-11-30'}
        assert office.get('/api/v1/stats', params=period).json['total']['received'] == 1
        err = office.get('/api/v1/stats', params=dict(period, body=DUK), status=403).json
        assert err['errors'][0]['code'] == 'stats_forbidden'
        # another body's administrator cannot; the city's can, on the body's page
        btc_admin.get(f'/bodies/{DUK_OFFICE}/admin', status=404)
        btc_admin.post(f'/bodies/{DUK_OFFICE}/office-of', {'office_of': DUK, 'csrf_token': btc_admin.csrf}, status=404)
        form = form_to(admin.get(f'/bodies/{DUK_OFFICE}/admin'), '/office-of')
        assert DUK in [o[0] for o in form['office_of'].options]
        form['office_of'] = DUK
        page = form.submit(status=303).follow()
        assert page.html.select_one('[data-office-of]')['data-office-of'] == DUK
        got = office.get('/api/v1/stats', params=dict(period, body=DUK, subtree='1', group='body')).json
        assert got['total']['received'] == 3
        assert {r['key']: r['figures']['received'] for r in got['rows']} == {DUK: 2, DUK_OFFICE: 1}
        for other in (TU, HOST_CODE, BTC):
            office.get('/api/v1/stats', params=dict(period, body=other), status=403)
        entries = [e for e in journal(app, f'body:{DUK_OFFICE}') if e['action'] == 'office_of_changed']
        assert [(e['actor'], e['details']) for e in entries] == [('quantri', {'old_office_of': None, 'office_of': DUK})]
        # bad input: no such committee, the body itself
        bad = admin.post(f'/bodies/{DUK_OFFICE}/office-of', {'office_of': '000.99.99.H99', 'csrf_token': admin.csrf},
                         status=400)
        assert 'data-code="body_unknown"' in bad.text
        bad = admin.post(f'/bodies/{DUK_OFFICE}/office-of', {'office_of': DUK_OFFICE, 'csrf_token': admin.csrf},
                         status=400)
        assert 'data-code="office_of_self"' in bad.text
        # cleared: back to its own figures
        admin.post(f'/bodies/{DUK_OFFICE}/office-of', {'office_of': '', 'csrf_token': admin.csrf}, status=303)
        office.get('/api/v1/stats', params=dict(period, body=DUK), status=403)
    finally:
        clock.set_now(None)


# -- bad input: the unit forms and the API answer alike, nothing written --------------------------

UNIT_CASES = [
    # (case, posted fields, field, code)
    ('empty code', {'code': '', 'name': 'Phòng Mới'}, 'code', 'required'),
    ('empty name', {'code': 'PM', 'name': ''}, 'name', 'required'),
    ('code with a space', {'code': 'P M', 'name': 'Phòng Mới'}, 'code', 'unit_code_malformed'),
    ('code too long', {'code': 'P' * 51, 'name': 'Phòng Mới'}, 'code', 'unit_code_malformed'),
    ('name too long', {'code': 'PM', 'name': 'P' * 201}, 'name', 'too_long'),
    ('NUL in the name', {'code': 'PM', 'name': 'Phòng\x00Mới'}, 'name', 'control_character'),
    ('line break in the name', {'code': 'PM', 'name': 'Phòng\r\nMới'}, 'name', 'control_character'),
    ('a code already there', {'code': 'TH', 'name': 'Phòng Trùng'}, 'code', 'unit_duplicate'),
]


@pytest.mark.parametrize('case,values,field,code', UNIT_CASES, ids=[c[0] for c in UNIT_CASES])
def test_bad_unit_input(app, admin, case, values, field, code):
    page = admin.post(f'/bodies/{HOST_CODE}/unit-add', dict(values, csrf_token=admin.csrf), status=400)
    item = page.html.select_one('ul.errors li')
    assert (item['data-field'], item['data-code']) == (field, code)
    if '\x00' not in values['name'] and '\r' not in values['name']:
        assert page.html.select_one('form[action$="/unit-add"] input[name=name]')['value'] == values['name']
    res = admin.post_json(f'/api/v1/bodies/{HOST_CODE}/units', values, headers=csrf(admin), status=400)
    assert errors_of(res) == [(field, code)]
    if field == 'name':
        page = admin.post(f'/bodies/{HOST_CODE}/unit-rename', {'code': 'TH', 'name': values['name'],
                                                                'csrf_token': admin.csrf}, status=400)
        assert page.html.select_one('ul.errors li')['data-code'] == code
        res = admin.patch_json(f'/api/v1/bodies/{HOST_CODE}/units/TH', {'name': values['name']},
                               headers=csrf(admin), status=400)
        assert errors_of(res) == [(field, code)]
    units = admin.get(f'/api/v1/bodies/{HOST_CODE}').json['units']
    assert units == [{'code': 'HCLT', 'name': 'Phòng Hành chính - Lưu trữ'}, {'code': 'TH', 'name': 'Phòng Tổng hợp'}]


def test_script_in_a_unit_name_is_kept_as_text(app, admin):
    name = '<script>alert(1)</script> Phòng'
    admin.post(f'/bodies/{HOST_CODE}/unit-rename', {'code': 'TH', 'name': name, 'csrf_token': admin.csrf},
               status=303)
    for path in (f'/bodies/{HOST_CODE}/admin', '/users/', '/users/chuyenvien'):
        text = admin.get(path).text
        assert '<script>alert(1)</script>' not in text and '&lt;script&gt;alert(1)&lt;/script&gt; Phòng' in text


# -- a password reset by an administrator is temporary ---------------------------------------------

def test_after_a_reset_the_user_sets_their_own_password_before_anything_else(app, admin):
    conn, root = open_root(app)
    token, _id = directory.create_token(root, root['users']['vanthu'], 'máy quét', 'test')
    conn.transaction_manager.commit()
    conn.close()
    admin.patch_json('/api/v1/users/vanthu', {'password': NEW_PASSWORD}, headers=csrf(admin))
    assert 'Mật khẩu tạm' in admin.get('/users/vanthu').text
    clerk = client(app)
    clerk.login('vanthu', NEW_PASSWORD)
    for path in ('/desk', f'/bodies/{HOST_CODE}/', '/search?q=abc'):   # each page shows the form instead
        shown = clerk.get(path)
        assert shown.html.select_one('form#own-password') and 'Hướng dẫn công tác' not in shown.text
    res = clerk.get('/api/v1/me', status=403)
    assert res.json['error'] == 'password_change_required'
    page = clerk.get('/password')
    assert page.html.select_one('p.notice') is not None
    token_of = page.forms['own-password']['csrf_token'].value
    assert client(app).get('/api/v1/me', headers={'Authorization': f'Bearer {token}'}).json['login'] == 'vanthu'
    chosen = 'mot-cum-tu-rieng-cua-van-thu-2026'
    for current, new, again, expected in (
            ('sai-mat-khau-roi', chosen, chosen, [('current_password', 'password_wrong')]),
            (NEW_PASSWORD, NEW_PASSWORD, NEW_PASSWORD, [('password', 'password_same')]),
            (NEW_PASSWORD, chosen, chosen + 'x', [('password_again', 'password_mismatch')]),
            (NEW_PASSWORD, 'password1234', 'password1234', [('password', 'password_common')]),
            (NEW_PASSWORD, '', '', [('password', 'required')])):
        page = clerk.post('/password', {'current_password': current, 'password': new, 'password_again': again,
                                        'csrf_token': token_of}, status=400)
        assert [(li['data-field'], li['data-code']) for li in page.html.select('ul.errors li')] == expected
    clerk.post('/password', {'current_password': NEW_PASSWORD, 'password': chosen, 'password_again': chosen},
               status=400)                                                               # no CSRF token
    assert clerk.get('/desk').html.select_one('form#own-password')                      # nothing changed
    done = clerk.post('/password', {'current_password': NEW_PASSWORD, 'password': chosen, 'password_again': chosen,
                                    'csrf_token': token_of}, status=303)
    assert 'Đã đổi mật khẩu' in done.follow().follow().text
    assert clerk.get('/api/v1/me').json['login'] == 'vanthu'                          # a new session goes on
    client(app).login('vanthu', NEW_PASSWORD, status=401)
    client(app).login('vanthu', chosen)
    entries = journal(app, 'user:vanthu')
    assert [(e['action'], e['actor']) for e in entries if e['action'].startswith('password_')] == [
        ('password_set', 'quantri'), ('password_changed', 'vanthu')]
    assert chosen not in json.dumps(entries, ensure_ascii=False)
    got = admin.get('/api/v1/security-events', params={'action': 'password_changed'}).json['items']
    assert [(r['account'], r['actor']) for r in got] == [('vanthu', 'vanthu')]
    assert 'Mật khẩu tạm' not in admin.get('/users/vanthu').text

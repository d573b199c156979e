"""Accounts: an administrator who disables a user or sets their password ends that user's sessions
(pages and API; the command line in test_cli.py); separation of duties (an administrator holds no
document role and is never a named reader of a Mật document); one password rule everywhere."""
import pytest

from ..conftest import HOST_CODE, client, open_root
from ..helpers import incoming

API_DOCS = f'/api/v1/bodies/{HOST_CODE}/documents'
NEW_PASSWORD = 'mot-cum-tu-rat-dai-2026'


def csrf(c):
    return {'X-CSRF-Token': c.csrf}


def errors_of(res):
    return [(e['field'], e['code']) for e in res.json['errors']]


# -- revocation by an administrator ---------------------------------------------------------------

def test_disabling_a_user_on_the_page_ends_their_sessions(app, admin, clerk):
    other_device = client(app, 'vanthu')
    admin.post('/users/vanthu/active', {'active': 'false', 'csrf_token': admin.csrf}, status=303)
    clerk.get('/api/v1/me', status=401)
    other_device.get('/api/v1/me', status=401)
    client(app).login('vanthu', status=401)                          # nor can they log in
    assert 'vanthu' in admin.get('/users/').text
    admin.post('/users/vanthu/active', {'active': 'true', 'csrf_token': admin.csrf}, status=303)
    clerk.get('/api/v1/me', status=401)                              # enabled again: log in anew
    assert client(app, 'vanthu').get('/api/v1/me').json['login'] == 'vanthu'


def test_setting_a_password_on_the_page_ends_the_users_sessions(app, admin, leader):
    form = admin.get('/users/lanhdao/password').forms['admin']
    form['password'] = 'password1234'                                # 12 characters, but common
    res = form.submit(status=400)
    assert '<li data-field="password" data-code="password_common">' in res.text
    leader.get('/api/v1/me', status=200)                             # nothing changed
    form = res.forms['admin']
    form['password'] = NEW_PASSWORD
    form.submit(status=303)
    leader.get('/api/v1/me', status=401)
    client(app).login('lanhdao', status=401)                         # the old password is gone
    client(app).login('lanhdao', NEW_PASSWORD)


def test_api_disables_a_user_and_resets_a_password_ending_sessions(app, admin, processor, leader):
    url = '/api/v1/users/chuyenvien'
    assert admin.get(url).json['active'] is True
    res = admin.patch_json(url, {'active': False}, headers=csrf(admin))
    assert res.json['active'] is False
    processor.get('/api/v1/me', status=401)
    admin.patch_json(url, {'active': True}, headers=csrf(admin))
    processor.get('/api/v1/me', status=401)

    admin.patch_json('/api/v1/users/lanhdao', {'password': NEW_PASSWORD}, headers=csrf(admin))
    leader.get('/api/v1/me', status=401)
    assert client(app, 'chuyenvien').get('/api/v1/me').status_int == 200
    # an administrator does not disable their own account; others than admins may do nothing here
    res = admin.patch_json('/api/v1/users/quantri', {'active': False}, headers=csrf(admin), status=409)
    assert res.json['error'] == 'disable_self'
    leader2 = client(app)
    leader2.login('lanhdao', NEW_PASSWORD)
    leader2.patch_json(url, {'active': False}, headers=csrf(leader2), status=403)


@pytest.mark.parametrize('body, expected', [
    ({'password': 'ngan-qua'}, [('password', 'password_short')]),
    ({'password': '123456789012'}, [('password', 'password_common')]),
    ({'password': 'qwertyuiopas'}, [('password', 'password_common')]),
    ({'password': 'iloveyou1234'}, [('password', 'password_common')]),
    ({'password': ''}, [('password', 'required')]),
    ({'password': 123456789012345}, [('password', 'text_expected')]),
    ({'active': 'no'}, [('active', 'active_not_boolean')]),
    ({'roles': ['admin']}, [('roles', 'user_patch_fields')]),
    ({}, [('active', 'user_patch_fields')]),
])
def test_api_user_patch_bad_input(file_app, body, expected):
    admin = client(file_app, 'quantri')
    res = admin.patch_json('/api/v1/users/vanthu', body, headers=csrf(admin), status=400)
    assert errors_of(res) == expected
    client(file_app, 'vanthu')                                        # nothing changed


# -- separation of duties -------------------------------------------------------------------------

@pytest.mark.parametrize('roles', [['admin', 'clerk'], ['leader', 'admin'], ['admin', 'processor'],
                                   ['archivist', 'admin'], ['admin', 'clerk', 'leader']])
def test_api_refuses_an_administrator_with_a_document_role(file_app, roles):
    admin = client(file_app, 'quantri')
    res = admin.post_json('/api/v1/users', {'login': 'kiem.nhiem', 'full_name': 'Kiêm Nhiệm',
                                            'body_code': HOST_CODE, 'roles': roles,
                                            'password': NEW_PASSWORD}, headers=csrf(admin), status=400)
    assert errors_of(res) == [('roles', 'roles_admin_exclusive')]
    admin.get('/api/v1/users/kiem.nhiem', status=404)


def test_page_refuses_an_administrator_with_a_document_role(file_app):
    admin = client(file_app, 'quantri')
    page = admin.get('/users/new')
    form = page.forms['admin']
    form['login'], form['full_name'], form['password'] = 'kiem.nhiem', 'Kiêm Nhiệm', NEW_PASSWORD
    form['body_code'] = HOST_CODE
    boxes = form.fields['checkbox']                       # the roles, as deform's checkboxes
    for box in boxes:
        box.checked = box._value in ('admin', 'leader')
    res = form.submit(status=400)
    assert 'data-code="roles_admin_exclusive"' in res.text
    admin.get('/api/v1/users/kiem.nhiem', status=404)


def test_an_administrator_is_never_a_named_reader(app, clerk, leader, admin):
    res = clerk.post_json(API_DOCS, incoming(classification='mat', named_people=['lanhdao', 'quantri']),
                          headers=csrf(clerk), status=400)
    assert errors_of(res) == [('named_people', 'reader_is_admin')]
    doc = clerk.post_json(API_DOCS, incoming(classification='mat', named_people=['lanhdao']),
                          headers=csrf(clerk), status=201).json
    url = f"{API_DOCS}/{doc['id']}"
    res = clerk.patch_json(url, {'named_people': ['lanhdao', 'quantri'], 'readers_reason': 'Cần xem'},
                           headers=csrf(clerk), status=400)
    assert errors_of(res) == [('named_people', 'reader_is_admin')]
    # assigning names the processors as readers: an administrator cannot be one (a workflow
    # action's bad input answers 409 invalid_input)
    clerk.post_json(f'{url}/transitions/register', {}, headers=csrf(clerk), status=200)
    res = leader.post_json(f'{url}/transitions/assign', {'main_processor': 'quantri'},
                           headers=csrf(leader), status=409)
    assert errors_of(res) == [('main_processor', 'reader_is_admin')]
    res = leader.post_json(f'{url}/transitions/assign', {'main_processor': 'chuyenvien',
                                                          'co_processors': ['quantri']},
                           headers=csrf(leader), status=409)
    assert errors_of(res) == [('co_processors', 'reader_is_admin')]
    # and should a name be in the record anyway (data from before), the administrator reads nothing
    conn, root = open_root(app)
    stored = root['bodies'][HOST_CODE].documents[doc['id']]
    stored.named_people = sorted(set(stored.named_people) | {'quantri'})
    conn.transaction_manager.commit()
    conn.close()
    admin.get(url, status=403)
    admin.get(f'{url}/history', status=403)
    leader.get(url, status=200)

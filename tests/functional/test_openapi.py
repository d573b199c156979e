"""The package's api/openapi.yaml describes the API the app really serves (and serves it).

One test walks the app's routes and views and compares them with the spec's paths and
methods, both ways. The others make real calls with WebTest and validate each request and
its response against the spec with openapi-core (strictly: properties the spec does not name
are errors, so a field added to the API without the spec fails here).
"""
import datetime as dt
import re
from importlib.resources import files
from pathlib import Path

import pytest
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.validation.request.exceptions import SecurityValidationError
from pyramid.interfaces import IRoutesMapper
from werkzeug.datastructures import Headers, ImmutableMultiDict

from archive import clock
from archive.services import directory

from ..conftest import HOST_CODE, open_root
from ..helpers import NEXT_OUTGOING, incoming, multipart, pdf

# read as the installed package holds it (package data: setup.cfg), as GET /api/v1/openapi.yaml does
SPEC_PATH = Path(str(files('archive.api').joinpath('openapi.yaml')))
HTTP_METHODS = {'get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'}
ANY_METHOD = '*'
BODY = f'/api/v1/bodies/{HOST_CODE}'
DOCS = f'{BODY}/documents'
REGISTERS = f'{BODY}/registers'
OTHER_BODY = '000.00.02.H01'     # Ban Tổ chức Thành ủy, where other_clerk works


# -- openapi-core adapters for WebTest (webob) requests and responses -------------------------

class WebObOpenAPIRequest:
    """``openapi_core.protocols.Request`` for the webob request WebTest sent."""

    def __init__(self, request):
        self.host_url = request.host_url
        self.path = request.path
        self.method = request.method.lower()
        self.body = request.body or None
        # with its parameters (the multipart boundary) and their case, as sent
        self.content_type = request.headers.get('Content-Type', 'application/octet-stream')
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(request.GET.items())),
            header=Headers(list(request.headers.items())),
            cookie=ImmutableMultiDict(list(request.cookies.items())),
        )


class WebObOpenAPIResponse:
    """``openapi_core.protocols.Response`` for a WebTest response."""

    def __init__(self, response):
        self.data = response.body
        self.status_code = response.status_int
        self.content_type = response.headers.get('Content-Type', '')
        self.headers = Headers(list(response.headers.items()))


def _explain(errors):
    lines = []
    for error in errors:
        lines.append(f'{type(error).__name__}: {str(error)[:300]}')
        cause = error.__cause__
        while cause is not None:
            for schema_error in getattr(cause, 'schema_errors', ()):
                where = '/'.join(str(p) for p in schema_error.absolute_path) or '(top)'
                lines.append(f'    at {where}: {schema_error.message}')
            if not getattr(cause, 'schema_errors', None):
                lines.append(f'    {type(cause).__name__}: {cause}')
            cause = cause.__cause__
    return '\n'.join(lines)


def conforms(spec, res, check_request=True):
    """Fail unless the request WebTest sent and the response it got conform to the spec."""
    request = WebObOpenAPIRequest(res.request)
    if check_request:
        result = spec.unmarshal_request(request)
        assert not result.errors, (f'request {request.method.upper()} {request.path} does not '
                                   f'conform:\n{_explain(result.errors)}')
    result = spec.unmarshal_response(request, WebObOpenAPIResponse(res))
    assert not result.errors, (f'response {res.status} to {request.method.upper()} {request.path} '
                               f'does not conform:\n{_explain(result.errors)}')
    return res


def csrf(client):
    return {'X-CSRF-Token': client.csrf}


def create_json(spec, client, values=None, status=201):
    res = client.post_json(DOCS, values or incoming(), headers=csrf(client), status=status)
    return conforms(spec, res).json


def doc_url(doc, tail=''):
    return f"{DOCS}/{doc['id']}{tail}"


def take(spec, client, doc, action, status=200, **data):
    """Take a workflow action through the API; the answer, checked against the spec."""
    res = client.post_json(doc_url(doc, f'/transitions/{action}'), data, headers=csrf(client),
                           status=status)
    return conforms(spec, res).json


def outgoing(**over):
    return dict({'direction': 'outgoing', 'organ_id': HOST_CODE, 'doc_type': 'CV',
                 'abstract': 'Công văn trả lời', 'holder_unit': 'TH', 'signer_name': 'Trần Văn Lãnh Đạo'}, **over)


def bearer_token(app, login):
    """A real API token, made as ``archive-tokens create`` makes it."""
    conn, root = open_root(app)
    try:
        token, _token_id = directory.create_token(root, root['users'][login], 'openapi test', 'test')
        conn.transaction_manager.commit()
    finally:
        conn.close()
    return token


def pattern_of(route_pattern):
    """A Pyramid pattern as an OpenAPI path: ``{n:\\d+}`` -> ``{n}``."""
    return re.sub(r'\{(\w+)(?::[^}]*)?\}', r'{\1}', route_pattern)


def app_operations(app):
    """``{path: {methods}}`` of the API routes and /healthz, from the app's own registry.

    A view without a request method answers every method (``ANY_METHOD``); HEAD comes with
    GET by itself in Pyramid and is not listed.
    """
    routes = {route.name: pattern_of(route.pattern)
              for route in app.registry.getUtility(IRoutesMapper).get_routes()
              if route.pattern.startswith('/api/v1') or route.pattern == '/healthz'}
    operations = {path: set() for path in routes.values()}
    for item in app.registry.introspector.get_category('views'):
        view = item['introspectable']
        if view['route_name'] not in routes:
            continue
        methods = view['request_methods']
        if methods is None:
            methods = {ANY_METHOD}
        elif isinstance(methods, str):
            methods = {methods.lower()}
        else:
            methods = {m.lower() for m in methods}
        if 'get' in methods:
            methods.discard('head')
        operations[routes[view['route_name']]] |= methods
    return operations


def spec_operations():
    with open(SPEC_PATH, encoding='utf-8') as f:
        paths = yaml.safe_load(f)['paths']
    return {path: {m for m in item if m in HTTP_METHODS} for path, item in paths.items()}


@pytest.fixture(scope='module')
def spec():
    """The spec, checked as OpenAPI 3.0.3 on loading; undocumented properties are errors."""
    return OpenAPI.from_file_path(str(SPEC_PATH),
                                  config=Config(additional_properties_default_policy='forbid'))


@pytest.fixture
def doc(spec, clerk):
    """A document the office's clerk registered by JSON."""
    return create_json(spec, clerk)


# -- the spec and the routes ------------------------------------------------------------------

def test_spec_names_every_route_and_method_and_no_other(app):
    in_app, in_spec = app_operations(app), spec_operations()
    assert any(p.startswith('/api/v1/') for p in in_app) and '/healthz' in in_app
    problems = []
    for path, methods in sorted(in_app.items()):
        if path not in in_spec:
            problems.append(f'route {path} is not in openapi.yaml')
            continue
        if ANY_METHOD in methods:
            if 'get' not in in_spec[path]:
                problems.append(f'GET {path} is not in openapi.yaml (its view answers any method)')
            continue
        for method in sorted(methods - in_spec[path]):
            problems.append(f'{method.upper()} {path} is not in openapi.yaml')
        for method in sorted(in_spec[path] - methods):
            problems.append(f'openapi.yaml names {method.upper()} {path}, which the app does not serve')
    for path in sorted(set(in_spec) - set(in_app)):
        problems.append(f'openapi.yaml names {path}, which is not a route of the app')
    assert not problems, '\n'.join(problems)


# -- system and who am I ----------------------------------------------------------------------

def test_healthz(spec, anon):
    res = conforms(spec, anon.get('/healthz'))
    assert res.json['status'] == 'ok'


def test_me(spec, clerk):
    res = conforms(spec, clerk.get('/api/v1/me'))
    assert res.json['login'] == 'vanthu' and res.json['roles'] == ['clerk']


def test_the_api_serves_its_own_description_to_a_login(spec, clerk, anon):
    """``GET /api/v1/openapi.yaml`` gave 404 (trial 9, item 20): it serves the package's file
    read-only, the one this module checks against the routes; like all of /api/v1, to a login."""
    res = conforms(spec, clerk.get('/api/v1/openapi.yaml'))
    assert res.content_type == 'application/yaml' and res.charset == 'utf-8'
    assert res.body == SPEC_PATH.read_bytes()
    served = yaml.safe_load(res.text)
    assert served['openapi'] == '3.0.3' and '/api/v1/openapi.yaml' in served['paths']
    assert anon.get('/api/v1/openapi.yaml', status=401).json['error'] == 'unauthenticated'
    assert clerk.post('/api/v1/openapi.yaml', headers=csrf(clerk), status=404)


def test_bearer_token_reads_and_writes_without_csrf(spec, app, anon):
    auth = {'Authorization': 'Bearer ' + bearer_token(app, 'vanthu')}
    assert conforms(spec, anon.get('/api/v1/me', headers=auth)).json['login'] == 'vanthu'
    res = conforms(spec, anon.post_json(DOCS, incoming(), headers=auth, status=201))
    assert res.json['created_by'] == 'vanthu'


def test_anonymous_gets_401(spec, anon):
    res = anon.get('/api/v1/me', status=401)
    with pytest.raises(SecurityValidationError):
        spec.validate_request(WebObOpenAPIRequest(res.request))   # the spec asks for a login
    conforms(spec, res, check_request=False)
    assert res.json['error'] == 'unauthenticated'


# -- documents --------------------------------------------------------------------------------

def test_create_document_by_json(spec, clerk):
    doc = create_json(spec, clerk, incoming(receivers=['Thường trực Thành ủy', 'Lưu VT'], pages=3))
    assert doc['number_symbol'] == '917-TTr/BTCTU' and doc['symbol_form'] == 'party'
    assert doc['receivers'] == ['Thường trực Thành ủy', 'Lưu VT'] and doc['files'] == []
    assert doc['revision'] == 1


@pytest.mark.storage
def test_create_document_by_multipart_with_pdf(spec, clerk):
    params, files = multipart(incoming(), main=('to-trinh.pdf', pdf('Main')),
                              attachments=[('phu-luc.pdf', pdf('Annex'))])
    res = conforms(spec, clerk.post(DOCS, params, upload_files=files, headers=csrf(clerk), status=201))
    assert res.location.endswith(doc_url(res.json))
    assert [(f['role'], f['media_type']) for f in res.json['files']] == [
        ('main', 'application/pdf'), ('attachment', 'application/pdf')]


def test_times_sent_in_another_zone_come_back_in_vietnam_time(spec, clerk):
    doc = create_json(spec, clerk, incoming(received_at='2026-11-24T02:30:00Z'))
    assert doc['received_at'] == '2026-11-24T09:30:00+07:00'


def test_read_document(spec, clerk, doc):
    res = conforms(spec, clerk.get(doc_url(doc)))
    assert res.json['id'] == doc['id'] and res.json['body'] == HOST_CODE


def test_list_documents(spec, clerk, doc):
    res = conforms(spec, clerk.get(DOCS, params={'start': 0, 'limit': 2}))
    page = res.json
    assert page['limit'] == 2 and len(page['items']) == 2 and page['more'] is True


def test_patch_document(spec, clerk, doc):
    res = conforms(spec, clerk.patch_json(doc_url(doc), {'urgency': 'khan', 'notes': None},
                                          headers=csrf(clerk)))
    assert res.json['changed'] == ['urgency'] and res.json['revision'] == 2


def test_patch_that_downgrades_a_secret_document_is_a_conflict(spec, clerk):
    secret = create_json(spec, clerk, incoming(classification='mat'))
    res = conforms(spec, clerk.patch_json(doc_url(secret), {'classification': 'thuong'},
                                          headers=csrf(clerk), status=409))
    assert res.json['error'] == 'classification_downgrade'


@pytest.mark.storage
def test_add_attachment(spec, clerk, doc):
    _params, files = multipart({}, attachments=[('phu-luc.pdf', pdf('Annex'))])
    res = conforms(spec, clerk.post(doc_url(doc, '/files'), upload_files=files,
                                    headers=csrf(clerk), status=201))
    assert [f['filename'] for f in res.json['files']] == ['phu-luc.pdf']


@pytest.mark.storage
def test_revisions_and_one_revision(spec, clerk, doc):
    clerk.patch_json(doc_url(doc), {'abstract': 'Trích yếu đã sửa'}, headers=csrf(clerk))
    items = conforms(spec, clerk.get(doc_url(doc, '/revisions'))).json['items']
    assert [r['number'] for r in items] == [1, 2] and items[1]['changed'] == ['abstract']
    one = conforms(spec, clerk.get(doc_url(doc, '/revisions/1'))).json
    assert one['values']['abstract'] == doc['abstract']


def test_history(spec, clerk, doc):
    items = conforms(spec, clerk.get(doc_url(doc, '/history'))).json['items']
    assert [e['action'] for e in items] == ['created'] and items[0]['actor'] == 'vanthu'


@pytest.mark.storage
def test_download_file(spec, clerk):
    params, files = multipart(incoming(), main=('to-trinh.pdf', pdf('Main')))
    doc = clerk.post(DOCS, params, upload_files=files, headers=csrf(clerk), status=201).json
    name = doc['files'][0]['name']
    res = conforms(spec, clerk.get(doc_url(doc, f'/files/{name}')))
    assert res.content_type == 'application/pdf' and res.body == pdf('Main')


# -- workflow: transitions ---------------------------------------------------------------------

def test_list_transitions(spec, clerk, leader, doc):
    listed = conforms(spec, clerk.get(doc_url(doc, '/transitions'))).json
    assert listed['status'] == 'arrived'
    assert [(a['action'], a['needs']) for a in listed['items']] == [
        ('register', 'registration'), ('refuse', 'reason'), ('recall', 'reason'), ('delete', 'reason')]
    assert listed['items'][0]['title'] == 'Vào sổ văn bản đến'
    assert conforms(spec, leader.get(doc_url(doc, '/transitions'))).json == {
        'status': 'arrived', 'items': []}


def test_incoming_transitions_register_assign_start_complete(spec, clerk, leader, processor, doc):
    registered = take(spec, clerk, doc, 'register')
    assert registered['status'] == 'registered' and registered['register_number'] == 1
    assert registered['register_series'].startswith('incoming/')
    assert registered['origin_verdict'] == 'not_verified'
    assert [a['action'] for a in registered['actions']] == ['refuse', 'forward', 'recall', 'delete']
    deadline = (clock.today() + dt.timedelta(days=10)).isoformat()
    assigned = take(spec, leader, doc, 'assign', instruction='Đề nghị chuyên viên tham mưu',
                    main_processor='chuyenvien', co_processors=[], info_units=['TH'],
                    deadline=deadline, comment='Giao phòng Tổng hợp')
    assert assigned['status'] == 'assigned' and assigned['main_processor'] == 'chuyenvien'
    assert assigned['instruction'] == 'Đề nghị chuyên viên tham mưu'
    assert assigned['info_units'] == ['TH'] and assigned['deadline'] == deadline
    assert [(a['action'], a['needs']) for a in assigned['actions']] == [
        ('assign', 'assignment'), ('extend', 'extension')]
    # an action that needs nothing may come without a body
    res = conforms(spec, processor.post(doc_url(doc, '/transitions/start'), headers=csrf(processor)))
    assert res.json['status'] == 'processing'
    assert sorted(a['action'] for a in res.json['actions']) == ['complete', 'return']
    reply = create_json(spec, clerk, outgoing())
    done = take(spec, processor, doc, 'complete', reply=reply['id'], note='Đã tham mưu trả lời')
    assert done['status'] == 'completed' and done['reply'] == reply['id'] and done['actions'] == []
    items = conforms(spec, clerk.get(doc_url(doc, '/history'))).json['items']
    assert [e['action'] for e in items] == ['created', 'register', 'assign', 'start', 'complete']


def test_outgoing_transitions_to_sending(spec, clerk, leader):
    draft = create_json(spec, clerk, outgoing())
    assert draft['status'] == 'draft' and draft['origin_verdict'] is None
    conforms(spec, clerk.post(doc_url(draft, '/files'), upload_files=[('main_file', 'cv.pdf', pdf('Di'))],
                              headers=csrf(clerk), status=201))
    take(spec, clerk, draft, 'submit')
    take(spec, leader, draft, 'approve')
    numbered = take(spec, clerk, draft, 'number')
    assert numbered['status'] == 'numbered' and numbered['register_number'] == NEXT_OUTGOING
    assert numbered['number_symbol'] == f'{NEXT_OUTGOING}-CV/VPTU' and numbered['register_series'].startswith('outgoing/')
    voided = take(spec, clerk, draft, 'void', reason='Cấp nhầm số')
    assert voided['status'] == 'approved' and voided['register_number'] is None
    take(spec, clerk, draft, 'number')
    signed = take(spec, clerk, draft, 'sign')
    assert signed['signed_at'].endswith('+07:00')
    assert signed['origin_verdict'] == 'valid' and signed['legal_value'] == 'legally_valid'
    sent = take(spec, clerk, draft, 'send')
    assert sent['status'] == 'sent' and [a['action'] for a in sent['actions']] == ['update', 'recall']


def test_refusal_without_a_reason_is_409_invalid_input(spec, clerk, doc):
    res = take(spec, clerk, doc, 'refuse', status=409)
    assert res['error'] == 'invalid_input'
    assert [(e['field'], e['code']) for e in res['errors']] == [('reason', 'required')]
    assert conforms(spec, clerk.get(doc_url(doc))).json['status'] == 'arrived'


def test_action_not_allowed_from_this_status_is_409(spec, clerk, doc):
    assert take(spec, clerk, doc, 'complete', status=409)['error'] == 'transition_not_allowed'
    res = clerk.post_json(doc_url(doc, '/transitions/nonsense'), {}, headers=csrf(clerk), status=409)
    conforms(spec, res, check_request=False)              # the spec itself refuses the name
    assert res.json['error'] == 'transition_not_allowed'


def test_action_the_user_may_not_take_is_403(spec, leader, doc):
    assert take(spec, leader, doc, 'register', status=403)['error'] == 'forbidden'


def test_transitions_of_another_bodys_document_are_403(spec, other_clerk, doc):
    res = conforms(spec, other_clerk.get(doc_url(doc, '/transitions'), status=403))
    assert res.json['error'] == 'forbidden'


# -- registers --------------------------------------------------------------------------------

def test_register_of_each_kind(spec, clerk, doc):
    take(spec, clerk, doc, 'register')
    year = clock.today().year
    widths = {'incoming': 10, 'outgoing': 10, 'follow-up': 7}
    for kind, width in widths.items():
        table = conforms(spec, clerk.get(f'{REGISTERS}/{kind}', params={'year': year})).json
        assert table['subtitle'].endswith(f'năm {year}') and len(table['columns']) == width
        assert all(len(row) == width for row in table['rows'])
        if kind != 'outgoing':
            assert len(table['rows']) == 1
    incoming = conforms(spec, clerk.get(f'{REGISTERS}/incoming')).json
    assert incoming['title'] == 'Sổ đăng ký văn bản đến' and incoming['rows'][0][1] == '1'


def test_secret_register_hides_rows_from_who_may_not_see_them(spec, clerk, leader):
    secret = create_json(spec, clerk, incoming(classification='mat', abstract='Nội dung mật'))
    registered = take(spec, clerk, secret, 'register')
    assert registered['register_series'].split('/')[1].endswith('-mat')
    mine = conforms(spec, clerk.get(f'{REGISTERS}/incoming', params={'secret': 1})).json
    assert mine['subtitle'].endswith('văn bản mật') and 'Nội dung mật' in mine['rows'][0][5]
    theirs = conforms(spec, leader.get(f'{REGISTERS}/incoming', params={'secret': 1})).json
    assert theirs['rows'][0][1] == '1' and theirs['rows'][0][-1] == '(văn bản mật)'
    plain = conforms(spec, clerk.get(f'{REGISTERS}/incoming', params={'secret': 0})).json
    assert plain['rows'] == []


def test_register_exports(spec, clerk, doc):
    take(spec, clerk, doc, 'register')
    year = clock.today().year
    expected = {'csv': ('text/csv', b'\xef\xbb\xbf'),
                'xlsx': ('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', b'PK'),
                'pdf': ('application/pdf', b'%PDF')}
    for fmt, (media_type, magic) in expected.items():
        res = conforms(spec, clerk.get(f'{REGISTERS}/incoming', params={'format': fmt}))
        assert res.content_type == media_type and res.body.startswith(magic)
        assert res.headers['Content-Disposition'] == \
            f'attachment; filename="incoming-{year}.{fmt}"; filename*=UTF-8\'\'incoming-{year}.{fmt}'


def test_unknown_register_kind_is_404(spec, clerk):
    res = clerk.get(f'{REGISTERS}/archive', status=404)
    conforms(spec, res, check_request=False)              # the spec itself refuses the kind
    assert res.json['error'] == 'not_found'


def test_void_a_number_and_a_second_time_is_409(spec, clerk, leader):
    draft = create_json(spec, clerk, outgoing())
    take(spec, clerk, draft, 'submit')
    take(spec, leader, draft, 'approve')
    numbered = take(spec, clerk, draft, 'number')
    url = f'{REGISTERS}/outgoing/void'
    entry = {'series': numbered['register_series'], 'number': numbered['register_number'],
             'reason': 'Cấp nhầm số'}
    res = conforms(spec, leader.post_json(url, entry, headers=csrf(leader), status=403))
    assert res.json['error'] == 'forbidden'               # the clerk's to do
    res = conforms(spec, clerk.post_json(url, entry, headers=csrf(clerk)))
    assert res.json == {'number': NEXT_OUTGOING, 'void': True, 'void_reason': 'Cấp nhầm số'}
    res = conforms(spec, clerk.post_json(url, dict(entry, reason='lần hai'), headers=csrf(clerk),
                                         status=409))
    assert res.json['error'] == 'number_already_void'
    res = conforms(spec, clerk.post_json(url, dict(entry, number=99), headers=csrf(clerk), status=409))
    assert res.json['error'] == 'number_unknown'
    res = conforms(spec, clerk.post_json(f'{REGISTERS}/incoming/void', entry, headers=csrf(clerk),
                                         status=404))     # not a series of that register
    assert res.json['error'] == 'not_found'
    row = conforms(spec, clerk.get(f'{REGISTERS}/outgoing')).json['rows'][NEXT_OUTGOING - 1]
    assert row[0] == f'{NEXT_OUTGOING}-CV/VPTU' and row[-1] == 'Số đã hủy: Cấp nhầm số'


# -- the desk ---------------------------------------------------------------------------------

def test_desk_for_clerk_leader_and_processor(spec, clerk, leader, processor):
    urgent = create_json(spec, clerk, incoming(
        urgency='hoa_toc', received_at=clock.iso(clock.now() - dt.timedelta(hours=3))))

    def desk(client):
        found = conforms(spec, client.get('/api/v1/desk')).json
        assert found['counts'] == {**{q['name']: len(q['items']) for q in found['queues']},
                                   'overdue': len(found['overdue']), 'due_soon': len(found['due_soon'])}
        return found, {q['name']: q for q in found['queues']}

    found, queues = desk(clerk)
    assert list(queues) == ['incoming/arrived', 'incoming/recalled', 'outgoing/draft',
                            'outgoing/approved', 'outgoing/numbered', 'outgoing/signed']
    first = queues['incoming/arrived']['items'][0]
    assert first['id'] == urgent['id'] and first['late_handling'] is True
    assert queues['incoming/arrived']['title'] == 'Văn bản đến chờ vào sổ'
    take(spec, clerk, urgent, 'register')
    found, queues = desk(leader)
    assert list(queues) == ['incoming/registered', 'incoming/assigned', 'incoming/processing',
                            'outgoing/draft', 'outgoing/submitted']
    assert [d['id'] for d in queues['incoming/registered']['items']] == [urgent['id']]
    take(spec, leader, urgent, 'assign', main_processor='chuyenvien', days=1)
    found, queues = desk(processor)
    assert list(queues) == ['incoming/assigned', 'incoming/processing', 'outgoing/draft']
    assert [d['id'] for d in queues['incoming/assigned']['items']] == [urgent['id']]
    assert [d['id'] for d in found['due_soon']] == [urgent['id']] and found['overdue'] == []


# -- directory --------------------------------------------------------------------------------

def test_list_bodies(spec, clerk):
    items = conforms(spec, clerk.get('/api/v1/bodies')).json['items']
    assert HOST_CODE in [b['code'] for b in items]
    assert {b['open'] for b in items} == {True, False}       # a closed body is listed too


def test_get_body(spec, clerk):
    body = conforms(spec, clerk.get(f'/api/v1/bodies/{HOST_CODE}')).json
    assert [u['code'] for u in body['units']] == ['HCLT', 'TH']


def test_admin_creates_body_unit_and_user(spec, admin):
    headers = csrf(admin)
    body = conforms(spec, admin.post_json('/api/v1/bodies', {
        'code': '000.00.06.H01', 'name': 'Ban Nội chính Thành ủy', 'symbol': 'BNCTU',
        'parent_code': '000.00.00.H01'}, headers=headers, status=201)).json
    assert body['kind'] == 'party' and body['route'] == 'hosted' and body['units'] == []
    unit = conforms(spec, admin.post_json('/api/v1/bodies/000.00.06.H01/units', {
        'code': 'TH', 'name': 'Phòng Tổng hợp'}, headers=headers, status=201)).json
    assert unit == {'code': 'TH', 'name': 'Phòng Tổng hợp'}
    user = conforms(spec, admin.post_json('/api/v1/users', {
        'login': 'vanthu.bnc', 'full_name': 'Vũ Thị Văn Thư', 'body_code': '000.00.06.H01',
        'unit_code': 'TH', 'roles': ['clerk'], 'password': 'mat-khau-dai'},
        headers=headers, status=201)).json
    assert user['active'] is True and user['position'] is None


def test_admin_changes_roles_unit_and_units(spec, admin):
    headers = csrf(admin)
    user = conforms(spec, admin.put_json('/api/v1/users/vanthu/roles', {'roles': ['clerk', 'leader']},
                                         headers=headers)).json
    assert user['roles'] == ['clerk', 'leader']
    assert conforms(spec, admin.put_json('/api/v1/users/vanthu/unit', {'unit_code': 'TH'},
                                         headers=headers)).json['unit_code'] == 'TH'
    conforms(spec, admin.put_json('/api/v1/users/vanthu/unit', {'unit_code': None}, headers=headers))
    conforms(spec, admin.put_json('/api/v1/users/quantri/roles', {'roles': ['admin']}, headers=headers,
                                  status=409))
    unit = conforms(spec, admin.patch_json(f'/api/v1/bodies/{HOST_CODE}/units/TH', {'name': 'Phòng Tổng hợp 2'},
                                           headers=headers)).json
    assert unit == {'code': 'TH', 'name': 'Phòng Tổng hợp 2'}
    conforms(spec, admin.post_json(f'/api/v1/bodies/{HOST_CODE}/units', {'code': 'TT', 'name': 'Phòng TT'},
                                   headers=headers, status=201))
    conforms(spec, admin.delete(f'/api/v1/bodies/{HOST_CODE}/units/TT', headers=headers, status=204))
    conforms(spec, admin.delete(f'/api/v1/bodies/{HOST_CODE}/units/TH', headers=headers, status=409))
    conforms(spec, admin.get('/api/v1/security-events', params={'action': 'roles_changed'}))


def test_list_users(spec, admin):
    items = conforms(spec, admin.get('/api/v1/users')).json['items']
    assert 'vanthu.btc' in [u['login'] for u in items]


# -- errors -----------------------------------------------------------------------------------

def test_invalid_input_is_400_with_field_errors(spec, clerk):
    bad = incoming(organ_id='H01', issued_date='20/11/2026', received_at='2026-11-24T09:30:00',
                   abstract=None)
    res = conforms(spec, clerk.post_json(DOCS, bad, headers=csrf(clerk), status=400),
                   check_request=False)       # the spec itself refuses this input
    assert res.json['error'] == 'invalid_input'
    assert {(e['field'], e['code']) for e in res.json['errors']} == {
        ('organ_id', 'organ_id_malformed'), ('issued_date', 'date_invalid'),
        ('received_at', 'datetime_without_zone'), ('abstract', 'required')}


def test_cookie_call_without_csrf_token_is_400(spec, clerk):
    res = conforms(spec, clerk.post_json(DOCS, incoming(), status=400))
    assert res.json['error'] == 'csrf_invalid'


def test_other_body_clerk_gets_403_on_the_office_document(spec, other_clerk, doc):
    res = conforms(spec, other_clerk.get(doc_url(doc), status=403))
    assert res.json['error'] == 'forbidden'


def test_clerk_without_admin_role_gets_403_on_users(spec, clerk):
    assert conforms(spec, clerk.get('/api/v1/users', status=403)).json['error'] == 'forbidden'


def test_unknown_document_is_404(spec, clerk):
    res = conforms(spec, clerk.get(f'{DOCS}/{"0" * 32}', status=404))
    assert res.json['error'] == 'not_found'


def test_unknown_revision_is_404(spec, clerk, doc):
    res = conforms(spec, clerk.get(doc_url(doc, '/revisions/9'), status=404))
    assert res.json['error'] == 'not_found'


# -- what the spec promises of every route (issue 11, item 17) ----------------------------------

def _statuses_a_route_can_answer(path, method, operation, path_item):
    """401 without a login, 403 where a permission is checked, 404 where the path names a
    resource, 400 where input is read (a body, or query parameters), 409 (a conflict, at least
    ``busy_try_again``) and 413 (the web server's body cap) wherever a call writes."""
    if path == '/healthz':
        return set()
    statuses = {'401'} | ({'403'} if path != '/api/v1/me' else set()) | ({'404'} if '{' in path else set())
    queried = [p for p in operation.get('parameters', []) + path_item.get('parameters', [])
               if isinstance(p, dict) and p.get('in') == 'query']
    if method in ('post', 'patch', 'put', 'delete'):
        statuses |= {'400', '409', '413'}
    elif queried:
        statuses.add('400')
    return statuses


def test_every_operation_describes_every_status_it_can_answer():
    with open(SPEC_PATH, encoding='utf-8') as f:
        spec_doc = yaml.safe_load(f)
    missing = []
    for path, item in spec_doc['paths'].items():
        for method in set(item) & HTTP_METHODS:
            described = set(item[method]['responses'])
            for status in sorted(_statuses_a_route_can_answer(path, method, item[method], item) - described):
                missing.append(f'{method.upper()} {path}: {status}')
    assert not missing, '\n'.join(missing)
    assert 'PayloadTooLarge' in spec_doc['components']['responses']


def test_vocabularies_are_what_the_server_sends():
    from archive import security as S
    from archive.schemas import vocab
    with open(SPEC_PATH, encoding='utf-8') as f:
        schemas = yaml.safe_load(f)['components']['schemas']
    expected = {
        'Direction': vocab.DIRECTIONS, 'Urgency': vocab.URGENCIES, 'Classification': vocab.CLASSIFICATIONS,
        'ClassificationInput': vocab.CLASSIFICATIONS, 'Channel': vocab.CHANNELS, 'BodyKind': vocab.BODY_KINDS,
        'BodyRoute': vocab.ROUTES, 'SignerCompetence': vocab.COMPETENCES, 'Role': S.ROLES,
    }
    for name, values in expected.items():
        assert set(schemas[name]['enum']) - {None} == set(values), name
    delivery_route = schemas['Delivery']['properties']['route']['enum']
    assert set(delivery_route) == set(vocab.DELIVERY_ROUTES)


def test_a_body_reached_by_mailbox_conforms(spec, admin):
    body = conforms(spec, admin.post_json('/api/v1/bodies', {
        'code': '000.00.07.H01', 'name': 'Ban Kinh tế Thành ủy', 'symbol': 'BKTTU', 'route': 'mailbox',
        'address': 'vanthu@bankinhte.example'}, headers=csrf(admin), status=201)).json
    assert body['route'] == 'mailbox'
    listed = conforms(spec, admin.get('/api/v1/bodies')).json['items']
    assert 'mailbox' in {b['route'] for b in listed}


@pytest.mark.parametrize('params,field', [
    ({'start': '-1'}, 'start'), ({'start': 'abc'}, 'start'), ({'start': '1e3'}, 'start'),
    ({'limit': '0'}, 'limit'), ({'limit': '201'}, 'limit'), ({'limit': '1.5'}, 'limit'), ({'limit': ''}, 'limit'),
])
def test_paging_out_of_range_is_refused(spec, clerk, params, field):
    res = clerk.get(DOCS, params=params, status=400)
    conforms(spec, res, check_request=False)          # the spec itself refuses these values
    assert [(e['field'], e['code']) for e in res.json['errors']] == [(field, 'paging_invalid')]

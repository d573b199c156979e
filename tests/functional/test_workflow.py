"""Both lifecycles end to end, through the API and the pages, with users of each role."""
import datetime as dt

import pytest

from archive import audit, clock

from ..conftest import HOST_CODE, open_root
from ..helpers import NEXT_OUTGOING, add_main_pdf, incoming

API = f'/api/v1/bodies/{HOST_CODE}/documents'


def act(c, doc_id, action, status=200, **data):
    return c.post_json(f'{API}/{doc_id}/transitions/{action}', data, headers={'X-CSRF-Token': c.csrf},
                       status=status)


def actions(c, doc_id):
    return [a['action'] for a in c.get(f'{API}/{doc_id}/transitions').json['items']]


def test_incoming_lifecycle_through_the_api(app, clerk, leader, processor):
    doc = clerk.post_json(API, incoming(urgency='khan'), headers={'X-CSRF-Token': clerk.csrf}, status=201).json
    assert doc['status'] == 'arrived' and doc['origin_verdict'] == 'not_verified'
    assert actions(clerk, doc['id']) == ['register', 'refuse', 'recall', 'delete']
    assert actions(leader, doc['id']) == []
    registered = act(clerk, doc['id'], 'register').json
    assert registered['status'] == 'registered' and registered['register_number'] == 1
    act(clerk, doc['id'], 'register', status=409)                      # registering twice
    assert 'assign' in actions(leader, doc['id'])
    deadline = (clock.today() + dt.timedelta(days=10)).isoformat()
    assigned = act(leader, doc['id'], 'assign', instruction='Đề nghị chuyên viên tham mưu',
                   main_processor='chuyenvien', deadline=deadline).json
    assert assigned['status'] == 'assigned' and assigned['main_processor'] == 'chuyenvien'
    processor.get(f"{API}/{doc['id']}")                                # assigned: now visible to them
    assert actions(processor, doc['id']) == ['start', 'return']
    act(processor, doc['id'], 'start')
    act(leader, doc['id'], 'extend', deadline=(clock.today() + dt.timedelta(days=20)).isoformat(),
        reason='Cần thêm ý kiến các ban')
    reply = clerk.post_json(API, {'direction': 'outgoing', 'organ_id': HOST_CODE, 'doc_type': 'CV',
                                  'abstract': 'Trả lời'}, headers={'X-CSRF-Token': clerk.csrf}, status=201).json
    done = act(processor, doc['id'], 'complete', reply=reply['id'], note='Đã tham mưu trả lời').json
    assert done['status'] == 'completed' and done['reply'] == reply['id']
    assert actions(clerk, doc['id']) == []
    history = clerk.get(f"{API}/{doc['id']}/history").json['items']
    assert [(e['action'], e['details'].get('from'), e['details'].get('to')) for e in history] == [
        ('created', None, None), ('register', 'arrived', 'registered'), ('assign', 'registered', 'assigned'),
        ('start', 'assigned', 'processing'), ('extend', 'processing', 'processing'),
        ('complete', 'processing', 'completed')]
    assert history[4]['details']['comment'] == 'Cần thêm ý kiến các ban'
    conn, root = open_root(app)
    try:
        codes = [m['status_code'] for _k, m in root.outbox.items.items() if m['document'] == doc['id']]
        assert codes == ['03', '04', '05', '06']                      # status messages back to the sender
    finally:
        conn.close()


@pytest.mark.storage
def test_refusal_needs_a_reason_and_changes_nothing_without(app, clerk):
    doc = clerk.post_json(API, incoming(), headers={'X-CSRF-Token': clerk.csrf}, status=201).json
    res = act(clerk, doc['id'], 'refuse', status=409)
    assert [(e['field'], e['code']) for e in res.json['errors']] == [('reason', 'required')]
    assert clerk.get(f"{API}/{doc['id']}").json['status'] == 'arrived'
    refused = act(clerk, doc['id'], 'refuse', reason='Gửi nhầm địa chỉ').json
    assert refused['status'] == 'refused'
    conn, root = open_root(app)
    try:
        sent = [m for _k, m in root.outbox.items.items() if m['document'] == doc['id']]
        assert [(m['status_code'], m['description']) for m in sent] == [('02', 'Gửi nhầm địa chỉ')]
    finally:
        conn.close()


@pytest.mark.storage
def test_bad_transitions_are_refused_and_change_nothing(app, clerk, leader, processor, other_clerk):
    doc = clerk.post_json(API, incoming(), headers={'X-CSRF-Token': clerk.csrf}, status=201).json
    act(clerk, doc['id'], 'complete', status=409)                      # not from "arrived"
    act(leader, doc['id'], 'register', status=403)                     # not the leader's to do
    assert act(clerk, doc['id'], 'nonsense', status=409).json['error'] == 'transition_not_allowed'
    act(clerk, doc['id'], 'register')
    past = (clock.today() - dt.timedelta(days=1)).isoformat()
    res = act(leader, doc['id'], 'assign', main_processor='chuyenvien', deadline=past, status=409)
    assert ('deadline', 'deadline_past') in [(e['field'], e['code']) for e in res.json['errors']]
    res = act(leader, doc['id'], 'assign', main_processor='vanthu.btc', status=409)
    assert [(e['field'], e['code']) for e in res.json['errors']] == [('main_processor', 'person_not_of_body')]
    other_clerk.post_json(f"{API}/{doc['id']}/transitions/assign", {'main_processor': 'vanthu.btc'},
                          headers={'X-CSRF-Token': other_clerk.csrf}, status=403)
    after = clerk.get(f"{API}/{doc['id']}").json
    assert after['status'] == 'registered' and after['main_processor'] is None
    assert [e['action'] for e in clerk.get(f"{API}/{doc['id']}/history").json['items']] == ['created', 'register']


@pytest.mark.storage
def test_outgoing_lifecycle_numbers_without_gaps_and_void_keeps_the_number(app, clerk, leader, processor):
    draft = processor.post_json(API, {'direction': 'outgoing', 'organ_id': HOST_CODE, 'doc_type': 'TTr',
                                      'abstract': 'Tờ trình kế hoạch', 'holder_unit': 'TH',
                                      'signer_name': 'Trần Văn Lãnh Đạo'},
                                headers={'X-CSRF-Token': processor.csrf}, status=201).json
    assert draft['status'] == 'draft'
    add_main_pdf(processor, f"{API}/{draft['id']}")
    act(processor, draft['id'], 'submit')
    act(leader, draft['id'], 'return', reason='Sửa trích yếu')
    act(processor, draft['id'], 'submit')
    act(leader, draft['id'], 'approve')
    act(clerk, draft['id'], 'send', status=409)                        # no sending before signing
    first = act(clerk, draft['id'], 'number').json
    assert first['register_number'] == NEXT_OUTGOING and first['number_symbol'] == f'{NEXT_OUTGOING}-TTr/VPTU'
    assert first['issued_date'] == clock.today().isoformat()
    act(clerk, draft['id'], 'void', reason='Cấp nhầm số')
    n = NEXT_OUTGOING
    again = act(clerk, draft['id'], 'number').json
    assert again['register_number'] == n + 1 and again['number_symbol'] == f'{n + 1}-TTr/VPTU'
    act(clerk, draft['id'], 'sign')
    sent = act(clerk, draft['id'], 'send').json
    assert sent['status'] == 'sent' and sent['sent_at'].endswith('+07:00')
    register = clerk.get(f'/api/v1/bodies/{HOST_CODE}/registers/outgoing').json
    assert [r[0] for r in register['rows'][n - 1:]] == [f'{n}-TTr/VPTU', f'{n + 1}-TTr/VPTU']
    assert register['rows'][n - 1][-1] == 'Số đã hủy: Cấp nhầm số'
    series = again['register_series']
    res = clerk.post_json(f'/api/v1/bodies/{HOST_CODE}/registers/outgoing/void',
                          {'series': series, 'number': n, 'reason': 'lần hai'},
                          headers={'X-CSRF-Token': clerk.csrf}, status=409)
    assert res.json['error'] == 'number_already_void'                  # voiding twice
    leader.post_json(f'/api/v1/bodies/{HOST_CODE}/registers/outgoing/void',
                     {'series': series, 'number': n + 1, 'reason': 'x'}, headers={'X-CSRF-Token': leader.csrf},
                     status=403)
    held = clerk.post_json(f'/api/v1/bodies/{HOST_CODE}/registers/outgoing/void',
                           {'series': series, 'number': n + 1, 'reason': 'x'}, headers={'X-CSRF-Token': clerk.csrf},
                           status=409)
    assert held.json['error'] == 'transition_not_allowed'            # the sent document carries it
    missing = clerk.post_json(f'/api/v1/bodies/{HOST_CODE}/registers/outgoing/void',
                              {'series': 'no-such-series', 'number': 1, 'reason': 'x'},
                              headers={'X-CSRF-Token': clerk.csrf}, status=404)
    assert missing.json['error'] == 'not_found'                      # errors.Unknown, answered as 404
    for bad in (2.9, '2.9', True, 0, -1, 'hai'):
        clerk.post_json(f'/api/v1/bodies/{HOST_CODE}/registers/outgoing/void',
                        {'series': series, 'number': bad, 'reason': 'x'},
                        headers={'X-CSRF-Token': clerk.csrf}, status=400)
    for data in ({'user': 'x', 'registry': 1, 'action': 2}, {'comment': {'a': 1}}, {'comment': 'x' * 2001}):
        res = clerk.post_json(f"{API}/{draft['id']}/transitions/recall", data,
                              headers={'X-CSRF-Token': clerk.csrf}, expect_errors=True)
        assert res.status_int in (400, 409) and res.json['error'] in ('invalid_input', 'comment_invalid')
    clerk.get(f'/api/v1/bodies/{HOST_CODE}/registers/outgoing?year=0', status=400)


@pytest.mark.storage
def test_secret_documents_keep_their_own_series(app, clerk):
    plain = clerk.post_json(API, incoming(), headers={'X-CSRF-Token': clerk.csrf}, status=201).json
    secret = clerk.post_json(API, incoming(classification='mat', named_people=['lanhdao'], number_symbol='918-TTr/BTCTU'),
                             headers={'X-CSRF-Token': clerk.csrf}, status=201).json
    a = act(clerk, plain['id'], 'register').json
    b = act(clerk, secret['id'], 'register').json
    assert a['register_number'] == 1 and b['register_number'] == 1
    assert b['register_series'] == a['register_series'].replace('/den/', '/den-mat/')


def test_pages_show_only_the_actions_this_user_may_take(app, clerk, leader):
    doc = clerk.post_json(API, incoming(), headers={'X-CSRF-Token': clerk.csrf}, status=201).json
    page = clerk.get(f"/bodies/{HOST_CODE}/documents/{doc['id']}/")
    assert 'action-register' in page.forms and 'action-assign' not in page.forms
    res = page.forms['action-register'].submit('submit').follow()
    assert 'Đã tiếp nhận' in res.text
    page = leader.get(f"/bodies/{HOST_CODE}/documents/{doc['id']}/")
    assert 'action-register' not in page.forms
    form = page.forms['action-assign']
    form['main_processor'] = 'chuyenvien'
    form['instruction'] = 'Giao phòng Tổng hợp'
    res = form.submit('submit').follow()
    assert 'Đã chuyển xử lý' in res.text and 'Giao phòng Tổng hợp' in res.text
    refused = leader.get(f"/bodies/{HOST_CODE}/documents/{doc['id']}/").forms
    assert 'action-refuse' not in refused                             # not from "assigned"


def test_desks_list_what_waits_for_each_role(app, clerk, leader, processor):
    urgent = clerk.post_json(API, incoming(urgency='hoa_toc', abstract='Hỏa tốc',
                                           received_at=clock.iso(clock.now() - dt.timedelta(hours=3))),
                             headers={'X-CSRF-Token': clerk.csrf}, status=201).json
    def queue(c, name):
        desk = c.get('/api/v1/desk').json
        [found] = [q for q in desk['queues'] if q['name'] == name]
        assert desk['counts'][name] == len(found['items'])
        return found['items']
    to_register = queue(clerk, 'incoming/arrived')
    assert to_register[0]['id'] == urgent['id']                       # urgent rises to the top
    assert to_register[0]['late_handling'] is True                    # 3 hours, around the clock
    assert [d['late_handling'] for d in to_register[1:]] == [False] * 3   # the demo's, not urgent enough
    assert len(to_register) == 4
    assert [q['name'] for q in clerk.get('/api/v1/desk').json['queues']] == [
        'incoming/arrived', 'incoming/recalled', 'outgoing/draft', 'outgoing/approved',
        'outgoing/numbered', 'outgoing/signed']
    act(clerk, urgent['id'], 'register')
    assert [d['id'] for d in queue(leader, 'incoming/registered')] == [urgent['id']]
    act(leader, urgent['id'], 'assign', main_processor='chuyenvien', deadline=clock.today().isoformat())
    assert [d['id'] for d in queue(processor, 'incoming/assigned')] == [urgent['id']]
    assert [d['id'] for d in processor.get('/api/v1/desk').json['due_soon']] == [urgent['id']]
    assert queue(leader, 'incoming/assigned') == []                    # not the leader's to process
    page = processor.get('/desk')
    assert 'Văn bản giao cho tôi' in page.text and 'Hỏa tốc' in page.text


@pytest.mark.storage
def test_recall_and_delete_before_completion_and_forwarding(app, clerk, leader):
    first = clerk.post_json(API, incoming(), headers={'X-CSRF-Token': clerk.csrf}, status=201).json
    act(clerk, first['id'], 'register')
    act(leader, first['id'], 'assign', main_processor='chuyenvien')
    recalled = act(clerk, first['id'], 'recall', reason='Bên gửi thu hồi văn bản').json
    assert recalled['status'] == 'recalled'
    assert act(clerk, first['id'], 'delete', reason='Đã hủy theo yêu cầu thu hồi').json['status'] == 'destroyed'
    act(clerk, first['id'], 'recall', status=409, reason='lần nữa')
    second = clerk.post_json(API, incoming(), headers={'X-CSRF-Token': clerk.csrf}, status=201).json
    act(clerk, second['id'], 'register')
    res = act(clerk, second['id'], 'forward', status=409, to_body=HOST_CODE, reason='x')
    assert [(e['field'], e['code']) for e in res.json['errors']] == [('to_body', 'forward_target_invalid')]
    act(clerk, second['id'], 'forward', to_body='000.00.02.H01', reason='Thuộc thẩm quyền Ban Tổ chức')
    conn, root = open_root(app)
    try:
        kinds = [(m['kind'], m.get('status_code'), m.get('to_body'))
                 for _k, m in root.outbox.items.items() if m['document'] in (first['id'], second['id'])]
        assert kinds == [('status', '03', None), ('status', '04', None), ('status', '15', None),
                         ('status', '03', None)]
        from archive.exchange import deliveries          # forwarding is a delivery (issue 16, item 8)
        assert [(d.kind, d.receiver, d.reason) for d in deliveries.of_document(root, HOST_CODE, second['id'])] == [
            ('forward', '000.00.02.H01', 'Thuộc thẩm quyền Ban Tổ chức')]
        entries = audit.entries(root, f"doc:{first['id']}")
        assert [e['action'] for e in entries][-2:] == ['recall', 'delete']
    finally:
        conn.close()


def _signed_friday_sent(clerk, leader, sent_at, urgency='normal'):
    draft = clerk.post_json(API, {'direction': 'outgoing', 'organ_id': HOST_CODE, 'doc_type': 'CV',
                                  'abstract': 'Công văn', 'urgency': urgency, 'signer_name': 'Trần Văn Lãnh Đạo'}, headers={'X-CSRF-Token': clerk.csrf}, status=201).json
    add_main_pdf(clerk, f"{API}/{draft['id']}")
    # approved before it is signed: a leader's signature dated after the check is refused (issue 11)
    clock.set_now(dt.datetime(2026, 11, 20, 15, 0, tzinfo=clock.VN))
    try:
        for who, action in ((clerk, 'submit'), (leader, 'approve'), (clerk, 'number')):
            act(who, draft['id'], action)
        clock.set_now(dt.datetime(2026, 11, 20, 16, 0, tzinfo=clock.VN))   # signed a Friday afternoon
        act(clerk, draft['id'], 'sign')
        clock.set_now(sent_at)
        sent = act(clerk, draft['id'], 'send').json
    finally:
        clock.set_now(None)
    return sent, clerk.get(f"{API}/{draft['id']}/history").json['items'][-1]['details']


def test_sending_in_time_or_late_is_recorded(app, clerk, leader):
    monday_morning = dt.datetime(2026, 11, 23, 11, 0, tzinfo=clock.VN)
    sent, details = _signed_friday_sent(clerk, leader, monday_morning)
    assert details['late'] is False and details['send_limit'] == '2026-11-23T12:00:00+07:00'
    assert sent['sent_at'] == '2026-11-23T11:00:00+07:00'
    _sent, details = _signed_friday_sent(clerk, leader, dt.datetime(2026, 11, 23, 14, 0, tzinfo=clock.VN))
    assert details['late'] is True


@pytest.mark.parametrize('urgency', ['khan', 'hoa_toc'])
def test_an_urgent_document_is_late_after_the_urgent_window_not_the_next_morning(app, clerk, leader, urgency):
    """Art. 6.3, second paragraph: signed Friday 16:00, a 60-minute window (the default)."""
    _sent, details = _signed_friday_sent(clerk, leader, dt.datetime(2026, 11, 20, 17, 0, tzinfo=clock.VN), urgency)
    assert details['late'] is False and details['send_limit'] == '2026-11-20T17:00:00+07:00'
    one_second_past = dt.datetime(2026, 11, 20, 17, 0, 1, tzinfo=clock.VN)   # well before Monday noon
    _sent, details = _signed_friday_sent(clerk, leader, one_second_past, urgency)
    assert details['late'] is True


def test_the_urgent_window_is_a_setting(app, clerk, leader):
    app.registry.archive_settings.urgent_send_minutes = 90
    try:
        _sent, details = _signed_friday_sent(clerk, leader, dt.datetime(2026, 11, 20, 17, 20, tzinfo=clock.VN), 'khan')
    finally:
        app.registry.archive_settings.urgent_send_minutes = 60
    assert details['late'] is False and details['send_limit'] == '2026-11-20T17:30:00+07:00'


def test_an_incoming_number_is_not_voided_from_the_register(app, clerk):
    doc = clerk.post_json(API, incoming(), headers={'X-CSRF-Token': clerk.csrf}, status=201).json
    registered = act(clerk, doc['id'], 'register').json
    res = clerk.post_json(f'/api/v1/bodies/{HOST_CODE}/registers/incoming/void',
                          {'series': registered['register_series'], 'number': 1, 'reason': 'x'},
                          headers={'X-CSRF-Token': clerk.csrf}, status=409)
    assert res.json['error'] == 'number_in_use'
    assert clerk.get(f"{API}/{doc['id']}").json['register_number'] == 1


def test_a_refused_action_form_keeps_what_was_typed_and_names_the_field(app, clerk, leader):
    doc = clerk.post_json(API, incoming(), headers={'X-CSRF-Token': clerk.csrf}, status=201).json
    act(clerk, doc['id'], 'register')
    page = leader.get(f"/bodies/{HOST_CODE}/documents/{doc['id']}/")
    form = page.forms['action-assign']
    assert ('chuyenvien', 'Lê Thị Chuyên Viên (Chuyên viên)') in [
        (v, t) for v, _s, t in form['main_processor'].options]
    form['main_processor'] = 'chuyenvien'
    form['instruction'] = 'Đề nghị tham mưu gấp'
    form['deadline'].force_value((clock.today() - dt.timedelta(days=3)).isoformat())
    res = form.submit('submit', status=409)
    again = res.forms['action-assign']
    assert again['instruction'].value == 'Đề nghị tham mưu gấp'              # nothing typed is lost
    assert again['main_processor'].value == 'chuyenvien'
    assert ('deadline', 'deadline_past') in {(li.attrs['data-field'], li.attrs['data-code'])
                                             for li in res.html.select('details[open] ul.errors li')}
    assert 'Hạn xử lý không được trước hôm nay' in res.text
    assert clerk.get(f"{API}/{doc['id']}").json['status'] == 'registered'   # nothing changed
    again['deadline'] = (clock.today() + dt.timedelta(days=3)).isoformat()
    done = again.submit('submit').follow()
    assert 'Đã chuyển xử lý' in done.text

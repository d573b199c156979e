"""Who may widen the readers of a Mật document (Art. 5.1): only the holding body's clerk or one
of its leaders, with a reason, journaled; never an administrator, never someone of another body.
The API, the edit page and the assignment answer with the same codes."""
import pytest

from ..conftest import HOST_CODE, client, open_root
from ..helpers import multipart, pdf

API = f'/api/v1/bodies/{HOST_CODE}/documents'
MARKER = 'MARKER-MAT-READERS-51c2'


@pytest.fixture
def people(file_app):
    return {login: client(file_app, login)
            for login in ('vanthu', 'lanhdao', 'chuyenvien', 'luutru', 'quantri')}


@pytest.fixture
def secret(people):
    """A Mật incoming document entered by the clerk, with a file, read by the leader and the processor."""
    from ..helpers import incoming
    clerk = people['vanthu']
    params, files = multipart(incoming(classification='mat', named_people=['lanhdao', 'chuyenvien']),
                              ('mat.pdf', pdf(f'Noi dung {MARKER}')))
    return clerk.post(API, params, upload_files=files, headers={'X-CSRF-Token': clerk.csrf}, status=201).json


def patch(c, doc, values, status):
    return c.patch_json(f"{API}/{doc['id']}", values, headers={'X-CSRF-Token': c.csrf}, status=status).json


def history(c, doc):
    return [(e['action'], e['actor'], e['details']) for e in c.get(f"{API}/{doc['id']}/history").json['items']]


def readers_of(c, doc):
    return c.get(f"{API}/{doc['id']}").json['named_people']


# (who acts, whom they add, reason given) -> (status, error code, field of the error)
REFUSALS = [
    ('chuyenvien', 'luutru', 'Cần phối hợp', 403, 'forbidden', None),          # a named processor
    ('vanthu', 'quantri', 'Cần kiểm tra', 400, 'reader_is_admin', 'named_people'),
    ('lanhdao', 'quantri', 'Cần kiểm tra', 400, 'reader_is_admin', 'named_people'),
    ('vanthu', 'vanthu.btc', 'Ban Tổ chức cần xem', 400, 'person_unknown', 'named_people'),
    ('vanthu', 'khong-co-ai', 'Cần xem', 400, 'person_unknown', 'named_people'),
    ('vanthu', 'luutru', None, 400, 'readers_reason_required', 'readers_reason'),
    ('vanthu', 'luutru', '   ', 400, 'readers_reason_required', 'readers_reason'),
    ('vanthu', 'luutru', 42, 400, 'readers_reason_required', 'readers_reason'),
    ('vanthu', 'luutru', 'x' * 1001, 400, 'readers_reason_too_long', 'readers_reason'),
]


@pytest.mark.parametrize('actor,added,reason,status,code,field', REFUSALS)
def test_widening_is_refused_to_the_wrong_actor_and_for_the_wrong_person(
        people, secret, actor, added, reason, status, code, field):
    before = readers_of(people['vanthu'], secret)
    values = {'named_people': before + [added]}
    if reason is not None:
        values['readers_reason'] = reason
    res = patch(people[actor], secret, values, status)
    if field is None:
        assert res['error'] == code
    else:
        assert res['error'] == 'invalid_input'
        assert [(e['field'], e['code']) for e in res['errors']] == [(field, code)]
    assert readers_of(people['vanthu'], secret) == before
    assert 'readers_added' not in [a for a, _who, _d in history(people['vanthu'], secret)]
    people['luutru'].get(f"{API}/{secret['id']}/files/1", status=403)
    people['quantri'].get(f"{API}/{secret['id']}/files/1", status=403)


@pytest.mark.parametrize('actor', ['vanthu', 'lanhdao'])
def test_the_clerk_or_a_leader_adds_a_colleague_with_a_reason_journaled(people, secret, actor):
    before = readers_of(people['vanthu'], secret)
    changed = patch(people[actor], secret, {'named_people': before + ['luutru'],
                                            'readers_reason': 'Lưu trữ viên lập hồ sơ'}, 200)
    assert 'luutru' in changed['named_people'] and 'readers_reason' not in changed
    added = [(who, d) for a, who, d in history(people['vanthu'], secret) if a == 'readers_added']
    assert added == [(actor, {'people': ['luutru'], 'reason': 'Lưu trữ viên lập hồ sơ'})]
    assert MARKER.encode() in people['luutru'].get(f"{API}/{secret['id']}/files/1").body


def test_naming_someone_already_reading_needs_no_reason_and_writes_nothing(people, secret):
    """Changing another field of a Mật document sends the readers back unchanged: not a widening."""
    same = readers_of(people['vanthu'], secret)
    patch(people['chuyenvien'], secret, {'named_people': same, 'abstract': 'Trích yếu sửa'}, 200)
    assert 'readers_added' not in [a for a, _who, _d in history(people['vanthu'], secret)]


def test_the_edit_page_gives_the_same_answers(people, secret):
    url = f"/bodies/{HOST_CODE}/documents/{secret['id']}/edit"
    page = people['chuyenvien'].get(url)
    page.forms['document'].set('named_people', 'lanhdao\nchuyenvien\nluutru')
    page.forms['document'].submit('submit', status=403)

    page = people['vanthu'].get(url)
    form = page.forms['document']
    form['named_people'] = 'lanhdao\nchuyenvien\nquantri'
    refused = form.submit('submit', status=400)
    assert 'quản trị hệ thống' in refused.text and 'quantri' not in readers_of(people['vanthu'], secret)

    page = people['vanthu'].get(url)
    form = page.forms['document']
    form['named_people'] = 'lanhdao\nchuyenvien\nluutru'
    refused = form.submit('submit', status=400)
    assert 'Ghi lý do thêm người được xem' in refused.text
    form = refused.forms['document']
    form['readers_reason'] = 'Lập hồ sơ lưu trữ'
    form.submit('submit', status=303)
    assert 'luutru' in readers_of(people['vanthu'], secret)
    assert ('readers_added', 'vanthu', {'people': ['luutru'], 'reason': 'Lập hồ sơ lưu trữ'}) \
        in history(people['vanthu'], secret)


def act(c, doc, action, data=None, status=200):
    return c.post_json(f"{API}/{doc['id']}/transitions/{action}", data or {},
                       headers={'X-CSRF-Token': c.csrf}, status=status).json


def test_assigning_a_secret_document_widens_its_readers_by_the_same_rule(people, secret):
    act(people['vanthu'], secret, 'register')
    leader = people['lanhdao']
    refused = act(leader, secret, 'assign', {'main_processor': 'quantri'}, status=409)
    assert [(e['field'], e['code']) for e in refused['errors']] == [('main_processor', 'reader_is_admin')]
    refused = act(leader, secret, 'assign', {'main_processor': 'chuyenvien', 'co_processors': ['quantri']},
                  status=409)
    assert [(e['field'], e['code']) for e in refused['errors']] == [('co_processors', 'reader_is_admin')]
    act(leader, secret, 'assign', {'main_processor': 'chuyenvien', 'co_processors': ['luutru'],
                                   'instruction': 'Phối hợp lập hồ sơ'})
    assert 'luutru' in readers_of(people['vanthu'], secret)
    added = [(who, d) for a, who, d in history(people['vanthu'], secret) if a == 'readers_added']
    assert added == [('lanhdao', {'people': ['luutru'], 'reason': 'Phân công xử lý: Phối hợp lập hồ sơ'})]


def test_an_administrator_never_reads_a_secret_file_even_if_named_by_older_data(file_app, people, secret):
    import transaction
    conn, root = open_root(file_app)
    try:
        doc = root['bodies'][HOST_CODE].documents[secret['id']]
        doc.named_people = sorted(set(doc.named_people) | {'quantri'})      # as data from before the rule
        conn.transaction_manager.commit()
    finally:
        conn.close()
    transaction.abort()
    admin = people['quantri']
    admin.get(f"{API}/{secret['id']}", status=403)
    res = admin.get(f"{API}/{secret['id']}/files/1", status=403)
    assert MARKER.encode() not in res.body
    admin.get(f"/bodies/{HOST_CODE}/documents/{secret['id']}/1", status=403)

"""Correct records (#17 item 2): *Sửa* ends where the record is fixed (an incoming document
registered, an outgoing one signed), in the pages and the API; the same letter taken in twice
is noticed and needs a confirmation, which the journal keeps; a draft goes to the leader only
with its signer named."""
import pytest

from archive import audit

from ..conftest import HOST_CODE, open_root
from ..helpers import incoming

API = f'/api/v1/bodies/{HOST_CODE}/documents'
PAGES = f'/bodies/{HOST_CODE}/documents'


def act(c, doc_id, action, status=200, **data):
    return c.post_json(f'{API}/{doc_id}/transitions/{action}', data, headers={'X-CSRF-Token': c.csrf},
                       status=status)


def take_in(clerk, **over):
    return clerk.post_json(API, incoming(**over), headers={'X-CSRF-Token': clerk.csrf}, status=201).json


def test_an_incoming_document_is_editable_until_registered_then_fixed(clerk):
    doc = take_in(clerk)
    page = clerk.get(f"{PAGES}/{doc['id']}/")
    assert page.html.find('a', href=f"http://localhost{PAGES}/{doc['id']}/edit") is not None
    clerk.patch_json(f"{API}/{doc['id']}", {'abstract': 'Sửa trước khi vào sổ'},
                     headers={'X-CSRF-Token': clerk.csrf}, status=200)
    act(clerk, doc['id'], 'register')
    page = clerk.get(f"{PAGES}/{doc['id']}/")
    assert page.html.find('a', href=f"http://localhost{PAGES}/{doc['id']}/edit") is None    # Sửa not offered
    refused = clerk.get(f"{PAGES}/{doc['id']}/edit", status=409)
    assert 'đã vào sổ' in refused.text
    res = clerk.patch_json(f"{API}/{doc['id']}", {'abstract': 'Sửa sau khi vào sổ'},
                           headers={'X-CSRF-Token': clerk.csrf}, status=409)
    assert res.json['error'] == 'document_fixed'
    clerk.post(f"{API}/{doc['id']}/files", upload_files=[('attachments', 'x.pdf', b'%PDF-1.4 x')],
               headers={'X-CSRF-Token': clerk.csrf}, status=409)
    after = clerk.get(f"{API}/{doc['id']}").json
    assert after['abstract'] == 'Sửa trước khi vào sổ' and after['revision'] == doc['revision'] + 1


def test_a_signed_outgoing_document_is_fixed_and_changes_go_through_the_correction(clerk):
    """The demo's outgoing document 1-TB/VPTU is signed: no Sửa; a sent one offers Cập nhật, đính chính."""
    docs = clerk.get(API).json['items']
    [signed] = [d for d in docs if d['direction'] == 'outgoing' and d['status'] == 'signed']
    page = clerk.get(f"{PAGES}/{signed['id']}/")
    assert page.html.find('a', href=f"http://localhost{PAGES}/{signed['id']}/edit") is None
    page.forms['action-send'].submit('submit', status=303)
    page = clerk.get(f"{PAGES}/{signed['id']}/")
    assert 'action-update' in page.forms                              # Cập nhật, đính chính, with a reason
    form = clerk.get(f"{PAGES}/{signed['id']}/edit", status=409)
    assert 'Cập nhật, đính chính' in form.text
    clerk.patch_json(f"{API}/{signed['id']}", {'abstract': 'x'}, headers={'X-CSRF-Token': clerk.csrf}, status=409)


def test_the_same_letter_taken_in_twice_warns_and_needs_a_confirmation(app, clerk):
    first = take_in(clerk)
    act(clerk, first['id'], 'register')
    page = clerk.get(f'{PAGES}/new?direction=incoming')
    form = page.forms['document']
    for name, value in incoming(abstract='Tờ trình về công tác cán bộ (bản giấy)').items():
        if name in form.fields:
            form[name].force_value(value)
    warned = form.submit('submit', status=400)
    [error] = warned.html.select('ul.errors li')
    assert error['data-field'] == 'number_symbol' and error['data-code'] == 'same_letter'
    assert '917-TTr/BTCTU' in error.text and 'số đến 1' in error.text
    again = warned.forms['document']
    assert again['abstract'].value == 'Tờ trình về công tác cán bộ (bản giấy)'     # what was typed, kept
    count = len(clerk.get(API + '?limit=200').json['items'])
    res = clerk.post_json(API, incoming(), headers={'X-CSRF-Token': clerk.csrf}, status=400)
    assert [(e['field'], e['code']) for e in res.json['errors']] == [('number_symbol', 'same_letter')]
    assert len(clerk.get(API + '?limit=200').json['items']) == count                # nothing written
    again['confirm_duplicate'] = True
    done = again.submit('submit', status=303).follow()
    second = done.request.path.rstrip('/').rsplit('/', 1)[1]
    conn, root = open_root(app)
    try:
        [created] = [e for e in audit.entries(root, f'doc:{second}') if e['action'] == 'created']
        assert created['details']['same_letter_as'] == [first['id']]
    finally:
        conn.close()
    other = clerk.post_json(API + '?confirm_duplicate=true', incoming(), headers={'X-CSRF-Token': clerk.csrf},
                            status=201).json
    take_in(clerk, number_symbol='918-TTr/BTCTU')                     # another letter: no question
    take_in(clerk, issued_date='2026-11-21')
    assert other['id'] not in (first['id'], second)


@pytest.mark.parametrize('how', ['page', 'api'])
def test_a_draft_without_a_signer_cannot_be_submitted(clerk, how):
    draft = clerk.post_json(API, {'direction': 'outgoing', 'organ_id': HOST_CODE, 'doc_type': 'CV',
                                  'abstract': 'Công văn chưa ghi người ký'},
                            headers={'X-CSRF-Token': clerk.csrf}, status=201).json
    if how == 'api':
        res = act(clerk, draft['id'], 'submit', status=409)
        assert [(e['field'], e['code']) for e in res.json['errors']] == [('signer_name', 'signer_required')]
        assert 'Người ký' in res.json['errors'][0]['message']
    else:
        page = clerk.get(f"{PAGES}/{draft['id']}/")
        res = page.forms['action-submit'].submit('submit', status=409)
        [error] = res.html.select('details.action ul.errors li')
        assert error['data-code'] == 'signer_required' and '"Người ký"' in error.text
        assert 'signer_name' not in error.text
    assert clerk.get(f"{API}/{draft['id']}").json['status'] == 'draft'
    clerk.patch_json(f"{API}/{draft['id']}", {'signer_name': 'Trần Văn Lãnh Đạo'},
                     headers={'X-CSRF-Token': clerk.csrf})
    assert act(clerk, draft['id'], 'submit').json['status'] == 'submitted'


def test_a_database_made_before_the_letters_index_gets_it_from_evolve_step_0013(app, clerk):
    import datetime as dt

    from archive import evolve
    first = take_in(clerk)
    conn, root = open_root(app)
    try:
        documents = root['bodies'][HOST_CODE].documents
        del documents.letters                                   # as a body made before the step
        root.evolved.remove('0013-letters-index')
        assert documents.same_letter(first['organ_id'], first['number_symbol'], dt.date(2026, 11, 20)) == []
        assert evolve.evolve(root) == ['0013-letters-index']
        found = documents.same_letter(first['organ_id'], ' 917-ttr/btctu', dt.date(2026, 11, 20))
        assert [d.__name__ for d in found] == [first['id']]
        conn.transaction_manager.commit()
    finally:
        conn.close()
    res = clerk.post_json(API, incoming(), headers={'X-CSRF-Token': clerk.csrf}, status=400)
    assert res.json['errors'][0]['code'] == 'same_letter'

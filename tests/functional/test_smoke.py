"""The app starts on both storages, seeds the demo, serves login, pages and the API."""
import pytest

from ..conftest import HOST_CODE
from ..helpers import DEMO_DOCS, incoming


def test_healthz_without_login(anon):
    res = anon.get('/healthz')
    assert res.json['status'] == 'ok'
    assert res.json['database'] is True
    assert res.json['time'].endswith('+07:00')


def test_the_icon_browsers_ask_for_is_served_without_login_and_named_by_every_page(anon, clerk):
    """Browsers ask for /favicon.ico on every page load (it answered 404); the pages name the same
    icon in <link rel=icon>."""
    icon = anon.get('/favicon.ico', status=200)
    assert icon.content_type == 'image/vnd.microsoft.icon' and icon.body[:4] == b'\x00\x00\x01\x00'
    assert 'max-age=' in icon.headers['Cache-Control']
    for page in (anon.get('/login'), clerk.get('/desk')):
        [link] = page.html.select('head link[rel=icon]')
        assert anon.get(link['href'], status=200).body == icon.body


def test_front_page_needs_login(anon):
    res = anon.get('/', status=303)
    assert '/login' in res.location


def test_clerk_starts_at_the_desk_and_sees_own_body(clerk):
    desk = clerk.get('/').follow()
    assert 'Văn bản đến chờ vào sổ' in desk.text and '245-HD/BTCTU' in desk.text
    body = clerk.get(f'/bodies/{HOST_CODE}/')
    assert 'Văn phòng Thành ủy' in body.text and '245-HD/BTCTU' in body.text


def test_the_demo_letters_carry_their_date_of_issue(clerk):
    """A letter that arrived has a date of issue, before its arrival; the demo's two had none
    (its page showed an empty "Ngày ban hành")."""
    import datetime as dt
    listed = clerk.get(f'/api/v1/bodies/{HOST_CODE}/documents').json['items']
    for number in ('245-HD/BTCTU', '7816/VPCP-TTĐT'):
        doc = clerk.get(f"/api/v1/bodies/{HOST_CODE}/documents/"
                        f"{next(d['id'] for d in listed if d['number_symbol'] == number)}").json
        issued = dt.date.fromisoformat(doc['issued_date'])
        assert issued < dt.date.fromisoformat(doc['received_at'][:10]), number
        page = clerk.get(f"/bodies/{HOST_CODE}/documents/{doc['id']}/").html
        row = next(tr for tr in page.select('table.fields tr') if tr.th.get_text(strip=True) == 'Ngày ban hành')
        assert row.td.get_text(strip=True) == issued.strftime('%d/%m/%Y'), number


@pytest.mark.storage
def test_api_create_and_read(clerk):
    res = clerk.post_json(f'/api/v1/bodies/{HOST_CODE}/documents', incoming(),
                          headers={'X-CSRF-Token': clerk.csrf}, status=201)
    doc = res.json
    assert doc['number'] == 917 and doc['type_abbr'] == 'TTr' and doc['issuer_symbol'] == 'BTCTU'
    got = clerk.get(f"/api/v1/bodies/{HOST_CODE}/documents/{doc['id']}").json
    assert got['received_at'] == '2026-11-24T09:30:00+07:00'


def test_urgent_documents_rise_to_the_top_of_the_body_list(clerk):
    body = clerk.get(f'/bodies/{HOST_CODE}/')
    top = body.html.select_one('section.urgent-list')
    assert top is not None and '245-HD/BTCTU' in top.text            # the demo's khẩn document
    assert 'Khẩn' in top.text


@pytest.mark.storage
def test_a_conflict_that_outlasts_the_retries_answers_409(app, clerk):
    from pyramid.config import Configurator
    from ZODB.POSException import ConflictError
    calls = []

    def always_conflicting(request):
        calls.append(1)
        raise ConflictError()
    config = Configurator(registry=app.registry)
    config.add_route('test.conflict', '/api/v1/test-conflict')
    config.add_view(always_conflicting, route_name='test.conflict', renderer='json')
    config.commit()
    res = clerk.get('/api/v1/test-conflict', status=409)
    assert res.json['error'] == 'busy_try_again' and len(calls) == 3     # retry.attempts in the tests


def test_every_document_not_yet_fixed_can_be_edited_through_its_form(clerk):
    """Every demo document that is not registered (incoming) or signed (outgoing) yet; the
    others are fixed (tests/functional/test_correct_records.py)."""
    docs = clerk.get(f'/api/v1/bodies/{HOST_CODE}/documents').json['items']
    assert len(docs) == DEMO_DOCS
    open_states = {'incoming': {'arrived'}, 'outgoing': {'draft', 'submitted', 'approved', 'numbered'}}
    editable = [d for d in docs if d['status'] in open_states[d['direction']]]
    assert 0 < len(editable) < len(docs)
    for doc in docs:
        if doc not in editable:
            clerk.get(f"/bodies/{HOST_CODE}/documents/{doc['id']}/edit", status=409)
            continue
        page = clerk.get(f"/bodies/{HOST_CODE}/documents/{doc['id']}/edit")
        form = page.forms['document']
        assert form['abstract'].value == doc['abstract']
        form['abstract'] = doc['abstract'] + ' (đã sửa)'
        form.submit('submit').follow()
        after = clerk.get(f"/api/v1/bodies/{HOST_CODE}/documents/{doc['id']}").json
        assert after['abstract'] == doc['abstract'] + ' (đã sửa)'
        unchanged = {k: v for k, v in doc.items() if k not in ('abstract', 'modified_at', 'revision')}
        assert {k: after[k] for k in unchanged} == unchanged

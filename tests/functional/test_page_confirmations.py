"""Every action in the pages ends with a confirmation on the page it leads to, shown once (#17 item 1)."""
from ..conftest import HOST_CODE
from ..helpers import incoming

API = f'/api/v1/bodies/{HOST_CODE}/documents'


def flashes(page):
    return [p.text.strip() for p in page.html.select('p.flash')]


def test_taking_in_registering_and_assigning_each_say_what_was_done(clerk, leader):
    page = clerk.get(f'/bodies/{HOST_CODE}/documents/new?direction=incoming')
    form = page.forms['document']
    for name, value in incoming(urgency='khan').items():
        if name in form.fields:
            form[name].force_value(value)
    shown = form.submit('submit', status=303).follow()
    assert flashes(shown) == ['Đã lưu văn bản mới']
    assert flashes(clerk.get(shown.request.path)) == []                 # once
    registered = shown.forms['action-register'].submit('submit', status=303).follow()
    assert flashes(registered) == ['Đã thực hiện "Vào sổ văn bản đến": số 1']
    form = leader.get(registered.request.path).forms['action-assign']
    form['main_processor'] = 'chuyenvien'
    assert flashes(form.submit('submit', status=303).follow()) == ['Đã thực hiện "Phân công xử lý"']


def test_a_refused_action_shows_no_confirmation(clerk):
    doc = clerk.post_json(API, incoming(), headers={'X-CSRF-Token': clerk.csrf}, status=201).json
    page = clerk.get(f"/bodies/{HOST_CODE}/documents/{doc['id']}/")
    refused = page.forms['action-refuse'].submit('submit', status=409)
    assert flashes(refused) == [] and flashes(clerk.get(page.request.path)) == []


def test_the_reply_on_completion_is_picked_by_its_number_and_symbol(clerk, leader, processor):
    doc = clerk.post_json(API, incoming(), headers={'X-CSRF-Token': clerk.csrf}, status=201).json
    url = f"{API}/{doc['id']}/transitions"
    clerk.post_json(f'{url}/register', {}, headers={'X-CSRF-Token': clerk.csrf})
    leader.post_json(f'{url}/assign', {'main_processor': 'chuyenvien'}, headers={'X-CSRF-Token': leader.csrf})
    processor.post_json(f'{url}/start', {}, headers={'X-CSRF-Token': processor.csrf})
    [issued] = [d for d in clerk.get(API).json['items'] if d['number_symbol'] == '1-TB/VPTU']
    page = processor.get(f"/bodies/{HOST_CODE}/documents/{doc['id']}/")
    form = page.forms['action-complete']
    form['reply'] = '99-TB/VPTU'                                        # no such number issued
    refused = form.submit('submit', status=409)
    [error] = refused.html.select('details.action ul.errors li')
    assert error['data-field'] == 'reply' and error['data-code'] == 'reply_unknown'
    form = refused.forms['action-complete']
    assert form['reply'].value == '99-TB/VPTU'
    form['reply'] = '1-tb/vptu '
    done = form.submit('submit', status=303).follow()
    assert flashes(done) == ['Đã thực hiện "Hoàn thành"']
    assert clerk.get(f"{API}/{doc['id']}").json['reply'] == issued['id']

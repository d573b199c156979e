"""A counter of what waits for me, on every page (#17 item 5): the same number as the desk's queues."""
from ..conftest import HOST_CODE
from ..helpers import incoming

API = f'/api/v1/bodies/{HOST_CODE}/documents'


def counter(c, path='/desk'):
    return int(c.get(path).html.select_one('header.top .count.waiting')['data-waiting'])


def desk_total(c):
    counts = c.get('/api/v1/desk').json['counts']
    return sum(v for k, v in counts.items() if k not in ('overdue', 'due_soon'))


def test_the_counter_on_every_page_is_what_the_desk_lists(clerk, leader, processor):
    for c in (clerk, leader, processor):
        assert counter(c) == counter(c, f'/bodies/{HOST_CODE}/') == desk_total(c)
    before = counter(clerk)
    doc = clerk.post_json(API, incoming(urgency='khan'), headers={'X-CSRF-Token': clerk.csrf}, status=201).json
    assert counter(clerk) == before + 1 == desk_total(clerk)
    clerk.post_json(f"{API}/{doc['id']}/transitions/register", {}, headers={'X-CSRF-Token': clerk.csrf})
    assert counter(clerk) == before and counter(leader) == desk_total(leader)
    mine = counter(processor)
    leader.post_json(f"{API}/{doc['id']}/transitions/assign", {'main_processor': 'chuyenvien'},
                     headers={'X-CSRF-Token': leader.csrf})
    assert counter(processor) == mine + 1 == desk_total(processor)


def test_on_login_the_first_page_says_what_is_urgent_and_due_tomorrow(app, clerk):
    import datetime as dt

    from archive import clock

    from ..conftest import client
    doc = clerk.post_json(API, incoming(urgency='khan', number_symbol='918-TTr/BTCTU'),
                          headers={'X-CSRF-Token': clerk.csrf}, status=201).json
    clerk.post_json(f"{API}/{doc['id']}/transitions/register", {}, headers={'X-CSRF-Token': clerk.csrf})
    leader = client(app)
    first = leader.login('lanhdao').follow().follow()                # the desk, where login leads
    tomorrow = (clock.today() + dt.timedelta(days=1)).isoformat()
    urgent_waiting = sum(1 for q in leader.get('/api/v1/desk').json['queues'] for d in q['items']
                         if d['urgency'] != 'normal')
    flashed = [p.text for p in first.html.select('p.flash')]
    assert flashed == [f'Đang chờ xử lý: {urgent_waiting} văn bản khẩn, 0 văn bản đến hạn xử lý ngày mai']
    assert urgent_waiting >= 1
    from archive.views.flash import after_login
    english = leader.get(after_login('/desk') + '&_LOCALE_=en').html.select_one('p.flash').text
    assert english == f'Waiting for you: {urgent_waiting} urgent document{"s" if urgent_waiting > 1 else ""}, ' \
                      '0 documents due tomorrow'                # each count in the form it asks for
    assert leader.get('/desk').html.select('p.flash') == []              # only there
    leader.post_json(f"{API}/{doc['id']}/transitions/assign", {'main_processor': 'chuyenvien', 'deadline': tomorrow},
                     headers={'X-CSRF-Token': leader.csrf})
    processor = client(app)
    [flashed] = [p.text for p in processor.login('chuyenvien').follow().follow().html.select('p.flash')]
    assert flashed.endswith('1 văn bản đến hạn xử lý ngày mai')

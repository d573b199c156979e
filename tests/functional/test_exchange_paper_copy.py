"""The receiver's paper copy (Art. 8, issue 16 item 5): a package whose ``Paper`` flag is 1, taken
in through ``receive.accept``, waits on the receiving clerk's desk ("Chờ bản giấy đến") until the
clerk records the paper copy arrived — when, who received it, a note — by the document page's
form or the API; journaled on the document's chain, shown on the page (dd/mm/yyyy HH:mm) and in
the document's JSON. Bad input is refused alike in both channels, with the same code and nothing
written. And a ``TypeName`` we do not know is shown beside the type it fell back to."""
import datetime as dt
import re

import pytest
from openapi_core import Config, OpenAPI

from archive import audit, clock
from archive.exchange import edxml, receive
from archive.exchange.channels import kind_of
from archive.services import directory

from ..conftest import HOST_CODE, PASSWORD, client
from .test_exchange_axis import TheirSoftware
from .test_exchange_local import BTC, Session
from .test_exchange_real_traffic import E, their_package
from .test_openapi import SPEC_PATH, conforms

CLERK = 'vanthu.btc'
CLERK_NAME = 'Đỗ Thị Văn Thư'
API = f'/api/v1/bodies/{BTC}/documents'
PAGE = f'/bodies/{BTC}/documents'


@pytest.fixture(scope='module')
def their():
    return TheirSoftware()


@pytest.fixture(scope='module')
def spec():
    return OpenAPI.from_file_path(str(SPEC_PATH), config=Config(additional_properties_default_policy='forbid'))


@pytest.fixture
def btc(app, their):
    """The demo instance with the Government Office's certificate known and a leader at Ban Tổ chức."""
    their.register_with(app)
    with Session(app) as root:
        directory.add_user(root, {'login': 'lanhdao.btc', 'full_name': 'Lãnh đạo Ban Tổ chức', 'body_code': BTC,
                                  'roles': ['leader'], 'password': PASSWORD}, app.registry.archive_settings, 'test')
    return app


def paper_flag(root):
    root.find(f'{E}edXMLEnvelope/{E}edXMLHeader/{E}TraceHeaderList/{E}Bussiness/{E}Paper').text = '1'


def take_in(app, their, paper=True, **fields):
    """A package from the Government Office to Ban Tổ chức through ``receive.accept``; the document's name."""
    data = their_package(their, mutate=paper_flag if paper else None, **fields)
    receipt = receive.accept(app.registry, data, 'axis', kind_of(data))
    [taken] = receipt['receivers']
    assert taken['body'] == BTC
    return taken['document']


def csrf(c):
    return {'X-CSRF-Token': c.csrf}


def codes(res):
    return [(e['field'], e['code']) for e in res.json['errors']]


def page_codes(res):
    return re.findall(r'data-field="([^"]*)" data-code="([^"]+)"', res.text)


def journal(app, name, action='paper_arrived'):
    with Session(app) as root:
        chain = root['bodies'][BTC].documents[name].chain_id
        return [e for e in audit.entries(root, chain) if e['action'] == action]


def received_at(app, name):
    with Session(app) as root:
        return root['bodies'][BTC].documents[name].received_at


def desk_expected(c):
    return [i['document'] for i in c.get('/api/v1/desk').json.get('paper_expected', {}).get('items', [])]


def test_the_clerk_records_the_paper_copy_arrived_on_the_page(btc, their):
    app = btc
    name = take_in(app, their)
    clerk = client(app, CLERK)
    doc = clerk.get(f'{API}/{name}').json
    assert doc['exchange']['paper_follows'] is True and doc['exchange']['paper_arrived'] is None

    assert desk_expected(clerk) == [name]                                  # waiting on the desk
    desk = clerk.get('/desk')
    assert 'data-queue="paper_expected"' in desk.text and f'data-paper-expected="{name}"' in desk.text
    assert 'Chờ bản giấy đến' in desk.text

    page = clerk.get(f'{PAGE}/{name}')
    assert 'data-paper="awaited"' in page.text and 'data-paper="arrived"' not in page.text
    form = page.forms['paper-arrival']
    arrived = received_at(app, name) + dt.timedelta(seconds=1)
    form['arrived_at'] = clock.iso(arrived)
    form['received_by'] = 'Nguyễn Văn Bảo Vệ'
    form['note'] = 'Bản giấy số 2, phong bì niêm phong'
    form.submit(status=303)

    page = clerk.get(f'{PAGE}/{name}')
    shown = re.search(r'data-paper="arrived">.*?<strong>([^<]+)</strong>(.*?)</p>', page.text, re.S)
    assert shown[1] == clock.display(arrived) and re.fullmatch(r'\d\d/\d\d/\d{4} \d\d:\d\d', shown[1])
    assert 'Nguyễn Văn Bảo Vệ' in shown[2] and 'phong bì niêm phong' in shown[2]
    assert 'data-paper="awaited"' not in page.text and 'paper-arrival' not in page.forms
    assert 'Ghi nhận bản giấy đến' in page.text                           # the history names the entry

    record = clerk.get(f'{API}/{name}').json['exchange']['paper_arrived']
    assert record['at'] == clock.iso(arrived) and record['received_by'] == 'Nguyễn Văn Bảo Vệ'
    assert record['recorded_by'] == CLERK and record['note'] == 'Bản giấy số 2, phong bì niêm phong'
    [entry] = journal(app, name)
    assert entry['actor'] == CLERK and entry['details']['arrived_at'] == clock.iso(arrived)
    assert entry['details']['received_by'] == 'Nguyễn Văn Bảo Vệ'
    assert desk_expected(clerk) == [] and f'data-paper-expected="{name}"' not in clerk.get('/desk').text


def test_the_clerk_records_the_paper_copy_arrived_by_the_api(btc, their, spec):
    app = btc
    urgent = take_in(app, their, code_number='8126', other_info=edxml.OtherInfo(priority=1),
                     subject='Văn bản khẩn có bản giấy')
    name = take_in(app, their, code_number='8124', subject='Văn bản thường có bản giấy')
    clerk = client(app, CLERK)
    assert conforms(spec, clerk.get('/api/v1/desk')).json['paper_expected']['items'][0]['document'] == urgent
    assert set(desk_expected(clerk)) == {urgent, name}

    res = conforms(spec, clerk.post_json(f'{API}/{name}/paper-arrival', {}, headers=csrf(clerk)))
    record = res.json['exchange']['paper_arrived']
    assert record['received_by'] == CLERK_NAME and record['recorded_by'] == CLERK   # default: the clerk
    assert abs((clock.parse_iso(record['at']) - clock.now()).total_seconds()) < 60
    assert record['at'].endswith('+07:00') and record['note'] is None
    assert conforms(spec, clerk.get(f'{API}/{name}/history')).json['items'][-1]['action'] == 'paper_arrived'
    assert desk_expected(clerk) == [urgent]                                 # the other still waits

    # given in UTC with a Z, shown and answered in Vietnam time
    at = (received_at(app, urgent) + dt.timedelta(minutes=1)).astimezone(dt.timezone.utc).replace(microsecond=0)
    res = conforms(spec, clerk.post_json(f'{API}/{urgent}/paper-arrival',
                                         {'arrived_at': at.isoformat().replace('+00:00', 'Z'),
                                          'received_by': 'Văn thư trực', 'note': 'Qua bưu điện'}, headers=csrf(clerk)))
    assert res.json['exchange']['paper_arrived']['at'] == clock.iso(at)
    assert clock.display(at) in clerk.get(f'{PAGE}/{urgent}').text
    assert desk_expected(clerk) == []


# -- bad input: (json body, page fields) -> (status, field, code); refused alike, nothing written ------

def future(app, name):
    return clock.iso(clock.now() + dt.timedelta(hours=1))


def before_arrival(app, name):
    return clock.iso(received_at(app, name) - dt.timedelta(minutes=5))


BAD_TIMES = {
    'future time': (future, 'datetime_in_future'),
    'before the electronic one arrived': (before_arrival, 'paper_before_electronic'),
    'time without its zone': (lambda app, name: '2026-11-24T09:30:00', 'datetime_without_zone'),
}


@pytest.mark.parametrize('case', list(BAD_TIMES))
def test_a_bad_time_is_refused_alike_on_the_page_and_in_the_api(btc, their, spec, case):
    app = btc
    name = take_in(app, their)
    make, code = BAD_TIMES[case]
    value = make(app, name)
    clerk = client(app, CLERK)
    res = conforms(spec, clerk.post_json(f'{API}/{name}/paper-arrival', {'arrived_at': value}, headers=csrf(clerk),
                                         status=400), check_request=False)
    assert codes(res) == [('arrived_at', code)]

    form = clerk.get(f'{PAGE}/{name}').forms['paper-arrival']
    form['arrived_at'] = value
    res = form.submit(status=400)
    assert page_codes(res) == [('arrived_at', code)]
    assert re.search(r'<details[^>]*data-form="paper-arrival"\s+open="open"', res.text)     # open again, as typed
    assert res.forms['paper-arrival']['arrived_at'].value == value

    assert clerk.get(f'{API}/{name}').json['exchange']['paper_arrived'] is None   # nothing written
    assert journal(app, name) == [] and desk_expected(clerk) == [name]


def test_recorded_twice_is_refused_alike_and_the_first_record_kept(btc, their, spec):
    app = btc
    name = take_in(app, their)
    clerk = client(app, CLERK)
    clerk.post_json(f'{API}/{name}/paper-arrival', {}, status=400)                 # no CSRF token: nothing written
    assert journal(app, name) == []
    first = clerk.post_json(f'{API}/{name}/paper-arrival', {'note': 'Lần đầu'}, headers=csrf(clerk)).json
    res = conforms(spec, clerk.post_json(f'{API}/{name}/paper-arrival', {'note': 'Lần hai'}, headers=csrf(clerk),
                                         status=409))
    assert res.json['error'] == 'paper_arrival_already_recorded'
    assert clock.display(clock.parse_iso(first['exchange']['paper_arrived']['at'])) in res.json['message']
    res = clerk.post(f'{PAGE}/{name}/record-paper-arrival', {'note': 'Lần hai', 'csrf_token': clerk.csrf}, status=409)
    assert page_codes(res) == [('', 'paper_arrival_already_recorded')]
    assert clerk.get(f'{API}/{name}').json['exchange']['paper_arrived'] == first['exchange']['paper_arrived']
    assert len(journal(app, name)) == 1


def test_a_document_with_no_paper_copy_expected_is_refused_alike(btc, their, spec):
    app = btc
    name = take_in(app, their, paper=False)
    clerk = client(app, CLERK)
    assert clerk.get(f'{API}/{name}').json['exchange']['paper_follows'] is False
    page = clerk.get(f'{PAGE}/{name}')
    assert 'paper-arrival' not in page.forms and 'data-paper="awaited"' not in page.text
    assert desk_expected(clerk) == []
    res = conforms(spec, clerk.post_json(f'{API}/{name}/paper-arrival', {}, headers=csrf(clerk), status=409))
    assert res.json['error'] == 'paper_not_expected'
    res = clerk.post(f'{PAGE}/{name}/record-paper-arrival', {'csrf_token': clerk.csrf}, status=409)
    assert page_codes(res) == [('', 'paper_not_expected')]
    assert clerk.get(f'{API}/{name}').json['exchange']['paper_arrived'] is None and journal(app, name) == []


def test_a_document_not_taken_in_by_exchange_is_refused(btc, their, clerk):
    """A document of the host body entered by hand (no exchange at all): nothing expected."""
    with Session(btc) as root:
        name = next(iter(root['bodies'][HOST_CODE].documents.keys()))
    res = clerk.post_json(f'/api/v1/bodies/{HOST_CODE}/documents/{name}/paper-arrival', {},
                          headers=csrf(clerk), status=409)
    assert res.json['error'] == 'paper_not_expected'


@pytest.mark.parametrize('login', ['lanhdao.btc', 'vanthu'])
def test_not_the_receiving_clerk_is_refused_alike(btc, their, spec, login):
    """The leader of the receiving body sees the document but is not its clerk; the clerk of
    another body is not the receiver's."""
    app = btc
    name = take_in(app, their)
    other = client(app, login)
    res = conforms(spec, other.post_json(f'{API}/{name}/paper-arrival', {}, headers=csrf(other), status=403),
                   check_request=False)
    assert res.json['error'] == 'forbidden'
    other.post(f'{PAGE}/{name}/record-paper-arrival', {'csrf_token': other.csrf}, status=403)
    if login == 'lanhdao.btc':
        page = other.get(f'{PAGE}/{name}')
        assert 'data-paper="awaited"' in page.text and 'paper-arrival' not in page.forms
        assert 'paper_expected' not in other.get('/api/v1/desk').json          # not a leader's work
        assert 'data-queue="paper_expected"' not in other.get('/desk').text
    clerk = client(app, CLERK)
    assert clerk.get(f'{API}/{name}').json['exchange']['paper_arrived'] is None and journal(app, name) == []
    assert desk_expected(clerk) == [name]


# -- the type as the sender wrote it ----------------------------------------------------------------------

def test_an_unknown_type_name_is_shown_beside_the_type(btc, their):
    app = btc
    unknown = take_in(app, their, paper=False, document_type=edxml.DocumentType('99', name='Phiếu chuyển liên ngành'))
    known = take_in(app, their, paper=False, code_number='8125', document_type=edxml.DocumentType('12', name='Báo cáo'))
    clerk = client(app, CLERK)
    assert clerk.get(f'{API}/{unknown}').json['doc_type'] == 'CV'
    row = re.search(r'<th>Loại văn bản</th><td>(.*?)</td>', clerk.get(f'{PAGE}/{unknown}').text, re.S)[1]
    assert 'Công văn (CV)' in row and 'data-type-name="Phiếu chuyển liên ngành"' in row
    assert '«Phiếu chuyển liên ngành»' in row
    row = re.search(r'<th>Loại văn bản</th><td>(.*?)</td>', clerk.get(f'{PAGE}/{known}').text, re.S)[1]
    assert 'Báo cáo (BC)' in row and 'data-type-name' not in row           # the name is the type's own

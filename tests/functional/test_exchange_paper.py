"""Paper (Art. 7.4, 8) and the clerk's records on a delivery row, through the real app: a delivery
driven past the retry limit by the real worker (the receiver's instance at a closed loopback port)
waits on the sending clerk's desk until the clerk records the paper sent, by the page's form or
the API; an Art. 8 document gets a paper row per receiver beside the electronic one, its package
says Paper=1, and the receivers' statuses still land on the electronic rows; the clerk records
the statuses of a delivery to a person's mailbox. Bad input is refused alike in both channels,
with nothing written."""
import datetime as dt
import re
import time

import pytest
from openapi_core import Config, OpenAPI

from archive import audit, clock
from archive.exchange import deliveries, edxml, mapping, outgoing, worker

from ..conftest import HOST_CODE, base_settings, client, close_app, file_uri, free_port, make_app
from .test_exchange_local import API, BTC, BTG, Session, act, exchange_app, received, send  # noqa: F401 (a fixture)
from .test_openapi import SPEC_PATH, conforms

RETRY = {'archive.delivery_retry_seconds': '0.01', 'archive.delivery_retry_cap_seconds': '0.02',
         'archive.delivery_max_attempts': '2'}
ART8 = 'to_chuc_nhan_su'


@pytest.fixture
def file_app(tmp_path):
    """The exchange app (``exchange_app`` builds on this) with a short retry policy: two tries."""
    application = make_app(base_settings(tmp_path, file_uri(tmp_path), **RETRY))
    yield application
    close_app(application)


@pytest.fixture(scope='module')
def spec():
    return OpenAPI.from_file_path(str(SPEC_PATH), config=Config(additional_properties_default_policy='forbid'))


def csrf(c):
    return {'X-CSRF-Token': c.csrf}


def unreachable(app, code):
    """``code`` now lives on another instance that never answers (a closed loopback port)."""
    with Session(app) as root:
        body = root['bodies'][code]
        body.route, body.address = 'instance', f'http://127.0.0.1:{free_port()}'


def rows_of(app, doc_id):
    with Session(app) as root:
        return [(d.id, d.receiver, d.route, d.state, [s['code'] for s in d.statuses])
                for d in deliveries.of_document(root, HOST_CODE, doc_id)]


def on_paper(app, abstract='Bên nhận không trả lời'):
    """A document to BTC whose delivery the real worker took past the retry limit; (document, delivery id)."""
    unreachable(app, BTC)
    sent = send(app, [BTC], abstract=abstract)
    for _ in range(40):
        worker.run_round(app.registry)
        [(delivery_id, _r, _route, state, _codes)] = rows_of(app, sent['id'])
        if state == 'paper':
            return sent, delivery_id
        time.sleep(0.03)
    raise AssertionError(f'the delivery did not go on paper: {state}')


def paper_url(doc, delivery_id, tail='paper'):
    return f"{API}/{doc['id']}/deliveries/{delivery_id}/{tail}"


def journal(app, doc_id, action):
    with Session(app) as root:
        chain = root['bodies'][HOST_CODE].documents[doc_id].chain_id
        return [e for e in audit.entries(root, chain) if e['action'] == action]


def paper_state(app, delivery_id):
    with Session(app) as root:
        d = deliveries.exchange_of(root).deliveries[delivery_id]
        return d.paper_sent_at, d.paper_means, d.needs_paper


def desk_paper(c):
    return [i['delivery'] for i in c.get('/api/v1/desk').json.get('paper', {}).get('items', [])]


def refused(spec, res):
    """The answer to input the spec itself may refuse: only the response is checked."""
    return conforms(spec, res, check_request=False)


def codes(res):
    return [(e['field'], e['code']) for e in res.json['errors']]


def page_codes(res):
    return re.findall(r'data-field="([^"]*)" data-code="([^"]+)"', res.text)


# -- past the retry limit -------------------------------------------------------------------------

def test_past_the_retry_limit_the_clerk_records_the_paper_sent_on_the_page(exchange_app, spec):
    app = exchange_app
    sent, delivery_id = on_paper(app)
    clerk = client(app, 'vanthu')
    desk = conforms(spec, clerk.get('/api/v1/desk')).json
    [item] = [i for i in desk['paper']['items'] if i['delivery'] == delivery_id]
    assert item['document'] == sent['id'] and item['receiver'] == BTC and item['reason'] == 'retry_limit'
    assert item['attempts'] == 2 and '127.0.0.1' in item['last_error'] and item['since'].endswith('+07:00')
    page = clerk.get('/desk')
    assert 'data-queue="paper"' in page.text and f'data-paper="{delivery_id}"' in page.text
    assert 'Cần gửi bản giấy' in page.text
    assert desk_paper(client(app, 'vanthu.btc')) == []            # not the receiving body's work
    processor = client(app, 'chuyenvien')                           # nor a processor's
    assert 'paper' not in processor.get('/api/v1/desk').json and 'data-queue="paper"' not in processor.get('/desk').text

    doc_page = clerk.get(f"/bodies/{HOST_CODE}/documents/{sent['id']}")
    assert 'data-paper="needed"' in doc_page.text and 'data-errors="2"' in doc_page.text
    form = doc_page.forms[f'paper-{delivery_id}']
    form['means'] = 'post'
    form['note'] = 'Gửi qua bưu điện, số bưu gửi RR123'
    form.submit(status=303)
    sent_at, means, needed = paper_state(app, delivery_id)
    assert means == 'post' and not needed and abs((clock.now() - sent_at).total_seconds()) < 120
    doc_page = clerk.get(f"/bodies/{HOST_CODE}/documents/{sent['id']}")
    shown = (rf'data-paper="sent"><span>Đã gửi bản giấy</span> <time datetime="{re.escape(clock.iso(sent_at))}">'
             rf'{re.escape(clock.display(sent_at))}</time>')        # as people write it, ISO for machines
    assert re.search(shown, doc_page.text)
    assert f'paper-{delivery_id}' not in doc_page.forms
    assert delivery_id not in desk_paper(clerk)
    [entry] = journal(app, sent['id'], 'paper_sent')
    assert entry['actor'] == 'vanthu' and entry['details']['receiver'] == BTC
    assert entry['details']['means'] == 'post' and entry['details']['sent_at'].endswith('+07:00')
    assert 'RR123' in entry['details']['note']

    again = form.submit(status=409)                                # the same form a second time
    assert ('', 'paper_already_recorded') in page_codes(again)
    assert len(journal(app, sent['id'], 'paper_sent')) == 1


def test_bad_input_is_refused_alike_on_the_page_and_in_the_api_with_nothing_written(exchange_app, spec):
    app = exchange_app
    sent, delivery_id = on_paper(app)
    clerk, processor, other = client(app, 'vanthu'), client(app, 'chuyenvien'), client(app, 'vanthu.btc')
    url = paper_url(sent, delivery_id)
    tomorrow = clock.iso(clock.now() + dt.timedelta(days=1))

    res = refused(spec, clerk.post_json(url, {'means': 'post', 'sent_at': tomorrow}, headers=csrf(clerk), status=400))
    assert codes(res) == [('sent_at', 'datetime_in_future')]
    res = refused(spec, clerk.post_json(url, {'means': 'post', 'sent_at': '2020-01-01T08:00:00+07:00'},
                                        headers=csrf(clerk), status=400))
    assert codes(res) == [('sent_at', 'paper_before_sending')]                 # before the document went
    res = refused(spec, clerk.post_json(url, {'note': 'x'}, headers=csrf(clerk), status=400))
    assert codes(res) == [('means', 'required')]
    res = refused(spec, clerk.post_json(url, {'means': 'other'}, headers=csrf(clerk), status=400))
    assert codes(res) == [('means_other', 'paper_means_other_required')]
    res = refused(spec, clerk.post_json(url, {'means': 'fax'}, headers=csrf(clerk), status=400))
    assert codes(res) == [('means', 'paper_means_unknown')]
    res = refused(spec, clerk.post_json(url, {'means': 'hand', 'sent_at': '2026-11-24T09:30:00'},
                                         headers=csrf(clerk), status=400))
    assert codes(res) == [('sent_at', 'datetime_without_zone')]
    assert conforms(spec, processor.post_json(url, {'means': 'post'}, headers=csrf(processor),
                                              status=403)).json['error'] == 'forbidden'
    other.post_json(url, {'means': 'post'}, headers=csrf(other), status=403)     # another body's document
    clerk.post_json(paper_url(sent, 'f' * 32), {'means': 'post'}, headers=csrf(clerk), status=404)
    clerk.post_json(url, {'means': 'post'}, status=400)                          # no CSRF token

    page_url = f"/bodies/{HOST_CODE}/documents/{sent['id']}"
    form = clerk.get(page_url).forms[f'paper-{delivery_id}']
    form['sent_at'] = tomorrow
    form['means'] = 'post'
    res = form.submit(status=400)
    assert ('sent_at', 'datetime_in_future') in page_codes(res)
    assert re.search(r'<details[^>]*data-form="paper"\s+open="open"', res.text)   # open again, as typed
    form = res.forms[f'paper-{delivery_id}']
    assert form['sent_at'].value == tomorrow
    form['sent_at'] = ''
    form['means'] = ''
    assert ('means', 'required') in page_codes(form.submit(status=400))
    token = processor.csrf
    processor.post(f'{page_url}/record-paper', {'delivery': delivery_id, 'means': 'post', 'csrf_token': token},
                   status=403)
    other.post(f'{page_url}/record-paper', {'delivery': delivery_id, 'means': 'post', 'csrf_token': other.csrf},
               status=403)

    assert paper_state(app, delivery_id) == (None, None, True)                  # nothing written
    assert journal(app, sent['id'], 'paper_sent') == [] and delivery_id in desk_paper(clerk)

    leader = client(app, 'lanhdao')                                               # the leader may too
    with Session(app) as root:          # a moment after the document went, in UTC with a Z
        queued = deliveries.exchange_of(root).deliveries[delivery_id].queued_at
    an_hour_ago = (queued + dt.timedelta(seconds=1)).astimezone(dt.timezone.utc).replace(microsecond=0)
    res = conforms(spec, leader.post_json(url, {'means': 'other', 'means_other': 'Giao liên', 'note': 'Bản số 2',
                                                'sent_at': an_hour_ago.isoformat().replace('+00:00', 'Z')},
                                          headers=csrf(leader)))
    assert res.json['paper_sent_at'] == clock.iso(an_hour_ago) and res.json['paper_sent_by'] == 'lanhdao'
    assert (res.json['paper_means'], res.json['paper_means_other']) == ('other', 'Giao liên')
    assert res.json['state'] == 'paper' and len(res.json['errors']) == 2
    res = conforms(spec, clerk.post_json(url, {'means': 'post'}, headers=csrf(clerk), status=409))
    assert res.json['error'] == 'paper_already_recorded'
    assert len(journal(app, sent['id'], 'paper_sent')) == 1


# -- Art. 8: electronically and on paper ----------------------------------------------------------

def test_an_art8_document_goes_electronically_and_on_paper(exchange_app, spec):
    app = exchange_app
    sent = send(app, [BTC, BTG], abstract='Quyết định về công tác cán bộ', paper_category=ART8)
    assert sent['paper_category'] == ART8
    rows = rows_of(app, sent['id'])
    electronic = {r[1]: r[0] for r in rows if r[2] == 'hosted'}
    paper = {r[1]: r[0] for r in rows if r[2] == 'paper'}
    assert set(electronic) == set(paper) == {BTC, BTG}
    assert all(r[3] == ('paper' if r[2] == 'paper' else 'pending') for r in rows)
    with Session(app) as root:
        assert deliveries.queue_state(root)['waiting'] == {'hosted': 2}            # paper rows are not queued
        doc = root['bodies'][HOST_CODE].documents[sent['id']]
        package = mapping.package_for(root, doc, root['bodies'][BTC], app.registry.archive_settings, 'test')
        data = outgoing.signed_bytes(app.registry.archive_settings, HOST_CODE, edxml.encode_package(package))
    assert b'<edXML:Paper>1</edXML:Paper>' in data                    # a paper copy follows
    assert edxml.decode_package(data)[0].business.paper == 1

    assert worker.run_round(app.registry) == 4                      # two deliveries, two statuses 01
    act(app, BTC, sent_document_id(app, sent), 'vanthu.btc', 'register')
    worker.run_round(app.registry)
    by_id = {r[0]: r for r in rows_of(app, sent['id'])}
    assert by_id[electronic[BTC]][3:] == ('delivered', ['01', '03'])
    assert by_id[electronic[BTG]][3:] == ('delivered', ['01'])
    assert by_id[paper[BTC]][3:] == by_id[paper[BTG]][3:] == ('paper', [])   # no status lands on paper
    with Session(app) as root:
        for code in (BTC, BTG):
            [copy] = received(root, code, sent_document_id(app, sent))
            assert copy.state in ('arrived', 'registered')

    clerk = client(app, 'vanthu')
    items = [i for i in conforms(spec, clerk.get('/api/v1/desk')).json['paper']['items']
             if i['document'] == sent['id']]
    assert sorted(i['delivery'] for i in items) == sorted(paper.values())
    assert {(i['reason'], i['category'], i['route']) for i in items} == {('art8', ART8, 'paper')}
    assert items[0]['category_label'] == 'Tổ chức bộ máy, nhân sự'
    rows_json = conforms(spec, clerk.get(f"{API}/{sent['id']}/deliveries")).json['items']
    assert {r['route'] for r in rows_json} == {'hosted', 'paper'}
    page = clerk.get(f"/bodies/{HOST_CODE}/documents/{sent['id']}")
    assert 'data-paper-category="to_chuc_nhan_su"' in page.text and 'Bản giấy (Điều 8)' in page.text
    assert f'paper-{electronic[BTC]}' not in page.forms                      # nothing owed on that row

    form = page.forms[f'paper-{paper[BTC]}']
    form['means'] = 'hand'
    form.submit(status=303)
    conforms(spec, clerk.post_json(paper_url(sent, paper[BTG]), {'means': 'post'}, headers=csrf(clerk)))
    assert not set(paper.values()) & set(desk_paper(clerk))
    res = conforms(spec, clerk.post_json(paper_url(sent, electronic[BTG]), {'means': 'post'},
                                         headers=csrf(clerk), status=409))
    assert res.json['error'] == 'paper_not_needed'
    assert len(journal(app, sent['id'], 'paper_sent')) == 2


def test_the_paper_queue_is_urgent_first_then_the_longest_waiting(exchange_app):
    app = exchange_app
    first = send(app, [BTC], abstract='Thường, gửi trước', paper_category=ART8)
    urgent = send(app, [BTC], abstract='Hỏa tốc, gửi sau', paper_category=ART8, urgency='hoa_toc')
    last = send(app, [BTC], abstract='Thường, gửi sau cùng', paper_category='tai_chinh')
    clerk = client(app, 'vanthu')
    items = clerk.get('/api/v1/desk').json['paper']['items']
    assert [i['document'] for i in items] == [urgent['id'], first['id'], last['id']]
    page = clerk.get('/desk').text
    assert page.index('Hỏa tốc, gửi sau') < page.index('Thường, gửi trước') \
        < page.index('Thường, gửi sau cùng')


def sent_document_id(app, sent):
    with Session(app) as root:
        return root['bodies'][HOST_CODE].documents[sent['id']].document_id


def test_paper_category_is_checked_like_the_document_type(exchange_app, spec):
    clerk = client(exchange_app, 'vanthu')
    base = {'direction': 'outgoing', 'organ_id': HOST_CODE, 'doc_type': 'CV', 'abstract': 'Thử'}
    res = refused(spec, clerk.post_json(f'{API}', dict(base, paper_category='khong_co'), headers=csrf(clerk),
                                         status=400))
    assert codes(res) == [('paper_category', 'paper_category_unknown')]
    res = refused(spec, clerk.post_json(f'{API}', dict(base, direction='incoming', number_symbol='9-CV/BTCTU',
                                                        organ_id=BTC, paper_category=ART8),
                                         headers=csrf(clerk), status=400))
    assert codes(res) == [('paper_category', 'paper_category_outgoing_only')]
    page = clerk.get(f'/bodies/{HOST_CODE}/documents/new?direction=outgoing')
    options = [value for value, _selected, _text in page.forms['document']['paper_category'].options]
    assert options[0] == '' and ART8 in options and 'tai_chinh' in options
    form = page.forms['document']
    form['doc_type'], form['abstract'], form['paper_category'] = 'CV', 'Thử qua biểu mẫu', 'tai_chinh'
    res = form.submit(status=303).follow()
    assert 'data-paper-category="tai_chinh"' in res.text
    plain = send(exchange_app, [BTG], abstract='Không thuộc Điều 8')
    assert plain['paper_category'] is None
    assert [r[2] for r in rows_of(exchange_app, plain['id'])] == ['hosted']
    with Session(exchange_app) as root:
        doc = root['bodies'][HOST_CODE].documents[plain['id']]
        assert mapping.business_of(root, doc).paper == 0


def test_the_categories_come_from_the_settings(tmp_path):
    from archive import settings as archive_settings
    loaded = archive_settings.load(base_settings(tmp_path, file_uri(tmp_path),
                                                 **{'archive.paper_also_categories': 'nhan_su = Nhân sự\n'
                                                                                    'tai_chinh = Tài chính'}))
    assert loaded.paper_also_categories == {'nhan_su': 'Nhân sự', 'tai_chinh': 'Tài chính'}
    with pytest.raises(ValueError):
        archive_settings.load(base_settings(tmp_path, file_uri(tmp_path),
                                            **{'archive.paper_also_categories': 'Nhân sự'}))
    assert 'to_chuc_nhan_su' in archive_settings.load(base_settings(tmp_path, file_uri(tmp_path))).paper_also_categories


# -- a person's mailbox ---------------------------------------------------------------------------

def handed_over(app, delivery_id):
    """What the mailbox channel does once it has mailed the PDF and summary (its worker issue)."""
    with Session(app) as root:
        ex = deliveries.exchange_of(root)
        d = ex.deliveries[delivery_id]
        ex.queue.pop(d.queue_key(), None)
        d.state, d.delivered_at, d.attempts = deliveries.DELIVERED, clock.now(), 1


def test_the_clerk_records_the_statuses_of_a_delivery_to_a_mailbox(exchange_app, spec):
    app = exchange_app
    with Session(app) as root:
        body = root['bodies'][BTG]
        body.route, body.address = 'mailbox', 'truong.ban@example.vn'
    sent = send(app, [BTG, BTC], abstract='Gửi hộp thư cá nhân')
    by_receiver = {r[1]: r[0] for r in rows_of(app, sent['id'])}
    mailbox, hosted = by_receiver[BTG], by_receiver[BTC]
    clerk, processor = client(app, 'vanthu'), client(app, 'chuyenvien')
    url = paper_url(sent, mailbox, 'statuses')

    res = conforms(spec, clerk.post_json(url, {'code': '03'}, headers=csrf(clerk), status=409))
    assert res.json['error'] == 'delivery_not_handed_over'                    # nothing mailed yet
    handed_over(app, mailbox)
    page = clerk.get(f"/bodies/{HOST_CODE}/documents/{sent['id']}")
    assert f'status-{hosted}' not in page.forms                               # statuses come by exchange there
    form = page.forms[f'status-{mailbox}']
    form['code'] = '03'
    form['note'] = 'Anh Trưởng ban báo đã nhận qua điện thoại'
    form.submit(status=303)
    form = clerk.get(f"/bodies/{HOST_CODE}/documents/{sent['id']}").forms[f'status-{mailbox}']
    form['code'] = '02'
    assert ('reason', 'status_reason_required') in page_codes(form.submit(status=400))

    tomorrow = clock.iso(clock.now() + dt.timedelta(days=1))
    for body, expected in (({'code': '02'}, [('reason', 'status_reason_required')]),
                           ({'code': '07'}, [('code', 'status_code_unknown')]),
                           ({'code': '01'}, [('code', 'status_code_unknown')]),
                           ({'code': '05', 'at': tomorrow}, [('at', 'datetime_in_future')]),
                           ({}, [('code', 'required')])):
        assert codes(refused(spec, clerk.post_json(url, body, headers=csrf(clerk), status=400))) == expected
    processor.post_json(url, {'code': '05'}, headers=csrf(processor), status=403)
    other = client(app, 'vanthu.btc')
    other.post_json(url, {'code': '05'}, headers=csrf(other), status=403)
    res = conforms(spec, clerk.post_json(paper_url(sent, hosted, 'statuses'), {'code': '05'},
                                         headers=csrf(clerk), status=409))
    assert res.json['error'] == 'status_by_exchange'
    assert [r[4] for r in rows_of(app, sent['id']) if r[0] == mailbox] == [['03']]   # nothing else written

    refusal = {'code': '02', 'reason': 'Không thuộc thẩm quyền', 'note': 'Báo miệng'}
    res = conforms(spec, clerk.post_json(url, refusal, headers=csrf(clerk), status=201)).json
    assert res['state'] == 'declined'
    first, last = res['statuses']
    assert first['code'] == '03' and first['recorded_by'] == 'vanthu' and first['at'].endswith('+07:00')
    assert first['staff'] == res['receiver_name'] and 'điện thoại' in first['description']
    assert last['code'] == '02' and last['description'] == 'Không thuộc thẩm quyền — Báo miệng'
    assert [e['details']['code'] for e in journal(app, sent['id'], 'status_recorded')] == ['03', '02']
    page = clerk.get(f"/bodies/{HOST_CODE}/documents/{sent['id']}")
    assert 'data-recorded-by="vanthu"' in page.text and 'Không thuộc thẩm quyền' in page.text


def test_a_recalled_document_owes_no_paper_copy_any_more(exchange_app):
    """Recalled before its paper copies went: off the clerk's list, the rows say so, journaled;
    a copy already recorded as sent stays as it was."""
    app = exchange_app
    sent = send(app, [BTC, BTG], abstract='Quyết định sẽ bị thu hồi', paper_category=ART8)
    worker.run_round(app.registry)
    paper = {r[1]: r[0] for r in rows_of(app, sent['id']) if r[2] == 'paper'}
    clerk = client(app, 'vanthu')
    clerk.post_json(paper_url(sent, paper[BTC]), {'means': 'post'}, headers=csrf(clerk))
    assert paper[BTG] in desk_paper(clerk)
    clerk.post_json(f"{API}/{sent['id']}/transitions/recall", {'reason': 'Ban hành nhầm'}, headers=csrf(clerk))
    assert not set(paper.values()) & set(desk_paper(clerk))
    assert paper_state(app, paper[BTG])[2] is False and paper_state(app, paper[BTC])[1] == 'post'
    [entry] = journal(app, sent['id'], 'paper_withdrawn')
    assert entry['details']['receivers'] == [BTG]
    page = clerk.get(f"/bodies/{HOST_CODE}/documents/{sent['id']}")
    assert page.text.count('data-paper="withdrawn"') == 1 and page.text.count('data-paper="sent"') == 1
    res = clerk.post_json(paper_url(sent, paper[BTG]), {'means': 'post'}, headers=csrf(clerk), status=409)
    assert res.json['error'] == 'paper_not_needed'

"""Update (edXML type 2) and replace (type 3) between bodies on one instance: a corrected abstract
and a longer receiver list reach the receivers; a replacement is linked to what it replaces, and
the receivers' clerks see what changed. Real app, real keys, real signed packages."""
from archive import audit
from archive.exchange import worker

from ..conftest import HOST_CODE, client
from .test_exchange_local import (API, BTC, BTG, UBKT, Session, exchange_app, received, rows,  # noqa: F401
                                  send)


def test_an_update_corrects_the_copies_and_reaches_a_receiver_added(exchange_app):
    app = exchange_app
    sent = send(app, [BTC, BTG], abstract='Công văn về lịch họp tháng 12')
    worker.run_round(app.registry)
    clerk = client(app, 'vanthu')
    res = clerk.post_json(f"{API}/{sent['id']}/transitions/update", {'reason': 'Sai ngày họp'},
                          headers={'X-CSRF-Token': clerk.csrf}, status=409).json
    assert res['errors'][0]['code'] == 'amendment_empty'               # nothing to correct
    updated = clerk.post_json(f"{API}/{sent['id']}/transitions/update",
                              {'reason': 'Sai ngày họp', 'abstract': 'Công văn về lịch họp tháng 12 (đính chính)',
                               'add_receivers': [UBKT]}, headers={'X-CSRF-Token': clerk.csrf}).json
    assert updated['status'] == 'sent' and updated['send_to'] == [BTC, BTG, UBKT]
    worker.run_round(app.registry)
    state = rows(app, sent['id'])
    assert state[BTC][:2] == ('delivered', ['01', '15']) and state[BTG][:2] == ('delivered', ['01', '15'])
    assert state[UBKT][:2] == ('delivered', ['01'])
    with Session(app) as root:
        document_id = root['bodies'][HOST_CODE].documents[sent['id']].document_id
        for code in (BTC, BTG, UBKT):
            [copy] = received(root, code, document_id)            # one copy each, corrected in place
            assert copy.abstract == 'Công văn về lịch họp tháng 12 (đính chính)'
        [btc] = received(root, BTC, document_id)
        entries = audit.entries(root, btc.chain_id)
        update = [e for e in entries if e['action'] == 'updated_by_sender'][0]
        assert update['details']['changed'] == ['abstract'] and update['details']['reason'] == 'Sai ngày họp'
        assert list(list(btc.revisions.values())[-1].changed) == ['abstract']


def test_a_replacement_is_linked_to_what_it_replaces_and_shows_what_changed(exchange_app):
    app = exchange_app
    first = send(app, [BTC], abstract='Kế hoạch tổ chức hội nghị')
    worker.run_round(app.registry)
    second = send(app, [BTC], abstract='Kế hoạch tổ chức hội nghị (thay thế)', replaces=first['id'])
    assert second['replaces'] == first['id']
    worker.run_round(app.registry)
    assert rows(app, second['id'])[BTC][:2] == ('delivered', ['01'])
    with Session(app) as root:
        sender_docs = root['bodies'][HOST_CODE].documents
        [old] = received(root, BTC, sender_docs[first['id']].document_id)
        [new] = received(root, BTC, sender_docs[second['id']].document_id)
        assert new.replaces == old.__name__ and old.replaced_by == new.__name__
        assert set(new.exchange['replaces']['changed']) >= {'abstract', 'number_symbol'}
        names = old.__name__, new.__name__
    btc = client(app, 'vanthu.btc')
    page = btc.get(f'/bodies/{BTC}/documents/{names[0]}')
    assert f'data-replaced-by="{names[1]}"' in page.text
    page = btc.get(f'/bodies/{BTC}/documents/{names[1]}')
    assert f'data-replaces="{names[0]}"' in page.text and 'Trích yếu' in page.text


def test_replacing_what_was_not_sent_is_refused(exchange_app):
    clerk = client(exchange_app, 'vanthu')
    draft = clerk.post_json(API, {'direction': 'outgoing', 'organ_id': HOST_CODE, 'doc_type': 'CV',
                                  'abstract': 'Nháp'}, headers={'X-CSRF-Token': clerk.csrf}, status=201).json
    res = clerk.post_json(API, {'direction': 'outgoing', 'organ_id': HOST_CODE, 'doc_type': 'CV',
                                'abstract': 'Thay thế', 'replaces': draft['id']},
                          headers={'X-CSRF-Token': clerk.csrf}, status=400).json
    assert [(e['field'], e['code']) for e in res['errors']] == [('replaces', 'replaces_unknown')]

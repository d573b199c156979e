"""Forwarding (*Chuyển tiếp cho cơ quan khác*, issue 16 item 8): a received document goes on to
another body as a new package from the forwarding body, with the forwarding note, delivered by the
exchange; the receiver's statuses come back to the forwarder. Three bodies hosted on one instance,
real signatures (the issuer's signature travels in the main PDF and verifies at the end)."""
import pytest

from archive import audit
from archive.errors import Conflict
from archive.exchange import deliveries, worker
from archive.services.certificates import register_certificate
from archive.signing import ca
from archive.workflow.engine import fire

from ..conftest import HOST_CODE, client
from .test_exchange_email import A_MAIL, pair, smtp  # noqa: F401 (fixtures)
from .test_exchange_local import BTC, BTG, UBKT, Session, act, enrol, exchange_app, received, send  # noqa: F401 (a fixture)

NOTE = 'Thuộc thẩm quyền của Ủy ban Kiểm tra'


def forwarded_rows(app, code, document_id):
    with Session(app) as root:
        [doc] = received(root, code, document_id)
        return [(d.kind, d.receiver, d.state, [s['code'] for s in d.statuses])
                for d in deliveries.of_document(root, code, doc.__name__)]


def test_a_received_document_forwarded_reaches_the_other_body_and_its_statuses_come_back(exchange_app):
    app = exchange_app
    sent = send(app, [BTG], abstract='Đơn thư chuyển nhầm Ban Tuyên giáo')
    worker.run_round(app.registry)
    with Session(app) as root:
        original_id = root['bodies'][HOST_CODE].documents[sent['id']].document_id
        [at_btg] = received(root, BTG, original_id)
        original_files = [f.sha256 for f in at_btg.file_list()]
    act(app, BTG, original_id, 'vanthu.btg', 'register')
    act(app, BTG, original_id, 'vanthu.btg', 'forward', to_body=UBKT, reason=NOTE)
    assert forwarded_rows(app, BTG, original_id) == [('forward', UBKT, 'pending', [])]

    worker.run_round(app.registry)
    with Session(app) as root:
        [row] = deliveries.of_document(root, BTG, at_btg.__name__)
        forward_id = row.document_id
        assert forward_id.startswith(BTG + ',') and forward_id != original_id   # the forwarder's own id
        [at_ubkt] = received(root, UBKT, forward_id)
        assert at_ubkt.exchange['sender'] == BTG
        assert at_ubkt.exchange['forwarded'] == {'issuer': HOST_CODE, 'note': NOTE}
        assert at_ubkt.organ_id == HOST_CODE and at_ubkt.abstract == 'Đơn thư chuyển nhầm Ban Tuyên giáo'
        assert [f.sha256 for f in at_ubkt.file_list()] == original_files
        assert at_ubkt.origin_verdict['status'] == 'valid'       # the issuer's signature, checked against the issuer
        history = [e['action'] for e in audit.entries(root, at_btg.chain_id)]
        assert 'forward_delivered' in history
    assert forwarded_rows(app, BTG, original_id) == [('forward', UBKT, 'delivered', ['01'])]

    ubkt = client(app, 'vanthu.ubkt')
    path = f"/api/v1/bodies/{UBKT}/documents/{at_ubkt.__name__}"
    assert ubkt.get(path).json['forwarded'] == {'issuer': HOST_CODE, 'note': NOTE}
    page = ubkt.get(f"/bodies/{UBKT}/documents/{at_ubkt.__name__}")
    assert 'data-forwarded="1"' in page.text and NOTE in page.text
    act(app, UBKT, forward_id, 'vanthu.ubkt', 'register')
    worker.run_round(app.registry)
    assert forwarded_rows(app, BTG, original_id) == [('forward', UBKT, 'delivered', ['01', '03'])]
    with Session(app) as root:          # the issuer hears the forwarder's own 01 and 03, none of the receiver's
        assert [[s['code'] for s in d.statuses] for d in deliveries.of_document(root, HOST_CODE, sent['id'])] == [
            ['01', '03']]


def test_forwarding_a_secret_document_by_email_is_refused_at_once(exchange_app):
    app = exchange_app
    with Session(app) as root:
        root['bodies'][UBKT].route, root['bodies'][UBKT].address = 'email', 'ubkt@example.org'
    sent = send(app, [BTG], abstract='Văn bản thường')
    worker.run_round(app.registry)
    with Session(app) as root:
        original_id = root['bodies'][HOST_CODE].documents[sent['id']].document_id
    act(app, BTG, original_id, 'vanthu.btg', 'register')
    with Session(app) as root:
        [doc] = received(root, BTG, original_id)
        doc.classification, doc.named_people = 'mat', ['vanthu.btg']     # as if it had come as Mật
        with pytest.raises(Conflict) as caught:
            fire(root, doc, 'forward', root['users']['vanthu.btg'], data={'to_body': UBKT, 'reason': NOTE})
        assert caught.value.code == 'no_route_for_secret'
        assert deliveries.of_document(root, BTG, doc.__name__) == []


@pytest.mark.slow
def test_forwarding_across_two_instances_by_email(pair):
    """Instance A (the office) sends to Ban Tổ chức on instance B by email; B's clerk forwards it to
    Ban Tuyên giáo, which B reaches by email at A: A takes it in from Ban Tổ chức, issued by the
    office (its signature valid), and its 01 goes back by email to B, onto the forward row."""
    a, b = pair.a, pair.b
    authority = ca.make_ca('CA của A (TEST)', algorithm='ec-p256')
    with Session(a) as root:                        # BTG at A gets its keys, so that it can answer
        enrol(root, a.registry.archive_keystore, authority, BTG)
        root.demo_trust_roots = tuple(root.demo_trust_roots) + (authority.pem(),)
        pems = [(r.pem, r.kind) for r in root['bodies'][BTG].certificates.values() if r.added_by == 'test']
    with Session(b) as root:                        # ...and B knows them, and reaches BTG by email at A
        root.demo_trust_roots = tuple(root.demo_trust_roots) + (authority.pem(),)
        btg = root['bodies'][BTG]
        btg.route, btg.address = 'email', A_MAIL
        for pem, kind in pems:
            register_certificate(root, btg, pem.encode(), kind, 'test')
    sent = send(a, [BTC], abstract='Gửi Ban Tổ chức, chuyển tiếp Ban Tuyên giáo')
    worker.run_round(a.registry)
    worker.run_round(b.registry)                    # taken in at B, 01 back by mail
    with Session(a) as root:
        original_id = root['bodies'][HOST_CODE].documents[sent['id']].document_id
    act(b, BTC, original_id, 'vanthu.btc', 'register')
    act(b, BTC, original_id, 'vanthu.btc', 'forward', to_body=BTG, reason=NOTE)
    worker.run_round(b.registry)                    # the forward leaves B by mail
    worker.run_round(a.registry)                    # A takes it in for BTG, 01 goes back by mail
    with Session(a) as root:
        [at_btg] = [d for d in root['bodies'][BTG].documents.values()
                    if d.exchange and d.exchange['sender'] == BTC]
        assert at_btg.exchange['forwarded'] == {'issuer': HOST_CODE, 'note': NOTE}
        assert at_btg.organ_id == HOST_CODE and at_btg.origin_verdict['status'] == 'valid'
    worker.run_round(b.registry)                    # B reads the 01
    assert forwarded_rows(b, BTC, original_id) == [('forward', BTG, 'delivered', ['01'])]


def test_a_forwarding_queued_before_as_a_message_becomes_a_delivery_by_evolve_step_0011(exchange_app):
    from archive import evolve
    from archive.outbox import outbox_of
    app = exchange_app
    sent = send(app, [BTG], abstract='Chuyển tiếp đã xếp hàng từ trước')
    worker.run_round(app.registry)
    with Session(app) as root:
        original_id = root['bodies'][HOST_CODE].documents[sent['id']].document_id
        [doc] = received(root, BTG, original_id)
        key = outbox_of(root).put('forward', document=doc.__name__, body=BTG, to_body=UBKT, reason=NOTE)  # as before
        root.evolved.remove('0011-journal-indexes-forwards')
    with Session(app) as root:
        assert evolve.evolve(root) == ['0011-journal-indexes-forwards']
        assert outbox_of(root).items[key].state == 'carried' and outbox_of(root).pending('forward') == []
    worker.run_round(app.registry)
    assert forwarded_rows(app, BTG, original_id) == [('forward', UBKT, 'delivered', ['01'])]

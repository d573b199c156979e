"""Two instances exchanging over HTTP on loopback (Art. 7): each its own database, key store and
demo CA, each trusting the other's certificates; the receiving one served by waitress on a free
port. A document goes A → B with a signed receipt, status 01 comes back B → A; with B down the
delivery is retried with back-off and delivered once when B is back; past the retry limit it goes
on paper. Real apps, real HTTP, real signatures."""
import threading
import time

import pytest
from waitress.server import create_server

from archive import audit
from archive.exchange import deliveries, receipts, worker
from archive.services.certificates import register_certificate
from archive.signing import ca
from archive.signing.keys import ORG_SIGN

from ..conftest import HOST_CODE, base_settings, client, close_app, file_uri, make_app
from ..functional.test_exchange_local import BTC, Session, enrol, received, send

pytestmark = pytest.mark.slow


class Served:
    """An app served on loopback by waitress in a thread; stop and start again on the same port."""

    def __init__(self, app, port=0):
        self.app = app
        self.server = create_server(app, host='127.0.0.1', port=port, threads=2)
        self.port = self.server.effective_port
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f'http://127.0.0.1:{self.port}'

    def stop(self):
        self.server.close()
        self.thread.join(5)


def pem_of(store, key_id):
    from cryptography.hazmat.primitives import serialization
    return store.certificate(key_id).public_bytes(serialization.Encoding.PEM)


@pytest.fixture
def pair(tmp_path):
    """Instance A hosts the office (VPTU); instance B hosts Ban Tổ chức (BTC)."""
    extra = {'archive.delivery_retry_seconds': '0.05', 'archive.delivery_retry_cap_seconds': '0.2',
             'archive.delivery_max_attempts': '4'}
    a = make_app(base_settings(tmp_path / 'a', file_uri(tmp_path / 'a'), **extra))
    b = make_app(base_settings(tmp_path / 'b', file_uri(tmp_path / 'b'), **extra))
    served = Served(b)
    a_served = Served(a)
    authority = ca.make_ca('CA của B (TEST)', algorithm='ec-p256')
    with Session(b) as root:
        enrol(root, b.registry.archive_keystore, authority, BTC)
        root.demo_trust_roots = tuple(root.demo_trust_roots) + (authority.pem(),)
        b_roots = root.demo_trust_roots
        btc_certs = [(r.pem, r.kind) for r in root['bodies'][BTC].certificates.values()
                     if r.added_by == 'test']
    with Session(a) as root:
        a_roots = root.demo_trust_roots
        root.demo_trust_roots = tuple(a_roots) + tuple(b_roots)     # A trusts B's authorities
        btc = root['bodies'][BTC]
        btc.route, btc.address = 'instance', served.url
        for pem, kind in btc_certs:            # A knows B's body by its registered certificates
            register_certificate(root, btc, pem.encode(), kind, 'test')
        register_certificate(root, btc, pem_of(b.registry.archive_keystore, receipts.INSTANCE_KEY),
                             'instance', 'test')           # and the system hosting it
    with Session(b) as root:
        root.demo_trust_roots = tuple(root.demo_trust_roots) + tuple(a_roots)   # B trusts A's demo CA
        office = root['bodies'][HOST_CODE]
        office.route, office.address = 'instance', a_served.url
        register_certificate(root, office, pem_of(a.registry.archive_keystore, f'{ORG_SIGN}:{HOST_CODE}'),
                             'org-sign', 'test')
    yield a, b, served, a_served
    for s in (served, a_served):
        try:
            s.stop()
        except Exception:
            pass
    close_app(a)
    close_app(b)


def delivery_of(app, doc_id):
    with Session(app) as root:
        [d] = deliveries.of_document(root, HOST_CODE, doc_id)
        return d.state, [s['code'] for s in d.statuses], d.attempts, list(d.errors), d.receipt


def test_a_document_goes_to_another_instance_and_status_01_comes_back(pair):
    a, b, served, _ = pair
    sent = send(a, [BTC], abstract='Công văn gửi sang hệ thống khác')
    assert worker.run_round(a.registry) == 1
    state, codes, attempts, errors, receipt = delivery_of(a, sent['id'])
    assert (state, attempts, errors) == ('delivered', 1, [])
    assert receipt['receivers'][0]['body'] == BTC and 'signed_answer' in receipt
    with Session(b) as root:
        document_id = receipt['document_id']
        [copy] = received(root, BTC, document_id)
        assert copy.state == 'arrived' and copy.exchange['route'] == 'instance'
        assert copy.origin_verdict['status'] == 'valid'          # A's signatures, A's CA trusted by B
    assert worker.run_round(b.registry) == 1                     # status 01 over HTTP back to A
    assert delivery_of(a, sent['id'])[1] == ['01']
    assert worker.run_round(a.registry) == 0 and worker.run_round(b.registry) == 0


def test_a_receiver_down_is_retried_with_back_off_then_delivered_once(pair):
    a, b, served, _ = pair
    port = served.port
    served.stop()
    sent = send(a, [BTC], abstract='Gửi khi bên nhận đang tắt')
    worker.run_round(a.registry)
    state, _codes, attempts, errors, _ = delivery_of(a, sent['id'])
    assert state == 'pending' and attempts == 1 and len(errors) == 1 and '127.0.0.1' in errors[0]['error']
    time.sleep(0.2)
    worker.run_round(a.registry)
    assert delivery_of(a, sent['id'])[2] == 2                   # tried again after the back-off
    pair_b = Served(b, port)                                     # B is back on the same address
    try:
        time.sleep(0.3)
        worker.run_round(a.registry)
        state, _codes, attempts, errors, receipt = delivery_of(a, sent['id'])
        assert state == 'delivered' and attempts == 3 and len(errors) == 2
        with Session(b) as root:
            assert len(received(root, BTC, receipt['document_id'])) == 1
        with Session(a) as root:
            history = [e['action'] for e in audit.entries(
                root, root['bodies'][HOST_CODE].documents[sent['id']].chain_id)]
        assert history.count('delivery_retry') == 2 and history.count('delivered') == 1
    finally:
        pair_b.stop()


def test_past_the_retry_limit_the_delivery_goes_on_paper(pair):
    a, b, served, _ = pair
    served.stop()
    sent = send(a, [BTC], abstract='Bên nhận không lên lại')
    for _ in range(40):                   # each round tries what is due; the back-off is 0.05-0.3 s
        worker.run_round(a.registry)
        if delivery_of(a, sent['id'])[0] == 'paper':
            break
        time.sleep(0.1)
    state, _codes, attempts, errors, _ = delivery_of(a, sent['id'])
    assert state == 'paper' and attempts == 4 and len(errors) == 4
    page = client(a, 'vanthu').get(f"/bodies/{HOST_CODE}/documents/{sent['id']}")
    assert 'data-state="paper"' in page.text


def test_healthz_shows_the_queue_waiting_and_retrying(pair):
    a, _b, served, _ = pair
    served.stop()
    anon = client(a)
    assert anon.get('/healthz').json['exchange'] == {'waiting': {}, 'oldest_waiting': None,
                                                     'in_flight': 0, 'retrying': 0, 'messages_waiting': 0}
    sent = send(a, [BTC], abstract='Chờ gửi')
    state = anon.get('/healthz').json['exchange']
    assert state['waiting'] == {'instance': 1} and state['oldest_waiting'].endswith('+07:00')
    worker.run_round(a.registry)
    assert delivery_of(a, sent['id'])[0] == 'pending'
    state = anon.get('/healthz').json['exchange']
    assert state['waiting'] == {} and state['retrying'] == 1


def test_a_refusal_signed_by_the_receiving_instance_is_final(pair):
    """B no longer hosts BTC: no body there can sign, B's instance key signs the refusal, and A
    takes it as final (declined, 02 with the reason) with the signed refusal kept as proof."""
    a, b, _served, _ = pair
    with Session(b) as root:
        root['bodies'][BTC].route, root['bodies'][BTC].address = 'instance', 'http://127.0.0.1:9'
    sent = send(a, [BTC], abstract='Gửi nhầm nơi')
    worker.run_round(a.registry)
    state, codes, attempts, errors, receipt = delivery_of(a, sent['id'])
    assert (state, codes, attempts, errors) == ('declined', ['02'], 1, [])
    assert receipt['refusal']['code'] == 'wrong_address'
    assert receipt['refusal']['signed_by'] == receipts.INSTANCE_KEY


def answered_by_an_impostor(a, status, answer, abstract):
    """A document sent to BTC, whose address now answers ``status`` with the JSON ``answer``,
    unsigned (a proxy, an impostor); the delivery after one round."""
    import json

    def impostor(environ, start_response):
        start_response(status, [('Content-Type', 'application/json')])
        return [json.dumps(answer).encode()]
    fake = Served(impostor)
    try:
        with Session(a) as root:
            root['bodies'][BTC].address = fake.url
        sent = send(a, [BTC], abstract=abstract)
        worker.run_round(a.registry)
        return delivery_of(a, sent['id'])
    finally:
        fake.stop()


def test_an_unsigned_refusal_is_not_final_and_is_tried_again(pair):
    """A "400 wrong address" nobody signed (a proxy, an impostor) proves nothing: tried again."""
    state, codes, attempts, errors, _ = answered_by_an_impostor(
        pair[0], '400 Bad Request', {'error': 'wrong_address', 'message': 'không có ai ở đây'},
        'Trả lời không ký')
    assert (state, codes, attempts) == ('pending', [], 1)
    assert 'wrong_address' in errors[0]['error'] and 'not accepted as final' in errors[0]['error']


def test_an_unsigned_200_from_another_instance_is_no_proof_of_delivery(pair):
    """Another instance must answer a signed receipt; a 200 that only says "handed over" (what
    email and the axis say) proves nothing there: tried again."""
    state, codes, attempts, errors, _ = answered_by_an_impostor(
        pair[0], '200 OK', {'handed_over': 'instance'}, 'Trả lời 200 không ký')
    assert (state, codes, attempts) == ('pending', [], 1)
    assert 'receipt not accepted' in errors[0]['error']


def test_another_instance_verifies_the_issued_pdf_with_its_number_and_seal(pair):
    """Issue 17: the number, the date of issue and the seal written by the organisation's signature
    are a change the leader's signature allows; the receiving instance judges both valid."""
    import io

    from pypdf import PdfReader

    from ..functional.test_issued_pdf import put_seal
    from ..helpers import seal_png
    a, b, served, _ = pair
    put_seal(client(a, 'vanthu'), seal_png())
    sent = send(a, [BTC], abstract='Công văn có số và dấu')
    assert worker.run_round(a.registry) == 1
    receipt = delivery_of(a, sent['id'])[4]
    with Session(b) as root:
        [copy] = received(root, BTC, receipt['document_id'])
        assert copy.origin_verdict['status'] == 'valid', copy.origin_verdict['reason']
        assert [s['modification'] for s in copy.origin_verdict['signatures']] == ['form_filling', 'none']
        with copy.files[copy.main_file].open() as stream:
            values = PdfReader(io.BytesIO(stream.read())).get_form_text_fields()
    assert values['SoKyHieu'] == f"Số {sent['number_symbol']}" and values['NgayBanHanh'].startswith('Hà Nội, ngày ')

"""Two instances as separate server processes (``pserve``), each with its own FileStorage, key
store and port, talking HTTP on loopback; killed with SIGKILL at chosen points and restarted.

The pair is prepared once for the module (``instances.make_pair``: ``archive-init --demo``, then
the pairing of README "Between instances (HTTP)" with the console scripts: keys and certificates
for Ban Tổ chức on B, ``set-route`` on both sides, each side's certificates registered and its
authority trusted by the other). A hosts the office (000.00.01.H01), B hosts Ban Tổ chức
(000.00.02.H01). Documents go through the JSON API with bearer tokens (create, submit, approve,
number, sign, send) on A; B's clerk registers through B's API, so status 03 travels back too.

1. B down: A's deliveries are tried, fail, wait with back-off (the errors listed on the row and
   in the journal), and are delivered once when B is started again.
2. A crash at each point of ``archive.failpoints`` (the process kills itself with SIGKILL: no
   cleanup, no commit): A after the claim is committed and before anything is carried
   (``delivery.claimed``); B while it takes a package in, before its commit
   (``receive.before_commit``); A after B answered and before the answer is recorded
   (``delivery.carried``). The killed process is started again without the failpoint; a claim
   the dead one held runs out after ``archive.delivery_lease_seconds`` (2 s here).

After each scenario both servers are stopped and their databases opened read-only: each document
is at B exactly once (by DocumentId: one copy, one package taken in, one ``received`` entry), each
delivery at A is ``delivered`` with its attempts counted (failed ones listed) and B's signed
receipt kept, one ``delivered`` entry in the journal, and every status (01, and 03 for the one
registered) on A's row; nothing left in flight or queued, B's statuses all carried.
"""
import collections
import time

import pytest

from archive.seed import minimal_pdf

from .instances import BTC, HOST, ApiError, documents_path, make_pair, received_copies

pytestmark = pytest.mark.slow

WAIT = 90          # seconds: a guard against hanging, never a measure


@pytest.fixture(scope='module')
def pair(tmp_path_factory):
    built = make_pair(tmp_path_factory.mktemp('instances'))
    yield built
    for inst in (built.a, built.b):
        inst.kill()


@pytest.fixture
def stopped(pair):
    """Each test starts from both servers stopped, and leaves them stopped."""
    pair.stop()
    yield pair
    pair.stop()


def wait_for(what, predicate, pair, timeout=WAIT, pause=0.1):
    deadline = time.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError(f'{what}: not within {timeout} s\n--- A ---\n{pair.a.log_tail(3000)}'
                                 f'\n--- B ---\n{pair.b.log_tail(3000)}')
        time.sleep(pause)


def prepare(pair, n, tag):
    """``n`` outgoing documents of the office to Ban Tổ chức, taken to "signed" through A's API."""
    sender = pair.sender()
    return [sender.prepare(f'{tag}: công văn số {k + 1} gửi Ban Tổ chức', minimal_pdf(f'{tag} {k + 1}'), [BTC])
            for k in range(n)]


def send_all(pair, docs):
    sender = pair.sender()
    for doc in docs:
        sent = sender.send(doc['id'])
        assert sent['status'] == 'sent', sent


def rows_of(pair, docs):
    sender = pair.sender()
    out = {}
    for doc in docs:
        [row] = sender.deliveries(doc['id'])
        out[doc['id']] = row
    return out


def statuses_back(pair, docs, codes=('01',)):
    """True when every document's row at A holds ``codes`` (asked through A's API)."""
    def check():
        try:
            rows = rows_of(pair, docs)
        except (OSError, ApiError):
            return False
        return all(r['state'] == 'delivered' and all(c in [s['code'] for s in r['statuses']] for c in codes)
                   for r in rows.values())
    return check


def register_at_b(pair, doc):
    """B's clerk finds the copy of ``doc`` in Ban Tổ chức's documents and registers it (status 03)."""
    clerk = pair.b_clerk()
    items = clerk.get(f'{documents_path(BTC)}?limit=200')['items']
    [copy] = [d for d in items if d['number_symbol'] == doc['number_symbol'] and d['organ_id'] == HOST]
    assert copy['status'] == 'arrived'
    registered = clerk.post_json(f"{documents_path(BTC)}/{copy['id']}/transitions/register")
    assert registered['status'] == 'registered'


def check_exactly_once(pair, docs, registered=(), attempts=None):
    """Servers stopped: read both databases and check every promise for ``docs`` (and that no
    DocumentId the module ever sent is twice at B). ``attempts``: {doc id: exact count} when
    no attempt failed (a crashed sender), else each attempt but the last must be a listed error."""
    from archive.exchange import deliveries
    from archive.outbox import outbox_of
    names = [d['id'] for d in docs]
    assert not pair.a.running() and not pair.b.running()
    found = {}
    with pair.a.database() as root:
        ex = deliveries.exchange_of(root)
        assert len(ex.queue) == 0 and len(ex.in_flight) == 0 and len(ex.later) == 0
        office = root['bodies'][HOST]
        for name in names:
            [row] = deliveries.of_document(root, HOST, name)
            doc = office.documents[name]
            assert doc.state == 'sent'
            assert (row.state, row.route, row.receiver, row.package) == ('delivered', 'instance', BTC, None), vars(row)
            if attempts:            # a claim lost with its process counts, and is no error
                assert (row.attempts, list(row.errors)) == (attempts[name], []), (name, vars(row))
            else:                   # every attempt but the last failed, and is listed
                assert row.attempts == len(row.errors) + 1, (row.attempts, list(row.errors))
                assert [e['attempt'] for e in row.errors] == list(range(1, row.attempts))
            receipt = row.receipt
            assert receipt['document_id'] == row.document_id == doc.document_id
            assert receipt['sender'] == HOST and receipt['signed_by'] == BTC
            assert [r['body'] for r in receipt['receivers']] == [BTC]
            assert set(receipt['signed_answer']) >= {'receipt', 'signature'}
            codes = [s['code'] for s in row.statuses]
            assert codes == (['01', '03'] if name in registered else ['01']), (name, codes)
            history = collections.Counter(e['action'] for e in _entries(root, doc))
            assert history['delivered'] == 1 and history['delivery_retry'] == len(row.errors), history
            assert history['status_received'] == len(codes)
            found[name] = (row.document_id, receipt['sha256'], receipt['receivers'][0]['document'])
    with pair.b.database() as root:
        ex = deliveries.exchange_of(root)
        taken = collections.Counter(document_id for (body, _sender, document_id) in ex.taken_in.keys() if body == BTC)
        assert all(count == 1 for count in taken.values())
        received = collections.Counter(r['document_id'] for r in ex.received.values())
        for name, (document_id, sha256, copy_name) in found.items():
            [copy] = received_copies(root, BTC, document_id)          # exactly one copy
            assert copy.__name__ == copy_name and ex.taken_in[(BTC, HOST, document_id)] == (copy_name, sha256)
            assert received[document_id] == 1                      # one package taken in
            assert copy.state == ('registered' if name in registered else 'arrived')
            assert copy.origin_verdict['status'] == 'valid', copy.origin_verdict
            assert copy.exchange['route'] == 'instance' and copy.organ_id == HOST
            history = collections.Counter(e['action'] for e in _entries(root, copy))
            assert history['received'] == 1, history
        incoming = [d.exchange['document_id'] for d in root['bodies'][BTC].documents.values()
                    if getattr(d, 'exchange', None)]
        assert len(incoming) == len(set(incoming)), 'a DocumentId is twice at B'
        assert {v[0] for v in found.values()} <= set(incoming)
        box = outbox_of(root)
        left = [(m['status_code'], m.state) for m in box.items.values() if m.kind == 'status' and m.state != 'carried']
        assert left == [], left


def _entries(root, doc):
    from archive import audit
    return audit.entries(root, doc.chain_id)


def test_a_receiver_down_is_retried_with_back_off_and_delivered_once_when_back(stopped):
    pair = stopped
    pair.a.start()
    docs = prepare(pair, 2, 'B tắt')
    send_all(pair, docs)

    def retried():
        rows = rows_of(pair, docs)
        return all(r['state'] == 'pending' and r['attempts'] >= 3 and '127.0.0.1' in (r['last_error'] or '')
                   for r in rows.values()) and rows
    rows = wait_for('three failed attempts each while B is down', retried, pair)
    assert all(r['delivered_at'] is None and r['statuses'] == [] for r in rows.values())
    queue = pair.a.healthz()['exchange']      # each waits again, is held, or waits for its next try
    assert sum(queue['waiting'].values()) + queue['in_flight'] + queue['retrying'] == 2, queue

    pair.b.start()
    wait_for('status 01 back once B is up', statuses_back(pair, docs), pair)
    register_at_b(pair, docs[0])
    wait_for('status 03 back', statuses_back(pair, docs[:1], ('01', '03')), pair)
    wait_for('B has marked its statuses carried', lambda: pair.b.healthz()['exchange']['messages_waiting'] == 0, pair)
    pair.stop()
    check_exactly_once(pair, docs, registered={docs[0]['id']})
    with pair.a.database() as root:                  # the failed attempts, listed with back-off
        from archive.exchange import deliveries
        for doc in docs:
            [row] = deliveries.of_document(root, HOST, doc['id'])
            assert len(row.errors) >= 2 and all('127.0.0.1' in e['error'] for e in row.errors)
            retries = [e for e in _entries(root, root['bodies'][HOST].documents[doc['id']])
                       if e['action'] == 'delivery_retry']
            assert [e['details']['attempt'] for e in retries] == [e['attempt'] for e in row.errors]
            assert all(e['details']['next_attempt'] >= e['at'] for e in retries)


CRASHES = [
    # (which instance dies, failpoint, what it means)
    ('a', 'delivery.claimed', 'the sender, claim committed, nothing carried yet'),
    ('b', 'receive.before_commit', 'the receiver, package taken in, not committed'),
    ('a', 'delivery.carried', 'the sender, receipt received, not yet recorded'),
]


@pytest.mark.parametrize('victim,failpoint,meaning', CRASHES, ids=[c[1] for c in CRASHES])
def test_sigkill_at_a_chosen_point_then_restart_delivers_everything_exactly_once(stopped, victim, failpoint,
                                                                                  meaning):
    pair = stopped
    dying = getattr(pair, victim)
    if victim == 'a':
        # documents queued at A by a server without its worker, so that the worker of the server
        # started with the failpoint finds several waiting and dies on the first it takes
        pair.a.start(worker=False)
        pair.b.start()
        docs = prepare(pair, 3, failpoint)
        send_all(pair, docs)
        assert pair.a.healthz()['exchange']['waiting'] == {'instance': 3}
        pair.a.stop()
        pair.a.start(failpoints=failpoint, wait=False)
    else:
        pair.b.start(failpoints=failpoint)
        pair.a.start()
        docs = prepare(pair, 3, failpoint)
        send_all(pair, docs)
    assert dying.wait_dead(WAIT) == -9, f'{victim} was not killed at {failpoint}:\n{dying.log_tail()}'
    dying.start()                                      # again, without the failpoint
    wait_for(f'status 01 back after the restart ({meaning})', statuses_back(pair, docs), pair)
    register_at_b(pair, docs[0])
    wait_for('status 03 back', statuses_back(pair, docs[:1], ('01', '03')), pair)
    wait_for('B has marked its statuses carried', lambda: pair.b.healthz()['exchange']['messages_waiting'] == 0, pair)
    pair.stop()
    # a crashed sender: the first document (the oldest in the queue) was claimed by the process
    # that died and again after its lease ran out; the others once. A crashed receiver: the
    # attempts that found it dead or down failed and are listed.
    attempts = {d['id']: 2 if k == 0 else 1 for k, d in enumerate(docs)} if victim == 'a' else None
    check_exactly_once(pair, docs, registered={docs[0]['id']}, attempts=attempts)
    from archive.exchange import deliveries
    with pair.a.database() as root:         # and the crash was where it was meant to be
        first = deliveries.of_document(root, HOST, docs[0]['id'])[0]
        again = first.receipt['signed_answer'].get('again', False)
        if failpoint == 'delivery.carried':     # B had it; the same bytes again got the same receipt
            assert again is True
        elif failpoint == 'delivery.claimed':   # nothing had left A: B took the package in once
            assert again is False
        else:                                   # B died holding the first POST: A saw no answer
            assert 'Connection refused' not in first.errors[0]['error'], list(first.errors)

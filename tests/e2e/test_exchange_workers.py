"""Exchange workers: two workers never deliver the same delivery, and the queue's priority order.

1. On a real ZEO server: ~30 documents sent (1-3 receivers each, mixed urgencies) with no worker
   running, then three worker processes of their own, each opening the same storage and looping
   ``deliver_one`` at the same moment (a start barrier). Every delivery is delivered exactly once
   (one incoming document per receiver and DocumentId, one ``taken_in`` entry, one journal
   ``delivered`` entry), on its first attempt, none lost; the statuses 01 then come back.
2. With one worker (in-process, FileStorage), the order ``deliver_one`` takes a mixed queue in:
   hỏa tốc and hỏa tốc hẹn giờ first, then thượng khẩn, khẩn, the rest; oldest first within a rank.

This module is also the worker process: ``python -m tests.e2e.test_exchange_workers SETTINGS_JSON
FOLDER`` boots the app from the settings (no background threads), waits for FOLDER/go, delivers
until nothing waits and prints a JSON line: the delivery ids in the order it delivered them, the
conflicts retried inside ``run_apart`` and the times ``deliver_one`` gave up on a conflict.
"""
import collections
import json
import logging
import os
import subprocess
import sys
import time

import pytest

from archive import audit
from archive.exchange import deliveries, worker
from archive.signing import ca

from ..conftest import HERE, HOST_CODE, base_settings, client, close_app, make_app
from ..functional.test_exchange_local import API, BTC, BTG, RECEIVERS, UBKT, Session, enrol, received
from ..helpers import multipart, pdf

WORKERS = 3
URGENCIES = ['normal', 'khan', 'thuong_khan', 'hoa_toc']
DEADLINE = '2030-01-01T09:00:00+07:00'


def enrol_receivers(app):
    """Signing and encryption keys with certificates for the three receiving bodies."""
    authority = ca.make_ca('CA trao đổi (TEST)', algorithm='ec-p256')
    with Session(app) as root:
        for code in RECEIVERS:
            enrol(root, app.registry.archive_keystore, authority, code)


class Sender:
    """The host's clerk and leader, logged in once, taking outgoing documents to "sent"."""

    def __init__(self, app):
        self.clerk, self.leader = client(app, 'vanthu'), client(app, 'lanhdao')
        self.tokens = {id(self.clerk): self.clerk.csrf, id(self.leader): self.leader.csrf}

    def send(self, send_to, urgency, abstract):
        values = {'direction': 'outgoing', 'organ_id': HOST_CODE, 'doc_type': 'CV', 'holder_unit': 'TH',
                  'abstract': abstract, 'send_to': send_to, 'signer_name': 'Trần Văn Lãnh Đạo',
                  'urgency': urgency}
        if urgency == 'hoa_toc_hen_gio':
            values['urgency_deadline'] = DEADLINE
        params, files = multipart(values, ('cong-van.pdf', pdf(abstract)))
        clerk = self.clerk
        doc = clerk.post(API, params, upload_files=files, headers={'X-CSRF-Token': self.tokens[id(clerk)]},
                         status=201).json
        for who, action in ((clerk, 'submit'), (self.leader, 'approve'), (clerk, 'number'), (clerk, 'sign'),
                            (clerk, 'send')):
            doc = who.post_json(f"{API}/{doc['id']}/transitions/{action}", {},
                                headers={'X-CSRF-Token': self.tokens[id(who)]}).json
        assert doc['status'] == 'sent', doc
        return doc


def plan(n):
    """``n`` documents: (receivers, urgency), 1-3 receivers each, every urgency, deterministic."""
    combos = [[BTC], [BTG, UBKT], RECEIVERS, [UBKT], [BTC, BTG], [BTG], [BTC, UBKT]]
    return [(combos[k % len(combos)], URGENCIES[k % len(URGENCIES)]) for k in range(n)]


# --- 1. several worker processes on ZEO ----------------------------------------------------------

def worker_process(settings, folder):
    """The body of one worker process (see the module's docstring)."""
    os.environ['ARCHIVE_NO_BACKGROUND'] = '1'
    from ZODB.POSException import ConflictError

    class Count(logging.Handler):
        retried = 0

        def emit(self, record):
            if 'conflict' in record.getMessage():
                Count.retried += 1

    db_log = logging.getLogger('archive.db')
    db_log.setLevel(logging.INFO)
    db_log.addHandler(Count())
    app = make_app(settings)
    registry = app.registry
    assert getattr(registry, 'archive_background_stop', None) is None
    assert getattr(registry, 'archive_exchange_stop', None) is None
    with open(os.path.join(folder, f'ready-{os.getpid()}'), 'w'):
        pass
    deadline = time.time() + 60
    while not os.path.exists(os.path.join(folder, 'go')):
        assert time.time() < deadline, 'never told to go'
        time.sleep(0.005)
    delivered, gave_up = [], 0
    try:
        while True:
            try:
                delivery_id = worker.deliver_one(registry)
            except ConflictError:      # the delivery transaction lost five times: its lease runs out
                gave_up += 1
                assert gave_up < 50
                continue
            if delivery_id is None:
                break
            if delivery_id == worker.BUSY:     # lost every try at a claim: take the next
                gave_up += 1
                continue
            delivered.append(delivery_id)
    finally:
        close_app(app)
    print(json.dumps({'delivered': delivered, 'retried': Count.retried, 'gave_up': gave_up}))


@pytest.mark.slow
def test_three_worker_processes_deliver_each_delivery_exactly_once(zeo_server, tmp_path):
    settings = base_settings(tmp_path, zeo_server.uri(str(tmp_path / 'setup')))
    app = make_app(settings)
    try:
        enrol_receivers(app)
        sender = Sender(app)
        sent = [sender.send(to, urgency, f'Công văn số {k + 1} gửi các ban')
                for k, (to, urgency) in enumerate(plan(30))]
        with Session(app) as root:
            ex = deliveries.exchange_of(root)
            ids = set(ex.deliveries.keys())
            assert len(ids) == sum(len(to) for to, _ in plan(30)) == len(ex.queue)
            assert all(d.state == deliveries.PENDING and d.attempts == 0 for d in ex.deliveries.values())
            document_ids = {s['id']: root['bodies'][HOST_CODE].documents[s['id']].document_id for s in sent}

        folder = tmp_path / 'barrier'
        folder.mkdir()
        procs = []
        for k in range(WORKERS):
            worker_settings = dict(settings, **{'zodbconn.uri': zeo_server.uri(str(tmp_path / f'w{k}'))})
            procs.append(subprocess.Popen(
                [sys.executable, '-m', 'tests.e2e.test_exchange_workers', json.dumps(worker_settings),
                 str(folder)],
                cwd=HERE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                env=dict(os.environ, ARCHIVE_NO_BACKGROUND='1')))
        deadline = time.time() + 60
        while len(list(folder.glob('ready-*'))) < WORKERS:
            assert time.time() < deadline and all(p.poll() is None for p in procs), \
                [p.communicate()[1][-3000:] for p in procs if p.poll() is not None]
            time.sleep(0.02)
        (folder / 'go').touch()
        results = []
        for p in procs:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err[-5000:]
            results.append(json.loads(out.strip().splitlines()[-1]))

        taken = [i for r in results for i in r['delivered']]
        assert len(taken) == len(set(taken)), 'a delivery was delivered by two workers'
        assert set(taken) == ids, 'a delivery was lost'
        assert sum(1 for r in results if r['delivered']) >= 2, 'one worker did everything: nothing was shown'
        retried = sum(r['retried'] for r in results)
        assert retried > 0, 'the workers never collided: the test proved nothing'

        with Session(app) as root:
            ex = deliveries.exchange_of(root)
            assert len(ex.queue) == 0
            per_receiver = collections.Counter()
            for d in ex.deliveries.values():
                assert (d.state, d.attempts, d.last_error) == (deliveries.DELIVERED, 1, None), vars(d)
                assert d.receipt['document_id'] == d.document_id
                per_receiver[d.receiver] += 1
                [doc] = received(root, d.receiver, d.document_id)      # exactly one, per DocumentId
                assert ex.taken_in[(d.receiver, d.sender, d.document_id)][0] == doc.__name__   # (receiver, sender, id)
                assert doc.state == 'arrived' and doc.organ_id == HOST_CODE
                assert doc.urgency == root['bodies'][HOST_CODE].documents[d.document].urgency
            for code in RECEIVERS:        # nothing else came in: as many incoming documents as deliveries
                incoming = [doc for doc in root['bodies'][code].documents.values() if doc.exchange]
                assert len(incoming) == per_receiver[code]
                assert len({doc.exchange['document_id'] for doc in incoming}) == per_receiver[code]
            assert len([k for k in ex.taken_in.keys()]) == len(ids)
            assert len(ex.received) == len(ids)                            # one package each
            for name in document_ids:
                chain = root['bodies'][HOST_CODE].documents[name].chain_id
                journal = [e for e in audit.entries(root, chain) if e['action'] == 'delivered']
                expected = sorted(d.receiver for d in deliveries.of_document(root, HOST_CODE, name))
                assert sorted(e['details']['receiver'] for e in journal) == expected
                assert all(e['details']['attempt'] == 1 for e in journal)

        assert worker.run_round(app.registry) == len(ids)      # the statuses 01, nothing delivered again
        with Session(app) as root:
            for name in document_ids:
                rows = deliveries.of_document(root, HOST_CODE, name)
                assert rows and all(([s['code'] for s in d.statuses], d.attempts) == (['01'], 1) for d in rows)
        assert worker.run_round(app.registry) == 0
        print(f"{len(ids)} deliveries by {WORKERS} processes: "
              f"{[len(r['delivered']) for r in results]} each, {retried} conflicts retried, "
              f"{sum(r['gave_up'] for r in results)} given up and taken again")
    finally:
        close_app(app)


# --- 2. the priority order, one worker -----------------------------------------------------------

def test_one_worker_takes_the_queue_by_urgency_then_age(file_app):
    app = file_app
    enrol_receivers(app)
    sender = Sender(app)
    # sent in this order (so queued at increasing times); receivers vary, a few documents go to two
    order = [('normal', [BTC]), ('khan', [BTG]), ('hoa_toc', [UBKT]), ('thuong_khan', [BTC, BTG]),
             ('normal', [BTG]), ('hoa_toc_hen_gio', [BTC]), ('khan', [UBKT, BTC]), ('hoa_toc', [BTG]),
             ('thuong_khan', [UBKT]), ('hoa_toc_hen_gio', [BTG, UBKT])]
    names = [sender.send(to, urgency, f'Văn bản {k} ({urgency})')['id'] for k, (urgency, to) in enumerate(order)]
    with Session(app) as root:
        ex = deliveries.exchange_of(root)
        queued = {d.id: (d.document, d.receiver, d.queued_at) for d in ex.deliveries.values()}
    assert len(queued) == sum(len(to) for _, to in order)
    assert len({at for _, _, at in queued.values()}) == len(queued)      # queued at different times

    taken = []
    while (delivery_id := worker.deliver_one(app.registry)) is not None:
        taken.append(delivery_id)
    assert sorted(taken) == sorted(queued)

    rank = {'hoa_toc_hen_gio': 0, 'hoa_toc': 0, 'thuong_khan': 1, 'khan': 2, 'normal': 3}
    urgency_of = dict(zip(names, (u for u, _ in order)))
    got = [(urgency_of[queued[i][0]], queued[i][2]) for i in taken]
    ranks = [rank[u] for u, _ in got]
    assert ranks == sorted(ranks), got
    for r in set(ranks):
        times = [at for u, at in got if rank[u] == r]
        assert times == sorted(times), (r, got)
    # spelled out: the documents in the order their first delivery went
    firsts = list(dict.fromkeys(names.index(queued[i][0]) for i in taken))
    assert firsts == [2, 5, 7, 9, 3, 8, 1, 6, 0, 4]
    with Session(app) as root:
        ex = deliveries.exchange_of(root)
        assert len(ex.queue) == 0
        assert all((d.state, d.attempts) == (deliveries.DELIVERED, 1) for d in ex.deliveries.values())
        for name in names:
            document_id = root['bodies'][HOST_CODE].documents[name].document_id
            for d in deliveries.of_document(root, HOST_CODE, name):
                assert len(received(root, d.receiver, document_id)) == 1


if __name__ == '__main__':
    worker_process(json.loads(sys.argv[1]), sys.argv[2])

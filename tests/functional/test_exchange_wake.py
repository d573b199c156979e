"""The worker thread of a server on FileStorage: woken by the commit that queued its work (not
left to its poll), and, at start, taking back what a stopped process left claimed."""
import time

from archive import background
from archive.exchange import deliveries, worker

from ..conftest import base_settings, close_app, file_uri, make_app
from .test_exchange_local import BTG, Session, enrol, rows, send

POLL_SECONDS = '600'        # the worker would not look again before the test ends


def server(tmp_path, monkeypatch):
    monkeypatch.delenv(background.NO_THREADS_ENV, raising=False)
    return make_app(base_settings(tmp_path, file_uri(tmp_path), **{
        'archive.background': 'true', 'archive.exchange_poll_seconds': POLL_SECONDS,
        'archive.journal_checkpoint_minutes': '600'}))


def wait_for(condition, seconds=60):
    """Until ``condition()`` or ``seconds`` pass (a bound for a loaded machine, not a timing)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_a_sent_document_is_delivered_and_answered_without_waiting_for_the_poll(tmp_path, monkeypatch):
    from archive.signing import ca
    app = server(tmp_path, monkeypatch)
    try:
        authority = ca.make_ca('CA (TEST)', algorithm='ec-p256')
        with Session(app) as root:
            enrol(root, app.registry.archive_keystore, authority, BTG)
            root.demo_trust_roots = tuple(root.demo_trust_roots) + (authority.pem(),)
        sent = send(app, [BTG], abstract='Gửi và được đánh thức')
        # the send's commit wakes the worker: delivered; the take-in's commit wakes it: 01 back
        assert wait_for(lambda: rows(app, sent['id'])[BTG][:2] == ('delivered', ['01']))
    finally:
        close_app(app)


def test_at_start_on_filestorage_a_dead_process_claim_waits_again(tmp_path, monkeypatch):
    settings = base_settings(tmp_path, file_uri(tmp_path))
    app = make_app(settings)
    send(app, [BTG], abstract='Bị giữ bởi tiến trình đã chết')
    with Session(app) as root:                          # a worker took it, then its process died
        claimed = deliveries.claim(root, 'other-host:4242:1', lease_seconds=3600)
        assert claimed.state == deliveries.IN_FLIGHT
    close_app(app)
    app = make_app(settings)                            # the server starts again
    try:
        assert worker.requeue_claims_of_the_dead(app.registry) == [claimed.id]
        with Session(app) as root:
            delivery = root.exchange.deliveries[claimed.id]
            assert delivery.state == deliveries.PENDING and delivery.claimed_by is None
            assert claimed.id in root.exchange.queue.values() and not root.exchange.in_flight
        assert worker.requeue_claims_of_the_dead(app.registry) == []
    finally:
        close_app(app)

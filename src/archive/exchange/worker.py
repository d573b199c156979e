"""The exchange worker: carries deliveries and status messages out of the database.

This issue's route is ``hosted`` (a receiver on this same instance). A worker claims a delivery
in a short transaction (``deliveries.claim``: two workers never hold the same one); then the
package built and signed, the receiving path and the result are ONE ZODB transaction that only
the claimant completes, so a delivery is taken in exactly once whatever crashes (a dead worker's
lease expires and the delivery goes back to the queue). A refusal by the receiving path rolls back
to a savepoint: nothing of the package stays, the refusal is journaled and the delivery marked
declined (02).
Other routes (another instance, email, the national axis) come with the channels issue and
wait in the queue meanwhile.

On FileStorage the worker is a thread in the server (``archive.exchange_worker = true``); on ZEO
it runs in ``archive-worker``.
"""
import datetime as dt
import logging
import os
import socket
import threading

from ZODB.POSException import ConflictError
from pyramid.threadlocal import manager

from .. import audit, clock
from ..db import run_apart
from ..outbox import PENDING as MESSAGE_PENDING
from ..outbox import outbox_of
from . import deliveries, edxml, mapping, outgoing, receive, recall

log = logging.getLogger(__name__)
LOCAL = 'hosted'


def _with_registry(registry, fn, attempts=5, backoff=0.0):
    manager.push({'registry': registry, 'request': None})
    try:
        return run_apart(registry, fn, attempts, backoff)
    finally:
        manager.pop()


BUSY = 'busy'      # deliver_one lost every try at a claim to other workers: try again


def worker_name():
    return f'{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}'


def deliver_one(registry):
    """Deliver the first waiting local delivery; its id, None when none waits, or ``BUSY``."""
    settings = registry.archive_settings
    worker = worker_name()

    def take(root):
        delivery = deliveries.claim(root, worker, routes={LOCAL})
        return None if delivery is None else delivery.id
    try:
        delivery_id = _with_registry(registry, take)
    except ConflictError:
        return BUSY
    if delivery_id is None:
        return None

    def work(root):
        delivery = deliveries.exchange_of(root).deliveries[delivery_id]
        if delivery.state != deliveries.IN_FLIGHT or delivery.claimed_by != worker:
            return delivery_id          # the lease ran out and someone else has it now
        deliveries.done(root, delivery)
        tm = root._p_jar.transaction_manager
        claimed = tm.savepoint()
        sender_doc = root['bodies'][delivery.sender].documents.get(delivery.document)
        receiver = root['bodies'][delivery.receiver]
        try:
            if delivery.kind == 'recall':
                data = outgoing.signed_bytes(settings, delivery.sender, edxml.encode_package(
                    recall.recall_package(root, sender_doc, receiver, delivery.reason, settings)))
            else:
                data = outgoing.signed_bytes(settings, delivery.sender, edxml.encode_package(mapping.package_for(
                    root, sender_doc, receiver, settings, receive.ACTOR, kind=delivery.kind, reason=delivery.reason)))
        except Exception as exc:            # a sender-side fault (no key, no certificate): said on the row
            claimed.rollback()
            _failed(root, delivery, sender_doc, exc)
            return delivery.id
        packaged = tm.savepoint()
        try:
            receipt = receive.receive_package(root, data, settings, LOCAL)
        except receive.Refused as exc:
            packaged.rollback()
            _refused(root, delivery, sender_doc, exc, data)
            return delivery.id
        delivery.state = deliveries.DELIVERED
        delivery.delivered_at = clock.now()
        delivery.receipt = receipt
        delivery.last_error = None
        audit.append(root, sender_doc.chain_id, {'recall': 'recall_delivered', 'update': 'update_delivered'}.get(
                         delivery.kind, 'delivered'),
                     receive.ACTOR, receiver=delivery.receiver, route=LOCAL, package_sha256=receipt['sha256'],
                     attempt=delivery.attempts)
        return delivery.id
    try:         # deliveries to one body, or of one document, touch the same records: retry apart
        return _with_registry(registry, work, attempts=10, backoff=0.02)
    except ConflictError:
        _with_registry(registry, lambda root: deliveries.release(root, delivery_id, worker))
        return BUSY


def _failed(root, delivery, doc, exc):
    delivery.state = deliveries.FAILED
    delivery.last_error = getattr(exc, 'message_vi', None) or str(exc)[:300]
    log.warning('delivery %s to %s failed: %s', delivery.id, delivery.receiver, delivery.last_error)
    audit.append(root, doc.chain_id, 'delivery_failed', receive.ACTOR, receiver=delivery.receiver,
                 error=delivery.last_error)


def _refused(root, delivery, doc, exc, data):
    import hashlib
    sha256 = hashlib.sha256(data).hexdigest()
    receive.refusal(root, exc.code, exc.message_vi, sha256, **exc.facts)
    delivery.state = deliveries.DECLINED
    code = '16' if delivery.kind in ('recall', 'update') else '02'   # a refused recall or update; document
    row = deliveries.find(root, delivery.document_id, delivery.receiver) or delivery
    row.statuses.append({'code': code, 'at': clock.iso(clock.now()), 'description': exc.message_vi,
                         'staff': receive.System.full_name, 'reason_code': exc.code})
    audit.append(root, doc.chain_id, 'status_received', receive.ACTOR, receiver=delivery.receiver,
                 code=code, description=exc.message_vi, refused_by='receiving path')


def send_one_status(registry):
    """Carry the first pending status message to its sender; its outbox key, or None."""
    settings = registry.archive_settings

    def work(root):
        box = outbox_of(root)
        for key, message in box.items.items():
            if message.state == MESSAGE_PENDING and message.kind == 'status':
                break
        else:
            return None
        message.state = _carry_status(root, message, settings)
        return key
    return _with_registry(registry, work)


def _carry_status(root, message, settings):
    body = root['bodies'][message['body']]
    doc = body.documents.get(message['document'])
    exchange = getattr(doc, 'exchange', None) if doc is not None else None
    if not exchange:
        return 'not_exchanged'             # came on paper or by hand: the sender hears otherwise
    sender = root['bodies'].get(exchange['sender'])
    if sender is None or sender.route != LOCAL:
        return 'waiting_route'             # another instance, email, the axis: the channels issue
    number, notation = edxml.split_number_symbol(doc.number_symbol or '') or ('', '')
    status = edxml.Status(
        response_for=edxml.ResponseFor(sender.code, number, notation, doc.issued_date, exchange['document_id']),
        from_organ=mapping.organ(body), status_code=message['status_code'],
        description=message.get('description') or '',
        timestamp=dt.datetime.fromisoformat(message.queued_at),
        staff=edxml.StaffInfo(staff=message.get('staff') or ''))
    tm = root._p_jar.transaction_manager
    point = tm.savepoint()
    try:
        data = outgoing.signed_bytes(settings, body.code, edxml.encode_status(status))
        receive.receive_status(root, data, settings)
    except receive.Refused as exc:
        point.rollback()
        receive.refusal(root, exc.code, exc.message_vi, None, **exc.facts)
        return 'declined'
    except Exception as exc:               # our own fault (no key): kept, said in the log
        point.rollback()
        log.warning('status %s for %s not sent: %s', message['status_code'], doc.__name__, exc)
        return 'failed'
    return 'carried'


def run_round(registry, limit=1000):
    """Deliver what waits and carry the statuses, until nothing is left (or ``limit`` each);
    first put back what a dead worker left claimed. Returns how many were carried."""
    _with_registry(registry, deliveries.requeue_expired)
    done = 0
    for _ in range(limit):
        result = deliver_one(registry)
        if result is None:
            break
        if result != BUSY:
            done += 1
    for _ in range(limit):
        try:
            if send_one_status(registry) is None:
                break
        except ConflictError:
            continue                  # another worker carried the same one first: take the next
        done += 1
    return done


def run_forever(registry, stop, interval=2.0):
    while not stop.wait(interval):
        try:
            while run_round(registry) and not stop.is_set():
                pass
        except Exception:     # a failed round is logged and tried again
            if stop.is_set():
                return
            log.exception('exchange round failed')


def start_thread(registry, stop=None):
    stop = stop or threading.Event()
    interval = float(registry.settings.get('archive.exchange_poll_seconds', 2))
    thread = threading.Thread(target=run_forever, args=(registry, stop, interval), name='archive-exchange',
                              daemon=True)
    thread.start()
    registry.archive_exchange_stop = stop
    return thread

"""The exchange worker: carries deliveries and status messages out of the database.

A worker claims a delivery in a short transaction (``deliveries.claim``: two workers never hold
the same one; a dead worker's lease expires and the delivery goes back to the queue). Then:

* ``hosted`` (a receiver on this same instance): the package built and signed, the receiving path
  and the result are ONE ZODB transaction that only the claimant completes, so a delivery is taken
  in exactly once whatever crashes. A refusal by the receiving path rolls back to a savepoint:
  nothing of the package stays, the refusal is journaled and the delivery marked declined (02).
* every other route (``channels``: another instance, official email, a person's mailbox, the
  national axis): the bytes are built and signed once and kept on the delivery, carried outside
  any transaction, and the answer recorded by the claimant: a verified receipt, a hand-over, a
  refusal, or an attempt to retry with back-off (then paper, Art. 7.4). A retry sends the same
  bytes, and the receiving path answers the same bytes with the same receipt: nothing twice.

Status messages go back the same ways (``send_one_status``); intake of the channels that are
polled (a mailbox, the axis folder) runs in the same round.

On FileStorage the worker is a thread in the server (``archive.exchange_worker = true``); on ZEO
it runs in ``archive-worker``.
"""
import datetime as dt
import logging
import os
import socket
import threading
import time

from ZODB.POSException import ConflictError
from pyramid.threadlocal import manager

from .. import audit, clock, failpoints
from ..db import flush_refused, run_apart
from ..outbox import PENDING as MESSAGE_PENDING
from ..outbox import outbox_of
from ..reports import availability
from . import channels, deliveries, edxml, mapping, outgoing, receive, recall, wake

log = logging.getLogger(__name__)
LOCAL = 'hosted'


def _with_registry(registry, fn, attempts=5, backoff=0.0):
    manager.push({'registry': registry, 'request': None})
    try:
        return run_apart(registry, fn, attempts, backoff)
    finally:
        manager.pop()


BUSY = 'busy'      # deliver_one lost every try at a claim to other workers: try again
BROKEN_LIMIT = 10  # deliveries that break outside their own handling before a round gives up


def worker_name():
    return f'{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}'


def build_package(root, delivery, settings):
    """The signed package bytes of ``delivery`` (a document, its update, its recall, or a received
    document forwarded)."""
    sender_doc = root['bodies'][delivery.sender].documents.get(delivery.document)
    receiver = root['bodies'][delivery.receiver]
    if delivery.kind == 'recall':
        package = recall.recall_package(root, sender_doc, receiver, delivery.reason, settings)
    elif delivery.kind == outgoing.FORWARD:
        package = mapping.forward_package(root, sender_doc, receiver, settings, receive.ACTOR, delivery.reason,
                                          delivery.document_id)
    else:
        package = mapping.package_for(root, sender_doc, receiver, settings, receive.ACTOR,
                                      kind=delivery.kind, reason=delivery.reason)
    return outgoing.signed_bytes(settings, delivery.sender, edxml.encode_package(package))


def deliver_one(registry):
    """Deliver the first waiting delivery; its id, None when none waits, or ``BUSY``."""
    settings = registry.archive_settings
    worker = worker_name()

    lease = settings.delivery_lease_seconds

    def take(root):
        delivery = deliveries.claim(root, worker, routes=ROUTES, lease_seconds=lease)
        return None if delivery is None else (delivery.id, delivery.route)
    try:
        claimed = _with_registry(registry, take)
    except ConflictError:
        return BUSY
    if claimed is None:
        return None
    delivery_id, route = claimed
    failpoints.hit('delivery.claimed')
    if route != LOCAL:
        return _deliver_carried(registry, delivery_id, worker, route)

    def work(root):
        delivery = deliveries.exchange_of(root).deliveries[delivery_id]
        if delivery.state != deliveries.IN_FLIGHT or delivery.claimed_by != worker:
            return delivery_id          # the lease ran out and someone else has it now
        deliveries.done(root, delivery)
        tm = root._p_jar.transaction_manager
        claimed = tm.savepoint()
        sender_doc = root['bodies'][delivery.sender].documents.get(delivery.document)
        try:
            data = build_package(root, delivery, settings)
        except ConflictError:
            raise
        except Exception as exc:            # a sender-side fault (no key, no certificate): its own back-off
            claimed.rollback()
            _fault(registry, root, delivery, sender_doc, exc)
            return delivery.id
        packaged = tm.savepoint()
        try:
            receipt = receive.receive_package(root, data, settings, LOCAL)
        except channels.Refused as exc:
            packaged.rollback()
            _refused(root, delivery, sender_doc, exc, data)
            return delivery.id
        except ConflictError:
            raise
        except Exception as exc:            # the receiving path broke on this one: its own back-off
            claimed.rollback()
            log.exception('delivery %s to %s: the receiving path failed', delivery.id, delivery.receiver)
            _fault(registry, root, delivery, sender_doc, exc)
            return delivery.id
        _delivered(root, delivery, sender_doc, receipt)
        return delivery.id
    try:         # deliveries to one body, or of one document, touch the same records: retry apart
        return _with_registry(registry, work, attempts=10, backoff=0.02)
    except ConflictError:
        _with_registry(registry, lambda root: deliveries.release(root, delivery_id, worker))
        return BUSY


def _delivered(root, delivery, doc, receipt):
    delivery.state = deliveries.DELIVERED
    delivery.delivered_at = clock.now()
    delivery.receipt = receipt
    delivery.last_error = None
    delivery.package = None            # nothing to resend: the signed bytes go at the next pack
    audit.append(root, doc.chain_id, {'recall': 'recall_delivered', 'update': 'update_delivered',
                                      'forward': 'forward_delivered'}.get(delivery.kind, 'delivered'),
                 receive.ACTOR, receiver=delivery.receiver, route=delivery.route,
                 package_sha256=receipt.get('sha256'), attempt=delivery.attempts)


ROUTES = frozenset((LOCAL,) + tuple(channels.CARRIERS))


def _deliver_carried(registry, delivery_id, worker, route):
    """Any route but ``hosted``: the bytes built and signed once (kept, so that a retry sends the
    same bytes and the receiver answers the same receipt), carried outside any transaction, then
    the answer recorded: a verified receipt or a hand-over, a refusal, or a retry with back-off."""
    from ZODB.blob import Blob
    settings = registry.archive_settings
    channel = channels.module(route)
    build = getattr(channel, 'build', build_package)

    def prepare(root):
        delivery = deliveries.exchange_of(root).deliveries[delivery_id]
        if delivery.state != deliveries.IN_FLIGHT or delivery.claimed_by != worker:
            return None
        meta = {'sender': delivery.sender, 'receiver': delivery.receiver, 'kind': delivery.kind,
                'document_id': delivery.document_id, 'delivery': delivery.id}
        address = root['bodies'][delivery.receiver].address
        if delivery.package is None:
            data = build(root, delivery, settings)
            delivery.package = Blob()
            with delivery.package.open('w') as f:
                f.write(data)
            return data, address, meta
        with delivery.package.open('r') as f:
            return f.read(), address, meta
    try:
        prepared = _with_registry(registry, prepare)
    except ConflictError:
        _with_registry(registry, lambda root: deliveries.release(root, delivery_id, worker))
        return BUSY
    except Exception as exc:        # a sender-side fault (no key, no certificate): its own back-off
        _with_registry(registry, lambda root, exc=exc: _fault_apart(registry, root, delivery_id, worker, exc))
        return delivery_id
    if prepared is None:
        return delivery_id
    data, address, meta = prepared
    try:
        outcome = ('answered', channel.carry(registry, address, data, 'package', meta))
    except channels.Refused as exc:
        outcome = ('turned_down', exc)
    except channels.Unreachable as exc:
        outcome = ('retry', str(exc))
    except Exception as exc:         # a fault of the channel itself: logged, tried again later
        log.exception('delivery %s by %s failed', delivery_id, route)
        outcome = ('retry', f'{type(exc).__name__}: {exc}')
    failpoints.hit('delivery.carried')
    route_seen(registry, route, outcome[0] != 'retry', outcome[1] if outcome[0] == 'retry' else '')

    def record(root):
        delivery = deliveries.exchange_of(root).deliveries[delivery_id]
        if delivery.state != deliveries.IN_FLIGHT or delivery.claimed_by != worker:
            return              # the lease ran out and another worker has it: same bytes, same receipt
        deliveries.done(root, delivery)
        doc = root['bodies'][delivery.sender].documents[delivery.document]
        kind, value = outcome
        if kind == 'answered' and route != 'instance' and 'handed_over' in value:   # 01 comes by intake
            _delivered(root, delivery, doc, dict(value))
            return
        from .receipts import ReceiptInvalid, check_receipt
        from ..services.certificates import answering_certs, trust_roots
        if kind == 'answered':          # another instance: a receipt signed by the receiver
            try:
                receipt = check_receipt(value, trust_roots(root, settings),
                                        answering_certs(root, delivery.receiver))
            except ReceiptInvalid as exc:
                kind, value = 'retry', f'receipt not accepted: {exc}'
            else:
                _delivered(root, delivery, doc, dict(receipt, signed_answer=value))
                return
        if kind == 'turned_down' and route == 'instance':    # final only when signed by that side
            try:
                proof = check_receipt(value.answer or {}, trust_roots(root, settings),
                                      answering_certs(root, delivery.receiver), part='refusal')
            except ReceiptInvalid as exc:
                kind, value = 'retry', f'refusal {value.code} not accepted as final: {exc.message}'
            else:
                delivery.receipt = {'refusal': proof, 'signed_answer': value.answer}
        if kind == 'turned_down':
            refusal = channels.Refused(value.code, value.message_vi or value.code)
            _refused(root, delivery, doc, refusal, data)
            return
        _retry(registry, root, delivery, doc, value)
    try:
        _with_registry(registry, record, attempts=10, backoff=0.02)
    except ConflictError:
        raise
    except Exception as exc:        # the answer could not be recorded: this one waits, the others go on
        log.exception('delivery %s by %s: the answer was not recorded', delivery_id, route)
        _with_registry(registry, lambda root, exc=exc: _fault_apart(registry, root, delivery_id, worker, exc))
    return delivery_id


def retry_policy(registry):
    """``archive.delivery_retry_seconds`` (30), ``..._cap_seconds`` (3600), ``archive.delivery_max_attempts`` (8)."""
    s = registry.archive_settings
    return dict(base_seconds=s.delivery_retry_seconds, cap_seconds=s.delivery_retry_cap_seconds,
                max_attempts=s.delivery_max_attempts)


def _retry(registry, root, delivery, doc, error):
    at = deliveries.retry_later(root, delivery, error, **retry_policy(registry))
    if at is None:
        audit.append(root, doc.chain_id, 'paper_needed', receive.ACTOR, receiver=delivery.receiver,
                     attempts=delivery.attempts, error=error[:300])
    else:
        audit.append(root, doc.chain_id, 'delivery_retry', receive.ACTOR, receiver=delivery.receiver,
                     attempt=delivery.attempts, next_attempt=clock.iso(at), error=error[:300])


def _fault(registry, root, delivery, doc, exc):
    """A fault of our own with ``delivery`` (it cannot be signed, its document is gone, the
    receiving path broke): said on the row and journaled, then tried again after its own
    back-off like an unreachable receiver (paper past the limit), holding back no other."""
    error = getattr(exc, 'message_vi', None) or f'{type(exc).__name__}: {exc}'
    log.warning('delivery %s to %s failed: %s', delivery.id, delivery.receiver, error)
    at = deliveries.retry_later(root, delivery, error, **retry_policy(registry))
    chain = doc.chain_id if doc is not None else f'body:{delivery.sender}'
    audit.append(root, chain, 'delivery_failed', receive.ACTOR, receiver=delivery.receiver, error=error[:300],
                 attempt=delivery.attempts, next_attempt=clock.iso(at) if at else None)


def _fault_apart(registry, root, delivery_id, worker, exc):
    """``_fault`` in a transaction of its own, when the claimant still holds the delivery."""
    delivery = deliveries.exchange_of(root).deliveries[delivery_id]
    if delivery.state != deliveries.IN_FLIGHT or delivery.claimed_by != worker:
        return
    deliveries.done(root, delivery)
    doc = root['bodies'][delivery.sender].documents.get(delivery.document) if delivery.sender in root['bodies'] else None
    _fault(registry, root, delivery, doc, exc)


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
    """Carry the first pending status message (due now) to its sender; its outbox key, or None.
    To a body on this instance it is applied at once; to another instance it is signed once (the
    bytes kept for a retry), POSTed outside any transaction, and the answer recorded. The message
    is the first entry of the outbox's index of pending ones, whatever went before it; one that
    cannot be signed or applied (no key, a body gone) is tried again after its own back-off, so
    it holds back none queued after it."""
    settings = registry.archive_settings

    def work(root):
        box = outbox_of(root)
        found = box.first_due('status')
        if found is None:
            return None
        key, message = found
        point = root._p_jar.transaction_manager.savepoint()
        try:
            state, remote = _carry_status(root, message, settings)
        except ConflictError:
            raise
        except Exception as exc:            # our own fault (no key): kept, said in the log and on the page
            point.rollback()
            error = getattr(exc, 'message_vi', None) or f'{type(exc).__name__}: {exc}'
            log.warning('status %s for %s not sent: %s', message['status_code'], message.get('document'), error)
            _status_later(registry, box, key, error)
            return key, None
        if state != MESSAGE_PENDING:
            box.settle(key, state)
        return key, remote
    picked = _with_registry(registry, work)
    if picked is None:
        return None
    key, remote = picked
    if remote is None:
        return key
    data, route, address, meta = remote
    try:
        channels.module(route).carry(registry, address, data, 'status', meta)
        outcome = ('carried', '')
    except channels.Refused as exc:
        outcome = ('declined', f'{exc.code}: {exc.message_vi}')
    except channels.Unreachable as exc:
        outcome = ('retry', str(exc))
    except Exception as exc:
        log.exception('status %s by %s failed', key, route)
        outcome = ('retry', f'{type(exc).__name__}: {exc}')
    failpoints.hit('status.carried')
    route_seen(registry, route, outcome[0] != 'retry', outcome[1] if outcome[0] == 'retry' else '')

    def record(root):
        box = outbox_of(root)
        message = box.items[key]
        if message.state != MESSAGE_PENDING:
            return                      # another worker carried it and recorded so first
        state, error = outcome
        if state == 'retry':
            _status_later(registry, box, key, error)
            return
        if error:
            message.fields = dict(message.fields, last_error=error[:300])
        box.settle(key, state)
    _with_registry(registry, record, attempts=10, backoff=0.02)
    return key


def _status_later(registry, box, key, error):
    """A failed attempt at the status message ``key``: its next one moved later by the retry
    policy's back-off, or the message given up (``failed``) past its limit."""
    message = box.items[key]
    attempts = message.get('attempts', 0) + 1
    policy = retry_policy(registry)
    if attempts >= policy['max_attempts']:
        message.fields = dict(message.fields, attempts=attempts, last_error=error[:300])
        box.settle(key, 'failed')
        return
    delay = deliveries.backoff_seconds(attempts, policy['base_seconds'], policy['cap_seconds'])
    at = clock.now() + dt.timedelta(seconds=delay)
    message.fields = dict(message.fields, attempts=attempts, last_error=error[:300], next_attempt_at=clock.iso(at))
    box.retry_at(key, at)


def _status_bytes(root, message, body, doc, sender, settings):
    number, notation = edxml.split_number_symbol(doc.number_symbol or '') or ('', '')
    status = edxml.Status(
        response_for=edxml.ResponseFor(sender.code, number, notation, doc.issued_date,
                                       doc.exchange['document_id']),
        from_organ=mapping.organ(body), status_code=message['status_code'],
        description=message.get('description') or '',
        timestamp=dt.datetime.fromisoformat(message.queued_at),
        staff=edxml.StaffInfo(staff=message.get('staff') or ''))
    return outgoing.signed_bytes(settings, body.code, edxml.encode_status(status))


def _carry_status(root, message, settings):
    """``(state, None)`` when done here, or ``(pending, (bytes, route, address, meta))`` for a
    channel to carry; raises when the status cannot be signed or applied here (the caller rolls
    back and tries it again later)."""
    if message.get('refusal'):             # a package refused at intake (issue 16): no document here
        return receive.carry_refusal(root, message, settings)
    body = root['bodies'][message['body']]
    doc = body.documents.get(message['document'])
    exchange = getattr(doc, 'exchange', None) if doc is not None else None
    if not exchange:
        return 'not_exchanged', None       # came on paper or by hand: the sender hears otherwise
    sender = receive.route_back(root, exchange)
    if sender is None or sender.route not in channels.STATUS_ROUTES:
        return 'not_exchanged', None       # a person's mailbox: its clerk records what happens
    if sender.route != LOCAL:
        data = message.get('signed_bytes')
        if data is None:
            data = _status_bytes(root, message, body, doc, sender, settings)
            message.fields = dict(message.fields, signed_bytes=data)
        meta = {'sender': body.code, 'receiver': sender.code, 'kind': 'status',
                'document_id': exchange['document_id'], 'status_code': message['status_code']}
        return MESSAGE_PENDING, (data, sender.route, sender.address, meta)
    tm = root._p_jar.transaction_manager
    point = tm.savepoint()
    try:
        data = _status_bytes(root, message, body, doc, sender, settings)
        receive.receive_status(root, data, settings)
    except channels.Refused as exc:
        point.rollback()
        receive.refusal(root, exc.code, exc.message_vi, None, **exc.facts)
        return 'declined', None
    return 'carried', None


def run_round(registry, limit=1000):
    """Take in what the polled channels hold, deliver what waits and carry the statuses, until
    nothing is left (or ``limit`` each); first put back what a dead worker left claimed and what
    is due for another try; write the refusal counts held in memory when due. Returns how many
    items were handled."""
    flush_refused(registry)
    _with_registry(registry, deliveries.requeue_expired)
    _with_registry(registry, deliveries.requeue_due)
    done = channels.poll_all(registry)
    broken = 0
    for _ in range(limit):
        try:
            result = deliver_one(registry)
        except Exception:           # one item broke outside its own handling: logged, the next goes
            log.exception('a delivery failed')
            broken += 1
            if broken > BROKEN_LIMIT:
                break
            continue
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


def route_seen(registry, route, reachable, error=''):
    """An attempt by ``route`` reached the other side (``reachable``) or not: when that changes the
    route's state (known in this process, else read from the journal), ``route_up`` or
    ``route_down`` is journaled (Art. 13.1 availability, ``reports.availability``): one write per
    change, none per attempt."""
    states = registry.__dict__.setdefault('archive_route_states', {})
    state = 'up' if reachable else 'down'
    try:
        known = states.get(route) or _with_registry(
            registry, lambda root: availability.last_route_state(root, route)) or 'up'
        if known != state:
            facts = {'route': route, **({'error': error[:300]} if error else {})}
            _with_registry(registry, lambda root: audit.append(root, audit.ROUTES_CHAIN, f'route_{state}',
                                                               receive.ACTOR, **facts))
        states[route] = state
    except Exception:       # the record of availability never stops the exchange
        log.exception('route %s state not journaled', route)


def journal_life(registry, action, name):
    """``worker_started``, ``worker_alive`` or ``worker_stopped`` on the worker's chain, with its
    heartbeat (``reports.availability`` reads them); a failure is logged, never raised."""
    every = registry.archive_settings.heartbeat_minutes * 60
    try:
        _with_registry(registry, lambda root: audit.append(root, audit.WORKER_CHAIN, action, receive.ACTOR,
                                                           worker=name, every=every))
    except Exception:
        log.exception('%s not journaled', action)


def run_forever(registry, stop, interval=2.0):
    """Rounds until ``stop``: woken by a commit that queued work (``wake``), else every ``interval``.
    Journals its start, a heartbeat every ``archive.heartbeat_minutes`` and its stop."""
    waiter = wake.Waiter()
    name, every = worker_name(), registry.archive_settings.heartbeat_minutes * 60
    journal_life(registry, 'worker_started', name)
    next_beat = time.monotonic() + every
    try:
        while True:
            waiter.wait(interval)
            if stop.is_set():
                journal_life(registry, 'worker_stopped', name)
                return
            if time.monotonic() >= next_beat:
                journal_life(registry, 'worker_alive', name)
                next_beat = time.monotonic() + every
            try:
                while run_round(registry) and not stop.is_set():
                    pass
            except Exception:     # a failed round is logged and tried again
                if stop.is_set():
                    journal_life(registry, 'worker_stopped', name)
                    return
                log.exception('exchange round failed')
    finally:
        waiter.close()


def requeue_claims_of_the_dead(registry):
    """On FileStorage only this process has the database open, so every claim found at start
    belongs to a process that died or was stopped mid-delivery: back in the queue now, rather
    than when its lease runs out. (On ZEO another worker may be alive: the lease decides.)"""
    far = clock.now() + dt.timedelta(days=36500)
    back = _with_registry(registry, lambda root: deliveries.requeue_expired(root, now=far))
    if back:
        log.info('%d deliveries claimed by a stopped process are waiting again', len(back))
    return back


def start_thread(registry, stop=None):
    stop = stop or wake.Stop()
    interval = registry.archive_settings.exchange_poll_seconds
    thread = threading.Thread(target=run_forever, args=(registry, stop, interval), name='archive-exchange',
                              daemon=True)
    thread.start()
    registry.archive_exchange_stop = stop
    return thread

"""Carrying a delivery: to a body on this instance in one transaction with the receiving path, by
any other route built and signed once, carried outside any transaction, and its answer recorded
(a verified receipt, a hand-over, a refusal, or a retry with back-off, then paper)."""
import hashlib

from ZODB.POSException import ConflictError
from ZODB.blob import Blob

from ... import audit, clock, failpoints
from .. import channels, deliveries, edxml, mapping, outgoing, recall, receive
from ...services.certificates import answering_certs, trust_roots
from ..receipts import ReceiptInvalid, check_receipt
from .common import LOCAL, log, retry_policy, route_seen, with_registry, worker_name

BUSY = 'busy'      # deliver_one lost every try at a claim to other workers: try again
BROKEN_LIMIT = 10  # deliveries that break outside their own handling before a round gives up


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
        claimed = with_registry(registry, take)
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
        return with_registry(registry, work, attempts=10, backoff=0.02)
    except ConflictError:
        with_registry(registry, lambda root: deliveries.release(root, delivery_id, worker))
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
        prepared = with_registry(registry, prepare)
    except ConflictError:
        with_registry(registry, lambda root: deliveries.release(root, delivery_id, worker))
        return BUSY
    except Exception as exc:        # a sender-side fault (no key, no certificate): its own back-off
        with_registry(registry, lambda root, exc=exc: _fault_apart(registry, root, delivery_id, worker, exc))
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
        with_registry(registry, record, attempts=10, backoff=0.02)
    except ConflictError:
        raise
    except Exception as exc:        # the answer could not be recorded: this one waits, the others go on
        log.exception('delivery %s by %s: the answer was not recorded', delivery_id, route)
        with_registry(registry, lambda root, exc=exc: _fault_apart(registry, root, delivery_id, worker, exc))
    return delivery_id


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
    sha256 = hashlib.sha256(data).hexdigest()
    receive.refusal(root, exc.code, exc.message_vi, sha256, **exc.facts)
    delivery.state = deliveries.DECLINED
    code = '16' if delivery.kind in ('recall', 'update') else '02'   # a refused recall or update; document
    row = deliveries.find(root, delivery.document_id, delivery.receiver) or delivery
    row.statuses.append({'code': code, 'at': clock.iso(clock.now()), 'description': exc.message_vi,
                         'staff': receive.System.full_name, 'reason_code': exc.code})
    audit.append(root, doc.chain_id, 'status_received', receive.ACTOR, receiver=delivery.receiver,
                 code=code, description=exc.message_vi, refused_by='receiving path')

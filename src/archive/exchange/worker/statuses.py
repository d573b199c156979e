"""Carrying a status message back to the sender: applied at once to a body on this instance,
else signed once and carried by the sender's route; a failed attempt tried again after its own
back-off, holding back none queued after it."""
import datetime as dt

from ZODB.POSException import ConflictError

from ... import failpoints
from ...outbox import PENDING as MESSAGE_PENDING
from ...outbox import outbox_of
from .. import channels, deliveries, edxml, mapping, outgoing, receive
from .common import LOCAL, log, retry_policy, route_seen, with_registry


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
            deliveries.message_tried(box, key, 'retry', error, **retry_policy(registry))
            return key, None
        if state != MESSAGE_PENDING:
            box.settle(key, state)
        return key, remote
    picked = with_registry(registry, work)
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
        deliveries.message_tried(box, key, *outcome, **retry_policy(registry))
    with_registry(registry, record, attempts=10, backoff=0.02)
    return key


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

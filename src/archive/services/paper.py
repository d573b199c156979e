"""What the sending clerk records on a delivery row, the same from the page and the API.

* The paper copy sent (Art. 7.4, 8): on a row that needs paper — a delivery past the retry limit,
  or the paper row of an Art. 8 document — once, with when (not in the future), how and a note.
* The statuses of a delivery to a person's mailbox (Art. 6.4): a PDF and a summary went to a
  person, and nothing comes back by machine, so the clerk records 02-06 as the person reports
  them; they sit beside the statuses received from other bodies, marked with who recorded them.

Only the clerk or the leader of the sending body may (a processor of that body or anyone of
another body gets 403). Everything is checked before anything is written, and each record is
journaled on the document's chain in the same transaction.

And what the receiving clerk records on a document taken in whose sender said a paper copy
follows (Art. 8, the ``Paper`` flag of its package): the paper copy arrived — once, when (not
before the electronic document arrived, not in the future), who received it and a note. Only the
clerk of the receiving body may; the document then leaves the desk's "Chờ bản giấy đến".
"""
from .. import audit, clock
from .. import security as S
from ..errors import Conflict, Forbidden, not_found, single
from ..exchange import deliveries
from ..i18n import _
from ..schemas.delivery import PaperArrivedSchema, PaperSentSchema, StatusRecordSchema

MAILBOX = 'mailbox'
RECORDERS = (S.CLERK, S.LEADER)


def delivery_of(root, doc, delivery_id):
    """The delivery row ``delivery_id`` of ``doc``; ``Unknown`` (404) for any other (another
    document's row is not found through this one)."""
    delivery = deliveries.exchange_of(root).deliveries.get(delivery_id) if isinstance(delivery_id, str) else None
    if delivery is None or delivery.kind != 'document' or (delivery.sender, delivery.document) != (
            doc.body_code, doc.__name__):
        raise not_found()
    return delivery


def may_record(user, doc):
    """The clerk or the leader of the body that sent ``doc``."""
    return user is not None and user.body_code == doc.body_code and any(user.has_role(r) for r in RECORDERS)


def may_record_status(delivery):
    """A mailbox delivery the person got: handed over, or its paper copy sent."""
    return delivery.route == MAILBOX and (delivery.delivered_at is not None or delivery.paper_sent_at is not None)


def _allowed(user, doc):
    if not may_record(user, doc):
        raise Forbidden(_('paper_clerks_only',
                          default='Chỉ văn thư, lãnh đạo của cơ quan gửi ghi nhận việc này'))


def record_paper_sent(root, doc, delivery_id, cstruct, user):
    """Record the paper copy of a delivery row sent; raises ``Forbidden`` (403), ``Unknown`` (404),
    ``Conflict`` (409) or ``colander.Invalid`` (400). Returns the delivery."""
    delivery = delivery_of(root, doc, delivery_id)
    _allowed(user, doc)
    if delivery.paper_sent_at is not None:
        raise Conflict('paper_already_recorded', _(
            'paper_already_recorded', default='Đã ghi nhận gửi bản giấy cho nơi nhận này lúc ${at}',
            mapping={'at': clock.iso(delivery.paper_sent_at)}))
    if not delivery.needs_paper:
        raise Conflict('paper_not_needed', _(
            'paper_not_needed', default='Nơi nhận này không cần gửi bản giấy'))
    data = PaperSentSchema().deserialize(cstruct)
    at = data['sent_at'] or clock.now()
    if at < delivery.queued_at.replace(microsecond=0):    # not before the document went (to the second)
        raise single('sent_at', _('paper_before_sending',
                                  default='Thời gian gửi bản giấy không được trước lúc gửi văn bản (${at})',
                                  mapping={'at': clock.iso(delivery.queued_at)}))
    other = data['means_other'] if data['means'] == 'other' else None
    deliveries.paper_sent(root, delivery, at, user.login, data['means'], other, data['note'])
    audit.append(root, doc.chain_id, 'paper_sent', user.login, receiver=delivery.receiver,
                 route=delivery.route, category=delivery.paper_category, sent_at=clock.iso(at),
                 means=data['means'], means_other=other, note=data['note'])
    return delivery


def record_status(root, doc, delivery_id, cstruct, user):
    """Record a status (02-06) the person behind a mailbox delivery reported; raises as
    ``record_paper_sent``. Returns the status entry."""
    delivery = delivery_of(root, doc, delivery_id)
    _allowed(user, doc)
    if delivery.route != MAILBOX:
        raise Conflict('status_by_exchange', _(
            'status_by_exchange',
            default='Trạng thái của nơi nhận này do hệ thống bên nhận gửi về; văn thư chỉ ghi nhận cho hộp thư cá nhân'))
    if not may_record_status(delivery):
        raise Conflict('delivery_not_handed_over', _(
            'delivery_not_handed_over',
            default='Văn bản chưa đến hộp thư của người nhận: chưa ghi nhận trạng thái'))
    data = StatusRecordSchema().deserialize(cstruct)
    entry = {'code': data['code'], 'at': clock.iso(data['at'] or clock.now()),
             'description': ' — '.join(t for t in (data['reason'], data['note']) if t),
             'staff': delivery.receiver_name, 'recorded_by': user.login}
    delivery.statuses.append(entry)
    if data['code'] == '02':
        delivery.state = deliveries.DECLINED
    audit.append(root, doc.chain_id, 'status_recorded', user.login, receiver=delivery.receiver,
                 code=entry['code'], at=entry['at'], description=entry['description'], staff=entry['staff'])
    return entry


def may_record_arrival(user, doc):
    """The clerk of the body that took ``doc`` in."""
    return user is not None and user.body_code == doc.body_code and user.has_role(S.CLERK)


def paper_awaited(doc):
    """Taken in with a paper copy to follow (Art. 8), its arrival not recorded yet."""
    ex = getattr(doc, 'exchange', None) or {}
    return bool(ex.get('paper_follows')) and not ex.get('paper_arrived')


def record_paper_arrived(root, doc, cstruct, user):
    """Record the paper copy of ``doc`` arrived; raises ``Forbidden`` (403), ``Conflict`` (409) or
    ``colander.Invalid`` (400). Returns the record ``{at, received_by, recorded_by, recorded_at,
    note}`` (kept in ``doc.exchange['paper_arrived']``)."""
    if not may_record_arrival(user, doc):
        raise Forbidden(_('paper_arrival_clerks_only',
                          default='Chỉ văn thư của cơ quan nhận ghi nhận bản giấy đến'))
    ex = getattr(doc, 'exchange', None) or {}
    if ex.get('paper_arrived'):
        raise Conflict('paper_arrival_already_recorded', _(
            'paper_arrival_already_recorded', default='Đã ghi nhận bản giấy của văn bản này đến lúc ${at}',
            mapping={'at': clock.display(ex['paper_arrived']['at'])}))
    if not ex.get('paper_follows'):
        raise Conflict('paper_not_expected', _(
            'paper_not_expected', default='Bên gửi không báo có bản giấy gửi kèm văn bản này (Điều 8)'))
    data = PaperArrivedSchema().deserialize(cstruct)
    at = data['arrived_at'] or clock.now()
    electronic = doc.received_at or doc.created_at
    if at < electronic.replace(microsecond=0):      # not before the electronic one arrived (to the second)
        raise single('arrived_at', _('paper_before_electronic',
                                     default='Thời gian bản giấy đến không được trước lúc văn bản điện tử đến (${at})',
                                     mapping={'at': clock.display(electronic)}))
    record = {'at': at, 'received_by': data['received_by'] or user.full_name, 'recorded_by': user.login,
              'recorded_at': clock.now(), 'note': data['note']}
    doc.exchange = dict(ex, paper_arrived=record)
    deliveries.paper_arrived(root, doc.body_code, doc.__name__)
    audit.append(root, doc.chain_id, 'paper_arrived', user.login, arrived_at=clock.iso(at),
                 received_by=record['received_by'], note=data['note'])
    return record

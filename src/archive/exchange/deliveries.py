"""Deliveries: one per receiver of a sent document, written in the sending transaction.

``root.exchange`` holds them, a priority queue of the ones waiting (hỏa tốc hẹn giờ and hỏa tốc,
then thượng khẩn, khẩn, the rest; oldest first within a rank), and the receiving side's memory:
each package received (by its SHA-256, so the same bytes again get the same receipt) and each
DocumentId taken in per body (so different bytes under the same id are refused).

A worker claims the first waiting delivery in a short ZODB transaction of its own: it leaves the
queue for ``in_flight`` with the worker's name and a lease. Two workers that take the same one
conflict, and the loser retries at once and takes the next; the (longer) delivery then runs in a
second transaction that only the claimant may complete. A worker that dies leaves its lease to
expire, and ``requeue_expired`` puts the delivery back.

Paper (Art. 7.4, 8): a delivery past the retry limit, and the paper copy an Art. 8 document owes
each receiver (a row of its own, route ``paper``: never queued, so no worker claims it, and never
found by a status message, which belongs to the electronic row), wait in ``paper`` for the
sending clerk, who records when the paper went (``services.paper``). That small index is what
the desk reads; the administrators' ``overview`` reads every delivery.

The receiving side's paper (Art. 8): a document taken in whose package says a paper copy
follows waits in ``paper_expected`` for the receiving clerk, who records when it arrived
(``services.paper``); that small index is what the clerk's desk reads.
"""
import datetime as _dt
import heapq
import uuid

from BTrees.OOBTree import OOBTree
from persistent import Persistent
from persistent.list import PersistentList

from .. import clock
from .wake import after_commit

PENDING, IN_FLIGHT, DELIVERED, DECLINED, FAILED, PAPER = (
    'pending', 'in_flight', 'delivered', 'declined', 'failed', 'paper')
PAPER_ROUTE = 'paper'        # a paper copy to track (Art. 8), not a way a worker carries anything
LEASE_SECONDS = 300
URGENCY_RANK = {'hoa_toc_hen_gio': 0, 'hoa_toc': 0, 'thuong_khan': 1, 'khan': 2}
NORMAL_RANK = 3
INDEXED_KINDS = ('document', 'forward')     # rows the receivers' statuses come back on (by DocumentId)


class Exchange(Persistent):
    paper = None                        # an Exchange stored before the paper index: made on first write
    paper_expected = None               # (receiving body, document name) -> since ISO: made on first write

    def __init__(self):
        self.deliveries = OOBTree()     # id -> Delivery
        self.queue = OOBTree()          # (rank, queued ISO time, id) -> id, waiting only
        self.by_document = OOBTree()    # (sender body, document name) -> tuple of delivery ids
        self.by_document_id = OOBTree()  # edXML DocumentId -> tuple of delivery ids (statuses find theirs)
        self.received = OOBTree()       # package SHA-256 -> receipt dict (the same bytes, the same answer)
        self.taken_in = OOBTree()       # (receiving body, sender, DocumentId) -> (document name, package SHA-256)
        self.destroyed = OOBTree()      # (body, document name) -> the blobs a destruction removed
        self.in_flight = OOBTree()      # delivery id -> lease end (ISO), claimed and not yet done
        self.later = OOBTree()          # (next attempt ISO, id) -> id: failed attempts waiting to retry
        self.paper = OOBTree()          # (sender, rank, since ISO, id) -> id: paper to send, not yet recorded


class Delivery(Persistent):
    """One document to one receiver: its route, attempts, and every status that came back.
    A recall is a delivery of its own (``kind`` 'recall', with its ``reason``); the answers to
    it come back on the document's delivery row. A received document forwarded to another body
    is one too (``kind`` 'forward', ``reason`` the forwarding note, ``document_id`` the
    forwarder's own): its receiver's statuses come back on it."""
    kind = 'document'
    reason = None
    claimed_by = None
    package = None              # the signed bytes (a Blob) sent to another instance: a retry resends them
    errors = ()                 # failed attempts: {attempt, at, error}
    next_attempt_at = None
    paper_category = None       # a paper row (Art. 8): the category that owes the paper copy
    paper_needed_at = None      # when it came to need paper (past the retry limit, or on sending)
    paper_sent_at = None        # recorded by the sending clerk (services.paper)
    paper_sent_by = None
    paper_means = None          # 'post' | 'hand' | 'other' (schemas.vocab.PAPER_MEANS)
    paper_means_other = None
    paper_note = None
    paper_withdrawn_at = None   # the document was recalled before its paper copy went: none owed

    def __init__(self, sender, document, document_id, receiver, receiver_name, route, rank):
        self.id = uuid.uuid4().hex
        self.sender = sender                # body code
        self.document = document            # the sender's document name
        self.document_id = document_id      # edXML DocumentId
        self.receiver = receiver
        self.receiver_name = receiver_name
        self.route = route
        self.rank = rank
        self.state = PENDING
        self.queued_at = clock.now()
        self.attempts = 0
        self.delivered_at = None
        self.last_error = None
        self.receipt = None                 # what the receiving side answered
        self.statuses = PersistentList()    # dicts: code, at (ISO), description, staff

    @property
    def last_status(self):
        return self.statuses[-1] if self.statuses else None

    def queue_key(self):
        return (self.rank, self.queued_at.isoformat(timespec='microseconds'), self.id)

    @property
    def needs_paper(self):
        return self.state == PAPER and self.paper_sent_at is None and self.paper_withdrawn_at is None

    def paper_key(self):
        since = self.paper_needed_at or self.queued_at
        return (self.sender, self.rank, since.isoformat(timespec='microseconds'), self.id)


def exchange_of(root):
    return root.exchange


def rank_of(urgency):
    return URGENCY_RANK.get(urgency, NORMAL_RANK)


def add(root, delivery):
    """Record ``delivery`` and queue it; a paper row (route ``paper``) goes to the paper index
    instead, and is left out of ``by_document_id``: statuses come back on the electronic row."""
    after_commit(root)                  # the worker takes it as soon as this commits
    ex = exchange_of(root)
    ex.deliveries[delivery.id] = delivery
    if delivery.route == PAPER_ROUTE:
        _needs_paper(ex, delivery, clock.now())
    else:
        ex.queue[delivery.queue_key()] = delivery.id
    if delivery.kind not in INDEXED_KINDS:
        return delivery
    key = (delivery.sender, delivery.document)
    ex.by_document[key] = ex.by_document.get(key, ()) + (delivery.id,)
    if delivery.route != PAPER_ROUTE:
        ex.by_document_id[delivery.document_id] = ex.by_document_id.get(delivery.document_id, ()) + (delivery.id,)
    return delivery


def _needs_paper(ex, delivery, now):
    """``delivery`` now waits for its paper copy, listed for the sending clerk."""
    if ex.paper is None:
        ex.paper = OOBTree()
    delivery.state, delivery.paper_needed_at = PAPER, now
    ex.paper[delivery.paper_key()] = delivery.id


def paper_waiting(root, sender):
    """The deliveries of ``sender``'s documents waiting for paper, most urgent first, then the
    longest waiting (lazy: a desk reads what it shows)."""
    ex = exchange_of(root)
    if not ex.paper:
        return
    for delivery_id in ex.paper.values(min=(sender,), max=(sender, NORMAL_RANK + 1)):
        yield ex.deliveries[delivery_id]


def paper_sent(root, delivery, at, by, means, means_other=None, note=None):
    """Record that the paper copy went (the caller checked who and whether); off the paper list."""
    delivery.paper_sent_at, delivery.paper_sent_by = at, by
    delivery.paper_means, delivery.paper_means_other, delivery.paper_note = means, means_other, note
    ex = exchange_of(root)
    if ex.paper is not None:
        ex.paper.pop(delivery.paper_key(), None)


def withdraw_paper(root, body_code, name):
    """The document was recalled: the paper copies not sent yet are owed no more (off the
    clerk's list, the rows say so); the receivers they were for."""
    ex = exchange_of(root)
    withdrawn = []
    for delivery in of_document(root, body_code, name):
        if delivery.needs_paper:
            if ex.paper is not None:
                ex.paper.pop(delivery.paper_key(), None)
            delivery.paper_withdrawn_at = clock.now()
            withdrawn.append(delivery.receiver)
    return withdrawn


def expect_paper(root, body_code, name, since):
    """The document ``name`` of ``body_code`` was taken in and its paper copy follows (Art. 8):
    listed for the receiving clerk until its arrival is recorded."""
    ex = exchange_of(root)
    if getattr(ex, 'paper_expected', None) is None:
        ex.paper_expected = OOBTree()
    ex.paper_expected[(body_code, name)] = since.isoformat(timespec='microseconds')


def paper_expected(root, body_code):
    """``[(since ISO, document name)]``: the documents of ``body_code`` whose paper copy has not
    arrived yet, the longest waiting first."""
    index = getattr(exchange_of(root), 'paper_expected', None)
    if not index:
        return []
    return sorted((since, key[1]) for key, since in index.items(min=(body_code,), max=(body_code + '\0',)))


def paper_arrived(root, body_code, name):
    """The paper copy of ``name`` arrived (the caller recorded it): off the receiving clerk's list."""
    index = getattr(exchange_of(root), 'paper_expected', None)
    if index is not None:
        index.pop((body_code, name), None)


def index_paper(root):
    """Evolve step: list the deliveries that went on paper before the paper index existed."""
    ex = exchange_of(root)
    if ex.paper is None:
        ex.paper = OOBTree()
    for delivery in ex.deliveries.values():
        if delivery.needs_paper:
            ex.paper[delivery.paper_key()] = delivery.id


def follow_up(root, body_code, name, kind, reason, rank=None):
    """A recall or an update of the document to every receiver it reached (one delivery each,
    ``rank`` the queue rank, default the document's own); the receivers' codes."""
    sent_to = []
    for d in of_document(root, body_code, name):
        if d.state != DELIVERED:
            continue
        again = Delivery(d.sender, d.document, d.document_id, d.receiver, d.receiver_name, d.route,
                         d.rank if rank is None else rank)
        again.kind, again.reason = kind, reason
        add(root, again)
        sent_to.append(d.receiver)
    return sent_to


def of_document(root, body_code, name):
    ex = exchange_of(root)
    return [ex.deliveries[i] for i in ex.by_document.get((body_code, name), ())]


def find(root, document_id, receiver):
    """The delivery of ``document_id`` to ``receiver``, or None (a status for something never sent).
    Always the electronic row, never the paper copy of an Art. 8 document."""
    ex = exchange_of(root)
    for i in ex.by_document_id.get(document_id, ()):
        d = ex.deliveries[i]
        if d.receiver == receiver and d.route != PAPER_ROUTE:
            return d
    return None


def claim(root, worker, routes=None, lease_seconds=LEASE_SECONDS):
    """Take the first waiting delivery (of one of ``routes``) off the queue for ``worker``, with a
    lease; None if none waits."""
    ex = exchange_of(root)
    for key, delivery_id in ex.queue.items():
        delivery = ex.deliveries[delivery_id]
        if routes is None or delivery.route in routes:
            del ex.queue[key]
            delivery.attempts += 1
            delivery.state = IN_FLIGHT
            delivery.claimed_by = worker
            ex.in_flight[delivery_id] = clock.iso(clock.now() + _dt.timedelta(seconds=lease_seconds))
            return delivery
    return None


def done(root, delivery):
    """The claimant is done with ``delivery`` (whatever the outcome)."""
    exchange_of(root).in_flight.pop(delivery.id, None)
    delivery.claimed_by = None


def release(root, delivery_id, worker):
    """Give back a claim whose delivery could not be completed (it kept conflicting): the
    delivery waits again, and the attempt does not count."""
    ex = exchange_of(root)
    delivery = ex.deliveries[delivery_id]
    if delivery.state != IN_FLIGHT or delivery.claimed_by != worker:
        return False
    ex.in_flight.pop(delivery_id, None)
    delivery.state, delivery.claimed_by = PENDING, None
    delivery.attempts -= 1
    ex.queue[delivery.queue_key()] = delivery_id
    return True


def backoff_seconds(attempt, base_seconds, cap_seconds, rng=None):
    """``base x 2^(attempt-1)`` seconds, at most ``cap``, times a jitter of 0.5-1.5."""
    import random
    return min(cap_seconds, base_seconds * 2 ** (attempt - 1)) * (rng or random).uniform(0.5, 1.5)


def retry_later(root, delivery, error, *, base_seconds, cap_seconds, max_attempts, rng=None):
    """A failed attempt: wait ``base x 2^(attempt-1)`` seconds (at most ``cap``), times a jitter of
    0.5-1.5, then try again; after ``max_attempts`` the delivery goes on paper (Art. 7.4).
    Returns the time of the next attempt, or None when it goes on paper."""
    from persistent.list import PersistentList
    ex = exchange_of(root)
    now = clock.now()
    if not isinstance(delivery.errors, PersistentList):
        delivery.errors = PersistentList(delivery.errors)
    delivery.errors.append({'attempt': delivery.attempts, 'at': clock.iso(now), 'error': error[:500]})
    delivery.last_error = error[:500]
    if delivery.attempts >= max_attempts:
        delivery.next_attempt_at = None
        _needs_paper(ex, delivery, now)
        return None
    delay = backoff_seconds(delivery.attempts, base_seconds, cap_seconds, rng)
    delivery.state, delivery.next_attempt_at = PENDING, now + _dt.timedelta(seconds=delay)
    ex.later[(clock.iso(delivery.next_attempt_at), delivery.id)] = delivery.id
    return delivery.next_attempt_at


def message_tried(box, key, state, error, *, base_seconds, cap_seconds, max_attempts):
    """The answer to one attempt at the outbox message ``key`` (a status message, a mail), by the
    deliveries' retry policy: ``carried`` or ``declined`` settle it; ``retry`` moves its next
    attempt later by the back-off, or gives it up (``failed``) at ``max_attempts``; ``error`` is
    kept as its last one."""
    message = box.items[key]
    fields = dict(message.fields)
    if error:
        fields['last_error'] = error[:300]
    if state == 'retry':
        attempts = fields['attempts'] = message.get('attempts', 0) + 1
        if attempts < max_attempts:
            at = clock.now() + _dt.timedelta(seconds=backoff_seconds(attempts, base_seconds, cap_seconds))
            fields['next_attempt_at'] = clock.iso(at)
            message.fields = fields
            box.retry_at(key, at)
            return
        state = FAILED
    message.fields = fields
    box.settle(key, state)


def requeue_due(root, now=None):
    """Put the deliveries whose next attempt has come back in the queue; their ids."""
    ex = exchange_of(root)
    now = clock.iso(now or clock.now())
    due = [key for key in ex.later.keys() if key[0] <= now]
    for key in due:
        delivery = ex.deliveries[ex.later.pop(key)]
        ex.queue[delivery.queue_key()] = delivery.id
    return [key[1] for key in due]


def requeue_expired(root, now=None):
    """Put back the deliveries whose claimant did not finish within its lease; their ids."""
    ex = exchange_of(root)
    now = clock.iso(now or clock.now())
    back = [i for i, until in ex.in_flight.items() if until < now]
    for delivery_id in back:
        delivery = ex.deliveries[delivery_id]
        del ex.in_flight[delivery_id]
        delivery.state, delivery.claimed_by = PENDING, None
        ex.queue[delivery.queue_key()] = delivery_id
    return back


def waiting(root):
    return len(exchange_of(root).queue)


def queue_state(root, limit=10000):
    """What the operators watch: deliveries waiting per route (counted up to ``limit``), the oldest
    waiting one, how many a worker holds, and how many wait to be retried after a failure."""
    ex = exchange_of(root)
    waiting, oldest = {}, None
    for n, delivery_id in enumerate(ex.queue.values()):
        if n >= limit:
            break
        delivery = ex.deliveries[delivery_id]
        waiting[delivery.route] = waiting.get(delivery.route, 0) + 1
        if oldest is None or delivery.queued_at < oldest:
            oldest = delivery.queued_at
    return {'waiting': waiting, 'oldest_waiting': clock.iso(oldest) if oldest else None,
            'in_flight': len(ex.in_flight), 'retrying': len(ex.later)}


def failed_at(delivery):
    """When ``delivery`` last failed: its last error's time, else (a sender-side fault, which
    keeps no attempt) when it was queued."""
    errors = delivery.errors
    return errors[-1]['at'] if errors else clock.iso(delivery.queued_at)


def overview(root, limit=50):
    """What the administrators' page shows beside ``queue_state``: deliveries per state, paper
    waiting and paper sent, and the ``limit`` most recent failures (a failed attempt or a fault).
    It reads every delivery: for that page only, never for a desk."""
    ex = exchange_of(root)
    counts = dict.fromkeys((PENDING, IN_FLIGHT, DELIVERED, DECLINED, FAILED, PAPER), 0)
    counts.update(paper_waiting=0, paper_sent=0)
    failures = []
    for delivery in ex.deliveries.values():
        counts[delivery.state] = counts.get(delivery.state, 0) + 1
        if delivery.needs_paper:
            counts['paper_waiting'] += 1
        elif delivery.paper_sent_at:
            counts['paper_sent'] += 1
        if delivery.last_error or delivery.errors:
            failures.append((failed_at(delivery), delivery.id, delivery))
    recent = heapq.nlargest(limit, failures, key=lambda item: item[:2])
    return {'counts': counts, 'failures': [delivery for _at, _id, delivery in recent]}

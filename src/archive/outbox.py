"""The persistent outbox: what must leave the system, written in the transaction that
decided it and carried out after commit by a worker (the exchange issues deliver it).

Keys are ``(ISO time to the microsecond, random id)``, so concurrent writers insert different keys
and the BTree resolves their conflicts; nothing is sent for an aborted
transaction, nothing is lost for a committed one.

``items`` keeps every message, the history: found by its key, never scanned by the sender. What
the sender reads is ``due``, the pending messages only, ordered by kind and time of the next
attempt: it takes the first entry, whatever the history behind it. A message leaves ``due`` when
it is carried, declined or given up (the ones given up are listed in ``failed`` for the operations
page); a failed attempt moves its entry to the time of its next try, so one message that cannot
go never holds back the ones queued after it. Entries are keyed by time and id like the messages,
so concurrent writers touch different keys of a BTree, never one shared record.
"""
import heapq
import itertools
import uuid

from BTrees.OOBTree import OOBTree, OOTreeSet
from persistent import Persistent

from . import clock
from .exchange.wake import after_commit

PENDING = 'pending'
FAILED = 'failed'


def stamp(when):
    """The index's form of a time: ISO in Vietnam time to the microsecond (sorts as it reads)."""
    return clock.to_vn(when).isoformat(timespec='microseconds')


class Message(Persistent):
    """One thing to send. A record of its own, so that queueing it rewrites a bucket of
    small references, not of every message's text."""
    due_at = None               # pending: the time of its next attempt (``stamp``), its place in ``due``

    def __init__(self, kind, queued_at, **fields):
        self.kind = kind
        self.state = PENDING
        self.queued_at = queued_at
        self.fields = fields

    def __getitem__(self, name):
        if name in ('kind', 'state', 'queued_at'):
            return getattr(self, name)
        return self.fields[name]

    def get(self, name, default=None):
        try:
            return self[name]
        except KeyError:
            return default


class Outbox(Persistent):
    due = None                  # an Outbox stored before its indexes: evolve step 0006 builds them
    failed = None

    def __init__(self):
        self.items = OOBTree()      # key -> Message: every message, the history
        self.due = OOTreeSet()      # (kind, next attempt stamp, key): the pending ones only
        self.failed = OOTreeSet()   # (kind, key): the ones given up

    def put(self, kind, **fields):
        after_commit(self)              # the worker carries it as soon as this commits
        now = clock.now()
        key = (stamp(now), uuid.uuid4().hex)
        message = Message(kind, clock.iso(now), **fields)
        self.items[key] = message
        self._due(key, message, key[0])
        return key

    def _due(self, key, message, at):
        message.due_at = at
        self.due.add((message.kind, at, key))

    def _pending_keys(self, kind):
        return (key for _kind, _at, key in itertools.takewhile(
            lambda entry: entry[0] == kind, self.due.keys(min=(kind,))))

    def first_due(self, kind, now=None):
        """The first pending message of ``kind`` whose next attempt is due: ``(key, message)``,
        or None. One entry of the index is read, however many messages went before."""
        first = next(iter(self.due.keys(min=(kind,))), None)
        if first is None or first[0] != kind or first[1] > stamp(now or clock.now()):
            return None
        return first[2], self.items[first[2]]

    def retry_at(self, key, when):
        """The next attempt of the pending message ``key`` moves to ``when``."""
        message = self.items[key]
        self.due.remove((message.kind, message.due_at, key))
        self._due(key, message, stamp(when))

    def settle(self, key, state):
        """The message ``key`` is done with (carried, declined, not to be sent, or given up:
        ``failed``): it leaves the index the sender reads."""
        message = self.items[key]
        if message.state == PENDING and message.due_at is not None:
            self.due.remove((message.kind, message.due_at, key))
        message.state, message.due_at = state, None
        if state == FAILED:
            self.failed.add((message.kind, key))

    def pending(self, kind):
        """The pending messages of ``kind``, ``(key, message)`` by time of their next attempt."""
        return [(key, self.items[key]) for key in self._pending_keys(kind)]

    def stuck(self, kind, limit):
        """The ``limit`` most recently queued messages of ``kind`` still pending or given up,
        newest first: read from the two indexes, never from the history."""
        failed = (key for _kind, key in itertools.takewhile(
            lambda entry: entry[0] == kind, self.failed.keys(min=(kind,))))
        keys = heapq.nlargest(limit, itertools.chain(self._pending_keys(kind), failed))
        return [(key, self.items[key]) for key in keys]

    def reindex(self):
        """Build ``due`` and ``failed`` from the history (an outbox stored before them)."""
        self.due, self.failed = OOTreeSet(), OOTreeSet()
        for key, message in self.items.items():
            if message.state == PENDING:
                at = message.get('next_attempt_at')
                self._due(key, message, stamp(clock.parse_iso(at)) if at else key[0])
            elif message.state == FAILED:
                self.failed.add((message.kind, key))


def outbox_of(root):
    return root.outbox


def queue_status(root, doc, code, user, comment=None):
    """The edXML status message for the sender of an incoming document (Art. 6.4, 10)."""
    return outbox_of(root).put(
        'status', status_code=code, document=doc.__name__, body=doc.body_code,
        to_organ=doc.organ_id, number_symbol=doc.number_symbol, staff=user.full_name,
        description=comment or '')

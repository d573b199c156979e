"""The persistent outbox: what must leave the system, written in the transaction that
decided it and carried out after commit by a worker (the exchange issues deliver it).

Keys are ``(ISO time to the microsecond, random id)``, so concurrent writers insert different keys
and the BTree resolves their conflicts; nothing is sent for an aborted
transaction, nothing is lost for a committed one.
"""
import uuid

from BTrees.OOBTree import OOBTree
from persistent import Persistent

from . import clock

PENDING = 'pending'


class Message(Persistent):
    """One thing to send. A record of its own, so that queueing it rewrites a bucket of
    small references, not of every message's text."""

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
    def __init__(self):
        self.items = OOBTree()

    def put(self, kind, **fields):
        from .exchange.wake import after_commit
        after_commit(self)              # the worker carries it as soon as this commits
        now = clock.now()
        key = (now.isoformat(timespec='microseconds'), uuid.uuid4().hex)
        self.items[key] = Message(kind, clock.iso(now), **fields)
        return key

    def pending(self, kind=None):
        return [(k, m) for k, m in self.items.items()
                if m.state == PENDING and (kind is None or m.kind == kind)]


def outbox_of(root):
    return root.outbox


def queue_status(root, doc, code, user, comment=None):
    """The edXML status message for the sender of an incoming document (Art. 6.4, 10)."""
    return outbox_of(root).put(
        'status', status_code=code, document=doc.__name__, body=doc.body_code,
        to_organ=doc.organ_id, number_symbol=doc.number_symbol, staff=user.full_name,
        description=comment or '')

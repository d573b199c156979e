"""What the system has to tell a person, kept until they see it, and the daily digests queued.

A notice ("Văn bản được giao cho bạn xử lý") is written in the transaction that assigned the
document, and shown on the page after the person's next login, in the login's own transaction,
which also marks it read. The digests already queued are kept by (day, login): the worker that
queues them writes that record in the same transaction as the outbox message, so a restart, or a
second worker on ZEO, never queues one person's digest twice on one day.

Keys are ``(login, ISO time to the microsecond, random id)``: one person's notices are a range of
one BTree, and concurrent writers insert different keys.
"""
import uuid

from BTrees.OOBTree import OOBTree, OOTreeSet
from persistent import Persistent

from .. import clock

UNREAD_LIMIT = 50       # the notices shown at once; older unread ones are dropped when more arrive


class Notices(Persistent):
    def __init__(self):
        self.unread = OOBTree()         # (login, stamp, id) -> {'kind', 'body', 'document', 'by', 'at', ...}
        self.digests = OOTreeSet()      # (ISO day, login): the digests queued

    def tell(self, login, kind, **facts):
        now = clock.now()
        keys = list(self._keys(login))
        for key in keys[:max(0, len(keys) - UNREAD_LIMIT + 1)]:
            del self.unread[key]
        self.unread[(login, clock.to_vn(now).isoformat(timespec='microseconds'), uuid.uuid4().hex)] = dict(
            facts, kind=kind, at=clock.iso(now))

    def _keys(self, login):
        return self.unread.keys(min=(login,), max=(login, '\uffff'))

    def of(self, login):
        """The person's unread notices, oldest first."""
        return [self.unread[key] for key in self._keys(login)]

    def seen(self, login):
        """The person's notices are read: they leave the store."""
        for key in list(self._keys(login)):
            del self.unread[key]

    def digest_queued(self, day, login):
        return (day.isoformat(), login) in self.digests

    def record_digest(self, day, login):
        self.digests.add((day.isoformat(), login))

    def forget_digests_before(self, day):
        """The record of the digests of days before ``day`` is no longer needed."""
        for key in list(self.digests.keys(max=(day.isoformat(),), excludemax=True)):
            self.digests.remove(key)


def notices_of(root):
    """The root's notices; made on first need (evolve step 0016 makes it for a stored root)."""
    notices = getattr(root, 'notices', None)
    if notices is None:
        notices = root.notices = Notices()
    return notices

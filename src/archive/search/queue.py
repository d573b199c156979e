"""The index queue in ZODB: which documents changed, written in the same transaction as the change.

An entry is keyed ``(time, random)`` and names ``(body code, document name)``; it says only
"look at this document again", so applying it twice is applying it once (the indexer reads the
document as it now is, or removes it when gone). Nothing is consumed: each app server keeps its
own index and remembers how far it has read (``done_until`` in its index folder), so several
servers on one ZEO database each follow the same queue. A transaction can commit a little after
the time of its entry; readers therefore look back ``LOOK_BACK`` seconds behind what they have
done, and skip the entries they have already applied. Entries older than ``KEEP`` are trimmed;
an index that fell further behind rebuilds.
"""
import secrets
import time

from BTrees.OOBTree import OOBTree
from persistent import Persistent

LOOK_BACK = 300.0          # seconds: longer than any transaction that queues a document
KEEP = 7 * 86400.0         # seconds an entry stays (an index further behind rebuilds)


class IndexQueue(Persistent):
    def __init__(self):
        self.entries = OOBTree()        # (epoch seconds, random hex) -> (body code, document name)

    def put(self, body_code, name, at=None):
        self.entries[(time.time() if at is None else at, secrets.token_hex(6))] = (body_code, name)

    def since(self, after):
        """``[(key, (body code, name))]`` with a time from ``after`` on (all when None)."""
        if after is None:
            return list(self.entries.items())
        return list(self.entries.items(min=(after, '')))

    def oldest(self):
        return self.entries.minKey()[0] if len(self.entries) else None

    def trim(self, before):
        """Remove the entries older than ``before``; returns how many went."""
        old = list(self.entries.keys(max=(before, '')))
        for key in old:
            del self.entries[key]
        return len(old)


def queue_of(root):
    """The root's index queue (made by evolve step 0007, or here on a root made before it)."""
    q = getattr(root, 'search_queue', None)
    if q is None:
        q = root.search_queue = IndexQueue()
    return q


def enqueue(root, doc):
    """Put a document on the queue, in the current transaction."""
    queue_of(root).put(doc.body_code, doc.__name__)

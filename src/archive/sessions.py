"""Login sessions kept on the server, in ZODB, so that they can be ended there.

The browser holds only a random session id; the store keeps, under the id's SHA-256, who is
logged in, when the session began, when it was last seen and its data (the CSRF token, ...).
Logout deletes the record; an administrator who disables a user or sets their password deletes
all of that user's records (``end_user_sessions``). A record past its absolute lifetime or its
idle timeout is dead whatever the cookie says. The store is in ZODB, not in memory, because
several processes (ZEO) serve the same users.

Each record is a persistent object of its own: a request that refreshes "last seen" writes
one small object, and two requests of one session that both refresh it do not conflict
(``_p_resolveConflict`` keeps the later time).
"""
import hashlib
import secrets

from BTrees.OOBTree import OOBTree, OOTreeSet
from persistent import Persistent
from ZODB.POSException import ConflictError

PURGE_BATCH = 50     # dead records deleted, oldest first, each time a session is created


def new_id():
    """A fresh session id for the cookie: 256 random bits, nothing else."""
    return secrets.token_urlsafe(32)


def key_of(session_id):
    """The store's key for an id: its SHA-256, so the store alone does not give a usable cookie."""
    return hashlib.sha256(session_id.encode('ascii', 'replace')).hexdigest()


class SessionRecord(Persistent):
    """One login session: who, since when, last seen when, and its data."""

    def __init__(self, key, login, now):
        self.key = key
        self.login = login
        self.created = now          # POSIX seconds
        self.last_seen = now
        self.data = {}              # replaced, never mutated in place

    def _p_resolveConflict(self, old, committed, new):
        """Two requests of one session that only moved "last seen" agree: keep the later time."""
        differ = {k for k in set(committed) | set(new) if committed.get(k) != new.get(k)}
        if differ <= {'last_seen'}:
            resolved = dict(new)
            resolved['last_seen'] = max(committed.get('last_seen', 0), new.get('last_seen', 0))
            return resolved
        raise ConflictError


class SessionStore(Persistent):
    """All sessions: by key, by login (to end a user's sessions) and by creation (to purge)."""

    def __init__(self):
        self.records = OOBTree()       # key -> SessionRecord
        self.by_login = OOBTree()      # login -> OOTreeSet(keys)
        self.by_created = OOTreeSet()  # (created, key), oldest first

    def get(self, key):
        return self.records.get(key)

    def add(self, record):
        self.records[record.key] = record
        if record.login:
            keys = self.by_login.get(record.login)
            if keys is None:
                keys = self.by_login[record.login] = OOTreeSet()
            keys.add(record.key)
        self.by_created.add((record.created, record.key))

    def remove(self, key):
        record = self.records.pop(key, None)
        if record is None:
            return
        entry = (record.created, key)
        if entry in self.by_created:
            self.by_created.remove(entry)
        if record.login:
            keys = self.by_login.get(record.login)
            if keys is not None and key in keys:
                keys.remove(key)
                if not keys:
                    del self.by_login[record.login]

    def purge(self, oldest_allowed, limit=PURGE_BATCH):
        """Delete up to ``limit`` records created before ``oldest_allowed`` (past their lifetime)."""
        dead = []
        for created, key in self.by_created:
            if created >= oldest_allowed or len(dead) >= limit:
                break
            dead.append(key)
        for key in dead:
            self.remove(key)
        return len(dead)

    def keys_of(self, login):
        return list(self.by_login.get(login, ()))


def store(root):
    return root.sessions


def alive(record, now, lifetime, idle):
    """Within its absolute lifetime and its idle timeout (seconds)."""
    return now - record.created < lifetime and now - record.last_seen < idle


def end_user_sessions(root, login):
    """End every session of ``login`` (disabled, password set or reset); return how many."""
    sessions = store(root)
    keys = sessions.keys_of(login)
    for key in keys:
        sessions.remove(key)
    return len(keys)

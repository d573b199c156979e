"""The bounded record of refused traffic nobody vouched for: packages refused before their sender
was proven, failed logins to no account of ours.

Such traffic costs nothing to send, so what it writes must not grow with it. The rule needs
who, when and what was refused: here that is one counter per hour, source and reason
(``root.refusal_counts.hours[hour].records[(source, reason)]``: how many, first and last time, the
route). A source is the network address (an IPv6 address counts by its /64) or, for a channel
without one, the channel's name.

What bounds it, per hour, whatever the traffic (settings):

* ``refusal_records_per_hour`` records: past it, every further source shares one record per
  reason (``OTHERS``);
* a record is written when it is created, then its repeats are counted in this process's
  memory (``Pending``) and added to it at most every ``refusal_flush_seconds`` (by the next
  refusal, or the background round). A crash loses at most that much counting, never a record;
* the journal (the hash chain) gets a full entry only for the first refusal of a source and
  reason, at most ``refusal_journal_per_source`` a source and ``refusal_journal_per_hour`` in
  all (``may_journal``). Refusals of packages addressed to a body hosted here by a sender whose
  signature verified, and failed logins to an existing account, are journaled in full as before
  (the account lockout bounds those).
"""
import ipaddress
import threading

from BTrees.OOBTree import OOBTree
from persistent import Persistent

from . import clock

OTHERS = '*'                     # the source of the records past the hour's cap
SOURCE_CHARS = 64


class Count(Persistent):
    """How many refusals of one reason from one source in one hour, first and last."""

    def __init__(self, at, route=''):
        self.count = 0
        self.first = self.last = at
        self.route = route


class Hour(Persistent):
    def __init__(self):
        self.records = OOBTree()        # (source, reason) -> Count
        self.size = 0                   # len(records), kept: a BTree's len walks it
        self.journaled = 0              # full journal entries for unvouched refusals this hour


class Refused(Persistent):
    def __init__(self):
        self.hours = OOBTree()          # 'YYYY-MM-DDTHH' (Vietnam time) -> Hour


def hour_of(moment):
    return clock.to_vn(moment).strftime('%Y-%m-%dT%H')


def source_of(address):
    """The source a refusal is counted for: an IP address (IPv6 by its /64), else the text given
    (a channel's name), capped."""
    text = str(address or '-').strip()
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return text[:SOURCE_CHARS]
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f'{ip}/64', strict=False))
    return str(ip)


class Pending:
    """Repeats counted in this process, not yet written: ``{(hour, source, reason): n}``; and the
    records this process knows are written (``known``: key -> the key it is stored under)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}
        self.known = {}
        self.since = None

    def repeat(self, key, now):
        with self.lock:
            stored = self.known.get(key)
            if stored is None:
                return False
            self.counts[stored] = self.counts.get(stored, 0) + 1
            if self.since is None:
                self.since = now
            return True

    def learn(self, key, stored):
        with self.lock:
            self.known[key] = stored

    def take(self, hour):
        """The counts to write; what this process knows of hours before ``hour`` is forgotten."""
        with self.lock:
            counts, self.counts, self.since = self.counts, {}, None
            self.known = {k: v for k, v in self.known.items() if k[0] >= hour}
            return counts

    def due(self, now, seconds):
        return self.since is not None and (now - self.since).total_seconds() >= seconds


def pending_of(registry):
    pending = getattr(registry, 'archive_refused_pending', None)
    if pending is None:
        pending = registry.archive_refused_pending = Pending()
    return pending


def _hour(root, hour):
    hours = root.refusal_counts.hours
    entry = hours.get(hour)
    if entry is None:
        entry = hours[hour] = Hour()
    return entry


def add(root, key, n, at, cap, route=''):
    """Add ``n`` to the record of ``key`` (hour, source, reason), created if need be (or the
    hour's ``OTHERS`` record once it holds ``cap`` records); ``(stored key, created)``."""
    hour, source, reason = key
    entry = _hour(root, hour)
    record = entry.records.get((source, reason))
    if record is None and entry.size >= cap:
        source = OTHERS
        record = entry.records.get((source, reason))
    created = record is None
    if created:
        record = entry.records[(source, reason)] = Count(clock.iso(at), route)
        entry.size += 1
    record.count += n
    record.last = clock.iso(at)
    return (hour, source, reason), created


def count(registry, root, source, reason, route='', now=None):
    """Count one refusal in this transaction; True when it created its record (the first of its
    hour, source and reason). Repeats after that go through ``repeat``."""
    settings = registry.archive_settings
    now = now or clock.now()
    key = (hour_of(now), source_of(source), reason)
    stored, created = add(root, key, 1, now, settings.refusal_records_per_hour, route)
    pending_of(registry).learn(key, stored)
    return created


def repeat(registry, source, reason, now=None):
    """Count a repeat in memory when this process wrote its record already (True); False: count
    it with ``count`` in a transaction. The caller then writes what is due (``db.flush_refused``)."""
    now = now or clock.now()
    return pending_of(registry).repeat((hour_of(now), source_of(source), reason), now)


def take(registry, now=None, force=False):
    """The counts held in memory, when ``refusal_flush_seconds`` passed since the oldest (or
    ``force``), taken out to be written with ``write``; else ``{}``."""
    now = now or clock.now()
    pending = pending_of(registry)
    if not force and not pending.due(now, registry.archive_settings.refusal_flush_seconds):
        return {}
    return pending.take(hour_of(now))


def write(registry, root, counts, now=None):
    """Add the ``counts`` taken to their records."""
    now = now or clock.now()
    for key, n in counts.items():
        add(root, key, n, now, registry.archive_settings.refusal_records_per_hour)


def may_journal(registry, root, source, now=None):
    """Whether an unvouched refusal that created its record also gets a full journal entry:
    the source's and the hour's allowances; counts the entry when it does."""
    settings = registry.archive_settings
    now = now or clock.now()
    entry = _hour(root, hour_of(now))
    source = source_of(source)
    of_source = len(list(entry.records.keys(min=(source, ''), max=(source, '\uffff'))))
    if entry.journaled >= settings.refusal_journal_per_hour or of_source > settings.refusal_journal_per_source:
        return False
    entry.journaled += 1
    return True


def rows(root, hour=None):
    """The records, as dicts, of one hour (``'YYYY-MM-DDTHH'``) or all, oldest first."""
    hours = root.refusal_counts.hours
    selected = [(hour, hours[hour])] if hour is not None and hour in hours else \
        ([] if hour is not None else list(hours.items()))
    return [{'hour': h, 'source': source, 'reason': reason, 'count': record.count, 'first': record.first,
             'last': record.last, 'route': record.route}
            for h, entry in selected for (source, reason), record in entry.records.items()]

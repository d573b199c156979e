"""The journal: append-only, hash-chained per subject (Art. 11.14, DESIGN.md).

Each document (and each body or user, for what is not about a document) has a
chain of its own, so that writes about different documents never conflict.
Every entry's hash covers the previous one; the chain heads are folded from
time to time into a checkpoint that is exported and kept outside the database,
which is what catches a chain cut short together with its head.
"""
import hashlib
import json

from BTrees.IOBTree import IOBTree
from BTrees.OOBTree import OOBTree
from persistent import Persistent

from . import clock

GENESIS = '0' * 64
# Entries the administrators' security monitoring reads by time (Art. 15.3): listed in
# ``Journal.security`` as they are appended, so a period is read without walking every chain.
SECURITY_ACTIONS = frozenset((
    'login_failed', 'account_locked', 'secret_file_read', 'certificate_registered',
    'user_created', 'user_enabled', 'user_disabled', 'password_set', 'token_created', 'token_revoked',
    'roles_changed', 'unit_changed', 'password_changed',
))
# The exchange worker's life (Art. 13.1 availability, reports/availability.py), on the chain
# WORKER_CHAIN, listed in ``Journal.availability`` by time; the routes' changes on ROUTES_CHAIN
# (few: written only when a route's state changes, read whole).
AVAILABILITY_ACTIONS = frozenset(('worker_started', 'worker_alive', 'worker_stopped'))
WORKER_CHAIN = 'availability:worker'
ROUTES_CHAIN = 'availability:routes'


def _canonical(details):
    return json.dumps(details or {}, ensure_ascii=False, sort_keys=True, separators=(',', ':'))


def entry_hash(chain_id, seq, at, actor, action, details_json, prev):
    text = '\n'.join((chain_id, str(seq), at, actor or '', action, details_json, prev))
    return hashlib.sha256(text.encode('utf-8')).hexdigest()


class Chain(Persistent):
    """One subject's entries, ``seq -> (at, actor, action, details_json, prev, hash)``."""

    def __init__(self, chain_id):
        self.chain_id = chain_id
        self.entries = IOBTree()
        self.length = 0
        self.head = GENESIS

    def append(self, action, actor, details, at):
        seq = self.length + 1
        details_json = _canonical(details)
        digest = entry_hash(self.chain_id, seq, at, actor, action, details_json, self.head)
        self.entries[seq] = (at, actor or '', action, details_json, self.head, digest)
        self.length = seq
        self.head = digest
        return seq


class Checkpoint(Persistent):
    """The heads of the chains that changed since the previous checkpoint."""

    def __init__(self, number, at, heads, prev):
        self.number = number
        self.at = at
        self.heads = {k: tuple(v) for k, v in heads.items()}   # {chain_id: (length, head)}
        self.prev = prev
        self.hash = hashlib.sha256(
            (prev + '\n' + at + '\n' + _canonical(heads)).encode('utf-8')).hexdigest()


class Journal(Persistent):
    security = None             # a journal stored before these indexes: evolve step 0011 builds them
    availability = None

    def __init__(self):
        self.chains = OOBTree()
        self.checkpoints = IOBTree()
        self.security = OOBTree()       # (at, chain_id, seq) -> action, the SECURITY_ACTIONS only
        self.availability = OOBTree()   # (at, chain_id, seq) -> action, the AVAILABILITY_ACTIONS only


def journal_of(root):
    return root.journal


def append(root, chain_id, action, actor=None, **details):
    """Append an entry to ``chain_id``'s chain and return its sequence number."""
    journal = journal_of(root)
    chain = journal.chains.get(chain_id)
    if chain is None:
        chain = journal.chains[chain_id] = Chain(chain_id)
    at = clock.iso(clock.now())
    seq = chain.append(action, actor, details, at)
    index = _index_of(journal, action)
    if index is not None:
        index[(at, chain_id, seq)] = action
    return seq


def _index_of(journal, action):
    if action in SECURITY_ACTIONS:
        return journal.security
    if action in AVAILABILITY_ACTIONS:
        return journal.availability
    return None


def indexed(root, which, start, end):
    """The entries of the index ``which`` ('security' or 'availability') appended from ``start``
    up to ``end`` (ISO strings, Vietnam time; ``end`` excluded), oldest first, as dicts like
    ``entries`` gives, with their ``chain``."""
    journal = journal_of(root)
    index = getattr(journal, which)
    if index is None:
        return []
    out = []
    for at, chain_id, seq in index.keys(min=(start,), max=(end,), excludemax=True):
        _at, actor, action, details, _prev, _digest = journal.chains[chain_id].entries[seq]
        out.append(dict(seq=seq, at=at, actor=actor, action=action, details=json.loads(details), chain=chain_id))
    return out


def reindex(root):
    """Build the security and availability indexes from every chain (evolve step 0011)."""
    journal = journal_of(root)
    journal.security, journal.availability = OOBTree(), OOBTree()
    for chain_id, chain in journal.chains.items():
        for seq, (at, _actor, action, _details, _prev, _digest) in chain.entries.items():
            index = _index_of(journal, action)
            if index is not None:
                index[(at, chain_id, seq)] = action


def prefetch(root, chain_id):
    """Load a chain and its last bucket of entries (a ZEO round trip each) ahead of ``append``."""
    chain = journal_of(root).chains.get(chain_id)
    if chain is not None and chain.length:
        chain.entries.get(chain.length)


def entries(root, chain_id, actions=None):
    """The chain's entries as dicts, oldest first (a history page is a view of this); with
    ``actions``, only the entries of those actions (the others' details are not decoded)."""
    chain = journal_of(root).chains.get(chain_id)
    if chain is None:
        return []
    return [
        dict(seq=seq, at=at, actor=actor, action=action, details=json.loads(details),
             prev=prev, hash=digest)
        for seq, (at, actor, action, details, prev, digest) in chain.entries.items()
        if actions is None or action in actions
    ]


def folded_heads(journal):
    """The state all checkpoints together vouch for: ``{chain_id: (length, head)}``."""
    heads = {}
    for cp in journal.checkpoints.values():
        heads.update(cp.heads)
    return heads


def checkpoint(root):
    """Fold the heads that moved since the last checkpoint into a new one."""
    journal = journal_of(root)
    known = folded_heads(journal)
    changed = {}
    for chain_id, chain in journal.chains.items():
        if known.get(chain_id) != (chain.length, chain.head):
            changed[chain_id] = (chain.length, chain.head)
    last = journal.checkpoints.maxKey() if len(journal.checkpoints) else 0
    prev = journal.checkpoints[last].hash if last else GENESIS
    cp = Checkpoint(last + 1, clock.iso(clock.now()), changed, prev)
    journal.checkpoints[cp.number] = cp
    return cp


def export_checkpoints(root):
    """All checkpoints as a JSON-serialisable document, to be kept outside the database."""
    journal = journal_of(root)
    return {
        'format': 'archive-journal-checkpoints/1',
        'exported_at': clock.iso(clock.now()),
        'checkpoints': [
            dict(number=cp.number, at=cp.at, prev=cp.prev, hash=cp.hash,
                 heads={k: list(v) for k, v in cp.heads.items()})
            for cp in journal.checkpoints.values()
        ],
    }


def _verify_chain(chain_id, chain):
    """The first problem in one chain, or None."""
    prev = GENESIS
    expected = 1
    for seq, (at, actor, action, details, stored_prev, digest) in chain.entries.items():
        if seq != expected:
            return f'chain {chain_id}: entry {expected} is missing (deleted)'
        if stored_prev != prev:
            return f'chain {chain_id}: entry {seq} does not follow entry {seq - 1}'
        if entry_hash(chain_id, seq, at, actor, action, details, prev) != digest:
            return f'chain {chain_id}: entry {seq} was altered (hash mismatch)'
        prev = digest
        expected += 1
    if chain.length != expected - 1 or chain.head != prev:
        return (f'chain {chain_id}: head says {chain.length} entries, '
                f'{expected - 1} found (entries removed at the end)')
    return None


def _verify_checkpoints(checkpoints, label):
    prev = GENESIS
    for cp in checkpoints:
        digest = hashlib.sha256(
            (cp['prev'] + '\n' + cp['at'] + '\n' + _canonical(cp['heads'])).encode('utf-8')
        ).hexdigest()
        if cp['prev'] != prev or cp['hash'] != digest:
            return f'{label} checkpoint {cp["number"]} was altered or is out of order'
        prev = cp['hash']
    return None


def verify(root, exported=None):
    """Check every chain, then the checkpoints; return a list of problems (empty: intact).

    ``exported`` is a checkpoint export kept outside the database; when given, the
    database's chains must still contain everything it vouches for.
    """
    journal = journal_of(root)
    problems = []
    for chain_id, chain in journal.chains.items():
        problem = _verify_chain(chain_id, chain)
        if problem:
            problems.append(problem)
    stored = export_checkpoints(root)['checkpoints']
    sources = [('stored', stored)]
    if exported is not None:
        sources.append(('exported', exported['checkpoints']))
    for label, cps in sources:
        problem = _verify_checkpoints(cps, label)
        if problem:
            problems.append(problem)
            continue
        heads = {}
        for cp in cps:
            heads.update(cp['heads'])
        for chain_id, (length, head) in sorted(heads.items()):
            chain = journal.chains.get(chain_id)
            if chain is None:
                problems.append(f'chain {chain_id}: missing, {label} checkpoint has {length} entries')
                continue
            entry = chain.entries.get(length)
            if entry is None:
                problems.append(f'chain {chain_id}: truncated, {label} checkpoint has '
                                f'{length} entries, {len(chain.entries)} found')
            elif entry[5] != head:
                problems.append(f'chain {chain_id}: entry {length} differs from the {label} checkpoint')
    return problems

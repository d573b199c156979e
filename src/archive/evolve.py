"""Evolve steps: every change of stored data shape is a numbered step recorded as done.

A new database is created in the current shape, so it records every step as done.
An existing one runs the steps it has not yet run, in order, at start-up
(``archive-init`` runs them too and can show them with ``--dry-run``).
"""
import logging

log = logging.getLogger(__name__)



def add_registers_outbox_calendar(root):
    """Workflow issue: bodies get registers and a state index; the root an outbox and calendar overrides."""
    from BTrees.OOBTree import OOBTree, OOTreeSet
    from .calendar import CalendarOverrides
    from .outbox import Outbox
    from .workflow.states import initialize
    for body in root['bodies'].values():
        if not hasattr(body, 'registers'):
            body.registers = OOBTree()
        documents = body.documents
        if 'by_state' not in documents.__dict__:
            documents.by_state = OOBTree()
            documents.secret = OOTreeSet()
            for doc in documents.values():
                if doc.state is None:
                    initialize(doc)
                documents.index_state(doc)
                documents.index(doc)
    if getattr(root, 'outbox', None) is None:
        root.outbox = Outbox()
    if getattr(root, 'calendar_overrides', None) is None:
        root.calendar_overrides = CalendarOverrides()


def add_exchange(root):
    """Exchange protocol issue: the root gets its deliveries and the receiving side's memory."""
    from .exchange.deliveries import Exchange
    if getattr(root, 'exchange', None) is None:
        root.exchange = Exchange()


def index_paper(root):
    """Channels issue: deliveries that went on paper before the paper index are listed for the
    sending clerk."""
    from .exchange.deliveries import index_paper as index
    index(root)


def add_sessions(root):
    """Security issue: login sessions are kept on the server (sessions.py)."""
    from .sessions import SessionStore
    if getattr(root, 'sessions', None) is None:
        root.sessions = SessionStore()


def add_refused(root):
    """Exchange endpoint issue: refusals of unvouched traffic are counted per hour, source and reason."""
    from .refused import Refused
    if getattr(root, 'refusal_counts', None) is None:
        root.refusal_counts = Refused()


def index_outbox(root):
    """Architecture issue: the outbox indexes its pending messages by next attempt (what the status
    sender reads, instead of every message from the first) and the ones given up."""
    root.outbox.reindex()


def add_search_queue(root):
    """Search issue: the index queue (a new database makes it with its first document); the
    index itself is built from ZODB by each server when it finds none."""
    from .search.queue import queue_of
    queue_of(root)


# (name, function(root)); append only, never reorder or rename.
STEPS = [
    ('0001-registers-outbox-calendar', add_registers_outbox_calendar),
    ('0002-exchange', add_exchange),
    ('0003-paper-index', index_paper),
    ('0004-sessions', add_sessions),
    ('0005-refused', add_refused),
    ('0006-outbox-index', index_outbox),
    ('0007-search-queue', add_search_queue),
]


def pending(root):
    return [(name, fn) for name, fn in STEPS if name not in root.evolved]


def evolve(root, dry_run=False):
    done = []
    for name, fn in pending(root):
        log.info('evolve step %s', name)
        if not dry_run:
            fn(root)
            root.evolved.add(name)
        done.append(name)
    return done

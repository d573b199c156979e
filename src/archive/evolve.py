"""Evolve steps: every change of stored data shape is a numbered step recorded as done.

A new database is created in the current shape, so it records every step as done.
An existing one runs the steps it has not yet run, in order, at start-up
(``archive-init`` runs them too and can show them with ``--dry-run``).
"""
import ast
import logging

from .calendar import CalendarOverrides
from .outbox import Outbox
from .workflow.states import initialize
from .exchange.deliveries import Exchange
from .exchange.deliveries import index_paper as index
from .sessions import SessionStore
from .refused import Refused
from . import clock
from . import audit
from .resources.notices import notices_of
from .audit import reindex
from .exchange import deliveries, edxml
from .resources.records import ensure_records
from .resources.summary import keep as keep_summary
from .reports.counters import Stats
from .reports.recount import rebuild
from .reports.reshape import add_pending, build_rollups, drop_tallies, reshard
from .search.queue import queue_of

log = logging.getLogger(__name__)
SAVEPOINT_EVERY = 10000           # documents a step rewrites between savepoints (_every_document)



def add_registers_outbox_calendar(root):
    """Workflow issue: bodies get registers and a state index; the root an outbox and calendar overrides."""
    from BTrees.OOBTree import OOBTree, OOTreeSet
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
    if getattr(root, 'exchange', None) is None:
        root.exchange = Exchange()


def index_paper(root):
    """Channels issue: deliveries that went on paper before the paper index are listed for the
    sending clerk."""
    index(root)


def add_sessions(root):
    """Security issue: login sessions are kept on the server (sessions.py)."""
    if getattr(root, 'sessions', None) is None:
        root.sessions = SessionStore()


def add_refused(root):
    """Exchange endpoint issue: refusals of unvouched traffic are counted per hour, source and reason."""
    if getattr(root, 'refusal_counts', None) is None:
        root.refusal_counts = Refused()


def index_outbox(root):
    """Architecture issue: the outbox indexes its pending messages by next attempt (what the status
    sender reads, instead of every message from the first) and the ones given up."""
    root.outbox.reindex()


def index_journal_and_forward(root):
    """Monitoring and queues issue: the journal lists its security and availability entries by
    time; the forwardings queued as outbox messages that nothing carried become deliveries
    (kind ``forward``, as ``exchange.outgoing.queue_forward`` makes them), the messages settled."""
    reindex(root)
    box = root.outbox
    if box.due is None:
        box.reindex()
    for key, message in box.pending('forward'):
        body = root['bodies'].get(message['body'])
        doc = body.documents.get(message['document']) if body is not None else None
        target = root['bodies'].get(message['to_body'])
        if doc is None or target is None:
            box.settle(key, 'failed')
            continue
        number, notation = edxml.split_number_symbol(doc.number_symbol or '') or ('', '')
        delivery = deliveries.Delivery(doc.body_code, doc.__name__,
                                       edxml.document_id(doc.body_code, clock.today(), number, notation),
                                       target.code, target.name, target.route, deliveries.rank_of(doc.urgency))
        delivery.kind, delivery.reason = 'forward', message['reason']
        deliveries.add(root, delivery)
        box.settle(key, 'carried')


def add_records(root):
    """Records files issue: each body gets its records container (file plan, files, batches)."""
    for body in root['bodies'].values():
        ensure_records(body)


def add_stats(root):
    """Statistics issue: counters per body and period, built from what is stored (the journal);
    each body's documents indexed by deadline while it runs (still open past it)."""
    from BTrees.OOBTree import OOTreeSet
    if getattr(root, 'stats', None) is None:
        root.stats = Stats()
    for body in root['bodies'].values():
        documents = body.documents
        if documents.by_deadline is None:
            documents.by_deadline = OOTreeSet()
            for doc in documents.values():
                documents.index_state(doc)
    rebuild(root)          # after the deadline index: what indexing counted is recounted


def key_taken_in_by_sender(root):
    """Real traffic issue (16, item 6): a DocumentId belongs to its sender; what was taken in is
    known by (receiving body, sender, DocumentId), no longer by (receiving body, DocumentId)."""
    taken = root.exchange.taken_in
    for key in [k for k in taken.keys() if len(k) == 2]:
        body_code, document_id = key
        name, sha256 = taken[key]
        doc = root['bodies'][body_code].documents.get(name) if body_code in root['bodies'] else None
        sender = (getattr(doc, 'exchange', None) or {}).get('sender', '')
        del taken[key]
        taken[(body_code, sender, document_id)] = (name, sha256)


def index_letters(root):
    """Pages issue (#17): each body's incoming documents indexed by issuer, number and symbol,
    date of issue, so that taking the same letter in twice is noticed."""
    from BTrees.OOBTree import OOBTree
    for body in root['bodies'].values():
        documents = body.documents
        if documents.__dict__.get('letters') is None:
            documents.letters = OOBTree()
            for doc in documents.values():
                if doc.direction == 'incoming':
                    documents.index(doc)


def add_search_queue(root):
    """Search issue: the index queue (a new database makes it with its first document); the
    index itself is built from ZODB by each server when it finds none."""
    queue_of(root)


def add_stats_rollups(root):
    """Statistics issue, the 1M goal: the roll-ups across bodies (month counters without the
    document type, documents whose deadline runs by day, late events by month) built from the
    stored counters and deadline indexes (``archive-stats check`` compares them with a recount)."""
    build_rollups(root)


def move_tallies_into_rollups(root):
    """Statistics issue, the cost of counting: the month's counters of each body move into the
    roll-ups across bodies, with the document type, and the per-body tallies go (each event
    writes two objects, not three); the roll-ups keep each body's row as bytes."""
    drop_tallies(root)


def regroup_stats_shards(root):
    """Statistics issue, the cost of counting: more shards of bodies, so that the month roll-up
    an event rewrites holds fewer bodies' rows (``reports.rollups.SHARDS``)."""
    reshard(root)


def add_stats_pending(root):
    """Statistics issue, the cost of counting: each shard of bodies gets its pending events, so
    that an event writes one small object and the roll-ups are written once every few dozen
    events (``reports.counters.Pending``); nothing stored moves."""
    add_pending(root)


def add_notices(root):
    """Notifications (#17): what the system has to tell each person, and the digests queued."""
    notices_of(root)


def _every_document(root):
    """Every document of every body, with a savepoint after each SAVEPOINT_EVERY: a step that
    rewrites a million documents in its one transaction keeps what it changed on disk (ZODB's
    temporary savepoint file), not in memory."""
    transaction_manager = root._p_jar.transaction_manager if root._p_jar is not None else None
    seen = 0
    for body in root['bodies'].values():
        for doc in body.documents.values():
            yield doc
            seen += 1
            if transaction_manager is not None and seen % SAVEPOINT_EVERY == 0:
                transaction_manager.savepoint(optimistic=True)


def keep_origin_checks(root):
    """Archive end (#14): each document keeps its signature checks beside its verdict (what the
    journal's ``origin_checked`` entries say), so a transfer package reads them with the document."""
    for doc in _every_document(root):
        if doc.origin_checks:
            continue                    # kept already: a second run adds nothing
        for entry in audit.entries(root, doc.chain_id, actions=('origin_checked',)):
            d = entry['details']
            doc.note_origin_check(entry['at'], d.get('status'), d.get('code'), d.get('file'), d.get('sha256'))


def list_files_in_order(root):
    """Archive end (#14): each document keeps its files in order beside their tree
    (``Document.listed_files``), so that listing them (a transfer export, the document's page)
    loads no tree. A second run changes nothing."""
    for doc in _every_document(root):
        if doc.listed_files is None:
            doc.listed_files = tuple(doc.file_list())


def summarise_for_export(root):
    """Archive end (#14): each document's export summary (``resources.summary``), so a transfer
    export reads one small record a document instead of the document and its files. A second run
    changes nothing."""
    from BTrees.OOBTree import OOBTree
    for body in root['bodies'].values():
        if body.documents.summaries is None:
            body.documents.summaries = OOBTree()
    for doc in _every_document(root):
        keep_summary(doc)


def export_reports_as_values(root):
    """An exported batch's report kept its lists and mappings (problems, Mật documents, counts)
    as the text of a Python literal: read back as values, so the batch page can word them."""
    for body in root['bodies'].values():
        records = getattr(body, 'records', None)
        for batch in (records.batches.values() if records is not None else ()):
            report = (batch.exported or {}).get('report')
            if not report:
                continue
            kept = dict(report)
            for key, value in report.items():
                if isinstance(value, str) and value[:1] in '[{':
                    try:
                        kept[key] = ast.literal_eval(value)
                    except (ValueError, SyntaxError):
                        pass
            if kept != report:
                batch.exported = dict(batch.exported, report=kept)


# (name, function(root)); append only, never reorder or rename.
STEPS = [
    ('0001-registers-outbox-calendar', add_registers_outbox_calendar),
    ('0002-exchange', add_exchange),
    ('0003-paper-index', index_paper),
    ('0004-sessions', add_sessions),
    ('0005-refused', add_refused),
    ('0006-outbox-index', index_outbox),
    ('0007-search-queue', add_search_queue),
    ('0009-records-files', add_records),
    ('0010-stats', add_stats),
    ('0011-journal-indexes-forwards', index_journal_and_forward),
    ('0012-taken-in-by-sender', key_taken_in_by_sender),
    ('0013-letters-index', index_letters),
    ('0015-stats-rollups', add_stats_rollups),
    ('0016-notices', add_notices),
    ('0017-origin-checks-kept', keep_origin_checks),
    ('0018-stats-tallies-in-rollups', move_tallies_into_rollups),
    ('0020-files-listed-in-order', list_files_in_order),
    ('0022-export-reports-as-values', export_reports_as_values),
    ('0023-stats-shards', regroup_stats_shards),
    ('0024-stats-pending', add_stats_pending),
    ('0025-export-summaries', summarise_for_export),
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

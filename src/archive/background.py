"""Background work: threads inside the server on the embedded FileStorage, or the
``archive-worker`` process beside the servers on ZEO (a FileStorage admits one process).

Today's one job: fold the journal's chain heads into a checkpoint every
``archive.journal_checkpoint_minutes`` and write the export to
``archive.journal_export_dir``, outside the database. The exchange issues add delivery.
"""
import json
import logging
import os
import threading

from . import audit, clock
from .archival import backup, backup_schedule, export_jobs
from .db import flush_refused, run_apart
from .exchange.wake import Stop
from .search.worker import start_thread as start_search
from .exchange.worker import requeue_claims_of_the_dead, start_thread

log = logging.getLogger(__name__)
NO_THREADS_ENV = 'ARCHIVE_NO_BACKGROUND'   # console scripts set it: they must not start workers


def checkpoint_and_export(registry):
    """One round: a checkpoint if anything moved, and the export file; returns its path."""
    def fold(root):
        journal = audit.journal_of(root)
        moved = any(audit.folded_heads(journal).get(cid) != (c.length, c.head)
                    for cid, c in journal.chains.items())
        if moved:
            audit.checkpoint(root)
        return audit.export_checkpoints(root)
    exported = run_apart(registry, fold)
    folder = registry.archive_settings.journal_export_dir
    if not folder:
        return None
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"journal-checkpoints-{clock.now().strftime('%Y-%m-%d')}.json")
    tmp = path + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as f:
        json.dump(exported, f, ensure_ascii=False)
    os.replace(tmp, path)
    return path


def scheduled_pack(registry, last, now):
    """Pack when ``archive.pack_interval_hours`` (24; 0: never) have passed since ``last``,
    keeping ``archive.pack_days`` (7) of history: what a recall destroyed leaves the storage
    within pack_days + the interval. Never past the history every backup destination holds
    (``archival.backup.pack_limit``): no pack at all without backups. Returns the time of the
    last pack."""
    hours = registry.archive_settings.pack_interval_hours
    if hours <= 0 or now - last < hours * 3600:
        return last
    days = registry.archive_settings.pack_days
    with backup.LOCK:       # never removes history no backup holds yet: up to every destination's last run
        held = backup.pack_limit(registry.archive_settings)
        if held is None:
            log.warning('no pack: not every backup destination holds a backup (archive.backup_destinations)')
            return last
        registry._zodb_databases[''].pack(t=min(now - days * 86400, held))
    log.info('database packed, keeping %g days of history and what no backup holds', days)
    return now


def run_forever(registry, stop):
    import time
    minutes = registry.archive_settings.journal_checkpoint_minutes
    last_pack = time.time()
    while not stop.wait(minutes * 60):
        try:
            flush_refused(registry, force=True)         # the refusal counts held in memory
            path = checkpoint_and_export(registry)
            log.info('journal checkpoint exported to %s', path)
            last_pack = scheduled_pack(registry, last_pack, time.time())
        except Exception:   # a failed round is logged and tried again next time
            log.exception('journal checkpoint or pack failed')


def start_threads(registry):
    """Start the background threads when this process should (a server on FileStorage): the
    journal checkpoints, and the exchange worker (``archive.exchange_worker``, on by default)."""
    settings = registry.archive_settings
    if os.environ.get(NO_THREADS_ENV) or not settings.background:
        return None
    stop = Stop()                     # one event stops every thread (and wakes the worker)
    if settings.search_indexer:     # search/: every server keeps its own index, on ZEO too
        start_search(registry, stop)
        registry.archive_background_stop = stop
    if not registry.settings.get('zodbconn.uri', '').startswith('file://'):
        return None     # on ZEO the archive-worker process does the rest
    if settings.exchange_worker:
        requeue_claims_of_the_dead(registry)
        start_thread(registry, stop)
    backup_schedule.start_thread(registry, stop)  # the backups' schedule (archival/backup_schedule.py)
    export_jobs.start_thread(registry, stop)      # transfer exports asked for on the batch pages
    thread = threading.Thread(target=run_forever, args=(registry, stop), name='archive-background', daemon=True)
    thread.start()
    registry.archive_background_stop = stop
    return thread

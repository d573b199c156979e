"""The backups' schedule: a thread of the server on FileStorage, of archive-worker on ZEO, that runs
``backup.run_and_journal`` when a destination's newest run is ``backup_interval_hours`` old."""
import logging
import threading
import time

from .backup import SCHEDULE_ACTOR, _epoch, run_and_journal, runs_on

log = logging.getLogger(__name__)

CHECK_SECONDS = 300             # how often the thread looks whether a run is due


def due(settings, now):
    """Whether a scheduled run is due: a destination has no complete run, or its newest is
    ``backup_interval_hours`` old (the run itself decides full or incremental)."""
    hours = settings.backup_interval_hours
    if not settings.backup_destinations or hours <= 0:
        return False
    for destination in settings.backup_destinations:
        runs = runs_on(destination)
        if not runs or now - _epoch(runs[-1]['run']) >= hours * 3600 - CHECK_SECONDS:
            return True
    return False


def run_forever(registry, stop, check_seconds=None):
    """Run when due; after a failed attempt wait an interval (at most an hour) before the next."""
    check_seconds = check_seconds or CHECK_SECONDS
    settings = registry.archive_settings
    retry = min(settings.backup_interval_hours * 3600, 3600)
    last_attempt = 0.0
    while not stop.wait(check_seconds):
        now = time.time()
        if not due(settings, now) or now - last_attempt < retry:
            continue
        last_attempt = now
        try:
            run_and_journal(registry, actor=SCHEDULE_ACTOR)
        except Exception:   # a failed round is journaled where it can be, logged, and tried again later
            log.exception('scheduled backup failed')


def start_thread(registry, stop):
    """The scheduler's thread, when backups are configured; None otherwise."""
    settings = registry.archive_settings
    if not settings.backup_destinations or settings.backup_interval_hours <= 0:
        return None
    thread = threading.Thread(target=run_forever, args=(registry, stop), name='archive-backups', daemon=True)
    thread.start()
    return thread

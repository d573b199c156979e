"""The transfer export as a job: a batch of 10,000 documents must not hold a request.

The batch page and the API ask for it (``request``): an ``ExportJob`` is written on the batch in
the request's own transaction. The worker — a thread of the server on FileStorage, ``archive-worker``
on ZEO (``start_thread``) — finds the jobs asked for (``pending``) and does each (``run_one``) with
the one write-then-validate path, ``batches.export``, recording the documents done as it goes (a
commit every ``PROGRESS_SECONDS``: only the job changes). The batch page shows the progress and
refreshes itself; a failure is kept on the job with its code and message, and asking again starts
a new job, which resumes the package where the failed one stopped (the writer resumes from its
journal, as after a SIGKILL). A job found running when the worker starts (its process died) is
taken up again the same way.
"""
import logging
import os
import threading
import time

import transaction
from persistent import Persistent

from .. import audit, clock
from ..db import database, run_apart
from ..errors import Conflict
from ..i18n import _, translate
from ..resources.root import root_key
from . import batches as B
from . import files as F
from . import sip

log = logging.getLogger(__name__)

QUEUED, RUNNING, FAILED, DONE = 'queued', 'running', 'failed', 'done'
STATES = {
    QUEUED: _('export_job_queued', default='Đang chờ xuất gói'),
    RUNNING: _('export_job_running', default='Đang xuất gói'),
    FAILED: _('export_job_failed', default='Xuất gói không thành công'),
    DONE: _('export_job_done', default='Đã xuất gói'),
}
POLL_SECONDS = 2.0              # how often the worker looks for a job asked for
PROGRESS_SECONDS = 2.0          # how often a running job records how far it is


class ExportJob(Persistent):
    """One export of a batch asked for: who asked, its state, documents done of the total, and
    the error (``{code, message}``) that stopped it."""

    started_at = finished_at = error = total = None

    def __init__(self, by, bag=False):
        self.by = by
        self.bag = bool(bag)
        self.state = QUEUED
        self.asked_at = clock.iso(clock.now())
        self.done = 0

    def as_json(self):
        return {'state': self.state, 'by': self.by, 'bag': self.bag, 'asked_at': self.asked_at,
                'started_at': self.started_at, 'finished_at': self.finished_at, 'done': self.done,
                'total': self.total, 'error': dict(self.error) if self.error else None}


def job_of(batch):
    return getattr(batch, 'export_job', None)


def active(batch):
    job = job_of(batch)
    return job is not None and job.state in (QUEUED, RUNNING)


def request(root, batch, settings, user, bag=False):
    """Ask for the batch's export (checked first: kind, state, Mật); the worker does it. Refused
    while one is asked for or running; after a failure, a new job resumes what was written."""
    B.check_exportable(batch, settings)
    if os.path.exists(B.package_path(settings, batch)):
        raise sip.package_exists(batch.package_id)
    if active(batch):
        raise Conflict('batch_export_running', _(
            'batch_export_running', default='Lô đang được xuất gói: chờ xong rồi xem kết quả'))
    again = job_of(batch) is not None
    batch.export_job = ExportJob(user.login, bag)
    audit.append(root, batch.chain_id, 'batch_export_requested', user.login, again=again, bag=bool(bag))
    return batch


def pending(root):
    """``(body code, batch name)`` of every job asked for or left running."""
    out = []
    for body in root['bodies'].values():
        records = F.records_of(body)
        for batch in (records.batches.values() if records is not None else ()):
            if active(batch):
                out.append((body.code, batch.__name__))
    return out


def _message(exc):
    message = getattr(exc, 'message', None) or str(exc) or type(exc).__name__
    return translate(message)


def run_one(registry, body_code, name):
    """Do one job in a connection of its own; returns its final state (None: nothing to do)."""
    tm = transaction.TransactionManager()
    conn = database(registry).open(transaction_manager=tm)
    try:
        tm.begin()
        root = conn.root()[root_key(registry)]
        batch = B.get_batch(F.records_of(root['bodies'][body_code]), name)
        job = job_of(batch)
        if job is None or job.state not in (QUEUED, RUNNING):
            return None
        job.state, job.started_at, job.done, job.error = RUNNING, clock.iso(clock.now()), 0, None
        by, bag = job.by, job.bag
        tm.commit()
        last = [time.monotonic()]

        def progress(done, total):
            job.done, job.total = done, total
            if done == total or time.monotonic() - last[0] >= PROGRESS_SECONDS:
                tm.commit()             # only the job changed: the export itself writes at the end
                last[0] = time.monotonic()
        try:
            B.export(root, batch, registry.archive_settings, root['users'][by], progress=progress, bag=bag)
            job.state, job.finished_at = DONE, clock.iso(clock.now())
            tm.commit()
            return DONE
        except Exception as exc:        # any failure: kept on the job, shown on the page, asked again
            tm.abort()
            log.warning('export of batch %s/%s failed: %s', body_code, name, exc)
            code = getattr(exc, 'code', None) or 'batch_export_failed'
            job.state, job.finished_at = FAILED, clock.iso(clock.now())
            job.error = {'code': code, 'message': _message(exc)}
            audit.append(root, batch.chain_id, 'batch_export_failed', by, code=code)
            tm.commit()
            return FAILED
    finally:
        tm.abort()
        conn.close()


def run_pending(registry):
    """One round of the worker: every job asked for, one after the other; returns how many."""
    jobs = run_apart(registry, pending)
    for body_code, name in jobs:
        run_one(registry, body_code, name)
    return len(jobs)


def run_forever(registry, stop, poll_seconds=None):
    while not stop.wait(poll_seconds or POLL_SECONDS):
        try:
            run_pending(registry)
        except Exception:       # logged; the next round tries again
            log.exception('transfer export round failed')


def start_thread(registry, stop):
    thread = threading.Thread(target=run_forever, args=(registry, stop), name='archive-exports', daemon=True)
    thread.start()
    return thread

"""The exchange worker: carries deliveries and status messages out of the database.

A worker claims a delivery in a short transaction (``deliveries.claim``: two workers never hold
the same one; a dead worker's lease expires and the delivery goes back to the queue). Then:

* ``hosted`` (a receiver on this same instance): the package built and signed, the receiving path
  and the result are ONE ZODB transaction that only the claimant completes, so a delivery is taken
  in exactly once whatever crashes. A refusal by the receiving path rolls back to a savepoint:
  nothing of the package stays, the refusal is journaled and the delivery marked declined (02).
* every other route (``channels``: another instance, official email, a person's mailbox, the
  national axis): the bytes are built and signed once and kept on the delivery, carried outside
  any transaction, and the answer recorded by the claimant: a verified receipt, a hand-over, a
  refusal, or an attempt to retry with back-off (then paper, Art. 7.4). A retry sends the same
  bytes, and the receiving path answers the same bytes with the same receipt: nothing twice.

Status messages go back the same ways (``send_one_status``); intake of the channels that are
polled (a mailbox, the axis folder) runs in the same round, and so does the fold of the statistics
counters' pending events (``reports.folding``: maintenance after commit, not a registration's).

On FileStorage the worker is a thread in the server (``archive.exchange_worker = true``); on ZEO
it runs in ``archive-worker``.
"""
import datetime as dt
import threading
import time

from ZODB.POSException import ConflictError

from ... import audit, clock
from ...db import flush_refused
from ...reports import folding
from .. import channels, deliveries, notify_mail, wake
from ..receive import ACTOR
from .common import LOCAL, log, retry_policy, route_seen, with_registry, worker_name
from .delivering import BROKEN_LIMIT, BUSY, build_package, deliver_one
from .statuses import send_one_status

__all__ = ['BROKEN_LIMIT', 'BUSY', 'LOCAL', 'build_package', 'deliver_one', 'journal_life', 'requeue_claims_of_the_dead',
           'retry_policy', 'route_seen', 'run_forever', 'run_round', 'send_one_status', 'start_thread',
           'with_registry', 'worker_name']


def run_round(registry, limit=1000):
    """Take in what the polled channels hold, deliver what waits and carry the statuses, until
    nothing is left (or ``limit`` each); first put back what a dead worker left claimed and what
    is due for another try; write the refusal counts held in memory when due; then fold the
    counters' shards that are due. Returns how many items were handled (folds are not items)."""
    flush_refused(registry)
    with_registry(registry, deliveries.requeue_expired)
    with_registry(registry, deliveries.requeue_due)
    done = channels.poll_all(registry)
    broken = 0
    for _ in range(limit):
        try:
            result = deliver_one(registry)
        except Exception:           # one item broke outside its own handling: logged, the next goes
            log.exception('a delivery failed')
            broken += 1
            if broken > BROKEN_LIMIT:
                break
            continue
        if result is None:
            break
        if result != BUSY:
            done += 1
    for _ in range(limit):
        try:
            if send_one_status(registry) is None:
                break
        except ConflictError:
            continue                  # another worker carried the same one first: take the next
        done += 1
    done += notify_mail.run(registry, limit)        # people's mail: the digests when due, then what waits
    folding.fold_due(registry)                      # the counters' pending events (not items carried)
    return done


def journal_life(registry, action, name):
    """``worker_started``, ``worker_alive`` or ``worker_stopped`` on the worker's chain, with its
    heartbeat (``reports.availability`` reads them); a failure is logged, never raised."""
    every = registry.archive_settings.heartbeat_minutes * 60
    try:
        with_registry(registry, lambda root: audit.append(root, audit.WORKER_CHAIN, action, ACTOR,
                                                           worker=name, every=every))
    except Exception:
        log.exception('%s not journaled', action)


def run_forever(registry, stop, interval=2.0):
    """Rounds until ``stop``: woken by a commit that queued work (``wake``), else every ``interval``.
    Journals its start, a heartbeat every ``archive.heartbeat_minutes`` and its stop."""
    waiter = wake.Waiter()
    name, every = worker_name(), registry.archive_settings.heartbeat_minutes * 60
    journal_life(registry, 'worker_started', name)
    next_beat = time.monotonic() + every
    try:
        while True:
            waiter.wait(interval)
            if stop.is_set():
                journal_life(registry, 'worker_stopped', name)
                return
            if time.monotonic() >= next_beat:
                journal_life(registry, 'worker_alive', name)
                next_beat = time.monotonic() + every
            try:
                while run_round(registry) and not stop.is_set():
                    pass
            except Exception:     # a failed round is logged and tried again
                if stop.is_set():
                    journal_life(registry, 'worker_stopped', name)
                    return
                log.exception('exchange round failed')
    finally:
        waiter.close()


def requeue_claims_of_the_dead(registry):
    """On FileStorage only this process has the database open, so every claim found at start
    belongs to a process that died or was stopped mid-delivery: back in the queue now, rather
    than when its lease runs out. (On ZEO another worker may be alive: the lease decides.)"""
    far = clock.now() + dt.timedelta(days=36500)
    back = with_registry(registry, lambda root: deliveries.requeue_expired(root, now=far))
    if back:
        log.info('%d deliveries claimed by a stopped process are waiting again', len(back))
    return back


def start_thread(registry, stop=None):
    stop = stop or wake.Stop()
    interval = registry.archive_settings.exchange_poll_seconds
    thread = threading.Thread(target=run_forever, args=(registry, stop, interval), name='archive-exchange',
                              daemon=True)
    thread.start()
    registry.archive_exchange_stop = stop
    return thread

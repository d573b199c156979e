"""One client process of bench/registers.py (not meant to be run by hand).

    python bench/register_client.py JOB_JSON_FILE

The job says which side to run:

* ``ours``: register the named incoming documents, one transaction each, through
  ``archive.workflow.engine.fire(root, doc, 'register', vanthu, registry)``;
* ``bare``: increment a plain persistent counter ``count`` times, one transaction each.

Both retry a transaction on ``ConflictError`` until it commits. The client sets
itself up (app, connection, root loaded), prints ``ready``, waits for ``go`` on stdin,
runs, and prints one JSON line with what it got, its conflicts and its start and end
times on the shared monotonic clock.
"""
import cProfile
import io
import json
import os
import pstats
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)
if PROJECT not in sys.path:
    sys.path.insert(0, PROJECT)

import transaction  # noqa: E402
from persistent import Persistent  # noqa: E402
from ZODB.POSException import ConflictError  # noqa: E402


class Counter(Persistent):
    """The bare side's counter: an int attribute, no conflict resolution (like Series.last)."""

    def __init__(self):
        self.value = 0


# The class must be importable under the same name by the setup process and the clients.
Counter.__module__ = 'register_client'


def _conflict_kind(exc):
    name = None
    try:
        name = exc.get_class_name()
    except Exception:
        pass
    return f'{type(exc).__name__}:{name or "?"}'


class Run:
    def __init__(self, backoff_ms=0):
        self.backoff = backoff_ms / 1000
        self.conflicts = 0
        self.kinds = {}
        self.retried = 0          # transactions that needed at least one retry
        self.max_attempts = 0
        self.attempts = []        # attempts per committed transaction
        self.latencies = []       # seconds per committed transaction, retries included
        self.held = []            # seconds from taking the number to the end of the commit
        self.mark = None

    def take(self):
        """Called when the transaction reads the counter: the start of the conflict window."""
        self.mark = time.perf_counter()

    def attempt(self, tm, work):
        """Run ``work()`` in a transaction of ``tm`` until it commits; return its result."""
        attempts = 0
        t0 = time.perf_counter()
        while True:
            attempts += 1
            self.mark = None
            try:
                with tm:
                    result = work()
                if self.mark is not None:
                    self.held.append(time.perf_counter() - self.mark)
                break
            except ConflictError as exc:
                self.conflicts += 1
                kind = _conflict_kind(exc)
                self.kinds[kind] = self.kinds.get(kind, 0) + 1
                if self.backoff:
                    time.sleep(random.uniform(0, self.backoff))
        self.latencies.append(time.perf_counter() - t0)
        if attempts > 1:
            self.retried += 1
        self.max_attempts = max(self.max_attempts, attempts)
        self.attempts.append(attempts)
        return result


def wait_for_go():
    print('ready', flush=True)
    line = sys.stdin.readline()
    if line.strip() != 'go':
        sys.exit('register_client: no go')


def profiled(job, fn):
    if not job.get('profile'):
        return fn()
    prof = cProfile.Profile()
    result = prof.runcall(fn)
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats('cumulative').print_stats(45)
    stats.sort_stats('tottime').print_stats(30)
    with open(job['profile'], 'w') as f:
        f.write(out.getvalue())
    return result


def run_ours(job):
    from pyramid.threadlocal import manager

    from archive import registers
    from archive.resources.root import root_key
    from archive.seed import HOST
    from archive.workflow import engine
    from tests.conftest import make_app

    app = make_app(job['settings'])
    registry = app.registry
    db = registry._zodb_databases['']
    tm = transaction.TransactionManager()
    conn = db.open(transaction_manager=tm)
    manager.push({'registry': registry, 'request': None})
    run = Run(job.get('backoff_ms', 0))
    numbers = {}
    take = registers.Series.take

    def timed_take(series, document, by):   # only notes the time: the conflict window starts here
        run.take()
        return take(series, document, by)
    registers.Series.take = timed_take
    try:
        with tm:   # warm up: the root, the body, the user (what every request has loaded)
            root = conn.root()[root_key(registry)]
            root['bodies'][HOST].documents  # noqa: B018 - loaded, not used
            root['users']['vanthu'].roles  # noqa: B018
        wait_for_go()

        def loop():
            for name in job['names']:
                def work():
                    root = conn.root()[root_key(registry)]
                    doc = root['bodies'][HOST].documents[name]
                    engine.fire(root, doc, 'register', root['users']['vanthu'], registry)
                    return doc.register_number
                numbers[name] = run.attempt(tm, work)

        start = time.monotonic()
        profiled(job, loop)
        end = time.monotonic()
    finally:
        manager.pop()
        conn.close()
        db.close()
    return dict(got=numbers, start=start, end=end, **_stats(run))


def run_bare(job):
    import zodburi
    from ZODB import DB

    factory, dbkw = zodburi.resolve_uri(job['uri'])
    db = DB(factory(), **dbkw)
    tm = transaction.TransactionManager()
    conn = db.open(transaction_manager=tm)
    run = Run(job.get('backoff_ms', 0))
    values = []
    try:
        with tm:
            conn.root()['counter'].value  # noqa: B018 - loaded, not used
        wait_for_go()

        def loop():
            for _ in range(job['count']):
                def work():
                    counter = conn.root()['counter']
                    run.take()
                    counter.value += 1
                    return counter.value
                values.append(run.attempt(tm, work))

        start = time.monotonic()
        profiled(job, loop)
        end = time.monotonic()
    finally:
        conn.close()
        db.close()
    return dict(got=values, start=start, end=end, **_stats(run))


def _stats(run):
    lat = sorted(run.latencies)
    held = sorted(run.held)
    tenth = max(1, len(run.latencies) // 10)

    def pct(p):
        return lat[min(len(lat) - 1, int(p * len(lat)))] if lat else None
    return dict(conflicts=run.conflicts, conflict_kinds=run.kinds, retried=run.retried,
                max_attempts=run.max_attempts, over_5=sum(1 for a in run.attempts if a > 5),
                p50_ms=pct(0.5) * 1000 if lat else None,
                p95_ms=pct(0.95) * 1000 if lat else None,
                held_p50_ms=held[len(held) // 2] * 1000 if held else None,
                first_tenth_ms=sum(run.latencies[:tenth]) * 1000 / tenth if lat else None,
                last_tenth_ms=sum(run.latencies[-tenth:]) * 1000 / tenth if lat else None)


def main():
    with open(sys.argv[1]) as f:
        job = json.load(f)
    sys.modules.setdefault('register_client', sys.modules[__name__])
    result = run_ours(job) if job['side'] == 'ours' else run_bare(job)
    print(json.dumps(result), flush=True)


if __name__ == '__main__':
    main()

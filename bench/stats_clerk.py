"""The registration as the clerk makes it, for bench/stats.py (#15: counters add under 10 % to a
registration): the document's page read (not timed), then its "Vào sổ văn bản đến" form posted
through the WSGI app in-process with WebTest — the session cookie, the CSRF token of the form,
traversal, the security policy, ``transition_view``, pyramid_tm's commit and the 303 redirect —
and the redirected page read, timed apart. Alternately with the counters and with
``counters.count`` made a no-op, as ``stats.registration_cost`` alternates ``fire`` + commit
(that figure is kept as it was, beside this one).

Not a test: nothing is asserted about time.
"""
import datetime as dt
import os
import statistics
import threading
import time

import transaction
import webtest

VN = dt.timezone(dt.timedelta(hours=7))
NO_WORKER_ENV = 'BENCH_STATS_NO_WORKER'


class Worker:
    """The worker's fold beside the registrations, as on a server: a thread woken by the commit
    that brings a shard to ``FOLD_AT`` (``exchange.wake``, as the worker is), calling
    ``reports.folding.fold_due`` as the worker's round does. Not the whole exchange round: it
    would carry the status messages the registrations queue, and conflict with them (the server
    retries those; ``fire`` + commit here does not). On code before the fold moved (no
    ``folding``) no thread runs, and the registration that reaches ``FOLD_AT`` folds. A context
    manager; ``summary(n)`` says what the folds cost: each ``fold_due`` that folded (its
    transactions and commits, in its thread), the folds made by a registration (the valve), and
    the thread's whole CPU. With ``BENCH_STATS_NO_WORKER=1`` no thread runs: the registrations
    fold at ``counters.VALVE``, as on a server without a worker."""

    def __init__(self, app):
        self.app, self.worker_folds, self.valve_folds, self.patched = app, [], [], []
        self.thread, self.cpu = None, 0.0

    def __enter__(self):
        from archive.reports import counters
        try:
            from archive.reports import folding
        except ImportError:             # main's code of before: folds in the registration
            return self
        self._wrap(folding, 'fold_due', lambda cpu, n: n and self.worker_folds.append((cpu, n)))
        self._wrap(counters, 'fold', lambda cpu, n: threading.current_thread() is threading.main_thread()
                   and n and self.valve_folds.append((cpu, n)))
        if os.environ.get(NO_WORKER_ENV):   # as a server without a worker: the valve folds
            return self
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(folding,), name='bench-fold', daemon=True)
        self.thread.start()
        self.clock = time.pthread_getcpuclockid(self.thread.ident)
        return self

    def _run(self, folding):
        from archive.exchange import wake
        waiter = wake.Waiter()
        try:
            while not self.stop.is_set():
                waiter.wait(2.0)
                folding.fold_due(self.app.registry)
        finally:
            waiter.close()

    def _wrap(self, module, name, record):
        real = getattr(module, name)

        def timed(*args, **kw):
            c0 = time.thread_time()
            n = real(*args, **kw)
            record(time.thread_time() - c0, n)
            return n
        setattr(module, name, timed)
        self.patched.append((module, name, real))

    def __exit__(self, *exc):
        if self.thread is not None:
            time.sleep(0.5)             # the fold woken by the last registrations
            self.cpu = time.clock_gettime(self.clock)
            self.stop.set()
            from archive.exchange import wake
            wake.ring()
            self.thread.join(10)
        for module, name, real in self.patched:
            setattr(module, name, real)

    def summary(self, counted):
        """What the folds cost, beside ``counted`` registrations made with the counters."""
        out = {'fold_thread_cpu_ms': round(1000 * self.cpu, 1),
               'fold_thread_cpu_per_counted_ms': round(1000 * self.cpu / counted, 3)}
        for name, folds in (('worker', self.worker_folds), ('valve', self.valve_folds)):
            cpus = [cpu for cpu, _n in folds]
            out[f'{name}_folds'] = len(folds)
            if folds:
                out[f'{name}_fold_records_mean'] = round(statistics.mean(n for _cpu, n in folds), 1)
                out[f'{name}_fold_cpu_ms'] = {'median': round(1000 * statistics.median(cpus), 3),
                                              'mean': round(1000 * statistics.mean(cpus), 3),
                                              'min': round(1000 * min(cpus), 3), 'max': round(1000 * max(cpus), 3)}
                out[f'{name}_fold_cpu_per_counted_ms'] = round(1000 * sum(cpus) / counted, 3)
        return out


def incoming(app, root, n, symbol, abstract):
    """``n`` incoming documents in the city office from Ban Tổ chức, arrived, each committed
    (numbered ``1-<symbol>``, ``2-<symbol>``…): what both registration figures register."""
    from archive.seed import HOST
    from archive.services import documents as svc
    docs = []
    for k in range(n):
        docs.append(svc.create(root, root['bodies'][HOST], {
            'direction': 'incoming', 'organ_id': '000.00.02.H01', 'sender': 'Ban Tổ chức Thành ủy',
            'number_symbol': f'{k + 1}-{symbol}', 'doc_type': 'CV', 'abstract': abstract,
            'channel': 'electronic'}, [], app.registry.archive_settings, 'vanthu'))
        transaction.commit()
    return docs


def _documents(app, root, n):
    """``n`` incoming documents in the city office, arrived, each committed: (body, name) each."""
    from archive.seed import HOST
    return [(HOST, doc.__name__)
            for doc in incoming(app, root, n, 'CV/VPTU', 'Đo thời gian vào sổ qua trang')]


def clerk_registration_cost(app, n, password, day=None, at=dt.time(10, 0)):
    """``{'post': {mode: [(wall s, process CPU s, thread CPU s)]}, 'follow': ..., 'folds': ...}``:
    the form's POST (up to its 303 answer) and the redirected page's GET, ``mode``
    ``with``/``without`` the counters, alternating, the worker running (``Worker``); ``day``: on
    that day at ``at`` Vietnam time, a second later each."""
    from pyramid.threadlocal import manager

    from archive import clock
    from archive.reports import counters
    from archive.resources.root import root_key
    from archive.workflow import engine
    real = counters.count
    out = {'post': {'with': [], 'without': []}, 'follow': {'with': [], 'without': []}}
    if day is not None:
        clock.set_now(dt.datetime.combine(day, at, VN))
    db = app.registry._zodb_databases['']
    conn = db.open()
    manager.push({'registry': app.registry, 'request': None})
    try:
        paths = _documents(app, conn.root()[root_key(app.registry)], n)
    finally:
        manager.pop()
        conn.close()
    browser = webtest.TestApp(app, extra_environ={'REMOTE_ADDR': '127.0.0.1'})
    form = browser.get('/login').forms[0]
    form['login'], form['password'] = 'vanthu', password
    form.submit(status=303)
    worker = Worker(app).__enter__()
    try:
        for k, (body, name) in enumerate(paths):
            mode = 'with' if k % 2 == 0 else 'without'
            page = browser.get(f'/bodies/{body}/documents/{name}/')
            form = page.forms['action-register']
            engine.counters.count = real if mode == 'with' else (lambda *a, **kw: None)
            if day is not None:
                clock.set_now(clock.now() + dt.timedelta(seconds=1))
            t0, c0, h0 = time.perf_counter(), time.process_time(), time.thread_time()
            answer = form.submit('submit', status=303)
            t1, c1, h1 = time.perf_counter(), time.process_time(), time.thread_time()
            answer.follow(status=200)
            t2, c2, h2 = time.perf_counter(), time.process_time(), time.thread_time()
            out['post'][mode].append((t1 - t0, c1 - c0, h1 - h0))
            out['follow'][mode].append((t2 - t1, c2 - c1, h2 - h1))
    finally:
        worker.__exit__()
        engine.counters.count = real
        clock.set_now(None)
    out['folds'] = worker.summary(len(out['post']['with']))
    _count_afterwards(app, paths[1::2], real)
    return out


def _count_afterwards(app, paths, count):
    """The registrations made without counting, counted after the measure (a kept database stays
    equal to a recount; counting between two of them would warm the counters' objects)."""
    from pyramid.threadlocal import manager

    from archive.resources.root import root_key
    db = app.registry._zodb_databases['']
    conn = db.open()
    manager.push({'registry': app.registry, 'request': None})
    try:
        root = conn.root()[root_key(app.registry)]
        for body, name in paths:
            doc = root['bodies'][body].documents[name]
            entries = root.journal.chains[doc.chain_id].entries
            count(root, doc, doc.chain_id, next(seq for seq in reversed(entries.keys()) if entries[seq][2] == 'register'))
        transaction.commit()
    finally:
        manager.pop()
        conn.close()


def summary(samples):
    """``{mode: {'wall'|'cpu'|'thread_cpu': spread}}`` and the CPU medians' overhead (%) of a
    side's ``{mode: [(wall, cpu, thread cpu)]}``."""
    out = {mode: {what: spread([s[i] for s in rows]) for i, what in enumerate(('wall', 'cpu', 'thread_cpu'))}
           for mode, rows in samples.items()}
    pct = {what: round(100 * (out['with'][what]['median'] / out['without'][what]['median'] - 1), 1)
           for what in ('wall', 'cpu', 'thread_cpu')}
    pct['cpu_mean'] = round(100 * (out['with']['cpu']['mean'] / out['without']['cpu']['mean'] - 1), 1)
    pct['cpu_trimmed'] = round(100 * (out['with']['cpu']['trimmed'] / out['without']['cpu']['trimmed'] - 1), 1)
    pct['thread_cpu_trimmed'] = round(100 * (out['with']['thread_cpu']['trimmed'] /
                                             out['without']['thread_cpu']['trimmed'] - 1), 1)
    return out, pct


def spread(values):
    """Median, mean and quartiles (ms) of a list of seconds (the mean: counting folds a shard's
    pending events once in a few dozen registrations, which a median does not see)."""
    q = statistics.quantiles(values, n=4)
    return {'median': round(1000 * statistics.median(values), 3), 'mean': round(1000 * statistics.mean(values), 3),
            'trimmed': round(1000 * trimmed_mean(values), 3), 'p25': round(1000 * q[0], 3), 'p75': round(1000 * q[2], 3)}


def trimmed_mean(values, cut=0.01):
    """The mean without the lowest and highest ``cut`` of the values: a pause of the shared machine
    (one registration of 300 ms) moves a mean of 150 by 2 ms; a fold (one registration in 32 with
    counting, 3 %) stays in."""
    values = sorted(values)
    k = max(1, int(len(values) * cut))
    return statistics.mean(values[k:-k])


def load_average():
    return round(os.getloadavg()[0], 1)

"""Benchmark of the statistics (#15): a quarter's figures and the quarterly report's figures over
N documents in a tree of 300 bodies, beside a full scan of the same documents; and what the
counters add to a registration.

    nice .venv/bin/python bench/stats.py [--docs N] [--bodies 300] [--registrations R] [--keep]
        [--folder DIR [--build-only]] [--skip report|scan|registration|clerk] [--batch 20000]
        [--clerk-registrations 400]

It builds one FileStorage (in a temporary folder) with the app (``archive.main``, demo seed), a
tree of ``--bodies`` bodies (the demo's, then districts under the city committee and units under
each district) and N incoming documents spread over a year and over the bodies. Each document
gets the journal entries its life would have (received; most registered, assigned and
completed, some late, some refused; some still open past their deadline), and each entry is
counted by the real ``reports.counters.count`` as it is appended. Documents are built directly,
in big transactions (not through ``fire``: one million transitions through the full workflow
would take hours);
their counters are the ones the workflow would have written, which ``recount.differences``
checks on a sample body at the end.

Then, each on a freshly opened database (cold: empty ZODB cache; the OS file cache is warm, as
on a server that has been running):

* **dashboard**: ``reports.figures.dashboard`` for the last quarter over the whole tree: the
  total, by body and by month (what the dashboard page shows, before drawing the charts);
* **report figures**: the figures of the quarterly report (by body and by month, with the
  channel mix and the overdue counts);
* **whole report**: ``reports.quarterly.build`` (the figures and the lists of late and overdue
  documents, each loaded and its access checked), then its CSV;
* **baseline: full scan**: the same quarter's totals counted by reading every document of every
  body and its journal chain (what one would do without counters).

And the **registration cost**: R incoming documents created in the city office, then registered
with ``workflow.engine.fire`` one transaction each, half with the counters and half with
``counters.count`` replaced by a no-op (interleaved): wall and CPU time per registration, median,
mean and quartiles, and the ratios; CPU time of the process (the app's own threads run meanwhile,
the fold's among them) and of the registering thread alone: the registration's figure, now that
the counters' fold runs after commit in the worker (a thread here, ``stats_clerk.Worker``, whose
folds are reported apart: how many, records and CPU each, and per counted registration). Beside it, the
**clerk's registration** (``stats_clerk.py``): the document page's register form posted through
the WSGI app with WebTest (logged in, CSRF, the 303), alternately with and without the counters,
and the page the redirect leads to, timed apart.

Not a test: nothing is asserted about time. Goal (the issue): under 200 ms for the dashboard
and the figures; counters add under 10 % to a registration.
"""
import argparse
import datetime as dt
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(PROJECT, 'src'))

import stats_clerk  # noqa: E402
import transaction  # noqa: E402

VN = dt.timezone(dt.timedelta(hours=7))
PASSWORD = 'demo-mat-khau-2026'
ROOT_KEY = 'archive-bench'
TOP = '000.00.00.H01'
YEAR = 2026
TYPES = ('CV', 'TTr', 'BC', 'TB', 'NQ', 'QĐ')
ROUTES = ('hosted', 'hosted', 'instance', 'email', 'axis')


def settings_for(folder):
    types = 'NQ Nghị quyết\nQĐ Quyết định\nQĐi Quy định\nHD Hướng dẫn\nTTr Tờ trình\nCV Công văn\nBC Báo cáo\nTB Thông báo'
    return {
        'zodbconn.uri': f'file://{folder}/Data.fs?blobstorage_dir={folder}/blobs',
        'retry.attempts': '3', 'pyramid.default_locale_name': 'vi',
        'archive.secret': 'bench-secret-' + 'x' * 40, 'archive.demo_seed': 'true',
        'archive.demo_password': PASSWORD, 'archive.root_key': ROOT_KEY,
        'archive.workflows_dir': os.path.join(PROJECT, 'workflows'),
        'archive.schemas_dir': os.path.join(PROJECT, 'schemas'),
        'archive.document_types': types,
        'archive.password_time_cost': '1', 'archive.password_memory_kib': '1024',
    }


def make_app(settings):
    """The app on a database prepared as ``archive-init`` prepares it (a server refuses one that
    is not)."""
    import archive
    from archive import startup
    startup.prepare(settings)
    return archive.main({'__file__': os.path.join(PROJECT, 'development.ini'), 'here': PROJECT}, **settings)


def open_root(app):
    from archive.resources.root import root_key
    db = app.registry._zodb_databases['']
    conn = db.open()
    return conn, conn.root()[root_key(app.registry)]


def build_tree(root, n_bodies):
    """The demo tree, then 30 districts under the city committee and wards under them, to n_bodies."""
    from archive.resources.bodies import Body
    bodies = root['bodies']
    districts = []
    for d in range(30):
        code = f'000.{10 + d:02d}.00.H01'
        bodies.add(code, Body(code, f'Quận ủy số {d + 1}', f'QU{d + 1}', parent_code=TOP))
        districts.append(code)
    k = 0
    while len(bodies) < n_bodies:
        parent = districts[k % len(districts)]
        code = f'000.{parent[4:6]}.{k // len(districts) + 1:02d}.H01'
        bodies.add(code, Body(code, f'Đảng ủy phường số {k + 1}', f'ĐUP{k + 1}', parent_code=parent))
        k += 1
    return [b.code for b in bodies.values() if b.route == 'hosted']


def one_document(root, body, name, rng, settings, counters, audit, clock, Document):
    """A document with the journal of its life, each entry counted as it is appended."""
    start = dt.datetime(YEAR, 1, 1, 8, 0, tzinfo=VN) + dt.timedelta(minutes=rng.randrange(0, 330 * 24 * 60))
    clock.set_now(start)
    doc = Document(body.code, 'bench')
    doc.direction = 'incoming'
    doc.doc_type = rng.choice(TYPES)
    doc.urgency = 'khan' if rng.random() < 0.1 else 'normal'
    doc.channel = 'paper' if rng.random() < 0.15 else 'electronic'
    doc.number_symbol = f'{rng.randrange(1, 999)}-{doc.doc_type}/BENCH'
    doc.abstract = f'Văn bản thử số {name}'
    doc.received_at = start
    doc.deadline = (start + dt.timedelta(days=rng.randint(3, 20))).date()
    doc.state = 'arrived'
    body.documents.add(name, doc)
    paper = doc.channel == 'paper'
    if paper:
        counters.count(root, doc, doc.chain_id, audit.append(root, doc.chain_id, 'created', 'bench', body=body.code))
    else:
        audit.append(root, doc.chain_id, 'created', 'bench', body=body.code)
        counters.count(root, doc, doc.chain_id, audit.append(root, doc.chain_id, 'received', 'exchange',
                                                               route=rng.choice(ROUTES)))
    fate = rng.random()
    moves = []
    if fate < 0.05:
        moves = [('refuse', 'refuse_arrived', 'arrived', 'refused', {})]
    elif fate < 0.10:
        moves = [('register', 'register', 'arrived', 'registered', {'late': doc.urgent and rng.random() < 0.3})]
    else:
        moves = [('register', 'register', 'arrived', 'registered', {'late': doc.urgent and rng.random() < 0.3}),
                 ('assign', 'assign', 'registered', 'assigned', {'late': doc.urgent and rng.random() < 0.3})]
        if fate > 0.18:
            moves += [('start', 'start', 'assigned', 'processing', {}),
                      ('complete', 'complete', 'processing', 'completed', {'late': rng.random() < 0.12})]
    when = start
    for action, transition, frm, to, extra in moves:
        when += dt.timedelta(hours=rng.randint(1, 30))
        clock.set_now(when)
        seq = audit.append(root, doc.chain_id, action, 'bench', **{'from': frm, 'to': to, 'transition': transition},
                           **extra)
        doc.state = to
        counters.count(root, doc, doc.chain_id, seq)
    body.documents.index(doc)
    body.documents.index_state(doc)


def populate(app, codes, n_docs, seed, batch=20000, first=0):
    from pyramid.threadlocal import manager

    from archive import audit, clock
    from archive.reports import counters
    from archive.resources.documents import Document
    rng = random.Random(seed)
    conn, root = open_root(app)
    manager.push({'registry': app.registry, 'request': None})
    t0 = time.perf_counter()
    try:
        bodies = root['bodies']
        for k in range(first, first + n_docs):
            body = bodies[codes[int(rng.paretovariate(1.2)) % len(codes)]]
            one_document(root, body, f'd{k:07d}', rng, app.registry.archive_settings, counters, audit, clock, Document)
            if (k + 1 - first) % batch == 0:       # big transactions: a bucket written once per batch
                transaction.commit()
                conn.cacheGC()
                print(f'  {k + 1} documents, {time.perf_counter() - t0:.0f} s', flush=True)
        transaction.commit()
    finally:
        clock.set_now(None)
        manager.pop()
        conn.close()
    return time.perf_counter() - t0


class _Closing:
    def close(self):
        pass


def cold(app):
    """A connection whose ZODB cache was emptied (every object a ghost, loaded again from the
    storage when touched)."""
    from archive.resources.root import root_key
    db = app.registry._zodb_databases['']
    db.cacheMinimize()
    conn = db.open()
    conn.cacheMinimize()
    return _Closing(), conn, conn.root()[root_key(app.registry)]


CPU = {}          # measure -> [CPU seconds], beside the wall times
LOAD = []         # the 1-minute load average at each measure


LOADS = {}        # measure -> objects loaded from the storage (the cache was empty)


def timed(fn, name=None, conn=None):
    if conn is not None:
        conn.getTransferCounts(clear=True)
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    if name:
        CPU.setdefault(name, []).append(time.process_time() - c0)
        LOAD.append(os.getloadavg()[0])
        if conn is not None:
            LOADS[name] = conn.getTransferCounts()[0]
    return time.perf_counter() - t0, out


def full_scan(root, start, end):
    """The quarter's totals from every document and its journal: the baseline."""
    from archive.reports import counters
    totals = {}
    chains = root.journal.chains
    first, last = start.isoformat(), (end + dt.timedelta(days=1)).isoformat()
    for body in root['bodies'].values():
        for doc in body.documents.values():
            chain = chains.get(doc.chain_id)
            if chain is None:
                continue
            entries = list(chain.entries.values())
            by_exchange = any(e[2] == 'received' for e in entries)
            for at, _actor, action, details, _p, _h in entries:
                if not first <= at < last:
                    continue
                for metric, _detail, _route in counters.events(action, json.loads(details), doc, by_exchange, at):
                    totals[metric] = totals.get(metric, 0) + 1
    return totals


def registration_cost(app, n, rng, day=None, at=dt.time(10, 0)):
    """Seconds (wall, CPU) of each registration through ``fire``, with and without the counters;
    ``day``: on that day (the clock set to it, at ``at`` Vietnam time, moving on by a second a
    registration), so that what is counted lands in a month the database already fills."""
    from pyramid.threadlocal import manager

    from archive import clock
    from archive.reports import counters
    from archive.workflow import engine
    conn, root = open_root(app)
    manager.push({'registry': app.registry, 'request': None})
    times = {'with': [], 'without': []}
    cpu = {'with': [], 'without': []}
    thread = {'with': [], 'without': []}       # this thread's CPU only: not the app's own threads
    loads = {'with': [], 'without': []}        # objects loaded from the storage by the registration
    uncounted = []
    real = counters.count
    if day is not None:
        clock.set_now(dt.datetime.combine(day, at, VN))
    worker = stats_clerk.Worker(app)
    try:
        docs = stats_clerk.incoming(app, root, n, 'CV/BTCTU', 'Đo thời gian vào sổ')
        clerk = root['users']['vanthu']
        worker.__enter__()
        for k, doc in enumerate(docs):
            mode = 'with' if k % 2 == 0 else 'without'
            engine.counters.count = real if mode == 'with' else (lambda *a, **kw: None)
            if day is not None:
                clock.set_now(clock.now() + dt.timedelta(seconds=1))
            conn.getTransferCounts(clear=True)
            t0, c0, h0 = time.perf_counter(), time.process_time(), time.thread_time()
            engine.fire(root, doc, 'register', clerk, app.registry)
            transaction.commit()
            times[mode].append(time.perf_counter() - t0)
            loads[mode].append(conn.getTransferCounts()[0])
            cpu[mode].append(time.process_time() - c0)
            thread[mode].append(time.thread_time() - h0)
            if mode == 'without':
                entries = root.journal.chains[doc.chain_id].entries
                uncounted.append((doc, next(seq for seq in reversed(entries.keys()) if entries[seq][2] == 'register')))
        worker.__exit__()
        engine.counters.count = real
        for doc, seq in uncounted:          # counted afterwards: a kept database stays right
            counters.count(root, doc, doc.chain_id, seq)
        transaction.commit()
    finally:
        engine.counters.count = real
        clock.set_now(None)
        manager.pop()
        conn.close()
    return times, cpu, thread, loads, worker.summary(len(cpu['with']))


spread = stats_clerk.spread


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--docs', type=int, default=20000)
    p.add_argument('--bodies', type=int, default=300)
    p.add_argument('--registrations', type=int, default=400)
    p.add_argument('--register-day', type=dt.date.fromisoformat,
                   help='register on this day (YYYY-MM-DD; default: today, a month the build left empty)')
    p.add_argument('--register-time', type=dt.time.fromisoformat, default=dt.time(10, 0),
                   help='with --register-day: from this time of day (HH:MM, Vietnam time; default 10:00)')
    p.add_argument('--repeat', type=int, default=3)
    p.add_argument('--seed', type=int, default=15)
    p.add_argument('--batch', type=int, default=20000, help='documents per transaction while building')
    p.add_argument('--keep', action='store_true')
    p.add_argument('--folder', help='build into (or, if it holds a database, measure) this folder; kept')
    p.add_argument('--build-only', action='store_true')
    p.add_argument('--add', type=int, default=0, help='with --folder: add this many documents to its database first')
    p.add_argument('--clerk-registrations', type=int, default=400,
                   help="the clerk's registrations (the page's form through the app), half with counters")
    p.add_argument('--skip', action='append', default=[], choices=('report', 'scan', 'registration', 'clerk'),
                   help='leave out a measure (a large database: the scan reads every document)')
    args = p.parse_args(argv)
    folder = args.folder or tempfile.mkdtemp(prefix='bench-stats-')
    built = os.path.exists(os.path.join(folder, 'Data.fs'))
    args.keep = args.keep or bool(args.folder)
    os.makedirs(folder, exist_ok=True)
    results = {'docs': args.docs, 'bodies': args.bodies}
    try:
        t0 = time.perf_counter()
        app = make_app(settings_for(folder))          # on a kept database: its pending evolve steps
        results['prepare_s'] = round(time.perf_counter() - t0, 1)
        conn, root = open_root(app)
        if built:
            results['bodies'] = len(root['bodies'])
            have = sum(len(b.documents) for b in root['bodies'].values())
            codes = [b.code for b in root['bodies'].values() if b.route == 'hosted']
            conn.close()
            if args.add:           # a build stopped between two transactions, continued
                print(f'adding {args.add} documents to the {have} in {folder} …', flush=True)
                results['add_s'] = round(populate(app, codes, args.add, args.seed + have, args.batch, have), 1)
                have += args.add
            results['docs'] = args.docs = have
            if args.build_only:
                print(json.dumps(results))
                return
            print(f'measuring the database in {folder}: {args.docs} documents', flush=True)
        else:
            codes = build_tree(root, args.bodies)
            transaction.commit()
            results['bodies'] = len(root['bodies'])
            conn.close()
            print(f'{results["bodies"]} bodies; building {args.docs} documents …', flush=True)
            results['build_s'] = round(populate(app, codes, args.docs, args.seed, args.batch), 1)
            results['build_cpu_s'] = round(time.process_time(), 1)
            if args.build_only:
                print(json.dumps(results))
                return

        from pyramid.threadlocal import manager

        from archive import clock
        from archive.reports import quarterly, recount
        from archive.reports import figures as F
        start, end = dt.date(YEAR, 7, 1), dt.date(YEAR, 9, 30)
        clock.set_now(dt.datetime(YEAR, 11, 30, 10, 0, tzinfo=VN))
        manager.push({'registry': app.registry, 'request': None})
        runs = {'dashboard': [], 'report_figures': [], 'report': [], 'scan': []}
        try:
            for _r in range(args.repeat):
                db, conn, root = cold(app)
                user = root['users']['vanthu']

                def dashboard():
                    return F.dashboard(root, F.Query(TOP, True, start, end, 'total'))
                t, figs = timed(dashboard, 'dashboard', conn)
                runs['dashboard'].append(t)
                conn.close()
                db.close()
                db, conn, root = cold(app)

                def report_figures():
                    return [F.figures(root, F.Query(TOP, True, start, end, g)) for g in ('body', 'month')]
                t, _figures = timed(report_figures, 'report_figures', conn)
                runs['report_figures'].append(t)
                conn.close()
                if 'report' not in args.skip:
                    db, conn, root = cold(app)
                    user = root['users']['vanthu']
                    t, report = timed(lambda: quarterly.render(quarterly.build(root, user, TOP, YEAR, 3), 'csv'), 'report', conn)
                    runs['report'].append(t)
                    conn.close()
                    db.close()
                if 'scan' not in args.skip and not runs['scan']:         # once: it reads everything
                    db, conn, root = cold(app)
                    t, scanned = timed(lambda: full_scan(root, start, end), 'scan', conn)
                    runs['scan'].append(t)
                    conn.close()
                    db.close()
            total = figs[0]['total']
            if 'scan' not in args.skip:
                results['figures_equal_scan'] = all(total[m] == scanned.get(m, 0) for m in (
                    'received', 'registered', 'assigned', 'completed', 'completed_late', 'refused'))
            if 'report' not in args.skip:
                results['late_rows'] = len(report[0].decode('utf-8-sig').splitlines())   # CSV lines
            results['quarter_received'] = total['received']
            db, conn, root = cold(app)
            sample = max(root['bodies'].values(), key=lambda b: len(b.documents))
            results['sample_body_docs'] = len(sample.documents)
            diffs = [d for d in recount.differences(root) if d[0][1] == sample.code] if args.docs <= 50000 else None
            results['sample_differences'] = None if diffs is None else len(diffs)
            conn.close()
            db.close()
        finally:
            manager.pop()
            clock.set_now(None)
        results.update({k + '_ms': [round(1000 * x, 1) for x in v] for k, v in runs.items() if v})
        results.update({k + '_cpu_ms': [round(1000 * x, 1) for x in v] for k, v in CPU.items()})
        results['load_average'] = [round(x, 1) for x in LOAD]
        results['objects_loaded'] = LOADS
        if 'registration' not in args.skip:
            load = os.getloadavg()[0]
            times, cpus, threads, loads, results['register_folds'] = registration_cost(app, args.registrations, random.Random(args.seed),
                                                            args.register_day, args.register_time)
            results['register_loads_mean'] = {m: round(statistics.mean(v), 3) for m, v in loads.items()}
            mean = {m: statistics.mean(v) for m, v in times.items()}
            median = {m: statistics.median(v) for m, v in times.items()}
            cpu = {m: statistics.mean(v) for m, v in cpus.items()}
            cpu_median = {m: statistics.median(v) for m, v in cpus.items()}
            results['register_ms'] = {m: round(1000 * v, 2) for m, v in mean.items()}
            results['register_cpu_ms'] = {m: round(1000 * v, 2) for m, v in cpu.items()}
            results['counter_overhead_cpu_pct'] = round(100 * (cpu['with'] / cpu['without'] - 1), 1)
            results['counter_overhead_mean_pct'] = round(100 * (mean['with'] / mean['without'] - 1), 1)
            results['register_median_ms'] = {m: round(1000 * v, 2) for m, v in median.items()}
            results['counter_overhead_pct'] = round(100 * (median['with'] / median['without'] - 1), 1)
            results['register_cpu_median_ms'] = {m: round(1000 * v, 3) for m, v in cpu_median.items()}
            results['counter_overhead_cpu_median_pct'] = round(100 * (cpu_median['with'] / cpu_median['without'] - 1), 1)
            results['register_spread'] = {m: {'wall': spread(times[m]), 'cpu': spread(cpus[m]), 'thread_cpu': spread(threads[m])}
                                          for m in times}
            trimmed = {m: stats_clerk.trimmed_mean(v) for m, v in cpus.items()}
            results['register_cpu_trimmed_ms'] = {m: round(1000 * v, 3) for m, v in trimmed.items()}
            results['counter_overhead_cpu_trimmed_pct'] = round(100 * (trimmed['with'] / trimmed['without'] - 1), 1)
            thread_trimmed = {m: stats_clerk.trimmed_mean(v) for m, v in threads.items()}
            results['register_thread_cpu_trimmed_ms'] = {m: round(1000 * v, 3) for m, v in thread_trimmed.items()}
            results['counter_overhead_thread_cpu_trimmed_pct'] = round(
                100 * (thread_trimmed['with'] / thread_trimmed['without'] - 1), 1)
            thread_median = {m: statistics.median(v) for m, v in threads.items()}
            results['register_thread_cpu_median_ms'] = {m: round(1000 * v, 3) for m, v in thread_median.items()}
            results['counter_overhead_thread_cpu_median_pct'] = round(
                100 * (thread_median['with'] / thread_median['without'] - 1), 1)
            results['register_load_average'] = [round(load, 1), round(os.getloadavg()[0], 1)]
            results['register_day'] = str(args.register_day or 'today')
        if 'clerk' not in args.skip:
            load = stats_clerk.load_average()
            samples = stats_clerk.clerk_registration_cost(app, args.clerk_registrations, PASSWORD,
                                                          args.register_day, args.register_time)
            for part in ('post', 'follow'):
                results[f'clerk_{part}_spread'], results[f'clerk_{part}_overhead_pct'] = \
                    stats_clerk.summary(samples[part])
            results['clerk_folds'] = samples['folds']
            results['clerk_load_average'] = [load, stats_clerk.load_average()]
        results['storage_mb'] = round(os.path.getsize(os.path.join(folder, 'Data.fs')) / 1e6, 1)
        transaction.abort()
        app.registry._zodb_databases[''].close()
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(results, indent=1, ensure_ascii=False))
    print(f"\n{args.docs} documents, {results['bodies']} bodies, quarter Q3 {YEAR} over the whole tree (cold), "
          f"best of {args.repeat}, wall (CPU); load average {min(LOAD):.1f}-{max(LOAD):.1f}:")
    titles = (('dashboard', 'dashboard figures (total, by body, by month)'),
              ('report_figures', 'quarterly report figures (by body, by month)'),
              ('report', 'whole report (+ late/overdue lists, CSV)'), ('scan', 'baseline full scan'))
    for key, title in titles:
        if key + '_ms' in results:
            wall, cpu = min(results[key + '_ms']), min(results[key + '_cpu_ms'])
            print(f"  {title:46} {wall:9.0f} ms ({cpu:.0f} ms CPU, {LOADS.get(key)} objects loaded)")
    if 'scan_ms' in results:
        print(f"  the scan / the dashboard: x{min(results['scan_ms']) / max(min(results['dashboard_ms']), 0.001):.0f} wall, "
              f"x{min(results['scan_cpu_ms']) / max(min(results['dashboard_cpu_ms']), 0.001):.0f} CPU; "
              f"figures equal the scan: {results['figures_equal_scan']}")
    if 'register_ms' in results:
        print(f"  registration through fire + commit (no request): {results['register_median_ms']['with']} ms with counters, "
              f"{results['register_median_ms']['without']} ms without (median): +{results['counter_overhead_pct']} %; "
              f"mean {results['register_ms']['with']} / {results['register_ms']['without']} ms "
              f"(+{results['counter_overhead_mean_pct']} %); CPU {results['register_cpu_ms']['with']} / "
              f"{results['register_cpu_ms']['without']} ms (+{results['counter_overhead_cpu_pct']} %); "
              f"CPU median {results['register_cpu_median_ms']['with']} / {results['register_cpu_median_ms']['without']} ms "
              f"(+{results['counter_overhead_cpu_median_pct']} %); CPU mean trimmed of 1 % at each end "
              f"{results['register_cpu_trimmed_ms']['with']} / {results['register_cpu_trimmed_ms']['without']} ms "
              f"(+{results['counter_overhead_cpu_trimmed_pct']} %); the registering thread's CPU median "
              f"{results['register_thread_cpu_median_ms']['with']} / {results['register_thread_cpu_median_ms']['without']} ms "
              f"(+{results['counter_overhead_thread_cpu_median_pct']} %), trimmed mean "
              f"{results['register_thread_cpu_trimmed_ms']['with']} / {results['register_thread_cpu_trimmed_ms']['without']} ms "
              f"(+{results['counter_overhead_thread_cpu_trimmed_pct']} %); objects loaded per registration "
              f"{results['register_loads_mean']['with']} / {results['register_loads_mean']['without']}; "
              f"load {results['register_load_average']}")
    for name in ('register_folds', 'clerk_folds'):
        if name in results:
            print(f"  {name}: the counters' folds beside those registrations: {results[name]}")
    if 'clerk_post_spread' in results:
        for part, title in (('post', "the clerk's registration: the form's POST through the app, to its 303"),
                            ('follow', 'the page the redirect leads to (GET)')):
            side = results[f'clerk_{part}_spread']
            print(f"  {title}: CPU median {side['with']['cpu']['median']} / {side['without']['cpu']['median']} ms "
                  f"with / without counters (+{results[f'clerk_{part}_overhead_pct']['cpu']} %; quartiles "
                  f"{side['with']['cpu']['p25']}-{side['with']['cpu']['p75']} / "
                  f"{side['without']['cpu']['p25']}-{side['without']['cpu']['p75']} ms; mean {side['with']['cpu']['mean']} / "
                  f"{side['without']['cpu']['mean']} ms, +{results[f'clerk_{part}_overhead_pct']['cpu_mean']} %; trimmed of 1 % "
                  f"at each end {side['with']['cpu']['trimmed']} / {side['without']['cpu']['trimmed']} ms, "
                  f"+{results[f'clerk_{part}_overhead_pct']['cpu_trimmed']} %); thread CPU "
                  f"+{results[f'clerk_{part}_overhead_pct']['thread_cpu']} % (trimmed mean "
                  f"+{results[f'clerk_{part}_overhead_pct']['thread_cpu_trimmed']} %), wall "
                  f"+{results[f'clerk_{part}_overhead_pct']['wall']} %; "
                  f"load {results['clerk_load_average']}")


if __name__ == '__main__':
    main()

"""Benchmark of gap-free registration on one series over ZEO, beside a bare-ZODB counter.

    .venv/bin/python bench/registers.py [--docs N] [--clients 1,4] [--repeat R]
                                        [--backoff MS] [--profile] [--keep]

For each number of client PROCESSES C (default 1 and 4), on a fresh ZEO server started
on loopback (FileStorage with blobs in a temporary folder, like tests/e2e):

* ours: N incoming documents are created beforehand (not timed); then C processes
  register them (N/C each) on the same series with
  ``archive.workflow.engine.fire(root, doc, 'register', vanthu, registry)``, one
  transaction per registration, retried on ``ConflictError`` (journal entry, status
  message on the outbox, state index, register entry: the real code path). At the end
  the numbers must be exactly 1..N, each document once in the register, once in the
  journal (and every chain verifies), once on the outbox, in the state index;
  anything else prints FAIL and the exit status is 1.
* bare: on another fresh ZEO server of the same kind, C processes increment a plain
  ``persistent.Persistent`` counter (an int attribute, no conflict resolution) N times
  in all, one transaction each, retried on ``ConflictError``; the values they got must
  be exactly 1..N.

All clients of a run set themselves up (app, connection, root loaded) before a common
start; the wall time runs from the first client's start to the last one's last commit.
Beside the rate each run reports its conflicts (by the class of the object), the
transactions retried, the most attempts one needed and how many needed more than 5
(the app's ``retry.attempts``), per-client p50/p95, and how long the number was held:
from reading the counter (``Series.take``, wrapped in the client to note the time) to
the end of the commit, the window in which another commit makes this one conflict.

Not a test: nothing is asserted about time. The table is also written, with every
detail, to ``bench/out/registers.json``. Goal (the issue): with 4 clients ours/bare is at
least 1/3, and never a gap or a duplicate.
"""
import argparse
import collections
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)
for path in (PROJECT, HERE):
    if path not in sys.path:
        sys.path.insert(0, path)

import transaction  # noqa: E402

import register_client  # noqa: E402  (the bare counter class, importable by the clients)

GOAL_RATIO_4 = 1 / 3
CLIENT = os.path.join(HERE, 'register_client.py')
failures = []


def fail(message):
    failures.append(message)
    print('\n' + '!' * 78 + f'\n!!! FAIL: {message}\n' + '!' * 78 + '\n', flush=True)


# ---------------------------------------------------------------------------
# Clients
# ---------------------------------------------------------------------------

def run_clients(folder, jobs, timeout):
    """Start one process per job, wait until all are ready, start them together, collect."""
    procs = []
    for k, job in enumerate(jobs):
        path = os.path.join(folder, f'job-{k}.json')
        with open(path, 'w') as f:
            json.dump(job, f)
        err = open(os.path.join(folder, f'client-{k}.log'), 'w')
        procs.append(subprocess.Popen([sys.executable, CLIENT, path], cwd=PROJECT, text=True,
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err))
    try:
        for k, p in enumerate(procs):
            while True:
                line = p.stdout.readline()
                if not line:
                    raise RuntimeError(f'client {k} exited before it was ready; see {folder}/client-{k}.log')
                if line.strip() == 'ready':
                    break
        for p in procs:
            p.stdin.write('go\n')
            p.stdin.flush()
        results = []
        deadline = time.monotonic() + timeout
        for k, p in enumerate(procs):
            out, _ = p.communicate(timeout=max(1, deadline - time.monotonic()))
            if p.returncode != 0:
                raise RuntimeError(f'client {k} failed (status {p.returncode}); see {folder}/client-{k}.log')
            results.append(json.loads(out.strip().splitlines()[-1]))
        return results
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


def summarize(side, clients, n, results):
    start = min(r['start'] for r in results)
    end = max(r['end'] for r in results)
    wall = end - start
    kinds = collections.Counter()
    for r in results:
        kinds.update(r['conflict_kinds'])
    return dict(
        side=side, clients=clients, total=n, wall_s=round(wall, 3), rate=round(n / wall, 1),
        conflicts=sum(r['conflicts'] for r in results),
        retried=sum(r['retried'] for r in results),
        max_attempts=max(r['max_attempts'] for r in results),
        over_5_attempts=sum(r['over_5'] for r in results),
        client_p50_ms=[round(r['p50_ms'], 2) for r in results],
        client_p95_ms=[round(r['p95_ms'], 2) for r in results],
        held_p50_ms=[round(r['held_p50_ms'], 2) for r in results],
        client_first_tenth_ms=[round(r['first_tenth_ms'], 2) for r in results],
        client_last_tenth_ms=[round(r['last_tenth_ms'], 2) for r in results],
        client_wall_s=[round(r['end'] - r['start'], 3) for r in results],
        conflict_kinds=dict(kinds.most_common()),
    )


# ---------------------------------------------------------------------------
# Ours: registration through the workflow engine
# ---------------------------------------------------------------------------

def prepare_documents(settings, n):
    """Create ``n`` incoming documents (state 'arrived') in the demo clerk's body."""
    from archive.seed import HOST
    from tests.conftest import close_app, make_app, open_root
    from tests.helpers import create_arrived

    app = make_app(settings)
    try:
        conn, root = open_root(app)
        try:
            names = create_arrived(app, conn, root, n)
            body = root['bodies'][HOST]
            registered_before = len(body.documents.by_state.get(('incoming', 'registered'), ()))
            series_before = [s.key for s in body.registers.values() if s.kind == 'incoming']
        finally:
            conn.close()
    finally:
        close_app(app)
    return names, registered_before, series_before


def verify_ours(settings, names, numbers, registered_before, series_before):
    """Everything a registration writes is there exactly once; returns a list of problems."""
    from archive import audit
    from archive.seed import HOST
    from tests.conftest import close_app, make_app, open_root

    problems = []
    n = len(names)
    if sorted(numbers) != sorted(names):
        problems.append(f'the clients report {len(numbers)} registrations for {n} documents')
    got = sorted(numbers.values())
    if got != list(range(1, n + 1)):
        dup = [k for k, c in collections.Counter(got).items() if c > 1]
        gaps = sorted(set(range(1, n + 1)) - set(got))
        problems.append(f'numbers handed out are not 1..{n}: duplicates {dup[:10]}, gaps {gaps[:10]}')
    app = make_app(settings)
    try:
        conn, root = open_root(app)
        body = root['bodies'][HOST]
        series = [s for s in body.registers.values() if s.kind == 'incoming' and s.key not in series_before]
        if len(series) != 1:
            problems.append(f'expected one new incoming series, found {[s.key for s in series]}')
        else:
            [s] = series
            keys = list(s.entries.keys())
            if s.last != n:
                problems.append(f'series.last is {s.last}, not {n}')
            if keys != list(range(1, n + 1)):
                problems.append(f'the register holds {len(keys)} numbers, not exactly 1..{n}')
            held = collections.Counter(e.document for e in s.entries.values())
            if sorted(held) != sorted(names) or any(c != 1 for c in held.values()):
                problems.append('the register does not hold each document exactly once')
            if any(e.number != k for k, e in s.entries.items()):
                problems.append('a register entry carries another number than its key')
            for name in names:
                doc = body.documents[name]
                entry = s.entries.get(doc.register_number) if isinstance(doc.register_number, int) else None
                if doc.state != 'registered' or doc.register_number != numbers.get(name) \
                        or doc.register_series != s.key or entry is None or entry.document != name:
                    problems.append(f'document {name}: state {doc.state}, number {doc.register_number} '
                                    f'(reported {numbers.get(name)}), register entry of that number holds '
                                    f'{entry.document if entry is not None else None}')
                    break
        journal_bad = 0
        for name in names:
            doc = body.documents[name]
            regs = [e for e in audit.entries(root, doc.chain_id) if e['action'] == 'register']
            if len(regs) != 1 or regs[0]['details'].get('number') != doc.register_number:
                journal_bad += 1
        if journal_bad:
            problems.append(f'{journal_bad} documents lack exactly one journal entry "register" with their number')
        chain_problems = audit.verify(root)
        if chain_problems:
            problems.append(f'journal chains broken: {chain_problems[:3]}')
        status = collections.Counter(m['document'] for m in root.outbox.items.values()
                                     if m['kind'] == 'status' and m.get('status_code') == '03')
        if any(status.get(name) != 1 for name in names):
            problems.append('the outbox does not hold exactly one "03" status message per document')
        registered = body.documents.by_state.get(('incoming', 'registered'), ())
        arrived = body.documents.by_state.get(('incoming', 'arrived'), ())
        if len(registered) != registered_before + n or any(name not in registered for name in names) \
                or any(name in arrived for name in names):
            problems.append('the state index does not list every document as registered, once')
        conn.close()
    finally:
        close_app(app)
    return problems


def run_ours(args, clients, folder):
    from tests.conftest import ZEOServer, base_settings

    server = ZEOServer(os.path.join(folder, 'zeo'))
    try:
        settings = base_settings(folder, server.uri(os.path.join(folder, 'setup')))
        t0 = time.perf_counter()
        names, registered_before, series_before = prepare_documents(settings, args.docs)
        print(f'  ours, {clients} client(s): {len(names)} documents prepared in '
              f'{time.perf_counter() - t0:.1f} s', flush=True)
        jobs = []
        for k in range(clients):
            jobs.append(dict(
                side='ours', names=names[k::clients], backoff_ms=args.backoff,
                settings=dict(settings, **{'zodbconn.uri': server.uri(os.path.join(folder, f'client-{k}'))}),
                profile=profile_path(args, 'ours', clients) if args.profile and k == 0 else None))
        results = run_clients(folder, jobs, args.timeout)
        numbers = {}
        for r in results:
            numbers.update(r['got'])
        res = summarize('ours', clients, len(names), results)
        problems = verify_ours(dict(settings, **{'zodbconn.uri': server.uri(os.path.join(folder, 'check'))}),
                               names, numbers, registered_before, series_before)
    finally:
        server.stop()
    res['ok'] = not problems
    res['problems'] = problems
    for p in problems:
        fail(f'ours, {clients} client(s): {p}')
    return res


# ---------------------------------------------------------------------------
# Bare: a plain persistent counter
# ---------------------------------------------------------------------------

def run_bare(args, clients, folder):
    import zodburi
    from ZODB import DB

    from tests.conftest import ZEOServer

    server = ZEOServer(os.path.join(folder, 'zeo'))
    try:
        factory, dbkw = zodburi.resolve_uri(server.uri(os.path.join(folder, 'setup')))
        db = DB(factory(), **dbkw)
        with transaction.manager:
            db.open().root()['counter'] = register_client.Counter()
        db.close()
        n = args.docs
        jobs = [dict(side='bare', uri=server.uri(os.path.join(folder, f'client-{k}')),
                     count=len(range(k, n, clients)), backoff_ms=args.backoff,
                     profile=profile_path(args, 'bare', clients) if args.profile and k == 0 else None)
                for k in range(clients)]
        results = run_clients(folder, jobs, args.timeout)
        values = [v for r in results for v in r['got']]
        res = summarize('bare', clients, n, results)
        problems = []
        if sorted(values) != list(range(1, n + 1)):
            problems.append(f'the values taken are not exactly 1..{n}')
        db = DB(zodburi.resolve_uri(server.uri(os.path.join(folder, 'check')))[0]())
        conn = db.open()
        if conn.root()['counter'].value != n:
            problems.append(f'the counter ends at {conn.root()["counter"].value}, not {n}')
        conn.close()
        db.close()
    finally:
        server.stop()
    res['ok'] = not problems
    res['problems'] = problems
    for p in problems:
        fail(f'bare, {clients} client(s): {p}')
    return res


def profile_path(args, side, clients):
    return os.path.join(args.out, f'registers-profile-{side}-{clients}.txt')


# ---------------------------------------------------------------------------

def show_run(r):
    kinds = ', '.join(f'{k.split(":", 1)[-1]} {v}' for k, v in r['conflict_kinds'].items())
    print(f'  {r["side"]} with {r["clients"]} client(s): {r["total"]} in {r["wall_s"]:.2f} s = {r["rate"]:.0f}/s'
          + ('' if r['ok'] else '   FAIL'), flush=True)
    print(f'      conflicts {r["conflicts"]}' + (f' ({kinds})' if kinds else '')
          + f'; transactions retried {r["retried"]}, most attempts {r["max_attempts"]}, '
          f'more than 5 attempts {r["over_5_attempts"]}')
    print(f'      per client, ms: p50 {r["client_p50_ms"]}, p95 {r["client_p95_ms"]}, number held from read '
          f'to commit p50 {r["held_p50_ms"]}, mean of first/last tenth {r["client_first_tenth_ms"]}/'
          f'{r["client_last_tenth_ms"]}', flush=True)


def median_run(runs):
    """The run with the median rate (of --repeat runs), with every run's rate kept beside it."""
    ordered = sorted(runs, key=lambda r: r['rate'])
    pick = dict(ordered[(len(ordered) - 1) // 2])
    pick['rates'] = [r['rate'] for r in runs]
    pick['ok'] = all(r['ok'] for r in runs)
    pick['conflicts_all'] = [r['conflicts'] for r in runs]
    return pick


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--docs', type=int, default=400, help='registrations (and increments) per run (default 400)')
    parser.add_argument('--clients', default='1,4', help='client process counts, comma-separated (default 1,4)')
    parser.add_argument('--repeat', type=int, default=1, help='runs per figure; the median is shown (default 1)')
    parser.add_argument('--out', default=os.path.join(HERE, 'out'), help='where registers.json goes (default bench/out)')
    parser.add_argument('--tmp', default=None, help='folder for the ZEO servers (default: a new temporary folder)')
    parser.add_argument('--keep', action='store_true', help='keep the databases and client logs')
    parser.add_argument('--profile', action='store_true',
                        help='profile client 0 of each run (cProfile) into OUT/registers-profile-SIDE-C.txt')
    parser.add_argument('--backoff', type=float, default=0, metavar='MS',
                        help='after a conflict, wait a random 0..MS ms before retrying (default 0: at once)')
    parser.add_argument('--timeout', type=float, default=900, help='seconds at most per run (default 900)')
    args = parser.parse_args(argv)
    counts = [int(c) for c in args.clients.split(',') if c.strip()]
    if not counts or any(c < 1 or c > args.docs for c in counts):
        parser.error(f'--clients: each count must be between 1 and N ({args.docs})')
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix='bench-registers-', dir=args.tmp)
    print(f'registration on one series over ZEO: N={args.docs}, clients {counts}, '
          + (f'retry after a random 0..{args.backoff:g} ms, ' if args.backoff else '')
          + f'{os.cpu_count()} CPUs, databases in {work}', flush=True)
    started = dt.datetime.now().astimezone().isoformat(timespec='seconds')
    runs, table = [], []
    try:
        for clients in counts:
            per_side = {'ours': [], 'bare': []}
            for rep in range(args.repeat):
                for side, fn in (('ours', run_ours), ('bare', run_bare)):
                    folder = os.path.join(work, f'{side}-{clients}-{rep}')
                    os.makedirs(folder)
                    try:
                        r = fn(args, clients, folder)
                    except Exception as exc:          # a run that breaks is a FAIL, not a crash
                        fail(f'{side}, {clients} client(s): {exc!r}')
                        r = dict(side=side, clients=clients, total=args.docs, rate=0.0, wall_s=None,
                                 conflicts=None, retried=None, max_attempts=None, over_5_attempts=None,
                                 client_p50_ms=[],
                                 client_p95_ms=[], conflict_kinds={}, ok=False, problems=[repr(exc)])
                    else:
                        show_run(r)
                    r['repeat'] = rep
                    runs.append(r)
                    per_side[side].append(r)
            ours, bare = median_run(per_side['ours']), median_run(per_side['bare'])
            ratio = ours['rate'] / bare['rate'] if bare['rate'] else None
            table.append(dict(clients=clients, ours_per_s=ours['rate'], bare_per_s=bare['rate'],
                              ratio=round(ratio, 3) if ratio is not None else None,
                              conflicts_ours=ours['conflicts'], conflicts_bare=bare['conflicts'],
                              ours_rates=ours['rates'], bare_rates=bare['rates'],
                              gap_free=ours['ok'] and bare['ok']))
    finally:
        if args.keep:
            print(f'databases and client logs kept in {work}')
        else:
            shutil.rmtree(work, ignore_errors=True)

    print(f'\nregistrations per second, one series, N={args.docs} per run, over ZEO on loopback '
          f'({os.cpu_count()} CPUs)')
    header = f'{"clients":>7}  {"ours/s":>8}  {"bare/s":>8}  {"ours/bare":>9}  {"conflicts ours":>14}  ' \
             f'{"conflicts bare":>14}  {"1..N once":>9}'
    print(header)
    print('-' * len(header))
    for row in table:
        ratio = f'{row["ratio"]:.2f}' if row['ratio'] is not None else '-'
        print(f'{row["clients"]:>7}  {row["ours_per_s"]:>8.0f}  {row["bare_per_s"]:>8.0f}  {ratio:>9}  '
              f'{str(row["conflicts_ours"]):>14}  {str(row["conflicts_bare"]):>14}  '
              f'{"yes" if row["gap_free"] else "FAIL":>9}')
    if args.repeat > 1:
        print(f'(median of {args.repeat} runs; every rate is in the JSON)')
    goal = None
    four = [row for row in table if row['clients'] == 4]
    if four and four[0]['ratio'] is not None:
        goal = four[0]['ratio'] >= GOAL_RATIO_4
        print(f'goal: with 4 clients ours/bare >= {GOAL_RATIO_4:.2f}: '
              f'{"met" if goal else "MISSED"} ({four[0]["ratio"]:.2f}); never a gap or duplicate: '
              f'{"met" if not failures else "FAIL"}')
    if args.profile:
        print(f'profiles of client 0: {os.path.join(args.out, "registers-profile-*.txt")}')

    result = dict(benchmark='registers', started_at=started, docs=args.docs, clients=counts,
                  repeat=args.repeat, backoff_ms=args.backoff, cpus=os.cpu_count(), python=sys.version.split()[0],
                  goal=dict(ratio_with_4_clients=round(GOAL_RATIO_4, 4), met=goal, gap_free=not failures),
                  table=table, runs=runs, failures=failures)
    path = os.path.join(args.out, 'registers.json')
    with open(path, 'w') as f:
        json.dump(result, f, indent=2, ensure_ascii=False)
    print(f'written to {path}')
    if failures:
        print(f'\n!!! FAIL: {len(failures)} problem(s), see above: the numbers are NOT gap-free '
              f'or a run broke', flush=True)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())

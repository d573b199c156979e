"""Benchmark of the exchange between two instances on loopback, beside a bare WSGI + ZODB baseline.

    .venv/bin/python bench/two_instances.py [--quick] [--docs N] [--pdf-kb 200] [--lone K] [--poll S]

Setup (not timed): two instances as separate ``pserve`` processes, each with its own FileStorage,
key store and port, prepared and paired exactly as README "Between instances (HTTP)" says, with the
console scripts (``tests/e2e/instances.make_pair``, which the end-to-end tests use too): A hosts the
office (000.00.01.H01), B hosts Ban Tổ chức (000.00.02.H01). N + K outgoing documents of the office,
each with a distinct ~200 KB PDF (``core.padded_pdf``), are taken to "signed" in A's database while
its server is stopped (``services.documents.create``, then ``workflow.engine.fire``: submit, approve =
the leader's stamped signature, number, sign = the organisation's signature), as bench/exchange.py
does.

Measured, both servers running with all checks on (XML-DSig, the two PDF signatures on arrival at
B, the signed receipt checked at A, the signed status checked at A):

1. burst: the N documents sent through A's API (``POST .../transitions/send``, bearer token), one
   call after the other as fast as the API answers, while A's worker carries them to B and B's
   worker sends status 01 back; documents per second from the first send to the last status 01
   recorded at A, and each document's latency from its send to its 01;
2. idle: K lone documents, each sent, and the next only once its status 01 is back (A's API
   polled every 50 ms): the latency from the send to the 01, p50/p95, and where it goes;
3. baseline: the signed package bytes A actually POSTed in the burst (read back from A's
   FileStorage: the delivery's package blob), POSTed in the same order with the same client
   (``archive.exchange.channels.instance.post``) to a bare WSGI app served by waitress in a
   separate process, which stores each in a ZODB FileStorage (one transaction per package: a
   ``Blob`` and a ``Persistent`` in an ``OOBTree``) and answers a small JSON.

Times come from the databases: each step's transaction id is its commit time (``TimeStamp``,
microseconds), read after the servers are stopped: A's delivery row (queued by the send, claimed
by the worker, delivered), B's copy (taken in) and B's status message (picked by B's worker), A's
status list (01 recorded). So the poll interval's share is measured, not guessed.

Not a test: nothing is asserted about time. See bench/README.md.
"""
import argparse
import datetime as dt
import hashlib
import io
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)
for path in (os.path.join(PROJECT, 'src'), HERE, PROJECT):
    if path not in sys.path:
        sys.path.insert(0, path)

from persistent import Persistent  # noqa: E402

from core import padded_pdf, pct, source_version  # noqa: E402

HOST = '000.00.01.H01'
BTC = '000.00.02.H01'
VN = dt.timezone(dt.timedelta(hours=7))
GOAL_RATIO = 0.5                 # ours/bare documents/s, all checks on
GOAL_IDLE_P95_S = 1.0            # send -> 01 back at the sender, both idle
LIFECYCLE = (('submit', 'vanthu'), ('approve', 'lanhdao'), ('number', 'vanthu'), ('sign', 'vanthu'))


def say(*a):
    print(*a, flush=True)


# ---------------------------------------------------------------------------
# Setup: the pair, the documents
# ---------------------------------------------------------------------------

def outgoing_values(n):
    return {'direction': 'outgoing', 'organ_id': HOST, 'doc_type': 'CV', 'holder_unit': 'TH',
            'abstract': f'Công văn số {n + 1} về công tác văn thư, lưu trữ gửi Ban Tổ chức',
            'send_to': [BTC], 'signer_name': 'Trần Văn Lãnh Đạo', 'signer_position': 'Chánh Văn phòng',
            'signer_competence': 'T/L', 'receivers': ['Ban Tổ chức Thành ủy', 'Lưu VT']}


def setup_documents(instance, total, pdf_bytes, seed, commit_every=50):
    """``total`` outgoing documents taken to "signed" in the instance's database (server
    stopped), through the app built in this process from the instance's .ini without its
    background threads; their names, in order, and the signed PDF sizes."""
    import transaction
    from pyramid.paster import get_appsettings
    from pyramid.threadlocal import manager

    import archive
    from archive.resources.root import root_key
    from archive.services import documents as svc
    from archive.workflow.engine import fire
    os.environ['ARCHIVE_NO_BACKGROUND'] = '1'
    try:
        app = archive.main({'__file__': instance.ini, 'here': instance.folder}, **get_appsettings(instance.ini))
    finally:
        del os.environ['ARCHIVE_NO_BACKGROUND']
    registry = app.registry
    db = registry._zodb_databases['']
    tm = transaction.TransactionManager()
    conn = db.open(transaction_manager=tm)
    manager.push({'registry': registry, 'request': None})
    rng = random.Random(seed)
    names, sizes, started = [], [], time.perf_counter()
    try:
        root = conn.root()[root_key(registry)]
        host, users = root['bodies'][HOST], root['users']
        for n in range(total):
            upload = svc.Upload('main_file', f'cong-van-{n + 1}.pdf', io.BytesIO(padded_pdf(n, pdf_bytes, rng)), 'main')
            doc = svc.create(root, host, outgoing_values(n), [upload], registry.archive_settings, 'vanthu')
            for action, login in LIFECYCLE:
                fire(root, doc, action, users[login])
            names.append(doc.__name__)
            sizes.append(doc.files[doc.main_file].size)
            if (n + 1) % commit_every == 0 or n + 1 == total:
                tm.commit()
                elapsed = time.perf_counter() - started
                say(f'  set up {n + 1:>5}/{total}  ({(n + 1) / elapsed:.1f} documents/s, '
                    f'~{(total - n - 1) * elapsed / (n + 1):.0f} s left)')
    finally:
        manager.pop()
        tm.abort()
        conn.close()
        db.close()
    return names, sizes


# ---------------------------------------------------------------------------
# Measuring through the API
# ---------------------------------------------------------------------------

def has_01(row):
    """Delivered (B's receipt recorded at A) and status 01 back. The 01 can come before the
    receipt is recorded: B's worker may carry it while A's worker still checks the receipt."""
    return row['state'] == 'delivered' and any(s['code'] == '01' for s in row['statuses'])


def phase_burst(sender, names, timeout):
    """Send every document through the API, then wait (A's API, in send order) until each has
    status 01. Returns the client-side send times."""
    sends = {}
    t0 = time.time()
    for k, name in enumerate(names):
        sends[name] = time.time()
        sender.send(name)
        if (k + 1) % max(1, len(names) // 5) == 0:
            say(f'  sent {k + 1:>5}/{len(names)} through the API ({(k + 1) / (time.time() - t0):.1f}/s)')
    sent_at = time.time()
    deadline, i, last_say = time.time() + timeout, 0, time.time()
    while i < len(names):
        [row] = sender.deliveries(names[i])
        if has_01(row):
            i += 1
            continue
        if row['state'] in ('paper', 'failed', 'declined'):
            raise SystemExit(f'FAIL: {names[i]} is {row["state"]}: {row["last_error"]}')
        if time.time() > deadline:
            raise SystemExit(f'FAIL: {len(names) - i} documents without status 01 after {timeout} s')
        if time.time() - last_say > 10:
            say(f'  status 01 back for {i:>5}/{len(names)}, {time.time() - t0:.0f} s after the first send')
            last_say = time.time()
        time.sleep(0.5)       # the times come from the databases: a coarse look is enough
    say(f'  all {len(names)} sent in {sent_at - t0:.1f} s; all 01 seen by {time.time() - t0:.1f} s')
    return sends


def phase_lone(sender, names, timeout, pause=0.05):
    """Each document sent once the previous one's 01 is back; client-side send times and the
    time the client saw the 01 (A's API polled every ``pause`` s)."""
    sends, seen = {}, {}
    for name in names:
        time.sleep(0.3)                 # both idle: the workers are between polls, nothing in flight
        sends[name] = time.time()
        sender.send(name)
        deadline = time.time() + timeout
        while True:
            [row] = sender.deliveries(name)
            if has_01(row):
                seen[name] = time.time()
                break
            if row['state'] in ('paper', 'failed', 'declined') or time.time() > deadline:
                raise SystemExit(f'FAIL: lone document {name}: {row}')
            time.sleep(pause)
    return sends, seen


# ---------------------------------------------------------------------------
# Reading the commit times back (servers stopped)
# ---------------------------------------------------------------------------

def _state(data):
    """The state dict of a ZODB record (references left as they are)."""
    from ZODB._compat import Unpickler
    unpickler = Unpickler(io.BytesIO(data))
    unpickler.persistent_load = lambda ref: ref
    unpickler.load()                      # the class
    return unpickler.load()


def _revisions(storage, oid):
    """[(commit time, state)] of an object, oldest first."""
    from ZODB.TimeStamp import TimeStamp
    out = []
    for h in storage.history(oid, size=1000):
        data = storage.loadSerial(oid, h['tid'])
        out.append((TimeStamp(h['tid']).timeTime(), _state(data)))
    return sorted(out, key=lambda x: x[0])


def _first(revisions, test):
    for at, state in revisions:
        if test(state):
            return at
    return None


def _ref_oid(ref):
    if isinstance(ref, tuple):
        return ref[0]
    if isinstance(ref, list):            # ['w', (oid,)], ['n', (db, oid)], ['m', (db, oid, klass)]
        return ref[1][0] if ref[0] == 'w' else ref[1][1]
    return ref


def read_times(pair, names, want_packages=False):
    """Per document: the commit times of its steps at A and B, and (``want_packages``) the
    signed package bytes A POSTed."""
    from archive.exchange import deliveries
    from archive.outbox import outbox_of
    out, copies = {}, {}
    with pair.a.database() as root:
        storage = root._p_jar.db().storage
        for name in names:
            [d] = deliveries.of_document(root, HOST, name)
            revs = _revisions(storage, d._p_oid)
            status_revs = _revisions(storage, d.statuses._p_oid)
            t = {
                'queued': revs[0][0],
                'claimed': _first(revs, lambda s: s.get('state') == deliveries.IN_FLIGHT),
                'delivered': _first(revs, lambda s: s.get('state') == deliveries.DELIVERED),
                'status_01': _first(status_revs, lambda s: any(x.get('code') == '01' for x in s.get('data', ()))),
                'attempts': d.attempts, 'state': d.state,
            }
            if want_packages:
                ref = next((s['package'] for _at, s in revs if s.get('package') is not None), None)
                if ref is None:
                    raise SystemExit(f'FAIL: no package kept for {name}')
                oid = _ref_oid(ref)
                with open(storage.loadBlob(oid, storage.load(oid)[1]), 'rb') as f:
                    t['package'] = f.read()
            if t['delivered'] is None or t['status_01'] is None:
                raise SystemExit(f'FAIL: {name} has no delivery or no status 01 recorded at A')
            t['done'] = max(t['delivered'], t['status_01'])     # receipt recorded and 01 back
            copies[d.receipt['receivers'][0]['document']] = name
            out[name] = t
    with pair.b.database() as root:
        storage = root._p_jar.db().storage
        body = root['bodies'][BTC]
        for copy_name, name in copies.items():
            out[name]['taken_in'] = _revisions(storage, body.documents[copy_name]._p_oid)[0][0]
        for message in outbox_of(root).items.values():
            name = copies.get(message.get('document'))
            if name is not None and message.kind == 'status' and message.get('status_code') == '01':
                revs = _revisions(storage, message._p_oid)
                # created with the copy; picked by B's worker (signed bytes kept); carried
                out[name]['status_picked'] = _first(revs, lambda s: 'signed_bytes' in s.get('fields', {}))
                out[name]['status_carried'] = _first(revs, lambda s: s.get('state') == 'carried')
    return out


STEPS = [   # (label, from, to, what)
    ('api_send', 'send', 'queued', 'the send API call, to its commit at A'),
    ('wait_a', 'queued', 'claimed', "waits for A's worker (burst: the queue; idle: the poll)"),
    ('to_b', 'claimed', 'taken_in', 'package built, signed, POSTed, taken in at B'),
    ('receipt', 'taken_in', 'delivered', 'receipt signed at B, checked and recorded at A'),
    ('wait_b', 'taken_in', 'status_picked', "status 01 waits for B's worker (idle: the poll)"),
    ('status', 'status_picked', 'status_01', 'status signed at B, POSTed, recorded at A'),
]


def steps_of(times, sends):
    rows = []
    for name, t in times.items():
        t = dict(t, send=sends[name])
        row = {label: t[b] - t[a] for label, a, b, _ in STEPS if t.get(a) is not None and t.get(b) is not None}
        row['total'] = t['done'] - t['send']
        rows.append(row)
    return rows


def step_summary(rows):
    out = {}
    for label in [s[0] for s in STEPS] + ['total']:
        values = [r[label] * 1000 for r in rows if label in r]
        out[label] = {'p50_ms': pct(values, 50), 'p95_ms': pct(values, 95),
                      'mean_ms': statistics.fmean(values) if values else None}
    return out


# ---------------------------------------------------------------------------
# The baseline: a bare WSGI app storing each POSTed package in ZODB
# ---------------------------------------------------------------------------

class BarePackage(Persistent):
    """What the baseline stores per package: its hash, size, arrival time and the bytes in a Blob."""

    def __init__(self, sha256, size, blob):
        self.sha256, self.size, self.blob, self.received_at = sha256, size, blob, time.time()


def bare_server(folder, port, threads):
    """The baseline's server process: waitress, one transaction per POST (a Blob with the bytes,
    a ``BarePackage`` in an OOBTree), a small JSON answer."""
    import transaction
    import waitress
    from BTrees.OOBTree import OOBTree
    from ZODB import DB
    from ZODB.blob import Blob
    from ZODB.FileStorage import FileStorage

    os.makedirs(folder, exist_ok=True)
    db = DB(FileStorage(os.path.join(folder, 'Data.fs'), blob_dir=os.path.join(folder, 'blobs')))
    with db.transaction() as conn:
        conn.root()['packages'] = OOBTree()

    def app(environ, start_response):
        if environ['REQUEST_METHOD'] != 'POST':
            start_response('200 OK', [('Content-Type', 'text/plain')])
            return [b'ok']
        data = environ['wsgi.input'].read(int(environ.get('CONTENT_LENGTH') or 0))
        sha256 = hashlib.sha256(data).hexdigest()
        tm = transaction.TransactionManager()
        conn = db.open(transaction_manager=tm)
        try:
            with tm:
                blob = Blob()
                with blob.open('w') as f:
                    f.write(data)
                conn.root()['packages'][sha256] = BarePackage(sha256, len(data), blob)
        finally:
            conn.close()
        body = json.dumps({'sha256': sha256, 'stored': True}).encode()
        start_response('200 OK', [('Content-Type', 'application/json'), ('Content-Length', str(len(body)))])
        return [body]
    waitress.serve(app, host='127.0.0.1', port=port, threads=threads, max_request_body_size=1 << 30,
                   _quiet=True)


def phase_bare(folder, packages, threads):
    """POST the packages to the bare server (a process of its own) with A's client, in order."""
    import urllib.request

    from archive.exchange.channels import instance as client
    from tests.e2e.instances import free_port
    port = free_port()
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), '--bare-server', folder, str(port),
                             str(threads)], stdout=subprocess.DEVNULL, stderr=open(folder + '.log', 'w'))
    url = f'http://127.0.0.1:{port}'
    deadline = time.time() + 30
    while True:
        try:
            urllib.request.urlopen(url + '/', timeout=1).read()
            break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                raise SystemExit(f'FAIL: the bare server did not start (see {folder}.log)')
            time.sleep(0.1)
    times = []
    try:
        t0 = time.perf_counter()
        for data in packages:
            t1 = time.perf_counter()
            answer = client.post(url, data, 'package')
            times.append(time.perf_counter() - t1)
            if answer.get('sha256') != hashlib.sha256(data).hexdigest():
                raise SystemExit(f'FAIL: the bare server answered {answer}')
        elapsed = time.perf_counter() - t0
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
    return {'rate_per_s': len(packages) / elapsed, 'elapsed_s': elapsed,
            'p50_ms': pct([x * 1000 for x in times], 50), 'p95_ms': pct([x * 1000 for x in times], 95)}


# ---------------------------------------------------------------------------
# Checks and the table
# ---------------------------------------------------------------------------

def check(pair, names):
    """Every document delivered once with 01 at A, one valid copy at B."""
    from archive.exchange import deliveries
    from tests.e2e.instances import received_copies
    problems, ids = [], {}
    with pair.a.database() as root:
        for name in names:
            [d] = deliveries.of_document(root, HOST, name)
            if d.state != deliveries.DELIVERED or [s['code'] for s in d.statuses] != ['01']:
                problems.append(f'{name}: {d.state} {[s["code"] for s in d.statuses]}')
            ids[name] = d.document_id
    with pair.b.database() as root:
        for name, document_id in ids.items():
            copies = received_copies(root, BTC, document_id)
            if len(copies) != 1 or copies[0].origin_verdict.get('status') != 'valid':
                problems.append(f'{name}: {len(copies)} copies at B')
    return problems


def render_table(rows, header):
    def fmt(v, d):
        return '—' if v is None else f'{v:.{d}f}'
    w = max(len(r[0]) for r in rows) + 2
    lines = [header, f'{"figure":<{w}}{"ours":>10}{"bare":>10}{"ours/bare":>11}  goal', '-' * (w + 53)]
    for figure, ours, bare, goal, met, digits in rows:
        ratio = ours / bare if ours is not None and bare else None
        mark = '' if met is None else ('  met' if met else '  MISSED')
        lines.append(f'{figure:<{w}}{fmt(ours, digits):>10}{fmt(bare, digits):>10}{fmt(ratio, 2):>11}  {goal}{mark}')
    return '\n'.join(lines)


def lone_summary(times, sends, seen):
    rows = steps_of(times, sends)
    seen_ms = [(seen[n] - sends[n]) * 1000 for n in times]
    return {'n': len(rows), 'steps_ms': step_summary(rows),
            'seen_by_client': {'p50_ms': pct(seen_ms, 50), 'p95_ms': pct(seen_ms, 95)}}


def main(argv=None):
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == '--bare-server':
        bare_server(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--docs', type=int, default=1000, help='documents sent in the burst (1000)')
    parser.add_argument('--pdf-kb', type=float, default=200, help='size of each PDF before signing, KB (200)')
    parser.add_argument('--lone', type=int, default=30, help='lone documents, sent one at a time (30)')
    parser.add_argument('--poll', type=float, default=0.1,
                        help="both workers' archive.exchange_poll_seconds (0.1; development.ini has 2)")
    parser.add_argument('--also-poll', type=float, default=2.0,
                        help='then the lone documents again with this poll interval, both servers restarted '
                             "(2: development.ini's; 0: skip)")
    parser.add_argument('--threads', type=int, default=4, help='waitress threads of each server (4)')
    parser.add_argument('--quick', action='store_true', help='--docs 50 --lone 10 (~2 min)')
    parser.add_argument('--out', default=os.path.join(HERE, 'out'), help='folder for the results (bench/out/)')
    parser.add_argument('--keep', action='store_true', help='keep the instances (DIR/two-instances-N/)')
    parser.add_argument('--seed', type=int, default=20261125)
    args = parser.parse_args(argv)
    if args.quick:
        args.docs, args.lone = 50, 10
    from tests.e2e.instances import make_pair
    pdf_bytes = int(args.pdf_kb * 1024)
    out_dir = os.path.abspath(args.out)
    work = os.path.join(out_dir, f'two-instances-{args.docs}')
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    second = args.lone if args.also_poll > 0 else 0
    say(f'bench/two_instances.py: {args.docs} documents (+{args.lone} lone at poll {args.poll} s'
        + (f', +{second} at poll {args.also_poll} s' if second else '') + f'), {pdf_bytes} byte PDFs, '
        f'{os.cpu_count()} CPUs, in {work}')
    started = time.time()
    res = {'docs': args.docs, 'lone_docs': args.lone, 'pdf_bytes': pdf_bytes, 'poll_s': args.poll,
           'also_poll_s': args.also_poll, 'threads': args.threads, 'python': sys.version.split()[0],
           'cpus': os.cpu_count(), 'started_at': dt.datetime.now(VN).isoformat(timespec='seconds'),
           'source': source_version()}

    say('setup (not timed): two instances initialised and paired with the console scripts')
    t0 = time.perf_counter()
    settings = {'archive.exchange_poll_seconds': str(args.poll), 'archive.delivery_lease_seconds': '300',
                'archive.delivery_retry_seconds': '1', 'archive.delivery_max_attempts': '20'}
    pair = make_pair(work, settings, settings, threads=args.threads)
    res['pair_setup_s'] = time.perf_counter() - t0
    say(f'  {res["pair_setup_s"]:.0f} s; A on {pair.a.url}, B on {pair.b.url}')
    total = args.docs + args.lone + second
    say(f'setup (not timed): {total} documents taken to "signed" in A\'s database')
    t0 = time.perf_counter()
    names, sizes = setup_documents(pair.a, total, pdf_bytes, args.seed)
    burst, lone, lone2 = names[:args.docs], names[args.docs:args.docs + args.lone], names[args.docs + args.lone:]
    res['docs_setup_s'] = time.perf_counter() - t0
    res['signed_pdf_bytes_mean'] = statistics.fmean(sizes)
    lone_sends = lone_seen = lone2_sends = lone2_seen = {}
    try:
        pair.start()
        sender = pair.sender()
        say(f'1. burst: {args.docs} documents sent through A\'s API, until every status 01 is back')
        burst_sends = phase_burst(sender, burst, timeout=max(600, args.docs * 2))
        if lone:
            say(f'2. idle: {args.lone} lone documents, each sent once the previous 01 is back')
            lone_sends, lone_seen = phase_lone(sender, lone, timeout=60)
        if lone2:
            say(f'2b. idle again with both servers restarted at poll {args.also_poll} s')
            pair.stop()
            for inst in (pair.a, pair.b):
                inst.settings['archive.exchange_poll_seconds'] = str(args.also_poll)
                inst.write_ini()
            pair.start()
            lone2_sends, lone2_seen = phase_lone(pair.sender(), lone2, timeout=60)
    finally:
        pair.stop()
    problems = check(pair, names)
    say('reading the commit times back from both databases')
    times = read_times(pair, burst, want_packages=True)
    packages = [times[name].pop('package') for name in sorted(burst, key=lambda n: times[n]['claimed'])]

    say(f'3. baseline: the same {len(packages)} packages POSTed to a bare WSGI + ZODB server')
    bare = phase_bare(os.path.join(work, 'bare'), packages, args.threads)

    first_send = min(burst_sends.values())
    burst_rows = steps_of(times, burst_sends)
    b = {'rate_per_s': args.docs / (max(t['done'] for t in times.values()) - first_send),
         'delivered_rate_per_s': args.docs / (max(t['delivered'] for t in times.values()) - first_send),
         'latency_p50_s': pct([r['total'] for r in burst_rows], 50),
         'latency_p95_s': pct([r['total'] for r in burst_rows], 95),
         'sends_s': max(burst_sends.values()) - first_send,
         'package_bytes_mean': statistics.fmean(len(p) for p in packages),
         'delivery_ms': {'p50_ms': pct([(t['delivered'] - t['claimed']) * 1000 for t in times.values()], 50),
                         'p95_ms': pct([(t['delivered'] - t['claimed']) * 1000 for t in times.values()], 95)},
         'steps_ms': step_summary(burst_rows)}
    b['elapsed_s'] = args.docs / b['rate_per_s']
    res['burst'], res['bare'], res['problems'] = b, bare, problems
    idle = []             # (poll, summary)
    if lone:
        res['lone'] = lone_summary(read_times(pair, lone), lone_sends, lone_seen)
        idle.append((args.poll, res['lone']))
    if lone2:
        res['lone_also'] = lone_summary(read_times(pair, lone2), lone2_sends, lone2_seen)
        idle.append((args.also_poll, res['lone_also']))
    res['elapsed_s'] = time.time() - started

    rows = [
        (f'send -> 01 back, burst of {args.docs}: documents/s', b['rate_per_s'], bare['rate_per_s'],
         f'ours/bare >= {GOAL_RATIO}', b['rate_per_s'] / bare['rate_per_s'] >= GOAL_RATIO, 1),
        ('  send -> delivered (receipt at A): documents/s', b['delivered_rate_per_s'], bare['rate_per_s'], '', None, 1),
        ('  one delivery, claim -> receipt recorded: p50 ms', b['delivery_ms']['p50_ms'], bare['p50_ms'], '', None, 1),
        ('  one delivery, claim -> receipt recorded: p95 ms', b['delivery_ms']['p95_ms'], bare['p95_ms'], '', None, 1),
        (f'  latency send -> 01, burst of {args.docs}: p50 s', b['latency_p50_s'], None, '', None, 2),
        (f'  latency send -> 01, burst of {args.docs}: p95 s', b['latency_p95_s'], None, '', None, 2),
    ]
    for poll, summary in idle:
        s = summary['steps_ms']['total']
        rows += [
            (f'send -> 01 back, idle, poll {poll:g} s (n={summary["n"]}): p50 ms', s['p50_ms'], None, '', None, 0),
            (f'send -> 01 back, idle, poll {poll:g} s (n={summary["n"]}): p95 ms', s['p95_ms'], None,
             f'< {GOAL_IDLE_P95_S * 1000:.0f} ms', s['p95_ms'] < GOAL_IDLE_P95_S * 1000, 0),
        ]
    src = res['source']
    header = (f'two-instance benchmark: {args.docs} documents x {pdf_bytes // 1024} KB PDF (signed '
              f'{res["signed_pdf_bytes_mean"] / 1024:.0f} KB, package {b["package_bytes_mean"] / 1024:.0f} KB), '
              f'{res["elapsed_s"]:.0f} s in all (setup {res["pair_setup_s"] + res["docs_setup_s"]:.0f} s); '
              f'commit {src["commit"][:10]}'
              + (f' + {src["src_changed_files"]} changed files in src/' if src['src_changed_files'] else ''))
    table = render_table(rows, header)
    title = "where a document's time goes, ms (p50 / p95)"
    steps = [f'{title:<60}{"burst":>15}' + ''.join(f'{"idle, " + format(p, "g") + " s":>15}' for p, _ in idle)]
    for label, _a, _b, what in STEPS + [('total', '', '', 'send -> 01 and receipt recorded at A')]:
        cells = [b['steps_ms'][label]] + [summary['steps_ms'][label] for _p, summary in idle]
        steps.append(f'{what:<60}' + ''.join(f'{c["p50_ms"]:>8.0f} /{c["p95_ms"]:>5.0f}' for c in cells))
    for poll, summary in idle:
        s = summary['steps_ms']
        steps.append(f'idle at poll {poll:g} s: the two waits for a worker take {s["wait_a"]["mean_ms"] + s["wait_b"]["mean_ms"]:.0f} ms '
                     f'of the mean {s["total"]["mean_ms"]:.0f} ms (half an interval each would be {poll * 1000:.0f} ms); '
                     f'seen by the client, polling A every 50 ms: p50 {summary["seen_by_client"]["p50_ms"]:.0f} ms')
    res['table_text'], res['steps_text'] = table, '\n'.join(steps)
    res['complete'] = not problems
    path = os.path.join(out_dir, 'two_instances.json')
    with open(path, 'w') as f:
        json.dump(res, f, indent=2, ensure_ascii=False, default=str)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    say('')
    say(table)
    say('')
    say(res['steps_text'])
    say('\n(ours: from the first send through the API to the last status 01 and receipt recorded at A, all checks '
        'on; bare: the same package bytes POSTed one after the other to waitress + ZODB, stored, answered)')
    say(f'results: {path}')
    if problems:
        say('FAIL: ' + '; '.join(problems[:10]))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())

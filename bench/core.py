"""Benchmark of the repository core, beside a bare-library baseline on the same data.

    .venv/bin/python bench/core.py [--docs N] [--pdf-kb 100] [--out DIR] [--requests 300]

Three figures, each printed next to the same work done with ZODB alone (a FileStorage
with a blob directory, a plain persistent object, an OOBTree), and the ratio:

1. creation: N documents, each with a distinct PDF main file, through
   ``archive.services.documents.create`` and one commit per document (what an API
   request does), against one ``Persistent`` + ``Blob`` per commit inserted into an OOBTree;
2. opening: ``archive.main()`` on the filled database up to the first logged-in
   document page, in a fresh process (cold ZODB caches), against opening the bare
   FileStorage and loading one object and its blob size;
3. reading: a document page and the paged lists through WebTest, p50/p95, against
   loading the object (fields + blob size) and iterating a slice of the OOBTree.

Not a test: nothing is asserted about time. See bench/README.md.
"""
import argparse
import base64
import datetime as dt
import hashlib
import io
import itertools
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
import uuid

import transaction
from BTrees.OOBTree import OOBTree
from persistent import Persistent
from ZODB import DB
from ZODB.blob import Blob
from ZODB.FileStorage import FileStorage

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)
HOST = '000.00.01.H01'        # archive.seed.HOST, where the demo clerk works
ACTOR = 'vanthu'
PASSWORD = 'demo-mat-khau-2026'
ROOT_KEY = 'archive'
PAGE_SIZE = 50                # archive.views.documents.PAGE_SIZE
VN = dt.timezone(dt.timedelta(hours=7))
EPOCH = dt.datetime(2026, 11, 24, 9, 30, tzinfo=VN)

# Goals from the issue.
GOAL_CREATE_RATIO = 0.5       # creation rate at least half the bare rate
GOAL_OPEN_S = 2.0             # archive.main() to the first logged-in page
GOAL_DOC_P95_MS = 20.0        # document page p95


# ---------------------------------------------------------------------------
# Data: the same documents for both sides
# ---------------------------------------------------------------------------

def padded_pdf(n, size, rng):
    """``archive.seed.minimal_pdf`` padded with comment lines of random text to ``size``
    bytes, with the cross-reference offsets moved so that it stays a valid PDF."""
    from archive.seed import minimal_pdf
    base = minimal_pdf(f'Van ban so {n}')
    cut = base.index(b'\n', base.index(b'\n') + 1) + 1        # after the two header lines
    # startxref grows by a few digits once moved: aim at the size less those digits.
    grow = len(str(size)) - len(str(len(base)))
    need = max(0, size - len(base) - max(0, grow))
    lines = []
    while need > 0:
        width = min(76, need - 2) if need >= 2 else -1         # a line is '%' + text + '\n'
        line = b'\n' if width < 0 else b'%' + base64.b64encode(rng.randbytes(57))[:width] + b'\n'
        lines.append(line)
        need -= len(line)
    pad = b''.join(lines)
    body = base[cut:]
    body = re.sub(rb'(\d{10}) 00000 n', lambda m: b'%010d 00000 n' % (int(m.group(1)) + len(pad)), body)
    body = re.sub(rb'startxref\n(\d+)', lambda m: b'startxref\n%d' % (int(m.group(1)) + len(pad)), body)
    return base[:cut] + pad + body


URGENCY = ['normal'] * 8 + ['khan', 'thuong_khan']
SENDERS = [('000.00.02.H01', 'Ban Tổ chức Thành ủy', 'BTCTU'),
           ('000.00.03.H01', 'Ban Tuyên giáo Thành ủy', 'BTGTU'),
           ('000.00.04.H01', 'Ủy ban Kiểm tra Thành ủy', 'UBKTTU'),
           ('000.00.05.H01', 'Ban Dân vận Thành ủy', 'BDVTU')]
TYPES = ['HD', 'TB', 'BC', 'CV', 'NQ', 'QĐ']


def cstruct_for(n, rng):
    """The fields of document ``n`` as a channel sends them (strings, ISO 8601 +07:00)."""
    organ, sender, symbol = SENDERS[n % len(SENDERS)]
    doc_type = TYPES[n % len(TYPES)]
    received = EPOCH - dt.timedelta(minutes=rng.randrange(0, 3 * 365 * 24 * 60))
    return dict(
        direction='incoming', organ_id=organ, sender=sender,
        number_symbol=f'{n + 1}-{doc_type}/{symbol}', doc_type=doc_type,
        issued_date=(received - dt.timedelta(days=2)).date().isoformat(), place='Hà Nội',
        abstract=f'Văn bản số {n + 1}: hướng dẫn triển khai công tác văn thư, lưu trữ năm {received.year}',
        urgency=rng.choice(URGENCY), classification='thuong',
        signer_name='Nguyễn Văn A', signer_position='Phó Trưởng ban', signer_competence='K/T',
        pages=str(rng.randrange(1, 30)), copies='1',
        receivers=['Văn phòng Thành ủy', 'Lưu VT'], channel='electronic',
        received_at=received.isoformat(), notes='',
    )


def typed_values(cstruct):
    """The same fields converted as the schema would (for the bare side, outside its timing)."""
    out = {}
    for k, v in cstruct.items():
        if k in ('received_at', 'sent_at'):
            v = dt.datetime.fromisoformat(v)
        elif k == 'issued_date':
            v = dt.date.fromisoformat(v)
        elif k in ('pages', 'copies'):
            v = int(v)
        elif v == '':
            v = None
        out[k] = v
    return out


class BareDoc(Persistent):
    """The bare side's document: the same fields, a Blob, its name, size and hash."""

    def __init__(self, values):
        self.__dict__.update(values)


def bare_read(obj):
    """What the bare side reads for a page: every field and the blob's size."""
    fields = [obj.number_symbol, obj.abstract, obj.received_at, obj.sender, obj.organ_id,
              obj.doc_type, obj.urgency, obj.classification, obj.signer_name, obj.receivers,
              obj.filename, obj.sha256, obj.size]
    return fields, os.path.getsize(obj.blob.committed())


# ---------------------------------------------------------------------------
# The two databases
# ---------------------------------------------------------------------------

def settings_for(folder, pdf_bytes):
    """Settings as tests/conftest.base_settings builds them, on a FileStorage in ``folder``."""
    types = 'NQ Nghị quyết\nQĐ Quyết định\nQĐi Quy định\nHD Hướng dẫn\nTTr Tờ trình\nCV Công văn\nBC Báo cáo\nTB Thông báo'
    return {
        'zodbconn.uri': f'file://{folder}/Data.fs?blobstorage_dir={folder}/blobs',
        'retry.attempts': '3',
        'pyramid.default_locale_name': 'vi',
        'archive.secret': 'bench-secret-' + 'x' * 40,
        'archive.demo_seed': 'true',
        'archive.demo_password': PASSWORD,
        'archive.root_key': ROOT_KEY,
        'archive.workflows_dir': os.path.join(PROJECT, 'workflows'),
        'archive.schemas_dir': os.path.join(PROJECT, 'schemas'),
        'archive.max_upload_bytes': str(max(256 * 1024, 2 * pdf_bytes)),
        'archive.document_types': types,
    }


def make_app(settings):
    import archive
    return archive.main({'__file__': os.path.join(PROJECT, 'development.ini'), 'here': PROJECT}, **settings)


def close_app(app):
    transaction.abort()
    app.registry._zodb_databases[''].close()


class Ours:
    """The archive, written through the service layer as the API writes."""

    def __init__(self, folder, pdf_bytes):
        os.makedirs(folder, exist_ok=True)
        self.settings = settings_for(folder, pdf_bytes)
        self.app = make_app(self.settings)
        from archive.resources.root import root_key
        from archive.services import documents as svc
        from pyramid.threadlocal import manager
        self.svc = svc
        self.threadlocal = manager
        self.db = self.app.registry._zodb_databases['']
        self.tm = transaction.TransactionManager()
        self.conn = self.db.open(transaction_manager=self.tm)
        self.root_key = root_key(self.app.registry)
        self.archive_settings = self.app.registry.archive_settings
        self.ids = []

    def create(self, n, cstruct, pdf):
        svc = self.svc
        upload = svc.Upload('main_file', f'van-ban-{n + 1}.pdf', io.BytesIO(pdf), 'main')
        t0 = time.perf_counter()
        # The registry on the thread, as during a request (the workflow engine finds it there).
        self.threadlocal.push({'registry': self.app.registry, 'request': None})
        try:
            with self.tm:
                root = self.conn.root()[self.root_key]
                doc = svc.create(root, root['bodies'][HOST], cstruct, [upload], self.archive_settings, ACTOR)
        finally:
            self.threadlocal.pop()
        elapsed = time.perf_counter() - t0
        self.ids.append(doc.__name__)
        return elapsed

    def close(self):
        self.conn.close()
        close_app(self.app)


class Bare:
    """ZODB alone: FileStorage + blob dir, a persistent object and a Blob per commit."""

    def __init__(self, folder, cache_size=10000):
        os.makedirs(folder, exist_ok=True)
        self.storage = FileStorage(os.path.join(folder, 'Data.fs'), blob_dir=os.path.join(folder, 'blobs'))
        self.db = DB(self.storage, cache_size=cache_size)
        self.tm = transaction.TransactionManager()
        self.conn = self.db.open(transaction_manager=self.tm)
        with self.tm:
            if 'docs' not in self.conn.root():
                self.conn.root()['docs'] = OOBTree()
        self.ids = []

    def create(self, n, cstruct, pdf):
        values = typed_values(cstruct)
        t0 = time.perf_counter()
        with self.tm:
            obj = BareDoc(values)
            obj.body_code = HOST
            obj.created_by = ACTOR
            obj.created_at = dt.datetime.now(VN)
            obj.filename = f'van-ban-{n + 1}.pdf'
            obj.media_type = 'application/pdf'
            obj.size = len(pdf)
            obj.sha256 = hashlib.sha256(pdf).hexdigest()
            obj.blob = Blob()
            with obj.blob.open('w') as f:
                f.write(pdf)
            key = uuid.uuid4().hex
            self.conn.root()['docs'][key] = obj
        elapsed = time.perf_counter() - t0
        self.ids.append(key)
        return elapsed

    def close(self):
        self.conn.close()
        self.db.close()


# ---------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------

def pct(values, p):
    if not values:
        return None
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def summary_ms(samples):
    ms = [s * 1000 for s in samples]
    return {'n': len(ms), 'p50_ms': pct(ms, 50), 'p95_ms': pct(ms, 95), 'max_ms': max(ms) if ms else None,
            'mean_ms': statistics.fmean(ms) if ms else None}


def say(*args):
    print(*args, flush=True)


def phase_create(ours, bare, n_docs, pdf_bytes, seed):
    """Interleave the two sides in chunks, so both see the same disk and page cache."""
    chunk = max(100, n_docs // 20)
    times = {'ours': [], 'bare': []}
    rng_ours, rng_bare = random.Random(seed), random.Random(seed)
    wall = {'ours': 0.0, 'bare': 0.0}
    for start in range(0, n_docs, chunk):
        stop = min(n_docs, start + chunk)
        for side, target, rng in (('ours', ours, rng_ours), ('bare', bare, rng_bare)):
            t0 = time.perf_counter()
            for n in range(start, stop):
                cstruct = cstruct_for(n, rng)
                pdf = padded_pdf(n, pdf_bytes, rng)
                times[side].append(target.create(n, cstruct, pdf))
            wall[side] += time.perf_counter() - t0
        o, b = times['ours'], times['bare']
        say(f'  created {stop:>7}/{n_docs}: ours {len(o) / sum(o):7.1f}/s '
            f'(this chunk {chunk_rate(o, stop - start):7.1f}/s), '
            f'bare {len(b) / sum(b):7.1f}/s (this chunk {chunk_rate(b, stop - start):7.1f}/s)')
    out = {}
    for side in ('ours', 'bare'):
        t = times[side]
        tenth = max(1, len(t) // 10)
        out[side] = {
            'docs': len(t),
            'rate_per_s': len(t) / sum(t),
            'first_10pct_rate_per_s': tenth / sum(t[:tenth]),
            'last_10pct_rate_per_s': tenth / sum(t[-tenth:]),
            'wall_s_including_data_generation': wall[side],
            **summary_ms(t),
        }
    return out


def chunk_rate(times, k):
    return k / sum(times[-k:])


def dir_size(folder):
    total = 0
    for dirpath, _dirs, files in os.walk(folder):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(dirpath, f))
            except OSError:
                pass
    return total


# -- 2. opening, in a fresh process -----------------------------------------

def child_open(kind, folder, key, pdf_bytes, profile_to=None):
    """Runs in a fresh interpreter: open the database and serve/load one document."""
    result = {}
    if kind == 'ours':
        t0 = time.perf_counter()
        import archive  # noqa: F401 -- import cost reported apart from the figure
        import webtest
        result['import_s'] = time.perf_counter() - t0
        settings = settings_for(folder, pdf_bytes)
        prof = None
        if profile_to:
            import cProfile
            prof = cProfile.Profile()
            prof.enable()
        t0 = time.perf_counter()
        app = make_app(settings)
        t1 = time.perf_counter()
        client = webtest.TestApp(app, extra_environ={'REMOTE_ADDR': '127.0.0.1'})
        form = client.get('/login').forms[0]
        form['login'] = ACTOR
        form['password'] = PASSWORD
        form.submit(status=303)
        t2 = time.perf_counter()
        client.get(f'/bodies/{HOST}/documents/{key}', status=200)
        t3 = time.perf_counter()
        result.update(main_s=t1 - t0, login_s=t2 - t1, first_page_s=t3 - t2, total_s=t3 - t0)
        if prof is not None:
            prof.disable()
            dump_profile(prof, profile_to)
        close_app(app)
    else:
        t0 = time.perf_counter()
        storage = FileStorage(os.path.join(folder, 'Data.fs'), blob_dir=os.path.join(folder, 'blobs'))
        db = DB(storage, cache_size=10000)
        conn = db.open()
        t1 = time.perf_counter()
        bare_read(conn.root()['docs'][key])
        t2 = time.perf_counter()
        result.update(import_s=0.0, main_s=t1 - t0, login_s=0.0, first_page_s=t2 - t1, total_s=t2 - t0)
        conn.close()
        db.close()
    print(json.dumps(result))


def phase_open(folder_ours, folder_bare, key_ours, key_bare, pdf_bytes, repeats=3, profile_to=None):
    out = {}
    if profile_to:     # a run of its own, not counted
        subprocess.run([sys.executable, os.path.abspath(__file__), '--child-open', 'ours', folder_ours,
                        key_ours, '--pdf-kb', str(pdf_bytes / 1024), '--child-profile', profile_to],
                       capture_output=True, text=True, cwd=PROJECT)
    for kind, folder, key in (('ours', folder_ours, key_ours), ('bare', folder_bare, key_bare)):
        runs = []
        for _ in range(repeats):
            proc = subprocess.run(
                [sys.executable, os.path.abspath(__file__), '--child-open', kind, folder, key,
                 '--pdf-kb', str(pdf_bytes / 1024)],
                capture_output=True, text=True, cwd=PROJECT)
            if proc.returncode != 0:
                raise RuntimeError(f'child ({kind}) failed:\n{proc.stderr}')
            runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        best = min(runs, key=lambda r: r['total_s'])
        out[kind] = {**best, 'runs_total_s': [r['total_s'] for r in runs]}
        say(f'  open {kind}: ' + ', '.join(f'{r["total_s"]:.3f}s' for r in runs))
    return out


# -- 3. reading --------------------------------------------------------------

def timed_requests(label, urls, fetch, budget_s):
    samples = []
    started = time.perf_counter()
    for url in urls:
        t0 = time.perf_counter()
        fetch(url)
        samples.append(time.perf_counter() - t0)
        if time.perf_counter() - started > budget_s:
            say(f'  {label}: stopped after {len(samples)} requests (time budget {budget_s:.0f}s)')
            break
    return samples


def phase_read(folder_ours, folder_bare, ids_ours, ids_bare, pdf_bytes, requests, seed, budget_s):
    import webtest
    rng = random.Random(seed + 1)
    n = len(ids_ours)
    picks = [rng.randrange(n) for _ in range(requests)]
    starts = [rng.randrange(max(1, n - PAGE_SIZE + 1)) for _ in range(requests)]
    out = {'ours': {}, 'bare': {}}

    app = make_app(settings_for(folder_ours, pdf_bytes))
    client = webtest.TestApp(app, extra_environ={'REMOTE_ADDR': '127.0.0.1'})
    form = client.get('/login').forms[0]
    form['login'] = ACTOR
    form['password'] = PASSWORD
    form.submit(status=303)
    # Warm-up (templates compiled, code paths imported): not counted.
    for i in range(5):
        client.get(f'/bodies/{HOST}/documents/{ids_ours[i]}', status=200)
    client.get(f'/bodies/{HOST}', status=200)
    client.get(f'/api/v1/bodies/{HOST}/documents?start=0', status=200)

    def get(url):
        client.get(url, status=200)
    out['ours']['document_page'] = summary_ms(timed_requests(
        'document page', [f'/bodies/{HOST}/documents/{ids_ours[i]}' for i in picks], get, budget_s))
    out['ours']['list_page_first'] = summary_ms(timed_requests(
        'list page (first)', [f'/bodies/{HOST}'] * requests, get, budget_s))
    out['ours']['list_page_start_k'] = summary_ms(timed_requests(
        'list page ?start=K', [f'/bodies/{HOST}?start={k}' for k in starts], get, budget_s))
    out['ours']['api_list_start_k'] = summary_ms(timed_requests(
        'API list ?start=K', [f'/api/v1/bodies/{HOST}/documents?start={k}' for k in starts], get, budget_s))
    close_app(app)

    storage = FileStorage(os.path.join(folder_bare, 'Data.fs'), blob_dir=os.path.join(folder_bare, 'blobs'))
    db = DB(storage, cache_size=10000)
    tm = transaction.TransactionManager()
    conn = db.open(transaction_manager=tm)

    def load(i):
        with tm:                 # a transaction per "request", as pyramid_tm does
            bare_read(conn.root()['docs'][ids_bare[i]])

    def slice_(k):
        with tm:
            for obj in itertools.islice(conn.root()['docs'].values(), k, k + PAGE_SIZE):
                bare_read(obj)
    out['bare']['document_page'] = summary_ms(timed_requests('bare load', picks, load, budget_s))
    out['bare']['list_page_first'] = summary_ms(timed_requests('bare slice 0', [0] * requests, slice_, budget_s))
    out['bare']['list_page_start_k'] = summary_ms(timed_requests('bare slice K', starts, slice_, budget_s))
    out['bare']['api_list_start_k'] = out['bare']['list_page_start_k']
    conn.close()
    db.close()
    return out


# -- profiles (optional) -----------------------------------------------------

def profile_phase(folder_ours, ids, pdf_bytes, out_dir, seed, n_docs):
    """cProfile of 200 more creations (committed: the database grows by 200), 50 document
    pages and 10 API list pages, after the measured runs (the opening is profiled in
    ``phase_open``, in a process of its own)."""
    import cProfile
    import webtest
    paths = []
    ours = Ours(folder_ours, pdf_bytes)
    rng = random.Random(seed + 7)
    prof = cProfile.Profile()
    prof.enable()
    for n in range(n_docs, n_docs + 200):
        ours.create(n, cstruct_for(n, rng), padded_pdf(n, pdf_bytes, rng))
    prof.disable()
    ours.conn.close()
    paths.append(dump_profile(prof, os.path.join(out_dir, f'profile-create-{n_docs}.txt')))
    client = webtest.TestApp(ours.app, extra_environ={'REMOTE_ADDR': '127.0.0.1'})
    form = client.get('/login').forms[0]
    form['login'] = ACTOR
    form['password'] = PASSWORD
    form.submit(status=303)
    client.get(f'/bodies/{HOST}/documents/{ids[0]}')
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(50):
        client.get(f'/bodies/{HOST}/documents/{rng.choice(ids)}', status=200)
    prof.disable()
    paths.append(dump_profile(prof, os.path.join(out_dir, f'profile-document-page-{n_docs}.txt')))
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(10):
        client.get(f'/api/v1/bodies/{HOST}/documents?start={rng.randrange(max(1, len(ids) - PAGE_SIZE))}')
    prof.disable()
    paths.append(dump_profile(prof, os.path.join(out_dir, f'profile-api-list-{n_docs}.txt')))
    close_app(ours.app)
    return paths


def dump_profile(prof, path):
    import pstats
    with open(path, 'w') as f:
        stats = pstats.Stats(prof, stream=f)
        stats.sort_stats('cumulative').print_stats(45)
        stats.sort_stats('tottime').print_stats(30)
    return path


# ---------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------

def fmt(v, digits=1):
    return '—' if v is None else f'{v:.{digits}f}'


def build_table(res):
    c, o, r = res['create'], res['open'], res['read']
    rows = []

    def row(name, ours, bare, goal, ok, digits=1, inverse=False):
        ratio = (ours / bare) if (ours is not None and bare) else None
        rows.append({'figure': name, 'ours': ours, 'bare': bare, 'ratio': ratio, 'goal': goal,
                     'met': ok, 'digits': digits})

    rate_ratio = c['ours']['rate_per_s'] / c['bare']['rate_per_s']
    row('create: documents/s', c['ours']['rate_per_s'], c['bare']['rate_per_s'],
        f'ours/bare >= {GOAL_CREATE_RATIO}', rate_ratio >= GOAL_CREATE_RATIO)
    row('create: last 10% documents/s', c['ours']['last_10pct_rate_per_s'], c['bare']['last_10pct_rate_per_s'],
        '', None)
    row('create: Data.fs KB/document', c['ours']['data_fs_bytes'] / c['ours']['docs'] / 1024,
        c['bare']['data_fs_bytes'] / c['bare']['docs'] / 1024, '', None, 2)
    row('create: p50 ms/document', c['ours']['p50_ms'], c['bare']['p50_ms'], '', None, 2)
    row('create: p95 ms/document', c['ours']['p95_ms'], c['bare']['p95_ms'], '', None, 2)
    row('open: main() -> first page, s', o['ours']['total_s'], o['bare']['total_s'],
        f'< {GOAL_OPEN_S:g} s', o['ours']['total_s'] < GOAL_OPEN_S, 3)
    row('  of which main(), s', o['ours']['main_s'], o['bare']['main_s'], '', None, 3)
    row('  of which login, s', o['ours']['login_s'], None, '', None, 3)
    row('  of which first page, s', o['ours']['first_page_s'], o['bare']['first_page_s'], '', None, 3)
    names = [('document_page', 'document page'), ('list_page_first', 'list page (first)'),
             ('list_page_start_k', 'list page ?start=K'), ('api_list_start_k', 'API list ?start=K')]
    for key, label in names:
        ours, bare = r['ours'][key], r['bare'][key]
        for p in ('p50', 'p95'):
            goal, ok = '', None
            if key == 'document_page' and p == 'p95':
                goal, ok = f'< {GOAL_DOC_P95_MS:g} ms', ours['p95_ms'] < GOAL_DOC_P95_MS
            row(f'{label} {p} ms (n={ours["n"]})', ours[f'{p}_ms'], bare[f'{p}_ms'], goal, ok, 2)
    return rows


def render_table(rows, header):
    lines = [header]
    w = max(len(r['figure']) for r in rows) + 2
    lines.append(f'{"figure":<{w}}{"ours":>12}{"bare":>12}{"ours/bare":>11}  goal')
    lines.append('-' * (w + 12 + 12 + 11 + 24))
    for r in rows:
        d = r['digits']
        met = '' if r['met'] is None else ('  met' if r['met'] else '  MISSED')
        lines.append(f'{r["figure"]:<{w}}{fmt(r["ours"], d):>12}{fmt(r["bare"], d):>12}'
                     f'{fmt(r["ratio"], 2):>11}  {r["goal"]}{met}')
    return '\n'.join(lines)


# ---------------------------------------------------------------------------

def source_version():
    """The commit measured, and whether src/ had changes not committed (read-only git)."""
    def git(*args):
        try:
            return subprocess.run(['git', *args], cwd=PROJECT, capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ''
    return {'commit': git('rev-parse', 'HEAD'),
            'src_changed_files': len(git('status', '--porcelain', '--', 'src').splitlines())}


def save(res, path, complete):
    """The results so far (``complete`` false until the table is made)."""
    with open(path, 'w') as f:
        json.dump({**res, 'complete': complete}, f, indent=2, ensure_ascii=False, default=str)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--docs', type=int, default=2000, help='documents to create (default 2000; the full run is 100000)')
    parser.add_argument('--pdf-kb', type=float, default=100, help='size of each main file in KB (default 100)')
    parser.add_argument('--out', default=os.path.join(HERE, 'out'), help='folder for the databases and results')
    parser.add_argument('--requests', type=int, default=300, help='requests per read figure (default 300)')
    parser.add_argument('--budget', type=float, default=180, help='seconds at most per read figure (default 180)')
    parser.add_argument('--seed', type=int, default=20261124)
    parser.add_argument('--keep', action='store_true', help='keep the databases after the run')
    parser.add_argument('--reuse', action='store_true',
                        help='reuse the databases kept by an earlier run of the same N (skip the creation)')
    parser.add_argument('--profile', action='store_true',
                        help='after the measured runs, write cProfile reports to the out folder')
    parser.add_argument('--child-open', nargs=3, metavar=('KIND', 'FOLDER', 'KEY'), help=argparse.SUPPRESS)
    parser.add_argument('--child-profile', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    pdf_bytes = int(args.pdf_kb * 1024)

    if args.child_open:
        child_open(*args.child_open, pdf_bytes, profile_to=args.child_profile)
        return 0

    out_dir = os.path.abspath(args.out)
    work = os.path.join(out_dir, f'core-{args.docs}')
    state_path = os.path.join(work, 'state.json')
    folder_ours, folder_bare = os.path.join(work, 'ours'), os.path.join(work, 'bare')
    reuse = args.reuse and os.path.exists(state_path)
    if not reuse:
        shutil.rmtree(work, ignore_errors=True)
    say(f'bench/core.py: {args.docs} documents, {pdf_bytes} byte PDFs, in {work}')

    started = time.time()
    res = {'docs': args.docs, 'pdf_bytes': pdf_bytes, 'requests': args.requests, 'seed': args.seed,
           'python': sys.version.split()[0], 'started_at': dt.datetime.now(VN).isoformat(timespec='seconds'),
           'source': source_version()}

    if reuse:
        with open(state_path) as f:
            state = json.load(f)
        say(f'1. creation: reusing the databases and the figures of {state["started_at"]} ({state_path})')
        res['create'], ids_ours, ids_bare = state['create'], state['ids_ours'], state['ids_bare']
        res['create_reused_from'] = state['started_at']
    else:
        say('1. creation (one transaction per document)')
        ours = Ours(folder_ours, pdf_bytes)
        bare = Bare(folder_bare)
        res['create'] = phase_create(ours, bare, args.docs, pdf_bytes, args.seed)
        ids_ours, ids_bare = list(ours.ids), list(bare.ids)
        ours.close()
        bare.close()
        for side, folder in (('ours', folder_ours), ('bare', folder_bare)):
            res['create'][side]['storage_bytes'] = dir_size(folder)
            res['create'][side]['data_fs_bytes'] = os.path.getsize(os.path.join(folder, 'Data.fs'))
        with open(state_path, 'w') as f:   # lets --reuse run phases 2 and 3 again on these databases
            json.dump({'started_at': res['started_at'], 'create': res['create'],
                       'ids_ours': ids_ours, 'ids_bare': ids_bare}, f)

    results_path = os.path.join(out_dir, f'core-{args.docs}.json')
    save(res, results_path, complete=False)
    try:
        say('2. opening the database and the first logged-in page (fresh process)')
        pick = random.Random(args.seed + 2).randrange(len(ids_ours))
        res['open'] = phase_open(
            folder_ours, folder_bare, ids_ours[pick], ids_bare[pick], pdf_bytes,
            profile_to=os.path.join(out_dir, f'profile-open-{args.docs}.txt') if args.profile else None)

        say(f'3. reading ({args.requests} requests per figure)')
        res['read'] = phase_read(folder_ours, folder_bare, ids_ours, ids_bare, pdf_bytes,
                                 args.requests, args.seed, args.budget)

        save(res, results_path, complete=False)

        if args.profile:
            say('profiles (after the measured runs)')
            try:
                res['profiles'] = profile_phase(folder_ours, ids_ours, pdf_bytes, out_dir, args.seed, args.docs)
            except Exception as exc:       # optional: the figures stand without it
                res['profiles'] = f'failed: {exc!r}'
                say(f'  profiling failed: {exc!r}')
    except BaseException:
        save(res, results_path, complete=False)
        say(f'\nfailed; the databases are kept: run again with --reuse to skip the creation ({work})')
        raise

    res['elapsed_s'] = time.time() - started
    rows = build_table(res)
    res['table'] = [{k: v for k, v in r.items() if k != 'digits'} for r in rows]
    src = res['source']
    header = (f'core benchmark: {args.docs} documents x {pdf_bytes // 1024} KB, '
              f'{args.requests} requests per read figure, {res["elapsed_s"]:.0f} s in all; '
              f'commit {src["commit"][:10]}' + (f' + {src["src_changed_files"]} changed files in src/'
                                               if src['src_changed_files'] else ''))
    table = render_table(rows, header)
    res['table_text'] = table
    path = save(res, results_path, complete=True)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    say('')
    say(table)
    say('\n(ratio is ours/bare: for documents/s higher is better, for times lower is better)')
    say(f'results: {path}')
    return 0


if __name__ == '__main__':
    sys.path.insert(0, os.path.join(PROJECT, 'src'))
    sys.exit(main())

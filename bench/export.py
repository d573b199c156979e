"""Benchmark of the transfer package export, beside bagit making a bag of the same files.

    .venv/bin/python bench/export.py [--docs 1000] [--pdf-kb 100] [--out DIR] [--keep]
    .venv/bin/python bench/export.py --docs 10000          # the issue's full run (~1 GB of blobs)

It builds a FileStorage with ``--docs`` documents (the project's ``Document`` and ``File`` with a
blob of ``--pdf-kb`` KB of incompressible PDF-headed bytes each, its signature verdict and a journal
entry of the check), then, each in a fresh process:

1. ours: ``archive.archival.sip.write_package`` of all the documents as one records file (the zip
   with METS, descriptive and PREMIS metadata per document, the originals checked against their
   stored SHA-256 while copied), in one process (``workers=1``), and **ours, 2 workers**: the same
   with two worker processes preparing the documents (``workers=2``, the setting's default);
2. bagit: the same blob files hard-linked into a folder (not timed), then
   ``bagit.make_bag(folder, checksums=['sha256'])`` timed (it moves them into ``data/``, hashes
   them and writes the manifests): the issue's baseline; and **bagit, 2 processes**: the same with
   ``processes=2`` (bagit's own parallel mode), the fair baseline for ours with workers;
3. walk + bagit: the same as 2., the walk through ZODB that finds each document's files (the
   same document, ``File`` and ``Blob`` loads ours makes) and the hard links timed too:
   a second baseline beside the first, not in its place (the issue's baseline is 2.);
4. copy + bagit: the same, the files copied into the folder, the walk and the copy timed too (a
   transfer must write its payload somewhere, as ours does).

Each side runs ``--repeat`` times (default 2) in alternating order; the best run of each is shown,
by wall and by CPU time (the process's and its worker processes'), with the spread of the CPU times.

It prints documents per second of each, the ratios ours/bagit (goal: at least 0.5), the peak RSS
and CPU time of each process, and our RSS at each tenth of the export (flat memory: the last tenth no higher
than the first by more than a few MB). Not a test: nothing is asserted. See bench/README.md.
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)
if os.path.join(PROJECT, 'src') not in sys.path:
    sys.path.insert(0, os.path.join(PROJECT, 'src'))

HOST = '000.00.31.H29'
KINDS = ('ours', 'ours-w2', 'bagit', 'bagit-p2', 'bagit-walk', 'bagit-copy')
CODE = '01.VP/HS-BENCH'


def rss_mb():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 1e6


def cpu_seconds():
    """This process's CPU time and its ended children's (the export's workers, bagit's pool)."""
    return sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF),
                                                   resource.getrusage(resource.RUSAGE_CHILDREN)))


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def _open(folder):
    import ZODB
    from ZODB.FileStorage import FileStorage
    db = ZODB.DB(FileStorage(os.path.join(folder, 'Data.fs'), blob_dir=os.path.join(folder, 'blobs')),
                 cache_size=2000)
    try:                        # what the server's start does (archive.startup), where the code has it
        from archive.db import find_classes_once
    except ImportError:         # older code measured by bench/export_ab.py
        return db
    return find_classes_once(db)


def build(folder, docs, pdf_kb):
    """The documents, committed in batches, with real blobs and hashes."""
    import io

    import transaction

    from archive import audit, clock
    from archive.audit import Journal
    from archive.resources.documents import Document, Documents
    from archive.resources.files import MAIN, File, write_content
    from archive.resources.folder import Folder
    os.makedirs(folder, exist_ok=True)
    db = _open(folder)
    conn = db.open()
    root = Folder()
    root.__name__ = root.__parent__ = None
    root.journal = Journal()
    documents = Documents()
    documents.__name__, documents.__parent__ = 'documents', root
    conn.root()['bench'] = root
    root.documents = documents
    now = clock.now()
    for k in range(docs):
        doc = Document(HOST, 'vanthu')
        name = documents.new_name()
        documents.add(name, doc)
        for name, value in dict(direction='incoming', organ_id='000.00.02.H01', sender='Ban Tổ chức Thành ủy',
                                number_symbol=f'{k + 1}-CV/BTCTU', doc_type='CV', pages=2,
                                abstract=f'Công văn số {k + 1} về công tác cán bộ', received_at=now,
                                signer_name='Nguyễn Văn A', signer_position='Trưởng ban').items():
            setattr(doc, name, value)
        f = File(f'cong-van-{k + 1}.pdf', MAIN)
        content = b'%PDF-1.7\n' + os.urandom(pdf_kb * 1024 - 9)
        write_content(f, io.BytesIO(content))
        f.size, f.media_type, f.uploaded_at = len(content), 'application/pdf', now
        doc.add_file(f)
        doc.origin_verdict = {'status': 'valid', 'code': 'valid', 'reason': 'Chữ ký hợp lệ',
                              'checked_at': clock.iso(now), 'signatures': []}
        doc.registered_at, doc.register_number = now, k + 1
        seq = audit.append(root, doc.chain_id, 'origin_checked', 'vanthu', status='valid', code='valid',
                           file='1', sha256=f.sha256, signers=[])
        doc.note_origin_check(root.journal.chains[doc.chain_id].entries[seq][0], 'valid', 'valid', '1', f.sha256)
        if (k + 1) % 500 == 0:
            transaction.commit()
            conn.cacheMinimize()
    transaction.commit()
    conn.close()
    db.close()


def child_ours(folder, workers=1):
    from types import SimpleNamespace

    from archive.archival import sip
    db = _open(folder)
    conn = db.open()
    root = conn.root()['bench']
    names = list(root.documents.keys())
    samples = []
    step = max(1, len(names) // 10)

    def progress(done, total):
        if done % step == 0 or done == total:
            samples.append(round(rss_mb(), 1))
    records = SimpleNamespace(code=CODE, title='Hồ sơ thử', year=2026, body_code=HOST, unit_code='VP',
                              responsible='vanthu', opened_on=None, closed_on=None, retention_years=10,
                              plan_entry='01.VP', document_names=names, secret=False)
    body = SimpleNamespace(code=HOST, name='Văn phòng Thành ủy')
    target = os.path.join(folder, 'pkg.zip')
    if os.path.exists(target):
        os.remove(target)
    import inspect
    kw = {}                 # the export summaries, where the code has them (older code: bench/export_ab.py)
    if 'summaries' in inspect.signature(sip.write_package).parameters:
        kw['summaries'] = root.documents.summaries
    start, cpu = time.perf_counter(), cpu_seconds()
    report = sip.write_package(target, 'pkg-bench', body, [records],
                               lambda f: ((n, root.documents[n]) for n in names), progress=progress, workers=workers,
                               **kw)
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    out = {'seconds': seconds, 'cpu': cpu, 'docs': report.documents, 'bytes': report.bytes, 'peak_mb': peak_mb(),
           'samples_mb': samples,
           'workers_peak_mb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1e3}
    if os.environ.get('BENCH_VALIDATE'):
        start = time.perf_counter()
        out['problems'] = len(sip.validate(target))
        out['validate_seconds'] = time.perf_counter() - start
    print(json.dumps(out))


def child_bagit(folder, copy=False, walk=False, processes=1):
    """bagit on the blob files: hard-linked into the payload folder untimed (``walk``: the walk
    through ZODB and the links timed too; ``copy``: copied, the walk and the copy timed too, as a
    transfer that must write its payload, as ours does)."""
    import bagit
    db = _open(folder)
    conn = db.open()
    root = conn.root()['bench']
    payload = os.path.join(folder, 'bag')
    if os.path.exists(payload):
        shutil.rmtree(payload)
    os.makedirs(payload)
    size = 0
    start, cpu = time.perf_counter(), cpu_seconds()
    for name, doc in root.documents.items():
        os.makedirs(os.path.join(payload, name))
        for f in doc.file_list():
            (shutil.copyfile if copy else os.link)(f.blob.committed(), os.path.join(payload, name, f.filename))
            size += f.size
    conn.close()
    db.close()
    if not (copy or walk):
        start, cpu = time.perf_counter(), cpu_seconds()
    bagit.make_bag(payload, {'Source-Organization': 'Văn phòng Thành ủy'}, checksums=['sha256'], processes=processes)
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    print(json.dumps({'seconds': seconds, 'cpu': cpu, 'docs': len(os.listdir(os.path.join(payload, 'data'))),
                      'bytes': size, 'peak_mb': peak_mb()}))


def run_child(kind, folder):
    done = subprocess.run([sys.executable, os.path.abspath(__file__), '--child', kind, '--out', folder],
                          capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(f'{kind} failed:\n{done.stderr}')
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--docs', type=int, default=1000)
    p.add_argument('--pdf-kb', type=int, default=100)
    p.add_argument('--out', default=os.path.join(HERE, 'out'))
    p.add_argument('--keep', action='store_true')
    p.add_argument('--reuse', action='store_true', help='measure the database a run with --keep left')
    p.add_argument('--repeat', type=int, default=2)
    p.add_argument('--child', choices=KINDS)
    p.add_argument('--kinds', default=','.join(KINDS), help='the sides to run (comma-separated; default: all)')
    args = p.parse_args()
    if args.child:
        if args.child.startswith('ours'):
            child_ours(args.out, workers=2 if args.child == 'ours-w2' else 1)
        else:
            child_bagit(args.out, copy=args.child == 'bagit-copy', walk=args.child == 'bagit-walk',
                        processes=2 if args.child == 'bagit-p2' else 1)
        return
    folder = os.path.join(args.out, f'export-{args.docs}-{args.pdf_kb}')
    if args.reuse and os.path.exists(os.path.join(folder, 'Data.fs')):
        print(f'reusing {folder}')
    else:
        if os.path.exists(folder):
            shutil.rmtree(folder)
        start = time.perf_counter()
        build(folder, args.docs, args.pdf_kb)
        print(f'built {args.docs} documents of {args.pdf_kb} KB in {time.perf_counter() - start:.0f} s')
    print(f'load average at the start: {os.getloadavg()}')
    # each side --repeat times, in alternating order (a shared machine's load and the page cache
    # favour neither); the best run of each is kept, by wall and by CPU time
    kinds = tuple(k for k in KINDS if k in args.kinds.split(','))
    runs = {k: [] for k in kinds}
    for n in range(args.repeat):
        for kind in (kinds if n % 2 == 0 else kinds[::-1]):
            runs[kind].append(run_child(kind, folder))
    best = {k: min(runs[k], key=lambda r: r['seconds']) for k in kinds}
    cpu = {k: min(r['cpu'] for r in runs[k]) for k in kinds}
    labels = {'ours': 'ours (SIP zip)', 'ours-w2': 'ours, 2 workers', 'bagit': 'bagit (bag)',
              'bagit-p2': 'bagit, 2 procs', 'bagit-walk': 'walk + bagit', 'bagit-copy': 'copy + bagit'}
    for kind in kinds:
        r = best[kind]
        spread = ', '.join(f'{x["cpu"]:.2f}' for x in runs[kind])
        print(f'{labels[kind]:16} {r["docs"]:6} docs {r["seconds"]:7.1f} s {r["docs"] / r["seconds"]:8.1f} docs/s '
              f'{r["bytes"] / 1e6 / r["seconds"]:7.1f} MB/s  CPU best {cpu[kind]:6.2f} s (runs: {spread})  '
              f'peak RSS {r["peak_mb"]:.0f} MB')
    for mine, kind, note in ((m, k, n) for m, k, n in (('ours', 'bagit', '(goal >= 0.5: the issue\'s baseline)'),
                             ('ours-w2', 'bagit', '(ours with 2 workers against the issue\'s baseline)'),
                             ('ours-w2', 'bagit-p2', '(both with a second process: the fairer second baseline)'),
                             ('ours', 'bagit-walk', '(bagit that also finds its files through ZODB, as ours must)'),
                             ('ours', 'bagit-copy', '(bagit that also finds and writes its payload, as a transfer does)'))
                             if m in kinds and k in kinds):
        print(f'ratio {mine}/{kind}: by wall {best[kind]["seconds"] / best[mine]["seconds"]:.2f}, '
              f'by CPU {cpu[kind] / cpu[mine]:.2f}  {note}')
    for kind in ('ours', 'ours-w2'):
        if kind in kinds:
                print(f'{labels[kind]}: RSS at each tenth (MB): {best[kind]["samples_mb"]}, '
                  f'its workers\' peak {best[kind].get("workers_peak_mb", 0):.0f} MB')
    print(f'load average at the end: {os.getloadavg()}')
    if not args.keep:
        shutil.rmtree(folder)


if __name__ == '__main__':
    main()

"""Backups: full and incremental backup and restore of a database with N documents with blobs,
beside bare repozo plus a plain copy of the blob files (issue 14; goal: within 1.2x).

    nice .venv/bin/python bench/backup.py                    # quick: 5,000 documents
    nice .venv/bin/python bench/backup.py --docs 100000      # the issue's size

The database: a FileStorage with a blob folder, N documents built directly through the model, as
bench/stats.py does (the project's ``Document`` with its fields, in a ``Documents`` folder with its
date index, and one ``File`` with a blob of ``--blob-kb`` each, its SHA-256 computed as stored),
``--batch`` documents a transaction (big transactions: one bucket written once a batch, not once a
document; a 100,000-document build takes minutes, not the better part of an hour); then ``--new``
percent more documents for the incremental. The same work is measured twice, on the same files:

* ours: ``archival.backup.run`` (repozo in-process; the blob files the new transactions wrote,
  read from the Data.fs, copied with their SHA-256 into the run's manifest, to each destination),
  and ``archival.backup_restore.restore`` (checks every file first: size and MD5 of repozo's
  files, SHA-256 of every blob; then repozo's recover and the blob copy);
* bare: repozo's ``do_backup`` / ``do_recover`` plus ``shutil.copytree`` of the blob folder
  (full, restore), or a walk that copies the blob files the copy lacks (incremental), to each
  destination; the files copied with ``shutil.copyfile`` (contents only, as ours: no copystat).

Each figure is the best of ``--repeat`` runs (the two sides alternate, each starting from the
same state), in wall time and in CPU time of this process (both sides run in it: repozo is called
in-process by both), with every run shown and the load average. The page cache is warm for both:
the figures compare the work, not the disk.
"""
import argparse
import hashlib
import io
import json
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(HERE, 'src'))

import transaction  # noqa: E402
import ZODB  # noqa: E402
from ZODB.FileStorage import FileStorage  # noqa: E402
from ZODB.scripts import repozo  # noqa: E402

from archive import clock  # noqa: E402
from archive.archival import backup, backup_restore  # noqa: E402
from archive.resources.documents import Document, Documents  # noqa: E402
from archive.resources.files import MAIN, File, write_content  # noqa: E402

HOST = '000.00.31.H29'


def build(folder, docs, start, blob_kb, seed=b'bench', batch=10000):
    """Add ``docs`` documents (numbered from ``start``) with a PDF-headed blob each to the database
    in ``folder``, ``batch`` a transaction."""
    storage = FileStorage(os.path.join(folder, 'Data.fs'), blob_dir=os.path.join(folder, 'blobs'))
    db = ZODB.DB(storage, cache_size=batch + 1000)
    conn = db.open()
    root = conn.root()
    if 'documents' not in root:
        root['documents'] = Documents()
        root['documents'].__name__, root['documents'].__parent__ = 'documents', None
    documents = root['documents']
    block = hashlib.sha256(seed).digest() * (blob_kb * 1024 // 32 + 1)
    now = clock.now()
    for n in range(start, start + docs):
        doc = Document(HOST, 'vanthu')
        for name, value in dict(direction='incoming', organ_id='000.00.02.H01', sender='Ban Tổ chức Thành ủy',
                                number_symbol=f'{n + 1}-CV/BTCTU', doc_type='CV', pages=2, received_at=now,
                                abstract=f'Công văn số {n + 1} về công tác cán bộ',
                                signer_name='Nguyễn Văn A', signer_position='Trưởng ban').items():
            setattr(doc, name, value)
        documents.add(documents.new_name(), doc)
        f = File(f'van-ban-{n}.pdf', MAIN)
        content = b'%PDF-1.4 ' + str(n).encode() + block[:blob_kb * 1024]
        write_content(f, io.BytesIO(content))
        f.size, f.media_type, f.uploaded_at = len(content), 'application/pdf', now
        doc.add_file(f)
        if (n + 1 - start) % batch == 0:
            transaction.commit()
            conn.cacheMinimize()
    transaction.commit()
    conn.close()
    db.close()


def bare_backup(datafs, blob_dir, destination, full):
    repo = os.path.join(destination, 'repozo')
    os.makedirs(repo, exist_ok=True)
    options = repozo.parseargs(['-B', '-Q', '-r', repo, '-f', datafs] + (['-F'] if full else []))
    repozo.do_backup(options)
    target = os.path.join(destination, 'blobs')
    if full or not os.path.exists(target):
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(blob_dir, target, copy_function=shutil.copyfile)
        return
    for folder, _dirs, files in os.walk(blob_dir):      # the blob files the copy lacks
        for name in files:
            if not name.endswith('.blob'):
                continue
            src = os.path.join(folder, name)
            dst = os.path.join(target, os.path.relpath(src, blob_dir))
            if not os.path.exists(dst):
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                shutil.copyfile(src, dst)


def bare_restore(destination, target):
    os.makedirs(target)
    options = repozo.parseargs(['-R', '-r', os.path.join(destination, 'repozo'), '-o', os.path.join(target, 'Data.fs')])
    repozo.do_recover(options)
    shutil.copytree(os.path.join(destination, 'blobs'), os.path.join(target, 'blobs'), copy_function=shutil.copyfile)


def timed(fn):
    """``(wall seconds, CPU seconds of this process)`` of ``fn()``."""
    started, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - started, time.process_time() - cpu


def note(figures, what, side, measured):
    """Keep a figure and print it at once (a long run stopped later still has what it measured)."""
    figures[what][side].append(measured)
    print(f'{what} {side}: wall {measured[0]:.2f} s, CPU {measured[1]:.2f} s, load {os.getloadavg()[0]:.1f}',
          flush=True)


def du(folder):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _s, fs in os.walk(folder) for f in fs)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--docs', type=int, default=5000)
    p.add_argument('--new', type=float, default=10.0, help='percent more documents for the incremental')
    p.add_argument('--blob-kb', type=int, default=20)
    p.add_argument('--batch', type=int, default=10000, help='documents a transaction while building')
    p.add_argument('--destinations', type=int, default=2)
    p.add_argument('--repeat', type=int, default=2)
    p.add_argument('--out', default=None, help='working folder (default: a temporary one, removed)')
    args = p.parse_args(argv)
    work = args.out or tempfile.mkdtemp(prefix='bench-backup-')
    source = os.path.join(work, 'source')
    os.makedirs(source, exist_ok=True)
    t, _cpu = timed(lambda: build(source, args.docs, 0, args.blob_kb, batch=args.batch))
    datafs, blob_dir = os.path.join(source, 'Data.fs'), os.path.join(source, 'blobs')
    print(f'{args.docs} documents built in {t:.1f} s: Data.fs {os.path.getsize(datafs) / 1e6:.1f} MB, '
          f'blobs {du(blob_dir) / 1e6:.1f} MB; {args.destinations} destinations')
    new_docs = max(1, int(args.docs * args.new / 100))
    figures = {'full': {'ours': [], 'bare': []}, 'incremental': {'ours': [], 'bare': []},
               'restore': {'ours': [], 'bare': []}}
    extra = [0]

    def dests(side, n):
        return [os.path.join(work, f'{side}-{n}-{i}') for i in range(args.destinations)]

    for n in range(args.repeat):
        order = ('bare', 'ours') if n % 2 == 0 else ('ours', 'bare')
        for side in order:          # full
            for d in dests(side, n):
                shutil.rmtree(d, ignore_errors=True)
            if side == 'ours':
                run = lambda: [r for r in backup.run(datafs, blob_dir, dests(side, n), force_full=True)  # noqa: E731
                               if r['result'] != 'ok'] and sys.exit('backup failed')
            else:
                run = lambda: [bare_backup(datafs, blob_dir, d, True) for d in dests(side, n)]  # noqa: E731
            note(figures, 'full', side, timed(run))
        build(source, new_docs, args.docs + extra[0], args.blob_kb, seed=b'new %d' % n, batch=args.batch)
        extra[0] += new_docs
        time.sleep(1)               # repozo names files by the second
        for side in order:          # incremental
            if side == 'ours':
                def run():
                    results = backup.run(datafs, blob_dir, dests(side, n))
                    assert all(r['result'] == 'ok' and r['kind'] == 'incremental' for r in results), results
            else:
                run = lambda: [bare_backup(datafs, blob_dir, d, False) for d in dests(side, n)]  # noqa: E731
            note(figures, 'incremental', side, timed(run))
        for side in order:          # restore (from the first destination)
            target = os.path.join(work, f'restored-{side}-{n}')
            shutil.rmtree(target, ignore_errors=True)
            if side == 'ours':
                def run():
                    assert backup_restore.restore(dests(side, n)[0], target)['problems'] == []
            else:
                run = lambda: bare_restore(dests(side, n)[0], target)  # noqa: E731
            note(figures, 'restore', side, timed(run))
            shutil.rmtree(target, ignore_errors=True)
        for side in ('ours', 'bare'):
            for d in dests(side, n):
                shutil.rmtree(d, ignore_errors=True)
    print(f'\nload average at the end: {os.getloadavg()}')
    print(f'{"":<13}{"ours (s)":>10}{"bare (s)":>10}{"ratio":>8}{"ours CPU":>10}{"bare CPU":>10}{"ratio":>8}'
          '   goal <= 1.2   (runs: wall/CPU)')
    table = {}
    for what, sides in figures.items():
        ours, bare = min(w for w, _c in sides['ours']), min(w for w, _c in sides['bare'])
        ours_cpu, bare_cpu = min(c for _w, c in sides['ours']), min(c for _w, c in sides['bare'])
        table[what] = {'ours': round(ours, 3), 'bare': round(bare, 3), 'ratio': round(ours / bare, 2),
                       'ours_cpu': round(ours_cpu, 3), 'bare_cpu': round(bare_cpu, 3),
                       'cpu_ratio': round(ours_cpu / bare_cpu, 2),
                       'runs': {side: [[round(w, 2), round(c, 2)] for w, c in sides[side]] for side in sides}}
        print(f'{what:<13}{ours:>10.2f}{bare:>10.2f}{ours / bare:>8.2f}{ours_cpu:>10.2f}{bare_cpu:>10.2f}'
              f'{ours_cpu / bare_cpu:>8.2f}   {table[what]["runs"]}')
    print(json.dumps({'docs': args.docs, 'new': new_docs, 'blob_kb': args.blob_kb,
                      'destinations': args.destinations, 'figures': table}))
    if not args.out:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()

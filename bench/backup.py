"""Backups: full and incremental backup and restore of a database with N documents with blobs,
beside bare repozo plus a plain copy of the blob files (issue 14; goal: within 1.2x).

    nice .venv/bin/python bench/backup.py                    # quick: 5,000 documents
    nice .venv/bin/python bench/backup.py --docs 100000      # the issue's size

The database: a FileStorage with a blob folder, N documents (``archive.resources.files.File``
each with a blob of ``--blob-kb``, in an OOBTree), 1,000 a transaction; then ``--new`` percent
more documents for the incremental. The same work is measured twice, on the same files:

* ours: ``archival.backup.run`` (repozo in-process; the blob files the new transactions wrote,
  read from the Data.fs, copied with their SHA-256 into the run's manifest, to each destination),
  and ``archival.backup_restore.restore`` (checks every file first: size and MD5 of repozo's
  files, SHA-256 of every blob; then repozo's recover and the blob copy);
* bare: repozo's ``do_backup`` / ``do_recover`` plus ``shutil.copytree`` of the blob folder
  (full, restore), or a walk that copies the blob files the copy lacks (incremental), to each
  destination; the files copied with ``shutil.copyfile`` (contents only, as ours: no copystat).

Each figure is the best of ``--repeat`` runs (the two sides alternate, each starting from the
same state). The page cache is warm for both: the figures compare the work, not the disk.
"""
import argparse
import hashlib
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
from BTrees.OOBTree import OOBTree  # noqa: E402
from ZODB.FileStorage import FileStorage  # noqa: E402
from ZODB.scripts import repozo  # noqa: E402

from archive.archival import backup, backup_restore  # noqa: E402
from archive.resources.files import File  # noqa: E402

BATCH = 1000


def build(folder, docs, start, blob_kb, seed=b'bench'):
    """Add ``docs`` documents (numbered from ``start``) with a blob each to the database in ``folder``."""
    storage = FileStorage(os.path.join(folder, 'Data.fs'), blob_dir=os.path.join(folder, 'blobs'))
    db = ZODB.DB(storage)
    conn = db.open()
    root = conn.root()
    if 'docs' not in root:
        root['docs'] = OOBTree()
    block = hashlib.sha256(seed).digest() * (blob_kb * 1024 // 32 + 1)
    for n in range(start, start + docs):
        f = File(f'van-ban-{n}.pdf', 'main')
        with f.blob.open('w') as out:
            out.write(b'%PDF-1.4 ' + str(n).encode() + block[:blob_kb * 1024])
        f.size = blob_kb * 1024
        root['docs'][n] = f
        if (n + 1) % BATCH == 0:
            transaction.commit()
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
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def du(folder):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _s, fs in os.walk(folder) for f in fs)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--docs', type=int, default=5000)
    p.add_argument('--new', type=float, default=10.0, help='percent more documents for the incremental')
    p.add_argument('--blob-kb', type=int, default=20)
    p.add_argument('--destinations', type=int, default=2)
    p.add_argument('--repeat', type=int, default=2)
    p.add_argument('--out', default=None, help='working folder (default: a temporary one, removed)')
    args = p.parse_args(argv)
    work = args.out or tempfile.mkdtemp(prefix='bench-backup-')
    source = os.path.join(work, 'source')
    os.makedirs(source, exist_ok=True)
    t = timed(lambda: build(source, args.docs, 0, args.blob_kb))
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
            figures['full'][side].append(timed(run))
        build(source, new_docs, args.docs + extra[0], args.blob_kb, seed=b'new %d' % n)
        extra[0] += new_docs
        time.sleep(1)               # repozo names files by the second
        for side in order:          # incremental
            if side == 'ours':
                def run():
                    results = backup.run(datafs, blob_dir, dests(side, n))
                    assert all(r['result'] == 'ok' and r['kind'] == 'incremental' for r in results), results
            else:
                run = lambda: [bare_backup(datafs, blob_dir, d, False) for d in dests(side, n)]  # noqa: E731
            figures['incremental'][side].append(timed(run))
        for side in order:          # restore (from the first destination)
            target = os.path.join(work, f'restored-{side}-{n}')
            shutil.rmtree(target, ignore_errors=True)
            if side == 'ours':
                def run():
                    assert backup_restore.restore(dests(side, n)[0], target)['problems'] == []
            else:
                run = lambda: bare_restore(dests(side, n)[0], target)  # noqa: E731
            figures['restore'][side].append(timed(run))
            shutil.rmtree(target, ignore_errors=True)
        for side in ('ours', 'bare'):
            for d in dests(side, n):
                shutil.rmtree(d, ignore_errors=True)
    print(f'\n{"":<13}{"ours (s)":>10}{"bare (s)":>10}{"ratio":>8}   goal <= 1.2')
    table = {}
    for what, sides in figures.items():
        ours, bare = min(sides['ours']), min(sides['bare'])
        table[what] = {'ours': round(ours, 3), 'bare': round(bare, 3), 'ratio': round(ours / bare, 2)}
        print(f'{what:<13}{ours:>10.2f}{bare:>10.2f}{ours / bare:>8.2f}')
    print(json.dumps({'docs': args.docs, 'new': new_docs, 'blob_kb': args.blob_kb,
                      'destinations': args.destinations, 'figures': table}))
    if not args.out:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()

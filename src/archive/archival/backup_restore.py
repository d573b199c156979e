"""Restoring a backup set into a new folder, and the drill that proves a backup whole.

``check`` reads a run's files back (every repozo file of its set up to it: size and MD5 against
repozo's .dat; every blob: size and SHA-256 against the runs' manifests) and names each one
that is missing or damaged. ``restore`` rebuilds the Data.fs (repozo, to the run's time) and its
blob folder from a checked run, into a folder that must be new. ``verify`` restores the latest
run and compares it with the live database as it was at that run's last transaction: every
record (documents, revisions, files, everything) byte for byte, every blob by SHA-256, both
ways; what differs is named (the document and file when it belongs to one, else the oid).
"""
import os
import shutil
import tempfile

import transaction
from ZODB.blob import is_blob_record
from ZODB.FileStorage import FileStorage
from ZODB.POSException import POSKeyError
from ZODB.scripts import repozo
from ZODB.utils import get_pickle_metadata, p64, u64

from ..db import database, run_apart
from .backup import LOCK, copy_hashed, runs_on
from .backup_status import journal_drill
from .digest import digest_and_size


def _problem(code, what):
    return {'code': code, 'what': what}


def pick_run(destination, run=None):
    """The manifest of ``run`` (the latest complete run when None) on a destination, or None."""
    runs = runs_on(destination)
    if run is None:
        return runs[-1] if runs else None
    return next((r for r in runs if r['run'] == run), None)


def _digest_size(path, algorithm='sha256'):
    """The file's hex digest and size (repozo's files are checked by MD5, as repozo records them;
    blobs by SHA-256)."""
    with open(path, 'rb') as f:
        return digest_and_size(f, algorithm)


def check(destination, manifest, blobs=True):
    """Every file the run needs (the blobs too unless ``blobs`` is false), read back: a list of
    problems (empty: whole)."""
    problems = []
    repo = os.path.join(destination, 'repozo')
    dat = os.path.join(repo, manifest['set'] + '.dat')
    try:
        with open(dat) as f:
            lines = [line.split() for line in f if line.strip()]
    except OSError:
        return [_problem('backup_file_missing', dat)]
    for name, start, end, md5 in lines:
        if int(end) > manifest['datafs_end']:
            break
        path = os.path.join(repo, os.path.basename(name))
        if not os.path.exists(path):
            problems.append(_problem('backup_file_missing', path))
            continue
        got, size = _digest_size(path, 'md5')
        if size != int(end) - int(start) or got != md5:
            problems.append(_problem('backup_file_damaged', f'{path}: {size} bytes, md5 {got}; '
                                                            f'repozo wrote {int(end) - int(start)} bytes, md5 {md5}'))
    if blobs:
        for path, size, sha in _blobs_of(destination, manifest):
            problems.extend(_blob_problem(path, size, sha, _digest_size))
    return problems


def _blobs_of(destination, manifest):
    """``(path in the backup, size, sha256)`` of every blob the run's set holds up to the run."""
    folder = os.path.join(destination, 'blobs', manifest['set'])
    for run in runs_on(destination):
        if run['set'] == manifest['set'] and run['run'] <= manifest['run']:
            for rel, (size, sha) in sorted(run['blobs'].items()):
                yield os.path.join(folder, rel), size, sha


def _blob_problem(path, size, sha, read):
    """[] when ``read(path)`` gives (sha, size) as backed up; else the one problem, named."""
    try:
        got, got_size = read(path)
    except FileNotFoundError:
        return [_problem('backup_blob_missing', path)]
    if got != sha or got_size != size:
        return [_problem('backup_blob_damaged', f'{path}: sha256 {got}, backed up as {sha}')]
    return []


def restore(destination, target, run=None):
    """Rebuild ``target``/Data.fs and ``target``/blobs from a run (the latest when None). The
    run is checked first; nothing is written when a file is missing or damaged. Returns
    ``{run, datafs, blob_dir, problems}``."""
    manifest = pick_run(destination, run)
    if manifest is None:
        return {'run': run, 'problems': [_problem('backup_run_missing', f'{destination} {run or ""}'.strip())]}
    if os.path.exists(target) and (not os.path.isdir(target) or os.listdir(target)):
        return {'run': manifest['run'], 'problems': [_problem('restore_target_not_new', target)]}
    problems = check(destination, manifest, blobs=False)      # the blobs are checked as they are copied
    if problems:        # name every damaged file, the blobs too
        return {'run': manifest['run'], 'problems': check(destination, manifest)}
    datafs, blob_dir = os.path.join(target, 'Data.fs'), os.path.join(target, 'blobs')
    os.makedirs(blob_dir, mode=0o700)
    source = os.path.join(destination, 'blobs', manifest['set'])
    made = set()
    for path, size, sha in _blobs_of(destination, manifest):
        dst = os.path.join(blob_dir, os.path.relpath(path, source))
        folder = os.path.dirname(dst)
        if folder not in made:
            os.makedirs(folder, mode=0o700, exist_ok=True)
            made.add(folder)
        problems.extend(_blob_problem(path, size, sha, lambda p, to=dst: tuple(reversed(copy_hashed(p, to)))))
    if problems:                    # nothing restored from a damaged set
        shutil.rmtree(target, ignore_errors=True)
        return {'run': manifest['run'], 'problems': problems}
    if os.path.exists(os.path.join(source, '.layout')):
        shutil.copyfile(os.path.join(source, '.layout'), os.path.join(blob_dir, '.layout'))
    options = repozo.parseargs(['-R', '-r', os.path.join(destination, 'repozo'), '-o', datafs,
                                '-D', manifest['run']])
    repozo.do_recover(options)
    return {'run': manifest['run'], 'datafs': datafs, 'blob_dir': blob_dir, 'problems': []}


def _blob_sha(storage, oid, serial):
    try:
        return _digest_size(storage.loadBlob(oid, serial))[0]
    except (POSKeyError, OSError):
        return None


def compare(live, restored):
    """Compare a restored FileStorage with the live storage as of the restored one's last
    transaction; returns (counts, differences as ``(code, oid, class)``)."""
    before = p64(u64(restored.lastTransaction()) + 1)
    counts = {'records': 0, 'blobs': 0, 'documents': 0, 'revisions': 0, 'files': 0}
    classes = {'archive.resources.documents Document': 'documents',
               'archive.resources.documents Revision': 'revisions', 'archive.resources.files File': 'files'}
    differences = []
    seen = set()
    next_oid = None
    while True:
        oid, serial, data, next_oid = restored.record_iternext(next_oid)
        seen.add(oid)
        counts['records'] += 1
        kind = get_pickle_metadata(data)
        kind = f'{kind[0]} {kind[1]}'
        if kind in classes:
            counts[classes[kind]] += 1
        try:
            answer = live.loadBefore(oid, before)
        except POSKeyError:
            answer = None
        if answer is None:
            differences.append(('record_not_live', oid, kind))
        elif answer[0] != data or answer[1] != serial:
            differences.append(('record_differs', oid, kind))
        elif is_blob_record(data):
            counts['blobs'] += 1
            ours = _blob_sha(restored, oid, serial)
            if ours is None:
                differences.append(('blob_not_restored', oid, kind))
            elif _blob_sha(live, oid, serial) != ours:
                differences.append(('blob_differs', oid, kind))
        if next_oid is None:
            break
    next_oid = None
    while True:         # what the live database had then and the restored one lacks
        oid, _serial, _data, next_oid = live.record_iternext(next_oid)
        if oid not in seen:
            try:
                answer = live.loadBefore(oid, before)
            except POSKeyError:
                answer = None
            if answer is not None:
                kind = get_pickle_metadata(answer[0])
                differences.append(('record_not_restored', oid, f'{kind[0]} {kind[1]}'))
        if next_oid is None:
            break
    return counts, differences


def name_oids(root, oids):
    """``{oid: 'body/documents/name (file "x")'}`` for the oids that belong to a document."""
    wanted, names = set(oids), {}
    for body in root['bodies'].values():
        documents = getattr(body, 'documents', None)
        if documents is None:
            continue
        for name in documents:
            doc = documents[name]
            where = f'{body.code}/documents/{name}'
            if doc._p_oid in wanted:
                names[doc._p_oid] = where
            for number, revision in doc.revisions.items():
                if revision._p_oid in wanted:
                    names[revision._p_oid] = f'{where} revision {number}'
            for file in doc.files.values():
                if file._p_oid in wanted:
                    names[file._p_oid] = f'{where} file "{file.filename}"'
                if file.blob._p_oid in wanted:
                    names[file.blob._p_oid] = f'{where} file "{file.filename}" (blob)'
    return names


def verify(db, root_key, destination, workdir=None, run=None):
    """The drill: restore a run (the latest) into a temporary folder and compare it with the live
    database ``db``. Returns ``{run, counts, differences: [{code, what}], problems: [...]}``; ok
    when both lists are empty."""
    folder = tempfile.mkdtemp(prefix='archive-verify-', dir=workdir)
    try:
        with LOCK:
            restored_files = restore(destination, os.path.join(folder, 'restored'), run)
            if restored_files['problems']:
                return {'run': restored_files['run'], 'counts': {}, 'differences': [],
                        'problems': restored_files['problems']}
            restored = FileStorage(restored_files['datafs'], read_only=True, blob_dir=restored_files['blob_dir'])
            try:
                counts, found = compare(db.storage, restored)
            finally:
                restored.close()
        names = {}
        if found:
            conn = db.open(transaction_manager=transaction.TransactionManager())
            try:
                names = name_oids(conn.root()[root_key], [oid for _c, oid, _k in found])
            finally:
                conn.close()
        differences = [{'code': code, 'what': f'{names.get(oid, kind)} (oid 0x{u64(oid):x})'}
                       for code, oid, kind in found]
        return {'run': restored_files['run'], 'counts': counts, 'differences': differences, 'problems': []}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def drill_and_journal(registry, actor):
    """The drill as ``archive-backup verify`` runs it, asked for from the administrators' page:
    every destination's latest run restored and compared with this process's live database, each
    result journaled (``backup_status.journal_drill``), which the page then shows. Returns
    ``[(destination, report)]``."""
    settings = registry.archive_settings
    db = database(registry)
    reports = [(destination, verify(db, settings.root_key, destination))
               for destination in settings.backup_destinations]

    def record(root):
        for destination, report in reports:
            journal_drill(root, destination, report, actor)
    run_apart(registry, record)
    return reports

"""Backups of the database and its blobs to several destinations (Art. 15.5).

The database goes with repozo (``ZODB.scripts.repozo``, called in-process): a full copy starts a
*set*, then quick incrementals copy what the Data.fs gained. Repozo does not cover blobs: each run
reads the transactions its repozo file holds and copies the blob files they wrote, each with its
size and SHA-256 in the run's manifest. Every destination (independent media) has its own repozo
repository and blob sets, so one that failed catches up by itself at its next run.

A destination's folder::

    repozo/           repozo's repository: fulls (.fs), incrementals (.deltafs), .dat, .index
    blobs/<set>/      the blob files of one set, in the blob directory's own layout
    runs/<run>.json   the manifest of one complete run, written last

A run that fails on a destination is undone there (repozo's new files removed, its .dat put
back, the blob files it copied removed) and journaled as failed: nothing is half-marked, and
the next run starts from the last complete one. The other destinations are written all the same.

The file backed up is the FileStorage's own: on the embedded FileStorage the server's, on ZEO the
storage server's Data.fs and blob folder (``archive.backup_datafs``/``backup_blob_dir``, the
worker that backs up running on the server's host). RelStorage is backed up with PostgreSQL's
own tools: repozo needs a FileStorage file.

A pack rewrites the Data.fs: repozo then makes a full backup, and a new set starts.
"""
import errno
import hashlib
import json
import logging
import os
import shutil
import threading
import time
import urllib.parse
from datetime import datetime, timezone

from ZODB.blob import FilesystemHelper, is_blob_record
from ZODB.FileStorage import FileIterator
from ZODB.scripts import repozo
from ZODB.TimeStamp import TimeStamp
from ZODB.utils import u64

from .. import audit, clock
from ..db import database, run_apart
from ..i18n import _
from .digest import CHUNK

log = logging.getLogger(__name__)

CHAIN = 'backups'                 # the journal's chain of backup runs
SCHEDULE_ACTOR = 'system'       # the journal's actor of a run nobody asked for (backup_schedule.py)
ACTION = 'backup_run'
FORMAT = 'archive-backup-run/1'
STAMP = '%Y-%m-%d-%H-%M-%S'       # repozo's own file names: UTC to the second
LOCK = threading.Lock()           # a backup, a restore check and the scheduled pack never overlap

MESSAGES = {
    'backup_destination_full': _('backup_destination_full', default='Nơi lưu bản sao đã đầy'),
    'backup_destination_read_only': _('backup_destination_read_only',
                                      default='Nơi lưu bản sao chỉ đọc, không ghi được'),
    'backup_destination_unusable': _('backup_destination_unusable',
                                     default='Nơi lưu bản sao không dùng được (không phải thư mục, '
                                             'hoặc không truy cập được)'),
    'backup_blob_missing': _('backup_blob_missing',
                             default='Thiếu tệp blob mà cơ sở dữ liệu tham chiếu'),
    'backup_blob_damaged': _('backup_blob_damaged',
                             default='Tệp blob đã khác với bản đã sao lưu (hỏng trên đĩa)'),
    'backup_no_source': _('backup_no_source',
                          default='Không tìm thấy tệp Data.fs để sao lưu (trên ZEO: đặt archive.backup_datafs '
                                  'và archive.backup_blob_dir là tệp của máy chủ lưu trữ)'),
    'backup_no_destinations': _('backup_no_destinations',
                                default='Chưa cấu hình nơi lưu bản sao (archive.backup_destinations)'),
    'backup_repozo_failed': _('backup_repozo_failed', default='repozo không sao lưu được cơ sở dữ liệu'),
    'backup_failed': _('backup_failed', default='Sao lưu không thành công'),
    'backup_none_yet': _('backup_none_yet', default='Có nơi lưu chưa có bản sao nào thành công'),
    'backup_too_old': _('backup_too_old', default='Bản sao thành công gần nhất đã quá cũ'),
    'backup_last_failed': _('backup_last_failed', default='Lần sao lưu gần nhất bị lỗi'),
}


class BackupError(Exception):
    """One destination's run (or the whole run) failed: ``code`` (a key of MESSAGES), ``detail``
    (what, where: a path, an oid, the system's own words)."""

    def __init__(self, code, detail=''):
        super().__init__(f'{code}: {detail}')
        self.code = code
        self.detail = detail


def message(code):
    return MESSAGES.get(code, MESSAGES['backup_failed'])


def _os_error(exc, where):
    """An OSError writing a destination, as one of our codes."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        code = 'backup_destination_full'
    elif exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        code = 'backup_destination_read_only'
    else:
        code = 'backup_destination_unusable'
    return BackupError(code, f'{where}: {exc.strerror or exc}')


# -- the source ----------------------------------------------------------------------------------

def source_of(settings, storage=None, uri=''):
    """``(datafs, blob_dir)``: the settings' paths, else the FileStorage this process opened (or
    its ``file://`` URI). ``BackupError('backup_no_source')`` on ZEO/RelStorage without them."""
    datafs, blob_dir = settings.backup_datafs, settings.backup_blob_dir
    if not datafs and storage is not None and getattr(storage, '_file_name', None):
        datafs = storage._file_name
        helper = getattr(storage, 'fshelper', None)       # zodburi's BlobStorage wrapper, or FileStorage
        blob_dir = blob_dir or (helper.base_dir if helper is not None else getattr(storage, 'blob_dir', '')) or ''
    if not datafs and uri.startswith('file://'):
        parsed = urllib.parse.urlsplit(uri)
        datafs = parsed.path
        blob_dir = blob_dir or (urllib.parse.parse_qs(parsed.query).get('blobstorage_dir') or [''])[0]
    if not datafs or not os.path.isfile(datafs):
        raise BackupError('backup_no_source', datafs or '(none)')
    return datafs, blob_dir or ''


# -- what a destination holds ---------------------------------------------------------------------

def runs_on(destination):
    """The complete runs on a destination, oldest first (their manifests); [] when none or unreadable."""
    folder = os.path.join(destination, 'runs')
    try:
        names = sorted(n for n in os.listdir(folder) if n.endswith('.json'))
    except OSError:
        return []
    out = []
    for name in names:
        try:
            with open(os.path.join(folder, name), encoding='utf-8') as f:
                manifest = json.load(f)
        except (OSError, ValueError):
            continue
        if manifest.get('format') == FORMAT:
            out.append(manifest)
    return out


def pack_limit(settings, now=None):
    """The time (seconds since the epoch) up to which every destination holds the history: the
    oldest of the destinations' newest complete runs. None when there is no destination, or one
    holds no backup: then nothing may be packed."""
    if not settings.backup_destinations:
        return None
    limits = []
    for destination in settings.backup_destinations:
        runs = runs_on(destination)
        if not runs:
            return None
        limits.append(runs[-1]['covers_epoch'])
    return min(limits) - 0.001      # a margin: a pack time in seconds is rounded to a transaction id


# -- one run -------------------------------------------------------------------------------------

def _stamp_after(destinations, now):
    """The run's name: UTC now to the second, later than anything on the destinations (repozo
    names files by the second and refuses to overwrite one)."""
    latest = ''
    for destination in destinations:
        for sub in ('repozo', 'runs'):
            try:
                names = os.listdir(os.path.join(destination, sub))
            except OSError:
                continue
            latest = max([latest] + [n[:19] for n in names if len(n) >= 19 and n[:4].isdigit()])
    moment = datetime.fromtimestamp(int(now), timezone.utc)
    if latest:
        floor = datetime.strptime(latest, STAMP).replace(tzinfo=timezone.utc).timestamp() + 1
        moment = max(moment, datetime.fromtimestamp(floor, timezone.utc))
    return moment.strftime(STAMP)


def _tid_before(datafs, end):
    """The id of the last transaction that ends at file position ``end``."""
    with open(datafs, 'rb') as f:
        f.seek(end - 8)
        length = u64(f.read(8))
        f.seek(end - 8 - length)
        return f.read(8)


def blob_records(datafs, blob_dir, start, end):
    """``(oid, tid, path relative to blob_dir)`` of each blob written by the transactions at
    positions ``start``..``end`` of the Data.fs."""
    if end <= start or not blob_dir:
        return
    layout = FilesystemHelper(blob_dir).layout
    records = FileIterator(datafs, stop=_tid_before(datafs, end), pos=start)
    try:
        for txn in records:
            for record in txn:
                if record.data and is_blob_record(record.data):
                    yield record.oid, record.tid, layout.getBlobFilePath(record.oid, record.tid)
    finally:
        records.close()


def copy_hashed(src, dst):
    """Copy ``src`` to ``dst``; return (size, SHA-256 of what was read). Plain descriptors, no
    file objects: a backup copies a hundred thousand small blobs, and the two buffered file objects
    a copy cost more than the copy of a small blob itself."""
    digest = hashlib.sha256()
    size = 0
    fin = os.open(src, os.O_RDONLY)
    try:
        fout = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        try:
            while chunk := os.read(fin, CHUNK):
                digest.update(chunk)
                size += len(chunk)
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fout, view):]
        finally:
            os.close(fout)
    finally:
        os.close(fin)
    return size, digest.hexdigest()


def _makedirs(folder, made):
    """``os.makedirs`` for a tree made top-down: only the levels not made yet (``made``: the
    folders known to exist), without a look at each level of the path first."""
    if folder in made:
        return
    parent = os.path.dirname(folder)
    if parent not in made and parent != folder:
        _makedirs(parent, made)
    try:
        os.mkdir(folder)
    except FileExistsError:
        pass
    made.add(folder)


def _write_json(path, data):
    tmp = path + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as f:
        json.dump(data, f, ensure_ascii=False, separators=(',', ':'))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class _Undo:
    """What a run wrote on a destination, to take back if it fails."""

    def __init__(self, repo):
        self.repo = repo
        self.before = set(os.listdir(repo))
        self.dats = {}
        for name in self.before:
            if name.endswith('.dat'):
                with open(os.path.join(repo, name), 'rb') as f:
                    self.dats[name] = f.read()
        self.files = []
        self.folders = []

    def __call__(self):
        try:
            for name in set(os.listdir(self.repo)) - self.before:
                os.unlink(os.path.join(self.repo, name))
            for name, content in self.dats.items():
                with open(os.path.join(self.repo, name), 'wb') as f:
                    f.write(content)
            for path in self.files:
                if os.path.exists(path):
                    os.unlink(path)
            for folder in self.folders:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            log.exception('undoing a failed backup run in %s', self.repo)


def _repozo(datafs, repo, stamp, full):
    """Run repozo's backup in-process; return its new data file's name, or None if nothing changed."""
    options = repozo.parseargs(['-B', '-Q', '-r', repo, '-f', datafs] + (['-F'] if full else []))
    options.test_now = tuple(datetime.strptime(stamp, STAMP).timetuple()[:6])
    before = set(os.listdir(repo))
    try:
        repozo.do_backup(options)
    except repozo.RepozoError as exc:
        raise BackupError('backup_repozo_failed', str(exc)) from None
    new = [n for n in set(os.listdir(repo)) - before if repozo.is_data_file(n)]
    return new[0] if new else None


def _dat_line(repo, set_id):
    with open(os.path.join(repo, set_id + '.dat')) as f:
        name, start, end, _sum = f.readlines()[-1].split()
    return os.path.basename(name), int(start), int(end)


def backup_one(destination, datafs, blob_dir, stamp, force_full, full_days, keep_sets, hashes, now):
    """One destination's run; returns its manifest. ``hashes`` ({source path: (size, sha256)},
    and the blob records read from the Data.fs) is shared by the destinations of a run: the first
    one reads and hashes, the others copy."""
    try:
        repo = os.path.join(destination, 'repozo')
        for sub in ('repozo', 'runs', 'blobs'):
            os.makedirs(os.path.join(destination, sub), exist_ok=True)
    except OSError as exc:
        raise _os_error(exc, destination) from None
    began = time.time()
    runs = runs_on(destination)
    last = runs[-1] if runs else None
    full = force_full or last is None or now - _epoch(last['set']) >= full_days * 86400
    undo = _Undo(repo)
    try:
        name = _repozo(datafs, repo, stamp, full)
        if name is None:                        # nothing new since the last run
            kind, set_id, start, end = 'unchanged', last['set'], last['datafs_end'], last['datafs_end']
        else:
            kind = 'full' if name.endswith(('.fs', '.fsz')) else 'incremental'
            set_id = stamp if kind == 'full' else last['set']
            _name, start, end = _dat_line(repo, set_id)
            if kind == 'incremental' and start != last['datafs_end']:
                undo()                          # not where the last complete run ended: start a new set
                return backup_one(destination, datafs, blob_dir, stamp, True, full_days, keep_sets, hashes, now)
        blobs, blob_bytes = _copy_blobs(destination, datafs, blob_dir, set_id, start, end, runs, kind, hashes, undo)
        finished = time.time()
        db_bytes = os.path.getsize(os.path.join(repo, name)) if name else 0
        covers = TimeStamp(_tid_before(datafs, end)).timeTime() if end > 4 else now
        manifest = {
            'format': FORMAT, 'run': stamp, 'set': set_id, 'kind': kind, 'repozo_file': name,
            'datafs_start': start, 'datafs_end': end, 'covers': clock.iso(_vn(covers)),
            'covers_epoch': covers if kind != 'unchanged' else now, 'blobs': blobs,
            'bytes': db_bytes + blob_bytes, 'database_bytes': db_bytes, 'blob_bytes': blob_bytes,
            'started': clock.iso(_vn(began)), 'seconds': round(finished - began, 3)}
        _write_json(os.path.join(destination, 'runs', stamp + '.json'), manifest)
    except OSError as exc:
        undo()
        raise _os_error(exc, destination) from None
    except BaseException:
        undo()
        raise
    if kind == 'full':
        try:
            rotate(destination, keep_sets)
        except OSError:         # the run is complete; the old sets go at the next full run
            log.exception('rotating the sets of %s', destination)
    return manifest


def _copy_blobs(destination, datafs, blob_dir, set_id, start, end, runs, kind, hashes, undo):
    """Copy the blobs of the transactions at ``start``..``end``; return ({relative path: [size,
    sha256]}, bytes). A blob the database names but the folder lacks, or one that differs from
    the copy an earlier run made of it (blob files never change), fails the run."""
    target = os.path.join(destination, 'blobs', set_id)
    if not os.path.isdir(target):
        os.makedirs(target)
        undo.folders.append(target)
        layout = os.path.join(blob_dir, '.layout') if blob_dir else ''
        if layout and os.path.exists(layout):
            shutil.copyfile(layout, os.path.join(target, '.layout'))
    known = {}
    if kind == 'full':
        for run in runs:            # what the earlier sets hold: a blob that changed since is damaged
            known.update(run['blobs'])
    out, total, made = {}, 0, {target}
    first = 4 if kind == 'full' else start
    if (first, end) not in hashes:          # the Data.fs is read once a run, whatever the destinations
        hashes[first, end] = list(blob_records(datafs, blob_dir, first, end))
    for oid, _tid, rel in hashes[first, end]:
        src = os.path.join(blob_dir, rel)
        dst = os.path.join(target, rel)
        _makedirs(os.path.dirname(dst), made)
        undo.files.append(dst)
        try:
            if src in hashes:
                shutil.copyfile(src, dst)
                size, sha = hashes[src]
            else:
                size, sha = hashes[src] = copy_hashed(src, dst)
        except FileNotFoundError as exc:
            if exc.filename != src:
                raise
            raise BackupError('backup_blob_missing', f'{rel} (oid 0x{u64(oid):x})') from None
        if rel in known and known[rel][1] != sha:
            raise BackupError('backup_blob_damaged', f'{rel} (oid 0x{u64(oid):x}): sha256 {sha}, '
                                                     f'backed up as {known[rel][1]}')
        out[rel] = [size, sha]
        total += size
    return out, total


def rotate(destination, keep):
    """Keep the newest ``keep`` full sets of a destination; remove the older sets' repozo files,
    blobs and manifests. Returns the sets removed."""
    sets = sorted({run['set'] for run in runs_on(destination)})
    if len(sets) <= keep:
        return []
    oldest_kept = sets[-keep]
    gone = sets[:-keep]
    repo = os.path.join(destination, 'repozo')
    for name in os.listdir(repo):
        if name[:19] < oldest_kept and name[:4].isdigit():
            os.unlink(os.path.join(repo, name))
    for set_id in gone:
        shutil.rmtree(os.path.join(destination, 'blobs', set_id), ignore_errors=True)
    for run in runs_on(destination):
        if run['set'] in gone:
            os.unlink(os.path.join(destination, 'runs', run['run'] + '.json'))
    return gone


def _epoch(stamp):
    return datetime.strptime(stamp, STAMP).replace(tzinfo=timezone.utc).timestamp()


def _vn(epoch):
    return datetime.fromtimestamp(epoch, clock.VN)


def run(datafs, blob_dir, destinations, keep_sets=3, full_days=30.0, force_full=False, now=None):
    """Back up to every destination; return one result a destination (never raises for one
    destination's failure: its result says ``failed``, with the code and the detail)."""
    now = time.time() if now is None else now
    results = []
    with LOCK:
        stamp = _stamp_after(destinations, now)
        hashes = {}
        for destination in destinations:
            started = time.time()
            try:
                manifest = backup_one(destination, datafs, blob_dir, stamp, force_full, full_days, keep_sets,
                                      hashes, now)
            except BackupError as exc:
                log.error('backup to %s failed: %s', destination, exc)
                results.append({'destination': destination, 'run': stamp, 'result': 'failed',
                                'code': exc.code, 'error': exc.detail,
                                'seconds': round(time.time() - started, 3)})
                continue
            except Exception as exc:  # noqa: BLE001 - any failure of one destination is its result
                log.exception('backup to %s failed', destination)
                results.append({'destination': destination, 'run': stamp, 'result': 'failed',
                                'code': 'backup_failed', 'error': f'{exc.__class__.__name__}: {exc}',
                                'seconds': round(time.time() - started, 3)})
                continue
            results.append({'destination': destination, 'run': stamp, 'result': 'ok', 'kind': manifest['kind'],
                            'set': manifest['set'], 'bytes': manifest['bytes'], 'blobs': len(manifest['blobs']),
                            'covers': manifest['covers'], 'seconds': round(time.time() - started, 3)})
    return results


def journal(root, results, actor):
    """One journal entry a destination's result (chain ``backups``)."""
    for result in results:
        audit.append(root, CHAIN, ACTION, actor, **result)


def source_of_registry(registry):
    db = database(registry)
    return source_of(registry.archive_settings, db.storage, registry.settings.get('zodbconn.uri', ''))


def run_and_journal(registry, actor=SCHEDULE_ACTOR, force_full=False):
    """A run to every configured destination, each result journaled; returns the results.
    ``BackupError`` when there is nothing to back up or nowhere to (journaled as well)."""
    settings = registry.archive_settings
    try:
        if not settings.backup_destinations:
            raise BackupError('backup_no_destinations')
        datafs, blob_dir = source_of_registry(registry)
    except BackupError as exc:
        failed = [{'destination': d, 'result': 'failed', 'code': exc.code, 'error': exc.detail}
                  for d in settings.backup_destinations]
        if failed:
            run_apart(registry, lambda root: journal(root, failed, actor))
        raise
    results = run(datafs, blob_dir, settings.backup_destinations, settings.backup_keep_sets,
                  settings.backup_full_days, force_full)
    run_apart(registry, lambda root: journal(root, results, actor))
    return results

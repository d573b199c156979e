"""archive-backup: run a backup, list the runs, restore a set into a new folder, run the drill.

``run`` backs up to every destination of ``archive.backup_destinations`` and journals each
result (it opens the database: on FileStorage stop the server, or start a run from the
administrator's page or ``POST /api/v1/backups``). ``list`` and ``restore`` read the
destinations only: they work with the database gone. ``verify`` restores the latest run into a
temporary folder and compares it with the live database; on FileStorage it opens the Data.fs
read-only beside the running server, on ZEO it connects as a client.

Exit status: 0 good; 1 a destination failed, a file is damaged, or something differs; 2 bad input.
"""
import json
import os
import sys

from pyramid.paster import get_appsettings

from .. import settings as archive_settings
from ..archival import backup, backup_restore, backup_status
from ..i18n import translate
from .common import EXIT_INPUT, fail, opened, parser

EXIT_FAILED = 1


def _settings(config_uri):
    return archive_settings.load(get_appsettings(config_uri))


def _destinations(args, loaded=None):
    """``--destination``, else the settings' (read from the .ini only then: a restore with
    ``--destination`` needs neither the secret nor anything else of the settings)."""
    if getattr(args, 'destination', None):
        return [args.destination]
    chosen = list((loaded or _settings(args.config_uri)).backup_destinations)
    if not chosen:
        fail(translate(backup.message('backup_no_destinations')), EXIT_INPUT)
    return chosen


def _say(code, detail=''):
    return f'{translate(backup.message(code))} [{code}]' + (f': {detail}' if detail else '')


def cmd_run(args):
    with opened(args.config_uri) as session:
        try:
            results = backup.run_and_journal(session.registry, actor='archive-backup', force_full=args.full)
        except backup.BackupError as exc:
            fail(_say(exc.code, exc.detail), EXIT_FAILED)
    for r in results:
        if r['result'] == 'ok':
            print(f"OK      {r['destination']}  {r['kind']} {r['run']} (set {r['set']}): "
                  f"{r['bytes']} bytes, {r['blobs']} blobs, {r['seconds']} s")
        else:
            print(f"LỖI / FAILED  {r['destination']}  {_say(r['code'], r['error'])}")
    if any(r['result'] != 'ok' for r in results):
        raise SystemExit(EXIT_FAILED)


def cmd_list(args):
    out = {d: backup.runs_on(d) for d in _destinations(args)}
    if args.json:
        print(json.dumps({d: [{k: v for k, v in r.items() if k != 'blobs'} | {'blobs': len(r['blobs'])}
                              for r in runs] for d, runs in out.items()}, ensure_ascii=False, indent=2))
        return
    for destination, runs in out.items():
        print(f'{destination}: {len(runs)} runs, sets {sorted({r["set"] for r in runs})}')
        for r in runs:
            print(f"  {r['run']}  {r['kind']:<11} set {r['set']}  {r['bytes']:>12} bytes  "
                  f"{len(r['blobs']):>7} blobs  covers {r['covers']}")


def _report_problems(problems):
    for p in problems:
        print(f"  {_say(p['code'])}: {p['what']}")


def cmd_restore(args):
    destination = _destinations(args)[0]
    result = backup_restore.restore(destination, os.path.abspath(args.target), args.run)
    if result['problems']:
        print(f"Không khôi phục được / not restored ({destination}, run {result['run']}):")
        _report_problems(result['problems'])
        raise SystemExit(EXIT_FAILED)
    print(f"Đã khôi phục / restored run {result['run']} from {destination}:\n  {result['datafs']}\n  {result['blob_dir']}")


def _live_db(config_uri, loaded):
    """The live database to compare with (and journal the drill in): the FileStorage (read-only
    when a running server holds it), or a ZEO client."""
    import ZODB
    from zc.lockfile import LockError
    from ZODB.FileStorage import FileStorage
    uri = get_appsettings(config_uri).get('zodbconn.uri', '')
    try:
        datafs, blob_dir = backup.source_of(loaded, uri=uri)
    except backup.BackupError:
        datafs = None
    if datafs:
        try:
            return ZODB.DB(FileStorage(datafs, blob_dir=blob_dir or None))
        except LockError:
            return ZODB.DB(FileStorage(datafs, read_only=True, blob_dir=blob_dir or None))
    from zodburi import resolve_uri
    factory, dbkw = resolve_uri(uri)
    return ZODB.DB(factory(), **dbkw)


def _journal_drills(db, root_key, drills):
    """Each destination's drill result on the journal's chain ``backups`` (the administrators'
    page shows the last); not possible on a FileStorage a running server holds (said)."""
    import transaction
    if db.storage.isReadOnly():
        print('Chưa ghi nhật ký / not journaled: máy chủ đang giữ cơ sở dữ liệu (FileStorage) — '
              'the server holds the FileStorage; run the drill with the server stopped, or on ZEO')
        return
    tm = transaction.TransactionManager()
    conn = db.open(transaction_manager=tm)
    try:
        with tm:
            root = conn.root()[root_key]
            for destination, report in drills:
                backup_status.journal_drill(root, destination, report, 'archive-backup')
    finally:
        conn.close()


def cmd_verify(args):
    loaded = _settings(args.config_uri)
    db = _live_db(args.config_uri, loaded)
    failed = False
    drills = []
    try:
        for destination in _destinations(args, loaded):
            report = backup_restore.verify(db, loaded.root_key, destination, run=args.run)
            drills.append((destination, report))
            counts = report['counts']
            if report['problems']:
                failed = True
                print(f"LỖI / DAMAGED  {destination} run {report['run']}:")
                _report_problems(report['problems'])
            elif report['differences']:
                failed = True
                print(f"KHÁC / DIFFERS  {destination} run {report['run']}:")
                for d in report['differences']:
                    print(f"  {d['code']}: {d['what']}")
            else:
                print(f"OK  {destination} run {report['run']}: identical — {counts['records']} records, "
                      f"{counts['documents']} documents, {counts['revisions']} revisions, {counts['files']} files, "
                      f"{counts['blobs']} blobs")
        _journal_drills(db, loaded.root_key, drills)
    finally:
        db.close()
    if failed:
        raise SystemExit(EXIT_FAILED)


def main(argv=None):
    p = parser('Sao lưu / backups: run, list, restore, verify')
    sub = p.add_subparsers(dest='command', required=True)
    running = sub.add_parser('run', help='back up to every destination now')
    running.add_argument('--full', action='store_true', help='start a new full set')
    listing = sub.add_parser('list', help='the runs on each destination')
    listing.add_argument('--destination')
    listing.add_argument('--json', action='store_true')
    restoring = sub.add_parser('restore', help='rebuild Data.fs and blobs from a run into a new folder')
    restoring.add_argument('target', help='a new (or empty) folder')
    restoring.add_argument('--destination', help='default: the first of archive.backup_destinations')
    restoring.add_argument('--run', help='the run (YYYY-MM-DD-HH-MM-SS); default the latest')
    verifying = sub.add_parser('verify', help='restore the latest run and compare it with the live database')
    verifying.add_argument('--destination', help='default: every destination')
    verifying.add_argument('--run')
    args = p.parse_args(argv)
    try:
        {'run': cmd_run, 'list': cmd_list, 'restore': cmd_restore, 'verify': cmd_verify}[args.command](args)
    except ValueError as exc:       # the settings
        print(exc, file=sys.stderr)
        raise SystemExit(EXIT_INPUT) from None


if __name__ == '__main__':
    main()

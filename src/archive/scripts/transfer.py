"""archive-transfer: a transfer batch's package, and the archive's confirmation of receipt.

``export BATCH --by LOGIN [--bag]`` writes the approved batch's E-ARK SIP into
``archive.transfer_dir`` (resuming an interrupted run; ``--bag``: wrapped as a BagIt bag too),
validates it and only then marks the batch exported, with the one path the batch page's export job
takes (``archival.batches.export``). ``validate PATH...`` checks packages (zip or bag) made here or copied back, without the
database. ``confirm BATCH --reference R --date D [--receipt FILE] --by LOGIN`` marks an exported
batch transferred. ``BATCH`` is ``<body code>/<batch>`` or the package id; ``--by`` an archivist
of that body, whose name the journal keeps. An unknown batch, one not approved, not exported or
already transferred: the reason on stderr, exit 2, nothing written.
"""
import io
import os
import sys

from .. import security as S
from .common import fail, opened, parser, writing
from ..errors import Unknown
from ..i18n import _
from ..archival import batches as B
from ..archival import export_jobs, sip
from ..resources.files import ingest

EXIT_INVALID = 1


def progress_printer(out, every=100):
    """A ``progress(done, total)`` that prints a line every ``every`` documents and at the end."""
    def progress(done, total):
        if done == total or done % every == 0:
            print(f'  {done}/{total} văn bản', file=out, flush=True)
    return progress


def validate_paths(paths, out=None):
    """Validate each package (zip or bag); the exit status: 0 when all are valid."""
    out = out or sys.stdout
    status = 0
    for path in paths:
        problems = sip.validate(path)
        for p in problems:
            print(f'{path}: [{p["source"]}:{p["code"]}] {p["message"]}', file=out)
        print(f'{path}: ' + ('hợp lệ (valid)' if not problems else f'{len(problems)} lỗi (invalid)'), file=out)
        status = status or (EXIT_INVALID if problems else 0)
    return status


def _archivist(root, batch, login):
    user = root['users'].get(login)
    if user is None or user.body_code != batch.body_code or not user.has_role(S.ARCHIVIST):
        raise Unknown('archivist_unknown', _(
            'archivist_unknown', default='"${login}" không phải lưu trữ viên của cơ quan có lô này',
            mapping={'login': login}))
    return user


def export(session, args):
    root, registry = session
    with writing(session, args.dry_run):
        batch = B.find_batch(root, args.batch)
        user = _archivist(root, batch, args.by)
        if export_jobs.active(batch):           # the worker is writing this package: not twice at once
            fail(f'{batch.package_id}: đang được xuất bởi tiến trình nền / being exported by the worker '
                 '[batch_export_running]')
        B.export(root, batch, registry.archive_settings, user, progress=progress_printer(sys.stderr), bag=args.bag)
        print(f"đã xuất / exported: {batch.exported['path']}")
        if batch.exported.get('bag'):
            print(f"bag: {batch.exported['bag']}")


def confirm(session, args):
    root, registry = session
    with writing(session, args.dry_run):
        batch = B.find_batch(root, args.batch)
        user = _archivist(root, batch, args.by)
        receipt = None
        if args.receipt:
            if not os.path.isfile(args.receipt):
                fail(f'Không có tệp / no such file: {args.receipt}')
            with open(args.receipt, 'rb') as f:
                receipt = ingest('receipt', os.path.basename(args.receipt), io.BytesIO(f.read()), 'attachment',
                                 registry.archive_settings, user.login)
            receipt.role = 'receipt'
        B.confirm(root, batch, {'reference': args.reference, 'date': args.date}, user, receipt=receipt)
        print(f'đã nộp lưu / transferred: {batch.body_code}/{batch.__name__} ({batch.package_id}), '
              f'{len(batch.file_names)} hồ sơ / files')


def main(argv=None):
    p = parser('Nộp lưu / archive transfer: export, validate, confirm')
    sub = p.add_subparsers(dest='command', required=True)
    e = sub.add_parser('export', help="write, validate and mark exported an approved batch's package")
    e.add_argument('batch', help='<body code>/<batch> or the package id')
    e.add_argument('--by', required=True, help='the archivist exporting it (login)')
    e.add_argument('--bag', action='store_true', help='wrap the package as a BagIt bag too (<package id>.bag)')
    e.add_argument('--dry-run', action='store_true')
    v = sub.add_parser('validate', help='check packages (zip or bag): eark-validator, bagit (no database)')
    v.add_argument('paths', nargs='+')
    c = sub.add_parser('confirm', help="record the archive's confirmation of receipt")
    c.add_argument('batch', help='<body code>/<batch> or the package id')
    c.add_argument('--reference', default='', help="the archive's receipt reference")
    c.add_argument('--date', required=True, help='the day of receipt, YYYY-MM-DD')
    c.add_argument('--receipt', help="the archive's receipt file (PDF, XML...)")
    c.add_argument('--by', required=True, help='the archivist recording it (login)')
    c.add_argument('--dry-run', action='store_true')
    args = p.parse_args(argv)
    if args.command == 'validate':
        raise SystemExit(validate_paths(args.paths))
    with opened(args.config_uri) as session:
        {'export': export, 'confirm': confirm}[args.command](session, args)


if __name__ == '__main__':
    main()

"""archive-transfer: a transfer batch's package, and the archive's confirmation of receipt.

``export BATCH --by LOGIN`` writes the approved batch's E-ARK SIP into ``archive.transfer_dir``
(resuming an interrupted run), validates it and only then marks the batch exported, as the batch
page does. ``validate PATH...`` checks packages (zip or bag) made here or copied back, without the
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
from .transfer_export import progress_printer
from ..resources.files import ingest
from .transfer_export import validate_paths


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
        B.export(root, batch, registry.archive_settings, user, progress=progress_printer(sys.stderr))
        print(f"đã xuất / exported: {batch.exported['path']}")


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

"""archive-transfer: the archive's confirmation that it received a transfer batch.

``confirm BATCH --reference R --date D [--receipt FILE] --by LOGIN`` marks an exported batch
transferred, as the batch page does (``BATCH`` is ``<body code>/<batch>`` or the package id;
``--by`` an archivist of that body, whose name the journal keeps). An unknown batch, one not
exported, one already transferred: the reason on stderr, exit 2, nothing written.
(``export`` and ``validate`` are the transfer package's subcommands.)
"""
import io
import os

from .. import security as S
from .common import fail, opened, parser, writing


def confirm(session, args):
    from ..archival import batches as B
    from ..errors import Unknown
    from ..i18n import _
    from ..resources.files import ingest
    root, registry = session
    with writing(session, args.dry_run):
        batch = B.find_batch(root, args.batch)
        user = root['users'].get(args.by)
        if user is None or user.body_code != batch.body_code or not user.has_role(S.ARCHIVIST):
            raise Unknown('archivist_unknown', _(
                'archivist_unknown', default='"${login}" không phải lưu trữ viên của cơ quan có lô này',
                mapping={'login': args.by}))
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
    p = parser('Nộp lưu / archive transfer: confirm')
    sub = p.add_subparsers(dest='command', required=True)
    c = sub.add_parser('confirm', help="record the archive's confirmation of receipt")
    c.add_argument('batch', help='<body code>/<batch> or the package id')
    c.add_argument('--reference', default='', help="the archive's receipt reference")
    c.add_argument('--date', required=True, help='the day of receipt, YYYY-MM-DD')
    c.add_argument('--receipt', help="the archive's receipt file (PDF, XML...)")
    c.add_argument('--by', required=True, help='the archivist recording it (login)')
    c.add_argument('--dry-run', action='store_true')
    args = p.parse_args(argv)
    with opened(args.config_uri) as session:
        if args.command == 'confirm':
            confirm(session, args)


if __name__ == '__main__':
    main()

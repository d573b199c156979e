"""archive-storage: pack the database, and prove that destroyed content is gone.

``pack`` removes the history older than ``--days`` (default ``archive.pack_days``, 7): records and
blobs no longer reachable, among them the files of recalled and destroyed copies (Art. 9.2).
``verify-destroyed`` then checks every destroyed document's file and blob records: exit 0 when none
can be loaded any more, 1 (and the list) when some remain (no pack yet, or not old enough).
"""
import time

from .common import opened, parser
from ..exchange.recall import verify_destroyed

EXIT_REMAINS = 1


def pack(db, days):
    db.pack(t=time.time() - days * 86400)


def main(argv=None):
    p = parser('Lưu trữ dữ liệu / storage: pack, verify-destroyed')
    sub = p.add_subparsers(dest='command', required=True)
    packing = sub.add_parser('pack', help='remove history older than --days (default archive.pack_days)')
    packing.add_argument('--days', type=float, default=None)
    sub.add_parser('verify-destroyed', help='check that the content of destroyed copies is gone')
    args = p.parse_args(argv)
    with opened(args.config_uri) as session:
        db = session.registry._zodb_databases['']
        if args.command == 'pack':
            days = args.days if args.days is not None else session.registry.archive_settings.pack_days
            pack(db, days)
            print(f'đã pack, giữ lịch sử {days:g} ngày / packed, keeping {days:g} days of history')
            return
        left = verify_destroyed(session.root, db.storage)
        for body, name, what, oid in left:
            print(f'CÒN / REMAINS  {body} {name} {what} 0x{oid:x}')
        if left:
            print('Nội dung đã hủy vẫn còn trong lịch sử: hãy pack / destroyed content is still in the history: pack')
            raise SystemExit(EXIT_REMAINS)
        count = len(session.root.exchange.destroyed)
        print(f'{count} văn bản đã hủy: không còn nội dung / {count} destroyed documents: no content left')


if __name__ == '__main__':
    main()

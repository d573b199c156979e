"""archive-stats: rebuild the statistics counters from the journal, or check them.

``rebuild`` recounts every counter from the journal, says where the stored counters differed,
replaces them, and proves the result equals a full recount (exit 1 if it does not).
``check`` only compares (exit 1 on any difference); ``--dry-run`` on rebuild writes nothing.
"""
from ..reports import recount
from .common import opened, parser, writing


def _show(diffs, limit=20):
    for bucket, key, stored, recounted in diffs[:limit]:
        print(f'  {bucket[0]} {bucket[1]} {key}: {stored} ≠ {recounted}')
    if len(diffs) > limit:
        print(f'  … {len(diffs) - limit} more')


def main(argv=None):
    p = parser('Thống kê / statistics counters')
    sub = p.add_subparsers(dest='command', required=True)
    rebuild = sub.add_parser('rebuild', help='recount every counter from the journal and replace them')
    rebuild.add_argument('--dry-run', action='store_true')
    sub.add_parser('check', help='compare the counters with a full recount of the journal')
    args = p.parse_args(argv)
    with opened(args.config_uri) as session:
        root, _registry = session
        before = recount.differences(root)
        print(f'Khác với kiểm đếm lại / differing from a full recount: {len(before)}')
        _show(before)
        if args.command == 'check':
            raise SystemExit(1 if before else 0)
        with writing(session, args.dry_run):
            n = recount.rebuild(root)
            after = recount.differences(root)
        print(f'Đã dựng lại / rebuilt: {n} roll-ups; differing after: {len(after)}')
        if after:
            _show(after)
            raise SystemExit(1)
        print('Số liệu thống kê khớp với kiểm đếm lại / the counters equal a full recount')


if __name__ == '__main__':
    main()

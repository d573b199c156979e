"""archive-journal: fold a checkpoint, export the checkpoints, verify everything."""
import json

from .. import audit
from .common import fail, opened, parser, writing


def main(argv=None):
    p = parser('Nhật ký / the journal')
    sub = p.add_subparsers(dest='command', required=True)
    sub.add_parser('checkpoint', help='fold the chain heads into a new checkpoint')
    exp = sub.add_parser('export', help='write the checkpoints to a file kept outside the database')
    exp.add_argument('output')
    ver = sub.add_parser('verify', help='verify every chain and the checkpoints')
    ver.add_argument('--checkpoints', help='an exported checkpoint file to verify against')
    args = p.parse_args(argv)
    with opened(args.config_uri) as session:
        root, registry = session
        if args.command == 'checkpoint':
            with writing(session):
                cp = audit.checkpoint(root)
            print(f'checkpoint {cp.number}: {len(cp.heads)} chains changed, hash {cp.hash}')
        elif args.command == 'export':
            data = audit.export_checkpoints(root)
            with open(args.output, 'w', encoding='utf-8') as f:
                json.dump(data, f, ensure_ascii=False, indent=1)
            print(f"{len(data['checkpoints'])} checkpoints written to {args.output}")
        else:
            exported = None
            if args.checkpoints:
                try:
                    with open(args.checkpoints, encoding='utf-8') as f:
                        exported = json.load(f)
                    if exported.get('format') != 'archive-journal-checkpoints/1':
                        raise ValueError('not a checkpoint export')
                except (OSError, ValueError) as exc:
                    fail(f'Không đọc được tệp checkpoint: {exc}')
            problems = audit.verify(root, exported)
            chains = len(audit.journal_of(root).chains)
            if problems:
                print(f'NHẬT KÝ BỊ SỬA / JOURNAL BROKEN: {len(problems)} problem(s); first: {problems[0]}')
                for problem in problems:
                    print('  ' + problem)
                raise SystemExit(1)
            print(f'Nhật ký nguyên vẹn / journal intact: {chains} chains verified')


if __name__ == '__main__':
    main()

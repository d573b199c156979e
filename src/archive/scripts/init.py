"""archive-init: create the database (and the demo data if asked), run pending evolve steps."""
from .. import evolve
from ..seed import seed_demo
from .common import opened, parser, writing


def main(argv=None):
    p = parser('Khởi tạo cơ sở dữ liệu / initialise the database')
    p.add_argument('--demo', action='store_true', help='seed the demo bodies and users if the database is empty')
    p.add_argument('--dry-run', action='store_true')
    args = p.parse_args(argv)
    with opened(args.config_uri) as session:
        root, registry = session
        with writing(session, args.dry_run):
            steps = evolve.evolve(root, dry_run=args.dry_run)
            for name in steps:
                print(f'evolve: {name}')
            if args.demo:
                if len(root['bodies']):
                    print('Đã có dữ liệu: bỏ qua dữ liệu mẫu / database not empty, demo skipped')
                else:
                    seed_demo(root, registry.archive_settings, getattr(registry, 'archive_keystore', None))
                    print('Đã tạo dữ liệu mẫu / demo data seeded')
        print(f"{len(root['bodies'])} cơ quan, {len(root['users'])} người dùng; "
              f"evolve steps done: {len(root.evolved)}")


if __name__ == '__main__':
    main()

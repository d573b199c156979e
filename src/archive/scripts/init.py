"""archive-init: create the database (and the demo data if asked), run pending evolve steps, and
compile the page templates into ``archive.template_cache_dir`` (``views/warm.py``), so that the
first view after a start is not spent compiling them.

The one command that writes a database's shape: ``make run`` and every deployment run it before
the server, which refuses a database not prepared. ``--dry-run`` says what it would do and
writes nothing."""
from ..startup import prepare_database
from ..views.warm import warm_templates
from .common import parser, started


def main(argv=None):
    p = parser('Khởi tạo cơ sở dữ liệu / initialise the database')
    p.add_argument('--demo', action='store_true', help='seed the demo bodies and users if the database is empty')
    p.add_argument('--dry-run', action='store_true')
    args = p.parse_args(argv)
    with started(args.config_uri) as registry:
        done = prepare_database(registry, demo=args.demo, dry_run=args.dry_run)
        cache = registry.archive_settings.template_cache_dir
    for name in done['steps']:
        print(f'evolve: {name}')
    if done['seeded']:
        print('Đã tạo dữ liệu mẫu / demo data seeded')
    print(f"{done['bodies']} cơ quan, {done['users']} người dùng; evolve steps done: {done['evolved']}")
    if args.dry_run:
        print('(--dry-run: không ghi gì / nothing written)')
        return
    if cache:               # (without a folder, what is compiled here would be lost on exit)
        print(f'{warm_templates()} mẫu trang đã dịch sẵn / templates compiled')


if __name__ == '__main__':
    main()

"""archive-tokens: create, list and revoke a user's API bearer tokens (stored hashed)."""
from ..services import directory
from .common import fail, opened, parser, writing


def main(argv=None):
    p = parser('Khóa API / API tokens')
    sub = p.add_subparsers(dest='command', required=True)
    create = sub.add_parser('create')
    create.add_argument('login')
    create.add_argument('--label', default='')
    lst = sub.add_parser('list')
    lst.add_argument('login')
    revoke = sub.add_parser('revoke')
    revoke.add_argument('login')
    revoke.add_argument('token_id', help='the id shown by create/list (first 12 hex digits)')
    args = p.parse_args(argv)
    with opened(args.config_uri) as session:
        root, registry = session
        user = root['users'].get(args.login)
        if user is None:
            fail(f'Không có người dùng "{args.login}" / no such user')
        if args.command == 'list':
            for digest, info in user.tokens.items():
                print(f"{digest[:12]}  {info['created_at']}  {info['label']}")
            return
        with writing(session):
            if args.command == 'create':
                token, token_id = directory.create_token(root, user, args.label, 'cli')
            else:
                directory.revoke_token(root, user, args.token_id, 'cli')
        if args.command == 'create':
            print(f'id: {token_id}')
            print(token)
        else:
            print(f'Đã thu hồi {args.token_id}')


if __name__ == '__main__':
    main()

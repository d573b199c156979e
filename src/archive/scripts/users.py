"""archive-users: list users, add one (password from --password-file or the prompt), set a
password, disable or enable an account (setting a password or disabling ends the user's sessions),
change an account's roles or unit. The same services as the pages (``services/accounts.py``),
journaled with the actor ``cli``."""
import getpass
import sys

from ..services import accounts, directory
from .common import fail, opened, parser, writing


def _password(path):
    if path == '-':
        return sys.stdin.readline().rstrip('\n')
    if path:
        with open(path, encoding='utf-8') as f:
            return f.readline().rstrip('\n')
    first = getpass.getpass('Mật khẩu / password: ')
    if first != getpass.getpass('Nhập lại / again: '):
        fail('Hai lần nhập không khớp / passwords differ')
    return first


def _user(users, login):
    user = users.get(login)
    if user is None:
        fail(f'Không có người dùng "{login}" / no such user')
    return user


def main(argv=None):
    p = parser('Người dùng / users')
    sub = p.add_subparsers(dest='command', required=True)
    sub.add_parser('list')
    add = sub.add_parser('add')
    add.add_argument('login')
    add.add_argument('--name', required=True)
    add.add_argument('--body', required=True)
    add.add_argument('--unit')
    add.add_argument('--position', default='')
    add.add_argument('--role', action='append', required=True,
                     help='clerk, leader, processor, archivist or admin; repeat for several')
    add.add_argument('--password-file', help="a file whose first line is the password, or '-' for stdin")
    pw = sub.add_parser('set-password')
    pw.add_argument('login')
    pw.add_argument('--password-file')
    disable = sub.add_parser('disable')
    disable.add_argument('login')
    enable = sub.add_parser('enable')
    enable.add_argument('login')
    roles = sub.add_parser('set-roles', help="replace the account's roles (journaled, old and new)")
    roles.add_argument('login')
    roles.add_argument('--role', action='append', required=True,
                       help='clerk, leader, processor, archivist or admin; repeat for several')
    unit = sub.add_parser('set-unit', help='move the account to another unit of its body (none: no --unit)')
    unit.add_argument('login')
    unit.add_argument('--unit', default='')
    for s in (add, pw, disable, enable, roles, unit):
        s.add_argument('--dry-run', action='store_true')
    args = p.parse_args(argv)
    with opened(args.config_uri) as session:
        root, registry = session
        users = root['users']
        if args.command == 'list':
            for u in sorted(users.values(), key=lambda u: (u.body_code, u.login)):
                state = '' if u.active else '  [khóa / disabled]'
                print(f"{u.login:<16} {u.body_code}  {u.unit_code or '-':<6} {','.join(u.roles):<20} {u.full_name}{state}")
            return
        if args.command in ('disable', 'enable'):
            with writing(session, args.dry_run):
                accounts.set_active(root, None, _user(users, args.login), args.command == 'enable')
                print(f'Đã {"mở khóa" if args.command == "enable" else "khóa"} {args.login}')
            return
        if args.command in ('set-roles', 'set-unit'):
            with writing(session, args.dry_run):
                user = _user(users, args.login)
                if args.command == 'set-roles':
                    accounts.set_roles(root, None, user, args.role)
                    print(f'{args.login}: {",".join(user.roles)}')
                else:
                    accounts.set_unit(root, None, user, args.unit)
                    print(f'{args.login}: {user.unit_code or "-"}')
            return
        password = _password(args.password_file)
        with writing(session, args.dry_run):
            if args.command == 'add':
                directory.add_user(root, dict(login=args.login, full_name=args.name, body_code=args.body,
                                              unit_code=args.unit, position=args.position, roles=args.role,
                                              password=password), registry.archive_settings, 'cli')
                print(f'Đã thêm {args.login}')
            else:
                accounts.reset_password(root, None, _user(users, args.login), password)
                print(f'Đã đặt mật khẩu cho {args.login}')


if __name__ == '__main__':
    main()

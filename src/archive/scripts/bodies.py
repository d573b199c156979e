"""archive-bodies: list bodies, add a body or a unit, rename or remove a unit, close a body, set how
a body is reached, make a body the office that compiles a committee's statistics (``set-office-of``),
register a certificate. Units and offices through ``services/accounts.py``, as the pages."""
import datetime as dt

from ..resources.certificates import KINDS
from ..schemas import vocab
from ..services import accounts, directory
from ..services.certificates import register_certificate
from .common import fail, opened, parser, print_json, writing


def main(argv=None):
    p = parser('Cơ quan, đơn vị / bodies and units')
    sub = p.add_subparsers(dest='command', required=True)
    sub.add_parser('list', help='list bodies as a tree')
    add = sub.add_parser('add', help='add a body')
    add.add_argument('--code', required=True)
    add.add_argument('--name', required=True)
    add.add_argument('--symbol', required=True)
    add.add_argument('--parent')
    add.add_argument('--kind', default='party', choices=['party', 'state', 'other'])
    add.add_argument('--route', default='hosted', choices=list(vocab.ROUTES))
    add.add_argument('--address', default='')
    unit = sub.add_parser('add-unit', help='add a unit (phòng, ban) to a body')
    unit.add_argument('body')
    unit.add_argument('--code', required=True)
    unit.add_argument('--name', required=True)
    rename = sub.add_parser('rename-unit', help='rename a unit (its code stays)')
    rename.add_argument('body')
    rename.add_argument('--code', required=True)
    rename.add_argument('--name', required=True)
    remove = sub.add_parser('delete-unit', help='remove a unit nothing names')
    remove.add_argument('body')
    remove.add_argument('--code', required=True)
    office = sub.add_parser('set-office-of', help="the committee whose statistics this office compiles "
                                                  "(Art. 12); without --committee: none")
    office.add_argument('body')
    office.add_argument('--committee', default='')
    close = sub.add_parser('close', help='close a body (it is never deleted)')
    close.add_argument('body')
    close.add_argument('--on', required=True, help='last valid day, YYYY-MM-DD')
    close.add_argument('--successor')
    route = sub.add_parser('set-route', help='how the body is reached: hosted, instance URL, email, axis')
    route.add_argument('body')
    route.add_argument('--route', required=True, choices=list(vocab.ROUTES))
    route.add_argument('--address', default='')
    cert = sub.add_parser('add-certificate', help="register a body's certificate (kept for good)")
    cert.add_argument('body')
    cert.add_argument('--kind', required=True, choices=KINDS)
    cert.add_argument('file', help='the certificate, PEM or DER')
    for s in (add, unit, close, cert, route, rename, remove, office):
        s.add_argument('--dry-run', action='store_true')
    args = p.parse_args(argv)
    with opened(args.config_uri) as session:
        root, registry = session
        bodies = root['bodies']
        if args.command == 'list':
            for depth, b in bodies.tree():
                state = '' if b.is_open() else f'  [đóng {b.valid_to}; kế thừa {b.successor_code or "-"}]'
                units = ', '.join(u.code for u in b.units.values())
                route = b.route + (f' {b.address}' if b.address else '')
                print(f"{'  ' * depth}{b.code}  {b.symbol:<8} {b.name}  <{route}>{state}"
                      + (f'  ({units})' if units else ''))
            return
        with writing(session, args.dry_run):
            if args.command == 'add':
                b = directory.add_body(root, dict(code=args.code, name=args.name, symbol=args.symbol,
                                                  parent_code=args.parent, kind=args.kind, route=args.route,
                                                  address=args.address), registry.archive_settings, 'cli')
                print_json({'code': b.code, 'name': b.name})
            else:
                body = bodies.get(args.body)
                if body is None:
                    fail(f'Không có cơ quan "{args.body}" / no such body')
                if args.command == 'add-certificate':
                    try:
                        with open(args.file, 'rb') as f:
                            data = f.read()
                    except OSError as exc:
                        fail(f'Không đọc được tệp "{args.file}": {exc.strerror}')
                    rec = register_certificate(root, body, data, args.kind, 'cli')
                    print_json({'body': body.code, 'kind': rec.kind, 'fingerprint': rec.fingerprint,
                                'subject': rec.subject, 'not_after': rec.not_after.isoformat()})
                elif args.command == 'set-route':
                    directory.set_route(root, body, args.route, args.address, registry.archive_settings, 'cli')
                    print(f'{body.code}: {args.route} {args.address}')
                elif args.command == 'add-unit':
                    accounts.add_unit(root, None, body, {'code': args.code, 'name': args.name})
                    print(f'{body.code}: {args.code} {args.name}')
                elif args.command == 'rename-unit':
                    accounts.rename_unit(root, None, body, args.code, args.name)
                    print(f'{body.code}: {args.code} {args.name}')
                elif args.command == 'delete-unit':
                    accounts.delete_unit(root, None, body, args.code)
                    print(f'{body.code}: {args.code} đã xóa')
                elif args.command == 'set-office-of':
                    accounts.set_office_of(root, None, body, args.committee)
                    print(f'{body.code}: văn phòng của {body.office_of or "-"}')
                else:
                    try:
                        on = dt.date.fromisoformat(args.on)
                    except ValueError:
                        fail(f'Ngày không hợp lệ "{args.on}" (YYYY-MM-DD)')
                    directory.close_body(root, body, on, args.successor, 'cli')
                    print(f'{body.code} đóng từ {on}')


if __name__ == '__main__':
    main()

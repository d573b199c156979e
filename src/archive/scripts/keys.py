"""archive-keys: generate a key pair and its certificate request, import the certificate the
authority issued, list what the key store holds, export a certificate (PEM) for another
installation. Works on the key store alone (the settings ``archive.keystore*``/``archive.pkcs11_*``
of the .ini), without the database, so it runs beside a running server.

    archive-keys development.ini generate org-sign:000.00.01.H01 --subject "CN=Văn phòng Thành ủy,O=Thành ủy Hà Nội,C=VN" --out req.pem
    archive-keys development.ini import org-sign:000.00.01.H01 cert.pem
    archive-keys development.ini list [--json]
    archive-keys development.ini export org-sign:000.00.01.H01 [--chain | --root] [--out cert.pem]

``export`` writes the certificate in use (what the other instance registers with
``archive-bodies ... add-certificate``), with ``--chain`` followed by the issuers the store holds,
or with ``--root`` only the top of that chain, the authority the other instance must trust (a file
for its ``archive.trust_roots``). Certificates are public: no secret is read or written.
"""
import os
import sys

from pyramid.paster import get_appsettings, setup_logging

from .. import clock
from ..signing import keys
from ..settings import keystore_scrypt_n
from .common import fail, parser, print_json

STATUS_WORDS = {
    keys.VALID: 'còn hiệu lực / valid',
    keys.EXPIRED: 'hết hạn / expired',
    keys.NOT_YET_VALID: 'chưa có hiệu lực / not yet valid',
    keys.AWAITING: 'chờ chứng thư / awaiting certificate',
}


def _settings(config_uri):
    if not os.path.isfile(config_uri.partition('#')[0]):
        fail(f'Không có tệp cấu hình {config_uri} / no such configuration file')
    try:
        settings = dict(get_appsettings(config_uri))
    except Exception as exc:     # plaster/configparser errors of many kinds
        fail(f'Không đọc được tệp cấu hình {config_uri} / cannot read the configuration: {type(exc).__name__}')
    try:
        setup_logging(config_uri)
    except Exception:            # an .ini without logging sections is fine here
        pass
    return settings


def _read_input(path):
    if path == '-':
        return sys.stdin.buffer.read()
    try:
        with open(path, 'rb') as f:
            return f.read()
    except OSError:
        fail(f'Không đọc được tệp {path} / cannot read {path}')


def _write_new(path, data):
    if path == '-':
        sys.stdout.write(data.decode('ascii'))
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        fail(f'Tệp {path} đã có; chọn tên khác / {path} exists: choose another name')
    except OSError:
        fail(f'Không ghi được tệp {path} / cannot write {path}')
    with open(fd, 'wb') as f:
        f.write(data)


def _print_info(info):
    print(f'{info.key_id}  [{info.store}, {info.algorithm}]  {STATUS_WORDS.get(info.status, info.status)}')
    if info.subject:
        print(f'    chủ thể / subject:   {info.subject}')
        print(f'    cấp bởi / issuer:    {info.issuer}')
        print(f'    số hiệu / serial:    {info.serial}')
        print(f'    hiệu lực / validity: {clock.iso(info.not_before)} → {clock.iso(info.not_after)}')
        print(f'    SHA-256:             {info.fingerprint}')
        if info.certificates > 1:
            print(f'    lịch sử / history:   {info.certificates} chứng thư / certificates')
    if info.pending and info.subject:
        print('    một khóa mới đang chờ chứng thư / a new key awaits its certificate')


def _export(store, key_id, chain=False, root=False):
    """PEM bytes: the certificate in use for ``key_id``; with ``chain`` its issuers after it;
    with ``root`` only the self-signed top of the chain (refused when the store lacks it)."""
    from cryptography.hazmat.primitives import serialization
    cert = store.certificate(key_id)
    issuers = store.chain(key_id)
    if root:
        top = issuers[-1] if issuers else cert
        if top.issuer != top.subject:
            fail(f'Kho khóa không có chứng thư gốc của {key_id} (chỉ đến {top.subject.rfc4514_string()}); '
                 f'hãy lấy từ tổ chức cấp / the key store does not hold the root of {key_id}\'s chain: '
                 'get it from the authority')
        certs = [top]
    else:
        certs = [cert] + (issuers if chain else [])
    return b''.join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def main(argv=None):
    p = parser('Khóa và chứng thư số / keys and certificates')
    sub = p.add_subparsers(dest='command', required=True)
    gen = sub.add_parser('generate', help='tạo cặp khóa và yêu cầu cấp chứng thư / make a key pair and a CSR')
    gen.add_argument('key_id', help='org-sign:<mã cơ quan>, org-enc:<mã cơ quan> or person:<tên đăng nhập>')
    gen.add_argument('--subject', required=True,
                     help='RFC 4514, e.g. "CN=Văn phòng Thành ủy,O=Thành ủy Hà Nội,C=VN"')
    gen.add_argument('--algorithm', choices=keys.ALGORITHMS, default=keys.DEFAULT_ALGORITHM)
    gen.add_argument('--out', default='-', help='write the request (PEM) to this new file; default: print it')
    gen.add_argument('--replace-pending', action='store_true',
                     help='replace a key that still awaits its certificate')
    imp = sub.add_parser('import', help='nhập chứng thư do tổ chức cấp / install an issued certificate')
    imp.add_argument('key_id')
    imp.add_argument('certificate', help='PEM or DER file (the chain may follow the certificate); - for stdin')
    imp.add_argument('--chain', action='append', default=[], help='a file of CA certificates (repeatable)')
    lst = sub.add_parser('list', help='liệt kê khóa và chứng thư / list keys and certificates')
    lst.add_argument('--json', action='store_true')
    exp = sub.add_parser('export', help='xuất chứng thư (PEM) / write a certificate as PEM')
    exp.add_argument('key_id')
    what = exp.add_mutually_exclusive_group()
    what.add_argument('--chain', action='store_true',
                      help='the certificate followed by the issuers the key store holds')
    what.add_argument('--root', action='store_true',
                      help='only the root authority of the chain (for the other side\'s archive.trust_roots)')
    exp.add_argument('--out', default='-', help='write the PEM to this new file; default: print it')
    args = p.parse_args(argv)

    settings = _settings(args.config_uri)
    if args.command in ('generate', 'export') and args.out != '-' and os.path.lexists(args.out):
        fail(f'Tệp {args.out} đã có; chọn tên khác / {args.out} exists: choose another name')
    try:
        store = keys.open_keystore(settings, scrypt_n=keystore_scrypt_n(settings))
    except ValueError as exc:
        fail(f'Cấu hình kho khóa không hợp lệ / bad key store settings: {exc}')
    except keys.KeyStoreError as exc:
        fail(str(exc))
    try:
        if args.command == 'generate':
            csr = store.generate(args.key_id, args.subject, args.algorithm,
                                 replace_pending=args.replace_pending)
            _write_new(args.out, csr)
            if args.out != '-':
                print(f'Đã tạo khóa {args.key_id}; gửi yêu cầu {args.out} cho tổ chức cấp chứng thư / '
                      f'key made; send {args.out} to the certificate authority')
        elif args.command == 'export':
            _write_new(args.out, _export(store, args.key_id, args.chain, args.root))
        elif args.command == 'import':
            data = _read_input(args.certificate)
            chain = [_read_input(c) for c in args.chain]
            info = store.import_certificate(args.key_id, data, chain)
            print(f'Đã nhập chứng thư cho {args.key_id} / certificate installed')
            _print_info(info)
        else:
            infos = store.list()
            if args.json:
                print_json([i.as_dict() for i in infos])
            elif not infos:
                print('(kho khóa trống / the key store is empty)')
            else:
                for info in infos:
                    _print_info(info)
    except keys.KeyStoreError as exc:
        fail(str(exc))
    finally:
        store.close()


if __name__ == '__main__':
    main()

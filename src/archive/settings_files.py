"""The settings that name files, read and checked once at start-up (``settings.load``): the
trust roots, the revocation lists, the archive's certificate, and the web server's body cap read
from the .ini that started the app. A file that is missing or not what it should be stops the
start, naming the setting."""
import configparser
import glob
import os

from asn1crypto import crl, pem
from cryptography.hazmat.primitives.asymmetric import rsa

from . import settings_values as V
from .signing.keys import KeyStoreError, load_certificates, to_asn1
from .signing.keys.certificates import load_certificate
from .signing.keys.errors import NotACertificate


def paths(value, what):
    """Files named in a setting: one path or glob a line; a glob matching nothing is no error
    (an empty trust folder trusts nothing), a named file that does not exist is."""
    out = []
    for line in V.lines(value):
        if glob.has_magic(line):
            out.extend(sorted(glob.glob(line)))
        elif os.path.isfile(line):
            out.append(line)
        else:
            raise ValueError(f'{what}: no such file {line}')
    return out


def trust_roots(value):
    """Certificates from the trust-root files (PEM, several a file, or DER), read once at start."""
    roots = []
    for path in paths(value, 'archive.trust_roots'):
        with open(path, 'rb') as f:
            try:
                roots.extend(to_asn1(c) for c in load_certificates(f.read()))
            except KeyStoreError:
                raise ValueError(f'archive.trust_roots: {path} is not an X.509 certificate (PEM or DER)') from None
    return tuple(roots)


def crls(value):
    out = []
    for path in paths(value, 'archive.crls'):
        with open(path, 'rb') as f:
            data = f.read()
        blobs = [der for _t, _h, der in pem.unarmor(data, multiple=True)] if pem.detect(data) else [data]
        for der in blobs:
            try:
                crl.CertificateList.load(der).native  # noqa: B018 - parsing it all is the check
            except Exception:  # noqa: BLE001 - any parse error: refuse the file at start-up
                raise ValueError(f'archive.crls: {path} is not a CRL (PEM or DER)') from None
            out.append(der)
    return tuple(out)


def archive_certificate(path):
    """The archive's certificate from the PEM file ``path`` (none: None); a file that cannot be read,
    holds no certificate, or one without an RSA key (the content key is wrapped with RSA-OAEP)
    stops the start with the reason."""
    if not path:
        return None
    name = 'archive.transfer_certificate'
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError as exc:
        raise ValueError(f'{name}: cannot read {path}: {exc.strerror or exc}') from None
    try:
        certificate = load_certificate(data)
    except NotACertificate:
        raise ValueError(f'{name}: {path} holds no certificate (PEM expected)') from None
    if not isinstance(certificate.public_key(), rsa.RSAPublicKey):
        raise ValueError(f"{name}: {path}: the archive's certificate must hold an RSA key "
                         '(the content key is wrapped for it with RSA-OAEP)')
    return certificate


WAITRESS_DEFAULT_BODY = 1073741824              # waitress's max_request_body_size when the .ini says none


def server_body_cap(ini_path):
    """The web server's ``max_request_body_size`` from the .ini's ``[server:main]`` (waitress's
    default when it names waitress and says none); None when there is no such section to read."""
    if not ini_path or not os.path.isfile(ini_path):
        return None
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read(ini_path, encoding='utf-8')
    except configparser.Error:
        return None
    if not parser.has_section('server:main'):
        return None
    server = parser['server:main']
    if 'max_request_body_size' in server:
        return int(server['max_request_body_size'])
    return WAITRESS_DEFAULT_BODY if 'waitress' in server.get('use', '') else None


def check_below_server(loaded, global_config):
    """The exchange endpoint answers 413 itself, in its own error shape, before the web server
    cuts the body off: its cap must be below the server's. Checked at start-up where the .ini
    that started the app can be read; ``ValueError`` otherwise."""
    cap = server_body_cap((global_config or {}).get('__file__'))
    if cap is not None and loaded.exchange_max_package_bytes >= cap:
        raise ValueError(f'archive.exchange_max_package_bytes ({loaded.exchange_max_package_bytes}) must be '
                         f'below the server\'s max_request_body_size ({cap})')
    return cap

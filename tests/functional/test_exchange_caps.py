"""What one package may cost the receiving path: its attachments are not inflated before its
signature and sender are established, then only streaming under caps from the settings
(size and ratio, per attachment and per package); the endpoint's own body cap is a setting,
below the web server's, answered 413 before the body is read. Real signed packages made by
the app (``test_exchange_bad_input.package``), then broken here."""
import base64
import hashlib
import io
import re
import tracemalloc
import zipfile

import pytest

from archive import audit, main
from archive.exchange import edxml, receive
from archive.exchange.safexml import MiB

from ..conftest import HERE, base_settings, file_uri, make_app
from .test_exchange_bad_input import package, sent  # noqa: F401
from .test_exchange_endpoint import Unreadable, _raw
from .test_exchange_local import BTG, Session, exchange_app  # noqa: F401


def bomb(size):
    """A zip of one entry of ``size`` zero bytes, deflated hard: about a thousandth of it."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr('bom.pdf', b'\0' * size)
    return buf.getvalue()


def every_attachment(data, zipped):
    encoded = base64.b64encode(zipped)
    return re.sub(rb'(<edXML:ContentTransferEncoded>)[^<]*', lambda m: m.group(1) + encoded, data)


def unsigned(data):
    return re.sub(rb'<ds:Signature.*</ds:Signature>', b'', data, flags=re.S)


def refused(app, data):
    with pytest.raises(receive.Refused) as info:
        receive.accept(app.registry, data, 'test')
    return info.value


def test_an_unsigned_package_of_zip_bombs_is_refused_as_unsigned_without_inflating(exchange_app, sent):
    """Each attachment a 32 MiB bomb (its declared size honest): the refusal names the missing
    signature, not an attachment, and costs a small multiple of the package, not of the bombs."""
    app = exchange_app
    data = unsigned(every_attachment(package(app, sent['id']), bomb(32 * MiB)))
    assert len(data) < receive.limits_of(app.registry.archive_settings).max_package_bytes
    before = stored_here(app)
    tracemalloc.start()
    try:
        exc = refused(app, data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert exc.code == 'unsigned', exc.code
    assert peak < 8 * len(data) + 2 * MiB, (peak, len(data))
    assert stored_here(app) == before


def test_unsigned_bombs_that_lie_about_their_size_are_refused_as_unsigned(exchange_app, sent):
    """The zip's directory says 100 bytes: the package is still refused for its signature first."""
    app = exchange_app
    zipped = bytearray(bomb(8 * MiB))
    at = zipped.rfind(b'PK\x01\x02')                             # central directory: uncompressed size
    zipped[at + 24:at + 28] = (100).to_bytes(4, 'little')
    data = unsigned(every_attachment(package(app, sent['id']), bytes(zipped)))
    assert refused(app, data).code == 'unsigned'


def test_a_signed_package_from_its_sender_with_a_bomb_attached_is_refused_naming_it(exchange_app, sent):
    """An attachment whose zip says it holds more than the cap: refused from its zip directory."""
    app = exchange_app
    cap = app.registry.archive_settings.exchange_max_unzipped_bytes
    attachments = [edxml.Attachment('1', 'cong-van.pdf', data=b'%PDF-1.4 ' + b'\0' * cap),
                   edxml.Attachment('2', 'phu-luc.pdf', data=b'%PDF-1.4 small')]
    data = package(app, sent['id'], attachments=attachments)
    before = stored_here(app)
    exc = refused(app, data)
    assert exc.code == 'zip_too_large' and "'cong-van.pdf'" in exc.message_vi
    assert stored_here(app) == before


def test_attachments_over_the_package_cap_together_are_refused_once_inflated(exchange_app, sent):
    """Each under its own cap, together over the package's: inflated only once the signature is
    verified (the refusal knows the receiver), and stopped at the attachment that passes the cap."""
    app = exchange_app
    settings = app.registry.archive_settings
    each = settings.exchange_max_unzipped_bytes - 16
    assert 2 * each < settings.exchange_max_total_unzipped_bytes < 3 * each
    attachments = [edxml.Attachment(str(n), name, data=b'%PDF-1.4 ' + b'\0' * (each - 9))
                   for n, name in enumerate(('cong-van.pdf', 'phu-luc-1.pdf', 'phu-luc-2.pdf'), 1)]
    data = package(app, sent['id'], attachments=attachments)
    before = stored_here(app)
    exc = refused(app, data)
    assert exc.code == 'zip_too_large' and "'phu-luc-2.pdf'" in exc.message_vi, exc.message_vi
    assert exc.facts['receiver'] == BTG
    assert stored_here(app) == before
    with Session(app) as root:
        entry = audit.entries(root, receive.CHAIN)[-1]
    assert entry['details']['code'] == 'zip_too_large' and entry['details']['receiver'] == BTG
    assert entry['details']['package_sha256'] == hashlib.sha256(data).hexdigest()


def test_the_package_caps_and_ratio_come_from_the_settings(exchange_app):
    settings = exchange_app.registry.archive_settings
    limits = receive.limits_of(settings)
    upload = settings.max_upload_bytes
    assert (limits.max_package_bytes, limits.max_unzipped_bytes, limits.max_total_unzipped_bytes,
            limits.max_ratio) == (2 * upload + MiB, upload, 2 * upload, 100)


def stored_here(app):
    with Session(app) as root:
        return len(root['bodies'][BTG].documents), len(root.exchange.received), len(root.exchange.taken_in)


# ---------------------------------------------------------------- the endpoint's body cap

def test_the_endpoint_cap_is_a_setting_answered_413_unread(tmp_path):
    app = make_app(base_settings(tmp_path, file_uri(tmp_path), **{'archive.exchange_max_package_bytes': '300000'}))
    try:
        assert receive.limits_of(app.registry.archive_settings).max_package_bytes == 300000
        res = _raw(app, Unreadable(), CONTENT_LENGTH='300001')
        assert res.status_int == 413 and res.json['error'] == 'too_large'
        res = _raw(app, io.BytesIO(b'<x/>'), CONTENT_LENGTH='4')      # under the cap: read and judged
        assert res.status_int == 400
    finally:
        from ..conftest import close_app
        close_app(app)


@pytest.mark.parametrize('server, cap', [
    ('use = egg:waitress#main\nmax_request_body_size = 1000000\n', '1000000'),
    ('use = egg:waitress#main\n', str(1 << 30)),                      # waitress's own default: 1 GiB
])
def test_an_endpoint_cap_not_below_the_servers_stops_the_start(tmp_path, server, cap):
    ini = tmp_path / 'site.ini'
    ini.write_text(f'[app:main]\nuse = egg:party-archive\n\n[server:main]\n{server}')
    settings = base_settings(tmp_path, file_uri(tmp_path), **{'archive.exchange_max_package_bytes': cap})
    with pytest.raises(ValueError, match='max_request_body_size'):
        main({'__file__': str(ini), 'here': str(tmp_path)}, **settings)


def test_the_shipped_ini_files_keep_the_endpoint_below_the_server():
    from archive import settings_files
    for name in ('development.ini', 'production.ini'):
        server = settings_files.server_body_cap(f'{HERE}/{name}')
        derived = 2 * 50_000_000 + MiB                             # their max_upload_bytes, the default rule
        assert server is not None and derived < server, name


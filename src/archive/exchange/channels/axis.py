"""The national document interconnection axis ("Trục liên thông văn bản quốc gia", Art. 7.3).

Packages and status messages go out and come in as the government's SDK moves them: signed edXML,
either as files in a folder pair the axis agent serves, or over the axis web service. What comes
in goes through ``receive.accept``, the one receiving path, which reads others' packages
tolerantly (UUID DocumentIds, trace OrganIds in other forms, empty optional elements, unknown
document types, other date forms are kept as deviations on the document). A status the SDK sends
in a SOAP envelope, its ``Status`` signed alone, is unwrapped to that ``Status`` first (the
signature covers only it); a SOAP envelope signed as a whole is passed as it is.

Settings (read once into ``registry.archive_settings.axis``, ``settings.AxisSettings``):

``archive.axis_mode``
    ``folder`` or ``http``; empty: the axis is off (``carry`` raises ``Unreachable``, so the
    delivery waits and goes on paper past its attempts; ``poll`` takes nothing in).
``archive.axis_out_dir``, ``archive.axis_in_dir``
    folder mode: where packages and statuses are written for the axis, and where the axis
    puts what comes for this instance.
``archive.axis_done_dir``
    where files taken in are moved (default ``<in>/../processed``).
``archive.axis_rejected_dir``
    where refused files are moved, each with ``<name>.reason.txt`` (default ``<in>/../rejected``).
``archive.axis_url``, ``archive.axis_token_file``
    http mode: the axis web service's base URL, and a file holding the token sent with each
    call (see ``TOKEN_HEADER``; read at each call, so it can be replaced without a restart).
``archive.axis_timeout``
    seconds an HTTP call may take (30).

Folder mode. ``carry`` writes ``<yyyyMMddHHmmss>_<sender>_<receiver>_<package|status>_<sha256[:12]>.xml``
into the out folder atomically (a dot-named temporary file in the same folder, fsync, rename), so
the axis never sees half a file; the same bytes already waiting there under that tail are not
written twice (a retry after a crash). ``poll`` takes the in folder oldest first, ``PER_ROUND``
at a time, skipping dot-files, temporary names, links and folders: a file above the package size
limit is set aside unread; the others go through ``receive.accept``; accepted ones are moved to
the done folder, refused ones (not XML, not edXML, a bad signature...) to the rejected folder with
their reason, journaled on the ``exchange`` chain. A file is moved only after the receiving path
committed: a crash in between takes it in again, and the same bytes get the same receipt and
create nothing. A file that vanished meanwhile (another worker took it) is skipped.

HTTP mode: the operations of ``OPERATIONS``; the answer to a send is the axis's id for the
message (``handed_over``; status 01 comes back later through the axis). 2xx is handed over, a
4xx or an answer ``status: FAIL`` is a refusal, a 5xx or no answer is tried again later. ``poll``
lists what waits for this instance, gets each, passes it through the receiving path and
acknowledges it: ``done``, or ``fail`` with the refusal's code and reason. What cannot be
acknowledged is listed again next round and answered the same way.
"""
import base64
import hashlib
import json
import logging
import os
import re
import urllib.error
import urllib.request
import uuid
from contextlib import suppress

from ... import clock
from .. import receive
from ..safexml import PackageError
from . import Refused, Unreachable, kind_of
from ...db import run_apart

log = logging.getLogger(__name__)

ROUTE = 'axis'
PER_ROUND = 100                 # files or items taken in per worker round

# The axis web service as the government's SDK calls it. [S] UNVERIFIED: read in a decompiled
# copy of the VXP SDK (SDKVXP 2.0.1, com.vpcp.services.KnobstickServiceImp), not in an official
# specification; correct it here. Every operation is a POST to <archive.axis_url><path> with its
# parameters as HTTP headers and a JSON answer {"status": "OK"|"FAIL", "ErrorCode", "ErrorDesc", ...}.
OPERATIONS = {
    'send': ('POST', '/sendEdoc'),                  # body: the edXML; headers from, to, servicetype,
                                                    # messagetype, hash-file; answer DocId
    'pending': ('POST', '/getReceivedEdocList'),    # headers servicetype, messagetype;
                                                    # answer data: [{docId, from, to, messageType, ...}]
    'get': ('POST', '/getEdoc'),                    # header docId; answer data: the edXML, base64
    'acknowledge': ('POST', '/updateStatus'),       # headers docId, status (ACKNOWLEDGE); our body:
                                                    # {"code", "reason"} of a refusal
}
SERVICE_TYPE = 'eDoc'                                       # servicetype header [S]
MESSAGE_TYPES = {'package': 'edoc', 'status': 'status'}     # messagetype header [S]
ACKNOWLEDGE = {True: 'done', False: 'fail'}                 # updateStatus status: taken in / refused [S]
# [S] The SDK signs its headers with HMAC-SHA256 of a secret and its system id (XroadVnpt-* headers);
# here the token file's content goes in one header, until the axis operator says what it expects.
TOKEN_HEADER, TOKEN_FORMAT = 'Authorization', 'Bearer {token}'

_TEMPORARY = ('.tmp', '.part', '.partial', '.filepart', '.crdownload', '~')
_UNSAFE = re.compile(r'[^A-Za-z0-9.-]+')
MESSAGES = {        # code: (Vietnamese, English); the refusals this channel makes itself
    'axis_bad_transfer': ('Trục liên thông trả về dữ liệu không giải mã được (base64)',
                          'the axis answered data that is not valid base64'),
}


class _Oversized(Unreachable):
    """The axis answered more than the package size limit allows."""


def _token(config):
    if not config.token_file:
        return ''
    try:
        with open(config.token_file, encoding='utf-8') as f:
            return f.read().strip()
    except OSError as exc:
        raise Unreachable(f'archive.axis_token_file {config.token_file}: {exc.strerror or exc}') from None


def carry(registry, address, data, kind, meta):
    """The channel interface: hand ``data`` to the axis for ``address`` (the receiver's axis id)."""
    config = registry.archive_settings.axis
    data = bytes(data)
    if config.mode == 'folder' and config.out_dir:
        return _drop(config.out_dir, data, kind, meta, address)
    if config.mode == 'http' and config.url:
        return _send(config, address, data, kind, meta)
    raise Unreachable('axis not configured')


def poll(registry):
    """The channel interface: take in what the axis holds for this instance; how many items."""
    config = registry.archive_settings.axis
    if config.mode == 'folder' and config.in_dir:
        return _poll_folder(registry, config)
    if config.mode == 'http' and config.url:
        return _poll_http(registry, config)
    return 0


# ---------------------------------------------------------------- taking in (both modes)

def _intake(registry, data):
    """``None`` when the receiving path took ``data`` in, its ``Refused`` otherwise."""
    kind = kind_of(data)
    try:
        receive.accept(registry, data, ROUTE, kind)
    except Refused as exc:
        return exc
    return None


def _refused_unread(registry, code, message_vi, message_en, **facts):
    """A refusal the receiving path never saw (too large to read, not decodable): journaled
    here as it would have journaled it."""
    from pyramid.threadlocal import manager
    refused = Refused(code, message_vi, message_en)
    manager.push({'registry': registry, 'request': None})
    try:
        run_apart(registry, lambda root: receive.refusal(root, code, message_vi, None, route=ROUTE, **facts))
    finally:
        manager.pop()
    return refused


def _too_large(registry, limit, size=None, **facts):
    error = PackageError('too_large', f'{size} > {limit} bytes' if size else f'more than {limit} bytes')
    return _refused_unread(registry, error.code, error.message, error.message_en, **facts)


# ---------------------------------------------------------------- folder mode

def _safe(text):
    return _UNSAFE.sub('-', str(text or '')).strip('-.')[:60] or 'x'


def _drop(folder, data, kind, meta, address):
    sha256 = hashlib.sha256(data).hexdigest()
    tail = f'_{_safe(meta.get("sender"))}_{_safe(address)}_{kind}_{sha256[:12]}.xml'
    try:
        name = _waiting_copy(folder, tail, data)
        if name is None:
            name = clock.now().strftime('%Y%m%d%H%M%S') + tail
            _write_atomically(folder, name, data)
    except OSError as exc:
        raise Unreachable(f'axis folder {folder}: {exc.strerror or exc}') from None
    return {'handed_over': ROUTE, 'file': name, 'sha256': sha256, 'at': clock.iso(clock.now())}


def _waiting_copy(folder, tail, data):
    """The name of these very bytes already written and not yet taken by the axis, or None."""
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.endswith(tail) and not entry.name.startswith('.') \
                    and entry.is_file(follow_symlinks=False):
                with suppress(FileNotFoundError), open(entry.path, 'rb') as f:
                    if f.read(len(data) + 1) == data:
                        return entry.name
    return None


def _write_atomically(folder, name, data):
    temporary = os.path.join(folder, f'.{name}.{uuid.uuid4().hex[:8]}.tmp')
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o660)
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, os.path.join(folder, name))
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_folder(folder)


def _fsync_folder(folder):
    with suppress(OSError):             # not every file system lets a folder be opened
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _waiting(name):
    return not name.startswith('.') and not name.endswith(_TEMPORARY)


def _poll_folder(registry, config):
    found = []
    try:
        with os.scandir(config.in_dir) as entries:
            for entry in entries:
                if _waiting(entry.name) and entry.is_file(follow_symlinks=False):
                    with suppress(FileNotFoundError):
                        found.append((entry.stat(follow_symlinks=False).st_mtime, entry.name))
    except FileNotFoundError:
        log.warning('axis in folder %s does not exist', config.in_dir)
        return 0
    return sum(_take_file(registry, config, name) for _at, name in sorted(found)[:PER_ROUND])


def _take_file(registry, config, name):
    path = os.path.join(config.in_dir, name)
    limit = receive.limits_of(registry.archive_settings).max_package_bytes
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, 'O_NOFOLLOW', 0))
    except FileNotFoundError:
        return 0                    # another worker took it
    except OSError as exc:          # replaced by a link meanwhile, unreadable: left where it is
        log.warning('axis file %s not read: %s', name, exc)
        return 0
    with os.fdopen(fd, 'rb') as f:
        size = os.fstat(f.fileno()).st_size
        data = f.read(limit + 1) if size <= limit else b''
    if size > limit or len(data) > limit:
        refused = _too_large(registry, limit, max(size, len(data)), file=name)
    else:
        try:
            refused = _intake(registry, data)
        except Exception:           # the database, not the file: tried again next round
            log.exception('axis file %s not taken in; tried again next round', name)
            return 0
    try:
        if refused is None:
            _move(path, config.done_dir, name)
        else:
            _set_aside(path, config.rejected_dir, name, refused)
    except OSError:         # left in place: taken again next round, answered the same way
        log.exception('axis file %s handled but not moved', name)
    return 1


def _free_name(folder, name):
    candidate, n = name, 1
    while os.path.lexists(os.path.join(folder, candidate)) or \
            os.path.lexists(os.path.join(folder, candidate + '.reason.txt')):
        n += 1
        candidate = f'{name}.{n}'
    return candidate


def _move(path, folder, name):
    os.makedirs(folder, exist_ok=True)
    target = _free_name(folder, name)
    with suppress(FileNotFoundError):           # another worker moved it first
        os.replace(path, os.path.join(folder, target))
    return target


def _set_aside(path, folder, name, refused):
    """The refused file moves to ``folder`` with ``<name>.reason.txt``: code, both messages, time."""
    os.makedirs(folder, exist_ok=True)
    target = _free_name(folder, name)
    reason = (f'file: {name}\ncode: {refused.code}\nat: {clock.iso(clock.now())}\n'
              f'vi: {refused.message_vi}\nen: {refused.message_en or refused.message_vi}\n')
    _write_atomically(folder, target + '.reason.txt', reason.encode('utf-8'))
    with suppress(FileNotFoundError):
        os.replace(path, os.path.join(folder, target))


# ---------------------------------------------------------------- http mode

def _sdk_hash(data):
    """The ``hash-file`` header as the SDK writes it: SHA-256, each byte in hex without its
    leading zero [S]."""
    return ''.join(format(b, 'x') for b in hashlib.sha256(data).digest())


def _call(config, operation, headers, body=b'', limit=1 << 20):
    """One operation of the axis web service: its JSON answer (a dict), or ``Refused`` (a 4xx or
    ``status: FAIL``) or ``Unreachable`` (no answer, a 5xx)."""
    method, path = OPERATIONS[operation]
    url = config.url + path
    headers = {'servicetype': SERVICE_TYPE, 'Accept': 'application/json', 'Content-Type': 'application/json',
               **headers}
    token = _token(config)
    if token:
        headers[TOKEN_HEADER] = TOKEN_FORMAT.format(token=token)
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=config.timeout) as answer:
            raw = answer.read(limit + 1)
    except urllib.error.HTTPError as exc:
        if 400 <= exc.code < 500:
            said = _json(exc.read(1 << 16))
            raise Refused(str(said.get('ErrorCode') or f'http_{exc.code}'),
                          str(said.get('ErrorDesc') or exc.reason)) from None
        raise Unreachable(f'HTTP {exc.code} from {url}') from None
    except (urllib.error.URLError, OSError) as exc:
        raise Unreachable(f'{url}: {getattr(exc, "reason", exc)}') from None
    if len(raw) > limit:
        raise _Oversized(f'{url}: an answer above {limit} bytes')
    said = _json(raw)
    if str(said.get('status', '')).upper() == 'FAIL':
        raise Refused(f'axis_{said.get("ErrorCode") or "fail"}', str(said.get('ErrorDesc') or 'FAIL'))
    return said


def _json(raw):
    try:
        said = json.loads(raw or b'{}')
    except ValueError:
        return {}
    return said if isinstance(said, dict) else {}


def _send(config, address, data, kind, meta):
    said = _call(config, 'send', {'Content-Type': 'application/octet-stream', 'from': meta.get('sender') or '',
                                  'to': json.dumps([address]), 'messagetype': MESSAGE_TYPES[kind],
                                  'hash-file': _sdk_hash(data)}, data)
    return {'handed_over': ROUTE, 'axis_id': str(said.get('DocId') or '') or None,
            'sha256': hashlib.sha256(data).hexdigest(), 'at': clock.iso(clock.now())}


def _poll_http(registry, config):
    handled = 0
    for message_type in MESSAGE_TYPES.values():
        try:
            said = _call(config, 'pending', {'messagetype': message_type})
        except (Refused, Unreachable) as exc:
            log.warning('axis: the %s list is not available: %s', message_type, exc)
            continue
        items = [item for item in said.get('data') or [] if isinstance(item, dict) and item.get('docId')]
        for item in items[:PER_ROUND]:
            handled += _take_item(registry, config, str(item['docId']))
    return handled


def _take_item(registry, config, axis_id):
    limit = receive.limits_of(registry.archive_settings).max_package_bytes
    try:
        said = _call(config, 'get', {'docId': axis_id}, limit=limit * 4 // 3 + (1 << 16))
    except _Oversized:
        refused = _too_large(registry, limit, axis_id=axis_id)
    except (Refused, Unreachable) as exc:
        log.warning('axis: %s not fetched: %s', axis_id, exc)
        return 0
    else:
        try:
            data = base64.b64decode(str(said.get('data') or ''), validate=True)
        except ValueError:
            vi, en = MESSAGES['axis_bad_transfer']
            refused = _refused_unread(registry, 'axis_bad_transfer', vi, en, axis_id=axis_id)
        else:
            if len(data) > limit:
                refused = _too_large(registry, limit, len(data), axis_id=axis_id)
            else:
                try:
                    refused = _intake(registry, data)
                except Exception:
                    log.exception('axis: %s not taken in; tried again next round', axis_id)
                    return 0
    body = b'' if refused is None else json.dumps(
        {'code': refused.code, 'reason': refused.message_vi, 'reason_en': refused.message_en},
        ensure_ascii=False).encode('utf-8')
    try:
        _call(config, 'acknowledge', {'docId': axis_id, 'status': ACKNOWLEDGE[refused is None]}, body)
    except (Refused, Unreachable) as exc:
        log.warning('axis: %s not acknowledged (it comes again, answered the same): %s', axis_id, exc)
    return 1

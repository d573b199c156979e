"""What every console script shares: arguments, bootstrap, a plain word on a locked FileStorage."""
import argparse
import contextlib
import json
import sys

import colander
import transaction
from pyramid.paster import bootstrap, setup_logging

from .. import StorageLocked
from ..errors import Conflict, field_errors
from ..resources.root import root_key

EXIT_LOCKED = 3
EXIT_INPUT = 2


def parser(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument('config_uri', help='the .ini file, e.g. development.ini')
    return p


def fail(message, code=EXIT_INPUT):
    print(message, file=sys.stderr)
    raise SystemExit(code)


@contextlib.contextmanager
def opened(config_uri):
    """Bootstrap the app; yield (root, registry); close everything after."""
    setup_logging(config_uri)
    try:
        env = bootstrap(config_uri)
    except StorageLocked:
        fail('Cơ sở dữ liệu (FileStorage) đang bị khóa: máy chủ đang chạy trên cùng tệp dữ liệu. '
             'Hãy dừng máy chủ, hoặc chuyển sang ZEO để chạy lệnh song song.\n'
             'The FileStorage is locked by another process (is the server running?). '
             'Stop it, or use ZEO (zodbconn.uri = zeo://...) to run commands beside the server.',
             EXIT_LOCKED)
    registry = env['registry']
    try:
        from pyramid_zodbconn import get_connection
        conn = get_connection(env['request'])
        yield conn.root()[root_key(registry)], registry
    finally:
        env['closer']()
        registry._zodb_databases[''].close()


@contextlib.contextmanager
def writing(dry_run=False):
    """Commit what the block wrote, or abort it on --dry-run or on error; report input errors plainly."""
    try:
        yield
    except colander.Invalid as exc:
        transaction.abort()
        lines = [f"  {e['field'] or '-'}: {e['message']} [{e['code']}]" for e in field_errors(exc, _interpolate)]
        fail('Dữ liệu không hợp lệ / invalid input:\n' + '\n'.join(lines))
    except Conflict as exc:
        transaction.abort()
        fail(f'{exc.message} [{exc.code}]')
    if dry_run:
        transaction.abort()
        print('(--dry-run: không ghi gì / nothing written)')
    else:
        transaction.commit()


def _interpolate(msg):
    return msg.interpolate() if hasattr(msg, 'interpolate') else str(msg)


def print_json(data):
    print(json.dumps(data, ensure_ascii=False, indent=2))

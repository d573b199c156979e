"""What every console script shares: arguments, the start-up without the pages (``archive.startup``:
settings, key store, database, workflows), a plain word on a locked or unprepared database."""
import argparse
import contextlib
import json
import os
import sys

import colander
import transaction
from pyramid.config import Configurator
from pyramid.paster import get_appsettings, setup_logging
from pyramid.threadlocal import manager

from .. import startup
from ..background import NO_THREADS_ENV
from ..errors import Conflict, field_errors
from ..i18n import translate
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


class Session:
    """What a script works with: the root, the registry, and its own transaction manager."""

    def __init__(self, root, registry, tm):
        self.root = root
        self.registry = registry
        self.tm = tm

    def __iter__(self):
        return iter((self.root, self.registry))


@contextlib.contextmanager
def started(config_uri, locked_raises=False):
    """What a script needs started (``archive.startup``: not the pages, not ``main()``); yields
    the registry, its database closed after. A FileStorage held by the server stops the script
    with a message, or raises ``startup.StorageLocked`` (``locked_raises``: a script that has
    something else to do then, and says it)."""
    os.environ[NO_THREADS_ENV] = '1'      # a script never starts the server's background threads
    setup_logging(config_uri)
    config = Configurator(settings=get_appsettings(config_uri))
    try:
        config.include(startup)
        config.commit()
    except startup.StorageLocked:
        if locked_raises:
            raise
        fail('Cơ sở dữ liệu (FileStorage) đang bị khóa: máy chủ đang chạy trên cùng tệp dữ liệu. '
             'Hãy dừng máy chủ, hoặc chuyển sang ZEO để chạy lệnh song song.\n'
             'The FileStorage is locked by another process (is the server running?). '
             'Stop it, or use ZEO (zodbconn.uri = zeo://...) to run commands beside the server.',
             EXIT_LOCKED)
    registry = config.registry
    manager.push({'registry': registry, 'request': None})   # what fire() and the channels read
    try:
        yield registry
    finally:
        manager.pop()
        startup.close(registry)


@contextlib.contextmanager
def opened(config_uri, locked_raises=False):
    """``started``, on a database ``archive-init`` has prepared; yields a ``Session`` (unpacks to
    root, registry) with a transaction manager of its own, aborted after."""
    with started(config_uri, locked_raises) as registry:
        try:
            startup.check_prepared(registry)
        except startup.NotPrepared as exc:
            fail(str(exc))          # (closed twice on the way out: harmless)
        tm = transaction.TransactionManager()
        conn = registry._zodb_databases[''].open(transaction_manager=tm)
        try:
            yield Session(conn.root()[root_key(registry)], registry, tm)
        finally:
            tm.abort()
            conn.close()


@contextlib.contextmanager
def writing(session, dry_run=False):
    """Commit what the block wrote, or abort it on --dry-run or on error; report input errors plainly."""
    try:
        yield
    except colander.Invalid as exc:
        session.tm.abort()
        lines = [f"  {e['field'] or '-'}: {e['message']} [{e['code']}]" for e in field_errors(exc, translate)]
        fail('Dữ liệu không hợp lệ / invalid input:\n' + '\n'.join(lines))
    except Conflict as exc:
        session.tm.abort()
        fail(f'{translate(exc.message)} [{exc.code}]')
    if dry_run:
        session.tm.abort()
        print('(--dry-run: không ghi gì / nothing written)')
    else:
        session.tm.commit()


def print_json(data):
    print(json.dumps(data, ensure_ascii=False, indent=2))

"""What the server and every console script set up before anything else: the typed settings, the
key store, the password cost, the database and the workflows — and preparing the database, which
only ``archive-init`` does (a server never writes at start-up).

``config.include('archive.startup')`` gives a registry that can open the database and fire a
transition; ``main()`` adds the pages and the API on top of it, the scripts nothing.
"""
import logging
import os

import chameleon.loader
import chameleon.template
import transaction
import zc.lockfile
from pyramid.config import Configurator
from pyramid.threadlocal import manager

from . import settings as archive_settings
from .db import database, ensure_root, find_classes_once
from .evolve import evolve, pending
from .resources.root import root_key
from .signing.keys import open_keystore as _open
from .seed import write_demo_passphrase
from .resources.users import configure_hasher
from .seed import seed_demo

log = logging.getLogger(__name__)


class StorageLocked(RuntimeError):
    """The FileStorage is held by another process (a running server)."""


class NotPrepared(RuntimeError):
    """The database has no root yet, or evolve steps it has not run: ``archive-init`` first."""


def includeme(config):
    loaded = getattr(config.registry, 'archive_settings', None)     # main() checks them first
    if loaded is None:
        loaded = config.registry.archive_settings = archive_settings.load(config.registry.settings)
    _template_cache(loaded.template_cache_dir)
    _password_cost(loaded)
    config.registry.archive_keystore = loaded.keystore = open_keystore(config.registry.settings, loaded)
    try:
        config.include('pyramid_zodbconn')
    except zc.lockfile.LockError as exc:
        raise StorageLocked(str(exc)) from exc
    for db in config.registry._zodb_databases.values():
        find_classes_once(db)
    config.include('.workflow.loader')


def open_keystore(settings, loaded):
    """The key store the .ini names (``archive.keystore``), opened once; ``None`` without one.

    A demo installation (``archive.demo_seed``) gets its passphrase file written if missing."""
    if not loaded.keystore_kind:
        return None
    if loaded.demo_seed:
        write_demo_passphrase(loaded.keystore_passphrase_file)
    store = _open(settings, scrypt_n=loaded.keystore_scrypt_n)
    store.unlock()          # a wrong PIN or passphrase stops the start, not the first signature
    return store


def _password_cost(loaded):
    configure_hasher(loaded.password_time_cost, loaded.password_memory_kib)


def _template_cache(folder):
    """Keep Chameleon's compiled templates on disk, so a restarted server's first page is not
    spent compiling them (1.7 s of CPU for the document page's eight templates).

    Chameleon reads CHAMELEON_CACHE once, when first imported, and by the time this runs deform
    (imported with the schemas) has imported it: setting the variable here did nothing, and every
    server compiled every page again. The folder is given to its template class instead. A
    process that chose a cache in its environment (the tests: one for the run) keeps it."""
    if folder and not os.environ.get('CHAMELEON_CACHE'):
        os.makedirs(folder, exist_ok=True)
        chameleon.template.BaseTemplate.loader = chameleon.loader.ModuleLoader(folder)


def prepare_database(registry, demo=False, dry_run=False):
    """``archive-init``: create the root if missing, seed the demo into a new one if asked (or if
    ``archive.demo_seed``), run the pending evolve steps. Returns what it did (``created``,
    ``seeded``, ``steps``) and what the root then holds; on ``dry_run`` nothing is committed."""
    tm = transaction.TransactionManager()
    conn = database(registry).open(transaction_manager=tm)
    manager.push({'registry': registry, 'request': None})   # the workflows the seed fires
    try:
        tm.begin()
        root, created = ensure_root(conn, root_key(registry))
        seeded = False
        if (demo or registry.archive_settings.demo_seed) and not len(root['bodies']):
            seed_demo(root, registry.archive_settings, registry.archive_keystore)
            seeded = True
            log.info('demo data seeded')
        done = {'created': created, 'seeded': seeded, 'steps': evolve(root, dry_run=dry_run),
                'bodies': len(root['bodies']), 'users': len(root['users']),
                'evolved': len(root.evolved)}
        tm.abort() if dry_run else tm.commit()
        return done
    except BaseException:
        tm.abort()
        raise
    finally:
        manager.pop()
        conn.close()


def prepare(settings, demo=False):
    """``prepare_database`` from a settings dict, in this process (the tests' template databases,
    the benchmarks): started as a script starts, prepared, closed. Returns what it did."""
    config = Configurator(settings=settings)
    config.include(__name__)
    config.commit()
    try:
        return prepare_database(config.registry, demo=demo)
    finally:
        close(config.registry)


def close(registry):
    """Close what ``includeme`` opened: the database and the key store."""
    registry._zodb_databases[''].close()
    if registry.archive_keystore is not None:
        registry.archive_keystore.close()


def check_prepared(registry):
    """Refuse to serve a database ``archive-init`` has not prepared (no root, or evolve steps
    not run): pages would meet data of an older shape. Reads only; closes all on refusing."""
    conn = database(registry).open(transaction_manager=transaction.TransactionManager())
    try:
        root = conn.root().get(root_key(registry))
        missing = ['(root)'] if root is None else [name for name, _fn in pending(root)]
    finally:
        conn.close()
    if missing:
        close(registry)       # the refusing process lets go of the FileStorage's lock
        raise NotPrepared(
            'Cơ sở dữ liệu chưa được khởi tạo hoặc còn bước nâng cấp chưa chạy ('
            + ', '.join(missing) + '): hãy chạy `archive-init <tệp .ini>` trước khi khởi động. / '
            'The database is not prepared (' + ', '.join(missing) + '): run `archive-init <ini>` first.')

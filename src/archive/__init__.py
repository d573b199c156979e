"""The electronic document exchange and records archive for party bodies."""
import logging

import transaction
import zc.lockfile
from pyramid.config import Configurator

from . import settings as archive_settings

log = logging.getLogger(__name__)


class StorageLocked(RuntimeError):
    """The FileStorage is held by another process (a running server)."""


def main(global_config, **settings):
    """Build the WSGI application."""
    settings.setdefault('tm.commit_veto', 'pyramid_tm.default_commit_veto')
    settings.setdefault('tm.manager_hook', 'pyramid_tm.explicit_manager')
    with Configurator(settings=settings, root_factory='.resources.root.root_factory') as config:
        config.registry.archive_settings = archive_settings.load(settings)
        _template_cache(config.registry.archive_settings.template_cache_dir)
        archive_settings.check_below_server(config.registry.archive_settings, global_config)
        _password_cost(config.registry.archive_settings)
        config.registry.archive_keystore = open_keystore(settings, config.registry.archive_settings)
        config.registry.archive_settings.keystore = config.registry.archive_keystore
        config.include('pyramid_chameleon')
        config.include('pyramid_tm')
        config.include('pyramid_retry')
        try:
            config.include('pyramid_zodbconn')
        except zc.lockfile.LockError as exc:
            raise StorageLocked(str(exc)) from exc
        config.include('.i18n')
        config.include('.views.policy')
        config.include('.views.session')
        config.include('.workflow.loader')
        config.include('.views')
        config.include('.api')
        config.include('.exchange.endpoint')
        config.scan('.views')
        config.scan('.api')
        app = config.make_wsgi_app()
    prepare_database(config.registry)
    from .background import start_threads
    start_threads(config.registry)
    return app


def open_keystore(settings, loaded):
    """The key store the .ini names (``archive.keystore``), opened once; ``None`` without one.

    A demo installation (``archive.demo_seed``) gets its passphrase file written if missing."""
    if not loaded.keystore_kind:
        return None
    from .signing.keys import open_keystore as _open
    if loaded.demo_seed:
        from .seed import write_demo_passphrase
        write_demo_passphrase(loaded.keystore_passphrase_file)
    store = _open(settings, scrypt_n=loaded.keystore_scrypt_n)
    store.unlock()          # a wrong PIN or passphrase stops the start, not the first signature
    return store


def _password_cost(loaded):
    from .resources.users import configure_hasher
    configure_hasher(loaded.password_time_cost, loaded.password_memory_kib)


def _template_cache(folder):
    """Keep Chameleon's compiled templates on disk, so a restarted server's first page is
    not spent compiling (Chameleon reads CHAMELEON_CACHE when it is first imported)."""
    import os
    import sys
    if folder and 'chameleon' not in sys.modules:
        os.makedirs(folder, exist_ok=True)
        os.environ.setdefault('CHAMELEON_CACHE', folder)


def prepare_database(registry):
    """Create the root on first start, seed the demo if asked, run pending evolve steps."""
    from .db import database, ensure_root
    from .evolve import evolve
    from .resources.root import root_key
    from pyramid.threadlocal import manager
    tm = transaction.TransactionManager()
    conn = database(registry).open(transaction_manager=tm)
    manager.push({'registry': registry, 'request': None})
    try:
        with tm:
            root, created = ensure_root(conn, root_key(registry))
            if created and registry.archive_settings.demo_seed:
                from .seed import seed_demo
                seed_demo(root, registry.archive_settings, getattr(registry, 'archive_keystore', None))
                log.info('demo data seeded')
            evolve(root)
    finally:
        manager.pop()
        conn.close()

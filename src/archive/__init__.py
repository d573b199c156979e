"""The electronic document exchange and records archive for party bodies."""
from pyramid.config import Configurator

from . import settings as archive_settings
from . import settings_files
from .background import start_threads
from .startup import StorageLocked, check_prepared  # noqa: F401 (StorageLocked: the scripts' word)


def main(global_config, **settings):
    """The WSGI application: includes and scan. It writes nothing: ``archive-init`` prepares the
    database (``startup.prepare_database``) and a server refuses one not prepared."""
    settings.setdefault('tm.commit_veto', 'pyramid_tm.default_commit_veto')
    settings.setdefault('tm.manager_hook', 'pyramid_tm.explicit_manager')
    with Configurator(settings=settings, root_factory='.resources.root.root_factory') as config:
        config.registry.archive_settings = archive_settings.load(settings)
        settings_files.check_below_server(config.registry.archive_settings, global_config)
        config.include('.startup')        # key store, database, workflows
        for part in ('pyramid_chameleon', 'pyramid_tm', 'pyramid_retry', '.i18n', '.views.policy',
                     '.views.session', '.views', '.api', '.exchange.endpoint'):
            config.include(part)
        config.scan('.views')
        config.scan('.api')
        app = config.make_wsgi_app()
    check_prepared(config.registry)
    start_threads(config.registry)
    return app

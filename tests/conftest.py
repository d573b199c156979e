"""Fixtures: the real app on a temporary FileStorage with blobs, and the same on a real
ZEO server started on loopback; WebTest clients logged in as the demo users.

Cheap fixtures, real storage: the demo is seeded for real once per template (once per test
process for the usual settings) and each test gets a copy of that database, its blobs and its
key store (``make_app``); on ZEO the template's root is imported into the session's server under
the test's own root key. Key derivation and password hashing run with the cheap costs of
``TEST_COSTS`` (real settings; production keeps their defaults). The ZEO variant runs for the
tests marked ``storage`` (transactions, conflicts, blobs, background work); page tests run once,
on a FileStorage."""
import atexit
import glob
import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid

import pytest
import transaction
import webtest


def _template_cache():
    """Compiled page templates kept on disk for the run, as ``archive.template_cache_dir`` keeps
    them for a server: each test's app would compile them again (Chameleon reads CHAMELEON_CACHE
    when first imported; xdist workers inherit the folder, Chameleon writes it atomically)."""
    if 'CHAMELEON_CACHE' not in os.environ:
        folder = tempfile.mkdtemp(prefix='archive-chameleon-')
        atexit.register(shutil.rmtree, folder, True)
        os.environ['CHAMELEON_CACHE'] = folder


_template_cache()

from archive import main  # noqa: E402
from archive.seed import HOST  # noqa: E402

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = 'demo-mat-khau-2026'
# A FileStorage is the test's own: its root has one fixed key (the template's, so that a copied
# Data.fs is found). A ZEO server may be shared by the tests of a session: a root key each there.
FILE_ROOT_KEY = 'archive-test'
# What stretching secrets costs in the tests (settings.py): scrypt's n for the key store's keys,
# argon2id's passes and memory for passwords. Production keeps the defaults (2^15; 3, 64 MiB).
TEST_COSTS = {'archive.keystore_scrypt_n': '16', 'archive.password_time_cost': '1',
              'archive.password_memory_kib': '1024'}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """The slow tests run in groups (``make test``: ``-n 2 --dist loadgroup``): the end-to-end
    tests one after another on one worker (two pairs of servers at once starve each other past
    their waits), every other slow module (the browser walks, CLI processes, the SIGKILL export)
    whole on whichever worker is free, its module fixtures started once. xdist hands out the
    largest groups first; the other tests, each a group of its own, fill the cores around them.
    First of the hooks: xdist's own reads the groups in this same hook on each worker, and a group
    added after it is ignored (every slow module then ran on all the workers at once, each
    starting its own servers)."""
    for item in items:
        if item.get_closest_marker('slow') is not None:
            module = item.nodeid.split('::', 1)[0]
            item.add_marker(pytest.mark.xdist_group('e2e' if module.startswith('tests/e2e/') else module))


def base_settings(tmp_path, uri, **extra):
    settings = {
        'zodbconn.uri': uri,
        'retry.attempts': '3',
        'pyramid.default_locale_name': 'vi',
        'archive.secret': 'test-secret-' + 'x' * 40,
        'archive.demo_seed': 'true',
        'archive.demo_password': PASSWORD,
        'archive.root_key': FILE_ROOT_KEY if uri.startswith('file://') else 'archive-' + uuid.uuid4().hex,
        'archive.workflows_dir': os.path.join(HERE, 'workflows'),
        'archive.schemas_dir': os.path.join(HERE, 'schemas'),
        'archive.max_upload_bytes': str(256 * 1024),
        'archive.document_types': 'NQ Nghị quyết\nQĐ Quyết định\nQĐi Quy định\nHD Hướng dẫn\n'
                                  'TTr Tờ trình\nCV Công văn\nBC Báo cáo\nTB Thông báo',
        **TEST_COSTS,
    }
    if 'archive.keystore' not in extra:
        # a software key store of the test's own (the demo seed writes its passphrase file and keys)
        settings.update({'archive.keystore': 'software',
                         'archive.keystore_dir': os.path.join(str(tmp_path), 'keys'),
                         'archive.keystore_passphrase_file': os.path.join(str(tmp_path), 'keystore.pass')})
    settings.update({k: v for k, v in extra.items() if v is not None})
    return settings


def file_uri(tmp_path):
    return f"file://{tmp_path}/Data.fs?blobstorage_dir={tmp_path}/blobs"


# -- the seeded template ----------------------------------------------------------------------

# Settings that cannot change what the demo seed writes: where this instance keeps its files, and
# what runs after the start or answers a request (background threads, delivery, mail, the axis,
# sessions, held uploads, the search index, transfers). Any other setting differing makes a
# template of its own (a demo seed, ~2.4 s of CPU); the template is built with these left out.
# The seed (seed.seed_demo) reads none of them: a test's own axis folders made a seed per test.
NOT_SEEDING = frozenset({
    'zodbconn.uri', 'archive.keystore_dir', 'archive.keystore_passphrase_file', 'archive.root_key',
    'retry.attempts', 'archive.background', 'archive.exchange_worker', 'archive.exchange_poll_seconds',
    'archive.journal_checkpoint_minutes', 'archive.journal_export_dir', 'archive.pack_interval_hours',
    'archive.pack_days', 'archive.delivery_retry_seconds', 'archive.delivery_retry_cap_seconds',
    'archive.delivery_max_attempts', 'archive.smtp_host', 'archive.smtp_port', 'archive.smtp_timeout',
    'archive.mail_from', 'archive.mail_intake', 'archive.notify_mail', 'archive.digest_hour',
    'archive.backup_destinations', 'archive.backup_keep_sets', 'archive.backup_full_days',
    'archive.backup_interval_hours', 'archive.backup_max_age_hours', 'archive.backup_datafs',
    'archive.axis_mode', 'archive.axis_out_dir', 'archive.axis_in_dir', 'archive.axis_done_dir',
    'archive.axis_rejected_dir', 'archive.axis_url', 'archive.axis_token_file', 'archive.axis_timeout',
    'archive.exchange_max_package_bytes', 'archive.session_lifetime_seconds',
    'archive.session_idle_seconds', 'archive.session_refresh_seconds', 'archive.upload_hold_dir',
    'archive.upload_hold_minutes', 'archive.upload_hold_bytes', 'archive.search_index_dir',
    'archive.search_indexer', 'archive.transfer_dir'})
# Settings naming files the seed reads (the demo's signed letter is verified against the trust
# roots): a template follows what those files hold, not where a test keeps its copy.
BY_CONTENT = frozenset({'archive.trust_roots', 'archive.crls'})
_templates = {}     # seeding settings -> Template, for this process (each xdist worker has its own)


def _contents(pattern):
    """What the files a glob setting names hold (their SHA-256, in order)."""
    digests = []
    for path in glob.glob(pattern or ''):
        with open(path, 'rb') as f:
            digests.append(hashlib.sha256(f.read()).hexdigest())
    return tuple(sorted(digests))


class Template:
    """A database seeded for real by ``archive-init``'s own function (``initialise``), closed, kept
    in a folder of this process: the Data.fs and its index, the blobs, the key store and its
    passphrase file."""

    def __init__(self, seeding, folder):
        self.folder = folder
        self.keystore = seeding.get('archive.keystore')
        settings = dict(seeding)
        settings['zodbconn.uri'] = file_uri(folder)
        settings['archive.root_key'] = FILE_ROOT_KEY
        if self.keystore:
            settings['archive.keystore_dir'] = os.path.join(folder, 'keys')
            settings['archive.keystore_passphrase_file'] = os.path.join(folder, 'keystore.pass')
        initialise(settings)
        self._export = None

    def copy_files(self, folder):
        """The database as the test's own FileStorage in ``folder`` (root key FILE_ROOT_KEY)."""
        os.makedirs(folder, exist_ok=True)
        for name in ('Data.fs', 'Data.fs.index'):
            if os.path.exists(os.path.join(self.folder, name)):
                shutil.copy2(os.path.join(self.folder, name), os.path.join(folder, name))
        shutil.copytree(os.path.join(self.folder, 'blobs'), os.path.join(folder, 'blobs'))

    def copy_keys(self, settings):
        if self.keystore:
            shutil.copytree(os.path.join(self.folder, 'keys'), settings['archive.keystore_dir'])
            shutil.copy2(os.path.join(self.folder, 'keystore.pass'),
                         settings['archive.keystore_passphrase_file'])

    def import_root(self, uri, key):
        """The template's root imported (ZODB export/import, blobs included) under ``key`` into
        the database at ``uri``: a ZEO server shared by the session's tests."""
        if self._export is None:
            self._export = os.path.join(self.folder, 'root.zexp')
            db = _open_db(file_uri(self.folder))
            try:
                conn = db.open()
                with open(self._export, 'wb') as f:
                    conn.exportFile(conn.root()[FILE_ROOT_KEY]._p_oid, f)
                conn.close()
            finally:
                db.close()
        db = _open_db(uri)
        try:
            tm = transaction.TransactionManager()
            conn = db.open(transaction_manager=tm)
            with tm:
                conn.root()[key] = conn.importFile(self._export)
            conn.close()
        finally:
            db.close()


def _open_db(uri):
    import ZODB
    from zodburi import resolve_uri
    factory, dbkw = resolve_uri(uri)
    return ZODB.DB(factory(), **dbkw)


def template_for(settings):
    """The template seeded with ``settings`` (those that can change the seed), or ``None`` when
    these settings are not seeded from one: no demo seed, a PKCS#11 token (its keys live on the
    token), or a passphrase from the environment."""
    if settings.get('archive.demo_seed', 'false').lower() != 'true' \
            or settings.get('archive.keystore') not in (None, '', 'software') \
            or settings.get('archive.keystore_passphrase_env'):
        return None
    seeding = {k: v for k, v in settings.items() if k not in NOT_SEEDING}
    what = {k: _contents(v) if k in BY_CONTENT else v for k, v in seeding.items()}
    key = (tuple(sorted(what.items())), _instance_of_this_test())
    if key not in _templates:
        _templates[key] = Template(seeding, tempfile.mkdtemp(prefix='template-', dir=_template_root()))
    return _templates[key]


_this_test = ['', 0]     # the test running (pytest's PYTEST_CURRENT_TEST) and the apps it seeded


def _instance_of_this_test():
    """0 for the first database a test seeds, 1 for its second…: a test's instances each get a
    template of their own, so that two instances never share keys or the demo CA (as when each
    seeded itself); the tests after it copy the same templates again."""
    test = os.environ.get('PYTEST_CURRENT_TEST', '').rsplit(' ', 1)[0]
    if test != _this_test[0]:
        _this_test[:] = [test, 0]
    _this_test[1] += 1
    return _this_test[1] - 1


def _template_root():
    """This process's folder of templates, removed when it exits."""
    if not hasattr(_template_root, 'folder'):
        _template_root.folder = tempfile.mkdtemp(prefix='archive-templates-')
        atexit.register(shutil.rmtree, _template_root.folder, True)
    return _template_root.folder


def _file_storage_folder(uri):
    """The folder of a ``file://…/Data.fs?blobstorage_dir=…/blobs`` URI as ``file_uri`` writes it."""
    parsed = urllib.parse.urlsplit(uri)
    folder = os.path.dirname(parsed.path)
    if parsed.scheme != 'file' or os.path.basename(parsed.path) != 'Data.fs' \
            or urllib.parse.parse_qs(parsed.query).get('blobstorage_dir') != [os.path.join(folder, 'blobs')]:
        return None
    return folder


def seed_from_template(settings):
    """Before the app starts on a new FileStorage (the test's own): copy the template's database
    and key store into place. Returns whether it did (else ``initialise`` seeds as archive-init does)."""
    folder = _file_storage_folder(settings.get('zodbconn.uri', ''))
    if folder is None or settings.get('archive.root_key') != FILE_ROOT_KEY \
            or os.path.exists(os.path.join(folder, 'Data.fs')) or os.path.exists(os.path.join(folder, 'blobs')) \
            or any(os.path.exists(settings.get(k) or '') for k in ('archive.keystore_dir',
                                                                   'archive.keystore_passphrase_file')):
        return False
    template = template_for(settings)
    if template is None:
        return False
    template.copy_files(folder)
    template.copy_keys(settings)
    return True


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class ZEOServer:
    """A real ZEO server process on loopback, with its own FileStorage and blobs."""

    def __init__(self, folder):
        self.folder = folder
        self.port = free_port()
        os.makedirs(folder, exist_ok=True)
        conf = os.path.join(folder, 'zeo.conf')
        with open(conf, 'w') as f:
            f.write(f'<zeo>\n  address 127.0.0.1:{self.port}\n</zeo>\n'
                    f'<filestorage>\n  path {folder}/Data.fs\n  blob-dir {folder}/blobs\n</filestorage>\n')
        self.proc = subprocess.Popen(
            [sys.executable, '-m', 'ZEO.runzeo', '-C', conf],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(folder, 'zeo.log'), 'w'))
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(('127.0.0.1', self.port), timeout=0.5).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError('ZEO server exited; see ' + folder)
                time.sleep(0.1)
        raise RuntimeError('ZEO server did not start')

    def uri(self, client_folder):
        return (f'zeo://127.0.0.1:{self.port}?blob_dir={client_folder}/blobcache'
                f'&shared_blob_dir=false&cache_size=10MB')

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture(scope='session')
def zeo_server(tmp_path_factory):
    server = ZEOServer(str(tmp_path_factory.mktemp('zeo')))
    yield server
    server.stop()


def pytest_generate_tests(metafunc):
    """``storage_uri`` is a FileStorage; and a ZEO server too for the tests marked ``storage``."""
    if 'storage_uri' in metafunc.fixturenames:
        kinds = ['file', 'zeo'] if metafunc.definition.get_closest_marker('storage') else ['file']
        metafunc.parametrize('storage_uri', kinds, indirect=True)


@pytest.fixture
def storage_uri(request, tmp_path):
    """The test's database: a FileStorage of its own, or (tests marked ``storage``, a second
    time) the session's ZEO server."""
    if request.param == 'file':
        return file_uri(tmp_path)
    return request.getfixturevalue('zeo_server').uri(str(tmp_path))


def _main(settings):
    return main({'__file__': os.path.join(HERE, 'development.ini'), 'here': HERE}, **settings)


def initialise(settings):
    """What ``archive-init`` does, in this process: the root, the demo seed (``archive.demo_seed``)
    and the evolve steps; the server (``main()``) then refuses nothing and writes nothing."""
    from archive import startup
    startup.prepare(settings)


def make_app(settings):
    """The app; a new FileStorage of the test's own starts as a copy of the seeded template, or
    is prepared as ``archive-init`` would."""
    if not seed_from_template(settings):
        initialise(settings)
    return _main(settings)


def close_app(app):
    stop = getattr(app.registry, 'archive_background_stop', None) or \
        getattr(app.registry, 'archive_exchange_stop', None)
    if stop is not None:
        stop.set()              # the server's threads end before its database closes
    transaction.abort()
    app.registry._zodb_databases[''].close()


@pytest.fixture
def settings(tmp_path, storage_uri):
    settings = base_settings(tmp_path, storage_uri)
    if storage_uri.startswith('zeo://'):
        template = template_for(settings)      # the seeded root, under this test's root key
        template.import_root(storage_uri, settings['archive.root_key'])
        template.copy_keys(settings)
    return settings


@pytest.fixture
def app(settings):
    application = make_app(settings)
    yield application
    close_app(application)


@pytest.fixture
def file_app(tmp_path):
    """The app on a FileStorage only, for tests that need not run twice."""
    application = make_app(base_settings(tmp_path, file_uri(tmp_path)))
    yield application
    close_app(application)


class Client(webtest.TestApp):
    """A WebTest client that logs in through the real login form."""

    def login(self, login, password=PASSWORD, status=303):
        page = self.get('/login')
        form = page.forms[0]
        form['login'] = login
        form['password'] = password
        return form.submit(status=status)

    @property
    def csrf(self):
        """The session's CSRF token: read from the session this client's cookie carries, as the
        app reads it; else (no token stored there yet) from a page's form."""
        token = self._session_csrf_token()
        if token:
            return token
        page = self.get('/bodies/')
        return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)

    def _session_csrf_token(self):
        from pyramid.csrf import SessionCSRFStoragePolicy
        from pyramid.interfaces import ICSRFStoragePolicy
        from pyramid.request import Request
        registry = getattr(self.app, 'registry', None)
        policy = registry and registry.queryUtility(ICSRFStoragePolicy)
        cookies = '; '.join(f'{c.name}={c.value}' for c in self.cookiejar)
        if not isinstance(policy, SessionCSRFStoragePolicy) or not cookies:
            return None
        request = Request.blank('/', headers={'Cookie': cookies}, environ=dict(self.extra_environ))
        request.registry = registry
        try:
            return request.session.get(policy.key)    # only a token the session really holds
        except Exception:       # noqa: BLE001 - a session this cannot read: ask a page instead
            return None


def client(app, login=None):
    c = Client(app, extra_environ={'REMOTE_ADDR': '127.0.0.1'})
    if login:
        c.login(login)
    return c


@pytest.fixture
def anon(app):
    return client(app)


@pytest.fixture
def clerk(app):
    return client(app, 'vanthu')


@pytest.fixture
def leader(app):
    return client(app, 'lanhdao')


@pytest.fixture
def processor(app):
    return client(app, 'chuyenvien')


@pytest.fixture
def admin(app):
    return client(app, 'quantri')


@pytest.fixture
def other_clerk(app):
    """The clerk of another body (Ban Tổ chức)."""
    return client(app, 'vanthu.btc')


def open_root(app):
    """A connection of our own to look at what really was committed."""
    from archive.resources.root import root_key
    db = app.registry._zodb_databases['']
    tm = transaction.TransactionManager()
    conn = db.open(transaction_manager=tm)
    conn.sync()
    return conn, conn.root()[root_key(app.registry)]


HOST_CODE = HOST


def trusting_app(tmp_path, root_pem, prepare=None):
    """The app on its own FileStorage trusting one more root certificate (``archive.trust_roots``);
    ``prepare(root, app)`` runs first in a transaction of its own, committed."""
    trust = tmp_path / 'trust'
    trust.mkdir()
    (trust / 'ca.pem').write_bytes(root_pem)
    application = make_app(base_settings(tmp_path, file_uri(tmp_path), **{'archive.trust_roots': f'{trust}/*.pem'}))
    if prepare is not None:
        conn, root = open_root(application)
        try:
            prepare(root, application)
            conn.transaction_manager.commit()
        finally:
            conn.close()
    return application

"""Fixtures: the real app on a temporary FileStorage with blobs, and the same on a real
ZEO server started on loopback; WebTest clients logged in as the demo users."""
import os
import re
import socket
import subprocess
import sys
import time
import uuid

import pytest
import transaction
import webtest

from archive import main
from archive.seed import HOST

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = 'demo-mat-khau-2026'


def base_settings(tmp_path, uri, **extra):
    settings = {
        'zodbconn.uri': uri,
        'retry.attempts': '3',
        'pyramid.default_locale_name': 'vi',
        'archive.secret': 'test-secret-' + 'x' * 40,
        'archive.demo_seed': 'true',
        'archive.demo_password': PASSWORD,
        'archive.root_key': 'archive-' + uuid.uuid4().hex,
        'archive.workflows_dir': os.path.join(HERE, 'workflows'),
        'archive.schemas_dir': os.path.join(HERE, 'schemas'),
        'archive.max_upload_bytes': str(256 * 1024),
        'archive.document_types': 'NQ Nghị quyết\nQĐ Quyết định\nQĐi Quy định\nHD Hướng dẫn\n'
                                  'TTr Tờ trình\nCV Công văn\nBC Báo cáo\nTB Thông báo',
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


@pytest.fixture(params=['file', 'zeo'])
def storage_uri(request, tmp_path):
    """Functional tests run twice: on a FileStorage and on a ZEO server."""
    if request.param == 'file':
        return file_uri(tmp_path)
    return request.getfixturevalue('zeo_server').uri(str(tmp_path))


def make_app(settings):
    app = main({'__file__': os.path.join(HERE, 'development.ini'), 'here': HERE}, **settings)
    return app


def close_app(app):
    stop = getattr(app.registry, 'archive_background_stop', None) or \
        getattr(app.registry, 'archive_exchange_stop', None)
    if stop is not None:
        stop.set()              # the server's threads end before its database closes
    transaction.abort()
    app.registry._zodb_databases[''].close()


@pytest.fixture
def settings(tmp_path, storage_uri):
    return base_settings(tmp_path, storage_uri)


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
        page = self.get('/bodies/')
        return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


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

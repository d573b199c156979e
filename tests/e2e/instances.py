"""Instances of the archive as real processes, for the end-to-end tests and the benchmarks.

An ``Instance`` is a folder of its own: an .ini made from ``development.ini`` (its own port on
127.0.0.1, its own ``var/`` with the FileStorage and blobs, the key store and its passphrase
file, the journal export; ``trust/`` for ``archive.trust_roots``; short retry, poll and lease
times), initialised with ``archive-init --demo`` and served by ``pserve`` as a process of its own
(``start``/``stop``/``kill``). ``pair`` prepares two of them exactly as README "Between instances
(HTTP)" says, with the project's console scripts only:

* A hosts the demo office (``000.00.01.H01``), B hosts Ban Tổ chức (``000.00.02.H01``): on B,
  ``archive-keys generate`` makes BTC's organisation signing and encryption keys and their
  requests, a certificate authority (``archive.signing.ca``, standing for the cipher authority,
  outside both instances) issues the certificates, ``archive-keys import`` installs them and
  ``archive-bodies add-certificate`` registers them on B's BTC;
* ``archive-bodies set-route`` on each side names the other instance's URL;
* each registers the other's certificates (``archive-keys export`` gives the PEM) and trusts the
  other's authority: B's authority in A's ``trust/``, and A's demo CA
  (``archive-keys export org-sign:000.00.01.H01 --root``) in B's.

Also: an API client with bearer tokens (``archive-tokens create``), a sender that takes outgoing
documents through create / submit / approve / number / sign / send over the API, and a read-only
look into an instance's database once its server is stopped.

This module imports neither pytest nor WebTest: ``bench/two_instances.py`` uses it too.
"""
import configparser
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

from ..forked_scripts import run_script

PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)          # the venv's bin: pserve and the archive-* scripts
HOST = '000.00.01.H01'                         # archive.seed.HOST: the demo office, on A
BTC = '000.00.02.H01'                          # Ban Tổ chức, hosted on B
PASSWORD = 'demo-mat-khau-2026'
FAILPOINTS_ENV = 'ARCHIVE_FAILPOINTS'          # archive.failpoints.ENV
NO_BACKGROUND_ENV = 'ARCHIVE_NO_BACKGROUND'    # archive.background.NO_THREADS_ENV

# what every instance made here runs with (on top of development.ini)
FAST = {
    'archive.exchange_poll_seconds': '0.2',
    'archive.delivery_lease_seconds': '2',
    'archive.delivery_retry_seconds': '0.5',
    'archive.delivery_retry_cap_seconds': '2',
    'archive.delivery_max_attempts': '40',
    'archive.pack_interval_hours': '0',
    'pyramid.reload_templates': 'false',
    # stretching secrets as cheaply as the one-process tests do (tests/conftest.py TEST_COSTS):
    # every login and key-store unlock of an instance otherwise costs production's argon2/scrypt
    'archive.keystore_scrypt_n': '16',
    'archive.password_time_cost': '1',
    'archive.password_memory_kib': '1024',
}


def free_port():
    """A free TCP port on 127.0.0.1 (as ``tests.conftest.free_port``, without importing pytest)."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class CommandFailed(RuntimeError):
    pass


def run(*argv, timeout=180):
    """A console script of the venv (``archive-init``, ``archive-bodies``, ...) started from its
    binary, as from the shell; its stdout."""
    cmd = [os.path.join(BIN, argv[0]), *map(str, argv[1:])]
    env = {k: v for k, v in os.environ.items() if k != FAILPOINTS_ENV}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=PROJECT)
    if done.returncode != 0:
        raise CommandFailed(f'{" ".join(cmd)} exited {done.returncode}:\n{done.stdout}\n{done.stderr[-4000:]}')
    return done.stdout


def run_many(calls, timeout=180):
    """The console scripts ``calls`` (``[script, arg, ...]``), one after another, each a process
    forked from one that imported them already (``tests/forked_scripts.py``: the set-up runs
    dozens of short commands, each otherwise paying ~1.7 s of start-up); their outputs. The first
    that fails stops the run, named."""
    env = {k: v for k, v in os.environ.items() if k != FAILPOINTS_ENV}
    outputs = []
    for argv in calls:
        done = run_script(*argv, env=env, cwd=PROJECT, timeout=timeout)
        if done.returncode != 0:
            raise CommandFailed(f'{" ".join(map(str, argv))} exited {done.returncode}:\n{done.stdout}\n'
                                f'{done.stderr[-4000:]}')
        outputs.append(done.stdout)
    return outputs


def token_call(login, label='e2e'):
    return ['archive-tokens', 'create', login, '--label', label]


def read_token(output):
    return output.strip().splitlines()[-1].strip()


class Instance:
    """One installation: ``folder`` holds ``<name>.ini``, ``var/``, ``trust/`` and the server's logs."""

    def __init__(self, folder, name, port=None, settings=None, threads=4):
        self.folder = os.path.abspath(str(folder))
        self.name = name
        self.port = port or free_port()
        self.var = os.path.join(self.folder, 'var')
        self.trust = os.path.join(self.folder, 'trust')
        self.ini = os.path.join(self.folder, f'{name}.ini')
        self.settings = dict(FAST, **(settings or {}))
        self.threads = threads
        self.proc = None
        self.starts = 0

    @property
    def url(self):
        return f'http://127.0.0.1:{self.port}'

    # ---- the folder and its .ini -------------------------------------------------------------
    def app_settings(self):
        var = self.var
        return {
            'zodbconn.uri': f'file://{var}/Data.fs?blobstorage_dir={var}/blobs&connection_cache_size=20000',
            'archive.workflows_dir': os.path.join(PROJECT, 'workflows'),
            'archive.schemas_dir': os.path.join(PROJECT, 'schemas'),
            'archive.secret': f'{self.name}-secret-{uuid.uuid4().hex}',
            'archive.demo_seed': 'true',
            'archive.demo_password': PASSWORD,
            'archive.journal_export_dir': os.path.join(var, 'journal'),
            'archive.trust_roots': os.path.join(self.trust, '*.pem'),
            'archive.crls': os.path.join(self.folder, 'crl', '*.crl'),
            'archive.keystore': 'software',
            'archive.keystore_dir': os.path.join(var, 'keys'),
            'archive.keystore_passphrase_file': os.path.join(var, 'keystore.pass'),
            **self.settings,
        }

    def write_ini(self):
        """``development.ini`` with this instance's paths, port and settings."""
        os.makedirs(self.var, exist_ok=True)
        os.makedirs(self.trust, exist_ok=True)
        config = configparser.RawConfigParser(interpolation=None)
        config.optionxform = str
        config.read(os.path.join(PROJECT, 'development.ini'), encoding='utf-8')
        for key, value in self.app_settings().items():
            config.set('app:main', key, value)
        config.set('server:main', 'listen', f'127.0.0.1:{self.port}')
        config.set('server:main', 'threads', str(self.threads))
        config.set('logger_archive', 'level', 'INFO')
        with open(self.ini, 'w', encoding='utf-8') as f:
            f.write(f'# {self.name}: made by tests/e2e/instances.py from development.ini\n')
            config.write(f)
        return self.ini

    def init(self):
        """``archive-init <ini> --demo``: the database, the demo bodies, users, keys and documents."""
        return run('archive-init', self.ini, '--demo')

    def command(self, script, *args):
        """``<script> <this ini> args...`` (the server must be stopped for those that open the database)."""
        return self.commands((script, *args))[0]

    def commands(self, *calls):
        """Several ``[script, args...]`` on this instance, in order (``run_many``); their outputs."""
        return run_many([[script, self.ini, *map(str, args)] for script, *args in calls])

    def token(self, login, label='e2e'):
        """A bearer token for ``login`` (``archive-tokens create``)."""
        return read_token(self.command(*token_call(login, label)))

    def path(self, *parts):
        return os.path.join(self.folder, *parts)

    # ---- the server process ------------------------------------------------------------------
    @property
    def log(self):
        return self.path(f'{self.name}.log')

    def start(self, failpoints=None, wait=True, timeout=90, worker=True):
        """``pserve <ini>`` as a process of its own; ``failpoints``: ``ARCHIVE_FAILPOINTS`` for it;
        ``worker=False``: a server without its background threads (``ARCHIVE_NO_BACKGROUND``), whose
        sent documents wait in the queue."""
        assert self.proc is None or self.proc.poll() is not None, f'{self.name} is running'
        env = {k: v for k, v in os.environ.items() if k not in (FAILPOINTS_ENV, NO_BACKGROUND_ENV)}
        if failpoints:
            env[FAILPOINTS_ENV] = failpoints
        if not worker:
            env[NO_BACKGROUND_ENV] = '1'
        self.starts += 1
        with open(self.log, 'a') as log:
            log.write(f'\n===== start {self.starts}'
                      f'{" with " + FAILPOINTS_ENV + "=" + failpoints if failpoints else ""}'
                      f'{"" if worker else " without the worker"} =====\n')
            log.flush()
            self.proc = subprocess.Popen([os.path.join(BIN, 'pserve'), self.ini], stdout=log,
                                         stderr=subprocess.STDOUT, env=env, cwd=self.folder,
                                         start_new_session=True)
        if wait:
            self.wait_healthy(timeout)
        return self.proc

    def healthz(self, timeout=2):
        with urllib.request.urlopen(self.url + '/healthz', timeout=timeout) as answer:
            return json.loads(answer.read())

    def wait_healthy(self, timeout=90):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f'{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}')
            try:
                if self.healthz(1).get('database'):
                    return
            except (OSError, ValueError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f'{self.name} did not answer /healthz within {timeout} s:\n{self.log_tail()}')

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def wait_dead(self, timeout=60):
        """Wait for the process to end by itself (a failpoint's SIGKILL); its return code."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f'{self.name} still runs after {timeout} s:\n{self.log_tail()}') from None

    def stop(self, timeout=20):
        """SIGINT (waitress stops serving), then SIGKILL if it lingers; the return code."""
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return self.kill()

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(20)
        return None if self.proc is None else self.proc.returncode

    def log_tail(self, chars=6000):
        try:
            with open(self.log, errors='replace') as f:
                return f.read()[-chars:]
        except OSError:
            return '(no log)'

    # ---- a look into the database, server stopped --------------------------------------------
    @contextlib.contextmanager
    def database(self):
        """The app's root, read-only (the server must be stopped: FileStorage is one process's)."""
        from ZODB import DB
        from ZODB.FileStorage import FileStorage
        assert not self.running(), f'stop {self.name} before opening its database'
        storage = FileStorage(os.path.join(self.var, 'Data.fs'), blob_dir=os.path.join(self.var, 'blobs'),
                              read_only=True)
        db = DB(storage)
        conn = db.open()
        try:
            yield conn.root()[self.app_settings().get('archive.root_key', 'archive')]
        finally:
            conn.close()
            db.close()


# ---- the JSON API ------------------------------------------------------------------------------

class ApiError(RuntimeError):
    def __init__(self, status, body, url):
        super().__init__(f'{status} from {url}: {body[:2000]!r}')
        self.status, self.body, self.url = status, body, url


class Api:
    """``/api/v1`` of an instance with a bearer token (no cookie, no CSRF token)."""

    def __init__(self, base_url, token, timeout=60):
        self.base, self.token, self.timeout = base_url.rstrip('/') + '/api/v1', token, timeout

    def call(self, method, path, body=None, content_type=None):
        url = self.base + path
        headers = {'Authorization': f'Bearer {self.token}', 'Accept': 'application/json'}
        if content_type:
            headers['Content-Type'] = content_type
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                return json.loads(answer.read() or b'null')
        except urllib.error.HTTPError as exc:
            raise ApiError(exc.code, exc.read().decode('utf-8', 'replace'), url) from None

    def get(self, path):
        return self.call('GET', path)

    def post_json(self, path, data=None):
        return self.call('POST', path, json.dumps(data or {}).encode('utf-8'), 'application/json')

    def post_multipart(self, path, fields, files):
        """``fields``: {name: text}; ``files``: [(field, filename, bytes, media type)]."""
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in fields.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n'
                         f'Content-Type: text/plain; charset=utf-8\r\n\r\n'.encode('utf-8')
                         + value.encode('utf-8') + b'\r\n')
        for field, filename, data, media_type in files:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
                         f'filename="{filename}"\r\nContent-Type: {media_type}\r\n\r\n'.encode('utf-8')
                         + data + b'\r\n')
        parts.append(f'--{boundary}--\r\n'.encode('ascii'))
        return self.call('POST', path, b''.join(parts), f'multipart/form-data; boundary={boundary}')


def documents_path(code):
    return f'/bodies/{code}/documents'


class Sender:
    """The office's clerk and leader on A, through the API: outgoing documents to "signed", then
    "sent" (which queues one delivery per receiver)."""

    LIFECYCLE = (('clerk', 'submit'), ('leader', 'approve'), ('clerk', 'number'), ('clerk', 'sign'))

    def __init__(self, url, clerk_token, leader_token, body=HOST):
        self.clerk, self.leader = Api(url, clerk_token), Api(url, leader_token)
        self.body = body
        self.path = documents_path(body)

    def prepare(self, abstract, pdf, send_to, **extra):
        """A new outgoing document with ``pdf`` as its main file, taken to "signed"; its JSON."""
        values = {'direction': 'outgoing', 'organ_id': self.body, 'doc_type': 'CV', 'holder_unit': 'TH',
                  'abstract': abstract, 'send_to': list(send_to), 'signer_name': 'Trần Văn Lãnh Đạo',
                  'signer_position': 'Chánh Văn phòng', 'signer_competence': 'T/L',
                  'receivers': ['Ban Tổ chức Thành ủy', 'Lưu VT'], **extra}
        doc = self.clerk.post_multipart(self.path, {'metadata': json.dumps(values, ensure_ascii=False)},
                                        [('main_file', 'cong-van.pdf', pdf, 'application/pdf')])
        for who, action in self.LIFECYCLE:
            doc = getattr(self, who).post_json(f"{self.path}/{doc['id']}/transitions/{action}")
        if doc['status'] != 'signed':
            raise RuntimeError(f"document {doc['id']} is {doc['status']}, not signed")
        return doc

    def send(self, doc_id):
        """*Gửi*: the deliveries queued in the same transaction; the document's JSON."""
        return self.clerk.post_json(f'{self.path}/{doc_id}/transitions/send')

    def deliveries(self, doc_id):
        return self.clerk.get(f'{self.path}/{doc_id}/deliveries')['items']


# ---- two instances paired as README "Between instances (HTTP)" says -----------------------------

class Authority:
    """The certificate authority outside both instances (the cipher authority in real life):
    ``archive.signing.ca``, its key in memory; issues certificates for certificate requests."""

    def __init__(self, name='CA của B (TEST)'):
        from archive.signing import ca
        self.ca = ca.make_ca(name, algorithm='ec-p256')

    def pem(self):
        return self.ca.pem()

    def issue(self, csr_path, out_path, kind):
        from archive.signing import ca
        with open(csr_path, 'rb') as f:
            cert = ca.issue(self.ca, f.read(), kind=kind)
        with open(out_path, 'wb') as f:
            f.write(ca.to_pem(cert, self.ca.certificate))      # the certificate, then its issuer
        return out_path


def in_parallel(*calls):
    """Run the callables in threads (each starts its own processes); re-raise the first failure."""
    errors = []

    def go(fn):
        try:
            fn()
        except BaseException as exc:      # noqa: B036 - handed back to the caller
            errors.append(exc)
    threads = [threading.Thread(target=go, args=(fn,)) for fn in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


class Pair:
    """A (the office, ``HOST``) and B (Ban Tổ chức, ``BTC``), paired; tokens for the API;
    ``authority`` and ``work``: the outside CA that issued B's keys, and the folder of the files
    the operators handed each other (to enrol more bodies on B)."""

    def __init__(self, a, b, tokens, authority=None, work=None):
        self.a, self.b, self.tokens = a, b, tokens
        self.authority, self.work = authority, work

    def sender(self):
        return Sender(self.a.url, self.tokens['a:vanthu'], self.tokens['a:lanhdao'])

    def b_clerk(self):
        return Api(self.b.url, self.tokens['b:vanthu.btc'])

    def start(self):
        in_parallel(self.a.start, self.b.start)

    def stop(self):
        in_parallel(self.a.stop, self.b.stop)


def enrol_on_b(b, authority, work, bodies=((BTC, 'Ban Tổ chức Thành ủy', 'btc'),), then=()):
    """Each body's organisation signing key (EC P-256) and encryption key (RSA-2048) in B's key
    store, their certificates issued by ``authority``, installed and registered on B's entry for
    the body. The certificate files (PEM, ``b-<tag>-<purpose>.pem``) are left in ``work`` for A
    to register. ``then``: more commands on B run in the same process after; their outputs."""
    from archive.signing import ca
    requests, installs, issue = [], [], []
    for code, name, tag in bodies:
        subject = f'C=VN,O={name},CN={name} ({code})'
        for purpose, algorithm, kind in (('org-sign', 'ec-p256', ca.ORG_SIGN),
                                         ('org-enc', 'rsa2048', ca.ENCRYPTION)):
            key_id = f'{purpose}:{code}'
            csr = os.path.join(work, f'b-{tag}-{purpose}.csr')
            cert = os.path.join(work, f'b-{tag}-{purpose}-chain.pem')
            pem = os.path.join(work, f'b-{tag}-{purpose}.pem')
            requests.append(('archive-keys', 'generate', key_id, '--subject', subject, '--algorithm', algorithm,
                             '--out', csr))
            issue.append((csr, cert, kind))
            installs += [('archive-keys', 'import', key_id, cert), ('archive-keys', 'export', key_id, '--out', pem),
                         ('archive-bodies', 'add-certificate', code, '--kind', purpose, pem)]
    b.commands(*requests)
    for csr, cert, kind in issue:
        authority.issue(csr, cert, kind)
    return b.commands(*installs, *then)[len(installs):]


def make_pair(folder, a_settings=None, b_settings=None, threads=4):
    """Two instances in ``folder/a`` and ``folder/b``, initialised and paired, servers stopped."""
    folder = os.path.abspath(str(folder))
    work = os.path.join(folder, 'exchange-files')
    os.makedirs(work, exist_ok=True)
    a = Instance(os.path.join(folder, 'a'), 'a', settings=a_settings, threads=threads)
    b = Instance(os.path.join(folder, 'b'), 'b', settings=b_settings, threads=threads)
    a.write_ini()
    b.write_ini()
    in_parallel(a.init, b.init)
    authority = Authority()
    with open(os.path.join(work, 'b-ca.pem'), 'wb') as f:       # what B's operator hands over
        f.write(authority.pem())
    tokens = {}

    def on_a():
        # what A's operator hands over: the office's certificate and A's (demo) authority
        out = a.commands(('archive-keys', 'export', f'org-sign:{HOST}', '--out', os.path.join(work, 'a-office-org-sign.pem')),
                         ('archive-keys', 'export', f'org-sign:{HOST}', '--root', '--out', os.path.join(work, 'a-ca.pem')),
                         token_call('vanthu'), token_call('lanhdao'),
                         ('archive-bodies', 'set-route', BTC, '--route', 'instance', '--address', b.url))
        tokens['a:vanthu'], tokens['a:lanhdao'] = map(read_token, out[2:4])

    def on_b():
        out = enrol_on_b(b, authority, work, then=[
            token_call('vanthu.btc'), ('archive-bodies', 'set-route', HOST, '--route', 'instance', '--address', a.url)])
        tokens['b:vanthu.btc'] = read_token(out[0])
    in_parallel(on_a, on_b)

    def trust_and_register_on_a():
        a.commands(*(('archive-bodies', 'add-certificate', BTC, '--kind', purpose,
                      os.path.join(work, f'b-btc-{purpose}.pem')) for purpose in ('org-sign', 'org-enc')))
        with open(os.path.join(work, 'b-ca.pem'), 'rb') as src, open(os.path.join(a.trust, 'b-ca.pem'), 'wb') as dst:
            dst.write(src.read())

    def trust_and_register_on_b():
        b.command('archive-bodies', 'add-certificate', HOST, '--kind', 'org-sign',
                  os.path.join(work, 'a-office-org-sign.pem'))
        with open(os.path.join(work, 'a-ca.pem'), 'rb') as src, open(os.path.join(b.trust, 'a-ca.pem'), 'wb') as dst:
            dst.write(src.read())
    in_parallel(trust_and_register_on_a, trust_and_register_on_b)
    return Pair(a, b, tokens, authority, work)


# ---- reading what happened, servers stopped ------------------------------------------------------

def received_copies(root, code, document_id):
    """The incoming documents of body ``code`` that came by exchange with ``document_id``."""
    return [d for d in root['bodies'][code].documents.values()
            if getattr(d, 'exchange', None) and d.exchange['document_id'] == document_id]


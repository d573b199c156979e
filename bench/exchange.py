"""Benchmark of the exchange between bodies hosted on one instance, beside a bare-library baseline.

    .venv/bin/python bench/exchange.py [--quick] [--docs N] [--pdf-kb 200] [--lone K] [--profile]
                                       [--what-if reuse-verdict,stored-zip,cached-signer]

Setup (not timed): the real app on a FileStorage with blobs (demo seed, a software key store),
three receiving bodies enrolled with organisation keys and registered certificates (as
``tests/functional/test_exchange_local.py`` does), and N outgoing documents of the host body,
each with a distinct ~200 KB PDF taken through the real lifecycle in transactions
(``services.documents.create``, then ``workflow.engine.fire``: submit, approve = the leader's
stamped signature, number, sign = the organisation's signature, send to one receiver).

Measured:

1. send -> arrived: ``worker.deliver_one`` until the queue is empty (per delivery a claim
   committed, then one transaction: the package built and XML-signed, the receiving path: XML
   signature, decoding, the PDF's signatures checked, the incoming document stored), documents/s;
   timers around the worker's steps give the breakdown per delivery;
2. statuses back: ``worker.send_one_status`` until none is left (status 01 signed, verified and
   recorded on the sender's delivery row); latency from "sent" (all N queued when the run
   starts) to status 01 recorded, p50/p95;
3. K lone documents, each sent (the ``send`` transition, committed), delivered and answered
   before the next: the latency a document sees when the worker is idle (poll interval excluded).

Baseline, on the SAME package bytes (those the worker built, captured): ``etree.fromstring``
with a safe parser, the header fields, base64 + unzip of the attachment, the PDF stored in a
``Blob`` and a ``Persistent`` in an ``OOBTree``, one commit per package, in a fresh FileStorage
with blobs. An extra informational side does the same plus the two signature checks with the
bare libraries (signxml ``XMLVerifier`` against the sender's certificate, pyHanko
``validate_pdf_signature`` of every PDF signature). The sides run interleaved in chunks.

``--what-if`` simulates changes to ``src/`` by patching functions in this process (reuse of the
sender's PDF verdict, uncompressed zips, one signer per key), to size them before anyone
writes them; those figures are not the product's and are written to a file of their own.

Not a test: nothing is asserted about time. See bench/README.md.
"""
import argparse
import base64
import cProfile
import datetime as dt
import functools
import hashlib
import io
import json
import os
import random
import shutil
import statistics
import sys
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)
if os.path.join(PROJECT, 'src') not in sys.path:
    sys.path.insert(0, os.path.join(PROJECT, 'src'))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import transaction  # noqa: E402
from BTrees.OOBTree import OOBTree  # noqa: E402
from lxml import etree  # noqa: E402
from persistent import Persistent  # noqa: E402
from ZODB import DB  # noqa: E402
from ZODB.blob import Blob  # noqa: E402
from ZODB.FileStorage import FileStorage  # noqa: E402

from core import dump_profile, padded_pdf, pct, source_version  # noqa: E402

HOST = '000.00.01.H01'            # archive.seed.HOST: the demo's host body, its clerk and leader
RECEIVERS = ['000.00.02.H01', '000.00.03.H01', '000.00.04.H01']
PASSWORD = 'demo-mat-khau-2026'
ROOT_KEY = 'archive'
VN = dt.timezone(dt.timedelta(hours=7))
NS = 'http://www.mic.gov.vn/TBT/QCVN_102_2016'
GOAL_RATIO = 0.5                  # ours/bare documents/s, signature checks on
LIFECYCLE = (('submit', 'vanthu'), ('approve', 'lanhdao'), ('number', 'vanthu'), ('sign', 'vanthu'))


def say(*a):
    print(*a, flush=True)


# ---------------------------------------------------------------------------
# The app: settings as tests/conftest.base_settings, on a FileStorage in a folder
# ---------------------------------------------------------------------------

def settings_for(folder, pdf_bytes):
    types = ('NQ Nghị quyết\nQĐ Quyết định\nQĐi Quy định\nHD Hướng dẫn\nTTr Tờ trình\nCV Công văn\n'
             'BC Báo cáo\nTB Thông báo')
    return {
        'zodbconn.uri': f'file://{folder}/Data.fs?blobstorage_dir={folder}/blobs',
        'retry.attempts': '3',
        'pyramid.default_locale_name': 'vi',
        'archive.secret': 'bench-secret-' + 'x' * 40,
        'archive.demo_seed': 'true',
        'archive.demo_password': PASSWORD,
        'archive.root_key': ROOT_KEY,
        'archive.workflows_dir': os.path.join(PROJECT, 'workflows'),
        'archive.schemas_dir': os.path.join(PROJECT, 'schemas'),
        # the signed file (two signatures on top) and the attachment limit of the receiving path
        'archive.max_upload_bytes': str(max(1024 * 1024, 4 * pdf_bytes)),
        'archive.document_types': types,
        'archive.keystore': 'software',
        'archive.keystore_dir': os.path.join(folder, 'keys'),
        'archive.keystore_passphrase_file': os.path.join(folder, 'keystore.pass'),
    }


def make_app(settings):
    import archive
    return archive.main({'__file__': os.path.join(PROJECT, 'development.ini'), 'here': PROJECT}, **settings)


def close_app(app):
    transaction.abort()
    app.registry._zodb_databases[''].close()


class Session:
    """A connection of our own with the app's registry pushed (the workflow finds it there);
    commits on leaving unless an exception left the block."""

    def __init__(self, app):
        self.app = app

    def __enter__(self):
        from archive.resources.root import root_key
        from pyramid.threadlocal import manager
        self.manager = manager
        self.tm = transaction.TransactionManager()
        self.conn = self.app.registry._zodb_databases[''].open(transaction_manager=self.tm)
        self.conn.sync()
        manager.push({'registry': self.app.registry, 'request': None})
        self.root = self.conn.root()[root_key(self.app.registry)]
        return self

    def commit(self):
        self.tm.commit()

    def __exit__(self, kind, *_):
        self.manager.pop()
        if kind is None:
            self.tm.commit()
        else:
            self.tm.abort()
        self.conn.close()


def enrol(root, store, authority, code):
    """An organisation signing key and an encryption key for ``code``, certificates registered
    (tests/functional/test_exchange_local.enrol)."""
    from archive.services.certificates import register_certificate
    from archive.signing import ca
    body = root['bodies'][code]
    subject = f'C=VN,O={body.name},CN={body.name} ({code})'
    for purpose, kind, algorithm in (('org-sign', ca.ORG_SIGN, 'ec-p256'), ('org-enc', ca.ENCRYPTION, 'rsa2048')):
        key_id = f'{purpose}:{code}'
        cert = ca.issue(authority, store.generate(key_id, subject, algorithm, replace_pending=True), kind=kind)
        store.import_certificate(key_id, ca.to_pem(cert, authority.certificate))
        register_certificate(root, body, ca.to_pem(cert), purpose, 'bench')


def outgoing_values(n):
    return {'direction': 'outgoing', 'organ_id': HOST, 'doc_type': 'CV', 'holder_unit': 'TH',
            'abstract': f'Công văn số {n + 1} về công tác văn thư, lưu trữ gửi các ban',
            'send_to': [RECEIVERS[n % len(RECEIVERS)]], 'signer_name': 'Trần Văn Lãnh Đạo',
            'signer_position': 'Chánh Văn phòng', 'signer_competence': 'T/L',
            'receivers': ['Các ban đảng Thành ủy', 'Lưu VT']}


def setup_ours(folder, counts, pdf_bytes, seed, commit_every=50):
    """The app and its documents: ``counts`` = {'burst': N, 'lone': K, 'profile': P}; the burst
    documents are sent (their deliveries queued), the others stop at "signed"."""
    from archive.services import documents as svc
    from archive.signing import ca
    from archive.workflow.engine import fire
    os.makedirs(folder, exist_ok=True)
    settings = settings_for(folder, pdf_bytes)
    app = make_app(settings)
    store = app.registry.archive_keystore
    authority = ca.make_ca('CA trao đổi (BENCH)', algorithm='ec-p256')
    names = {}
    rng = random.Random(seed)
    sizes = []
    with Session(app) as s:
        for code in RECEIVERS:
            enrol(s.root, store, authority, code)
        s.commit()
        archive_settings = app.registry.archive_settings
        host, users = s.root['bodies'][HOST], s.root['users']
        n, done, total, started = 0, 0, sum(counts.values()), time.perf_counter()
        for group in ('burst', 'lone', 'profile'):
            names[group] = []
            for _ in range(counts[group]):
                pdf = padded_pdf(n, pdf_bytes, rng)
                upload = svc.Upload('main_file', f'cong-van-{n + 1}.pdf', io.BytesIO(pdf), 'main')
                doc = svc.create(s.root, host, outgoing_values(n), [upload], archive_settings, 'vanthu')
                for action, login in LIFECYCLE + ((('send', 'vanthu'),) if group == 'burst' else ()):
                    fire(s.root, doc, action, users[login])
                sizes.append(doc.files[doc.main_file].size)
                names[group].append(doc.__name__)
                n += 1
                done += 1
                if done % commit_every == 0 or done == total:
                    s.commit()
                    elapsed = time.perf_counter() - started
                    say(f'  set up {done:>5}/{total}  ({done / elapsed:.1f} documents/s, '
                        f'~{(total - done) * elapsed / done:.0f} s left)')
    return app, names, sizes


# ---------------------------------------------------------------------------
# Timers around the worker's steps (module attributes, looked up at call time)
# ---------------------------------------------------------------------------

class Timers:
    """Wraps functions the worker reaches through module attributes and adds up their time per
    label; ``work`` is what runs inside the worker's transactions (``run_apart``'s ``fn``: for a
    delivery the claim, then the package and the receiving path), so the commits and the
    connections are the rest of ``deliver_one`` / ``send_one_status``."""

    def __init__(self):
        self.total = {}
        self.calls = {}
        self._undo = []

    def _add(self, label, elapsed):
        self.total[label] = self.total.get(label, 0.0) + elapsed
        self.calls[label] = self.calls.get(label, 0) + 1

    def wrap(self, module, name, label, on_call=None):
        original = getattr(module, name)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                result = original(*args, **kwargs)
            finally:
                self._add(label, time.perf_counter() - t0)
            if on_call is not None:
                on_call(args, kwargs, result)
            return result
        setattr(module, name, timed)
        self._undo.append((module, name, original))

    def install(self, capture=None):
        from archive.exchange import edxml, mapping, outgoing, receive, xmldsig
        from archive.services import documents
        from archive.signing import pades
        from archive.exchange.worker import common as worker_common     # where the worker's transactions run
        original_run_apart = worker_common.run_apart

        def run_apart(registry, fn, *args, **kwargs):
            def work(root):
                t0 = time.perf_counter()
                try:
                    return fn(root)
                finally:
                    self._add('work', time.perf_counter() - t0)
            return original_run_apart(registry, work, *args, **kwargs)
        worker_common.run_apart = run_apart
        self._undo.append((worker_common, 'run_apart', original_run_apart))
        self.wrap(mapping, 'package_for', 'package_for')
        self.wrap(edxml, 'encode_package', 'encode_package')
        self.wrap(edxml, 'encode_status', 'encode_status')
        self.wrap(outgoing, 'signed_bytes', 'signed_bytes')
        self.wrap(xmldsig, 'sign', 'xmldsig.sign')
        self.wrap(edxml, 'validate', 'edxml.validate')
        self.wrap(receive, 'receive_package', 'receive_package',
                  on_call=(lambda args, kwargs, result: capture(args[1])) if capture else None)
        self.wrap(receive, 'receive_status', 'receive_status')
        self.wrap(xmldsig, 'verify', 'xmldsig.verify')
        self.wrap(edxml, 'decode_package', 'decode_package')
        self.wrap(edxml, 'decode_status', 'decode_status')
        self.wrap(documents, 'create', 'documents.create')
        self.wrap(documents, 'ingest', 'ingest')
        self.wrap(pades, 'verify_pdf', 'verify_pdf')
        return self

    def uninstall(self):
        for module, name, original in reversed(self._undo):
            setattr(module, name, original)
        self._undo = []

    def reset(self):
        self.total, self.calls = {}, {}


# ---------------------------------------------------------------------------
# What-ifs: simulations of changes to src/, to size them (not the product; off by default)
# ---------------------------------------------------------------------------

def _reuse_verdict():
    """The receiving path reuses the verdict this instance computed when the sender signed the
    same bytes: ``pades.verify_pdf`` memoised on (SHA-256 of the PDF, the registered
    fingerprints, the trust roots), filled by the ``sign`` step's check during the setup."""
    from archive.signing import pades
    original, memo = pades.verify_pdf, {}

    def verify_pdf(pdf_bytes, *, trust_roots, organisation_certs=None, **kw):
        key = (hashlib.sha256(bytes(pdf_bytes)).digest(),
               None if organisation_certs is None else tuple(sorted(map(str, organisation_certs))),
               len(trust_roots), repr(sorted(kw.items())))
        if key not in memo:
            memo[key] = original(pdf_bytes, trust_roots=trust_roots, organisation_certs=organisation_certs, **kw)
        return memo[key]
    pades.verify_pdf = verify_pdf


def _stored_zip():
    """Attachments zipped without compression (ZIP_STORED): a PDF hardly deflates."""
    from archive.exchange.edxml import encode

    def zip_one(name, data):
        out = io.BytesIO()
        with zipfile.ZipFile(out, 'w', zipfile.ZIP_STORED) as archive:
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)
        return out.getvalue()
    encode._zip_one = zip_one


def _cached_signer():
    """``cms.sign_bytes`` keeps one signer per key instead of ``store.signer()`` (a pyHanko
    signer and its certificate registry built again) at every XML signature."""
    import asyncio

    from archive.signing import cms
    signers = {}

    def sign_bytes(keystore, key_id, data):
        signer = signers.get((id(keystore), key_id))
        if signer is None:
            signer = signers[id(keystore), key_id] = keystore.signer(key_id)
        return asyncio.run(signer.async_sign_raw(bytes(data), 'sha256'))
    cms.sign_bytes = sign_bytes


WHAT_IF = {'reuse-verdict': _reuse_verdict, 'stored-zip': _stored_zip, 'cached-signer': _cached_signer}


# ---------------------------------------------------------------------------
# The bare side: lxml + ZODB on the same bytes
# ---------------------------------------------------------------------------

SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True,
                              remove_comments=True, remove_pis=True, dtd_validation=False)


class BareDoc(Persistent):
    def __init__(self, values):
        self.__dict__.update(values)


def _q(*names):
    return '/'.join(f'{{{NS}}}{n}' for n in names)


class Bare:
    """A fresh FileStorage with blobs; one package per transaction: parse, header fields,
    base64 + unzip each attachment, a Blob per file, a Persistent in an OOBTree.
    ``checks``: also verify the XML signature (signxml) and the PDF's signatures (pyHanko)."""

    def __init__(self, folder, checks=None):
        os.makedirs(folder, exist_ok=True)
        self.storage = FileStorage(os.path.join(folder, 'Data.fs'), blob_dir=os.path.join(folder, 'blobs'))
        self.db = DB(self.storage)
        self.tm = transaction.TransactionManager()
        self.conn = self.db.open(transaction_manager=self.tm)
        self.checks = checks
        with self.tm:
            self.conn.root()['docs'] = OOBTree()
        self.stored = 0

    def take(self, data):
        with self.tm:
            root = etree.fromstring(data, SAFE_PARSER)
            mh = root.find(_q('edXMLEnvelope', 'edXMLHeader', 'MessageHeader'))
            values = {
                'organ_id': mh.findtext(_q('From', 'OrganId')),
                'sender': mh.findtext(_q('From', 'OrganName')),
                'to': [el.text for el in mh.iterfind(_q('To', 'OrganId'))],
                'code_number': mh.findtext(_q('Code', 'CodeNumber')),
                'code_notation': mh.findtext(_q('Code', 'CodeNotation')),
                'issued_date': dt.datetime.strptime(mh.findtext(_q('PromulgationInfo', 'PromulgationDate')),
                                                    '%Y/%m/%d').date(),
                'doc_type': mh.findtext(_q('DocumentType', 'Type')),
                'abstract': mh.findtext(_q('Subject')),
                'signer_name': mh.findtext(_q('SignerInfo', 'FullName')),
                'document_id': mh.findtext(_q('DocumentId')),
                'received_at': dt.datetime.now(VN),
            }
            files = []
            for att in root.iterfind(_q('AttachmentEncoded', 'Attachment')):
                raw = base64.b64decode(att.findtext(_q('ContentTransferEncoded')), validate=True)
                with zipfile.ZipFile(io.BytesIO(raw)) as z:
                    [info] = z.infolist()
                    content = z.read(info)
                files.append((att.findtext(_q('AttachmentName')), content))
            if self.checks is not None:
                self.checks(data, files[0][1])
            obj = BareDoc(values)
            obj.files = []
            for name, content in files:
                blob = Blob()
                with blob.open('w') as f:
                    f.write(content)
                obj.files.append((name, len(content), hashlib.sha256(content).hexdigest(), blob))
            obj.package_sha256 = hashlib.sha256(data).hexdigest()
            self.conn.root()['docs'][values['document_id']] = obj
        self.stored += 1

    def close(self):
        self.conn.close()
        self.db.close()


def bare_checks(org_cert_pem, root_cert_pem):
    """The signature checks with the bare libraries: signxml against the sender's certificate,
    pyHanko on every signature of the PDF, trusting the demo root; raises if one fails."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext
    from signxml import XMLVerifier
    from asn1crypto import pem, x509 as asn1_x509
    from cryptography import x509
    _, _, der = pem.unarmor(root_cert_pem)
    trust_root = asn1_x509.Certificate.load(der)
    org_cert = x509.load_pem_x509_certificate(org_cert_pem)

    def check(data, pdf):
        XMLVerifier().verify(data, x509_cert=org_cert, parser=SAFE_PARSER)
        reader = PdfFileReader(io.BytesIO(pdf))
        context = ValidationContext(trust_roots=[trust_root])
        statuses = [validate_pdf_signature(emb, context) for emb in reader.embedded_regular_signatures]
        if len(statuses) != 2 or not all(st.bottom_line for st in statuses):
            raise RuntimeError('bare PDF check failed: ' + '; '.join(st.summary() for st in statuses))
    return check


# ---------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------

def summary_ms(samples):
    ms = [s * 1000 for s in samples]
    return {'n': len(ms), 'p50_ms': pct(ms, 50), 'p95_ms': pct(ms, 95), 'max_ms': max(ms) if ms else None,
            'mean_ms': statistics.fmean(ms) if ms else None}


def phase_burst(app, bares, n_docs, chunk):
    """Deliveries of the queued documents, interleaved in chunks with the bare sides on the
    packages the worker built in that chunk; then the statuses. Times on "ours" are kept on a
    clock of their own (the bare turns are not counted in its stamps)."""
    from archive.exchange import worker
    registry = app.registry
    captured = []
    timers = Timers().install(capture=captured.append)
    ours_clock = 0.0
    delivered, deliver_times, package_sizes = [], [], []
    bare_times = {name: [] for name in bares}
    try:
        while True:
            captured.clear()
            turn_started = time.perf_counter()
            for _ in range(chunk):
                t0 = time.perf_counter()
                delivery_id = worker.deliver_one(registry)
                t1 = time.perf_counter()
                if delivery_id is None:
                    break
                if delivery_id == worker.BUSY:        # one worker here: a conflict is a fault
                    raise SystemExit('FAIL: deliver_one answered BUSY with no other worker')
                deliver_times.append(t1 - t0)
                delivered.append((delivery_id, ours_clock + (t1 - turn_started)))
            ours_clock += time.perf_counter() - turn_started
            package_sizes.extend(len(d) for d in captured)
            for name, bare in bares.items():
                for data in captured:
                    t0 = time.perf_counter()
                    bare.take(data)
                    bare_times[name].append(time.perf_counter() - t0)
            say(f'  delivered {len(delivered):>5}/{n_docs}: ours {len(deliver_times) / sum(deliver_times):6.1f}/s'
                + ''.join(f', {name} {len(t) / sum(t):6.1f}/s' for name, t in bare_times.items() if t))
            if len(captured) < chunk or len(delivered) >= n_docs and worker_queue_empty(app):
                break
        deliver_breakdown = (dict(timers.total), dict(timers.calls))
        timers.reset()
        status_started = ours_clock
        status_times, statuses, counted = [], [], ({}, {})
        t_phase = time.perf_counter()
        while True:
            t0 = time.perf_counter()
            key = worker.send_one_status(registry)
            t1 = time.perf_counter()
            if key is None:
                break
            status_times.append(t1 - t0)
            statuses.append((key, status_started + (t1 - t_phase)))
            counted = (dict(timers.total), dict(timers.calls))     # not the last call (none left)
            if len(statuses) % max(1, n_docs // 5) == 0:
                say(f'  statuses {len(statuses):>5}: {len(status_times) / sum(status_times):6.1f}/s')
        ours_clock = status_started + (time.perf_counter() - t_phase)
        status_breakdown = counted
    finally:
        timers.uninstall()
    return {'delivered': delivered, 'deliver_times': deliver_times, 'statuses': statuses,
            'status_times': status_times, 'bare_times': bare_times, 'package_sizes': package_sizes,
            'deliver_breakdown': deliver_breakdown, 'status_breakdown': status_breakdown,
            'deliver_phase_s': status_started, 'status_phase_s': ours_clock - status_started}


def worker_queue_empty(app):
    from archive.exchange import deliveries
    with Session(app) as s:
        return deliveries.waiting(s.root) == 0


def phase_lone(app, names):
    """Each document sent (committed), delivered and answered before the next: send -> 01."""
    from archive.exchange import worker
    from archive.workflow.engine import fire
    out = []
    for name in names:
        t0 = time.perf_counter()
        with Session(app) as s:
            fire(s.root, s.root['bodies'][HOST].documents[name], 'send', s.root['users']['vanthu'])
        t1 = time.perf_counter()
        delivery_id = worker.deliver_one(app.registry)
        t2 = time.perf_counter()
        key = worker.send_one_status(app.registry)
        t3 = time.perf_counter()
        if delivery_id is None or key is None:
            raise SystemExit(f'FAIL: lone document {name}: delivery {delivery_id}, status {key}')
        out.append({'document': name, 'delivery': delivery_id, 'status_key': key,
                    'send_s': t1 - t0, 'deliver_s': t2 - t1, 'status_s': t3 - t2, 'total_s': t3 - t0})
    return out


def phase_profile(app, names, out_dir):
    """cProfile of P more documents: sent (not profiled), then delivered, then answered."""
    from archive.exchange import worker
    from archive.workflow.engine import fire
    with Session(app) as s:
        for name in names:
            fire(s.root, s.root['bodies'][HOST].documents[name], 'send', s.root['users']['vanthu'])
    paths = []
    for what, step in (('deliver', worker.deliver_one), ('status', worker.send_one_status)):
        prof = cProfile.Profile()
        count = 0
        prof.enable()
        while step(app.registry) is not None:
            count += 1
        prof.disable()
        path = dump_profile(prof, os.path.join(out_dir, f'exchange-profile-{what}.txt'))
        say(f'  {what}: {count} in the profile -> {path}')
        paths.append(path)
    return paths


def check_results(app, names, delivered, statuses):
    """Every burst document delivered once and answered 01; its copy arrived with a valid verdict.
    Returns {sender document name: (delivery id, status key)} and the problems found."""
    from archive.exchange import deliveries
    from archive.outbox import outbox_of
    problems = []
    with Session(app) as s:
        root = s.root
        ex = deliveries.exchange_of(root)
        by_delivery = {}
        for delivery_id, _stamp in delivered:
            d = ex.deliveries[delivery_id]
            by_delivery[delivery_id] = d.document
            if d.state != deliveries.DELIVERED or [x['code'] for x in d.statuses] != ['01']:
                problems.append(f'{d.document}: {d.state} {[x["code"] for x in d.statuses]}')
            for r in (d.receipt or {}).get('receivers', ()):
                got = root['bodies'][r['body']].documents[r['document']]
                verdict = got.origin_verdict if isinstance(got.origin_verdict, dict) else {}
                if got.state != 'arrived' or verdict.get('status') != 'valid':
                    problems.append(f'{d.document} -> {r["body"]}: {got.state}, {verdict.get("status")}')
        # status key -> the sender's document it answered
        box = outbox_of(root)
        by_status = {}
        for key, _stamp in statuses:
            message = box.items[key]
            got = root['bodies'][message['body']].documents.get(message['document'])
            if got is None or not got.exchange:
                continue
            for i in ex.by_document_id.get(got.exchange['document_id'], ()):
                if ex.deliveries[i].receiver == message['body']:
                    by_status[key] = ex.deliveries[i].document
        missing = set(names) - set(by_delivery.values())
        if missing:
            problems.append(f'{len(missing)} documents never delivered')
    return by_delivery, by_status, problems


def rate(times):
    return len(times) / sum(times) if times else None


def build_rows(res):
    b, n = res['burst'], res['docs']
    rows = []

    def row(figure, ours, bare, goal='', met=None, digits=1):
        ratio = ours / bare if ours is not None and bare else None
        rows.append({'figure': figure, 'ours': ours, 'bare': bare, 'ratio': ratio, 'goal': goal,
                     'met': met, 'digits': digits})
    ours_rate = b['ours']['rate_per_s']
    bare_rate = b['bare']['rate_per_s']
    ratio = ours_rate / bare_rate
    row('send -> arrived: documents/s', ours_rate, bare_rate, f'ours/bare >= {GOAL_RATIO}', ratio >= GOAL_RATIO)
    if 'bare_checks' in b:
        row('  vs bare + signxml + pyHanko checks', ours_rate, b['bare_checks']['rate_per_s'])
    row('  delivery p50 ms', b['ours']['p50_ms'], b['bare']['p50_ms'], digits=1)
    row('  delivery p95 ms', b['ours']['p95_ms'], b['bare']['p95_ms'], digits=1)
    row('statuses 01 back: statuses/s', b['status_rate_per_s'], None)
    row('send -> 01, burst of N: documents/s', n / (b['deliver_phase_s'] + b['status_phase_s']), None)
    row(f'send -> 01 latency, burst of {n}: p50 s', b['latency_p50_s'], None, digits=2)
    row(f'send -> 01 latency, burst of {n}: p95 s', b['latency_p95_s'], None, digits=2)
    if res.get('lone'):
        lone = res['lone_summary']
        row(f'send -> 01, lone document (n={lone["n"]}): p50 ms', lone['p50_ms'], None)
        row(f'send -> 01, lone document (n={lone["n"]}): p95 ms', lone['p95_ms'], None)
    return rows


def render_table(rows, header):
    def fmt(v, d):
        return '—' if v is None else f'{v:.{d}f}'
    w = max(len(r['figure']) for r in rows) + 2
    lines = [header, f'{"figure":<{w}}{"ours":>10}{"bare":>10}{"ours/bare":>11}  goal',
             '-' * (w + 10 + 10 + 11 + 22)]
    for r in rows:
        met = '' if r['met'] is None else ('  met' if r['met'] else '  MISSED')
        lines.append(f'{r["figure"]:<{w}}{fmt(r["ours"], r["digits"]):>10}{fmt(r["bare"], r["digits"]):>10}'
                     f'{fmt(r["ratio"], 2):>11}  {r["goal"]}{met}')
    return '\n'.join(lines)


BREAKDOWN = [   # (label, parent, what) for the per-delivery table
    ('deliver_one', None, 'worker.deliver_one (claim, then deliver: 2 transactions)'),
    ('work', 'deliver_one', 'inside the 2 transactions (claim; package, receive, journal)'),
    ('package_for', 'work', 'mapping.package_for: read the signed PDF, the fields'),
    ('encode_package', 'work', 'edxml.encode_package: zip + base64 + XML'),
    ('signed_bytes', 'work', 'outgoing.signed_bytes: XML-DSig + schema + serialize'),
    ('xmldsig.sign', 'signed_bytes', 'xmldsig.sign (c14n, digest, ECDSA)'),
    ('edxml.validate', 'signed_bytes', 'edxml.validate (XSD)'),
    ('receive_package', 'work', 'receive.receive_package'),
    ('decode_package', 'receive_package', 'edxml.decode_package (x2: input, then the signed subtree)'),
    ('xmldsig.verify', 'receive_package', 'xmldsig.verify (signxml)'),
    ('documents.create', 'receive_package', 'services.documents.create'),
    ('ingest', 'documents.create', 'files.ingest (blob, SHA-256, type check)'),
    ('verify_pdf', 'documents.create', 'pades.verify_pdf (2 PDF signatures)'),
]


def breakdown_table(totals, calls, count, total_s, labels=BREAKDOWN):
    totals = dict(totals, deliver_one=total_s)
    calls = dict(calls, deliver_one=count)
    lines = [f'{"step":<72}{"ms/doc":>9}{"share":>8}{"calls":>7}']
    depth = {}
    for label, parent, what in labels:
        depth[label] = 0 if parent is None else depth[parent] + 1
        if label not in totals:
            continue
        ms = totals[label] * 1000 / count
        lines.append(f'{"  " * depth[label] + what:<72}{ms:>9.2f}{totals[label] / total_s:>8.1%}'
                     f'{calls[label]:>7}')
    # what the timed children leave of their parent
    for parent, _p, what in labels:
        kids = [lb for lb, p, _ in labels if p == parent and lb in totals]
        if parent in totals and kids:
            rest = totals[parent] - sum(totals[k] for k in kids)
            name = {'deliver_one': 'rest of the worker call: commits, connections',
                    'work': 'rest inside the transaction(s): claim or outbox scan, journal, ...'}.get(
                parent, f'rest of {what.split(" ")[0].rstrip(":")}')
            lines.append(f'{name:<72}{rest * 1000 / count:>9.2f}{rest / total_s:>8.1%}')
    return '\n'.join(lines)


STATUS_BREAKDOWN = [
    ('deliver_one', None, 'worker.send_one_status (one transaction)'),
    ('work', 'deliver_one', 'inside the transaction (outbox scan, status built, received)'),
    ('encode_status', 'work', 'edxml.encode_status'),
    ('signed_bytes', 'work', 'outgoing.signed_bytes: XML-DSig + schema + serialize'),
    ('receive_status', 'work', 'receive.receive_status'),
    ('decode_status', 'receive_status', 'edxml.decode_status (x2)'),
    ('xmldsig.verify', 'receive_status', 'xmldsig.verify (signxml)'),
]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--docs', type=int, default=1000, help='documents sent and exchanged (default 1000)')
    parser.add_argument('--pdf-kb', type=float, default=200, help='size of each PDF before signing, KB (200)')
    parser.add_argument('--lone', type=int, default=30, help='lone documents, sent one at a time (30)')
    parser.add_argument('--chunk', type=int, default=0, help='deliveries per interleaved turn (default N/10)')
    parser.add_argument('--no-bare-checks', action='store_true',
                        help='skip the informational bare side with the signature checks')
    parser.add_argument('--quick', action='store_true', help='100 documents, 10 lone (~1 min)')
    parser.add_argument('--profile', action='store_true',
                        help='after the figures, cProfile of --profile-n more deliveries and statuses')
    parser.add_argument('--profile-n', type=int, default=50)
    parser.add_argument('--out', default=os.path.join(HERE, 'out'), help='folder for the results (bench/out/)')
    parser.add_argument('--keep', action='store_true', help='keep the databases (DIR/exchange-N/)')
    parser.add_argument('--seed', type=int, default=20261124)
    parser.add_argument('--what-if', default='',
                        help=f'simulate changes to src/ (comma-separated: {", ".join(WHAT_IF)}); '
                             'figures then are NOT the product\'s')
    args = parser.parse_args(argv)
    what_if = [w for w in args.what_if.split(',') if w]
    unknown = set(what_if) - set(WHAT_IF)
    if unknown:
        parser.error(f'unknown --what-if {sorted(unknown)} ({", ".join(WHAT_IF)})')
    for name in what_if:
        WHAT_IF[name]()
    if args.quick:
        args.docs, args.lone = 100, 10
    pdf_bytes = int(args.pdf_kb * 1024)
    chunk = args.chunk or max(10, args.docs // 10)
    out_dir = os.path.abspath(args.out)
    work = os.path.join(out_dir, f'exchange-{args.docs}')
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    counts = {'burst': args.docs, 'lone': args.lone, 'profile': args.profile_n if args.profile else 0}
    say(f'bench/exchange.py: {args.docs} documents (+{args.lone} lone'
        + (f', +{counts["profile"]} profiled' if args.profile else '') + f'), {pdf_bytes} byte PDFs, '
        f'{os.cpu_count()} CPUs, in {work}')
    started = time.time()
    res = {'docs': args.docs, 'pdf_bytes': pdf_bytes, 'lone_docs': args.lone, 'chunk': chunk, 'what_if': what_if,
           'python': sys.version.split()[0], 'cpus': os.cpu_count(),
           'started_at': dt.datetime.now(VN).isoformat(timespec='seconds'), 'source': source_version()}

    say('setup (not timed): app, receivers enrolled, documents through create/submit/approve/number/sign/send')
    t0 = time.perf_counter()
    app, names, sizes = setup_ours(os.path.join(work, 'ours'), counts, pdf_bytes, args.seed)
    res['setup_s'] = time.perf_counter() - t0
    res['signed_pdf_bytes_mean'] = statistics.fmean(sizes)
    say(f'  {res["setup_s"]:.0f} s; signed PDFs {res["signed_pdf_bytes_mean"] / 1024:.0f} KB on average')
    with Session(app) as s:
        from archive.exchange import deliveries
        waiting = deliveries.waiting(s.root)
        store = app.registry.archive_keystore
        from cryptography.hazmat.primitives import serialization
        org_pem = store.certificate(f'org-sign:{HOST}').public_bytes(serialization.Encoding.PEM)
        demo_root = s.root.demo_trust_roots[0]
        demo_root = demo_root.encode() if isinstance(demo_root, str) else demo_root
    if waiting != args.docs:
        raise SystemExit(f'FAIL: {waiting} deliveries waiting, {args.docs} expected')

    bares = {'bare': Bare(os.path.join(work, 'bare'))}
    if not args.no_bare_checks:
        bares['bare_checks'] = Bare(os.path.join(work, 'bare-checks'), checks=bare_checks(org_pem, demo_root))
    say(f'1+2. the exchange: deliveries interleaved with the bare sides in turns of {chunk}, then the statuses')
    burst = phase_burst(app, bares, args.docs, chunk)
    for bare in bares.values():
        bare.close()
    by_delivery, by_status, problems = check_results(app, names['burst'], burst['delivered'], burst['statuses'])
    if len(burst['delivered']) != args.docs or len(by_status) != args.docs:
        problems.append(f'{len(burst["delivered"])} delivered, {len(by_status)} statuses 01 matched')
    # latency: all N queued when the run started (ours clock 0) -> status 01 recorded
    latencies = [stamp for key, stamp in burst['statuses'] if key in by_status]
    arrived_at = [stamp for _d, stamp in burst['delivered']]
    b = {
        'ours': {'rate_per_s': len(burst['deliver_times']) / burst['deliver_phase_s'],
                 'rate_of_calls_per_s': rate(burst['deliver_times']),
                 **summary_ms(burst['deliver_times'])},
        'deliver_phase_s': burst['deliver_phase_s'], 'status_phase_s': burst['status_phase_s'],
        'status_rate_per_s': len(burst['status_times']) / burst['status_phase_s'],
        'status_call': summary_ms(burst['status_times']),
        'latency_p50_s': pct(latencies, 50), 'latency_p95_s': pct(latencies, 95),
        'latency_max_s': max(latencies) if latencies else None,
        'arrived_p50_s': pct(arrived_at, 50),
        'package_bytes_mean': statistics.fmean(burst['package_sizes']) if burst['package_sizes'] else None,
        'first_10pct_deliveries_per_s': rate(burst['deliver_times'][:max(1, args.docs // 10)]),
        'last_10pct_deliveries_per_s': rate(burst['deliver_times'][-max(1, args.docs // 10):]),
        'first_10pct_statuses_per_s': rate(burst['status_times'][:max(1, args.docs // 10)]),
        'last_10pct_statuses_per_s': rate(burst['status_times'][-max(1, args.docs // 10):]),
    }
    for name, times in burst['bare_times'].items():
        b[name] = {'rate_per_s': rate(times), **summary_ms(times)}
    d_tot, d_calls = burst['deliver_breakdown']
    s_tot, s_calls = burst['status_breakdown']
    b['deliver_breakdown_ms_per_doc'] = {k: v * 1000 / args.docs for k, v in d_tot.items()}
    b['status_breakdown_ms_per_doc'] = {k: v * 1000 / max(1, len(burst['status_times'])) for k, v in s_tot.items()}
    deliver_table = breakdown_table(d_tot, d_calls, len(burst['deliver_times']), sum(burst['deliver_times']))
    status_table = breakdown_table(s_tot, s_calls, len(burst['status_times']), sum(burst['status_times']),
                                   STATUS_BREAKDOWN)
    res['burst'] = b
    res['problems'] = problems

    if args.lone:
        say(f'3. {args.lone} lone documents: send, deliver, status 01, one after the other')
        lone = phase_lone(app, names['lone'])
        res['lone'] = lone
        res['lone_summary'] = {**summary_ms([x['total_s'] for x in lone]),
                               'send': summary_ms([x['send_s'] for x in lone]),
                               'deliver': summary_ms([x['deliver_s'] for x in lone]),
                               'status': summary_ms([x['status_s'] for x in lone])}
    if args.profile:
        say('profiles (after the figures)')
        res['profiles'] = phase_profile(app, names['profile'], out_dir)
    close_app(app)

    res['elapsed_s'] = time.time() - started
    rows = build_rows(res)
    src = res['source']
    header = (f'exchange benchmark: {args.docs} documents x {pdf_bytes // 1024} KB PDF '
              f'(signed {res["signed_pdf_bytes_mean"] / 1024:.0f} KB, package '
              f'{(b["package_bytes_mean"] or 0) / 1024:.0f} KB), {res["elapsed_s"]:.0f} s in all '
              f'(setup {res["setup_s"]:.0f} s); commit {src["commit"][:10]}'
              + (f' + {src["src_changed_files"]} changed files in src/' if src['src_changed_files'] else '')
              + (f'\nWHAT-IF (simulated changes, not the product): {", ".join(what_if)}' if what_if else ''))
    table = render_table(rows, header)
    res['table'] = [{k: v for k, v in r.items() if k != 'digits'} for r in rows]
    res['table_text'] = table
    res['deliver_breakdown_text'] = deliver_table
    res['status_breakdown_text'] = status_table
    res['complete'] = not problems
    path = os.path.join(out_dir, 'exchange.json' if not what_if else f'exchange-what-if-{"+".join(what_if)}.json')
    with open(path, 'w') as f:
        json.dump(res, f, indent=2, ensure_ascii=False, default=str)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    say('')
    say(table)
    say('\nper delivery (timers around the worker\'s steps, burst run):')
    say(deliver_table)
    say('\nper status 01:')
    say(status_table)
    if 'lone_summary' in res:
        ls = res['lone_summary']
        say(f'\nlone document, p50 ms: send {ls["send"]["p50_ms"]:.1f} + deliver {ls["deliver"]["p50_ms"]:.1f} '
            f'+ status {ls["status"]["p50_ms"]:.1f}')
    say('\n(ours/bare: for documents/s higher is better; latency of a burst: from the start of the run, '
        'when all N were queued, to each status 01 recorded on the sender\'s delivery row)')
    say(f'results: {path}')
    if problems:
        say('FAIL: ' + '; '.join(problems[:10]))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())

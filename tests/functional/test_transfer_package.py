"""Transfer packages (issue 14, items 6 and 7): an E-ARK SIP of records files built from the demo's
real documents (real PDFs, the real signature verdicts and journal), checked with eark-validator and
bagit; bad input each with its own test."""
import datetime as dt
import hashlib
import io
import os
import zipfile
from types import SimpleNamespace

import pytest
from lxml import etree

from archive.archival import sip
from archive.archival.sip import zipjournal
from archive.seed import HOST
from tests.conftest import open_root

METS = '{http://www.loc.gov/METS/}'
XLINK_HREF = '{http://www.w3.org/1999/xlink}href'


def records_file(docs, code='01.VP/HS-2026', secret=False, **over):
    values = dict(code=code, title='Hồ sơ công tác văn thư năm 2026', year=2026, body_code=HOST,
                  unit_code='VP', responsible='vanthu', opened_on=dt.date(2026, 1, 5),
                  closed_on=dt.date(2026, 11, 30), retention_years=None, plan_entry='01.VP',
                  document_names=[d.__name__ for d in docs], secret=secret)
    values.update(over)
    return SimpleNamespace(**values)


@pytest.fixture
def demo(file_app):
    conn, root = open_root(file_app)
    body = root['bodies'][HOST]
    docs = {name: body.documents[name] for name in body.documents.newest_first()}
    yield SimpleNamespace(app=file_app, conn=conn, root=root, body=body, docs=docs,
                          settings=file_app.registry.archive_settings)
    conn.transaction_manager.abort()
    conn.close()


def plain(demo):
    """The demo's documents that are not Mật, with their files (the signed incoming one, the
    outgoing one signed through its lifecycle, the paper intake, the unsigned draft)."""
    return [d for d in demo.docs.values() if d.classification != 'mat']


def export(demo, tmp_path, files, name='pkg-1', **kw):
    target = str(tmp_path / f'{name}.zip')
    by_code = {f.code: f for f in files}
    report = sip.write_package(target, name, demo.body, files,
                               lambda f: ((n, demo.docs[n]) for n in by_code[f.code].document_names), **kw)
    return target, report


def mets_of(target, package_id):
    with zipfile.ZipFile(target) as zf:
        return etree.fromstring(zf.read(f'{package_id}/METS.xml'))


def test_package_is_a_valid_sip_with_originals_bit_exact(demo, tmp_path):
    docs = plain(demo)
    steps = []
    target, report = export(demo, tmp_path, [records_file(docs)], progress=lambda d, t: steps.append((d, t)))
    assert sip.validate(target) == []
    assert steps[-1] == (len(docs), len(docs)) and len(steps) == len(docs)
    with open(target, 'rb') as f:
        assert report.bytes == len(f.read())
    with zipfile.ZipFile(target) as zf:
        assert report.mets_sha256 == hashlib.sha256(zf.read('pkg-1/METS.xml')).hexdigest()
        names = zf.namelist()
        assert {n.split('/', 1)[0] for n in names} == {'pkg-1'}
        for doc in docs:
            for n, f in enumerate(doc.file_list(), 1):
                stored = [x for x in names if x.startswith(f'pkg-1/representations/rep1/data/01.VP-HS-2026/'
                                                           f'{doc.__name__}/{n}-')]
                with f.open() as blob:
                    assert zf.read(stored[0]) == blob.read()
        assert 'pkg-1/documentation/file-list.csv' in names
        assert any(n.startswith('pkg-1/schemas/') for n in names)
    mets = mets_of(target, 'pkg-1')
    files = mets.findall(f'.//{METS}file')
    assert files and all(f.get('MIMETYPE') and f.get('SIZE') and f.get('CREATED')
                         and f.get('CHECKSUMTYPE') == 'SHA-256' for f in files)
    assert report.originals == sum(len(d.file_list()) for d in docs)


def test_descriptive_and_preservation_metadata_as_recorded(demo, tmp_path):
    docs = plain(demo)
    signed = next(d for d in docs if isinstance(d.origin_verdict, dict) and d.direction == 'incoming')
    target, _report = export(demo, tmp_path, [records_file(docs)])
    with zipfile.ZipFile(target) as zf:
        hoso = etree.fromstring(zf.read('pkg-1/metadata/descriptive/01.VP-HS-2026/ho-so.xml'))
        premis = etree.fromstring(zf.read(f'pkg-1/metadata/preservation/01.VP-HS-2026/{signed.__name__}.premis.xml'))
        desc = etree.fromstring(zf.read(f'pkg-1/metadata/descriptive/01.VP-HS-2026/{signed.__name__}.xml'))
    ns = {'h': sip.metadata.NS, 'p': sip.metadata.PREMIS}
    assert hoso.findtext('h:FileCode', namespaces=ns) == '01.VP/HS-2026'
    assert hoso.findtext('h:Retention', namespaces=ns) == 'vinh-vien'
    assert hoso.findtext('h:DocumentCount', namespaces=ns) == str(len(docs))
    assert desc.findtext('h:CodeNotation', namespaces=ns) == signed.number_symbol
    assert desc.findtext('h:SignatureVerdict/h:CheckedAt', namespaces=ns) == signed.origin_verdict['checked_at']
    events = {e.findtext('p:eventType', namespaces=ns): e for e in premis.iterfind('p:event', ns)}
    assert {'ingestion', 'digital signature validation', 'transfer'} <= set(events)
    check = events['digital signature validation']
    assert check.findtext('p:eventOutcomeInformation/p:eventOutcome', namespaces=ns) == \
        signed.origin_verdict['status']


def test_wrapped_as_a_bag_valid_with_bagit_and_tampering_is_named(demo, tmp_path):
    target, _report = export(demo, tmp_path, [records_file(plain(demo))])
    bag = sip.make_bag(target, str(tmp_path / 'pkg-1.bag'), demo.body, 'pkg-1')
    assert sip.validate(bag) == []
    with open(os.path.join(bag, 'bag-info.txt'), encoding='utf-8') as f:
        info = f.read()
    assert 'External-Identifier: pkg-1' in info and os.path.exists(os.path.join(bag, 'manifest-sha256.txt'))
    # a changed byte in the payload: bagit names it
    payload = os.path.join(bag, 'data', 'pkg-1.zip')
    with open(payload, 'r+b') as f:
        f.seek(40)
        byte = f.read(1)
        f.seek(40)
        f.write(bytes([byte[0] ^ 1]))
    problems = sip.validate(bag)
    assert problems and problems[0]['source'] == 'bagit'


def test_a_package_whose_original_was_changed_fails_validation(demo, tmp_path):
    """validate() is not a formality: an original rewritten inside the zip is named (our listing
    check against METS), and a METS that lost a section is named by eark-validator."""
    target, _report = export(demo, tmp_path, [records_file(plain(demo))])
    changed = str(tmp_path / 'changed.zip')
    with zipfile.ZipFile(target) as src, zipfile.ZipFile(changed, 'w') as out:
        for info in src.infolist():
            data = src.read(info)
            if '/representations/' in info.filename and not info.filename.endswith('/'):
                data = data + b'%extra'
                victim = info.filename
            elif info.filename.endswith('/METS.xml'):
                mets = etree.fromstring(data)
                mets.remove(mets.find(f'{METS}metsHdr'))
                data = etree.tostring(mets)
            out.writestr(info, data)
    problems = sip.validate(changed)
    codes = {(p['source'], p['code']) for p in problems}
    assert ('package', 'checksum_mismatch') in codes
    assert any(victim.split('/', 1)[1] in p['message'] for p in problems)
    assert any(p['source'] == 'eark' for p in problems)


def test_pdfa_is_flagged_not_blocking(demo, tmp_path):
    docs = plain(demo)
    _target, report = export(demo, tmp_path, [records_file(docs)])
    flagged = {(p['document'], p['file']) for p in report.problems if p['code'] == 'not_pdfa'}
    pdfs = {(d.__name__, f.__name__) for d in docs for f in d.file_list() if f.media_type == 'application/pdf'}
    assert pdfs and flagged == pdfs          # the demo's PDFs declare no PDF/A: each one flagged


# -- bad input ---------------------------------------------------------------------------------

def test_second_export_refused_unless_asked(demo, tmp_path):
    files = [records_file(plain(demo))]
    target, first = export(demo, tmp_path, files)
    with open(target, 'rb') as f:
        written = hashlib.sha256(f.read()).hexdigest()
    with pytest.raises(sip.TransferError) as exc:
        export(demo, tmp_path, files)
    assert exc.value.code == 'transfer_package_exists' and 'pkg-1' in exc.value.message.interpolate()
    with open(target, 'rb') as f:
        assert hashlib.sha256(f.read()).hexdigest() == written           # untouched
    _target, again = export(demo, tmp_path, files, overwrite=True)
    assert again.documents == first.documents and sip.validate(target) == []


def _blob_path(f):
    return f.blob.committed()


def damage_blob(path, damage):
    """The stored blob at ``path`` removed (``'missing'``) or one byte of it changed."""
    os.chmod(path, 0o644)
    if damage == 'missing':
        os.remove(path)
    else:
        with open(path, 'r+b') as blob:
            blob.seek(20)
            blob.write(b'X')


@pytest.mark.parametrize('damage', ['missing', 'changed'])
def test_missing_or_damaged_blob_stops_with_document_and_file_named(demo, tmp_path, damage):
    docs = plain(demo)
    victim = next(d for d in docs if d.file_list())
    f = victim.file_list()[0]
    damage_blob(_blob_path(f), damage)
    with pytest.raises(sip.TransferError) as exc:
        export(demo, tmp_path, [records_file(docs)])
    error = exc.value
    assert error.code == ('transfer_blob_missing' if damage == 'missing' else 'transfer_blob_damaged')
    assert (error.document, error.file) == (victim.__name__, f.__name__)
    text = error.message.interpolate()
    assert victim.__name__ in text and f.filename in text
    assert not os.path.exists(tmp_path / 'pkg-1.zip')                     # nothing looks complete
    assert not zipfile.is_zipfile(tmp_path / 'pkg-1.zip.part')             # no central directory


def test_signature_that_no_longer_verifies_exported_with_its_recorded_verdict(demo, tmp_path):
    """The signed incoming document was found valid when it arrived; its CA is no longer trusted
    now, so a new check would fail. The package carries the verdict as recorded, with its time,
    and the export checks nothing again (no new entry in the journal). A document whose
    signature was found broken is exported with that verdict too."""
    from pyramid.threadlocal import manager

    from archive import audit
    from archive.services.documents import Upload, create
    from tests.helpers import incoming
    docs = plain(demo)
    signed = next(d for d in docs if isinstance(d.origin_verdict, dict)
                  and d.origin_verdict['status'] == 'valid' and d.direction == 'incoming')
    recorded = dict(signed.origin_verdict)
    demo.root.demo_trust_roots = ()
    with signed.files[signed.main_file].open() as blob:
        content = bytearray(blob.read())
    at = content.index(b'Van ban mau')
    content[at] ^= 1                                      # the signed bytes changed: a broken signature
    manager.push({'registry': demo.app.registry, 'request': None})
    try:
        broken = create(demo.root, demo.body, incoming(number_symbol='5-CV/BTCTU', doc_type='CV'),
                        [Upload('main_file', 'sua.pdf', io.BytesIO(bytes(content)), 'main')],
                        demo.settings, 'vanthu')
    finally:
        manager.pop()
    assert broken.origin_verdict['status'] == 'invalid'
    before = len(audit.entries(demo.root, signed.chain_id))
    demo.docs[broken.__name__] = broken
    target, _report = export(demo, tmp_path, [records_file([signed, broken])])
    assert len(audit.entries(demo.root, signed.chain_id)) == before
    ns = {'h': sip.metadata.NS, 'p': sip.metadata.PREMIS}
    with zipfile.ZipFile(target) as zf:
        for doc, status in ((signed, 'valid'), (broken, 'invalid')):
            desc = etree.fromstring(zf.read(f'pkg-1/metadata/descriptive/01.VP-HS-2026/{doc.__name__}.xml'))
            premis = etree.fromstring(zf.read(f'pkg-1/metadata/preservation/01.VP-HS-2026/{doc.__name__}.premis.xml'))
            assert desc.findtext('h:SignatureVerdict/h:Status', namespaces=ns) == status
            checks = [e for e in premis.iterfind('p:event', ns)
                      if e.findtext('p:eventType', namespaces=ns) == 'digital signature validation']
            assert [c.findtext('p:eventOutcomeInformation/p:eventOutcome', namespaces=ns) for c in checks] == [status]
            assert checks[0].findtext('p:eventDateTime', namespaces=ns) == doc.origin_verdict['checked_at']
    assert desc is not None and recorded['checked_at'] == signed.origin_verdict['checked_at']
    assert sip.validate(target) == []


def test_secret_file_refused_by_default(demo, tmp_path):
    secret = [d for d in demo.docs.values() if d.classification == 'mat']
    with pytest.raises(sip.TransferError) as exc:
        export(demo, tmp_path, [records_file(plain(demo)), records_file(secret, code='02.VP/MAT', secret=True)])
    assert exc.value.code == 'transfer_secret_refused' and '02.VP/MAT' in exc.value.message.interpolate()
    assert not os.path.exists(tmp_path / 'pkg-1.zip') and not os.path.exists(tmp_path / 'pkg-1.zip.part')
    # a Mật document slipped into an ordinary file is refused as well
    with pytest.raises(sip.TransferError) as exc:
        export(demo, tmp_path, [records_file(plain(demo) + secret)])
    assert exc.value.code == 'transfer_secret_refused'
    assert not os.path.exists(tmp_path / 'pkg-1.zip')


def test_secret_file_exported_encrypted_for_the_archive_when_allowed(demo, tmp_path):
    """With the setting on, the Mật document's stored ciphertext goes into the package as it is,
    its content key wrapped for the archive's certificate: the archive opens it with its own key,
    and gets the plaintext the body's readers read."""
    import base64
    import json

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    from archive.services.secrecy import read
    from archive.signing import ca, secrecy
    secret = [d for d in demo.docs.values() if d.classification == 'mat']
    authority = ca.make_ca('Lưu trữ lịch sử (TEST ONLY)', algorithm='ec-p256')
    archive_key = ca.new_private_key('rsa2048')
    certificate = ca.issue(authority, archive_key.public_key(), 'C=VN,O=Luu tru,CN=Luu tru', ca.ENCRYPTION)
    files = [records_file(secret, code='02.VP/MAT', secret=True)]
    with pytest.raises(sip.TransferError) as exc:
        export(demo, tmp_path, files, allow_secret=True)       # no certificate: refused
    assert exc.value.code == 'transfer_secret_no_certificate'
    target, report = export(demo, tmp_path, files, allow_secret=True, archive_certificate=certificate,
                            settings=demo.settings)
    assert report.secret_documents == [d.__name__ for d in secret]
    assert sip.validate(target) == []
    doc = secret[0]
    f = doc.file_list()[0]
    plaintext = read(demo.root, doc, f, demo.settings, 'test', 'test')
    with zipfile.ZipFile(target) as zf:
        base = f'pkg-1/representations/rep1/data/02.VP-MAT/{doc.__name__}/'
        sealed = zf.read(next(n for n in zf.namelist() if n.startswith(base) and n.endswith('.aesgcm')))
        key = json.loads(zf.read(base + 'content-key.json'))
    with f.open() as blob:
        assert sealed == blob.read()                               # shipped as stored
    assert plaintext not in sealed
    h = hashes.SHA256()
    content_key = archive_key.decrypt(base64.b64decode(key['key']['data']),
                                      padding.OAEP(mgf=padding.MGF1(h), algorithm=h, label=None))
    out = io.BytesIO()
    secrecy.PROVIDER.open(content_key, io.BytesIO(sealed), out, key['aad'].encode())
    assert out.getvalue() == plaintext


def test_eark_validator_loads_offline_from_its_own_vocabularies():
    import urllib.request

    from archive.archival import eark_offline
    real = urllib.request.urlopen
    served = eark_offline.shipped_vocabularies()
    assert len(served) == 4 and all(os.path.isfile(p) for p in served.values())
    packages = eark_offline.load()
    assert hasattr(packages, 'PackageValidator') and urllib.request.urlopen is real


def test_the_database_looks_each_class_up_once(demo, tmp_path):
    """``db.find_classes_once``: a database asks its class lookup once for each class its records
    name, however many records and connections load them (a real FileStorage, documents of the
    project's classes with their files and datetimes); the app's database has it from its start,
    in the connection it had pooled before too."""
    import ZODB
    import transaction
    from persistent.mapping import PersistentMapping
    from ZODB.broken import find_global
    from ZODB.FileStorage import FileStorage

    from archive import clock
    from archive.db import database, find_classes_once
    from archive.resources.files import MAIN, File, write_content
    asked = []

    def lookup(connection, modulename, globalname):
        asked.append((modulename, globalname))
        return find_global(modulename, globalname)
    folder = tmp_path / 'own'
    folder.mkdir()
    db = find_classes_once(ZODB.DB(FileStorage(str(folder / 'Data.fs'), blob_dir=str(folder / 'blobs')),
                                   class_factory=lookup))
    tm = transaction.TransactionManager()
    conn = db.open(tm)
    for n in range(20):
        f = File(f'{n}.pdf', MAIN)
        write_content(f, io.BytesIO(b'%PDF-1.7\n' + bytes([n])))
        f.uploaded_at = clock.now()
        conn.root()[n] = PersistentMapping({'file': f, 'at': clock.now()})
    tm.commit()
    conn.close()
    for _ in range(2):
        db.cacheMinimize()
        conn = db.open(transaction.TransactionManager())
        assert [conn.root()[n]['file'].filename for n in range(20)] == [f'{n}.pdf' for n in range(20)]
        assert all(conn.root()[n]['file'].blob.open().read()[-1] == n for n in range(20))
        conn.close()
    db.close()
    assert sorted(asked) == sorted(set(asked)) and ('archive.resources.files', 'File') in asked
    app_db = database(demo.app.registry)
    assert demo.conn._reader._factory is app_db.classFactory
    assert app_db.classFactory.__qualname__.startswith('find_classes_once')


def test_eark_validator_reads_every_file_entry_wherever_the_parser_blocks_fall(tmp_path):
    """A METS of many ``<file>`` entries, shifted byte by byte across lxml's read blocks: every
    entry is read with its path (eark-validator 1.1.3 read them at their start tag and stopped
    on one whose ``<FLocat>`` was in the next block: ``eark_offline``)."""
    from archive.archival import eark_offline
    eark_offline.load()
    from eark_validator import mets
    entry = ('<file ID="f{n}" MIMETYPE="application/pdf" SIZE="3" CREATED="2026-01-01T00:00:00+07:00" '
             f'CHECKSUM="{"A" * 64}" CHECKSUMTYPE="SHA-256"><FLocat LOCTYPE="URL" xlink:type="simple" '
             'xlink:href="representations/rep1/data/{n}.pdf"/></file>\n')
    entries = ''.join(entry.format(n=n) for n in range(500))
    path = tmp_path / 'METS.xml'
    for pad in range(0, 400, 16):
        path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<mets xmlns="http://www.loc.gov/METS/" '
                        f'xmlns:xlink="http://www.w3.org/1999/xlink" OBJID="x"><!--{"x" * pad}--><fileSec>'
                        f'<fileGrp ID="g">\n{entries}</fileGrp></fileSec></mets>\n')
        read = mets.MetsFiles.from_file(str(path)).file_entries
        assert [e.path for e in read] == [f'representations/rep1/data/{n}.pdf' for n in range(500)]


@pytest.mark.slow
@pytest.mark.parametrize('workers', [1, 2])
def test_sigkill_mid_export_resumes_and_no_half_package_looks_complete(tmp_path, workers):
    """An export killed with SIGKILL after two batches of the journal and a few documents more
    leaves only ``.part`` files (no zip directory, not the final name) and a journal of whole
    batches; the next run checks what was written, rewrites the unit we damaged and the ones the
    journal had not taken yet, keeps the others, and finishes a package that validates. Its worker
    processes (``workers``) end with it."""
    import json
    import subprocess
    import sys

    from tests.conftest import HERE, base_settings, close_app, file_uri, make_app
    close_app(make_app(base_settings(tmp_path, file_uri(tmp_path))))
    target = str(tmp_path / 'out' / 'pkg-kill.zip')
    os.makedirs(os.path.dirname(target))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.join(HERE, 'src'), HERE]))

    pids = str(tmp_path / 'pids.json')

    def run(kill_after):
        return subprocess.run([sys.executable, '-m', 'tests.functional.transfer_worker', file_uri(tmp_path),
                               target, str(kill_after), str(workers), pids], cwd=HERE, env=env, capture_output=True,
                              timeout=180)
    killed = run(2 * zipjournal.EVERY + 3)
    assert killed.returncode == -9, killed.stderr.decode()
    with open(pids) as f:
        children = json.load(f)
    assert len(children) == (workers if workers > 1 else 0)
    assert _ended(children)
    assert sorted(os.listdir(os.path.dirname(target))) == ['pkg-kill.zip.part', 'pkg-kill.zip.part.log']
    assert not zipfile.is_zipfile(target + '.part')
    with open(target + '.part.log', encoding='utf-8') as f:
        units = [json.loads(line) for line in f][1:]
    # the schemas, then whole batches: the documents written since the last one are not journaled
    assert units[0]['unit'] == 'schemas' and len(units) == 2 * zipjournal.EVERY
    assert units[-1]['end'] < os.path.getsize(target + '.part') or len(units) < 2 * zipjournal.EVERY + 3
    last = next(u for u in reversed(units) if not u['unit'].endswith('/ho-so'))['zip'][-1]
    with open(target + '.part', 'r+b') as f:        # damage the last journaled document's last entry
        f.seek(last[zipjournal.OFF] + last[zipjournal.CSIZE] // 2 + 40)
        byte = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([byte[0] ^ 0xFF]))
    damaged = next(n for n, u in enumerate(units) if last in u['zip'])
    done = run(0)
    assert done.returncode == 0, done.stderr.decode()
    report = json.loads(done.stdout)
    assert report['resumed_units'] == damaged       # the units before the damaged one, verified
    assert sorted(os.listdir(os.path.dirname(target))) == ['pkg-kill.zip']
    assert sip.validate(target) == []
    with zipfile.ZipFile(target) as zf:
        assert len(zf.namelist()) == len(set(zf.namelist())) == report['files_written']


def _ended(pids, seconds=10):
    """Every process of ``pids`` gone (or a zombie: ended, waiting for its parent to reap it)."""
    import time
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        alive = []
        for pid in pids:
            try:
                with open(f'/proc/{pid}/stat') as f:
                    if f.read().rsplit(')', 1)[1].split()[0] != 'Z':
                        alive.append(pid)
            except FileNotFoundError:
                pass
        if not alive:
            return True
        time.sleep(0.1)
    return False


def test_interrupted_export_resumes_from_what_was_verified(demo, tmp_path):
    """The cheap twin of the SIGKILL test: an export stopped by an error after two documents
    leaves its ``.part`` and journal; asking again reuses the schemas and the two documents."""
    docs = plain(demo)
    files = [records_file(docs)]

    def stop(done, total):
        if done == 2:
            raise RuntimeError('interrupted')
    with pytest.raises(RuntimeError):
        export(demo, tmp_path, files, progress=stop)
    assert not os.path.exists(tmp_path / 'pkg-1.zip') and os.path.exists(tmp_path / 'pkg-1.zip.part')
    target, report = export(demo, tmp_path, files)
    assert report.resumed_units == 3 and report.documents == len(docs)
    assert sip.validate(target) == [] and not os.path.exists(tmp_path / 'pkg-1.zip.part')
    # another selection under the same name starts over instead of mixing the two
    with pytest.raises(RuntimeError):
        export(demo, tmp_path, files, name='pkg-2', progress=stop)
    _target, other = export(demo, tmp_path, [records_file(docs[:1])], name='pkg-2')
    assert other.resumed_units == 0 and other.documents == 1


def paper_only(demo, number_symbol='9-CV/BTCTU'):
    """A paper letter registered with its metadata only: no file at all."""
    from pyramid.threadlocal import manager

    from archive.services.documents import create
    from tests.helpers import incoming
    manager.push({'registry': demo.app.registry, 'request': None})
    try:
        doc = create(demo.root, demo.body, incoming(number_symbol=number_symbol, doc_type='CV', channel='paper'),
                     [], demo.settings, 'vanthu')
    finally:
        manager.pop()
    assert doc.file_list() == []
    demo.docs[doc.__name__] = doc
    return doc


@pytest.mark.parametrize('with_pdf', [False, True], ids=['paper-only', 'paper-and-pdf'])
def test_paper_only_document_has_its_record_as_representation(demo, tmp_path, with_pdf):
    """A records file of paper letters registered without a file exports a valid SIP: the
    document's representation is its metadata record (the same bytes as its descriptive XML,
    saying the original is on paper), marked so in METS, and PREMIS says "original medium: paper"."""
    pdf = next(d for d in plain(demo) if d.file_list() and d.channel == 'electronic')
    paper = paper_only(demo)
    docs = [paper] + ([pdf] if with_pdf else [])
    target, report = export(demo, tmp_path, [records_file(docs)])
    assert sip.validate(target) == []
    assert report.originals == (len(pdf.file_list()) if with_pdf else 0)
    ns = {'h': sip.metadata.NS, 'p': sip.metadata.PREMIS}
    base = f'pkg-1/representations/rep1/data/01.VP-HS-2026/{paper.__name__}/'
    with zipfile.ZipFile(target) as zf:
        inside = [n for n in zf.namelist() if n.startswith(base)]
        assert inside == [base + 'ban-mo-ta.xml']
        record = zf.read(inside[0])
        assert record == zf.read(f'pkg-1/metadata/descriptive/01.VP-HS-2026/{paper.__name__}.xml')
        premis = etree.fromstring(zf.read(f'pkg-1/metadata/preservation/01.VP-HS-2026/{paper.__name__}.premis.xml'))
        if with_pdf:
            other = etree.fromstring(zf.read(f'pkg-1/metadata/descriptive/01.VP-HS-2026/{pdf.__name__}.xml'))
            assert other.findtext('h:OriginalMedium', namespaces=ns) == 'dien-tu'
            assert any(n.startswith(f'pkg-1/representations/rep1/data/01.VP-HS-2026/{pdf.__name__}/')
                       for n in zf.namelist())
    desc = etree.fromstring(record)
    assert desc.findtext('h:CodeNotation', namespaces=ns) == '9-CV/BTCTU'
    assert desc.findtext('h:OriginalMedium', namespaces=ns) == 'giay'
    prop = premis.find('p:object/p:significantProperties', ns)
    assert prop.findtext('p:significantPropertiesType', namespaces=ns) == 'original medium'
    assert prop.findtext('p:significantPropertiesValue', namespaces=ns).startswith('paper')
    mets = mets_of(target, 'pkg-1')
    listed = {f.find(f'{METS}FLocat').get(XLINK_HREF): f for f in mets.iter(f'{METS}file')}
    assert listed[base.split('/', 1)[1] + 'ban-mo-ta.xml'].get('USE') == 'Paper original: metadata record'
    assert all(f.get('USE') is None for href, f in listed.items() if 'ban-mo-ta' not in href)


def test_markup_characters_in_values_are_escaped_in_every_xml(demo, tmp_path):
    """The XML is written from string templates: a value holding XML's own characters comes back
    intact from the descriptive record and from METS, and the package stays valid."""
    docs = plain(demo)
    tricky = 'Về A & B <khẩn> "gấp" \'x\''
    docs[0].abstract = tricky
    demo.body.name = 'Văn phòng <Thành ủy> & "Ban"'
    target, _report = export(demo, tmp_path, [records_file(docs, title=tricky)])
    assert sip.validate(target) == []
    ns = {'h': sip.metadata.NS}
    with zipfile.ZipFile(target) as zf:
        desc = etree.fromstring(zf.read(f'pkg-1/metadata/descriptive/01.VP-HS-2026/{docs[0].__name__}.xml'))
        hoso = etree.fromstring(zf.read('pkg-1/metadata/descriptive/01.VP-HS-2026/ho-so.xml'))
    assert desc.findtext('h:Subject', namespaces=ns) == tricky
    assert hoso.findtext('h:Title', namespaces=ns) == tricky
    mets = mets_of(target, 'pkg-1')
    assert mets.get('LABEL') == 'Chuyển giao hồ sơ của Văn phòng <Thành ủy> & "Ban"'
    assert mets.find(f'{METS}metsHdr/{METS}agent[@ROLE="ARCHIVIST"]/{METS}name').text == demo.body.name


def test_the_export_reads_each_document_with_its_files_not_its_journal(demo, tmp_path):
    """What the package needs of a document comes with it: the document and its files are loaded
    once each, their blobs not at all (a blob's file is asked of the storage); its journal chain is
    not read (the signature checks the PREMIS events tell are kept on the document,
    ``Document.origin_checks``)."""
    docs = plain(demo)
    stored = sum(len(d.files) for d in docs)
    demo.conn.cacheMinimize()
    demo.conn.getTransferCounts(clear=True)
    _target, report = export(demo, tmp_path, [records_file(docs)])
    loads, _stores = demo.conn.getTransferCounts()
    assert report.documents == len(docs)
    # each document, each file, and the body (its name); a loaded blob would be one more a file, the
    # files' tree one more a document (``Document.listed_files``), the journal's chain and its entries two more
    assert loads <= len(docs) + stored + 1


def test_files_are_listed_in_order_without_their_tree_and_the_evolve_step_keeps_them(demo):
    """A document lists its files in the order they were added as its tree holds them, without
    loading the tree, as files are added and destroyed; evolve step 0020 keeps the list for
    documents stored before it (and changes nothing when run again)."""
    from archive.evolve import list_files_in_order
    from archive.exchange.recall import destroy
    from archive.resources.files import ATTACHMENT, File, write_content
    docs = [d for d in demo.docs.values() if d.file_list()]
    doc = docs[0]
    for n in range(9):                      # past "10": names sort as text in the tree, as numbers here
        f = File(f'phu-luc-{n}.txt', ATTACHMENT)
        write_content(f, io.BytesIO(b'phu luc %d' % n))
        doc.add_file(f)
    demo.conn.transaction_manager.commit()
    in_tree = {d.__name__: sorted(d.files.values(), key=lambda f: int(f.__name__)) for d in docs}
    assert len(in_tree[doc.__name__]) >= 10
    demo.conn.cacheMinimize()
    for d in docs:
        assert d.file_list() == in_tree[d.__name__]
        assert d.files._p_changed is None               # the tree stays a ghost
    for d in docs:
        del d.listed_files                  # as a document stored before the step
    list_files_in_order(demo.root)
    list_files_in_order(demo.root)
    assert {d.__name__: d.file_list() for d in docs} == in_tree
    destroy(demo.root, doc)
    assert doc.file_list() == [] and len(doc.files) == 0


def test_a_step_rewriting_every_document_keeps_them_in_savepoints_not_memory(demo, monkeypatch):
    """A whole-archive step takes a savepoint every ``SAVEPOINT_EVERY`` documents (what it
    changed goes to ZODB's temporary file, the cache may drop it), and its result is the same."""
    from archive import evolve
    docs = list(demo.docs.values())
    assert len(docs) >= 4
    expected = {d.__name__: d.file_list() for d in docs}
    for d in docs:
        del d.listed_files
    demo.conn.transaction_manager.commit()
    monkeypatch.setattr(evolve, 'SAVEPOINT_EVERY', 2)
    evolve.list_files_in_order(demo.root)
    assert demo.conn._savepoint_storage is not None          # a savepoint was taken on the way
    demo.conn.transaction_manager.commit()
    demo.conn.cacheMinimize()
    assert {d.__name__: d.file_list() for d in docs} == expected


def test_signature_checks_kept_on_the_document_as_journaled(demo):
    """Every check of a document's origin is kept on it as its journal entry says it; the evolve
    step 0017 fills it in for documents checked before (and adds nothing when run again)."""
    from archive import audit
    from archive.evolve import keep_origin_checks
    checked = [d for d in demo.docs.values() if audit.entries(demo.root, d.chain_id, actions=('origin_checked',))]
    assert checked
    journaled = {d.__name__: [(e['at'], e['details']['status'], e['details']['code'], e['details']['file'],
                               e['details']['sha256'])
                              for e in audit.entries(demo.root, d.chain_id, actions=('origin_checked',))]
                 for d in checked}
    assert {d.__name__: list(d.origin_checks) for d in checked} == journaled
    for d in checked:
        del d.origin_checks                 # as a document checked before the step
    keep_origin_checks(demo.root)
    keep_origin_checks(demo.root)
    assert {d.__name__: list(d.origin_checks) for d in checked} == journaled


@pytest.mark.parametrize('damage', [False, True], ids=['whole', 'changed-past-the-first-block'])
def test_an_original_over_one_block_is_streamed_bit_exact_checked_and_resumed(demo, tmp_path, damage):
    """An original larger than one ``CHUNK`` is not read whole: it is streamed into the zip behind
    a data descriptor. It comes out bit-exact and listed with its SHA-256, its PDF/A mark is found
    where it straddles two blocks, an export stopped after it keeps it when resumed (its entry
    read back and checked), and a byte changed past the first block stops the export naming it."""
    from archive.archival.digest import CHUNK
    from archive.resources.files import ATTACHMENT, PDF, File, write_content
    doc = next(d for d in plain(demo) if d.file_list())
    other = next(d for d in plain(demo) if d.file_list() and d is not doc)
    content = b'%PDF-1.7\n' + os.urandom(CHUNK - 14) + b'pdfaid:part' + os.urandom(CHUNK // 2)
    f = File('ban-lon.pdf', ATTACHMENT)
    write_content(f, io.BytesIO(content))
    f.size, f.media_type = len(content), PDF
    doc.add_file(f)
    demo.conn.transaction_manager.commit()
    if damage:
        path = _blob_path(f)
        os.chmod(path, 0o644)
        with open(path, 'r+b') as blob:
            blob.seek(CHUNK + 100)
            byte = blob.read(1)
            blob.seek(CHUNK + 100)
            blob.write(bytes([byte[0] ^ 1]))
        with pytest.raises(sip.TransferError) as exc:
            export(demo, tmp_path, [records_file([doc])])
        assert (exc.value.code, exc.value.document, exc.value.file) == ('transfer_blob_damaged', doc.__name__,
                                                                        f.__name__)
        assert not os.path.exists(tmp_path / 'pkg-1.zip')
        return
    files = [records_file([doc, other])]

    def stop(done, total):
        if done == 1:
            raise RuntimeError('interrupted')
    with pytest.raises(RuntimeError):
        export(demo, tmp_path, files, progress=stop)
    target, report = export(demo, tmp_path, files)
    assert report.resumed_units == 2                  # the schemas and the document with the big file
    assert sip.validate(target) == []
    entry = f'pkg-1/representations/rep1/data/01.VP-HS-2026/{doc.__name__}/{f.__name__}-ban-lon.pdf'
    with zipfile.ZipFile(target) as zf:
        assert zf.read(entry) == content
        assert zf.getinfo(entry).flag_bits & 0x08                   # streamed, sizes after the data
        listing = zf.read('pkg-1/documentation/file-list.csv').decode('utf-8')
    assert f'{entry.split("/", 1)[1]},{len(content)},{hashlib.sha256(content).hexdigest()},{PDF}' in listing
    assert (doc.__name__, f.__name__) not in {(p['document'], p['file']) for p in report.problems}

"""The PKCS#11 key store end to end in the real app: a fresh SoftHSM2 token, ``archive.keystore =
pkcs11``, the demo seed generating its keys ON the token, then an outgoing document signed twice
on the token and a Mật document sealed for (and opened by) the token-held encryption key. A wrong
PIN keeps the app from starting, on a fresh database and on one that exists (the store is
unlocked at start). FileStorage only; no mocks.

SoftHSM2 is the Debian package ``softhsm2`` (the Makefile installs it, CI has it); without it the
module is skipped, as tests/unit/test_keys.py is."""
import hashlib
import io
import traceback
from types import SimpleNamespace

import pytest
import transaction
from cryptography.hazmat.primitives import serialization

from archive.services.certificates import sender_org_certs, trust_roots
from archive.signing import keys
from archive.signing.pades import verify_pdf

from ..conftest import HOST_CODE, base_settings, client, close_app, file_uri, make_app, open_root
from ..helpers import incoming, multipart, pdf, softhsm_tokens

API = f'/api/v1/bodies/{HOST_CODE}/documents'
TOKEN, FRESH_TOKEN, RESTART_TOKEN = 'archive-app', 'archive-app-fresh', 'archive-app-restart'
PIN, WRONG_PIN, SO_PIN = '482916', '731955', '97531864'
PIN_ENV = 'ARCHIVE_TEST_PKCS11_PIN'
MARKER = 'MARKER-MAT-PKCS11-5d2e'
SIGN_ID, ENC_ID, PERSON_ID = f'org-sign:{HOST_CODE}', f'org-enc:{HOST_CODE}', 'person:lanhdao'
INSTANCE_ID = 'instance:local'          # the instance's own key (exchange/receipts.py)
BTC_ID = 'org-sign:000.00.02.H01'        # Ban Tổ chức's, whose clerk is a demo user


# -- the token and the app -------------------------------------------------------------------

@pytest.fixture(scope='module')
def softhsm(tmp_path_factory):
    """A SoftHSM2 token folder of this module's own with three fresh tokens (the app the lifecycle
    tests share, a first start, a restart: each its own login state), the library (re)loaded."""
    yield from softhsm_tokens(tmp_path_factory, 'softhsm-app', [TOKEN, FRESH_TOKEN, RESTART_TOKEN], PIN, SO_PIN,
                              'the PKCS#11 key store in the app')


def token_settings(folder, softhsm, token=TOKEN):
    return base_settings(folder, file_uri(folder), **{
        'archive.keystore': 'pkcs11', 'archive.pkcs11_lib': softhsm.lib, 'archive.pkcs11_token': token,
        'archive.pkcs11_pin_env': PIN_ENV,
        # SoftHSM2 offers RSA-OAEP with SHA-1 only
        'archive.encryption_oaep_hash': 'sha1'})


def start(settings, pin):
    """The app as a server starts it: the PIN in the environment variable the .ini names."""
    with pytest.MonkeyPatch.context() as mp:
        if pin is None:
            mp.delenv(PIN_ENV, raising=False)
        else:
            mp.setenv(PIN_ENV, pin)
        return make_app(settings)


def stop(app):
    close_app(app)
    app.registry.archive_keystore.close()     # logs out of the token (its only session)


def refused(settings, pin):
    """``make_app`` that must fail: the exception. Closes what the failed start left open (the
    database is opened before the demo seed runs)."""
    from pyramid.config import global_registries
    known = {id(r) for r in global_registries}
    try:
        app = start(settings, pin)
    except Exception as exc:        # what make_app raises is the point of the test
        transaction.abort()
        for registry in [r for r in global_registries if id(r) not in known]:
            for db in getattr(registry, '_zodb_databases', {}).values():
                db.close()
            store = getattr(registry, 'archive_keystore', None)
            if store is not None:
                store.close()
            global_registries.remove(registry)
        return exc
    stop(app)
    pytest.fail('the app started')


def everything_said(exc):
    return str(exc) + repr(exc) + ''.join(traceback.format_exception(exc))


@pytest.fixture(scope='module')
def token_app(softhsm, tmp_path_factory):
    folder = tmp_path_factory.mktemp('pkcs11-app')
    app = start(token_settings(folder, softhsm), PIN)
    yield SimpleNamespace(app=app, folder=folder, store=app.registry.archive_keystore)
    stop(app)


@pytest.fixture
def people(token_app):
    return {login: client(token_app.app, login) for login in ('vanthu', 'lanhdao', 'chuyenvien')}


def act(c, doc_id, action, status=200):
    return c.post_json(f'{API}/{doc_id}/transitions/{action}', {}, headers={'X-CSRF-Token': c.csrf},
                       status=status)


def der(cert):
    return cert.public_bytes(serialization.Encoding.DER)


# -- 1. the demo keys are on the token ------------------------------------------------------

def test_the_demo_seed_generates_its_keys_on_the_token(token_app, softhsm):
    store = token_app.store
    assert isinstance(store, keys.Pkcs11KeyStore) and store.token_label == TOKEN
    infos = {i.key_id: i for i in store.list()}
    assert set(infos) == {SIGN_ID, ENC_ID, PERSON_ID, BTC_ID, INSTANCE_ID}
    assert {k: (i.store, i.algorithm, i.status) for k, i in infos.items()} == {
        SIGN_ID: ('pkcs11', 'ec-p256', 'valid'), ENC_ID: ('pkcs11', 'rsa2048', 'valid'),
        PERSON_ID: ('pkcs11', 'ec-p256', 'valid'), BTC_ID: ('pkcs11', 'ec-p256', 'valid'),
        INSTANCE_ID: ('pkcs11', 'ec-p256', 'valid')}
    # the private keys are token objects: sensitive, never extractable
    P = softhsm.pkcs11
    session = store._call(lambda s: s)
    for key_id in infos:
        [priv] = list(session.get_objects({P.Attribute.CLASS: P.ObjectClass.PRIVATE_KEY,
                                           P.Attribute.LABEL: key_id}))
        assert priv[P.Attribute.TOKEN] and priv[P.Attribute.SENSITIVE] and not priv[P.Attribute.EXTRACTABLE]
    # and nothing of a software key store was written beside the database
    assert sorted(p.name for p in token_app.folder.iterdir() if p.name in ('keys', 'keystore.pass')) == []
    # the organisation's certificates on the token are the ones registered on the body
    conn, root = open_root(token_app.app)
    try:
        registered = root['bodies'][HOST_CODE].certificates
        assert registered[infos[SIGN_ID].fingerprint].kind == 'org-sign'
        assert registered[infos[ENC_ID].fingerprint].kind == 'org-enc'
    finally:
        conn.close()


# -- 2. an outgoing document signed twice on the token ---------------------------------------

def test_outgoing_lifecycle_signed_on_the_token(token_app, people):
    clerk, leader, processor = people['vanthu'], people['lanhdao'], people['chuyenvien']
    values = {'direction': 'outgoing', 'organ_id': HOST_CODE, 'doc_type': 'TTr', 'holder_unit': 'TH',
              'abstract': 'Tờ trình ký số trên thiết bị PKCS#11', 'signer_name': 'Trần Văn Lãnh Đạo'}
    params, files = multipart(values, ('to-trinh.pdf', pdf('To trinh HSM')),
                              attachments=[('phu-luc.pdf', pdf('Phu luc HSM'))])
    doc = processor.post(API, params, upload_files=files, headers={'X-CSRF-Token': processor.csrf},
                         status=201).json
    act(processor, doc['id'], 'submit')
    approved = act(leader, doc['id'], 'approve').json
    assert approved['status'] == 'approved' and approved['legal_value'] == 'reference_only'
    history = {e['action']: e['details'] for e in leader.get(f"{API}/{doc['id']}/history").json['items']}
    assert history['approve']['approval_signed'] is True
    act(clerk, doc['id'], 'number')
    signed = act(clerk, doc['id'], 'sign').json
    assert signed['status'] == 'signed'
    assert signed['origin_verdict'] == 'valid' and signed['legal_value'] == 'legally_valid'
    assert len(signed['signature']['signatures']) == 2
    roles = {f['name']: f['role'] for f in signed['files']}
    assert roles == {'1': 'superseded', '2': 'superseded_attachment', '3': 'superseded', '4': 'main',
                     '5': 'attachment'}

    conn, root = open_root(token_app.app)
    try:
        stored = root['bodies'][HOST_CODE].documents[doc['id']]
        files = {}
        for f in stored.file_list():
            with f.open() as stream:
                files[f.__name__] = stream.read()
        main_name = stored.main_file
        roots = trust_roots(root, token_app.app.registry.archive_settings)
        org_certs = sender_org_certs(root, HOST_CODE)
    finally:
        conn.close()
    assert main_name == '4'
    draft, leader_bytes, final = files['1'], files['3'], files['4']
    assert hashlib.sha256(draft).hexdigest() == doc['files'][0]['sha256']
    assert leader_bytes.startswith(draft) and leader_bytes != draft
    assert final.startswith(leader_bytes) and final != leader_bytes        # the leader's bytes intact
    verdict = verify_pdf(final, trust_roots=roots, organisation_certs=org_certs)
    assert verdict.status == 'valid', verdict.reason
    assert [(s.field_name, s.code, s.intact, s.trusted) for s in verdict.signatures] == [
        ('ChuKyLanhDao', 'valid', True, True), ('ChuKyToChuc', 'valid', True, True)]
    assert verdict.signatures[1].registered is True
    attachment = verify_pdf(files['5'], trust_roots=roots, organisation_certs=org_certs)
    assert attachment.status == 'valid' and len(attachment.signatures) == 1
    assert files['5'].startswith(files['2'])

    # the signatures were made by the token's keys: their certificates are the token's
    from pyhanko.pdf_utils.reader import PdfFileReader
    store = token_app.store
    embedded = PdfFileReader(io.BytesIO(final)).embedded_signatures
    assert [s.signer_cert.dump() for s in embedded] == [der(store.certificate(PERSON_ID)),
                                                         der(store.certificate(SIGN_ID))]
    [annex_sig] = PdfFileReader(io.BytesIO(files['5'])).embedded_signatures
    assert annex_sig.signer_cert.dump() == der(store.certificate(SIGN_ID))


# -- 3. a Mật document sealed for the token-held encryption key --------------------------------

def test_secret_incoming_sealed_with_the_token_key(token_app, people):
    clerk, leader, processor = people['vanthu'], people['lanhdao'], people['chuyenvien']
    plaintext = pdf(f'Noi dung {MARKER} chi nguoi co ten doc')
    assert MARKER.encode() in plaintext
    params, files = multipart(incoming(classification='mat', named_people=['lanhdao'],
                                       number_symbol='77-TB/UBKTTU'), ('mat.pdf', plaintext))
    doc = clerk.post(API, params, upload_files=files, headers={'X-CSRF-Token': clerk.csrf}, status=201).json
    assert [(f['encrypted'], f['sha256']) for f in doc['files']] == [(True, None)]
    # the signature check at entry opened it already: unwrapping on the token works
    assert doc['origin_verdict'] == 'unsigned'

    enc = token_app.store.info(ENC_ID)
    conn, root = open_root(token_app.app)
    try:
        stored = root['bodies'][HOST_CODE].documents[doc['id']]
        [wrapped] = stored.secrecy['keys']
        with open(stored.files['1'].blob.committed(), 'rb') as stream:
            at_rest = stream.read()
    finally:
        conn.close()
    assert (wrapped['body'], wrapped['fingerprint'], wrapped['oaep_hash']) == \
        (HOST_CODE, enc.fingerprint, 'sha1')
    assert at_rest != plaintext and MARKER.encode() not in at_rest and b'%PDF' not in at_rest[:64]

    got = leader.get(f"{API}/{doc['id']}/files/1")
    assert got.body == plaintext and got.headers['Cache-Control'] == 'no-store'
    processor.get(f"{API}/{doc['id']}/files/1", status=403)
    journal = leader.get(f"{API}/{doc['id']}/history").json['items']
    reads = [(e['actor'], e['details'].get('purpose')) for e in journal if e['action'] == 'secret_file_read']
    assert ('lanhdao', 'download') in reads

    # the demo's own Mật document, sealed while the seed ran, opens too
    secret = [d for d in leader.get(API).json['items'] if d['number_symbol'] == '112-TB/UBKTTU'][0]
    assert leader.get(f"{API}/{secret['id']}/files/1").body.startswith(b'%PDF')


# -- 4. a wrong PIN: the app does not start ---------------------------------------------------

def test_a_wrong_pin_keeps_a_fresh_app_from_starting(softhsm, tmp_path):
    """A fresh database: the demo seed is the first to use the token, and fails on the PIN."""
    err = refused(token_settings(tmp_path, softhsm, FRESH_TOKEN), WRONG_PIN)
    assert isinstance(err, keys.WrongPin) and err.code == 'wrong_pin'
    assert f'wrong PIN for token "{FRESH_TOKEN}"' in str(err) and 'Sai mã PIN' in str(err)
    assert WRONG_PIN not in everything_said(err) and PIN not in everything_said(err)
    with keys.Pkcs11KeyStore(softhsm.lib, FRESH_TOKEN, PIN) as store:
        assert store.list() == []                                   # nothing was made on the token


def test_no_pin_in_the_environment_names_the_variable(softhsm, tmp_path):
    err = refused(token_settings(tmp_path, softhsm, FRESH_TOKEN), None)
    assert isinstance(err, ValueError)
    assert 'archive.pkcs11_pin_env' in str(err) and PIN_ENV in str(err)


@pytest.fixture(scope='module')
def seeded(softhsm, tmp_path_factory):
    """A database seeded with keys on its own token, the app stopped (logged out of the token)."""
    settings = token_settings(tmp_path_factory.mktemp('pkcs11-restart'), softhsm, RESTART_TOKEN)
    app = start(settings, PIN)
    made = {i.key_id: i.fingerprint for i in app.registry.archive_keystore.list()}
    stop(app)
    assert set(made) == {SIGN_ID, ENC_ID, PERSON_ID, BTC_ID, INSTANCE_ID}
    return SimpleNamespace(settings=settings, made=made)


def test_a_restarted_app_finds_its_keys_on_the_token(seeded):
    app = start(seeded.settings, PIN)
    try:
        assert {i.key_id: i.fingerprint for i in app.registry.archive_keystore.list()} == seeded.made
        leader = client(app, 'lanhdao')
        items = leader.get(API).json['items']
        signed = [d for d in items if d['abstract'].startswith('Thông báo lịch tiếp')][0]
        assert signed['legal_value'] == 'legally_valid'
        secret = [d for d in items if d['number_symbol'] == '112-TB/UBKTTU'][0]
        assert leader.get(f"{API}/{secret['id']}/files/1").body.startswith(b'%PDF')
    finally:
        stop(app)


def test_a_wrong_pin_keeps_a_seeded_app_from_restarting(seeded):
    err = refused(seeded.settings, WRONG_PIN)
    assert isinstance(err, keys.WrongPin) and f'wrong PIN for token "{RESTART_TOKEN}"' in str(err)
    assert WRONG_PIN not in everything_said(err) and PIN not in everything_said(err)

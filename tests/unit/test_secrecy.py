"""The encryption provider and the byte-signing interface, with real keys in the software store
and on a real SoftHSM2 token (the fixtures of test_keys). No mocks."""
import io
import os

import pytest

from archive.signing import cms, keys, secrecy
from archive.signing import ca as test_ca

from .test_keys import PASSPHRASE, authority, enrol, softhsm, store, token_store  # noqa: F401  (fixtures)

P = secrecy.PROVIDER
A = '000.00.01.H01'
B = '000.00.02.H01'


@pytest.mark.parametrize('size', [0, 1, secrecy.SEGMENT - 1, secrecy.SEGMENT, secrecy.SEGMENT + 1,
                                  3 * secrecy.SEGMENT + 17])
def test_round_trip_at_segment_edges(size):
    key, data = P.new_key(), os.urandom(size)
    sealed = P.seal_bytes(key, data, b'aad')
    assert P.open_bytes(key, sealed, b'aad') == data
    segments = max(1, -(-size // secrecy.SEGMENT))
    assert len(sealed) == len(secrecy.MAGIC) + secrecy.PREFIX + size + segments * secrecy.TAG
    assert P.seal_bytes(key, data, b'aad') != sealed          # a fresh nonce prefix every time


def test_streams_of_short_reads():
    class Trickle(io.BytesIO):                 # an upload that answers 1000 bytes at a time
        def read(self, n=-1):
            return super().read(min(n, 1000) if n and n > 0 else 1000)
    key, data = P.new_key(), os.urandom(200_000)
    out = io.BytesIO()
    assert P.seal(key, Trickle(data), out) == len(data)
    back = io.BytesIO()
    assert P.open(key, Trickle(out.getvalue()), back) == len(data)
    assert back.getvalue() == data


def _damaged(key, sealed, aad=b''):
    with pytest.raises(secrecy.SecrecyError) as info:
        P.open_bytes(key, sealed, aad)
    assert info.value.code == 'ciphertext_damaged'
    assert 'hỏng' in info.value.message_vi and 'damaged' in info.value.message_en


def test_truncated_reordered_flipped_or_misattributed_ciphertext_fails():
    key = P.new_key()
    data = os.urandom(2 * secrecy.SEGMENT + 100)
    sealed = P.seal_bytes(key, data, b'doc-1')
    head = len(secrecy.MAGIC) + secrecy.PREFIX
    seg = secrecy.SEGMENT + secrecy.TAG
    _damaged(key, sealed[:-1], b'doc-1')                              # one byte short
    _damaged(key, sealed[:head + 2 * seg], b'doc-1')                  # the last segment dropped
    _damaged(key, sealed[:head + seg], b'doc-1')                      # cut at a segment boundary
    _damaged(key, sealed[:head], b'doc-1')                            # header only
    _damaged(key, sealed[:5], b'doc-1')                               # not even the header
    swapped = sealed[:head] + sealed[head + seg:head + 2 * seg] + sealed[head:head + seg] + sealed[head + 2 * seg:]
    _damaged(key, swapped, b'doc-1')                                  # two segments swapped
    flipped = bytearray(sealed)
    flipped[head + 10] ^= 1
    _damaged(key, bytes(flipped), b'doc-1')                           # one bit changed
    _damaged(key, sealed, b'doc-2')                                   # bound to another file
    _damaged(P.new_key(), sealed, b'doc-1')                           # another key
    _damaged(key, b'PK\x03\x04' + sealed[4:], b'doc-1')               # not our format


@pytest.fixture
def bodies(store, authority):  # noqa: F811
    """Encryption keys for two bodies in one software store, issued by the test CA."""
    return {code: enrol(store, f'org-enc:{code}', authority, algorithm='rsa2048') for code in (A, B)}


def test_encrypt_for_several_bodies_and_each_decrypts(store, bodies):  # noqa: F811
    plain = 'Nội dung Mật — chỉ cơ quan nhận đọc'.encode()
    ciphertext, wrapped = secrecy.encrypt_for([(A, bodies[A]), (B, bodies[B])], plain)
    assert plain not in ciphertext
    assert {w.body for w in wrapped} == {A, B}
    assert all(w.fingerprint == keys.fingerprint(bodies[w.body]) for w in wrapped)
    assert secrecy.decrypt_by(store, A, ciphertext, wrapped) == plain
    assert secrecy.decrypt_by(store, B, ciphertext, wrapped) == plain


def test_a_key_wrapped_for_another_body_does_not_open(store, bodies):  # noqa: F811
    ciphertext, wrapped = secrecy.encrypt_for([(A, bodies[A])], b'for A only')
    with pytest.raises(secrecy.SecrecyError) as info:
        secrecy.decrypt_by(store, B, ciphertext, wrapped)
    assert info.value.code == 'key_not_for_body'
    # relabelled as B's: B's key cannot unwrap what was wrapped for A's certificate
    forged = [secrecy.WrappedKey(B, keys.fingerprint(bodies[B]), 'sha256', wrapped[0].data)]
    with pytest.raises(secrecy.SecrecyError) as info:
        secrecy.decrypt_by(store, B, ciphertext, forged)
    assert info.value.code == 'key_unwrap_failed'


def test_corrupted_wrapped_key_and_ciphertext(store, bodies):  # noqa: F811
    ciphertext, wrapped = secrecy.encrypt_for([(A, bodies[A])], b'x' * 1000)
    bad = bytearray(wrapped[0].data)
    bad[7] ^= 0xFF
    with pytest.raises(secrecy.SecrecyError) as info:
        secrecy.decrypt_by(store, A, ciphertext, [secrecy.WrappedKey(A, wrapped[0].fingerprint, 'sha256', bytes(bad))])
    assert info.value.code == 'key_unwrap_failed'
    with pytest.raises(secrecy.SecrecyError) as info:
        secrecy.decrypt_by(store, A, ciphertext[:-3], wrapped)
    assert info.value.code == 'ciphertext_damaged'


def test_content_sealed_under_last_years_certificate_still_opens(store, bodies, authority):  # noqa: F811
    old = bodies[A]
    ciphertext, wrapped = secrecy.encrypt_for([(A, old)], b'sealed last year')
    new = enrol(store, f'org-enc:{A}', authority, algorithm='rsa2048')     # rotation: a new key pair
    assert [keys.fingerprint(c) for c in store.certificates(f'org-enc:{A}')] \
        in ([keys.fingerprint(old), keys.fingerprint(new)], [keys.fingerprint(new), keys.fingerprint(old)])
    fresh_ct, fresh = secrecy.encrypt_for([(A, new)], b'sealed this year')
    assert secrecy.decrypt_by(store, A, fresh_ct, fresh) == b'sealed this year'
    assert secrecy.decrypt_by(store, A, ciphertext, wrapped) == b'sealed last year'


def test_signing_certificate_cannot_wrap_a_key(authority):  # noqa: F811
    ec_cert = test_ca.issue(authority.issuing, test_ca.new_private_key('ec-p256').public_key(),
                            'CN=EC', test_ca.ORG_SIGN)
    with pytest.raises(secrecy.SecrecyError) as info:
        secrecy.wrap_key(P.new_key(), A, ec_cert)
    assert info.value.code == 'encryption_key_not_rsa'


def test_token_held_encryption_key_with_sha1_oaep(token_store, authority):  # noqa: F811
    """SoftHSM2 offers RSA-OAEP with SHA-1 only: the wrap says which hash it used."""
    cert = enrol(token_store, f'org-enc:{B}', authority, algorithm='rsa2048')
    ciphertext, wrapped = secrecy.encrypt_for([(B, cert)], b'on the token', oaep_hash='sha1')
    assert wrapped[0].oaep_hash == 'sha1'
    assert secrecy.decrypt_by(token_store, B, ciphertext, wrapped) == b'on the token'


# -- signing bytes and detached CMS ------------------------------------------------------------

@pytest.fixture
def signing(store, authority):  # noqa: F811
    return {code: enrol(store, f'org-sign:{code}', authority, algorithm='ec-p256') for code in (A, B)}


def test_sign_and_verify_bytes(store, signing):  # noqa: F811
    data = b'<edXML:edXMLEnvelope>...</edXML:edXMLEnvelope>'
    signature = cms.sign_bytes(store, f'org-sign:{A}', data)
    assert cms.verify_bytes(signing[A], data, signature)
    assert not cms.verify_bytes(signing[A], data + b' ', signature)
    assert not cms.verify_bytes(signing[B], data, signature)          # another body's certificate
    assert not cms.verify_bytes(signing[A], data, signature[:-2])


def test_sign_bytes_on_a_token(token_store, authority):  # noqa: F811
    cert = enrol(token_store, f'org-sign:{B}', authority, algorithm='rsa2048')
    assert cms.verify_bytes(cert, b'abc', cms.sign_bytes(token_store, f'org-sign:{B}', b'abc'))


def test_detached_cms(store, signing, authority):  # noqa: F811
    roots = [authority.root.pem()]
    data = b'a receipt for package 42'
    sig = cms.sign_detached(store, f'org-sign:{A}', data)
    ok = cms.verify_detached(data, sig, trust_roots=roots, allowed=[keys.fingerprint(signing[A])])
    assert ok.valid and ok.signer_fingerprint == keys.fingerprint(signing[A])
    assert cms.verify_detached(data + b'!', sig, trust_roots=roots).code == 'content_changed'
    other = cms.verify_detached(data, sig, trust_roots=roots, allowed=[keys.fingerprint(signing[B])])
    assert other.code == 'signer_not_registered' and not other.valid
    stranger = test_ca.make_ca('Another root', algorithm='ec-p256')
    assert cms.verify_detached(data, sig, trust_roots=[stranger.pem()]).code == 'untrusted'
    assert cms.verify_detached(data, sig[:-10], trust_roots=roots).code == 'unreadable'
    assert cms.verify_detached(data, b'garbage', trust_roots=roots).code == 'unreadable'

"""Encryption of Mật content (Art. 5.1): the stand-in provider and its small interface.

The rule asks for the cipher authority's products for secret information. This module is the
place such a product plugs in: the rest of the archive calls only ``Provider`` (seal and open a
stream with a content key) and ``wrap_key``/``unwrap_key`` (the content key for a body's
encryption certificate). The provider here is a stand-in built on ``cryptography``:

* content: AES-256-GCM in segments of 256 KiB, the STREAM construction (Hoang, Reyhanitabar,
  Rogaway, Vizár 2015): each segment's nonce is a random 7-byte prefix, a 4-byte counter and a
  last-segment flag, so a reordered, dropped or truncated segment fails like a changed byte, and a
  file of any size is sealed and opened without holding it twice in memory;
* key wrapping: RSA-OAEP (MGF1, SHA-256 by default; SHA-1 where a token offers no other, as
  SoftHSM2 does) with the body's encryption certificate; the record names the certificate, so
  content sealed under last year's certificate still opens with last year's key.

A fresh content key is made per document (``new_key``) and never stored unwrapped.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .keys import fingerprint
from .keys import KeyStoreError, org_enc_key

MAGIC = b'ARCGCM1\n'          # format marker and version of a sealed stream
PREFIX = 7
SEGMENT = 256 * 1024
TAG = 16
OAEP_HASHES = {'sha1': hashes.SHA1, 'sha256': hashes.SHA256, 'sha384': hashes.SHA384,
               'sha512': hashes.SHA512}


class SecrecyError(Exception):
    """Sealed content or a wrapped key could not be opened. ``code`` for programs; the message in
    Vietnamese and English for people; never any key material or plaintext."""

    def __init__(self, code, vi, en):
        super().__init__(vi)
        self.code, self.message_vi, self.message_en = code, vi, en


def damaged():
    return SecrecyError('ciphertext_damaged',
                        'Dữ liệu mã hóa bị hỏng, bị cắt hoặc bị sửa: không giải mã được',
                        'the encrypted data is damaged, truncated or altered: it cannot be decrypted')


def not_for(body_code):
    return SecrecyError('key_not_for_body',
                        f'Khóa nội dung không được mã hóa cho cơ quan {body_code}',
                        f'the content key is not wrapped for body {body_code}')


@dataclass(frozen=True)
class WrappedKey:
    """A content key encrypted for one body's encryption certificate."""
    body: str
    fingerprint: str            # SHA-256 of the certificate's DER, lowercase hex
    oaep_hash: str
    data: bytes

    def as_dict(self):
        return {'body': self.body, 'fingerprint': self.fingerprint, 'oaep_hash': self.oaep_hash,
                'data': self.data}

    @classmethod
    def from_dict(cls, d):
        return cls(d['body'], d['fingerprint'], d['oaep_hash'], bytes(d['data']))


class AesGcmProvider:
    """AES-256-GCM in STREAM segments. ``seal``/``open`` work on file objects; ``*_bytes`` on bytes."""
    name = 'aes-256-gcm-stream-256k'

    def new_key(self) -> bytes:
        return AESGCM.generate_key(bit_length=256)

    def seal(self, key, src, dst, aad=b''):
        """Encrypt everything ``src.read()`` gives into ``dst``; return the plaintext size."""
        aead = AESGCM(key)
        prefix = os.urandom(PREFIX)
        dst.write(MAGIC + prefix)
        size, counter = 0, 0
        chunk = _read_full(src, SEGMENT)
        while True:
            following = _read_full(src, SEGMENT) if len(chunk) == SEGMENT else b''
            last = not following
            dst.write(aead.encrypt(_nonce(prefix, counter, last), chunk, aad))
            size += len(chunk)
            if last:
                return size
            chunk, counter = following, counter + 1

    def open(self, key, src, dst, aad=b''):
        """Decrypt a sealed stream from ``src`` into ``dst``; ``SecrecyError`` when anything is off.
        ``dst`` may have received earlier segments when a later one fails: callers write to
        memory or a temporary place, never straight to a reader."""
        head = _read_full(src, len(MAGIC) + PREFIX)
        if len(head) != len(MAGIC) + PREFIX or not head.startswith(MAGIC):
            raise damaged()
        aead, prefix = AESGCM(key), head[len(MAGIC):]
        size, counter = 0, 0
        segment = _read_full(src, SEGMENT + TAG)
        while True:
            following = _read_full(src, SEGMENT + TAG) if len(segment) == SEGMENT + TAG else b''
            last = not following
            if len(segment) < TAG or counter >= 1 << 32:
                raise damaged()
            try:
                plain = aead.decrypt(_nonce(prefix, counter, last), segment, aad)
            except InvalidTag:
                raise damaged() from None
            dst.write(plain)
            size += len(plain)
            if last:
                return size
            segment, counter = following, counter + 1

    def seal_bytes(self, key, data, aad=b'') -> bytes:
        """``seal`` for bytes in memory: the same format, each segment encrypted straight into
        one output buffer (no copies beside the cipher's own pass); a ``bytearray``."""
        aead, prefix, view = AESGCM(key), os.urandom(PREFIX), memoryview(data)
        count = max(1, -(-len(view) // SEGMENT))
        head = len(MAGIC) + PREFIX
        out = bytearray(head + len(view) + count * TAG)
        out[:head] = MAGIC + prefix
        target = memoryview(out)
        for i in range(count):
            chunk = view[i * SEGMENT:(i + 1) * SEGMENT]
            at = head + i * (SEGMENT + TAG)
            aead.encrypt_into(_nonce(prefix, i, i == count - 1), chunk, aad,
                              target[at:at + len(chunk) + TAG])
        return out

    def open_bytes(self, key, data, aad=b'') -> bytes:
        """``open`` for bytes in memory, decrypting straight into one output buffer; a ``bytearray``."""
        view, head = memoryview(data), len(MAGIC) + PREFIX
        if len(view) < head + TAG or bytes(view[:len(MAGIC)]) != MAGIC:
            raise damaged()
        aead, prefix, step = AESGCM(key), bytes(view[len(MAGIC):head]), SEGMENT + TAG
        count = -(-(len(view) - head) // step)
        if (len(view) - head) - (count - 1) * step < TAG:
            raise damaged()                        # a last segment too short to hold its tag
        out = bytearray(len(view) - head - count * TAG)
        target = memoryview(out)
        try:
            for i in range(count):
                segment = view[head + i * step:head + (i + 1) * step]
                aead.decrypt_into(_nonce(prefix, i, i == count - 1), segment, aad,
                                  target[i * SEGMENT:i * SEGMENT + len(segment) - TAG])
        except InvalidTag:
            raise damaged() from None
        return out


PROVIDER = AesGcmProvider()


def _nonce(prefix, counter, last):
    return prefix + counter.to_bytes(4, 'big') + (b'\x01' if last else b'\x00')


def _read_full(src, n):
    """``n`` bytes, or fewer only at the end (a socket or upload may answer short reads)."""
    parts, got = [], 0
    while got < n:
        part = src.read(n - got)
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b''.join(parts)


def wrap_key(content_key, body_code, certificate, oaep_hash='sha256') -> WrappedKey:
    """Encrypt ``content_key`` for ``body_code``'s encryption ``certificate`` (a cryptography
    ``x509.Certificate`` with an RSA key)."""
    public = certificate.public_key()
    if not isinstance(public, rsa.RSAPublicKey):
        raise SecrecyError('encryption_key_not_rsa',
                           'Chứng thư mã hóa của cơ quan không dùng khóa RSA',
                           "the body's encryption certificate does not hold an RSA key")
    h = OAEP_HASHES[oaep_hash]()
    data = public.encrypt(content_key, padding.OAEP(mgf=padding.MGF1(h), algorithm=h, label=None))
    return WrappedKey(body_code, fingerprint(certificate), oaep_hash, data)


def unwrap_key(wrapped: WrappedKey, keystore, body_code) -> bytes:
    """The content key, decrypted by ``body_code``'s encryption key in ``keystore``."""
    if wrapped.body != body_code:
        raise not_for(body_code)
    try:
        key = keystore.decrypt(org_enc_key(body_code), wrapped.data, certificate=wrapped.fingerprint,
                               oaep_hash=wrapped.oaep_hash)
    except KeyStoreError as exc:
        raise SecrecyError('key_unwrap_failed', f'Không mở được khóa nội dung: {exc.vi}',
                           f'the content key could not be unwrapped: {exc.en}') from None
    if len(key) != 32:
        raise damaged()
    return key


def encrypt_for(recipients, plaintext, oaep_hash='sha256', aad=b''):
    """Seal ``plaintext`` once and wrap its key for each ``(body code, certificate)``: the
    interface the exchange uses for a Mật package. Returns ``(ciphertext, [WrappedKey])``."""
    key = PROVIDER.new_key()
    wrapped = [wrap_key(key, code, cert, oaep_hash) for code, cert in recipients]
    return PROVIDER.seal_bytes(key, plaintext, aad), wrapped


def decrypt_by(keystore, body_code, ciphertext, wrapped_keys, aad=b''):
    """Open what ``encrypt_for`` sealed, as ``body_code`` (its key in ``keystore``)."""
    mine = [w for w in wrapped_keys if w.body == body_code]
    if not mine:
        raise not_for(body_code)
    return PROVIDER.open_bytes(unwrap_key(mine[0], keystore, body_code), ciphertext, aad)

"""The key stores' errors (a message in Vietnamese and English, a code for programs, never a secret)
and ``Secret``, which keeps a passphrase or PIN out of them, out of logs and out of pickles."""
from __future__ import annotations




class KeyStoreError(Exception):
    """A key store refused or failed. ``code`` for programs, the message (Vietnamese / English)
    for people; it never carries a passphrase, a PIN or key material."""
    code = 'keystore_error'

    def __init__(self, vi, en, code=None):
        if code:
            self.code = code
        self.vi, self.en = vi, en
        super().__init__(f'{vi} / {en}')


class BadKeyId(KeyStoreError, ValueError):
    code = 'bad_key_id'


class UnknownKey(KeyStoreError, KeyError):
    code = 'unknown_key'

    def __str__(self):                  # KeyError would quote the message
        return f'{self.vi} / {self.en}'


class NoCertificate(KeyStoreError):
    code = 'no_certificate'


class PassphraseRequired(KeyStoreError):
    code = 'passphrase_required'


class WrongPassphrase(KeyStoreError):
    code = 'wrong_passphrase'


class WrongPin(KeyStoreError):
    code = 'wrong_pin'


class TokenUnavailable(KeyStoreError):
    code = 'token_unavailable'


class NotACertificate(KeyStoreError):
    code = 'not_a_certificate'


class CertificateMismatch(KeyStoreError):
    code = 'certificate_mismatch'


class CertificateNotValid(KeyStoreError):
    code = 'certificate_not_valid'


class WrongPurpose(KeyStoreError):
    code = 'wrong_purpose'


class KeyPending(KeyStoreError):
    code = 'key_pending'


class DecryptionFailed(KeyStoreError):
    code = 'decryption_failed'


class StoreDamaged(KeyStoreError):
    code = 'store_damaged'


class Secret:
    """A passphrase or PIN: ``reveal()`` gives it; ``repr``/``str`` never do; it is not pickled."""
    __slots__ = ('_value',)

    def __init__(self, value):
        if isinstance(value, Secret):
            value = value.reveal()
        if value is None:
            value = b''
        self._value = value.encode('utf-8') if isinstance(value, str) else bytes(value)

    def reveal(self) -> bytes:
        return self._value

    def __len__(self):
        return len(self._value)

    def __repr__(self):
        return '<secret>'

    __str__ = __repr__

    def __reduce__(self):
        raise TypeError('a secret is not pickled')


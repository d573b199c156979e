"""Keys and certificates (Art. 14.3): one interface, two stores.

A key id says what the key is for: ``org-sign:<body code>`` (the organisation's signature, applied
by its records clerk), ``org-enc:<body code>`` (the body's encryption key, for Mật documents) and
``person:<login>`` (a leader's personal signature).

* ``SoftwareKeyStore(folder, passphrase)``: private keys encrypted at rest in a folder (PKCS#8 PEM,
  ``BestAvailableEncryption``), certificates as PEM beside them, an ``index.json``. Each key is
  decrypted once per process and kept in memory.
* ``Pkcs11KeyStore(lib_path, token_label, pin)``: keys generated on a PKCS#11 token (HSM or USB
  token) that never leave it; signing goes through pyhanko's ``PKCS11Signer``.

Both offer ``generate`` (a key pair and its certificate request for the authority),
``import_certificate``, ``certificate``, ``chain``, ``certificates`` (the history), ``signer`` (a
pyhanko ``Signer`` ready for PAdES), ``decrypt`` (RSA-OAEP, encryption keys only) and ``list``.
``open_keystore(settings)`` builds the one the .ini names.

Key algorithm: RSA 3072 by default. The cipher authority's certificates and the tokens it hands
out are RSA, every PDF reader verifies RSA signatures, an RSA encryption certificate wraps a
document key with plain RSA-OAEP on any token, and 3072 bits is the size NIST SP 800-57 asks for
use beyond 2030 (``rsa2048``, what many tokens of the authority still hold, is accepted too). EC P-256 (``algorithm='ec-p256'``) is offered for signing keys: smaller and
faster, but tokens often sign only raw ECDSA and encryption by ECDH is not offered here, so
encryption keys are always RSA.

A key id can hold several generations: ``generate`` on a key id that has a certificate makes a
new key beside the old one (rotation); the old key and its certificates stay, so the history is
kept and the old certificate can still be shown and checked. The certificate in use is the one
valid now with the latest start (or, if none is valid, the latest); ``signer`` refuses an expired
or not-yet-valid certificate unless told otherwise.

Secrets (the passphrase, the PIN) are held in ``Secret`` objects: never in ``repr()``, in logs or
in exception messages.
The package: ``errors`` holds the errors and ``Secret``; ``certificates`` the key ids and their
purposes, subject names, certificates and ``KeyInfo``; ``store`` the ``KeyStore`` interface;
``software.py`` the encrypted software store, ``pkcs11.py`` the token store; this module
``open_keystore``. Every public name is importable from ``archive.signing.keys``.
"""
from __future__ import annotations

import os
import re

from ._common import _setting
from .certificates import (  # noqa: F401
    ALGORITHMS, AWAITING, BODY_CODE, CERTIFICATE_KIND, DEFAULT_ALGORITHM, EXPIRED, INSTANCE, LOGIN,
    MIN_PASSPHRASE, NOT_YET_VALID, ORG_ENC, ORG_SIGN, PERSON, PURPOSES, SIGNING_PURPOSES, VALID, KeyInfo,
    algorithm_of, build_chain, certificate_status, fingerprint, load_certificate, load_certificates, org_enc_key,
    org_sign_key, parse_key_id, parse_subject, person_key, spki, to_asn1,
)
from .errors import (  # noqa: F401
    BadKeyId, CertificateMismatch, CertificateNotValid, DecryptionFailed, KeyPending, KeyStoreError,
    NoCertificate, NotACertificate, PassphraseRequired, Secret, StoreDamaged, TokenUnavailable, UnknownKey,
    WrongPassphrase, WrongPin, WrongPurpose,
)
from .pkcs11 import Pkcs11KeyStore
from .software import LoadedKeySigner, SoftwareKeyStore, passphrase_from_settings  # noqa: F401
from .store import KeyStore  # noqa: F401


def open_keystore(settings, scrypt_n=None) -> KeyStore:
    """The key store the .ini names: ``archive.keystore = software`` (with ``archive.keystore_dir``
    and ``archive.keystore_passphrase_env`` or ``archive.keystore_passphrase_file``) or
    ``pkcs11`` (with ``archive.pkcs11_lib``, ``archive.pkcs11_token``, ``archive.pkcs11_pin_env``).
    Bad settings raise ``ValueError`` naming the setting. Build it once and keep it (the keys are
    decrypted once per store). ``scrypt_n``: the software store's cost for new keys
    (``ArchiveSettings.keystore_scrypt_n``; its default when ``None``)."""
    kind = (_setting(settings, 'archive.keystore') or '').lower()
    organ = _setting(settings, 'archive.organ_id_pattern') or None
    if organ:
        try:
            organ = re.compile(organ)
        except re.error:
            raise ValueError('archive.organ_id_pattern: not a regular expression') from None
    if kind == 'software':
        folder = _setting(settings, 'archive.keystore_dir')
        if not folder:
            raise ValueError('archive.keystore_dir: the software key store needs a folder')
        passphrase = passphrase_from_settings(settings)
        if len(passphrase.reveal().strip()) < MIN_PASSPHRASE:
            raise ValueError(f'archive.keystore_passphrase_env/_file: the passphrase needs at least '
                             f'{MIN_PASSPHRASE} characters')
        if os.path.exists(folder) and not os.path.isdir(folder):
            raise ValueError(f'archive.keystore_dir: {folder} is not a folder')
        if scrypt_n is None:
            return SoftwareKeyStore(folder, passphrase, organ)
        return SoftwareKeyStore(folder, passphrase, organ, scrypt_n=scrypt_n)
    if kind == 'pkcs11':
        lib = _setting(settings, 'archive.pkcs11_lib')
        if not lib:
            raise ValueError('archive.pkcs11_lib: the path of the PKCS#11 library is required')
        if not os.path.isfile(lib):
            raise ValueError(f'archive.pkcs11_lib: no such file {lib}')
        label = _setting(settings, 'archive.pkcs11_token')
        if not label:
            raise ValueError('archive.pkcs11_token: the token label is required')
        pin_env = _setting(settings, 'archive.pkcs11_pin_env')
        if not pin_env:
            raise ValueError('archive.pkcs11_pin_env: the name of the environment variable holding '
                             'the PIN is required')
        pin = os.environ.get(pin_env)
        if not pin:
            raise ValueError(f'archive.pkcs11_pin_env: the environment variable {pin_env} is not set (or empty)')
        return Pkcs11KeyStore(lib, label, pin, organ)
    raise ValueError("archive.keystore: 'software' or 'pkcs11'"
                     + (f', not {kind!r}' if kind else ' is required'))


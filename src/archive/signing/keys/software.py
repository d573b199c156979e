"""The software key store: private keys encrypted at rest in a folder (see the package docstring)."""
from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from pyhanko.sign.signers import Signer
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash, process_pss_params

from ... import clock
from ._common import _decryption_failed, _setting
from .certificates import MIN_PASSPHRASE, _Generation, fingerprint, spki, to_asn1
from .errors import KeyStoreError, PassphraseRequired, Secret, StoreDamaged, WrongPassphrase
from .store import KeyStore


def _oaep(name):
    h = get_pyca_cryptography_hash(name)
    return padding.OAEP(mgf=padding.MGF1(algorithm=h), algorithm=h, label=None)


def _registry(cert, chain):
    return SimpleCertificateStore.from_certs([to_asn1(c) for c in [cert, *chain]])


class LoadedKeySigner(Signer):
    """A pyhanko signer over a private key parsed once (pyhanko's ``SimpleSigner`` re-parses its
    key for every signature, which costs tens of milliseconds for RSA with OpenSSL 3)."""

    def __init__(self, private_key, signing_cert, cert_registry, *, prefer_pss=False,
                 embed_roots=True, signature_mechanism=None):
        self._private_key = private_key
        super().__init__(prefer_pss=prefer_pss, embed_roots=embed_roots,
                         signing_cert=signing_cert, cert_registry=cert_registry,
                         signature_mechanism=signature_mechanism)

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run=False) -> bytes:
        return self.sign_raw(data, digest_algorithm)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mech = self.get_signature_mechanism_for_digest(digest_algorithm)
        try:
            algo = mech.signature_algo
        except ValueError:
            algo = mech['algorithm'].native
        key = self._private_key
        if algo == 'rsassa_pkcs1v15':
            return key.sign(data, padding.PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
        if algo == 'rsassa_pss':
            pad, hash_algo = process_pss_params(mech['parameters'])
            return key.sign(data, pad, hash_algo)
        if algo == 'ecdsa':
            return key.sign(data, ec.ECDSA(get_pyca_cryptography_hash(digest_algorithm)))
        raise KeyStoreError('Cơ chế ký không hỗ trợ', f'unsupported signature mechanism {algo}',
                            'bad_algorithm')

    def __repr__(self):
        return f'<LoadedKeySigner {self.subject_name}>'


SCRYPT_N = 2 ** 15      # scrypt's cost for a key store passphrase (~0.1 s and 32 MiB a key)


def _new_private_key(algorithm):
    if algorithm in ('rsa3072', 'rsa2048'):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(algorithm[3:]))
    if algorithm == 'ec-p256':
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(algorithm)


class SoftwareKeyStore(KeyStore):
    """Private keys encrypted at rest in ``folder``.

    Each private key is a PKCS#8 PEM (``ENCRYPTED PRIVATE KEY``: PBES2, AES-256-CBC) whose password
    is the store passphrase stretched with scrypt (n=2^15, r=8, p=1) and a salt of its own (kept in
    the index), because OpenSSL's PKCS#8 encryption runs PBKDF2 only 2048 times. ``scrypt_n``
    (``archive.keystore_scrypt_n``) sets n for keys made from now on; each key's n is kept in the
    index beside its salt (2^15 where the index names none), so a store's keys stay readable
    whatever the setting says later. Only the tests lower it. Public keys,
    requests and certificates are PEM files beside them; ``index.json`` ties them to key ids. Files
    are written 0600 in a 0700 folder; the index is replaced atomically under a file lock, so a
    console command and the server can share the folder (the server re-reads a changed index).
    """
    store_kind = 'software'
    INDEX = 'index.json'

    def __init__(self, folder, passphrase, organ_id_pattern=None, scrypt_n=SCRYPT_N):
        super().__init__(organ_id_pattern)
        self.scrypt_n = scrypt_n
        secret = Secret(passphrase)
        if len(secret.reveal().strip()) < MIN_PASSPHRASE:
            raise PassphraseRequired(
                f'Kho khóa cần mật khẩu (ít nhất {MIN_PASSPHRASE} ký tự)',
                f'the key store needs a passphrase of at least {MIN_PASSPHRASE} characters')
        self._passphrase = secret
        self.folder = os.path.abspath(os.fspath(folder))
        os.makedirs(self.folder, mode=0o700, exist_ok=True)
        self._keys = {}             # generation id -> private key: the once-per-process cache
        self._parsed = {}           # file name -> parsed public key / certificate
        self._index = None          # (stat signature, data)

    def __repr__(self):
        return f'<SoftwareKeyStore {self.folder}>'

    # ---- index and files
    def _path(self, name):
        if os.sep in name or name.startswith('.'):
            raise StoreDamaged('Chỉ mục kho khóa hỏng', f'the key store index names a bad file {name!r}')
        return os.path.join(self.folder, name)

    def _read_index(self, fresh=False):
        path = os.path.join(self.folder, self.INDEX)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return {'format': 1, 'keys': {}}
        sig = (st.st_ino, st.st_mtime_ns, st.st_size)
        if not fresh and self._index is not None and self._index[0] == sig:
            return self._index[1]
        try:
            with open(path, encoding='utf-8') as f:
                data = json.load(f)
        except (OSError, ValueError):
            raise StoreDamaged('Chỉ mục kho khóa không đọc được',
                               f'cannot read the key store index {path}') from None
        if not isinstance(data, dict) or data.get('format') != 1 or not isinstance(data.get('keys'), dict):
            raise StoreDamaged('Chỉ mục kho khóa hỏng', f'the key store index {path} is damaged')
        self._index = (sig, data)
        return data

    @contextlib.contextmanager
    def _writing(self):
        """Lock the folder (threads and processes), yield a fresh index, write it back atomically."""
        import fcntl
        with self._lock:
            fd = os.open(os.path.join(self.folder, '.lock'), os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                data = self._read_index(fresh=True)
                yield data
                tmp = os.path.join(self.folder, f'.{self.INDEX}.{secrets.token_hex(4)}')
                with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), 'w',
                          encoding='utf-8') as f:
                    json.dump(data, f, ensure_ascii=False, indent=1, sort_keys=True)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, os.path.join(self.folder, self.INDEX))
                self._fsync_dir()
                self._index = None
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)

    def _fsync_dir(self):
        try:
            fd = os.open(self.folder, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)

    def _write_new(self, name, data: bytes):
        path = self._path(name)
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())

    def _read_pem(self, name, loader):
        obj = self._parsed.get(name)
        if obj is None:
            try:
                with open(self._path(name), 'rb') as f:
                    obj = loader(f.read())
            except (OSError, ValueError):
                raise StoreDamaged('Kho khóa thiếu hoặc hỏng tệp',
                                   f'missing or damaged file {name} in the key store') from None
            self._parsed[name] = obj
        return obj

    # ---- primitives
    def _key_ids(self):
        return list(self._read_index()['keys'])

    def _generations(self, key_id):
        entries = self._read_index()['keys'].get(key_id) or []
        out = []
        for e in entries:
            created = e.get('created_at')
            out.append(_Generation(
                id=e['id'],
                public_key=self._read_pem(e['public_key'], serialization.load_pem_public_key),
                certificates=[self._read_pem(n, x509.load_pem_x509_certificate) for n in e.get('certificates', [])],
                created_at=clock.parse_iso(created) if created else None))
        return out

    def _ca_certificates(self):
        return [self._read_pem(n, x509.load_pem_x509_certificate)
                for n in self._read_index().get('ca_certificates', [])]

    def _password(self, salt: bytes, n: int = SCRYPT_N) -> bytes:
        kdf = Scrypt(salt=salt, length=32, n=n, r=8, p=1)
        return base64.b64encode(kdf.derive(self._passphrase.reveal()))

    def _generate(self, key_id, purpose, name, algorithm):
        key = _new_private_key(algorithm)
        gid = secrets.token_hex(8)
        salt = os.urandom(16)
        key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.BestAvailableEncryption(self._password(salt, self.scrypt_n)))
        pub_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                                serialization.PublicFormat.SubjectPublicKeyInfo)
        csr = x509.CertificateSigningRequestBuilder().subject_name(name).sign(key, hashes.SHA256())
        csr_pem = csr.public_bytes(serialization.Encoding.PEM)
        with self._writing() as index:
            self._write_new(f'{gid}.key.pem', key_pem)
            self._write_new(f'{gid}.pub.pem', pub_pem)
            self._write_new(f'{gid}.csr.pem', csr_pem)
            index['keys'].setdefault(key_id, []).append({
                'id': gid, 'algorithm': algorithm, 'created_at': clock.iso(clock.now()),
                'subject': name.rfc4514_string(), 'salt': base64.b64encode(salt).decode('ascii'),
                'scrypt_n': self.scrypt_n,
                'key': f'{gid}.key.pem', 'public_key': f'{gid}.pub.pem', 'request': f'{gid}.csr.pem',
                'certificates': [],
            })
        self._keys[gid] = key
        return csr_pem

    def _store_certificate(self, key_id, gen, cert, others):
        with self._writing() as index:
            entry = next(e for e in index['keys'][key_id] if e['id'] == gen.id)
            name = f'{gen.id}.{fingerprint(cert)[:24]}.crt.pem'
            if name not in entry['certificates']:
                if not os.path.exists(self._path(name)):
                    self._write_new(name, cert.public_bytes(serialization.Encoding.PEM))
                entry['certificates'].append(name)
            cas = index.setdefault('ca_certificates', [])
            for other in others:
                ca_name = f'ca-{fingerprint(other)[:24]}.crt.pem'
                if ca_name not in cas:
                    if not os.path.exists(self._path(ca_name)):
                        self._write_new(ca_name, other.public_bytes(serialization.Encoding.PEM))
                    cas.append(ca_name)

    def _delete_generation(self, key_id, gen):
        with self._writing() as index:
            entries = index['keys'].get(key_id, [])
            entry = next((e for e in entries if e['id'] == gen.id), None)
            if entry is None:
                return
            entries.remove(entry)
            if not entries:
                del index['keys'][key_id]
        for name in (entry['key'], entry['public_key'], entry.get('request'), *entry['certificates']):
            if name:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self._path(name))
        self._keys.pop(gen.id, None)

    def _private_key(self, key_id, gen):
        key = self._keys.get(gen.id)
        if key is not None:
            return key
        entry = next((e for e in self._read_index()['keys'].get(key_id, []) if e['id'] == gen.id), None)
        if entry is None:
            raise self._unknown(key_id)
        try:
            with open(self._path(entry['key']), 'rb') as f:
                pem = f.read()
        except OSError:
            raise StoreDamaged(f'Thiếu tệp khóa bí mật của {key_id}',
                               f'the private key file of {key_id} is missing') from None
        try:
            password = self._password(base64.b64decode(entry['salt']), int(entry.get('scrypt_n', SCRYPT_N)))
            # OpenSSL's full check of an RSA key (~20-45 ms for 2048 bits, ~130 ms for 3072) is
            # left out: every key here was generated by this store and is read back under the
            # passphrase; its public half is compared with the one registered below, and OpenSSL
            # checks each private operation's result against the public key (a fault falls back).
            key = serialization.load_pem_private_key(pem, password=password, unsafe_skip_rsa_key_validation=True)
        except (ValueError, TypeError):
            raise WrongPassphrase(
                f'Sai mật khẩu kho khóa: không giải mã được khóa {key_id}',
                f'wrong key store passphrase: cannot decrypt the key of {key_id}') from None
        if spki(key.public_key()) != spki(gen.public_key):
            raise StoreDamaged(f'Khóa bí mật của {key_id} không khớp khóa công khai',
                               f'the private key of {key_id} does not match its public key')
        self._keys[gen.id] = key
        return key

    def unlock(self):
        """Decrypt every key that has a certificate now (checks the passphrase at start-up)."""
        with self._lock:
            for key_id in self._key_ids():
                for gen in self._generations(key_id):
                    if gen.certificates:
                        self._private_key(key_id, gen)

    def close(self):
        with self._lock:
            self._keys.clear()

    def _signer(self, key_id, gen, cert, chain, **kw):
        """One signer per key, certificate, chain and options, kept: building one converts the
        certificates and their registry each time (about 6 ms, most of a status message's signing)."""
        cache = self.__dict__.setdefault('_signers', {})
        key = (key_id, fingerprint(cert), tuple(fingerprint(c) for c in chain), tuple(sorted(kw.items())))
        signer = cache.get(key)
        if signer is None:
            signer = cache[key] = LoadedKeySigner(self._private_key(key_id, gen), to_asn1(cert),
                                                  _registry(cert, chain), **kw)
        return signer

    def _decrypt(self, key_id, gen, ciphertext, oaep_hash):
        key = self._private_key(key_id, gen)
        try:
            return key.decrypt(ciphertext, _oaep(oaep_hash))
        except ValueError:
            raise _decryption_failed(key_id) from None



def passphrase_from_settings(settings) -> Secret:
    """The software store's passphrase: from the environment variable named by
    ``archive.keystore_passphrase_env`` or the file named by ``archive.keystore_passphrase_file``
    (exactly one). ``ValueError`` naming the setting otherwise; never the value."""
    env_name = _setting(settings, 'archive.keystore_passphrase_env')
    file_name = _setting(settings, 'archive.keystore_passphrase_file')
    if env_name and file_name:
        raise ValueError('archive.keystore_passphrase_env and archive.keystore_passphrase_file: '
                         'set one of them, not both')
    if env_name:
        value = os.environ.get(env_name)
        if not value:
            raise ValueError(f'archive.keystore_passphrase_env: the environment variable {env_name} '
                             'is not set (or empty)')
        return Secret(value)
    if file_name:
        try:
            st = os.stat(file_name)
            with open(file_name, 'rb') as f:
                value = f.read()
        except OSError:
            raise ValueError(f'archive.keystore_passphrase_file: cannot read {file_name}') from None
        if st.st_mode & 0o007:
            raise ValueError(f'archive.keystore_passphrase_file: {file_name} is readable by everyone; '
                             f'chmod 600 {file_name}')
        value = value.rstrip(b'\r\n')
        if not value:
            raise ValueError(f'archive.keystore_passphrase_file: {file_name} is empty')
        return Secret(value)
    raise ValueError('archive.keystore_passphrase_env or archive.keystore_passphrase_file: the software '
                     'key store needs a passphrase from the environment or from a file')

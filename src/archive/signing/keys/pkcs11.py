"""The PKCS#11 key store: keys generated on a token that never leave it (see the package docstring)."""
from __future__ import annotations

import contextlib
import hashlib
import os
import secrets

from asn1crypto import algos as a_algos
from asn1crypto import core as a_core
from asn1crypto import csr as a_csr
from asn1crypto import keys as a_keys
from asn1crypto import x509 as a_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ._common import _decryption_failed
from .certificates import ORG_ENC, _Generation, fingerprint, load_certificates, spki, to_asn1
from .errors import BadKeyId, DecryptionFailed, KeyStoreError, Secret, StoreDamaged, TokenUnavailable, WrongPin
from .store import KeyStore


class _LockedKey:
    """A token key handle whose ``sign`` holds the store's lock: one PKCS#11 session does one
    operation at a time, and the server signs from several threads."""

    def __init__(self, handle, lock):
        self._handle, self._lock = handle, lock

    def sign(self, data, **kwargs):
        with self._lock:
            return self._handle.sign(data, **kwargs)

    def __getitem__(self, item):
        with self._lock:
            return self._handle[item]

    def __getattr__(self, name):
        return getattr(self._handle, name)


def _token_signer_class():
    from pyhanko.sign.pkcs11 import PKCS11Signer

    class TokenSigner(PKCS11Signer):
        """pyhanko's PKCS#11 signer sharing the store's session under its lock."""

        def __init__(self, *args, lock, **kwargs):
            self._store_lock = lock
            super().__init__(*args, **kwargs)

        def _load_objects(self):
            with self._store_lock:
                super()._load_objects()
                if self._key_handle is not None and not isinstance(self._key_handle, _LockedKey):
                    self._key_handle = _LockedKey(self._key_handle, self._store_lock)

    return TokenSigner


_LOGINS = {}     # (library, token label) -> the PIN this process logged in with


class Pkcs11KeyStore(KeyStore):
    """Keys on a PKCS#11 token (HSM or USB token), generated there and never extractable.

    Objects on the token: the private and public key of each generation carry the key id as
    CKA_LABEL and a random CKA_ID; its certificates carry the same label and id; chain
    certificates are labelled ``ca:<fingerprint>``. ``certificates`` given to the constructor
    (CA certificates, e.g. for a read-only token) are used for chains beside the token's.
    One session is opened on first use and kept (logged in) for the life of the store.
    """
    store_kind = 'pkcs11'

    def __init__(self, lib_path, token_label, pin, organ_id_pattern=None, *, certificates=()):
        super().__init__(organ_id_pattern)
        secret = Secret(pin)
        if not len(secret):
            raise WrongPin('Thiếu mã PIN của thiết bị ký', 'the token PIN is required')
        self._pin = secret
        self.lib_path = os.fspath(lib_path)
        self.token_label = token_label
        self._given = load_certificates(list(certificates)) if certificates else []
        self._session = None

    def __repr__(self):
        return f'<Pkcs11KeyStore token={self.token_label!r} lib={self.lib_path}>'

    # ---- session
    def _open(self):
        import pkcs11
        from pkcs11 import exceptions as p11e
        if self._session is not None:
            return self._session
        try:
            lib = pkcs11.lib(self.lib_path)
        except (p11e.PKCS11Error, OSError):
            raise TokenUnavailable(f'Không nạp được thư viện PKCS#11 {self.lib_path}',
                                   f'cannot load the PKCS#11 library {self.lib_path}') from None
        try:
            token = lib.get_token(token_label=self.token_label)
        except p11e.NoSuchToken:
            raise TokenUnavailable(f'Không thấy thiết bị ký "{self.token_label}"',
                                   f'no PKCS#11 token labelled "{self.token_label}"') from None
        except p11e.MultipleTokensReturned:
            raise TokenUnavailable(f'Có nhiều thiết bị ký cùng nhãn "{self.token_label}"',
                                   f'several tokens are labelled "{self.token_label}"') from None
        pin = self._pin.reveal().decode('utf-8')
        login_key = (os.path.realpath(self.lib_path), self.token_label)
        try:
            try:
                try:
                    session = token.open(user_pin=pin, rw=True)
                except p11e.TokenWriteProtected:
                    session = token.open(user_pin=pin)
            except p11e.UserAlreadyLoggedIn:
                # PKCS#11 logs in per process, not per session: another store of this process
                # holds a session. Join it, but only with the same PIN.
                known = _LOGINS.get(login_key)
                if known is not None and not secrets.compare_digest(known.reveal(), self._pin.reveal()):
                    raise p11e.PinIncorrect() from None
                session = token.open(rw=True)
        except (p11e.PinIncorrect, p11e.PinInvalid, p11e.PinLenRange):
            raise WrongPin(f'Sai mã PIN của thiết bị ký "{self.token_label}"',
                           f'wrong PIN for token "{self.token_label}"') from None
        except p11e.PinLocked:
            raise WrongPin(f'Mã PIN của thiết bị ký "{self.token_label}" đã bị khóa',
                           f'the PIN of token "{self.token_label}" is locked') from None
        except p11e.PinExpired:
            raise WrongPin(f'Mã PIN của thiết bị ký "{self.token_label}" đã hết hạn',
                           f'the PIN of token "{self.token_label}" has expired') from None
        except p11e.PKCS11Error as exc:
            raise TokenUnavailable(f'Không mở được thiết bị ký "{self.token_label}"',
                                   f'cannot open token "{self.token_label}" ({type(exc).__name__})') from None
        _LOGINS[login_key] = self._pin
        self._session = session
        return session

    def _call(self, fn):
        """Run ``fn(session)`` under the lock; reopen the session once if the token dropped it."""
        from pkcs11 import exceptions as p11e
        stale = (p11e.SessionHandleInvalid, p11e.SessionClosed, p11e.DeviceRemoved,
                 p11e.TokenNotPresent, p11e.UserNotLoggedIn)
        with self._lock:
            try:
                return fn(self._open())
            except stale:
                self._session = None
                return fn(self._open())

    def unlock(self):
        """Open the session now: a wrong PIN fails here."""
        self._call(lambda s: None)

    def close(self):
        with self._lock:
            if self._session is not None:
                with contextlib.suppress(Exception):
                    self._session.close()
                self._session = None

    # ---- token objects
    @staticmethod
    def _public_key(pub):
        from pkcs11 import Attribute, KeyType
        if pub.key_type == KeyType.RSA:
            return rsa.RSAPublicNumbers(int.from_bytes(pub[Attribute.PUBLIC_EXPONENT], 'big'),
                                        int.from_bytes(pub[Attribute.MODULUS], 'big')).public_key()
        if pub.key_type == KeyType.EC:
            params = a_keys.ECDomainParameters.load(pub[Attribute.EC_PARAMS])
            if params.name != 'named' or params.chosen.native not in ('secp256r1',):
                raise StoreDamaged('Đường cong EC không hỗ trợ', 'unsupported EC curve on the token')
            point = a_core.OctetString.load(pub[Attribute.EC_POINT]).native
            return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        raise StoreDamaged('Loại khóa trên thiết bị không hỗ trợ', 'unsupported key type on the token')

    def _key_ids(self):
        from pkcs11 import Attribute, ObjectClass

        def run(s):
            labels = {o[Attribute.LABEL] for o in list(s.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY}))}
            out = []
            for label in labels:
                try:
                    self.parse(label)
                except BadKeyId:
                    continue        # not ours
                out.append(label)
            return out
        return self._call(run)

    def _generations(self, key_id):
        from pkcs11 import Attribute, ObjectClass

        def run(s):
            out = []
            # one search at a time per session: finish each before the next
            for priv in list(s.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.LABEL: key_id})):
                gid = priv[Attribute.ID]
                pubs = list(s.get_objects({Attribute.CLASS: ObjectClass.PUBLIC_KEY, Attribute.ID: gid}))
                if len(pubs) != 1:
                    raise StoreDamaged(f'Thiếu khóa công khai của {key_id} trên thiết bị',
                                       f'the public key of {key_id} is missing on the token')
                certs = [x509.load_der_x509_certificate(o[Attribute.VALUE]) for o in list(s.get_objects(
                    {Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.ID: gid}))]
                out.append(_Generation(id=gid.hex(), public_key=self._public_key(pubs[0]),
                                       certificates=certs))
            return out
        return self._call(run)

    def _ca_certificates(self):
        from pkcs11 import Attribute, ObjectClass

        def run(s):
            return [x509.load_der_x509_certificate(o[Attribute.VALUE])
                    for o in list(s.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE}))
                    if str(o[Attribute.LABEL]).startswith('ca:')]
        return self._call(run) + self._given

    def _generate(self, key_id, purpose, name, algorithm):
        from pkcs11 import Attribute, KeyType, Mechanism, MechanismFlag
        from pkcs11.util.ec import encode_named_curve_parameters
        gid = os.urandom(16)
        caps = MechanismFlag.SIGN | MechanismFlag.VERIFY      # the request is signed by its key
        if purpose == ORG_ENC:
            caps |= MechanismFlag.ENCRYPT | MechanismFlag.DECRYPT | MechanismFlag.WRAP | MechanismFlag.UNWRAP
        private_template = {Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False,
                            Attribute.PRIVATE: True, Attribute.TOKEN: True,
                            Attribute.SUBJECT: name.public_bytes()}
        public_template = {Attribute.TOKEN: True, Attribute.PRIVATE: False}

        def run(s):
            if algorithm.startswith('rsa'):
                pub, priv = s.generate_keypair(KeyType.RSA, int(algorithm[3:]), id=gid, label=key_id, store=True,
                                               capabilities=caps, public_template=public_template,
                                               private_template=private_template)
            else:
                params = s.create_domain_parameters(
                    KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters('secp256r1')}, local=True)
                pub, priv = params.generate_keypair(id=gid, label=key_id, store=True, capabilities=caps,
                                                    public_template=public_template,
                                                    private_template=private_template)
            public_key = self._public_key(pub)
            if algorithm.startswith('rsa'):
                def sign(tbs):
                    return priv.sign(tbs, mechanism=Mechanism.SHA256_RSA_PKCS)
                sig_algo = 'sha256_rsa'
            else:
                def sign(tbs):
                    raw = priv.sign(hashlib.sha256(tbs).digest(), mechanism=Mechanism.ECDSA)
                    return a_algos.DSASignature.from_p1363(raw).dump()
                sig_algo = 'sha256_ecdsa'
            return _build_csr(name, public_key, sign, sig_algo)
        return self._call(run)

    def _store_certificate(self, key_id, gen, cert, others):
        from pkcs11 import Attribute, ObjectClass
        from pkcs11.util.x509 import decode_x509_certificate

        def put(s, c, label, cid):
            der = c.public_bytes(serialization.Encoding.DER)
            existing = [o for o in list(s.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.ID: cid}))
                        if o[Attribute.VALUE] == der]
            if existing:
                return
            template = decode_x509_certificate(der)
            template.update({Attribute.TOKEN: True, Attribute.PRIVATE: False,
                             Attribute.LABEL: label, Attribute.ID: cid})
            s.create_object(template)

        def run(s):
            put(s, cert, key_id, bytes.fromhex(gen.id))
            for other in others:
                fp = fingerprint(other)
                put(s, other, f'ca:{fp[:24]}', bytes.fromhex(fp[:24]))
        self._call(run)

    def _delete_generation(self, key_id, gen):
        from pkcs11 import Attribute

        def run(s):
            for obj in list(s.get_objects({Attribute.ID: bytes.fromhex(gen.id), Attribute.LABEL: key_id})):
                obj.destroy()
        self._call(run)

    def _signer(self, key_id, gen, cert, chain, prefer_pss=False, embed_roots=True):
        session = self._call(lambda s: s)
        cls = _token_signer_class()
        return cls(session, key_id=bytes.fromhex(gen.id), signing_cert=to_asn1(cert),
                   ca_chain=[to_asn1(c) for c in chain], other_certs_to_pull=(),
                   use_raw_mechanism=isinstance(gen.public_key, ec.EllipticCurvePublicKey),
                   prefer_pss=prefer_pss, embed_roots=embed_roots, lock=self._lock)

    def _decrypt(self, key_id, gen, ciphertext, oaep_hash):
        from pkcs11 import MGF, Mechanism, ObjectClass
        from pkcs11 import exceptions as p11e
        mech = {'sha1': (Mechanism.SHA_1, MGF.SHA1), 'sha256': (Mechanism.SHA256, MGF.SHA256),
                'sha384': (Mechanism.SHA384, MGF.SHA384), 'sha512': (Mechanism.SHA512, MGF.SHA512)}[oaep_hash]

        def run(s):
            priv = s.get_key(object_class=ObjectClass.PRIVATE_KEY, id=bytes.fromhex(gen.id))
            return priv.decrypt(ciphertext, mechanism=Mechanism.RSA_PKCS_OAEP,
                                mechanism_param=(mech[0], mech[1], None))
        try:
            return self._call(run)
        except (p11e.EncryptedDataInvalid, p11e.EncryptedDataLenRange, p11e.DataInvalid, p11e.DataLenRange,
                p11e.FunctionFailed, p11e.GeneralError):      # SoftHSM answers a bad padding so
            raise _decryption_failed(key_id) from None
        except (p11e.MechanismInvalid, p11e.MechanismParamInvalid, p11e.ArgumentsBad):
            raise DecryptionFailed(f'Thiết bị ký không hỗ trợ RSA-OAEP với {oaep_hash}',
                                   f'the token does not offer RSA-OAEP with {oaep_hash}') from None


def _build_csr(name, public_key, sign, sig_algo) -> bytes:
    """A PKCS#10 request signed by ``sign(tbs) -> signature`` (the key stays on the token)."""
    info = a_csr.CertificationRequestInfo({
        'version': 'v1',
        'subject': a_x509.Name.load(name.public_bytes()),
        'subject_pk_info': a_keys.PublicKeyInfo.load(spki(public_key)),
        'attributes': [],
    })
    req = a_csr.CertificationRequest({
        'certification_request_info': info,
        'signature_algorithm': {'algorithm': sig_algo},
        'signature': sign(info.dump()),
    })
    csr = x509.load_der_x509_csr(req.dump())
    if not csr.is_signature_valid:
        raise KeyStoreError('Thiết bị ký tạo chữ ký yêu cầu không hợp lệ',
                            'the token made an invalid signature on the request', 'token_error')
    return csr.public_bytes(serialization.Encoding.PEM)

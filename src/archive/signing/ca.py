"""A small certificate authority for the demo seed and the tests. NOT FOR PRODUCTION.

Real certificates come from the government cipher authority (Ban Cơ yếu Chính phủ, Art. 14.3):
a body generates its key pair and request with ``archive-keys generate``, the authority issues
the certificate and the body imports it with ``archive-keys import``. This module plays the
authority so the demo and the tests have real certificates: a root (and, if wanted, an issuing
CA under it), certificates for organisation signing, personal signing, encryption and the
instance, with their key usages, validity dates as parameters (so a test can make an expired
or not-yet-valid certificate) and CRLs for revocation tests. The CA's private key lives in
memory only; nothing here is written to disk.

All times are timezone-aware; a naive datetime is refused.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from .. import clock

ORG_SIGN = 'org-sign'          # organisation signing: the clerk's seal signature
PERSON_SIGN = 'person-sign'    # personal signing: the leader's signature
ENCRYPTION = 'encryption'      # a body's encryption certificate (Mật documents, Art. 5.1)
INSTANCE = 'instance'          # this installation (TLS, signing exchange messages)
KINDS = (ORG_SIGN, PERSON_SIGN, ENCRYPTION, INSTANCE)

# RFC 9336 id-kp-documentSigning
DOCUMENT_SIGNING = ObjectIdentifier('1.3.6.1.5.5.7.3.36')

KEY_USAGE_NAMES = ('digital_signature', 'content_commitment', 'key_encipherment',
                   'data_encipherment', 'key_agreement', 'key_cert_sign', 'crl_sign',
                   'encipher_only', 'decipher_only')

DEFAULT_DAYS = 730
DEFAULT_CA_DAYS = 3650


@dataclass(eq=False)
class CertificateAuthority:
    """A test CA: its certificate, its private key (in memory), its parent if it is an issuing CA,
    and what it has revoked (for ``make_crl``)."""
    certificate: x509.Certificate
    key: object = field(repr=False)
    parent: CertificateAuthority | None = None
    revoked: list = field(default_factory=list)       # [(serial, time, reason or None)]
    crl_number: int = 0

    @property
    def name(self) -> x509.Name:
        return self.certificate.subject

    @property
    def root(self) -> CertificateAuthority:
        return self.parent.root if self.parent is not None else self

    def chain(self) -> list[x509.Certificate]:
        """This CA's certificate and its parents', the issuing CA first and the root last."""
        ca, out = self, []
        while ca is not None:
            out.append(ca.certificate)
            ca = ca.parent
        return out

    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def chain_pem(self) -> bytes:
        return b''.join(c.public_bytes(serialization.Encoding.PEM) for c in self.chain())

    def revoke(self, certificate_or_serial, at=None, reason=None):
        """Record a revocation; the next ``make_crl(self)`` lists it."""
        self.revoked.append((_serial(certificate_or_serial), _aware(at or clock.now(), 'at'), reason))

    def __repr__(self):
        return f'<CertificateAuthority {self.name.rfc4514_string()}>'


def new_private_key(algorithm='rsa3072'):
    """A fresh private key: ``rsa3072`` (the default), ``rsa2048`` or ``ec-p256``."""
    if algorithm == 'rsa3072':
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    if algorithm == 'rsa2048':
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if algorithm == 'ec-p256':
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(f'unknown key algorithm {algorithm!r} (rsa3072, rsa2048 or ec-p256)')


def make_ca(common_name, *, organisation='Hệ thống văn bản điện tử (thử nghiệm / TEST ONLY)',
            country='VN', parent=None, not_before=None, not_after=None, algorithm='rsa3072',
            path_length=None, key=None) -> CertificateAuthority:
    """A root CA, or an issuing CA under ``parent``. ``key`` reuses a private key (tests)."""
    key = key or new_private_key(algorithm)
    subject = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, country),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])
    not_before, not_after = _validity(not_before, not_after, DEFAULT_CA_DAYS)
    issuer_name = parent.name if parent is not None else subject
    signing_key = parent.key if parent is not None else key
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    builder = (x509.CertificateBuilder()
               .subject_name(subject).issuer_name(issuer_name)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(not_before).not_valid_after(not_after)
               .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
               .add_extension(_key_usage({'digital_signature', 'key_cert_sign', 'crl_sign'}), critical=True)
               .add_extension(ski, critical=False))
    if parent is not None:
        builder = builder.add_extension(_aki(parent), critical=False)
    cert = builder.sign(signing_key, hashes.SHA256())
    return CertificateAuthority(certificate=cert, key=key, parent=parent)


def issue(ca, csr_or_public_key, subject=None, kind=ORG_SIGN, *, not_before=None, not_after=None,
          days=DEFAULT_DAYS, serial=None, key_usage=None, extended_key_usage=None,
          crl_url=None) -> x509.Certificate:
    """Issue a certificate of ``kind`` (``org-sign``, ``person-sign``, ``encryption``, ``instance``).

    ``csr_or_public_key``: a CSR (object, PEM or DER; its signature is checked) or a public key.
    ``subject``: an ``x509.Name`` or an RFC 4514 string; defaults to the CSR's subject.
    Key usage by kind: signing → digitalSignature + nonRepudiation (EKU documentSigning,
    emailProtection); encryption → keyEncipherment (RSA) or keyAgreement (EC) (EKU
    emailProtection); instance → digitalSignature + keyEncipherment/keyAgreement (EKU serverAuth,
    clientAuth). ``key_usage`` (names as in ``x509.KeyUsage``; an empty set leaves the extension
    out) and ``extended_key_usage`` (OIDs; empty leaves it out) override them, for tests of
    certificates that lack the signing key usage.
    """
    if kind not in KINDS:
        raise ValueError(f'unknown certificate kind {kind!r} ({", ".join(KINDS)})')
    public_key, csr_subject = _public_key_of(csr_or_public_key)
    if subject is None:
        if csr_subject is None:
            raise ValueError('a subject is needed when issuing for a bare public key')
        subject = csr_subject
    elif isinstance(subject, str):
        subject = x509.Name.from_rfc4514_string(subject)
    not_before, not_after = _validity(not_before, not_after, days)
    is_ec = isinstance(public_key, ec.EllipticCurvePublicKey)
    exchange = 'key_agreement' if is_ec else 'key_encipherment'
    if key_usage is None:
        key_usage = {
            ORG_SIGN: {'digital_signature', 'content_commitment'},
            PERSON_SIGN: {'digital_signature', 'content_commitment'},
            ENCRYPTION: {exchange},
            INSTANCE: {'digital_signature', exchange},
        }[kind]
    if extended_key_usage is None:
        extended_key_usage = {
            ORG_SIGN: [DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION],
            PERSON_SIGN: [DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION],
            ENCRYPTION: [ExtendedKeyUsageOID.EMAIL_PROTECTION],
            INSTANCE: [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH],
        }[kind]
    builder = (x509.CertificateBuilder()
               .subject_name(subject).issuer_name(ca.name)
               .public_key(public_key)
               .serial_number(serial if serial is not None else x509.random_serial_number())
               .not_valid_before(not_before).not_valid_after(not_after)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
               .add_extension(_aki(ca), critical=False))
    if key_usage:
        builder = builder.add_extension(_key_usage(set(key_usage)), critical=True)
    if extended_key_usage:
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(extended_key_usage)), critical=False)
    if crl_url:
        builder = builder.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
            full_name=[x509.UniformResourceIdentifier(crl_url)], relative_name=None,
            reasons=None, crl_issuer=None)]), critical=False)
    return builder.sign(ca.key, hashes.SHA256())


def make_crl(ca, revoked=None, *, this_update=None, next_update=None,
             number=None) -> x509.CertificateRevocationList:
    """A CRL signed by ``ca``. ``revoked``: certificates, serials, or tuples
    ``(certificate or serial, revocation time[, reason])`` (reason: an ``x509.ReasonFlags`` or its
    name, e.g. ``'key_compromise'``); by default what ``ca.revoke`` recorded."""
    this_update = _aware(this_update or clock.now(), 'this_update')
    next_update = _aware(next_update or this_update + _dt.timedelta(days=7), 'next_update')
    if number is None:
        ca.crl_number += 1
        number = ca.crl_number
    builder = (x509.CertificateRevocationListBuilder()
               .issuer_name(ca.name)
               .last_update(this_update).next_update(next_update)
               .add_extension(x509.CRLNumber(number), critical=False)
               .add_extension(_aki(ca), critical=False))
    for item in (ca.revoked if revoked is None else revoked):
        if isinstance(item, tuple):
            target, when, *rest = item
            reason = rest[0] if rest else None
        else:
            target, when, reason = item, this_update, None
        entry = (x509.RevokedCertificateBuilder()
                 .serial_number(_serial(target))
                 .revocation_date(_aware(when, 'revocation time')))
        if reason is not None:
            flag = reason if isinstance(reason, x509.ReasonFlags) else x509.ReasonFlags[reason]
            entry = entry.add_extension(x509.CRLReason(flag), critical=False)
        builder = builder.add_revoked_certificate(entry.build())
    return builder.sign(ca.key, hashes.SHA256())


def to_pem(*certificates) -> bytes:
    """PEM text of certificates (or CRLs), one after another."""
    return b''.join(c.public_bytes(serialization.Encoding.PEM) for c in certificates)


# -- helpers ---------------------------------------------------------------------------------

def _aware(value, what):
    if not isinstance(value, _dt.datetime):
        raise TypeError(f'{what} must be a datetime')
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f'{what} is a naive datetime: a time zone is required')
    return value.astimezone(_dt.timezone.utc)


def _validity(not_before, not_after, days):
    not_before = _aware(not_before, 'not_before') if not_before is not None \
        else (clock.now() - _dt.timedelta(minutes=5)).astimezone(_dt.timezone.utc)
    not_after = _aware(not_after, 'not_after') if not_after is not None \
        else not_before + _dt.timedelta(days=days)
    if not_after <= not_before:
        raise ValueError('not_after must come after not_before')
    return not_before, not_after


def _key_usage(names):
    unknown = set(names) - set(KEY_USAGE_NAMES)
    if unknown:
        raise ValueError(f'unknown key usage {sorted(unknown)} ({", ".join(KEY_USAGE_NAMES)})')
    flags = {name: name in names for name in KEY_USAGE_NAMES}
    if not (flags['key_agreement']):
        flags['encipher_only'] = flags['decipher_only'] = False
    return x509.KeyUsage(**flags)


def _aki(ca):
    try:
        ski = ca.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)
    except x509.ExtensionNotFound:
        return x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key())


def _serial(value):
    if isinstance(value, x509.Certificate):
        return value.serial_number
    if isinstance(value, int):
        return value
    raise TypeError('a certificate or a serial number is needed')


def _public_key_of(value):
    """(public key, subject or None) of a CSR (object, PEM, DER) or a public key."""
    if isinstance(value, (str, bytes)):
        data = value.encode('ascii') if isinstance(value, str) else value
        try:
            value = (x509.load_pem_x509_csr(data) if b'-----BEGIN' in data
                     else x509.load_der_x509_csr(data))
        except ValueError:
            raise ValueError('not a certificate signing request (PEM or DER)') from None
    if isinstance(value, x509.CertificateSigningRequest):
        if not value.is_signature_valid:
            raise ValueError('the certificate signing request is not signed by its key')
        return value.public_key(), value.subject
    if isinstance(value, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
        return value, None
    if isinstance(value, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        return value.public_key(), None
    raise TypeError('a CSR or a public key (RSA or EC) is needed')

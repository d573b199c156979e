"""Enveloped XML-DSig over edXML packages and status messages.

``sign(element, signer, certificate, chain=())`` adds one ``ds:Signature`` to a package root
(as the last child of ``edXML:edXMLHeader``) or a ``Status`` root (as its last child), the slot
``schemas/edxml.xsd`` keeps for it:

* one ``Reference URI=""`` (the whole document) with the transforms enveloped-signature and
  exclusive c14n, digest SHA-256;
* ``SignedInfo`` canonicalized by exclusive c14n, signed rsa-sha256 (RSA key) or ecdsa-sha256
  (EC key; the value is raw ``r||s`` as XML-DSig wants, not DER);
* ``KeyInfo/X509Data`` with the certificate, then the chain.

``signer`` is a callable ``bytes -> signature bytes`` (RSA PKCS#1 v1.5 or ECDSA, DER or raw,
SHA-256), e.g. ``lambda data: cms.sign_bytes(store, key_id, data)``: SignedInfo is built and
canonicalized here and only its bytes reach the key, so a PKCS#11 token signs as well as the
software store.

``verify(data_or_element, candidates)`` checks with signxml's ``XMLVerifier`` against each of
``candidates`` (the sender body's registered certificates, past ones included) and returns
``Verified(element, certificate)``: ``element`` is what signxml reports as signed (the
document re-read from its canonical form, signature removed). Read only that element, never
the input: that is what keeps signature-wrapping tricks out.

What is accepted: exactly one ``ds:Signature`` anywhere in the document (we write it where the
schema says; others' are read wherever they put it), exactly one reference, ``URI=""``, the
enveloped-signature transform plus a canonicalization (exclusive or inclusive, as signxml's own
signer writes by default), SHA-2 digests, RSA PKCS#1 v1.5 or ECDSA with SHA-2. The certificates
in ``KeyInfo`` are never trusted: they only tell which candidate to try first, and whether a
signature none of the candidates verifies is still intact (``signer_unknown``) or not.

Errors: one type, ``SignatureError`` (a ``PackageError``, so one handler answers the sender for
both), with the codes of ``MESSAGES``. Input bytes are parsed by ``safexml.parse_xml``; bytes
that are not safe well-formed XML raise its plain ``PackageError`` (``malformed_xml``,
``doctype_forbidden``, ``too_large``) before any signature is looked at.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
from typing import NamedTuple

from cryptography import x509
from cryptography.exceptions import InvalidSignature as _BadSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from lxml import etree
from signxml import SignatureConfiguration, XMLVerifier
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from signxml.exceptions import InvalidDigest, InvalidSignature, SignXMLException

from .safexml import Limits, PackageError, parse_xml

__all__ = ['DS', 'MESSAGES', 'SignatureError', 'Verified', 'check_shape', 'sign', 'verify']

DS = 'http://www.w3.org/2000/09/xmldsig#'
NS = 'http://www.mic.gov.vn/TBT/QCVN_102_2016'          # = edxml.NS (not imported: no cycle)
EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#'
ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature'
SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256'
RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256'
ECDSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256'

# code: (Vietnamese, English)
MESSAGES = {
    'unsigned': ('Gói tin không có chữ ký số (ds:Signature)', 'The message carries no XML signature'),
    'signature_invalid': ('Chữ ký số không hợp lệ: nội dung đã bị thay đổi sau khi ký',
                          'The signature does not verify: the content changed after signing'),
    'signer_unknown': ('Chữ ký số không phải của cơ quan gửi (không khớp chứng thư số đã đăng ký)',
                       'The signature is intact but made by none of the sender\'s registered certificates'),
    'malformed_signature': ('Chữ ký số sai cấu trúc hoặc dùng thuật toán không được chấp nhận',
                            'The signature is malformed or uses an algorithm not accepted'),
    'wrong_reference': ('Chữ ký số không bao trùm toàn bộ gói tin',
                        'The signature does not cover the whole document (one Reference URI="" expected)'),
}

_METHODS = {SignatureMethod.RSA_SHA256, SignatureMethod.RSA_SHA384, SignatureMethod.RSA_SHA512,
            SignatureMethod.ECDSA_SHA256, SignatureMethod.ECDSA_SHA384, SignatureMethod.ECDSA_SHA512}
_CONFIG = SignatureConfiguration(
    expect_references=1, location='.//', signature_methods=frozenset(_METHODS),
    digest_algorithms=frozenset({DigestAlgorithm.SHA256, DigestAlgorithm.SHA384, DigestAlgorithm.SHA512}))
_DIGESTS = {m.value for m in _CONFIG.digest_algorithms}
_C14N = {m.value for m in CanonicalizationMethod}


class SignatureError(PackageError):
    """Why a signature is refused: ``code`` (see ``MESSAGES``) for programs, the messages for people."""

    def __init__(self, code, message_vi=None, message_en=None, detail=''):
        vi, en = MESSAGES[code]
        self.code = code
        self.detail = detail
        self.message_vi = message_vi or (f'{vi}: {detail}' if detail else vi)
        self.message_en = message_en or (f'{en}: {detail}' if detail else en)
        self.message = self.message_vi                  # as PackageError
        Exception.__init__(self, f'{code}: {self.message_en}')


class Verified(NamedTuple):
    element: etree._Element                 # the signed document, as signed: read only this
    certificate: x509.Certificate           # the candidate that verified it


def _ds(name):
    return f'{{{DS}}}{name}'


def _c14n(element):
    return etree.tostring(element, method='c14n', exclusive=True, with_comments=False)


# ---------------------------------------------------------------- signing

def _slot(root):
    """Where the signature goes: the end of edXMLHeader (package) or of Status."""
    qname = etree.QName(root)
    if qname.namespace == NS and qname.localname == 'Status':
        return root
    if qname.namespace == NS and qname.localname == 'edXML':
        header = root.find(f'{{{NS}}}edXMLEnvelope/{{{NS}}}edXMLHeader')
        if header is not None:
            return header
    raise ValueError(f'not an edXML package or status root: {root.tag}')


def _raw_ecdsa(signature, key_size):
    """XML-DSig's ECDSA value: r||s, each as long as the curve order; DER from the signer is converted."""
    size = (key_size + 7) // 8
    try:
        r, s = decode_dss_signature(signature)
    except ValueError:
        if len(signature) == 2 * size:          # already raw (some tokens answer so)
            return signature
        raise
    return r.to_bytes(size, 'big') + s.to_bytes(size, 'big')


def sign(element, signer, certificate, chain=()):
    """Sign ``element`` (a package or status root from the codec) in place and return it."""
    if element.getparent() is not None:
        raise ValueError('only a document root is signed (Reference URI="" is the whole document)')
    slot = _slot(element)
    if next(element.iter(_ds('Signature')), None) is not None:
        raise ValueError('the document is already signed')
    public = certificate.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        method = RSA_SHA256
    elif isinstance(public, ec.EllipticCurvePublicKey):
        method = ECDSA_SHA256
    else:
        raise ValueError(f'unsupported key type {type(public).__name__}')
    digest = hashlib.sha256(_c14n(element)).digest()    # what enveloped-signature + exc-c14n yield

    signature = etree.SubElement(slot, _ds('Signature'), nsmap={'ds': DS})
    signed_info = etree.SubElement(signature, _ds('SignedInfo'))
    etree.SubElement(signed_info, _ds('CanonicalizationMethod'), Algorithm=EXC_C14N)
    etree.SubElement(signed_info, _ds('SignatureMethod'), Algorithm=method)
    reference = etree.SubElement(signed_info, _ds('Reference'), URI='')
    transforms = etree.SubElement(reference, _ds('Transforms'))
    etree.SubElement(transforms, _ds('Transform'), Algorithm=ENVELOPED)
    etree.SubElement(transforms, _ds('Transform'), Algorithm=EXC_C14N)
    etree.SubElement(reference, _ds('DigestMethod'), Algorithm=SHA256)
    etree.SubElement(reference, _ds('DigestValue')).text = base64.b64encode(digest).decode('ascii')
    value = etree.SubElement(signature, _ds('SignatureValue'))
    x509_data = etree.SubElement(etree.SubElement(signature, _ds('KeyInfo')), _ds('X509Data'))
    for cert in [certificate, *(c for c in chain if c != certificate)]:
        etree.SubElement(x509_data, _ds('X509Certificate')).text = base64.b64encode(
            cert.public_bytes(serialization.Encoding.DER)).decode('ascii')

    try:
        data = _c14n(signed_info)
        raw = bytes(signer(data))
        try:                                    # the key behind ``signer`` must be the certificate's
            if method == RSA_SHA256:
                public.verify(raw, data, padding.PKCS1v15(), hashes.SHA256())
            else:
                raw = _raw_ecdsa(raw, public.key_size)
                half = len(raw) // 2
                der = encode_dss_signature(int.from_bytes(raw[:half], 'big'), int.from_bytes(raw[half:], 'big'))
                public.verify(der, data, ec.ECDSA(hashes.SHA256()))
        except (_BadSignature, ValueError):
            raise ValueError('the signer\'s key does not match the certificate') from None
        value.text = base64.b64encode(raw).decode('ascii')
    except BaseException:
        slot.remove(signature)                  # leave the element as it was
        raise
    return element


# ---------------------------------------------------------------- verifying

def _parser():
    # as safexml's: signxml re-reads the document with it (huge_tree: attachments above ~7 MiB)
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True,
                           remove_comments=True, remove_pis=True, dtd_validation=False)


def _check_shape(root):
    """The one signature and its one reference over the whole document; its method and embedded certificate."""
    if root.tag == _ds('Signature'):
        raise SignatureError('malformed_signature', detail='an enveloping signature (enveloped expected)')
    signatures = list(root.iter(_ds('Signature')))
    if not signatures:
        raise SignatureError('unsigned')
    if len(signatures) > 1:
        raise SignatureError('malformed_signature', detail=f'{len(signatures)} signatures, one expected')
    signature = signatures[0]
    signed_info = signature.find(_ds('SignedInfo'))
    if signed_info is None:
        raise SignatureError('malformed_signature', detail='no SignedInfo')
    references = signed_info.findall(_ds('Reference'))
    if len(references) != 1:
        raise SignatureError('wrong_reference', detail=f'{len(references)} references, one expected')
    uri = references[0].get('URI')
    if uri != '':
        raise SignatureError('wrong_reference', detail=f'URI={uri[:100]!r}' if uri is not None else 'no URI')
    algorithms = [t.get('Algorithm') for t in references[0].findall(f'{_ds("Transforms")}/{_ds("Transform")}')]
    if ENVELOPED not in algorithms or any(a != ENVELOPED and a not in _C14N for a in algorithms):
        raise SignatureError('wrong_reference', detail=f'transforms {", ".join(map(str, algorithms))[:200]}')
    digest_method = references[0].find(_ds('DigestMethod'))
    if digest_method is None or digest_method.get('Algorithm') not in _DIGESTS:
        raise SignatureError('malformed_signature', detail='digest method not accepted')
    method_el = signed_info.find(_ds('SignatureMethod'))
    try:
        method = SignatureMethod(method_el.get('Algorithm') if method_el is not None else None)
    except ValueError:
        method = None
    if method not in _METHODS:
        raise SignatureError('malformed_signature', detail='signature method not accepted')
    embedded = None
    cert_el = signature.find(f'{_ds("KeyInfo")}/{_ds("X509Data")}/{_ds("X509Certificate")}')
    if cert_el is not None:
        try:
            embedded = x509.load_der_x509_certificate(base64.b64decode(''.join((cert_el.text or '').split())))
        except (ValueError, binascii.Error):
            pass                                # only a hint: never trusted
    return method, embedded


def check_shape(root):
    """``SignatureError`` when the parsed document is unsigned or its signature is not of the
    accepted form: cheap (no digest, no key), so the receiving path asks it before anything else."""
    _check_shape(root)


def _try(root, certificate):
    return XMLVerifier().verify(root, x509_cert=certificate, parser=_parser(), expect_config=_CONFIG)


def verify(data_or_element, candidates, limits=Limits()):
    """``Verified(element, certificate)`` or ``SignatureError``; see the module's docstring."""
    if isinstance(data_or_element, etree._Element):
        root = data_or_element
    else:
        root = parse_xml(data_or_element, limits)
    method, embedded = _check_shape(root)
    key_type = ec.EllipticCurvePublicKey if method.name.startswith('ECDSA') else rsa.RSAPublicKey
    usable = [c for c in candidates if isinstance(c.public_key(), key_type)]
    usable.sort(key=lambda c: c != embedded)    # the one the signature names first, if registered
    for certificate in usable:
        try:
            result = _try(root, certificate)
        except InvalidDigest:                   # SignedInfo is this key's: the content changed since
            raise SignatureError('signature_invalid', detail='digest mismatch') from None
        except InvalidSignature:
            continue                            # not this certificate's key
        except (SignXMLException, ValueError, TypeError, etree.LxmlError) as exc:
            raise SignatureError('malformed_signature', detail=str(exc)[:200]) from None
        if result.signed_xml is None or result.signed_xml.tag != root.tag:
            raise SignatureError('wrong_reference', detail='the signed data is not the document')
        return Verified(result.signed_xml, certificate)
    if embedded is not None and embedded not in candidates:
        try:
            _try(root, embedded)
        except Exception:
            pass
        else:
            subject = embedded.subject.rfc4514_string()
            raise SignatureError('signer_unknown', detail=subject[:200])
    raise SignatureError('signature_invalid', detail='no registered certificate verifies it')

"""Enveloped XML-DSig over edXML packages and status messages, with real keys (the software store,
RSA 2048 and EC P-256, and a SoftHSM2 token), real packages from the codec, and signxml both as
the verifier and as another sender's signer. No mocks."""
import base64
import copy
import datetime as dt
import os
import re

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from lxml import etree
from signxml import SignatureConfiguration, XMLSigner, XMLVerifier, methods

from archive import clock
from archive.exchange import edxml, xmldsig
from archive.exchange.edxml import NS, PackageError
from archive.exchange.xmldsig import DS, SignatureError
from archive.signing import ca as test_ca
from archive.signing import cms

from .test_edxml import full_package, full_status, small_package
from .test_keys import authority, enrol, softhsm, store, token_store  # noqa: F401  (fixtures)

A = '000.00.31.H29'                 # the sender of the test packages
B = '000.00.32.H29'                 # another body
E = f'{{{NS}}}'
D = f'{{{DS}}}'


def tobytes(element):
    return etree.tostring(element, xml_declaration=True, encoding='UTF-8')


def sign_with(keystore, key_id, element):
    return xmldsig.sign(element, lambda data: cms.sign_bytes(keystore, key_id, data),
                        keystore.certificate(key_id), keystore.chain(key_id))


def signed_package(keystore, key_id, pkg=None):
    element = sign_with(keystore, key_id, edxml.encode_package(pkg or small_package()))
    edxml.validate(element)                 # what we sign still validates against the XSD
    return tobytes(element)


def refused(code, data, candidates):
    with pytest.raises(SignatureError) as info:
        xmldsig.verify(data, candidates)
    assert info.value.code == code, info.value
    assert info.value.message_vi and info.value.message_en
    return info.value


@pytest.fixture
def bodies(store, authority):  # noqa: F811
    """A signs with RSA 2048, B with EC P-256, both in the software store."""
    return {A: enrol(store, f'org-sign:{A}', authority, algorithm='rsa2048'),
            B: enrol(store, f'org-sign:{B}', authority, algorithm='ec-p256')}


def other_signer(authority, algorithm='rsa2048'):  # noqa: F811
    """A software key held here (not in the store), for signxml's own signer."""
    key = test_ca.new_private_key(algorithm)
    return key, test_ca.issue(authority.issuing, key.public_key(), 'CN=Phần mềm khác', test_ca.ORG_SIGN)


# -- sign → bytes → verify → decode --------------------------------------------------------------

@pytest.mark.parametrize('body', [A, B], ids=['rsa2048', 'ec-p256'])
def test_package_signed_verified_and_decoded(store, bodies, body):  # noqa: F811
    key_id = f'org-sign:{body}'
    data = signed_package(store, key_id, full_package())
    root = etree.fromstring(data)
    header = root.find(f'{E}edXMLEnvelope/{E}edXMLHeader')
    signature = header[-1]
    assert signature.tag == f'{D}Signature'                         # the last child of edXMLHeader
    method = signature.find(f'{D}SignedInfo/{D}SignatureMethod').get('Algorithm')
    ref = signature.find(f'{D}SignedInfo/{D}Reference')
    assert ref.get('URI') == ''
    assert [t.get('Algorithm') for t in ref.iter(f'{D}Transform')] == [
        'http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#']
    assert ref.find(f'{D}DigestMethod').get('Algorithm') == 'http://www.w3.org/2001/04/xmlenc#sha256'
    certs = signature.findall(f'{D}KeyInfo/{D}X509Data/{D}X509Certificate')
    assert len(certs) == 1 + len(store.chain(key_id)) == 3          # the certificate, then its chain
    value = etree.fromstring(data).find(f'.//{D}SignatureValue').text
    if body == B:
        assert method == 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256'
        assert len(base64.b64decode(value)) == 64                   # raw r||s, not DER
    else:
        assert method == 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256'

    verified = xmldsig.verify(data, [bodies[A], bodies[B]])
    assert verified.certificate == bodies[body]
    assert verified.element.find(f'.//{D}Signature') is None        # the signed content, signature removed
    decoded = edxml.decode_package(etree.tostring(verified.element))
    assert decoded.package == edxml.decode_package(edxml.package_bytes(full_package())).package
    assert decoded.deviations == []
    # signxml alone agrees (our signature is standard XML-DSig)
    result = XMLVerifier().verify(data, x509_cert=bodies[body], expect_config=SignatureConfiguration())
    assert etree.QName(result.signed_xml).localname == 'edXML'


def test_a_large_attachment(store, bodies):  # noqa: F811
    """Above ~7 MiB an attachment's base64 is a text node libxml2 refuses without huge_tree:
    signxml re-reads the document with our parser (its default one fails here)."""
    pkg = small_package(attachments=[edxml.Attachment('1', 'scan.pdf', '', 'application/pdf',
                                                      os.urandom(8 * 1024 * 1024))])
    data = signed_package(store, f'org-sign:{A}', pkg)
    verified = xmldsig.verify(data, [bodies[A]])
    assert edxml.decode_package(etree.tostring(verified.element)).package.attachments[0].data == pkg.attachments[0].data


def test_signed_on_a_token(token_store, authority):  # noqa: F811
    key_id = f'org-sign:{A}'
    cert = enrol(token_store, key_id, authority, algorithm='rsa2048')
    data = signed_package(token_store, key_id)
    verified = xmldsig.verify(data, [cert])
    assert verified.certificate == cert
    assert edxml.decode_package(etree.tostring(verified.element)).package.subject == small_package().subject


def test_status_signed_and_verified(store, bodies):  # noqa: F811
    element = sign_with(store, f'org-sign:{B}', edxml.encode_status(full_status()))
    assert element[-1].tag == f'{D}Signature'                       # the last child of Status
    edxml.validate(element)
    data = tobytes(element)
    verified = xmldsig.verify(data, [bodies[B]])
    assert verified.certificate == bodies[B]
    assert edxml.decode_status(etree.tostring(verified.element)).status == full_status()
    refused('signer_unknown', data, [bodies[A]])
    refused('unsigned', edxml.status_bytes(full_status()), [bodies[B]])


def test_status_carried_in_a_soap_header_still_verifies(store, bodies):  # noqa: F811
    """Exclusive c14n: the Status signed alone verifies once put in the SDK's SOAP envelope."""
    status = sign_with(store, f'org-sign:{B}', edxml.encode_status(full_status()))
    soap = etree.Element('{http://schemas.xmlsoap.org/soap/envelope/}Envelope',
                         nsmap={'soap': 'http://schemas.xmlsoap.org/soap/envelope/', 'xs': 'urn:unused'})
    etree.SubElement(soap, '{http://schemas.xmlsoap.org/soap/envelope/}Header').append(status)
    etree.SubElement(soap, '{http://schemas.xmlsoap.org/soap/envelope/}Body')
    parsed = etree.fromstring(tobytes(soap))
    carried = parsed.find(f'.//{E}Status')
    assert xmldsig.verify(carried, [bodies[B]]).certificate == bodies[B]
    refused('signature_invalid', tobytes(soap), [bodies[B]])        # URI="" of the SOAP document: not what was signed


def test_a_past_certificate_still_verifies(store, bodies, authority):  # noqa: F811
    key_id = f'org-sign:{A}'
    old = bodies[A]
    data = signed_package(store, key_id)
    new = enrol(store, key_id, authority, algorithm='rsa2048',     # rotation: a new key pair, started later
                not_before=clock.now() - dt.timedelta(minutes=1))
    assert store.certificate(key_id) == new
    registered = store.certificates(key_id)
    assert xmldsig.verify(data, registered).certificate == old
    assert xmldsig.verify(signed_package(store, key_id), registered).certificate == new
    refused('signer_unknown', data, [new])


# -- refusals -----------------------------------------------------------------------------------

def test_one_byte_of_the_subject_changed(store, bodies):  # noqa: F811
    data = signed_package(store, f'org-sign:{A}')
    subject = small_package().subject.encode()
    at = data.index(subject) + subject.index(b'c')                  # 'Về việc ...': one ASCII byte
    tampered = data[:at] + b'C' + data[at + 1:]
    assert len(tampered) == len(data) and tampered != data
    error = refused('signature_invalid', tampered, [bodies[A]])
    assert 'thay đổi' in error.message_vi and isinstance(error, PackageError)


def test_other_changes_after_signing(store, bodies):  # noqa: F811
    data = signed_package(store, f'org-sign:{A}')
    encoded = etree.fromstring(data).find(f'.//{E}ContentTransferEncoded').text
    swapped = encoded[:20] + ('A' if encoded[20] != 'A' else 'B') + encoded[21:]
    refused('signature_invalid', data.replace(encoded.encode(), swapped.encode()), [bodies[A]])  # the attachment
    root = etree.fromstring(data)
    value = root.find(f'.//{D}SignatureValue')
    value.text = value.text[:10] + ('A' if value.text[10] != 'A' else 'B') + value.text[11:]
    refused('signature_invalid', tobytes(root), [bodies[A]])       # the signature value
    root = etree.fromstring(data)
    digest = root.find(f'.//{D}DigestValue')
    digest.text = digest.text[:5] + ('A' if digest.text[5] != 'A' else 'B') + digest.text[6:]
    refused('signature_invalid', tobytes(root), [bodies[A]])       # the digest (SignedInfo)
    root = etree.fromstring(data)
    root.find(f'.//{E}MessageHeader').append(etree.Element(f'{E}Content'))
    refused('signature_invalid', tobytes(root), [bodies[A]])       # an element added


def test_signed_by_another_body(store, bodies):  # noqa: F811
    data = signed_package(store, f'org-sign:{B}')                   # B signs a package "from" A
    error = refused('signer_unknown', data, [bodies[A]])
    assert 'CN=' in error.message_en
    refused('signer_unknown', data, [])
    # without its certificate the signature cannot be told intact: it only fails A's key
    root = etree.fromstring(data)
    key_info = root.find(f'.//{D}KeyInfo')
    key_info.getparent().remove(key_info)
    refused('signature_invalid', tobytes(root), [bodies[A]])
    # KeyInfo is never trusted: naming A's certificate does not make B's signature A's
    root = etree.fromstring(data)
    forged = etree.fromstring(signed_package(store, f'org-sign:{A}')).find(f'.//{D}KeyInfo')
    root.find(f'.//{D}Signature').replace(root.find(f'.//{D}KeyInfo'), forged)
    refused('signature_invalid', tobytes(root), [bodies[A]])


def test_unsigned(bodies):
    refused('unsigned', edxml.package_bytes(small_package()), [bodies[A]])


def test_unsafe_or_broken_bytes_raise_the_codec_error(bodies):
    with pytest.raises(PackageError) as info:
        xmldsig.verify(b'<edXML:edXML', [bodies[A]])
    assert info.value.code == 'malformed_xml' and not isinstance(info.value, SignatureError)
    bomb = b'<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    with pytest.raises(PackageError) as info:
        xmldsig.verify(bomb, [bodies[A]])
    assert info.value.code == 'doctype_forbidden'


def test_malformed_signatures(store, bodies):  # noqa: F811
    data = signed_package(store, f'org-sign:{A}')

    def altered(change):
        root = etree.fromstring(data)
        change(root)
        return tobytes(root)

    def sha1(root):
        root.find(f'.//{D}SignatureMethod').set('Algorithm', 'http://www.w3.org/2000/09/xmldsig#rsa-sha1')
    refused('malformed_signature', altered(sha1), [bodies[A]])

    def no_signed_info(root):
        sig = root.find(f'.//{D}Signature')
        sig.remove(sig.find(f'{D}SignedInfo'))
    refused('malformed_signature', altered(no_signed_info), [bodies[A]])

    def not_base64(root):
        root.find(f'.//{D}SignatureValue').text = '*** not base64 ***'
    refused('malformed_signature', altered(not_base64), [bodies[A]])

    def two_signatures(root):
        sig = root.find(f'.//{D}Signature')
        root.find(f'{E}AttachmentEncoded').append(copy.deepcopy(sig))
    refused('malformed_signature', altered(two_signatures), [bodies[A]])

    def md5_digest(root):
        root.find(f'.//{D}DigestMethod').set('Algorithm', 'http://www.w3.org/2001/04/xmldsig-more#md5')
    refused('malformed_signature', altered(md5_digest), [bodies[A]])

    def extra_transform(root):
        etree.SubElement(root.find(f'.//{D}Transforms'), f'{D}Transform',
                         Algorithm='http://www.w3.org/TR/1999/REC-xpath-19991116')
    refused('wrong_reference', altered(extra_transform), [bodies[A]])

    def subtree(root):
        root.find(f'.//{D}Reference').set('URI', '#header')
    refused('wrong_reference', altered(subtree), [bodies[A]])


def test_sign_refuses_what_it_cannot_sign_well(store, bodies):  # noqa: F811
    key_id = f'org-sign:{A}'
    element = edxml.encode_package(small_package())
    before = etree.tostring(element)
    with pytest.raises(ValueError, match='does not match'):         # B's key behind A's certificate
        xmldsig.sign(element, lambda d: cms.sign_bytes(store, f'org-sign:{B}', d), bodies[A])
    with pytest.raises(ValueError, match='does not match'):
        xmldsig.sign(element, lambda d: cms.sign_bytes(store, key_id, d), bodies[B])
    assert etree.tostring(element) == before                        # left as it was
    sign_with(store, key_id, element)
    with pytest.raises(ValueError, match='already signed'):
        sign_with(store, key_id, element)
    with pytest.raises(ValueError, match='root'):
        sign_with(store, key_id, edxml.encode_package(small_package())[0])
    with pytest.raises(ValueError, match='not an edXML'):
        sign_with(store, key_id, etree.Element('{urn:x}Other'))


# -- signature wrapping ----------------------------------------------------------------------------

def forge(envelope):
    """The envelope a forger wants read: another subject, no signature."""
    forged = copy.deepcopy(envelope)
    forged.find(f'.//{E}Subject').text = 'Về việc bãi bỏ Quyết định (giả mạo)'
    for sig in forged.iter(f'{D}Signature'):
        sig.getparent().remove(sig)
    return forged


def test_wrapping_a_whole_document_signature(store, bodies):  # noqa: F811
    """URI="" covers the whole document: moving the signed envelope under another element and
    putting a forged one where readers look changes the document, so it is refused."""
    data = signed_package(store, f'org-sign:{A}')
    root = etree.fromstring(data)
    envelope = root.find(f'{E}edXMLEnvelope')
    wrapper = etree.Element(f'{E}Wrapper')
    root.replace(envelope, forge(envelope))
    wrapper.append(envelope)                                       # the signed one, signature and all
    root.find(f'{E}AttachmentEncoded').append(wrapper)
    refused('signature_invalid', tobytes(root), [bodies[A]])
    # the same with the signed envelope kept first and the forged one after it
    root = etree.fromstring(data)
    envelope = root.find(f'{E}edXMLEnvelope')
    envelope.addnext(forge(envelope))
    refused('signature_invalid', tobytes(root), [bodies[A]])


def test_wrapping_an_id_reference(authority):  # noqa: F811
    """The classic attack, against a sender that signed a subtree by Id (signxml's signer, a key
    the candidates hold): the signed envelope is moved away and a forged one put in its place.
    Refused as wrong_reference; and even signxml alone would hand back the original, never the forgery."""
    key, cert = other_signer(authority)
    root = edxml.encode_package(small_package())
    envelope = root.find(f'{E}edXMLEnvelope')
    envelope.set('Id', 'env')
    header = envelope.find(f'{E}edXMLHeader')
    etree.SubElement(header, f'{D}Signature', Id='placeholder', nsmap={'ds': DS})
    signed = XMLSigner(method=methods.enveloped).sign(root, key=key, cert=[cert], reference_uri=['#env'])
    data = tobytes(signed)
    refused('wrong_reference', data, [cert])                       # even untouched: a subtree only

    attacked = etree.fromstring(data)
    original = attacked.find(f'{E}edXMLEnvelope')
    forged = forge(original)
    del forged.attrib['Id']
    attacked.replace(original, forged)
    wrapper = etree.SubElement(attacked.find(f'{E}AttachmentEncoded'), f'{E}Wrapper')
    wrapper.append(original)
    # keep the signature where the forger wants it found: move it into the forged header too
    sig = original.find(f'.//{D}Signature')
    forged.find(f'{E}edXMLHeader').append(sig)
    bad = tobytes(attacked)
    refused('wrong_reference', bad, [cert])
    what_signxml_returns = XMLVerifier().verify(bad, x509_cert=cert).signed_xml
    assert what_signxml_returns.get('Id') == 'env'
    assert what_signxml_returns.find(f'.//{E}Subject').text == small_package().subject   # the original

    # and with two references (a subtree each), as some signers write
    root = edxml.encode_package(small_package())
    root.find(f'{E}edXMLEnvelope').set('Id', 'env')
    root.find(f'{E}AttachmentEncoded').set('Id', 'att')
    etree.SubElement(root.find(f'.//{E}edXMLHeader'), f'{D}Signature', Id='placeholder', nsmap={'ds': DS})
    two = XMLSigner(method=methods.enveloped).sign(root, key=key, cert=[cert], reference_uri=['#env', '#att'])
    refused('wrong_reference', tobytes(two), [cert])


# -- what re-serialization keeps -----------------------------------------------------------------

def test_reserialized_package(store, bodies):  # noqa: F811
    """Exclusive c14n makes equal what differs only in serialization: the order of namespace
    declarations and attributes, where a namespace is declared, empty-element form, character
    references, the encoding. It keeps prefixes and white space: changing those breaks the signature."""
    data = signed_package(store, f'org-sign:{A}').decode('utf-8')
    head = re.search(r'<edXML:edXML [^>]*>', data).group(0)
    decls = re.findall(r' xmlns:\w+="[^"]*"', head)
    assert len(decls) == 3

    def passes(text, encoding='utf-8'):
        assert xmldsig.verify(text.encode(encoding), [bodies[A]]).certificate == bodies[A]

    passes(data.replace(head, '<edXML:edXML' + ''.join(reversed(decls)) + '>'))   # declarations reordered
    ref = re.search(r'<edXML:Reference ([^>]*)>', data)
    attrs = re.findall(r'\S+="[^"]*"', ref.group(1))
    passes(data.replace(ref.group(0), '<edXML:Reference ' + ' '.join(reversed(attrs)) + '>'))  # attributes
    ds_decl = f' xmlns:ds="{DS}"'
    moved = data.replace('<ds:Signature' + ds_decl, '<ds:Signature').replace(head, head[:-1] + ds_decl + '>')
    assert moved != data
    passes(moved)                                                  # xmlns:ds declared on the root instead
    passes(data.replace('<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>',
                        '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"></ds:DigestMethod>'))
    subject = small_package().subject
    passes(data.replace(subject, ''.join(f'&#{ord(c)};' if ord(c) > 127 else c for c in subject)))
    passes(data.replace("encoding='UTF-8'", "encoding='UTF-16'"), 'utf-16')

    pretty = etree.tostring(etree.fromstring(data.encode()), pretty_print=True).decode()
    assert pretty != data
    refused('signature_invalid', pretty.encode(), [bodies[A]])     # white space between elements
    renamed = data.replace('edXML:', 'e:').replace('xmlns:edXML=', 'xmlns:e=')
    refused('signature_invalid', renamed.encode(), [bodies[A]])    # another prefix


# -- interoperability ------------------------------------------------------------------------------

@pytest.mark.parametrize('algorithm, c14n', [
    ('rsa2048', 'http://www.w3.org/2006/12/xml-c14n11'),          # signxml's default: inclusive c14n 1.1
    ('ec-p256', 'http://www.w3.org/2001/10/xml-exc-c14n#'),
])
def test_signed_by_signxml_verifies(authority, algorithm, c14n):  # noqa: F811
    key, cert = other_signer(authority, algorithm)
    root = edxml.encode_package(full_package())
    etree.SubElement(root.find(f'.//{E}edXMLHeader'), f'{D}Signature', Id='placeholder', nsmap={'ds': DS})
    method = 'ecdsa-sha256' if isinstance(key, ec.EllipticCurvePrivateKey) else 'rsa-sha256'
    signed = XMLSigner(method=methods.enveloped, signature_algorithm=method, digest_algorithm='sha256',
                       c14n_algorithm=c14n).sign(root, key=key, cert=[cert, authority.issuing.certificate])
    edxml.validate(signed)
    data = tobytes(signed)
    verified = xmldsig.verify(data, [cert])
    assert verified.certificate == cert
    assert edxml.decode_package(etree.tostring(verified.element)).package.subject == full_package().subject
    _, other_cert = other_signer(authority, algorithm)
    refused('signer_unknown', data, [other_cert])

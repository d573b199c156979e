"""Mật documents at rest (Art. 5.1): files sealed in the database, opened only for their readers.

A Mật document gets a fresh content key when it is created (or raised to Mật); the key is kept
only wrapped for the body's encryption certificate (``org-enc:<body code>`` in the key store)
in ``doc.secrecy``. Every file of the document is sealed as it is stored; reading one (a download,
the signature check, signing) unwraps the key, opens the file in memory and writes a
``secret_file_read`` entry to the document's journal. No plaintext hash is kept and the content
is never handed to any index. The name a file came with is sealed too (``seal_name``; the file
is listed under its ``sealed_name`` and downloaded by its reader under its own name); a Mật
document takes no notes (the schema refuses them: they would be listed and exported in clear). Without an encryption key the body cannot hold Mật documents:
the entry is refused, not stored in clear.
"""
import io

from .. import audit
from ..errors import Conflict
from ..i18n import _
from ..resources.files import sealed_name, write_content
from ..signing import secrecy
from ..signing.keys import KeyStoreError, org_enc_key

SECRET = 'mat'


def is_secret(doc_or_classification):
    value = getattr(doc_or_classification, 'classification', doc_or_classification)
    return value == SECRET


def _no_key(body_code):
    return Conflict('no_encryption_key', _(
        'no_encryption_key',
        default='Cơ quan ${body} chưa có khóa mã hóa (org-enc) trong kho khóa: không lưu được văn bản Mật',
        mapping={'body': body_code}))


def new_key(body_code, settings):
    """A fresh content key for a Mật document of ``body_code`` and the record to keep of it."""
    store = settings.keystore
    if store is None:
        raise _no_key(body_code)
    try:
        certificate = store.certificate(org_enc_key(body_code))
    except KeyStoreError:
        raise _no_key(body_code) from None
    key = secrecy.PROVIDER.new_key()
    wrapped = secrecy.wrap_key(key, body_code, certificate, settings.oaep_hash)
    return key, {'provider': secrecy.PROVIDER.name, 'keys': (wrapped.as_dict(),)}


def content_key(doc, settings):
    """The document's content key, unwrapped by its body's encryption key."""
    record = getattr(doc, 'secrecy', None)
    if not record:
        raise secrecy.damaged()
    if settings.keystore is None:
        raise _no_key(doc.body_code)
    wrapped = [secrecy.WrappedKey.from_dict(w) for w in record['keys']]
    mine = [w for w in wrapped if w.body == doc.body_code]
    if not mine:
        raise secrecy.not_for(doc.body_code)
    return secrecy.unwrap_key(mine[0], settings.keystore, doc.body_code)


def _aad(body_code):
    return f'archive-file:{body_code}'.encode()


def sealer(key, body_code):
    """What ``ingest`` and ``write_content`` call to seal a stream for ``body_code``."""
    return lambda src, dst: secrecy.PROVIDER.seal(key, src, dst, _aad(body_code))


def _name_aad(body_code):
    return f'archive-file-name:{body_code}'.encode()


def seal_name(f, name, key, body_code):
    """Keep the name ``f`` came with sealed beside it (``f.filename`` is only its ``sealed_name``):
    it often says what the document is about."""
    f.sealed_filename = bytes(secrecy.PROVIDER.seal_bytes(key, name.encode('utf-8'), _name_aad(body_code)))


def original_name(doc, f, settings):
    """The name a sealed file came with, opened for its reader; ``f.filename`` for the others."""
    sealed = getattr(f, 'sealed_filename', None)
    if not f.encrypted or not sealed:
        return f.filename
    plain = secrecy.PROVIDER.open_bytes(content_key(doc, settings), sealed, _name_aad(doc.body_code))
    return bytes(plain).decode('utf-8')


def store(doc, f, content, settings, key=None):
    """Write ``content`` (bytes) into ``f``'s blob: sealed when the document is Mật."""
    if is_secret(doc):
        key = key or content_key(doc, settings)
        write_content(f, io.BytesIO(content), sealer(key, doc.body_code))
    else:
        write_content(f, io.BytesIO(content))


def read(root, doc, f, settings, actor, purpose):
    """The file's bytes; for a sealed file opened with the document's key and journaled
    (who, which file, why). Raises ``secrecy.SecrecyError`` on damaged ciphertext."""
    with f.open() as stream:
        if not f.encrypted:
            return stream.read()
        out = io.BytesIO()
        secrecy.PROVIDER.open(content_key(doc, settings), stream, out, _aad(doc.body_code))
    audit.append(root, doc.chain_id, 'secret_file_read', actor, file=f.__name__, purpose=purpose,
                 body=doc.body_code)
    return out.getvalue()


def seal_existing(root, doc, settings, actor):
    """Raise a document to Mật: give it a key and seal the files it already has, each into a
    new blob (the plaintext stays in the storage's history until the next pack)."""
    key, record = new_key(doc.body_code, settings)
    doc.secrecy = record
    sealed = []
    for f in doc.file_list():
        if f.encrypted:
            continue
        with f.open() as stream:
            content = stream.read()
        from ZODB.blob import Blob
        f.blob = Blob()
        write_content(f, io.BytesIO(content), sealer(key, doc.body_code))
        seal_name(f, f.filename, key, doc.body_code)
        f.filename = sealed_name(f.role, f.media_type)
        sealed.append(f.__name__)
    audit.append(root, doc.chain_id, 'sealed', actor, files=sealed, provider=record['provider'])
    return key

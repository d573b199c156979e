"""Signing outgoing documents in their lifecycle (Art. 9, 14.3).

* ``approve`` (the leader): when the document has a main PDF and the approver has a
  ``person:<login>`` key in the key store, the main file is signed with a visible stamp (the
  signer's name, the signing time in ISO 8601 +07:00) and the signed file becomes the new main
  file; the unsigned one stays, role ``superseded``. Without a key the approval is recorded as not
  signed and the document stays reference only (Art. 4).
* ``sign`` (the clerk, after numbering): the current main file gets the organisation's
  signature with ``org-sign:<body code>`` (no image), stored as a new main file (the
  leader-signed one stays, role ``superseded``), and each PDF attachment gets its own organisation
  signature (the unsigned attachment stays, role ``superseded_attachment``).

Stored files are never rewritten: each signature makes a new ``File`` whose bytes begin with
exactly the bytes of the one it signed (an incremental update). The result is verified with
``verify_pdf`` and the verdict stored on the document as on intake (``origin_verdict``).
"""
import hashlib

from .. import clock
from ..resources.files import ATTACHMENT, MAIN, PDF, File
from .certificates import verify_main

SUPERSEDED = 'superseded'                          # a main file superseded by its signed version
SUPERSEDED_ATTACHMENT = 'superseded_attachment'    # an attachment superseded by its signed version
LEADER_FIELD = 'ChuKyLanhDao'
ORG_FIELD = 'ChuKyToChuc'


def keystore(registry):
    return getattr(registry, 'archive_keystore', None)


def _read(f):
    with f.open() as stream:
        return stream.read()


def _new_file(doc, old, content, role, actor):
    """A new blob-backed File with ``content``; ``old`` keeps its bytes, only its role changes."""
    f = File(old.filename, role)
    with f.blob.open('w') as out:
        out.write(content)
    f.size = len(content)
    f.sha256 = hashlib.sha256(content).hexdigest()
    f.media_type = PDF
    f.uploaded_at = clock.now()
    f.uploaded_by = actor
    f.supersedes = old.__name__
    old.role = SUPERSEDED if role == MAIN else SUPERSEDED_ATTACHMENT
    doc.add_file(f)
    return f


def _has_key(store, key_id):
    from ..signing.keys import KeyStoreError
    if store is None:
        return False
    try:
        store.certificate(key_id)
    except KeyStoreError:
        return False
    return True


def _main_pdf(doc):
    main = doc.files.get(doc.main_file) if doc.main_file else None
    return main if main is not None and main.media_type == PDF else None


def sign_approval(root, doc, user, registry):
    """The leader's signature on approval; returns the journal data it adds."""
    from repoze.workflow import WorkflowError

    from ..signing.keys import KeyStoreError
    from ..signing.pades import SigningFailed, VisibleStamp, sign_pdf
    store = keystore(registry)
    main = _main_pdf(doc)
    key_id = f'person:{user.login}'
    doc.org_signature = None
    if main is None or not _has_key(store, key_id):
        doc.approval_signed = False
        return {'approval_signed': False,
                'approval_not_signed_because': 'no_main_pdf' if main is None else 'no_personal_key'}
    now = clock.now()
    stamp = VisibleStamp(name=user.full_name, lines=tuple(filter(None, [user.position])))
    # approved again after a return: the earlier approval's signature stays, this one is another
    earlier = sum(1 for f in doc.files.values() if f.role == SUPERSEDED)
    field = LEADER_FIELD if not earlier else f'{LEADER_FIELD}_{earlier + 1}'
    try:
        signed = sign_pdf(_read(main), store.signer(key_id), field_name=field, visible_stamp=stamp, now=now)
    except (KeyStoreError, SigningFailed) as exc:
        raise WorkflowError(f'Không ký số được: {exc}') from None
    f = _new_file(doc, main, signed, MAIN, user.login)
    doc.approval_signed = True
    doc.approval_signed_at = now
    return {'approval_signed': True, 'signed_file': f.__name__, 'sha256': f.sha256,
            'signed_at': clock.iso(now), 'key_id': key_id}


def organisation_key_id(doc):
    return f'org-sign:{doc.body_code}'


def sign_organisation(root, doc, user, registry):
    """The organisation's signature (no image) on the main file, then on each PDF attachment.

    Returns the journal data; raises ``WorkflowError`` when there is nothing to sign or no key."""
    from repoze.workflow import WorkflowError

    from ..signing.keys import KeyStoreError
    from ..signing.pades import SigningFailed, sign_pdf
    store = keystore(registry)
    main = _main_pdf(doc)
    key_id = organisation_key_id(doc)
    if main is None:
        raise WorkflowError('Văn bản chưa có tệp văn bản chính (PDF): không ký số được')
    if not _has_key(store, key_id):
        raise WorkflowError(f'Kho khóa không có khóa ký của tổ chức ({key_id}): không ký số được')
    try:
        signer = store.signer(key_id)
        now = clock.now()
        signed_main = sign_pdf(_read(main), signer, field_name=ORG_FIELD, now=now)
        attachments = [(a, sign_pdf(_read(a), signer, field_name=ORG_FIELD, now=now))
                       for a in doc.file_list() if a.role == ATTACHMENT and a.media_type == PDF]
    except (KeyStoreError, SigningFailed) as exc:
        raise WorkflowError(f'Không ký số được: {exc}') from None
    f = _new_file(doc, main, signed_main, MAIN, user.login)
    signed_attachments = [_new_file(doc, a, content, ATTACHMENT, user.login) for a, content in attachments]
    from ..signing.pades import fingerprint
    doc.org_signature = {'file': f.__name__, 'sha256': f.sha256,
                         'fingerprint': fingerprint(signer.signing_cert), 'signed_at': clock.iso(now)}
    doc.signed_at = now
    return {'signed_file': f.__name__, 'sha256': f.sha256, 'key_id': key_id, 'signed_at': clock.iso(now),
            'attachments': [[a.__name__, a.sha256] for a in signed_attachments]}


def check_outgoing(root, doc, settings, actor):
    """Verify the outgoing document's main file and store the verdict as intake does."""
    main = _main_pdf(doc)
    if main is None:
        return None
    return verify_main(root, doc, main, doc.body_code, settings, actor)


def organisation_signed(doc):
    """Whether the current main file is the one the body's organisation key signed."""
    sig = getattr(doc, 'org_signature', None)
    if not sig or sig.get('file') != doc.main_file:
        return False
    main = doc.files.get(doc.main_file)
    if main is None or main.sha256 != sig.get('sha256'):
        return False
    body = doc.__parent__.__parent__
    record = body.certificates.get(sig.get('fingerprint'))
    return record is not None and record.kind == 'org-sign'

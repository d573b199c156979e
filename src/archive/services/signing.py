"""Signing outgoing documents in their lifecycle (Art. 9, 14.3).

* ``approve`` (the leader): a main PDF uploaded already signed with a personal certificate
  registered for the approver (the key store's ``person:<login>`` certificates) counts as the
  signed approval as it is; otherwise, when the approver has a
  ``person:<login>`` key in the key store, the main file is signed with a visible stamp (the
  signer's name, the signing time in ISO 8601 +07:00) and the signed file becomes the new main
  file; the unsigned one stays, role ``superseded``. Without a key the approval is recorded as not
  signed and the document stays reference only (Art. 4).
  The leader's revision also holds two empty read-only fields for the number and the date of
  issue (``signing.pades.issue``; fields of those names in the draft are used where they are).
* ``sign`` (the clerk, after numbering): the current main file gets the organisation's
  signature with ``org-sign:<body code>``, in the same revision the number and symbol and the
  place and date of issue written into those fields (``Số 12-CV/VPTU``, ``Hà Nội, ngày 03 tháng 12
  năm 2026``) (the one change the leader's signature
  allows), and the body's seal image (``services.seals``) as the signature's appearance over the
  left third of the leader's; without a seal the signature shows nothing. It is stored as a new
  main file (the leader-signed one stays, role ``superseded``), and each PDF attachment gets its
  own organisation signature, invisible (the unsigned attachment stays, role
  ``superseded_attachment``).

Stored files are never rewritten: each signature makes a new ``File`` whose bytes begin with
exactly the bytes of the one it signed (an incremental update). The result is verified with
``verify_pdf`` and the verdict stored on the document as on intake (``origin_verdict``).
"""
from .. import clock
from ..resources.files import ATTACHMENT, MAIN, PDF, File
from . import secrecy
from .certificates import verify_main
from ..signing.keys import KeyPending, NoCertificate, UnknownKey
from ..signing.keys import fingerprint
from ..signing.keys import KeyStoreError
from ..signing.secrecy import SecrecyError
from ..signing.pades import SigningFailed, VisibleStamp, sign_pdf
from ..signing.pades.issue import (
    DATE_FIELD, NUMBER_FIELD, add_placeholders, fill_placeholders, issue_date_text, number_text, seal_box, seal_style,
)

SUPERSEDED = 'superseded'                          # a main file superseded by its signed version
SUPERSEDED_ATTACHMENT = 'superseded_attachment'    # an attachment superseded by its signed version
LEADER_FIELD = 'ChuKyLanhDao'
ORG_FIELD = 'ChuKyToChuc'


def keystore(registry):
    return getattr(registry, 'archive_keystore', None)


def timestamper(settings):
    """The RFC 3161 time-stamp authority of ``archive.tsa_url``, or None: then the signing time
    is the signer's claim, and the verdict says so."""
    if not settings.tsa_url:
        return None
    from pyhanko.sign.timestamps import HTTPTimeStamper
    return HTTPTimeStamper(settings.tsa_url, timeout=10)


def _read(root, doc, f, registry, actor):
    return secrecy.read(root, doc, f, registry.archive_settings, actor, 'sign')


def _new_file(doc, old, content, role, actor, registry):
    """A new blob-backed File with ``content`` (sealed for a Mật document); ``old`` keeps its
    bytes, only its role changes."""
    f = File(old.filename, role)
    if getattr(old, 'sealed_filename', None):
        f.sealed_filename = old.sealed_filename        # the same name, sealed with the same key
    secrecy.store(doc, f, content, registry.archive_settings)
    f.size = len(content)
    f.media_type = PDF
    f.uploaded_at = clock.now()
    f.uploaded_by = actor
    f.supersedes = old.__name__
    old.role = SUPERSEDED if role == MAIN else SUPERSEDED_ATTACHMENT
    doc.add_file(f)
    return f


def _has_key(store, key_id):
    """Whether the store holds ``key_id`` with a certificate; a store that fails (wrong PIN,
    token gone) raises rather than pass for "no key"."""
    if store is None:
        return False
    try:
        store.certificate(key_id)
    except (UnknownKey, NoCertificate, KeyPending):
        return False
    return True


def _main_pdf(doc):
    main = doc.files.get(doc.main_file) if doc.main_file else None
    return main if main is not None and main.media_type == PDF else None


def personal_certs(registry, login):
    """Fingerprints of the personal signing certificates registered for ``login``: every
    certificate the key store holds for ``person:<login>`` (its history included); empty when
    it holds none. A store that fails (wrong PIN, token gone) raises."""
    store = keystore(registry)
    if store is None:
        return set()
    try:
        return {fingerprint(c) for c in store.certificates(f'person:{login}')}
    except (UnknownKey, NoCertificate, KeyPending):
        return set()


def _approve(doc, fingerprint_sha256, at):
    doc.approval_signed = True
    doc.approval_signed_at = at
    doc.approval_certs = tuple(dict.fromkeys((*doc.approval_certs, fingerprint_sha256)))


def sign_approval(root, doc, user, registry):
    """The leader's signature on approval; returns the journal data it adds.

    The approval counts as signed only with a personal certificate registered for the approving
    leader: a main PDF uploaded already carrying a valid signature of one of them (signed on the
    leader's own token) is kept as it is; otherwise the store's ``person:<login>`` key signs it.
    A signature by anyone else (another leader, an organisation's certificate) is no approval."""
    from repoze.workflow import WorkflowError
    store = keystore(registry)
    main = _main_pdf(doc)
    key_id = f'person:{user.login}'
    doc.org_signature = None
    mine = personal_certs(registry, user.login)
    elsewhere = signed_elsewhere(doc, mine)
    if main is not None and elsewhere:
        _approve(doc, elsewhere[0]['fingerprint_sha256'], clock.now())   # the leader's own token
        return {'approval_signed': True, 'signed_elsewhere': True,
                'signers': [s.get('signer_name') for s in elsewhere]}
    if main is None or not _has_key(store, key_id):
        doc.approval_signed = False
        because = 'no_main_pdf' if main is None else 'no_personal_key'
        if main is not None and signed_elsewhere(doc):
            because = 'not_the_approvers_signature'
        return {'approval_signed': False, 'approval_not_signed_because': because}
    now = clock.now()
    stamp = VisibleStamp(name=user.full_name, lines=tuple(filter(None, [user.position])))
    # approved again after a return: the earlier approval's signature stays, this one is another
    earlier = sum(1 for f in doc.files.values() if f.role == SUPERSEDED)
    field = LEADER_FIELD if not earlier else f'{LEADER_FIELD}_{earlier + 1}'
    verdict = doc.origin_verdict if isinstance(doc.origin_verdict, dict) else {}
    taken = {s.get('field_name') for s in verdict.get('signatures') or ()}
    while field in taken:           # the file came signed in that field by someone else
        earlier += 1
        field = f'{LEADER_FIELD}_{earlier + 1}'
    try:
        signer = store.signer(key_id)
        signed = sign_pdf(_read(root, doc, main, registry, user.login), signer, field_name=field,
                          visible_stamp=stamp, timestamper=timestamper(registry.archive_settings), now=now,
                          prepare=add_placeholders)
    except (KeyStoreError, SigningFailed, SecrecyError) as exc:
        raise WorkflowError(f'Không ký số được: {exc}') from None
    f = _new_file(doc, main, signed, MAIN, user.login, registry)
    _approve(doc, fingerprint(signer.signing_cert), now)
    return {'approval_signed': True, 'signed_file': f.__name__, 'sha256': f.sha256,
            'signed_at': clock.iso(now), 'key_id': key_id}


def signed_elsewhere(doc, certs=None):
    """The valid signatures (as stored in the verdict) the main PDF was uploaded with, only
    those of ``certs`` (fingerprints) when given; None when there are none."""
    verdict = doc.origin_verdict
    if not isinstance(verdict, dict) or verdict.get('status') != 'valid':
        return None
    found = [s for s in verdict.get('signatures') or ()
             if s.get('code') == 'valid' and (certs is None or s.get('fingerprint_sha256') in certs)]
    return found or None


def organisation_key_id(doc):
    return f'org-sign:{doc.body_code}'


def _issue(doc, content):
    """What the organisation's signature on the main file writes: ``prepare`` (the number and
    date into their fields) and ``appearance`` (the seal over the leader's signature, or None)."""
    body = doc.__parent__.__parent__
    values = {}
    if doc.number_symbol:
        party = getattr(doc.parsed, 'form', 'party') == 'party'
        values[NUMBER_FIELD] = number_text(doc.number_symbol, party)
    if doc.issued_date:
        values[DATE_FIELD] = issue_date_text(body.place_name, doc.issued_date)
    filled = []

    def prepare(writer):
        filled[:] = fill_placeholders(writer, values)
    appearance = None
    if body.seal is not None:
        where = seal_box(content)
        if where is not None:
            appearance = (where[0], where[1], seal_style(body.seal.png))
    return prepare, appearance, filled


def sign_organisation(root, doc, user, registry):
    """The organisation's signature on the main file (with the number, the date of issue and the
    seal), then on each PDF attachment (invisible).

    Returns the journal data; raises ``WorkflowError`` when there is nothing to sign or no key."""
    from repoze.workflow import WorkflowError
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
        stamper = timestamper(registry.archive_settings)

        def sign(f, content=None, **issue):
            content = content if content is not None else _read(root, doc, f, registry, user.login)
            return sign_pdf(content, signer, field_name=ORG_FIELD, timestamper=stamper, now=now, **issue)
        content = _read(root, doc, main, registry, user.login)
        prepare, appearance, filled = _issue(doc, content)
        signed_main = sign(main, content, prepare=prepare, appearance=appearance)
        attachments = [(a, sign(a))
                       for a in doc.file_list() if a.role == ATTACHMENT and a.media_type == PDF]
    except (KeyStoreError, SigningFailed, SecrecyError) as exc:
        raise WorkflowError(f'Không ký số được: {exc}') from None
    f = _new_file(doc, main, signed_main, MAIN, user.login, registry)
    signed_attachments = [_new_file(doc, a, content, ATTACHMENT, user.login, registry) for a, content in attachments]
    doc.org_signature = {'file': f.__name__, 'sha256': f.stored_sha256,
                         'fingerprint': fingerprint(signer.signing_cert), 'signed_at': clock.iso(now)}
    doc.signed_at = now
    return {'signed_file': f.__name__, 'sha256': f.sha256, 'key_id': key_id, 'signed_at': clock.iso(now),
            'attachments': [[a.__name__, a.sha256] for a in signed_attachments],
            'issue_fields': sorted(filled), 'seal': appearance is not None}


def check_outgoing(root, doc, settings, actor):
    """Verify the outgoing document's main file and store the verdict as intake does (the
    approvers' certificates name the leader's signatures)."""
    main = _main_pdf(doc)
    if main is None:
        return None
    return verify_main(root, doc, main, doc.body_code, settings, actor, personal=doc.approval_certs)


def organisation_signed(doc):
    """Whether the current main file is the one the body's organisation key signed."""
    sig = getattr(doc, 'org_signature', None)
    if not sig or sig.get('file') != doc.main_file:
        return False
    main = doc.files.get(doc.main_file)
    if main is None or (main.stored_sha256 or main.sha256) != sig.get('sha256'):
        return False
    body = doc.__parent__.__parent__
    record = body.certificates.get(sig.get('fingerprint'))
    return record is not None and record.kind == 'org-sign'

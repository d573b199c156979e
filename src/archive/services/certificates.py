"""Registering a body's certificates, and the origin check of incoming documents.

The check runs on intake (a new incoming document with its main file, or the main file
added later) and its verdict is kept on the document with the time of the check: the
signature is verified once, against the trust roots and CRLs of the .ini and the sender's
registered organisation certificates, and the registration guard reads what was stored.
"""

from cryptography.hazmat.primitives import serialization

from .. import audit, clock, search
from ..errors import single
from ..i18n import _
from ..resources.certificates import INSTANCE, KINDS, ORG_SIGN, CertificateRecord
from ..resources.files import PDF
from ..signing.keys import KeyStoreError, fingerprint, load_certificates
from ..signing.pades import verify_pdf
from .secrecy import read


def _vn(value):
    return value.astimezone(clock.VN)


def register_certificate(root, body, data, kind, actor):
    """Add a certificate (PEM or DER bytes, one certificate) to ``body``; return its record.

    Raises ``colander.Invalid`` on a kind not known, data that is not one certificate, or a
    certificate already registered for this body. Nothing is ever removed: an expired or
    replaced certificate stays, so documents signed under it still verify as the body's.
    """
    if kind not in KINDS:
        raise single('kind', _('certificate_kind_unknown', default='Loại chứng thư "${kind}" không hợp lệ (${kinds})',
                               mapping={'kind': kind, 'kinds': ', '.join(KINDS)}))
    try:
        certs = load_certificates(data)
    except KeyStoreError:
        certs = []
    if len(certs) != 1:
        raise single('certificate', _('certificate_unreadable',
                                      default='Tệp phải chứa đúng một chứng thư số X.509 (PEM hoặc DER)'))
    cert = certs[0]
    digest = fingerprint(cert)
    if digest in body.certificates:
        raise single('certificate', _('certificate_duplicate',
                                      default='Chứng thư số này đã được đăng ký cho cơ quan (${fp})',
                                      mapping={'fp': digest[:16]}))
    record = CertificateRecord(
        digest, kind, cert.public_bytes(serialization.Encoding.PEM).decode('ascii'),
        cert.subject.rfc4514_string(), cert.issuer.rfc4514_string(),
        _vn(cert.not_valid_before_utc), _vn(cert.not_valid_after_utc), clock.now(), actor)
    body.certificates[digest] = record
    audit.append(root, f'body:{body.code}', 'certificate_registered', actor, fingerprint=digest, kind=kind,
                 subject=record.subject, issuer=record.issuer, not_before=clock.iso(record.not_before),
                 not_after=clock.iso(record.not_after))
    return record


def sender_org_certs(root, organ_id):
    """Fingerprints of the sending body's organisation signing certificates, past ones
    included; none (an empty list) when the sender is not a body of the directory, so that a
    document from it is never legally valid."""
    body = root['bodies'].get(organ_id) if organ_id else None
    if body is None:
        return []
    return [fp for fp, rec in body.certificates.items() if rec.kind == ORG_SIGN]


def answering_certs(root, organ_id):
    """Fingerprints that may sign an answer for the body: its organisation signing certificates
    and the certificates of the system hosting it (``instance``), which signs what no body there
    can (a refusal of a package for a body it does not host)."""
    body = root['bodies'].get(organ_id) if organ_id else None
    if body is None:
        return []
    return [fp for fp, rec in body.certificates.items() if rec.kind in (ORG_SIGN, INSTANCE)]


def trust_roots(root, settings):
    """The configured roots, and the demo CA's when this is a demo database (see seed.py)."""
    roots = list(settings.trust_roots)
    if settings.demo_seed:
        roots.extend(getattr(root, 'demo_trust_roots', ()))
    return roots


def check_origin(root, doc, settings, actor):
    """Verify the incoming document's main file; store the verdict and the time; journal it.

    A document without a main file (paper, entered by hand) stays ``not_verified``. An outgoing
    draft's main PDF that was signed elsewhere (a leader's own token) is verified the same way,
    without the sender check (it is our own draft); an unsigned draft keeps no verdict.
    """
    main = doc.files.get(doc.main_file) if doc.main_file else None
    if doc.direction != 'incoming':
        if main is None or main.media_type != PDF:
            return None
        verdict = verify_main(root, doc, main, None, settings, actor)
        if verdict.status == 'unsigned':
            doc.origin_verdict = doc.origin_checked_at = None
        return verdict
    if main is None or main.media_type != PDF:
        doc.origin_verdict = 'not_verified'
        doc.origin_checked_at = clock.now()
        return None
    return verify_main(root, doc, main, doc.organ_id or '', settings, actor)


def verify_main(root, doc, main, signer_body, settings, actor, personal=()):
    """Verify ``main`` (the document's main PDF) against the certificates ``signer_body``
    registered (``None``: no organisation check, an own draft); store the verdict and the time
    of the check on the document; journal it. ``personal``: fingerprints of the approvers'
    certificates, which name the leader's signatures."""
    import datetime as dt
    data = read(root, doc, main, settings, actor, 'verify')
    verdict = verify_pdf(data, trust_roots=trust_roots(root, settings),
                         organisation_certs=None if signer_body is None else sender_org_certs(root, signer_body),
                         personal_certs=personal, crls=settings.crls,
                         clock_skew=dt.timedelta(seconds=settings.signature_clock_skew_seconds))
    doc.origin_verdict = verdict.as_dict()
    doc.origin_checked_at = verdict.checked_at
    search.enqueue(root, doc)
    seq = audit.append(root, doc.chain_id, 'origin_checked', actor, status=verdict.status, code=verdict.code,
                       file=main.__name__, sha256=main.sha256,
                       signers=[s.fingerprint_sha256 for s in verdict.signatures])
    at = audit.journal_of(root).chains[doc.chain_id].entries[seq][0]
    doc.note_origin_check(at, verdict.status, verdict.code, main.__name__, main.sha256)
    return verdict


def origin_status(doc):
    """'valid' | 'invalid' | 'unsigned' | 'not_verified' | None (outgoing, or not checked)."""
    verdict = doc.origin_verdict
    if isinstance(verdict, dict):
        return verdict.get('status')
    return verdict





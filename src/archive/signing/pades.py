"""PAdES signatures on PDF files: signing (approval signatures, incremental) and verifying.

Built on pyHanko. Two functions and their results:

``sign_pdf(pdf_bytes, signer, field_name=...)``
    Adds one approval signature (never a certification signature, so later signatures stay
    allowed) as an incremental update: the result begins with exactly the bytes it was given.
    PAdES baseline (``ETSI.CAdES.detached``), SHA-256. With ``visible_stamp`` a stamp on the
    first page shows the signer's name and the signing time in ISO 8601 +07:00 (DejaVu Sans is
    embedded, so Vietnamese renders). With ``timestamper`` (an RFC 3161 client such as
    ``pyhanko.sign.timestamps.HTTPTimeStamper(url)``) the signature carries a time stamp token;
    without one the signing time is only the signer's claim, and ``verify_pdf`` says so.

``verify_pdf(pdf_bytes, trust_roots=..., organisation_certs=...)`` -> :class:`Verdict`
    Checks every signature: the signed byte range is intact, covers its revision, and later
    revisions are only of allowed kinds (more signatures, form filling, validation data); the
    chain reaches one of ``trust_roots``; the certificate was valid at the trusted signing time
    (the time stamp) or, without a trusted one, at the time of the check; revocation against
    the CRLs/OCSP responses given (offline by default); and that one signer (the
    organisation's signature, applied by the clerk) uses one of ``organisation_certs``. Each
    signature is judged, in whatever order it comes, and named by its role: ``organisation``
    (a registered organisation certificate, or the last one when none is), ``leader`` (one of
    ``personal_certs``, or any other). A claimed signing time in the future (beyond
    ``clock_skew``) or before the certificate's validity is a verdict, not a signing time;
    bytes after the last signed revision are reported; a PDF encrypted with an empty user
    password is opened and checked. Never raises on bad input: a file that is not a PDF or is
    damaged is ``invalid`` with the code ``unreadable``.

Verdict codes (``Verdict.code``): ``valid``, ``not_signed``, ``unreadable``,
``modified_after_signing``, ``bad_signature``, ``untrusted_chain``, ``expired``,
``not_yet_valid``, ``revoked``, ``bad_key_usage``, ``not_registered_for_sender``,
``signing_time_in_future``, ``signed_before_certificate_validity``, ``data_after_signature``,
``encrypted``.
"""
from __future__ import annotations

import asyncio
import dataclasses
import datetime as _dt
import io
import logging
import os
import threading

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509

from pyhanko.pdf_utils.font.api import FontEngineFactory
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields, signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext

from archive import clock
from archive.signing import pdfhex
from archive.signing.pdf_checks import (
    DEFAULT_CLOCK_SKEW, LEADER, ORGANISATION, open_pdf, role_of, time_problem, unsigned_tail,
)

pdfhex.install()

__all__ = [
    'VN', 'SigningFailed', 'VisibleStamp', 'SignatureReport', 'Verdict',
    'sign_pdf', 'verify_pdf', 'fingerprint', 'load_certificate', 'iso',
    'CODES', 'ALLOWED_MODIFICATIONS',
]

log = logging.getLogger(__name__)

# Vietnam time (+07:00, a fixed offset) and "now" come from the project's one clock.
VN = clock.VN

FONT_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                         'reports', 'fonts', 'DejaVuSans.ttf')

# Later revisions a signature tolerates: more signatures and form filling (the
# organisation's signature after the leader's), and long-term validation data.
ALLOWED_MODIFICATIONS = frozenset({
    ModificationLevel.NONE, ModificationLevel.LTA_UPDATES, ModificationLevel.FORM_FILLING,
})

# A certificate for signing documents carries non-repudiation (content commitment) or
# digital signature in its key usage; an encryption-only certificate is refused.
SIGNING_KEY_USAGE = KeyUsageConstraints(
    key_usage={'non_repudiation', 'digital_signature'}, match_all_key_usages=False,
)

# code -> Vietnamese sentence for the clerk ({name}: the signer; {when}: a time).
CODES = {
    'valid': 'Văn bản có chữ ký số hợp lệ.',
    'not_signed': 'Văn bản không có chữ ký số, chỉ có giá trị tham khảo.',
    'unreadable': 'Tệp không phải là tệp PDF hợp lệ hoặc đã bị hỏng, không kiểm tra được chữ ký số.',
    'modified_after_signing': 'Nội dung văn bản đã bị thay đổi sau khi {name} ký.',
    'bad_signature': 'Chữ ký số của {name} không đúng hoặc bị hỏng.',
    'untrusted_chain': 'Chứng thư số của {name} không do tổ chức cung cấp dịch vụ chứng thực '
                       'được tin cậy cấp.',
    'expired': 'Chứng thư số của {name} đã hết hạn tại thời điểm {when}.',
    'not_yet_valid': 'Chứng thư số của {name} chưa có hiệu lực tại thời điểm {when}.',
    'revoked': 'Chứng thư số của {name} đã bị thu hồi từ {when}.',
    'bad_key_usage': 'Chứng thư số của {name} không được cấp cho mục đích ký số.',
    'not_registered_for_sender': 'Chữ ký của {name} không dùng chứng thư số tổ chức đã đăng ký '
                                 'của cơ quan gửi.',
    'signing_time_in_future': 'Thời điểm ký {name} tự khai ({when}) ở sau thời điểm kiểm tra: '
                              'không chấp nhận.',
    'signed_before_certificate_validity': 'Thời điểm ký {name} tự khai ({when}) ở trước khi chứng '
                                          'thư số có hiệu lực: không chấp nhận.',
    'data_after_signature': 'Có {count} byte được thêm vào sau lần ký cuối cùng, không chữ ký nào '
                            'bảo vệ.',
    'encrypted': 'Tệp PDF được mã hóa bằng mật khẩu, không kiểm tra được chữ ký số.',
}

# Who a signature is, as the reason names it: the organisation's or a leader's (personal).
ROLE_WORDS = {ORGANISATION: 'tổ chức', LEADER: 'lãnh đạo'}

_TIME_NOTE = {
    'timestamp': ' Thời điểm ký được dấu thời gian xác nhận.',
    'claimed': ' Không có dấu thời gian: thời điểm ký do người ký tự khai; chứng thư số được '
               'kiểm tra tại thời điểm kiểm tra.',
    'some_claimed': ' Chữ ký của {names} không có dấu thời gian: thời điểm ký do người ký tự '
                    'khai; chứng thư số được kiểm tra tại thời điểm kiểm tra.',
}


class SigningFailed(Exception):
    """Signing could not be done (not a PDF, the field is already signed, the time-stamp
    authority did not answer, ...). The message says why."""


def iso(value):
    """ISO 8601, seconds, Vietnam time: ``2026-11-24T09:30:00+07:00``."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError('naive datetime: a time zone is required')
    return value.astimezone(VN).isoformat(timespec='seconds')


def _now(now):
    if now is None:
        return clock.now()
    if now.tzinfo is None:
        raise ValueError('naive datetime: a time zone is required')
    return now.astimezone(VN)


# -- certificates ---------------------------------------------------------------------------

def load_certificate(value) -> asn1_x509.Certificate:
    """An asn1crypto certificate from an asn1crypto or ``cryptography`` certificate, or DER or
    PEM bytes."""
    if isinstance(value, asn1_x509.Certificate):
        return value
    public_bytes = getattr(value, 'public_bytes', None)
    if public_bytes is not None:  # cryptography.x509.Certificate
        from cryptography.hazmat.primitives.serialization import Encoding
        return asn1_x509.Certificate.load(public_bytes(Encoding.DER))
    if isinstance(value, str):
        value = value.encode('ascii')
    if isinstance(value, (bytes, bytearray)):
        data = bytes(value)
        if pem.detect(data):
            _, _, data = pem.unarmor(data)
        return asn1_x509.Certificate.load(data)
    raise TypeError(f'not a certificate: {type(value).__name__}')


def fingerprint(value) -> str:
    """SHA-256 fingerprint of a certificate, lower-case hex without separators. A string
    that already is a fingerprint (hex, colons and spaces allowed) is normalised."""
    if isinstance(value, str) and not pem.detect(value.encode('ascii', 'replace')):
        text = value.replace(':', '').replace(' ', '').strip().lower()
        if len(text) == 64 and all(c in '0123456789abcdef' for c in text):
            return text
        raise ValueError('not a SHA-256 fingerprint')
    return load_certificate(value).sha256.hex()


def _certs(values):
    return [load_certificate(v) for v in values or ()]


def _common_name(cert):
    try:
        name = cert.subject.native.get('common_name')
    except Exception:  # noqa: BLE001 - an odd subject never breaks a verdict
        name = None
    if isinstance(name, list):
        name = name[-1]
    return name or cert.subject.human_friendly


def _subject(cert):
    try:
        from cryptography import x509 as c_x509
        return c_x509.load_der_x509_certificate(cert.dump()).subject.rfc4514_string()
    except Exception:  # noqa: BLE001
        return cert.subject.human_friendly


# -- signing --------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class VisibleStamp:
    """A visible stamp on one page. ``box`` is (x1, y1, x2, y2) in points from the lower
    left corner; ``name`` replaces the certificate's common name; ``lines`` are shown above
    the name (e.g. the signer's position)."""
    box: tuple = (330, 36, 565, 100)
    page: int = 0
    name: str | None = None
    lines: tuple = ()
    font_size: int = 9


# The stamp's font. pyHanko 0.38 writes glyph widths in font units where PDF wants 1/1000 em,
# so a TrueType font with 2048 units per em (DejaVu Sans) comes out with its letters spread
# apart. Once per process the font is cut down to Latin + Vietnamese (and punctuation) and
# rescaled to 1000 units per em, which also makes each signature's subsetting cheaper.
_FONT_RANGES = ((0x20, 0x7e), (0xa0, 0x24f), (0x300, 0x36f), (0x1e00, 0x1eff),
                (0x2000, 0x206f), (0x20ab, 0x20ac), (0x2116, 0x2116))
_font_lock = threading.Lock()
_font_bytes = None


def stamp_font_bytes():
    """DejaVu Sans, Latin and Vietnamese only, 1000 units per em (built once, cached)."""
    global _font_bytes
    with _font_lock:
        if _font_bytes is None:
            from fontTools import subset
            from fontTools.ttLib import TTFont
            from fontTools.ttLib.scaleUpem import scale_upem
            font = TTFont(FONT_PATH)
            options = subset.Options()
            options.drop_tables += ['FFTM']
            options.layout_features = ['*']
            options.name_IDs = ['*']
            options.notdef_outline = True
            options.glyph_names = True
            subsetter = subset.Subsetter(options)
            subsetter.populate(unicodes=[c for a, b in _FONT_RANGES for c in range(a, b + 1)])
            subsetter.subset(font)
            if font['head'].unitsPerEm != 1000:
                scale_upem(font, 1000)
            out = io.BytesIO()
            font.save(out)
            _font_bytes = out.getvalue()
    return _font_bytes


@dataclasses.dataclass(frozen=True)
class _StampFont(FontEngineFactory):
    font_size: int = 9

    def create_font_engine(self, writer, obj_stream=None):
        if obj_stream is None and writer.stream_xrefs:
            obj_stream = writer.prepare_object_stream()
        return GlyphAccumulator(writer=writer, font_handle=io.BytesIO(stamp_font_bytes()),
                                font_size=self.font_size, obj_stream=obj_stream)


def _stamp_style(stamp: VisibleStamp):
    template = '\n'.join([*(line.replace('%', '%%') for line in stamp.lines),
                          'Ký bởi: %(signer_name)s', 'Thời gian ký: %(signed_at)s'])
    # the font engine and the text box must agree on the size (pyHanko issue #733)
    return TextStampStyle(
        stamp_text=template,
        text_box_style=TextBoxStyle(font=_StampFont(stamp.font_size),
                                    font_size=stamp.font_size,
                                    leading=round(stamp.font_size * 1.3)),
        border_width=1,
    )


def _estimate_reserved(signer, timestamper_dummy_len):
    """Room for the CMS object, without the dry-run signature pyHanko makes otherwise (a
    second private-key operation for every signature: on a token that is a second round trip)."""
    certs = {}
    if signer.signing_cert is not None:
        certs[signer.signing_cert.issuer_serial] = signer.signing_cert
    for cert in signer.cert_registry or ():
        certs[cert.issuer_serial] = cert
    total = sum(len(c.dump()) for c in certs.values())
    key_bytes = 1024
    if signer.signing_cert is not None:
        try:
            key_bytes = signer.signing_cert.public_key.bit_size // 8 * 2 + 16
        except Exception:  # noqa: BLE001
            pass
    total += key_bytes + 3072 + timestamper_dummy_len * 3 // 2
    # hex in the PDF: two characters a byte; keep it even
    return 2 * total


async def _sign(pdf_bytes, signer, meta, stamp_style, field_spec, timestamper, system_time,
                text_params, bytes_reserved):
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes))
    pdf_signer = signers.PdfSigner(meta, signer=signer, timestamper=timestamper,
                                   stamp_style=stamp_style, new_field_spec=field_spec)
    session = pdf_signer.init_signing_session(writer)
    session.system_time = system_time
    validation_info = await session.perform_presign_validation(writer)
    if bytes_reserved is None:
        dummy_len = 0
        if timestamper is not None:
            dummy = await timestamper.async_dummy_response(meta.md_algorithm)
            dummy_len = len(dummy.dump())
        bytes_reserved = _estimate_reserved(signer, dummy_len)
    tbs = session.prepare_tbs_document(validation_info=validation_info,
                                       bytes_reserved=bytes_reserved,
                                       appearance_text_params=text_params)
    prepared, output = tbs.digest_tbs_document()
    post = await tbs.perform_signature(
        document_digest=prepared.document_digest,
        pdf_cms_signed_attrs=PdfCMSSignedAttributes(
            signing_time=system_time,
            cades_signed_attrs=meta.cades_signed_attr_spec,
        ),
    )
    await post.post_signature_processing(output)
    return output.getvalue()


def sign_pdf(pdf_bytes, signer, *, field_name, visible_stamp=None, timestamper=None,
             reason=None, location=None, now=None, bytes_reserved=None) -> bytes:
    """Add one PAdES approval signature to ``pdf_bytes`` as an incremental update.

    :param signer: a pyHanko ``Signer`` (``SimpleSigner``, ``PKCS11Signer``, ...) holding the
        signing certificate (and the chain to embed in its ``cert_registry``).
    :param field_name: the signature field, created if it does not exist (an existing empty
        field of that name is used); signing a field that is already signed fails.
    :param visible_stamp: ``None`` for an invisible signature (organisation signatures,
        attachments), ``True`` for the default stamp on page 1, or a :class:`VisibleStamp`.
    :param timestamper: an RFC 3161 client (``pyhanko.sign.timestamps.HTTPTimeStamper(url)``);
        without one the signing time is the signer's own claim.
    :param now: the signing time to claim and show (aware); default: now.
    :param bytes_reserved: room for the signature container (hex characters); estimated
        from the certificates when not given.
    :return: the signed file: ``pdf_bytes`` followed by the update.
    :raises SigningFailed: with a message that says why.
    """
    system_time = _now(now)
    if visible_stamp is True:
        visible_stamp = VisibleStamp()
    if visible_stamp:
        field_spec = fields.SigFieldSpec(sig_field_name=field_name, on_page=visible_stamp.page,
                                         box=tuple(visible_stamp.box))
        stamp_style = _stamp_style(visible_stamp)
        cert = signer.signing_cert
        text_params = {
            'signer_name': visible_stamp.name or (_common_name(cert) if cert is not None else ''),
            'signed_at': iso(system_time),
        }
    else:
        field_spec = fields.SigFieldSpec(sig_field_name=field_name)
        stamp_style = TextStampStyle(stamp_text='')
        text_params = None
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm='sha256',
        subfilter=fields.SigSeedSubFilter.PADES,
        certify=False,
        reason=reason,
        location=location,
    )
    try:
        return asyncio.run(_sign(bytes(pdf_bytes), signer, meta, stamp_style, field_spec,
                                 timestamper, system_time, text_params, bytes_reserved))
    except SigningFailed:
        raise
    except SigningError as e:
        raise SigningFailed(f'signing failed: {e}') from e
    except Exception as e:  # unreadable PDF, TSA down, ...
        raise SigningFailed(f'signing failed: {type(e).__name__}: {e}') from e


# -- verifying ------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class SignatureReport:
    """What was found for one signature, in the order of the file."""
    field_name: str
    signer_name: str | None
    subject: str | None
    fingerprint_sha256: str | None
    issuer: str | None
    signing_time: _dt.datetime | None       # +07:00; the time stamp's, or the signer's claim
    time_source: str                        # 'timestamp' | 'claimed'
    validated_at: _dt.datetime | None       # the time the certificate was checked at
    intact: bool                            # the signed bytes are unchanged
    coverage: str                           # 'entire_file' | 'entire_revision' | 'partial' | 'unclear'
    modification: str | None                # later revisions: 'none', 'form_filling', ... 'other'
    trusted: bool                           # chain to a trust root, valid at validated_at
    registered: bool | None                 # the organisation's: one of organisation_certs
    code: str                               # 'valid' or what is wrong with this signature
    timestamp_authority: str | None = None  # the TSA's subject when a time stamp is trusted
    revoked_at: _dt.datetime | None = None  # when the certificate was revoked, if it was
    role: str | None = None                 # 'organisation' | 'leader'
    claimed_time: _dt.datetime | None = None  # a refused claimed signing time (not shown as signed)

    @property
    def ok(self):
        return self.code == 'valid'

    def as_dict(self):
        d = dataclasses.asdict(self)
        for key in ('signing_time', 'validated_at', 'revoked_at', 'claimed_time'):
            d[key] = iso(d[key])
        return d


@dataclasses.dataclass(frozen=True)
class Verdict:
    """The result of checking a PDF: ``status`` 'valid' | 'invalid' | 'unsigned', an English
    ``code`` (see :data:`CODES`), a Vietnamese ``reason`` for the clerk, ``checked_at``
    (+07:00) and one :class:`SignatureReport` per signature."""
    status: str
    code: str
    reason: str
    checked_at: _dt.datetime
    signatures: tuple = ()

    @property
    def legally_valid(self):
        return self.status == 'valid'

    @property
    def time_source(self):
        """'timestamp' when every signature's time is proven by a time stamp, else 'claimed'
        (None without signatures)."""
        if not self.signatures:
            return None
        return ('timestamp' if all(s.time_source == 'timestamp' for s in self.signatures)
                else 'claimed')

    def as_dict(self):
        return {'status': self.status, 'code': self.code, 'reason': self.reason,
                'checked_at': iso(self.checked_at),
                'signatures': [s.as_dict() for s in self.signatures]}


def _verdict(code, checked_at, signatures=(), **fmt):
    status = {'valid': 'valid', 'not_signed': 'unsigned'}.get(code, 'invalid')
    reason = CODES[code].format(**{'name': 'người ký', 'when': '', 'count': '', **fmt})
    return Verdict(status=status, code=code, reason=reason, checked_at=checked_at,
                   signatures=tuple(signatures))


_COVERAGE = {
    SignatureCoverageLevel.ENTIRE_FILE: 'entire_file',
    SignatureCoverageLevel.ENTIRE_REVISION: 'entire_revision',
    SignatureCoverageLevel.CONTIGUOUS_BLOCK_FROM_START: 'partial',
    SignatureCoverageLevel.UNCLEAR: 'unclear',
}


def _claimed_timestamp_time(embedded):
    """gen_time of the first signature time stamp token, read without checking it (only to
    choose the moment to validate at; the token itself is checked by pyHanko)."""
    try:
        unsigned = embedded.signer_info['unsigned_attrs']
        if not unsigned:
            return None
        for attr in unsigned:
            if attr['type'].native != 'signature_time_stamp_token':
                continue
            for token in attr['values']:
                tst_info = token['content']['encap_content_info']['content'].parsed
                return tst_info['gen_time'].native
    except Exception:  # noqa: BLE001 - a malformed token is found out by the validation
        return None
    return None


def _context(trust_roots, other_certs, moment, crls, ocsps, allow_fetching, retroactive,
             revocation_mode):
    return ValidationContext(
        trust_roots=list(trust_roots),
        other_certs=list(other_certs),
        moment=moment,
        crls=list(crls) or None,
        ocsps=list(ocsps) or None,
        allow_fetching=allow_fetching,
        revocation_mode=revocation_mode,
        retroactive_revinfo=retroactive,
    )


async def _validate_one(embedded, trust_roots, checked_at, crls, ocsps, allow_fetching,
                        revocation_mode):
    """pyHanko's status for one signature, validated at the time stamp's time when the time
    stamp is trusted, else at ``checked_at``; returns (status, time_source, moment)."""
    others = embedded.other_embedded_certs
    ts_context = _context(trust_roots, others, checked_at, crls, ocsps, allow_fetching,
                          False, revocation_mode)
    candidate = _claimed_timestamp_time(embedded)
    attempts = []
    if candidate is not None:
        attempts.append(('timestamp', candidate))
    attempts.append(('claimed', checked_at))
    contexts = [ts_context]
    try:
        for source, moment in attempts:
            signer_context = _context(trust_roots, others, moment, crls, ocsps, allow_fetching,
                                      source == 'timestamp', revocation_mode)
            contexts.append(signer_context)
            status = await async_validate_pdf_signature(
                embedded, signer_validation_context=signer_context,
                ts_validation_context=ts_context, key_usage_settings=SIGNING_KEY_USAGE,
            )
            tst = status.timestamp_validity
            ts_ok = tst is not None and tst.intact and tst.valid and tst.trusted
            if source == 'timestamp':
                if ts_ok and abs(tst.timestamp - moment) <= _dt.timedelta(seconds=1):
                    return status, 'timestamp', moment
                continue  # the time stamp does not hold: fall back to the time of the check
            return status, 'claimed', moment
    finally:
        for ctx in contexts:
            await ctx.aclose()
    raise AssertionError('unreachable')


_EXPIRED = {AdESIndeterminate.OUT_OF_BOUNDS_NO_POE, AdESIndeterminate.EXPIRED,
            AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED}
_REVOKED = {AdESFailure.REVOKED, AdESIndeterminate.REVOKED_NO_POE,
            AdESIndeterminate.REVOKED_CA_NO_POE}


def _problem(status, moment):
    """The code of what is wrong with one signature, 'valid' if nothing is."""
    if not status.intact:
        return 'modified_after_signing'
    if not status.valid:
        return 'bad_signature'
    if status.coverage not in (SignatureCoverageLevel.ENTIRE_FILE,
                               SignatureCoverageLevel.ENTIRE_REVISION):
        return 'modified_after_signing'
    level = status.modification_level
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE and (
            level is None or level not in ALLOWED_MODIFICATIONS or status.docmdp_ok is False):
        return 'modified_after_signing'
    if status.revoked:
        return 'revoked'
    indic = status.trust_problem_indic
    if indic is None and status.validation_path is not None:
        return 'valid'
    if indic in _REVOKED:
        return 'revoked'
    if indic in _EXPIRED:
        return 'expired'
    if indic in (AdESIndeterminate.NOT_YET_VALID, AdESFailure.NOT_YET_VALID):
        return 'not_yet_valid'
    if indic == AdESIndeterminate.CHAIN_CONSTRAINTS_FAILURE:
        # key usage, or a self-signed certificate that is no trust root
        if status.signing_cert.self_signed != 'no':
            return 'untrusted_chain'
        try:
            SIGNING_KEY_USAGE.validate(status.signing_cert)
        except Exception:  # noqa: BLE001 - InvalidCertificateError: the usage is wrong
            return 'bad_key_usage'
        return 'untrusted_chain'
    # a validity window the chain fails on (an expired CA, a signer not yet valid, ...)
    cert = status.signing_cert
    try:
        validity = cert['tbs_certificate']['validity']
        if moment < validity['not_before'].native:
            return 'not_yet_valid'
        if moment > validity['not_after'].native:
            return 'expired'
    except Exception:  # noqa: BLE001
        pass
    return 'untrusted_chain'


def _report(embedded, status, time_source, moment, code, registered, role, checked_at,
            clock_skew):
    cert = embedded.signer_cert
    if time_source == 'timestamp':
        signing_time = status.timestamp_validity.timestamp
        tsa = _subject(status.timestamp_validity.signing_cert)
    else:
        signing_time = status.signer_reported_dt or embedded.self_reported_timestamp
        tsa = None
    claimed_time = None
    time_code = time_problem(cert, signing_time, time_source, checked_at, clock_skew)
    if time_code is not None:
        claimed_time, signing_time = signing_time, None     # refused: never shown as the signing time
        if code == 'valid':
            code = time_code
    level = status.modification_level
    revoked_at = None
    if status.revocation_details is not None:
        revoked_at = status.revocation_details.revocation_date.astimezone(VN)
    return SignatureReport(
        field_name=str(embedded.field_name),
        signer_name=_common_name(cert),
        subject=_subject(cert),
        fingerprint_sha256=cert.sha256.hex(),
        issuer=cert.issuer.human_friendly,
        signing_time=signing_time.astimezone(VN) if signing_time else None,
        time_source=time_source,
        validated_at=moment.astimezone(VN),
        intact=bool(status.intact),
        coverage=_COVERAGE.get(status.coverage, 'unclear'),
        modification=level.name.lower() if level is not None else None,
        trusted=bool(status.trusted),
        registered=registered,
        code=code,
        timestamp_authority=tsa,
        revoked_at=revoked_at,
        role=role,
        claimed_time=claimed_time.astimezone(VN) if claimed_time else None,
    )


def _broken_report(embedded, checked_at, code, role=None):
    try:
        cert = embedded.signer_cert
        names = dict(signer_name=_common_name(cert), subject=_subject(cert),
                     fingerprint_sha256=cert.sha256.hex(), issuer=cert.issuer.human_friendly)
    except Exception:  # noqa: BLE001
        names = dict(signer_name=None, subject=None, fingerprint_sha256=None, issuer=None)
    try:
        field_name = str(embedded.field_name)
    except Exception:  # noqa: BLE001
        field_name = ''
    return SignatureReport(field_name=field_name, signing_time=None, time_source='claimed',
                           validated_at=checked_at, intact=False, coverage='unclear',
                           modification=None, trusted=False, registered=None, code=code,
                           role=role, **names)


def _signer_fp(embedded):
    try:
        return embedded.signer_cert.sha256.hex()
    except Exception:  # noqa: BLE001 - an unparsable signature fails its own check
        return None


def _named(report):
    who = report.signer_name or report.field_name or 'người ký'
    return f'{ROLE_WORDS[report.role]} {who}' if report.role in ROLE_WORDS else who


async def _verify(pdf_bytes, trust_roots, registered, personal, checked_at, crls, ocsps,
                  allow_fetching, revocation_mode, clock_skew):
    try:
        reader, problem = open_pdf(pdf_bytes)
        if problem:
            return _verdict(problem, checked_at)
        embedded_all = list(reader.embedded_regular_signatures)
    except Exception as e:  # noqa: BLE001 - not a PDF, damaged, unparsable signature
        log.info('unreadable PDF: %s: %s', type(e).__name__, e)
        return _verdict('unreadable', checked_at)
    if not embedded_all:
        return _verdict('not_signed', checked_at)

    count = len(embedded_all)
    fps = [_signer_fp(e) for e in embedded_all]
    any_registered = registered is not None and any(fp in registered for fp in fps)
    reports = []
    for index, embedded in enumerate(embedded_all):
        role = role_of(index, count, fps[index], registered, personal, any_registered)
        try:
            status, source, moment = await _validate_one(
                embedded, trust_roots, checked_at, crls, ocsps, allow_fetching,
                revocation_mode)
        except Exception as e:  # noqa: BLE001 - a signature pyHanko cannot process
            log.info('signature %s not verifiable: %s: %s', index, type(e).__name__, e)
            reports.append(_broken_report(embedded, checked_at, 'bad_signature', role))
            continue
        code = _problem(status, moment)
        is_registered = None
        if registered is not None and role == ORGANISATION:
            is_registered = fps[index] in registered
            # no signature of a registered certificate: the one standing for the organisation fails
            if code == 'valid' and not is_registered:
                code = 'not_registered_for_sender'
        reports.append(_report(embedded, status, source, moment, code, is_registered, role,
                               checked_at, clock_skew))

    failing = next((r for r in reports if r.code != 'valid'), None)
    if failing is None:
        tail = unsigned_tail(pdf_bytes, reader, embedded_all[-1])
        if tail:
            return _verdict('data_after_signature', checked_at, reports, count=tail)
        verdict = _verdict('valid', checked_at, reports)
        claimed = [r.signer_name or r.field_name for r in reports if r.time_source == 'claimed']
        if not claimed:
            note = _TIME_NOTE['timestamp']
        elif len(claimed) == len(reports):
            note = _TIME_NOTE['claimed']
        else:
            note = _TIME_NOTE['some_claimed'].format(names=', '.join(claimed))
        return dataclasses.replace(verdict, reason=verdict.reason + note)
    when = ''
    if failing.code == 'revoked':
        when = iso(failing.revoked_at or failing.validated_at)
    elif failing.code in ('expired', 'not_yet_valid'):
        basis = ('thời điểm ký theo dấu thời gian' if failing.time_source == 'timestamp'
                 else 'thời điểm kiểm tra')
        when = f'{iso(failing.validated_at)} ({basis})'
    elif failing.claimed_time is not None:
        when = iso(failing.claimed_time)
    return _verdict(failing.code, checked_at, reports, name=_named(failing), when=when)


def verify_pdf(pdf_bytes, *, trust_roots, organisation_certs=None, personal_certs=None, now=None,
               crls=(), ocsps=(), allow_fetching=False, revocation_mode='soft-fail',
               clock_skew=DEFAULT_CLOCK_SKEW) -> Verdict:
    """Check every signature of a PDF; never raises on bad input.

    :param trust_roots: the configured root certificates (asn1crypto or ``cryptography``
        certificates, or DER/PEM bytes). An empty list trusts nothing.
    :param organisation_certs: the certificates (or their SHA-256 fingerprints) registered
        for the sending body; one signature must use one of them (it is then the
        organisation's, wherever it stands). ``None`` skips this check (an own draft); an
        empty list fails it (a sender not in the directory).
    :param personal_certs: certificates (or fingerprints) of leaders' personal signatures,
        only to name a signature's role.
    :param clock_skew: how far after ``now`` a claimed signing time may be (a ``timedelta``).
    :param now: the time of the check (aware); default: now.
    :param crls: CRLs (DER bytes or asn1crypto) to check revocation against; certificates are
        checked against them when they declare a CRL distribution point.
    :param ocsps: OCSP responses, likewise.
    :param allow_fetching: fetch CRLs/OCSP/certificates over the network (off by default).
    :param revocation_mode: pyhanko-certvalidator's mode: 'soft-fail' (default: revocation
        data used where given, its absence tolerated), 'hard-fail' or 'require'.
    """
    checked_at = _now(now)
    roots = _certs(trust_roots)
    registered = None
    if organisation_certs is not None:
        registered = {fingerprint(c) for c in organisation_certs}
    personal = {fingerprint(c) for c in personal_certs or ()}
    try:
        data = bytes(pdf_bytes)
    except Exception:  # noqa: BLE001
        return _verdict('unreadable', checked_at)
    try:
        return asyncio.run(_verify(data, roots, registered, personal, checked_at,
                                   tuple(crls or ()), tuple(ocsps or ()), allow_fetching,
                                   revocation_mode, clock_skew))
    except Exception:  # noqa: BLE001 - fail closed: whatever broke, nothing is valid
        log.exception('PDF signature verification failed unexpectedly')
        return _verdict('unreadable', checked_at)

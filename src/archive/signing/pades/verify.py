"""Verifying a PDF's signatures: each judged, named by its role, gathered into one ``Verdict``
(the checks and the codes are in the package docstring)."""
from __future__ import annotations

import asyncio
import dataclasses
import datetime as _dt
import logging

from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from ..pdf_checks import (
    DEFAULT_CLOCK_SKEW, LEADER, ORGANISATION, open_pdf, role_of, time_problem, unsigned_tail,
)
from .common import VN, _certs, _common_name, _now, _subject, fingerprint, iso

log = logging.getLogger(__name__)

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

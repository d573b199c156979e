"""The legal value of a document (Art. 4, 6.2, 10.1), decided in one place.

The page, the lists, the API and the *Gửi* guard all ask ``legal_status(doc)``, so they can never
disagree. A document is legally valid only when:

* incoming: its main PDF's signatures were checked and found valid, the organisation's signature
  made with a certificate registered for the sending body (a sender not in the directory has
  none, so it never is);
* outgoing: the stored verdict of its current main file is valid, the approval was signed with a
  personal certificate of the leader who approved (``doc.approval_certs``, taken from the key
  store's ``person:<login>`` certificates at approval), and the organisation's signature is on
  the current main file with the body's registered organisation certificate.

Everything else — unsigned, a paper intake, a bad or foreign signature, a draft not yet signed by
the organisation — is *chỉ có giá trị tham khảo*, with the code and reason of why.
"""
from dataclasses import dataclass

from ..i18n import _
from .signing import organisation_signed

LEGALLY_VALID = 'legally_valid'
REFERENCE_ONLY = 'reference_only'

REASONS = {
    'not_verified': _('legal_not_verified', default='Chưa xác thực chữ ký số (tiếp nhận bản giấy hoặc '
                                                  'nhập thủ công): chỉ có giá trị tham khảo.'),
    'not_signed': _('legal_not_signed', default='Văn bản không có chữ ký số: chỉ có giá trị tham khảo.'),
    'approval_not_signed': _('legal_approval_not_signed', default='Văn bản chưa có chữ ký số của lãnh đạo '
                                                               'duyệt bằng chứng thư số cá nhân đã đăng ký: '
                                                               'chỉ có giá trị tham khảo.'),
    'not_organisation_signed': _('legal_not_organisation_signed', default='Văn bản chưa có chữ ký số của '
                                                                       'cơ quan, tổ chức: chỉ có giá trị '
                                                                       'tham khảo.'),
    'origin_check_pending': _('legal_origin_check_pending', default='Văn bản đến từ ngoài hệ thống chưa kiểm tra '
                                                                  'được nguồn gốc, chờ văn thư kiểm tra: chỉ có giá '
                                                                  'trị tham khảo.'),
    'legally_valid': _('legal_valid', default='Văn bản có chữ ký số hợp lệ, có giá trị pháp lý.'),
}


@dataclass(frozen=True)
class LegalStatus:
    """``value`` legally_valid | reference_only; ``code`` why (a verdict code, or one of
    :data:`REASONS`); ``reason`` for people: the verdict's Vietnamese sentence, or a
    translation string of :data:`REASONS`."""
    value: str
    code: str
    reason: object

    @property
    def valid(self):
        return self.value == LEGALLY_VALID


def _reference(code, reason=None):
    return LegalStatus(REFERENCE_ONLY, code, reason if reason else REASONS[code])


def _valid_fingerprints(verdict):
    return {s.get('fingerprint_sha256') for s in verdict.get('signatures') or () if s.get('code') == 'valid'}


def legal_status(doc):
    """The document's legal status now (see the module's docstring)."""
    verdict = doc.origin_verdict
    if (getattr(doc, 'exchange', None) or {}).get('origin_check') == 'pending':
        return _reference('origin_check_pending')
    if not isinstance(verdict, dict):
        if doc.direction == 'outgoing' and doc.approval_signed:
            return _reference('not_organisation_signed')      # the leader signed; the clerk not yet
        return _reference('not_verified' if verdict == 'not_verified' else 'not_signed')
    if verdict.get('status') == 'unsigned':
        return _reference('not_signed')
    if verdict.get('status') != 'valid':
        return _reference(verdict.get('code') or 'invalid', verdict.get('reason'))
    if doc.direction == 'outgoing':
        signed_by = _valid_fingerprints(verdict)
        approvers = set(getattr(doc, 'approval_certs', None) or ())
        if not doc.approval_signed or not approvers & signed_by:
            return _reference('approval_not_signed')
        sig = doc.org_signature or {}
        if not organisation_signed(doc) or sig.get('fingerprint') not in signed_by:
            return _reference('not_organisation_signed')
    return LegalStatus(LEGALLY_VALID, 'valid', REASONS['legally_valid'])

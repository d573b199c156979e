"""Signed receipts: what an instance answers for a package or a status it took in, and what the
sender keeps as proof of delivery (Art. 7).

A receipt is a small JSON document::

    {"receipt": {...}, "signature": "<base64 of a detached CMS SignedData (DER)>"}

The signature covers the canonical bytes of ``receipt`` (``canonical``: keys sorted, no spaces,
UTF-8, not ASCII-escaped) and is made with the organisation key of the receiving body
(``org-sign:<code>``), the body named in ``receipt['signed_by']``. The sender checks it with
``check_receipt`` against its trust roots and the fingerprints of that body's registered
organisation signing certificates, so that only the body it sent to can have signed it.

Where no body of the receiving instance can sign — a package for a body it does not host
("wrong address"), or a receipt when the receiving body's key is away — the instance signs with
its own key (``archive.instance_key``, default ``instance:local``), and the answer names it in
``signed_by``. A refusal is then ``{"error", "message", "refusal": {...}, "signature"}``; the
sender registers that instance's certificate on the body's entry (kind ``instance``) and takes
a refusal as final only when it verifies (``check_receipt(..., part='refusal')``); an unsigned or
unverifiable "no" is tried again like no answer, then goes on paper.
"""
import base64
import binascii
import html
import json
import re
import unicodedata

from .. import clock
from ..signing import cms
from ..signing.keys import KeyStoreError


class ReceiptInvalid(Exception):
    """A receipt that does not prove anything: malformed, altered, or signed by someone else."""

    def __init__(self, code, message):
        super().__init__(f'{code}: {message}')
        self.code, self.message = code, message


class ReceiptNotSigned(Exception):
    """The receiving body's key could not sign (no key store, no key for the body, a token away)."""

    def __init__(self, code, message):
        super().__init__(f'{code}: {message}')
        self.code, self.message = code, message


# verdict code of cms.verify_detached -> what the sender is told (Vietnamese, as the journal keeps it)
WHY = {
    'unreadable': 'Chữ ký của biên nhận không đọc được',
    'not_signed_data': 'Chữ ký của biên nhận không phải CMS SignedData',
    'content_changed': 'Nội dung biên nhận đã bị thay đổi sau khi ký',
    'signature_invalid': 'Chữ ký của biên nhận không hợp lệ',
    'untrusted': 'Chứng thư ký biên nhận không thuộc chuỗi tin cậy hoặc đã hết hạn',
    'signer_not_registered': 'Biên nhận không do cơ quan nhận ký (chứng thư chưa đăng ký)',
}


def canonical(receipt) -> bytes:
    """The bytes the signature covers."""
    return json.dumps(receipt, sort_keys=True, ensure_ascii=False, separators=(',', ':')).encode('utf-8')


INSTANCE_KEY = 'instance:local'


def instance_key(registry):
    """The key id this instance signs with where no hosted body can (``archive.instance_key``)."""
    return registry.archive_settings.instance_key


def _signed(registry, part, payload, key_id):
    store = getattr(registry.archive_settings, 'keystore', None)
    if store is None:
        raise ReceiptNotSigned('no_keystore', 'Hệ thống chưa cấu hình kho khóa: không ký được biên nhận')
    try:
        signature = cms.sign_detached(store, key_id, canonical(payload))
    except KeyStoreError as exc:
        raise ReceiptNotSigned(exc.code, exc.vi) from None
    return {part: payload, 'signature': base64.b64encode(signature).decode('ascii')}


def make_receipt(registry, receipt_dict, body_code=None):
    """The signed answer for ``receipt_dict`` (what the receiving path returned), signed with
    ``org-sign:<body_code>``, or with the instance's key when ``body_code`` is None.
    ``received_at`` is kept when given (the same package twice: the same receipt), else now.
    Raises ``ReceiptNotSigned`` when the key cannot sign."""
    receipt = {k: v for k, v in dict(receipt_dict).items() if k != 'again'}
    receipt.setdefault('received_at', clock.iso(clock.now()))
    key_id = f'org-sign:{body_code}' if body_code else instance_key(registry)
    receipt['signed_by'] = body_code or key_id
    return _signed(registry, 'receipt', receipt, key_id)


MESSAGE_CHARS = 300                   # what a refusal may echo of the reason, at most
_CODE = re.compile(r'^[a-z][a-z0-9_]{0,63}$')


def quoted(text, limit=MESSAGE_CHARS):
    """A reason that may hold a sender's values, made safe to sign and show: control, format
    (bidirectional overrides) and other invisible characters written as ``\\uXXXX``, markup
    escaped, and cut at ``limit`` characters (``…`` marks the cut)."""
    text = unicodedata.normalize('NFC', str(text or '')[:limit + 1])   # each character gives one or more
    out = ''.join(f'\\u{ord(ch):04x}' if unicodedata.category(ch) in _INVISIBLE else html.escape(ch)
                  for ch in text)
    return out if len(out) <= limit else out[:limit - 1] + '…'


_INVISIBLE = ('Cc', 'Cf', 'Co', 'Cs', 'Cn', 'Zl', 'Zp')


def make_refusal(registry, code, message, sha256):
    """A refusal signed by the instance (what no body here can sign): the code (one of ours),
    the reason (``quoted``: the only field that may echo a sender's values, escaped and capped),
    the package's SHA-256 and the time. Raises ``ReceiptNotSigned``."""
    key_id = instance_key(registry)
    code = code if isinstance(code, str) and _CODE.match(code) else 'package_refused'
    refusal = {'code': code, 'message': quoted(message), 'sha256': sha256,
               'refused_at': clock.iso(clock.now()), 'signed_by': key_id}
    return _signed(registry, 'refusal', refusal, key_id)


def check_receipt(answer_json, trust_roots, allowed_fingerprints, now=None, part='receipt'):
    """The receipt dict (or the ``part`` named, e.g. ``'refusal'``) of a signed answer (a dict,
    or its JSON text or bytes) whose signature is intact, chains to ``trust_roots`` and was made
    with one of ``allowed_fingerprints`` (SHA-256 of the certificate, hex: the receiving body's
    registered org-sign certificates, and its hosting instance's). ``None`` or no fingerprints
    admit no signer. Raises ``ReceiptInvalid(code, message)`` otherwise."""
    answer = answer_json
    if isinstance(answer, (bytes, bytearray, str)):
        try:
            answer = json.loads(answer)
        except ValueError:
            raise ReceiptInvalid('receipt_malformed', 'Biên nhận không phải JSON') from None
    receipt = answer.get(part) if isinstance(answer, dict) else None
    signature = answer.get('signature') if isinstance(answer, dict) else None
    if not isinstance(receipt, dict) or not isinstance(signature, str):
        raise ReceiptInvalid('receipt_malformed', f'Biên nhận thiếu phần "{part}" hoặc "signature"')
    try:
        der = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        raise ReceiptInvalid('receipt_malformed', 'Chữ ký của biên nhận không phải base64') from None
    verdict = cms.verify_detached(canonical(receipt), der, trust_roots=trust_roots,
                                  allowed=list(allowed_fingerprints or ()), now=now)
    if not verdict.valid:
        raise ReceiptInvalid(f'receipt_{verdict.code}', WHY.get(verdict.code, 'Biên nhận không hợp lệ'))
    return receipt

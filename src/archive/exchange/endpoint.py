"""The exchange endpoint another instance posts to (Art. 7): ``POST /exchange/v1/packages`` and
``POST /exchange/v1/statuses``, the body being the signed edXML bytes.

No login, cookie, session or CSRF token: what authenticates a package or a status is its XML
signature, checked by the receiving path (``receive.accept``, the one every channel calls) against
the sending body's registered certificates. The body is read with a hard cap before it is held in
full (``archive.exchange_max_package_bytes``, checked at start-up to be below the web server's
``max_request_body_size``, so that the answer is ours): a Content-Length over the cap is answered
413 at once, unread, and a body that turns out longer while reading (chunked) is answered 413 as
soon as it passes the cap. Refusals are counted by the client's address (``refused``).

Answers (JSON; errors in the one shape ``{"error", "message"}``, English with ``?_LOCALE_=en``):

* 200: a signed receipt (``receipts.make_receipt``), signed with the key of the receiving body
  (the first receiver of a package; for a status, the sending body the status is about). The same
  bytes again get the same receipt, signed again, with ``"again": true`` beside it.
* 400: the receiving path refused (its code and reason; nothing stored, the refusal recorded),
  with ``refusal`` and ``signature``: the refusal signed by this instance's own key. The reason is
  the only text that may echo the package, escaped and capped (``receipts.quoted``).
* 405 (not POST), 413 (too large), 415 (not application/xml or text/xml).
* 503: the database stayed busy, or the receipt could not be signed: nothing is lost, the sender
  tries again later (a package already taken in gets its first receipt then).
"""
import hashlib
import json
import logging

from ZODB.POSException import ConflictError
from pyramid.response import Response

from ..i18n import COOKIE, LOCALES
from . import receipts, receive
from .safexml import MESSAGES as PACKAGE_MESSAGES

log = logging.getLogger(__name__)

PREFIX = '/exchange/v1'
KINDS = {'exchange.packages': 'package', 'exchange.statuses': 'status'}
XML_TYPES = ('application/xml', 'text/xml')
CHUNK = 64 * 1024
ROUTE = 'instance'            # how the journal names this channel

# code: (Vietnamese, English), as the receiving path words its refusals
MESSAGES = {
    'method_not_allowed': ('Chỉ nhận yêu cầu POST mang gói tin edXML đã ký',
                           'Only POST with a signed edXML package is accepted'),
    'unsupported_media_type': ('Nội dung gửi phải là edXML (Content-Type application/xml hoặc text/xml)',
                               'The body must be edXML (Content-Type application/xml or text/xml)'),
    'too_large': PACKAGE_MESSAGES['too_large'],
    'busy_try_again': ('Hệ thống đang bận; chưa có gì được ghi, hãy gửi lại sau',
                       'The system is busy; nothing was written, send again later'),
    'receipt_not_signed': ('Đã nhận nhưng chưa ký được biên nhận; hãy gửi lại sau để nhận biên nhận',
                           'Received, but the receipt could not be signed; send again later for it'),
}


class TooLarge(Exception):
    pass


def english(request):
    """``?_LOCALE_=en`` or the language cookie, as on the pages; read from the query string only
    (``request.params`` would buffer a form-encoded body before its size is checked)."""
    asked = request.GET.get(COOKIE)
    if asked in LOCALES:
        return asked == 'en'
    return request.cookies.get(COOKIE) == 'en'


def answer(status, body, **headers):
    response = Response(status=status, content_type='application/json', charset='utf-8',
                        body=json.dumps(body, ensure_ascii=False).encode('utf-8'))
    response.headers.update(headers)
    return response


def error(request, status, code, message_vi, message_en='', *, extra=None, **headers):
    """The one error shape, ``extra`` fields beside it (a signed refusal)."""
    message = message_en if (message_en and english(request)) else message_vi
    return answer(status, {'error': code, 'message': message, **(extra or {})}, **headers)


def known_error(request, status, code, **headers):
    return error(request, status, code, *MESSAGES[code], **headers)


def read_capped(request, cap):
    """The body, never holding more than ``cap`` + one chunk; ``TooLarge`` past ``cap``."""
    if request.content_length is not None and request.content_length > cap:
        raise TooLarge()
    stream, parts, size = request.body_file, [], 0
    while True:
        chunk = stream.read(min(CHUNK, cap + 1 - size))
        if not chunk:
            break
        parts.append(chunk)
        size += len(chunk)
        if size > cap:
            raise TooLarge()
    return b''.join(parts)


def receive_view(request):
    kind = KINDS[request.matched_route.name]
    if request.method != 'POST':
        return known_error(request, 405, 'method_not_allowed', Allow='POST')
    if (request.content_type or '').lower() not in XML_TYPES:
        return known_error(request, 415, 'unsupported_media_type')
    registry = request.registry
    cap = receive.limits_of(registry.archive_settings).max_package_bytes
    try:
        data = read_capped(request, cap)
    except TooLarge:
        log.info('exchange %s from %s refused: over %d bytes', kind, request.client_addr, cap)
        return known_error(request, 413, 'too_large')
    try:
        receipt = receive.accept(registry, data, ROUTE, kind, source=request.client_addr)
        if kind == 'status':
            receipt, signer = status_receipt(receipt)
        else:
            receipt, signer = dict(receipt, kind='package'), None
    except receive.Refused as exc:
        return signed_refusal(request, exc, hashlib.sha256(data).hexdigest())
    except ConflictError:
        return known_error(request, 503, 'busy_try_again', **{'Retry-After': '30'})
    again = bool(receipt.pop('again', False))
    signers = [signer] if signer else [r['body'] for r in receipt.get('receivers', ())]
    signed, failure = None, None
    for body_code in signers + [None]:      # the first receiver's key, another's, else the instance's
        try:
            signed = receipts.make_receipt(registry, receipt, body_code)
            break
        except receipts.ReceiptNotSigned as exc:
            failure = exc
            log.error('receipt of %s not signed with %s: %s', receipt.get('sha256'),
                      f'org-sign:{body_code}' if body_code else 'the instance key', exc)
    if signed is None:
        log.error('exchange %s %s taken in, no receipt signed: %s', kind, receipt.get('sha256'), failure)
        return known_error(request, 503, 'receipt_not_signed', **{'Retry-After': '300'})
    if again:
        signed['again'] = True
    return answer(200, signed)


def signed_refusal(request, exc, sha256):
    """400 with the code and reason, and the refusal signed by the instance (no body here may be
    the addressee: "wrong address"), so the sender can take it as final; unsigned when the
    instance has no key (the sender then tries again, and the operator sees why in the log).
    The reason may quote the package (a sender's code, a DocumentId): it is the one field that
    does, escaped and capped (``receipts.quoted``), in the answer as in what is signed."""
    try:
        signed = receipts.make_refusal(request.registry, exc.code, exc.message_vi, sha256)
    except receipts.ReceiptNotSigned as failure:
        log.error('refusal %s of %s not signed: %s', exc.code, sha256, failure)
        signed = None
    return error(request, 400, exc.code,
                 receipts.quoted(exc.message_vi), receipts.quoted(exc.message_en), extra=signed)


def status_receipt(entry):
    """The receipt of a status the receiving path applied, and the body that signs it: the
    sender of the document the status is about."""
    return {'kind': 'status', 'sha256': entry['sha256'], 'document_id': entry['document_id'],
            'reporter': entry['reporter'], 'sender': entry['sender'], 'code': entry['code'],
            'at': entry['at']}, entry['sender']


def _no_retry_buffering(config):
    """pyramid_retry copies every request body before the view runs (to replay it on a conflict),
    which would hold a body of any size. The endpoint writes only through ``receive.accept``,
    which retries its own transaction, so its requests get one attempt and are never copied."""
    settings = config.get_settings()
    previous = config.maybe_dotted(settings.get('retry.activate_hook'))

    def activate(request):
        # the raw WSGI path: a path that is not UTF-8 is the views' 400 to answer, not an error here
        if request.environ.get('PATH_INFO', '').startswith(PREFIX + '/'):
            return 1
        return previous(request) if previous is not None else None
    settings['retry.activate_hook'] = activate


def includeme(config):
    for name, tail in (('exchange.packages', '/packages'), ('exchange.statuses', '/statuses')):
        config.add_route(name, PREFIX + tail, factory=lambda request: object())
        config.add_view(receive_view, route_name=name, require_csrf=False)
    _no_retry_buffering(config)

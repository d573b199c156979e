"""Errors, the same in every channel: JSON under /api/, a page elsewhere.

A 403 says nothing of the resource it guards: not its number, abstract or
sender. (Document names are random, so a 403 for a name one did not see
listed reveals no more than that the name exists.)
"""
import logging

import colander
from ZODB.POSException import ConflictError
from pyramid.exceptions import BadCSRFToken
from pyramid.httpexceptions import HTTPException, HTTPSeeOther
from pyramid.view import exception_view_config, forbidden_view_config, notfound_view_config

from ..errors import Conflict, Forbidden, InputError, field_errors, translated
from ..i18n import _
from ..signing.secrecy import SecrecyError
from .http import raw_path
from .policy import must_change_password

log = logging.getLogger(__name__)


def json_error(request, status, code, message, errors=None):
    request.response.status = status
    body = {'error': code, 'message': request.localizer.translate(message)}
    if errors is not None:
        body['errors'] = errors
    return body


# What an error page is headed with, by status: the words a person reads before the details.
STATUS_TITLES = {
    400: _('error_title_400', default='Yêu cầu không hợp lệ'),
    403: _('error_title_403', default='Không có quyền truy cập'),
    404: _('error_title_404', default='Không tìm thấy'),
    409: _('error_title_409', default='Không thực hiện được'),
    500: _('error_title_500', default='Lỗi hệ thống'),
}
FORBIDDEN = _('forbidden', default='Không có quyền truy cập')
FORBIDDEN_PAGE = _('forbidden_page', default='Bạn không được phép xem trang này hoặc làm việc này.')


def status_title(status):
    """The words an error page of ``status`` is headed with (``STATUS_TITLES``)."""
    return STATUS_TITLES.get(status, STATUS_TITLES[500] if status >= 500 else STATUS_TITLES[400])


def page_error(request, status, code, message, errors=None):
    """The error page: its status in words (``STATUS_TITLES``), the message, and the items of
    ``errors`` (``[{field, code, message}]``, messages translated) below it."""
    request.override_renderer = 'archive:templates/error.pt'
    request.response.status = status
    t = request.localizer.translate
    title = status_title(status)
    return {'code': code, 'message': t(message), 'status': status, 'title': t(title), 'errors': errors or []}


def respond(request, status, code, message, errors=None):
    if request.is_api:
        request.override_renderer = 'json'
        return json_error(request, status, code, message, errors)
    return page_error(request, status, code, message, errors)


def refused_page(request, reasons=()):
    """A refusal, as a page: said plainly that the user is not allowed, whatever refused it (a
    permission, ``errors.Forbidden``, a 403 ``InputError``), with the reasons given, if any."""
    reasons = [r for r in reasons if r.get('message')]
    return page_error(request, 403, 'forbidden', FORBIDDEN_PAGE, reasons)


@forbidden_view_config(renderer='json')
def forbidden(exc, request):
    if request.identity is None and not request.is_api:
        return HTTPSeeOther(request.application_url + '/login?came_from=' + request.url)
    if request.identity is None:
        return respond(request, 401, 'unauthenticated', _('unauthenticated', default='Cần đăng nhập'))
    if must_change_password(request):
        if not request.is_api:          # the page asked for shows the form that lets the user go on
            request.override_renderer = 'archive:templates/password.pt'
            return {'errors': [], 'required': True}
        return respond(request, 403, 'password_change_required', _(
            'password_change_required', default='Cần đổi mật khẩu do quản trị hệ thống đặt lại trước khi làm việc'))
    if not request.is_api:
        reason = getattr(exc, 'message', None) if isinstance(exc, Forbidden) else None
        return refused_page(request, [{'field': '', 'code': 'forbidden',
                                       'message': request.localizer.translate(reason)}] if reason else ())
    return respond(request, 403, 'forbidden', FORBIDDEN)


@exception_view_config(Forbidden, renderer='json')
def forbidden_below(exc, request):
    """A service or the workflow refused the acting user (``errors.Forbidden``): answered as any
    refused permission; the page says why when the refusal says it."""
    return forbidden(exc, request)


@notfound_view_config(renderer='json')
def notfound(exc, request):
    return respond(request, 404, 'not_found', _('not_found', default='Không tìm thấy'))


@exception_view_config(BadCSRFToken, renderer='json')
def bad_csrf(exc, request):
    return respond(request, 400, 'csrf_invalid',
                   _('csrf_invalid', default='Phiên làm việc đã hết hạn hoặc yêu cầu không hợp lệ; hãy tải lại trang'))


@exception_view_config(colander.Invalid, renderer='json')
def invalid(exc, request):
    errors = field_errors(exc, request.localizer.translate)
    return respond(request, 400, 'invalid_input', _('invalid_input', default='Dữ liệu không hợp lệ'), errors)


@exception_view_config(InputError, renderer='json')
def input_error(exc, request):
    errors = translated(exc.errors, request.localizer.translate)
    if exc.status == 403 and not request.is_api:     # a refusal (statistics of a body not one's own)
        return refused_page(request, errors)
    return respond(request, exc.status, 'invalid_input', _('invalid_input', default='Dữ liệu không hợp lệ'), errors)


@exception_view_config(ConflictError, renderer='json', last_retry_attempt=True)
def busy(exc, request):
    """Still conflicting after pyramid_retry's attempts: nothing was written; try again."""
    return respond(request, 409, 'busy_try_again', _(
        'busy_try_again', default='Hệ thống đang bận với cùng dữ liệu; chưa có gì được ghi, hãy thử lại'))


@exception_view_config(Conflict, renderer='json')
def conflict(exc, request):
    return respond(request, exc.status, exc.code, exc.message)


@exception_view_config(SecrecyError, renderer='json')
def secrecy_failed(exc, request):
    """A sealed file that cannot be opened (damaged, or no key for it): said plainly, nothing
    of the content served."""
    english = request.localizer.locale_name == 'en'
    return respond(request, 500, exc.code, exc.message_en if english else exc.message_vi)


@exception_view_config(UnicodeDecodeError, renderer='json')
def not_utf8(exc, request):
    """A query string or form that is not UTF-8 (``?start=%ff``): the client's fault, said so."""
    return respond(request, 400, 'invalid_input', _('invalid_input', default='Dữ liệu không hợp lệ'), [
        {'field': '', 'code': 'encoding_invalid', 'message': request.localizer.translate(_(
            'encoding_invalid', default='Địa chỉ hoặc nội dung gửi không phải UTF-8'))}])


@exception_view_config(Exception, renderer='json')
def internal_error(exc, request):
    """What no other view answers: logged with its traceback, answered as a 500 in the one error
    shape (with the security headers, like every answer), nothing of the exception shown.
    pyramid_retry still retries a retryable exception rendered here (it reads
    ``request.exception``), and pyramid_tm aborts the transaction."""
    if isinstance(exc, HTTPException):
        return exc
    log.error('internal error on %s %s', request.method, raw_path(request), exc_info=exc)
    return respond(request, 500, 'internal_error', _(
        'internal_error', default='Lỗi hệ thống; hãy báo quản trị hệ thống'))

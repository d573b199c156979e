"""What every answer carries and what every request must be before a view reads it.

The headers are set by a tween at the top of the chain, so they are on every answer: pages, API
answers, downloads, and the error answers of the exception views (400, 401, 403, 404, 409, and
the 500 of ``views.errors.internal_error``). No page has an inline script or style, so the
Content-Security-Policy allows neither. Nothing but the static files may be kept by a cache:
pages and answers hold what only the logged-in reader may see.
"""
from ..errors import InputError
from ..i18n import _

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
    "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'"])
HEADERS = {
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'same-origin',
}
# A PDF shown inside the document page (``views/documents.py: file_inline``): that answer alone may
# be framed, and only by this site's own pages; it loads nothing but itself (the browser's viewer).
FRAMED_POLICY = "; ".join([
    "default-src 'none'", "object-src 'self'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'self'"])
FRAMED_HEADERS = dict(HEADERS, **{'Content-Security-Policy': FRAMED_POLICY, 'X-Frame-Options': 'SAMEORIGIN'})
STATIC_PREFIXES = ('/static/', '/static-deform/')
STATIC_PATHS = ('/favicon.ico',)            # the static icon browsers ask for at the root (views/favicon.py)
EXCHANGE_PREFIX = '/exchange/'


def raw_path(request):
    """The WSGI path as received (bytes as latin-1): enough to compare with ASCII prefixes, and
    never a ``UnicodeDecodeError`` on a path that is not UTF-8 (``request.path_info`` raises)."""
    return request.environ.get('PATH_INFO', '')


def may_be_framed(response):
    """Mark ``response`` as one the site's own pages may frame (a PDF shown on the document page)."""
    response.archive_framed = True
    return response


def secure(request, response):
    for name, value in (FRAMED_HEADERS if getattr(response, 'archive_framed', False) else HEADERS).items():
        response.headers[name] = value
    path = raw_path(request)
    if not path.startswith(STATIC_PREFIXES) and path not in STATIC_PATHS:
        response.headers['Cache-Control'] = 'no-store'
        response.headers.pop('Expires', None)
        response.headers.pop('Pragma', None)
    return response


def security_headers_tween_factory(handler, registry):
    def security_headers_tween(request):
        return secure(request, handler(request))
    return security_headers_tween


def refuse_unreadable_form(event):
    """A ``multipart/form-data`` body without a boundary (or one the parser cannot read) is a
    bad request, said as one (400), wherever it is sent — the login page included — instead of
    failing in the view that first reads ``request.POST``. Checked once the context is found
    (the error page needs the root), before any view runs. Not on the exchange endpoint: it reads
    its body itself, capped, and answers anything but XML with 415."""
    request = event.request
    if request.content_type != 'multipart/form-data' or raw_path(request).startswith(EXCHANGE_PREFIX):
        return
    if 'boundary=' not in request.headers.get('Content-Type', '').lower():
        raise _unreadable()
    try:
        request.POST            # noqa: B018 (parsed now: its ValueError is the client's)
    except ValueError:
        raise _unreadable()


def _unreadable():
    return InputError([{'field': '', 'code': 'multipart_invalid', 'message': _(
        'multipart_invalid', default='Nội dung multipart/form-data không đọc được (thiếu hoặc sai boundary)')}])


class NoDotSegments:
    """Route predicate: no matched segment is ``.`` or ``..`` — traversal would read them as the
    resource itself or its parent (``/api/v1/bodies/..`` is the root), so such a URL names
    nothing (404)."""

    def __init__(self, value, config):
        self.value = value

    def text(self):
        return f'no_dot_segments = {self.value}'

    phash = text

    def __call__(self, info, request):
        if not self.value:
            return True
        return not any(v in ('.', '..') for v in info['match'].values() if isinstance(v, str))


def includeme(config):
    config.add_tween('archive.views.http.security_headers_tween_factory')
    config.add_subscriber(refuse_unreadable_form, 'pyramid.events.ContextFound')
    config.add_route_predicate('no_dot_segments', NoDotSegments)

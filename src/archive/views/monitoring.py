"""*Giám sát an toàn thông tin*: the administrators' page of security events (Art. 15.3), with
its CSV/XLSX export (``?format=csv`` or ``xlsx``). The rows are ``reports.security.events``; bad
filters are answered with the same codes as ``GET /api/v1/security-events`` (in the page, under
the filters, with status 400)."""
from pyramid.response import Response
from pyramid.view import view_config

from .. import clock
from .. import security as S
from ..disposition import content_disposition
from ..errors import InputError
from ..i18n import _
from ..reports import security as events
from ..resources import certificates
from ..resources.root import app_root
from ..services import accounts
from ..reports import exports
from ..exchange.safexml import MESSAGES as PACKAGE_REFUSALS
from ..schemas import vocab
from .certificates import grouped

FORMATS = {
    'csv': ('text/csv', 'utf-8', 'to_csv'),
    'xlsx': ('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', None, 'to_xlsx'),
}
SHOWN = 500             # rows the page shows at most (the export has them all)

# the facts a row keeps (reports/security.py FROM_JOURNAL), named as an administrator reads them
DETAIL_TITLES = {
    'seconds': _('security_detail_seconds', default='Khóa trong (giây)'),
    'purpose': _('security_detail_purpose', default='Mục đích'),
    'kind': _('security_detail_kind', default='Loại chứng thư'),
    'fingerprint': _('security_detail_fingerprint', default='Dấu vân tay chứng thư'),
    'sessions_ended': _('security_detail_sessions_ended', default='Số phiên đăng nhập đã kết thúc'),
    'token_id': _('security_detail_token_id', default='Khóa truy cập API'),
}
# why a Mật file was read (services/secrecy.read's ``purpose``)
PURPOSES = {
    'view': _('security_purpose_view', default='Xem trên trang'),
    'download': _('security_purpose_download', default='Tải về'),
    'verify': _('security_purpose_verify', default='Kiểm tra chữ ký số'),
    'sign': _('security_purpose_sign', default='Ký số'),
    'send': _('security_purpose_send', default='Gửi đi'),
}
# where a counted refusal came in: a body's route, or the login page
SOURCES = {**vocab.ROUTES, 'login': _('security_route_login', default='Trang đăng nhập')}


def short_fingerprint(fingerprint):
    """``3F2A 9C01 5B7E 0011 … 7D3C``: the certificates page's groups (``grouped``), the first four
    and the last, enough to tell certificates apart by eye in a row (the certificates page and the
    exports give it whole)."""
    groups = grouped(fingerprint).split()
    return ' '.join(groups[:4]) + ' … ' + groups[-1]


class Words:
    """A row's codes in words for the page (the export and the API keep the codes)."""

    def __init__(self, request, root):
        self.t = request.localizer.translate
        self.english = request.localizer.locale_name == 'en'
        self.bodies = root['bodies']

    def reason(self, code):
        if code in vocab.ACTIONS:
            return self.t(vocab.ACTIONS[code])
        if code in PACKAGE_REFUSALS:
            return PACKAGE_REFUSALS[code][1 if self.english else 0]
        return code or '—'

    def route(self, code):
        return self.t(SOURCES[code]) if code in SOURCES else code

    def detail(self, key):
        return self.t(DETAIL_TITLES[key]) if key in DETAIL_TITLES else key

    def value(self, key, value):
        if key == 'purpose' and isinstance(value, str) and value in PURPOSES:
            return self.t(PURPOSES[value])
        # a certificate's kind and fingerprint as the certificates page words them, the print shortened
        if key == 'kind' and isinstance(value, str) and value in certificates.KIND_TITLES:
            return self.t(certificates.KIND_TITLES[value])
        if key == 'fingerprint' and isinstance(value, str) and len(value) > 24:
            return short_fingerprint(value)
        return value

    def document(self, row):
        """The document's number and symbol (its internal name stays in the page's data)."""
        body = self.bodies.get(row['body']) if row['body'] else None
        doc = body.documents.get(row['document']) if body is not None and row['document'] else None
        if doc is None:
            return '—' if not row['document'] else self.t(_('security_document_gone', default='(không còn trong hệ thống)'))
        return doc.number_symbol or self.t(_('search_no_number', default='(chưa có số)'))


def format_of(request):
    fmt = (request.params.get('format') or '').strip()
    if fmt and fmt not in FORMATS and fmt != 'json':
        raise InputError([{'field': 'format', 'code': 'format_unknown', 'message': _(
            'security_format_unknown', default='Định dạng "${format}" không có (csv, xlsx)', mapping={'format': fmt[:20]})}])
    return fmt


def export(request, rows, query, fmt):
    content_type, charset, writer = FORMATS[fmt]
    table = events.table(rows, query, request.localizer.translate)
    response = Response(body=getattr(exports, writer)(table), content_type=content_type, charset=charset,
                        request=request)
    response.content_disposition = content_disposition(
        f'su-kien-an-toan_{query.start.isoformat()}_{query.end.isoformat()}.{fmt}')
    return response


@view_config(route_name='monitoring', permission=S.MANAGE, renderer='archive:templates/monitoring.pt')
def monitoring_view(request):
    root = app_root(request)
    params = request.params
    try:
        fmt = format_of(request)
        query = events.parse_query(params, root)
    except InputError as exc:
        request.response.status = exc.status
        translate = request.localizer.translate
        return {'errors': [dict(e, message=translate(e['message'])) for e in exc.errors], 'rows': [],
                'query': None, 'summary': None, 'params': params, 'kinds': events.KIND_TITLES, 'shown': SHOWN,
                'actions': events.ACTIONS}
    rows = events.events(root, query, accounts.monitored(root, request.identity))
    if fmt in FORMATS:
        return export(request, rows, query, fmt)
    return {'errors': [], 'rows': rows[-SHOWN:], 'total': len(rows), 'query': query, 'summary': events.summary(rows),
            'params': params, 'kinds': events.KIND_TITLES, 'shown': SHOWN, 'today': clock.today(),
            'actions': events.ACTIONS, 'words': Words(request, root)}

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
from ..resources.root import app_root
from ..services import accounts
from ..reports import exports

FORMATS = {
    'csv': ('text/csv', 'utf-8', 'to_csv'),
    'xlsx': ('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', None, 'to_xlsx'),
}
SHOWN = 500             # rows the page shows at most (the export has them all)


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
            'actions': events.ACTIONS}

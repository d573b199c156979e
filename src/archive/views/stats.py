"""Pages: the statistics dashboard (thống kê), the documents behind a figure, and the quarterly
report's downloads. The same questions, answers and error codes as ``api/stats.py``."""
import datetime as dt

from pyramid.renderers import render_to_response
from pyramid.response import Response
from pyramid.view import view_config

from .. import clock
from .. import security as S
from ..errors import InputError
from ..i18n import _
from ..reports import charts, quarterly
from ..reports import figures as F
from ..resources.root import app_root


def dashboard_charts(result, by_month, by_body, t):
    """The dashboard's charts as inline SVG (the PDF report draws the same with reportlab), their
    words translated by ``t`` (the reader's language): ``[(wide, narrow)]``, the narrow copy for a
    phone (``charts.NARROW_*``: its words at 14 px, the latest months and the first bodies only)."""
    return list(zip(_charts(result, by_month, by_body, t, False), _charts(result, by_month, by_body, t, True)))


def _charts(result, by_month, by_body, t, narrow):
    few = charts.NARROW_BARS if narrow else None
    months = by_month['rows'][-few:] if few else by_month['rows']
    legend = [t(_('stats_chart_in', default='Đến')), t(_('stats_chart_out', default='Đi'))]
    # a phone's months as 10/2026 (the title says they are months): "Tháng 10/2026" side by side touched
    month_labels = [_short_month(r) for r in months] if narrow else [r['label'] for r in months]
    out = [charts.bars(t(_('stats_chart_by_month', default='Văn bản đến và đi theo tháng')), month_labels,
                       [[r['figures']['received'] for r in months], [r['figures']['sent'] for r in months]], legend,
                       narrow=narrow)]
    bodies = by_body['rows'][:few or 15]
    out.append(charts.bars(t(_('stats_chart_by_body', default='Văn bản đến theo cơ quan')), [r['label'] for r in bodies],
                           [[r['figures']['received'] for r in bodies], [r['figures']['sent'] for r in bodies]],
                           legend, horizontal=True, narrow=narrow))
    # a month with nothing sent has no rate (no bar, not a 0 % bar); a period with nothing sent says so
    rates = [r['figures']['sent_on_time_pct'] for r in months]
    none_sent = t(_('stats_chart_none_sent', default='Chưa gửi văn bản đi nào trong kỳ'))
    out.append(charts.bars(t(_('stats_chart_on_time', default='Tỷ lệ gửi đúng hạn theo tháng (%)')),
                           month_labels, [rates],
                           [t(_('stats_chart_on_time_legend', default='Đúng hạn (%)'))], percent=True,
                           note=None if any(v is not None for v in rates) else none_sent, narrow=narrow))
    routes = result['received_by_route']
    out.append(charts.pie(t(_('stats_chart_by_route', default='Văn bản đến theo kênh')),
                          [t(F.ROUTE_MESSAGES[k]) if k in F.ROUTE_MESSAGES else k for k in routes], list(routes.values()),
                          narrow=narrow))
    return [charts.svg(d) for d in out]


def _short_month(row):
    year, _sep, month = str(row['key']).partition('-')
    return f'{int(month)}/{year}' if month.isdigit() else row['label']


def _titles(request):
    """``[(figure, title)]`` in the reader's language."""
    return [(key, request.localizer.translate(title)) for key, title in F.FIGURES]


def _labelled(request, group, rows):
    """The rows with their labels in the reader's language (the API keeps the Vietnamese ones):
    months, channels, document types by name."""
    t = request.localizer.translate

    def label(row):
        key = row['key']
        if group == 'month' and key:
            return F.month_label(key, t)
        if group == 'route' and key in F.ROUTE_MESSAGES:
            return t(F.ROUTE_MESSAGES[key])
        if group == 'type' and key:
            return request.h.doc_type(key)
        return row['label']
    return [dict(row, label=label(row)) for row in rows]


def ask(request):
    """The checked question and the figures, as the dashboard and the API read them."""
    root = app_root(request)
    query = F.parse_query(root, request.identity, request.GET)
    return root, query, F.figures(root, query)


@view_config(route_name='stats', permission=S.VIEW_BODIES, renderer='archive:templates/stats.pt')
def dashboard(request):
    root = app_root(request)
    try:
        query = F.parse_query(root, request.identity, request.GET)
    except InputError as exc:
        return error_page(request, root, exc)
    result, by_month, by_body = F.dashboard(root, query)
    result = dict(result, rows=_labelled(request, query.group, result['rows']))
    by_month = dict(by_month, rows=_labelled(request, 'month', by_month['rows']))
    return {'errors': [], 'result': result, 'params': request.GET, 'query': query,
            'svgs': dashboard_charts(result, by_month, by_body, request.localizer.translate),
            'groups': F.GROUPS, 'group_titles': F.GROUP_TITLES, 'titles': _titles(request),
            'no_documents': F.NO_DOCUMENTS, 'bodies': _choices(root, request), 'today': clock.today()}


def error_page(request, root, exc):
    """The dashboard's form with the errors of the question (their codes as in the API)."""
    if exc.status == 403 and not request.GET.get('body'):
        raise exc                   # no figures at all for this user: the usual 403 page
    request.override_renderer = 'archive:templates/stats.pt'
    request.response.status = exc.status
    t = request.localizer.translate
    return {'errors': [dict(e, message=t(e['message'])) for e in exc.errors], 'result': None,
            'params': request.GET, 'svgs': [], 'groups': F.GROUPS, 'group_titles': F.GROUP_TITLES, 'titles': _titles(request),
            'no_documents': F.NO_DOCUMENTS, 'bodies': _choices(root, request), 'today': clock.today()}


def _choices(root, request):
    seen = F.visible(root, request.identity)
    return [(b.code, '— ' * depth + b.name) for depth, b in root['bodies'].tree() if b.code in seen]


@view_config(route_name='stats_documents', permission=S.VIEW_BODIES, renderer='archive:templates/stats_documents.pt')
def documents(request):
    root, query, _result = ask(request)
    metric = request.GET.get('metric', '')
    docs = F.documents_behind(root, request.identity, query, metric)
    body = root['bodies'].get(query.body)
    return {'docs': docs, 'metric': metric, 'title': dict(_titles(request)).get(metric, metric), 'query': query,
            'body_name': body.name if body is not None else query.body}


def quarterly_params(request):
    """``(body, year, quarter, format, sign)`` of a quarterly report request, checked."""
    root = app_root(request)
    today = clock.today()
    code = request.GET.get('body') or F.default_body(root, request.identity)
    last = dt.date(today.year, (today.month - 1) // 3 * 3 + 1, 1) - dt.timedelta(days=1)
    year = request.GET.get('year') or last.year
    q = request.GET.get('quarter') or (last.month - 1) // 3 + 1
    fmt = request.GET.get('format') or 'pdf'
    if fmt not in quarterly.FORMATS and fmt != 'json':
        raise F.error('format', 'format_unknown', _('format_unknown', default='Định dạng phải là csv, xlsx hoặc pdf'))
    F.quarter_dates(year, q, today)
    F.check_body(root, request.identity, code)
    return root, code, year, q, fmt, F._yes(request.GET.get('sign'), False)


def quarterly_response(request):
    root, code, year, q, fmt, signed = quarterly_params(request)
    start, end = F.quarter_dates(year, q)
    report = quarterly.build(root, request.identity, code, year, q, quarterly.availability(root, start, end))
    if fmt == 'json':
        return None, report
    data, media, ext = quarterly.render(report, fmt)
    if signed:
        if fmt != 'pdf':
            raise F.error('sign', 'sign_pdf_only', _('sign_pdf_only', default='Chỉ ký số được báo cáo PDF'))
        data = quarterly.sign(request.registry, request.identity.body_code, data)
    response = Response(body=data, content_type=media.split(';')[0])
    if 'charset' in media:
        response.charset = 'utf-8'
    response.content_disposition = f'attachment; filename="bao-cao-quy-{int(q)}-{int(year)}-{code}.{ext}"'
    return response, report


@view_config(route_name='stats_quarterly', permission=S.VIEW_BODIES)
def quarterly_download(request):
    try:
        response, report = quarterly_response(request)
    except InputError as exc:
        response = render_to_response('archive:templates/stats.pt', error_page(request, app_root(request), exc),
                                      request=request)
        response.status = exc.status
        return response
    if response is None:
        raise F.error('format', 'format_unknown', _('format_unknown', default='Định dạng phải là csv, xlsx hoặc pdf'))
    return response

"""API: statistics (``GET /api/v1/stats``) and the quarterly report
(``GET /api/v1/reports/quarterly``); the same questions, checks and error codes as the pages."""
from pyramid.view import view_config

from .. import security as S
from ..views.stats import ask, quarterly_response


@view_config(route_name='api.stats', renderer='json', request_method='GET', permission=S.VIEW_BODIES)
def stats(request):
    _root, _query, result = ask(request)
    return result


@view_config(route_name='api.reports_quarterly', renderer='json', request_method='GET', permission=S.VIEW_BODIES)
def report_quarterly(request):
    response, report = quarterly_response(request)
    if response is not None:
        return response
    return {'title': report.title, 'subtitle': report.subtitle, 'columns': list(report.columns),
            'rows': [{'body': name, 'figures': list(values)} for name, values in report.rows],
            'total': list(report.total), 'channel': [list(c) for c in report.channel],
            'late': [dict(zip(report.late_columns, r)) for r in report.late],
            'availability': [list(a) for a in report.availability] if report.availability else None}

"""``GET /api/v1/security-events``: the security events of a period (Art. 15.3), for
administrators; the same filters, rows and error codes as the page ``/admin/security``
(``views/monitoring.py``); ``format=csv|xlsx`` gives the export."""
from pyramid.view import view_config

from .. import security as S
from ..reports import security as events
from ..resources.root import app_root
from ..services import accounts
from ..views.monitoring import FORMATS, export, format_of


@view_config(route_name='api.security_events', renderer='json', request_method='GET', permission=S.MANAGE)
def security_events(context, request):
    root = app_root(request)
    fmt = format_of(request)
    query = events.parse_query(request.params, root)
    rows = events.events(root, query, accounts.monitored(root, request.identity))
    if fmt in FORMATS:
        return export(request, rows, query, fmt)
    return {'from': query.start.isoformat(), 'to': query.end.isoformat(), 'kind': query.kind or None,
            'account': query.account or None, 'body': query.body or None, 'action': query.action or None,
            'summary': events.summary(rows), 'items': rows}

"""The search page: the box in the page frame leads here; results with filters, facets,
highlighted fragments and links. Bad input is shown on the page (status 400) with the same codes
as the API (``GET /api/v1/search``, ``api/search.py``)."""
from pyramid.view import view_config

from .. import search
from .. import security as S
from ..errors import InputError
from ..i18n import _
from ..resources.root import app_root

FACET_TITLES = {
    'doc_type': _('search_facet_doc_type', default='Loại văn bản'),
    'body': _('search_facet_body', default='Cơ quan giữ'),
    'unit': _('search_facet_unit', default='Đơn vị giữ'),
    'state': _('search_facet_state', default='Trạng thái'),
    'urgency': _('search_facet_urgency', default='Độ khẩn'),
    'route': _('search_facet_route', default='Đường nhận, gửi'),
    'verdict': _('search_facet_verdict', default='Kiểm tra chữ ký'),
    'attachments': _('search_facet_attachments', default='Có tệp đính kèm'),
    'direction': _('search_facet_direction', default='Văn bản đến, đi'),
}


def _link(request, params, **change):
    """The page's URL with some parameters changed (a facet value added, a page turned)."""
    items = [(k, v) for k, v in params.items() if k not in change and k != 'start']
    for k, v in change.items():
        if v is not None:
            items.append((k, v))
    return request.route_url('search_page', _query=items)


@view_config(route_name='search_page', permission=S.VIEW_BODIES, renderer='archive:templates/search.pt')
def search_page(request):
    params = request.GET
    errors, result = [], None
    try:
        result = search.search(request.registry, S.principals_of(request.identity), params)
    except InputError as exc:
        request.response.status = exc.status
        errors = [dict(e, message=request.localizer.translate(e['message'])) for e in exc.errors]
    bodies = app_root(request)['bodies']
    hits = []
    for hit in (result or {}).get('hits', []):
        code, name = hit['key'].split('/', 1)
        body = bodies.get(code)
        hits.append(dict(hit, code=code, name=name,
                         url=request.resource_url(body, 'documents', name) if body is not None else None))
    return {'q': params.get('q', ''), 'params': params, 'result': result, 'errors': errors, 'hits': hits,
            'facet_titles': FACET_TITLES, 'link': lambda **change: _link(request, params, **change)}

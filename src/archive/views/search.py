"""The search page: the box in the page frame leads here; results with filters, facets,
highlighted fragments and links. Bad input is shown on the page (status 400) with the same codes
as the API (``GET /api/v1/search``, ``api/search.py``)."""
from markupsafe import Markup
from pyramid.view import view_config

from .. import search
from .. import security as S
from ..errors import InputError
from ..resources.root import app_root
from .filter_form import filter_fields, page_errors, without_empty_fields



def _described(request, body, name):
    """What a hit says besides its number and abstract, so a clerk tells documents apart without
    opening each: its urgency and Mật mark as the desks and lists show them, its type, state and the
    body holding it (read from the document, a page of hits at most: the index is a projection and
    may lag behind a state change)."""
    doc = body.documents.get(name) if body is not None else None
    if doc is None:
        return {'url': None, 'urgency': '', 'secret': False, 'doc_type': '', 'state': '', 'when': None,
                'body_name': body.name if body is not None else ''}
    h = request.h
    return {'url': request.resource_url(body, 'documents', name),
            'urgency': h.label(h.urgencies, doc.urgency) if doc.urgent else '',
            'secret': doc.classification == 'mat', 'doc_type': h.doc_type(doc.doc_type),
            'state': h.state_title(doc), 'state_code': doc.state, 'body_name': body.name,
            # the date the document list shows, and the date sort orders by (filters.VALUES['date'])
            'when': doc.received_at or doc.sent_at or doc.created_at}


def _shown(abstract, fragments):
    """``(abstract, fragments)`` as the page shows them. The abstract's fragment is the whole
    abstract with its words marked (``search/highlight.py``): it is the hit's link, shown once,
    not again under it cut to a window. The metadata is one value a line in the index (number,
    register number, sender, receivers, signer, the body's code...): only the lines with a match
    are shown, apart, so a hit does not read as a run of codes and numbers."""
    out = []
    for field, html in fragments:
        if field == 'abstract':
            abstract = Markup(html)
            continue
        if field == 'meta':
            html = ' · '.join(line.strip() for line in html.split('\n') if '<mark' in line)
        out.append((field, html))
    return abstract, out


def _link(request, params, **change):
    """The page's URL with some parameters changed (a facet value added, a page turned)."""
    items = [(k, v) for k, v in params.items() if k not in change and k != 'start' and v != '']
    for k, v in change.items():
        if v is not None:
            items.append((k, v))
    return request.route_url('search_page', _query=items)


def _previous(result):
    """Where "Trang trước" leads: the page before, or the last page from a page past it (a
    bookmark of a search that has since found fewer), not an empty page one step back."""
    start, limit = result['start'], result['limit']
    last = max(0, (result['total'] - 1) // limit * limit)
    return max(0, min(start - limit, last))


def _in_use(request, fields):
    """The filters in use in words, "Độ khẩn: Khẩn; Từ ngày: 01/11/2026" ('' for none): said by
    the total, since on a phone the panel is below the hits and a search typed again keeps them."""
    used = [(f['title'], o['label']) for f in fields['facets'] for o in f['options'] if o['selected']]
    used += [(d['title'], request.h.when(d['value'])) for d in fields['dates'] if d['value']]
    return Markup('; ').join(Markup('{}: {}').format(title, label) for title, label in used)


@view_config(route_name='search_page', permission=S.VIEW_BODIES, renderer='archive:templates/search.pt')
def search_page(request):
    cleaned = without_empty_fields(request)
    if cleaned is not None:
        return cleaned
    params = request.GET
    errors, result = [], None
    try:
        # The page always shows its filter panel with counts: every facet is counted.
        result = search.search(request.registry, S.principals_of(request.identity), params, facets=search.FACETS)
    except InputError as exc:
        errors = page_errors(request, exc)
    bodies = app_root(request)['bodies']
    hits = []
    for hit in (result or {}).get('hits', []):
        code, name = hit['key'].split('/', 1)
        body = bodies.get(code)
        abstract, fragments = _shown(hit['abstract'], hit['fragments'])
        hits.append(dict(hit, code=code, name=name, abstract=abstract, fragments=fragments,
                         **_described(request, body, name)))
    fields = filter_fields(request, params, bodies, counts=result['facets'] if result else None,
                           estimated=bool(result) and not result['facets_exact'])
    return {'q': params.get('q', ''), 'params': params, 'result': result, 'errors': errors, 'hits': hits,
            'filters': fields, 'in_use': _in_use(request, fields),
            'unfiltered': _link(request, params, **{f['name']: None for f in fields['facets'] + fields['dates']}),
            'previous': _previous(result) if result else 0,
            'link': lambda **change: _link(request, params, **change)}

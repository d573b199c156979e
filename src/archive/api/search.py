"""``GET /api/v1/search``: the archive's search as JSON, trimmed to what the caller may see.

Query string: ``q`` (the clerk's form: words, "phrases", -word, prefix*), the filters (one or more
values each; see ``search/filters.py``), ``sort`` (relevance, date, date_asc), ``start``, ``limit``,
``facets`` (which facets to count: ``all`` by default, ``none``, or names: counting them is a
second pass over every match, so a caller without a filter panel asks for none). The counts of a
reader of every document searching without a filter, over many matches, are estimates
(``facets_exact`` false, each count's ``exact`` false: ``archive.search_estimate_above``).
Bad input is the one error shape (400), as on the results page.
"""
from pyramid.view import view_config

from .. import search
from .. import security as S


def as_json(request, result):
    def item(hit):
        code, name = hit['key'].split('/', 1)
        return {'id': name, 'body': code, 'number_symbol': hit['number'] or None, 'abstract': hit['abstract'],
                'score': round(hit['score'], 4) if hit['score'] is not None else None,
                'highlights': [{'field': f, 'html': html} for f, html in hit['fragments']],
                'url': request.route_url('api.document', code=code, id=name)}
    return {'q': result['q'], 'sort': result['sort'], 'start': result['start'], 'limit': result['limit'],
            'ready': result['ready'], 'total': result['total'], 'total_exact': result['exact'],
            'items': [item(h) for h in result['hits']],
            'facets_exact': result['facets_exact'],
            'facets': {name: [{'value': v, 'count': n, 'exact': result['facets_exact']} for v, n in counts]
                       for name, counts in result['facets'].items()}}


@view_config(route_name='api.search', renderer='json', request_method='GET', permission=S.VIEW_BODIES)
def search_view(request):
    result = search.search(request.registry, S.principals_of(request.identity), request.GET)
    return as_json(request, result)

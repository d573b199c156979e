"""The filter form of the search page, the registers and the document lists: one markup
(``templates/filters.pt``), one set of names (``search/filters.py``), kept in the URL so that a
filtered list can be bookmarked. The choices offered are the facet counts where the page has
them (search, registers), else the vocabularies (a document list reads only the page it shows)."""
from urllib.parse import urlencode

from pyramid.httpexceptions import HTTPSeeOther

from ..i18n import _
from ..i18n import _ as message     # state ids built from the ZCML (workflow/titles.py)
from ..schemas import vocab
from ..search import FACETS
from ..search.filters import DATES
from ..workflow.states import states_of

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
DATE_TITLES = {
    'date_from': _('search_date_from', default='Từ ngày'),
    'date_to': _('search_date_to', default='Đến ngày'),
    'issued_from': _('filter_issued_from', default='Ban hành từ ngày'),
    'issued_to': _('filter_issued_to', default='Ban hành đến ngày'),
}
ATTACHMENTS = {'yes': _('filter_yes', default='Có'), 'no': _('filter_no', default='Không')}
PAGING_TITLES = {
    'start': _('filter_start', default='Kết quả bắt đầu từ'),
    'limit': _('filter_limit', default='Số kết quả một trang'),
}
# the errors whose message does not say which filter or number it is about
UNNAMED = ('filter_unknown', 'filter_value_invalid', 'paging_invalid', 'date_invalid')


def _state_titles(request):
    titles = {}
    for direction, state, data in states_of(request.registry):
        title = request.localizer.translate(message(f'wf_{direction}_state_{state}', default=data.get('title') or state))
        if title not in titles.setdefault(state, []):
            titles[state].append(title)
    return {state: ' / '.join(names) for state, names in titles.items()}


def _labels(request, name, bodies, body):
    """``{value: label}`` of a facet, in the reader's language."""
    t = request.localizer.translate
    if name == 'doc_type':
        return {k: f'{v} ({k})' for k, v in request.registry.archive_settings.document_types.items()}
    if name == 'body':
        return {code: b.name for code, b in bodies.items()}
    if name == 'unit':
        units = body.units.values() if body is not None else [u for b in bodies.values() for u in b.units.values()]
        return {u.code: u.name for u in units}
    if name == 'state':
        return _state_titles(request)
    table = {'urgency': vocab.URGENCIES, 'route': {**vocab.CHANNELS, **vocab.ROUTES},
             'verdict': vocab.SIGNATURE_STATUSES, 'attachments': ATTACHMENTS,
             'direction': vocab.DIRECTIONS}[name]
    labels = {k: t(v) for k, v in table.items()}
    if name == 'verdict':       # the badge's words, said within a line; a choice starts a line
        labels = {k: v[:1].upper() + v[1:] for k, v in labels.items()}
    return labels


def filter_fields(request, params, bodies, counts=None, body=None, names=FACETS, estimated=False):
    """What the macro shows: ``{'facets': [{name, title, options: [{value, label, count,
    estimated, selected}]}], 'dates': [{name, title, value}], 'active'}`` (``active``: a filter is
    in use, so the folded form stays open on a phone: ``templates/filters_fold.pt``). ``counts``: the facet counts of
    the page (choices are then the values found, with their counts; ``estimated``: the search's
    counts are estimates), else every known value."""
    t = request.localizer.translate
    facets = []
    for name in names:
        labels = _labels(request, name, bodies, body)
        chosen = [v for v in params.getall(name) if v]
        if counts is not None:
            pairs = list(counts.get(name, ()))
        else:
            pairs = [(value, None) for value in labels]
        known = {v for v, _n in pairs}
        pairs += [(v, 0 if counts is not None else None) for v in chosen if v not in known]
        facets.append({'name': name, 'title': t(FACET_TITLES[name]), 'options': [
            {'value': v, 'label': labels.get(v, v), 'count': n, 'estimated': estimated and v in known,
             'selected': v in chosen} for v, n in pairs]})
    dates = [{'name': name, 'title': t(DATE_TITLES[name]), 'value': params.get(name, '')} for name in DATES]
    active = any(o['selected'] for f in facets for o in f['options']) or any(d['value'] for d in dates)
    return {'facets': facets, 'dates': dates, 'active': active}


def without_empty_fields(request):
    """A redirect to this page's URL without the empty fields a GET form sends (every filter of
    the form is a field: the URL of a search should hold only what was asked, and stay short to
    bookmark or send); None when the URL is clean. Without scripts the form cannot leave them out
    itself (``static/archive.js`` does, so a browser with scripts is not redirected)."""
    try:
        items = list(request.GET.items())
    except UnicodeDecodeError:          # refused elsewhere, as every query that is not UTF-8
        return None
    kept = [(k, v) for k, v in items if v != '']
    if len(kept) == len(items):
        return None
    return HTTPSeeOther(request.path_url + ('?' + urlencode(kept) if kept else ''))


def page_errors(request, exc):
    """An ``InputError`` shown on the page itself (400), with the codes the API gives. A page
    shows no ``field``: a filter's or a number's error is said with its title, "Độ khẩn: Giá trị
    bộ lọc không hợp lệ" (an unknown filter by its name, quoted)."""
    t = request.localizer.translate
    request.response.status = exc.status
    titles = {**FACET_TITLES, **DATE_TITLES, **PAGING_TITLES}
    shown = []
    for e in exc.errors:
        message = t(e['message'])
        if e['code'] in UNNAMED and e['field']:
            title = t(titles[e['field']]) if e['field'] in titles else f'"{e["field"][:40]}"'
            message = f'{title}: {message}'
        shown.append(dict(e, message=message))
    return shown

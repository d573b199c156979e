"""The filters, sort and paging of a search, read from a query string (pages and API alike).

Every name is known and every value checked: an unknown filter, a malformed date, a sort that
does not exist or a page too deep is the project's ``InputError`` naming the field, never a 500
and never a silently different answer.

The registers and the document lists take the same filters (``read_filters``) and judge a
document by the same values the index stores (``facet_values``, ``matches``): one meaning of
each filter, whether the index or ZODB answers.
"""
import datetime as dt
import re

from ..clock import VN
from ..errors import InputError
from ..reports.periods import reversed_message
from .engine import FACETS, SORTS
from .query import refuse

DATES = {'date_from': ('date', False), 'date_to': ('date', True),
         'issued_from': ('issued', False), 'issued_to': ('issued', True)}
PAGING = ('q', 'sort', 'start', 'limit', 'facets')
IGNORED = ('_LOCALE_',)     # the language of the page (i18n.py), not a filter
CHOICES = {'attachments': ('yes', 'no'), 'direction': ('incoming', 'outgoing'),
           'urgency': ('normal', 'khan', 'thuong_khan', 'hoa_toc', 'hoa_toc_hen_gio')}
MAX_VALUE = 100
MAX_VALUES = 20
MAX_LIMIT = 100
MAX_DEPTH = 1000              # start + limit: deeper pages are not served (refine the query)


def _date(name, raw):
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        refuse(name, 'date_invalid', 'Ngày không hợp lệ: dùng dạng YYYY-MM-DD')


def _whole(name, raw, default, low, high):
    if raw is None or raw == '':
        return default
    if not re.fullmatch(r'[0-9]{1,7}', raw) or not low <= int(raw) <= high:
        refuse(name, 'paging_invalid', 'Phải là số nguyên từ ${lo} đến ${hi}', {'lo': low, 'hi': high})
    return int(raw)


def read_filters(params, others=()):
    """``{'terms': {facet: [values]}, 'ranges': {field: (low, high)}}`` from a multidict;
    ``others``: the page's own parameters (paging, format...), passed over here."""
    terms, ranges = {}, {}
    for name in params.keys():
        if name not in FACETS and name not in DATES and name not in IGNORED and name not in others:
            refuse(name, 'filter_unknown', 'Không có bộ lọc này')
    for name in FACETS:
        values = [v for v in params.getall(name) if v != '']
        if not values:
            continue
        if len(values) > MAX_VALUES or any(len(v) > MAX_VALUE for v in values):
            refuse(name, 'filter_value_invalid', 'Giá trị bộ lọc không hợp lệ')
        allowed = CHOICES.get(name)
        if allowed and any(v not in allowed for v in values):
            refuse(name, 'filter_value_invalid', 'Giá trị bộ lọc không hợp lệ')
        terms[name] = values
    days = {}
    for name, (field, upper) in DATES.items():
        raw = params.get(name)
        if not raw:
            continue
        day = days[name] = _date(name, raw)
        low, high = ranges.get(field, (None, None))
        if field == 'date':      # epoch seconds of the arrival / sending; the day is Vietnam's
            # (its last second, not the next midnight less one: 31/12/9999 has no next day)
            edge = dt.datetime.combine(day, dt.time(23, 59, 59) if upper else dt.time(), tzinfo=VN)
            value = int(edge.timestamp())
        else:
            value = day.toordinal()
        ranges[field] = (low, value) if upper else (value, high)
    # a period the wrong way round matches nothing: say so, as the statistics do (reports/periods.py)
    for start, end in (('date_from', 'date_to'), ('issued_from', 'issued_to')):
        if start in days and end in days and days[end] < days[start]:
            raise InputError([{'field': end, 'code': 'period_reversed',
                               'message': reversed_message(days[start], days[end])}])
    return {'terms': terms, 'ranges': ranges}


def read(params, ignore=()):
    """``(q, filters, sort, start, limit)`` from a multidict (``request.GET``)."""
    filters = read_filters(params, PAGING + tuple(ignore))
    sort = params.get('sort') or 'relevance'
    if sort not in SORTS:
        refuse('sort', 'sort_unknown', 'Không có cách sắp xếp này')
    start = _whole('start', params.get('start'), 0, 0, MAX_DEPTH)
    limit = _whole('limit', params.get('limit'), 20, 1, MAX_LIMIT)
    if start + limit > MAX_DEPTH:
        refuse('start', 'search_too_deep', 'Chỉ xem được ${n} kết quả đầu: hãy thu hẹp tìm kiếm',
               {'n': MAX_DEPTH})
    return params.get('q', ''), filters, sort, start, limit


def read_facets(params):
    """The facets to count (``facets=``): every one when not given or ``all``, none for ``none``,
    else those named (one or more values, or names joined by commas). Counting is a second pass
    over every match the user may see, as costly as the search itself: a caller that shows no
    filter panel asks for none."""
    names = [n for value in params.getall('facets') for n in value.split(',') if n]
    if not names or names == ['all']:
        return FACETS
    if names == ['none']:
        return ()
    if any(n not in FACETS for n in names):
        refuse('facets', 'filter_value_invalid', 'Giá trị bộ lọc không hợp lệ')
    return tuple(n for n in FACETS if n in names)


def active(filters):
    return bool(filters and (filters['terms'] or filters['ranges']))


def _verdict(value):
    """The signature verdict's status (the verdict is a dict, or a bare word before a check)."""
    return value.get('status') if isinstance(value, dict) else value


def _text(value):
    return str(value) if value else None


# facet or range field -> its value on a document (what the index stores; indexer.document_fields)
VALUES = {
    'body': lambda doc: doc.body_code,
    'direction': lambda doc: doc.direction,
    # an attachment in force (not the main file, its signed versions' predecessors or a receipt)
    'attachments': lambda doc: 'yes' if any(f.role == 'attachment' for f in doc.file_list()) else 'no',
    'doc_type': lambda doc: _text(doc.doc_type),
    'unit': lambda doc: _text(doc.holder_unit),
    'state': lambda doc: _text(doc.state),
    'urgency': lambda doc: _text(doc.urgency),
    'route': lambda doc: _text((doc.exchange or {}).get('route') or doc.channel),
    'verdict': lambda doc: _text(_verdict(doc.origin_verdict)),
    'date': lambda doc: -doc.sort_key()[0],                                  # epoch seconds
    'issued': lambda doc: doc.issued_date.toordinal() if doc.issued_date else None,
}


def facet_values(doc, names=None):
    """What a document is filtered and counted by: ``{facet: value or None, 'date': epoch seconds,
    'issued': ordinal day or None}``, or only ``names`` of them (a list reads no more of the
    document than its filters need: ``attachments`` loads the files' folder)."""
    return {name: VALUES[name](doc) for name in (VALUES if names is None else names)}


def needed(filters):
    """The values ``matches`` reads for these filters."""
    return list(filters['terms']) + list(filters['ranges'])


def matches(filters, values):
    """Whether a document of these ``facet_values`` passes the filters (any value of a facet,
    every facet and range)."""
    for name, wanted in filters['terms'].items():
        if values.get(name) not in wanted:
            return False
    for field, (low, high) in filters['ranges'].items():
        value = values.get(field)
        if value is None or (low is not None and value < low) or (high is not None and value > high):
            return False
    return True


def count(values_list, names=FACETS):
    """Facet counts over documents' ``facet_values``, as the search gives them: ``{facet:
    [(value, count)]}``, most frequent first."""
    tally = {name: {} for name in names}
    for values in values_list:
        for name in names:
            value = values.get(name)
            if value:
                tally[name][value] = tally[name].get(value, 0) + 1
    return {name: sorted(t.items(), key=lambda kv: (-kv[1], kv[0])) for name, t in tally.items()}

"""Statistics as people read them (Art. 12): figures for a body or its subtree over a period,
grouped by body, month, document type or route, within what the reader may see.

Who sees what: the clerks and leaders of a body see its figures and those of every body under
it; the office of a committee (a body whose ``office_of`` names the committee, as the city office
for the city committee) sees the committee's whole tree. Nobody sees a body outside those
subtrees, alone or inside a total.

A body closed with a successor keeps its history under its own code; what was counted for it
after the day it closed rolls up to its successor (and so into the successor's subtree).

A period is read from the fewest objects: the roll-ups of its whole months, the entries of the
days at its edges. "Still open past the deadline" is computed here, at read time, from the
deadline index of each body (``Documents.by_deadline``: deadlines that fell in the period,
before today, of documents still in a state where the deadline runs).
"""
import dataclasses
import datetime as dt

from .. import clock, i18n
from .. import security as S
from ..errors import InputError
from ..i18n import _
from ..resources import access
from ..workflow.states import states_of
from . import periods as P
from . import rollups as R
from .counters import LATE, Gathered, days_between, entry_key, entry_name, late_between, month_key, stats_of
from .sums import month_end, months_of, sum_counts, sum_rolled

GROUPS = ('total', 'body', 'month', 'type', 'route')
# How the dashboard offers each grouping, in words (the API takes the codes above).
GROUP_TITLES = {
    'total': _('stats_group_total', default='Không nhóm (chỉ tổng hợp)'),
    'body': _('stats_group_body', default='Cơ quan, đơn vị'),
    'month': _('stats_group_month', default='Tháng'),
    'type': _('stats_group_type', default='Loại văn bản'),
    'route': _('stats_group_route', default='Kênh nhận văn bản'),
}
MAX_DAYS = 3 * 366          # a longer period is refused (the page and the API answer in time)
EARLIEST = dt.date(2020, 1, 1)

# The figures a row shows, in order, with their titles as messages (the pages show them in the
# reader's language; the quarterly report and the API keep the Vietnamese, ``TITLES``; GLOSSARY.md).
FIGURES = (
    ('received', _('stats_figure_received', default='Văn bản đến')),
    ('received_electronic', _('stats_figure_received_electronic', default='Đến bản điện tử')),
    ('received_paper', _('stats_figure_received_paper', default='Đến bản giấy')),
    ('registered', _('stats_figure_registered', default='Đã vào sổ')),
    ('registered_late', _('stats_figure_registered_late', default='Vào sổ chậm (khẩn)')),
    ('assigned', _('stats_figure_assigned', default='Đã phân công')),
    ('assigned_late', _('stats_figure_assigned_late', default='Phân công chậm (khẩn)')),
    ('completed', _('stats_figure_completed', default='Đã hoàn thành')),
    ('completed_late', _('stats_figure_completed_late', default='Hoàn thành quá hạn')),
    ('overdue_open', _('stats_figure_overdue_open', default='Quá hạn chưa hoàn thành')),
    ('refused', _('stats_figure_refused', default='Từ chối nhận / trả lại')),
    ('refused_package', _('stats_figure_refused_package', default='Gói tin bị từ chối (chưa thành văn bản)')),
    ('recalled', _('stats_figure_recalled', default='Thu hồi')),
    ('updated', _('stats_figure_updated', default='Cập nhật, đính chính')),
    ('replaced', _('stats_figure_replaced', default='Thay thế')),
    ('sent', _('stats_figure_sent', default='Văn bản đi đã gửi')),
    ('sent_late', _('stats_figure_sent_late', default='Gửi chậm (Điều 6.3)')),
    ('sent_late_urgent', _('stats_figure_sent_late_urgent', default='Gửi chậm: văn bản khẩn')),
    ('dual_sent', _('stats_figure_dual_sent', default='Gửi cả bản giấy (Điều 8)')),
    ('sent_on_time_pct', _('stats_figure_sent_on_time_pct', default='Tỷ lệ gửi đúng hạn (%)')),
)
TITLES = {key: str(title.default) for key, title in FIGURES}     # Vietnamese
NO_DOCUMENTS = ('sent_on_time_pct', 'refused_package')    # figures with no list of documents behind them
LATE_METRICS = ('sent_late', 'registered_late', 'assigned_late', 'completed_late')


def error(field, code, message, status=400):
    return InputError([{'field': field, 'code': code, 'message': message}], status=status)


# -- who sees what ---------------------------------------------------------------------------

def children_map(bodies):
    out = {}
    for body in bodies.values():
        out.setdefault(body.parent_code, []).append(body.code)
    return out


def subtree(bodies, code, children=None):
    """The code and every code under it in the tree as it is now."""
    children = children if children is not None else children_map(bodies)
    out, todo = [], [code]
    while todo:
        c = todo.pop()
        out.append(c)
        todo.extend(sorted(children.get(c, ()), reverse=True))
    return out


def visible_roots(root, user):
    """The bodies whose subtree ``user`` may see the figures of (``resources.access``)."""
    top = access.statistics_root(root['bodies'], user)
    return [] if top is None else [top]


def visible(root, user):
    """Every body code ``user`` may see figures of."""
    bodies = root['bodies']
    children = children_map(bodies)
    return {c for top in visible_roots(root, user) for c in subtree(bodies, top, children)}


# -- the question ----------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Query:
    body: str
    subtree: bool
    start: dt.date
    end: dt.date
    group: str


def _date(params, name, default):
    text = params.get(name)
    if text in (None, ''):
        return default
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        raise error(name, 'date_invalid', _('date_invalid', default='Ngày không hợp lệ: dùng dạng YYYY-MM-DD')) from None


def _yes(value, default=True):
    if value in (None, ''):
        return default
    return str(value).lower() in ('1', 'true', 'yes', 'on')


def check_body(root, user, code):
    """The body asked for, if it exists and ``user`` may see it (raise the project's errors)."""
    if code not in root['bodies']:
        raise error('body', 'body_unknown', _('body_unknown', default='Không có cơ quan "${code}"',
                                              mapping={'code': code}), status=404)
    if code not in visible(root, user):
        raise error('body', 'stats_forbidden', _(
            'stats_forbidden', default='Bạn không được xem số liệu thống kê của cơ quan "${code}"',
            mapping={'code': code}), status=403)
    return code


def default_body(root, user):
    roots = visible_roots(root, user)
    if not roots:
        raise error('body', 'stats_forbidden', _(
            'stats_forbidden_any', default='Bạn không được xem số liệu thống kê'), status=403)
    return roots[0]


def check_period(start, end, today=None, start_field='from', end_field='to'):
    today = today or clock.today()
    if end < start:
        raise error(end_field, 'period_reversed', P.reversed_message(start, end))
    if start > today or end > today:
        raise error(end_field if end > today else start_field, 'period_in_future', P.in_future_message(today))
    if start < EARLIEST:
        raise error(start_field, 'period_too_early', P.too_early_message(EARLIEST))
    if (end - start).days > MAX_DAYS:
        raise error(start_field, 'period_too_long', P.too_long_message(MAX_DAYS))


def parse_query(root, user, params, today=None):
    """The question in ``params`` (``body``, ``subtree``, ``from``, ``to``, ``group``), checked."""
    today = today or clock.today()
    group = params.get('group') or 'total'
    if group not in GROUPS:
        raise error('group', 'group_unknown', _(
            'group_unknown', default='Không có cách nhóm "${group}"; chọn: ${offered}',
            mapping={'group': group, 'offered': ', '.join(GROUPS)}))
    code = params.get('body') or default_body(root, user)
    check_body(root, user, code)
    quarter_start = dt.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    start = _date(params, 'from', quarter_start)
    end = _date(params, 'to', today)
    check_period(start, end, today)
    return Query(code, _yes(params.get('subtree')), start, end, group)


def quarter_dates(year, quarter, today=None):
    """``(first day, last day)`` of a quarter that exists and has begun."""
    today = today or clock.today()
    try:
        year, quarter = int(year), int(quarter)
    except (TypeError, ValueError):
        raise error('quarter', 'quarter_unknown', _('quarter_unknown', default='Không có quý này')) from None
    if quarter not in (1, 2, 3, 4) or not EARLIEST.year <= year <= 9998:
        raise error('quarter', 'quarter_unknown', _('quarter_unknown', default='Không có quý này'))
    start = dt.date(year, 3 * quarter - 2, 1)
    end = (dt.date(year + quarter // 4, 3 * quarter % 12 + 1, 1)) - dt.timedelta(days=1)
    if start > today:
        raise error('quarter', 'period_in_future', P.in_future_message(today))
    return start, end


# -- periods and segments --------------------------------------------------------------------

def segments(root, code, with_subtree, start, end):
    """``[(source body, first day, last day, owner body)]``: whose counters make the figures of
    ``code`` (alone or with its subtree) in ``[start, end]``, and under which body each counts."""
    bodies = root['bodies']
    members = set(subtree(bodies, code)) if with_subtree else {code}
    out = []

    def owner(body):
        seen = set()
        while body.valid_to is not None and body.successor_code in bodies and body.code not in seen:
            seen.add(body.code)
            body = bodies[body.successor_code]
        return body.code

    for c in sorted(members):
        body = bodies[c]
        closed = body.valid_to is not None and body.successor_code in bodies
        last = min(end, body.valid_to) if closed else end
        if start <= last:
            out.append((c, start, last, c))
        if closed and body.valid_to < end:
            heir = owner(body)
            if heir in members:
                out.append((c, max(start, body.valid_to + dt.timedelta(days=1)), end, heir))
    for body in bodies.values():           # closed elsewhere, succeeded by one of ours
        if body.code in members or body.valid_to is None or body.valid_to >= end:
            continue
        if body.successor_code in bodies and owner(body) in members:
            out.append((body.code, max(start, body.valid_to + dt.timedelta(days=1)), end, owner(body)))
    return out


# -- summing ---------------------------------------------------------------------------------

def summary(counts):
    """The figures of a row from raw counter keys."""
    out = {name: 0 for name, _title in FIGURES}
    for (metric, _detail, _doc_type, route, urgent), n in counts.items():
        if metric == 'sent_via':
            continue
        out[metric] = out.get(metric, 0) + n
        if metric == 'received':
            out['received_paper' if route == 'paper' else 'received_electronic'] += n
        if metric == 'sent_late' and urgent:
            out['sent_late_urgent'] += n
    out['sent_on_time_pct'] = round(100.0 * (out['sent'] - out['sent_late']) / out['sent'], 1) if out['sent'] else None
    return out


def running_states():
    return [(direction, state) for direction, state, data in states_of() if data.get('deadline_runs')]


def overdue(root, code, start, end, today=None, names=False, running=None):
    """Documents of ``code`` still open whose deadline fell in ``[start, end]`` and before today
    (read from the body's state index, at the time of asking)."""
    today = today or clock.today()
    last = min(end, today - dt.timedelta(days=1)).toordinal()
    first = start.toordinal()
    if first > last:
        return [] if names else 0
    deadlines = stats_of(root).deadlines
    if not names and deadlines is not None:        # the count: the deadline roll-ups, by day
        found, day = 0, dt.date.fromordinal(first)
        while day.toordinal() <= last:
            row = R.row(deadlines, month_key(day), code)
            upto = min(month_end(day).toordinal(), last) - day.toordinal() + day.day
            found += sum(n for d, n in row.items() if day.day <= int(d) <= upto)
            day = month_end(day) + dt.timedelta(days=1)
        return found
    documents = root['bodies'][code].documents
    if documents.by_deadline is not None:
        found = [name for _d, name in documents.by_deadline.keys(min=(first, ''), max=(last, '\uffff'))]
        return found if names else len(found)
    by_state = documents.by_state        # not yet evolved: the state index, every entry read
    found = []
    for key in running if running is not None else running_states():
        filed = by_state.get(key)
        if filed is not None:
            found.extend(name for name, (_r, _a, deadline, _w) in filed.items()
                         if deadline is not None and first <= deadline <= last)
    return found if names else len(found)


def month_label(key, translate=None):
    """``Tháng 10/2026`` of a month key (``2026-10``); ``translate``: into the reader's language."""
    msg = _('stats_month', default='Tháng ${month}/${year}', mapping={'month': int(key[5:]), 'year': key[:4]})
    return (translate or i18n.translate)(msg)


def _label(root, group, key):
    if group == 'body':
        body = root['bodies'].get(key)
        return body.name if body else key
    if group == 'month':
        return month_label(key)
    if group == 'route':
        return ROUTE_TITLES.get(key, key or '—')
    return key or '—'


# How a document came in, as messages (the pages translate them; the report and the API keep
# the Vietnamese, ``ROUTE_TITLES``).
ROUTE_MESSAGES = {
    'paper': _('stats_route_paper', default='Bản giấy'),
    'manual': _('stats_route_manual', default='Nhập tay (điện tử)'),
    'hosted': _('stats_route_hosted', default='Cùng hệ thống'),
    'instance': _('stats_route_instance', default='Hệ thống khác (mạng diện rộng)'),
    'email': _('stats_route_email', default='Thư điện tử công vụ'),
    'axis': _('stats_route_axis', default='Trục liên thông văn bản quốc gia'),
    'local': _('stats_route_hosted', default='Cùng hệ thống'),
}
ROUTE_TITLES = {key: str(title.default) for key, title in ROUTE_MESSAGES.items()}


def figures(root, query, today=None, gathered=None):
    """``{'rows': [{'key', 'label', 'figures'}], 'total': figures, ...}`` for the query;
    ``gathered``: the pending events read once (``counters.Gathered``), if the caller has them."""
    stats = stats_of(root)
    gathered = Gathered(stats) if gathered is None else gathered
    today = today or clock.today()
    segs = segments(root, query.body, query.subtree, query.start, query.end)
    total, groups = {}, {}
    overdue_by = {}
    for source, s, e, owner in segs:
        if query.group == 'month':
            for key, ms, me in months_of(s, e):
                sum_rolled(stats, source, ms, me, groups.setdefault(key, {}), today, gathered)
        else:
            counts = sum_counts(stats, source, s, e, today=today, gathered=gathered) if query.group == 'type' else \
                sum_rolled(stats, source, s, e, today=today, gathered=gathered)
            if query.group == 'body':
                target = groups.setdefault(owner, {})
                for k, n in counts.items():
                    target[k] = target.get(k, 0) + n
            elif query.group in ('type', 'route'):
                index = 2 if query.group == 'type' else 3
                for k, n in counts.items():
                    target = groups.setdefault(k[index], {})
                    target[k] = target.get(k, 0) + n
    running = running_states() if query.group != 'month' else ()      # month rows show no overdue
    for source, s, e, owner in segs:
        sum_rolled(stats, source, s, e, total, today, gathered)
        if source == owner and running:
            overdue_by[owner] = overdue_by.get(owner, 0) + overdue(root, source, s, e, today, running=running)
    rows = []
    if query.group == 'body':
        for code in sorted(groups.keys() | overdue_by.keys()):
            f = summary(groups.get(code, {}))
            f['overdue_open'] = overdue_by.get(code, 0)
            rows.append({'key': code, 'label': _label(root, 'body', code), 'figures': f})
    elif query.group != 'total':
        rows = [{'key': k, 'label': _label(root, query.group, k), 'figures': summary(v)}
                for k, v in sorted(groups.items())]
    t = summary(total)
    t['overdue_open'] = sum(overdue_by.values())
    refused = {}
    for (metric, detail, *_rest), n in total.items():
        if metric == 'refused':
            refused[detail] = refused.get(detail, 0) + n
    routes = {}
    for (metric, _d, _t, route, _u), n in total.items():
        if metric == 'received':
            routes[route] = routes.get(route, 0) + n
    return {'body': query.body, 'subtree': query.subtree, 'from': query.start.isoformat(),
            'to': query.end.isoformat(), 'group': query.group, 'rows': rows, 'total': t,
            'refused_by_reason': dict(sorted(refused.items())), 'received_by_route': dict(sorted(routes.items()))}


def dashboard(root, query, today=None):
    """``(result, by month, by body)``: what the dashboard shows, each sum read once (the result
    of a ``total`` or ``body`` question is the by-body one, without its rows for ``total``)."""
    gathered = Gathered(stats_of(root))
    by_body = figures(root, Query(query.body, query.subtree, query.start, query.end, 'body'), today, gathered)
    by_month = figures(root, Query(query.body, query.subtree, query.start, query.end, 'month'), today, gathered)
    if query.group == 'body':
        result = by_body
    elif query.group == 'total':
        result = dict(by_body, group='total', rows=[])
    elif query.group == 'month':
        result = by_month
    else:
        result = figures(root, query, today, gathered)
    return result, by_month, by_body


# -- drill-down ------------------------------------------------------------------------------

def documents_behind(root, user, query, metric):
    """The documents behind a figure, that ``user`` may see: ``[doc]``."""
    return documents_behind_each(root, user, query, [metric])[metric]


def documents_behind_each(root, user, query, metrics):
    """``{metric: [doc]}``: the documents behind several figures, read in one pass over the days
    of the period (one range of ``Stats.docs``, every body at once)."""
    for metric in metrics:
        if metric not in TITLES or metric in NO_DOCUMENTS:
            raise error('metric', 'metric_unknown', _('metric_unknown', default='Không có chỉ tiêu "${metric}"',
                                                      mapping={'metric': metric}))
    bodies = root['bodies']
    found = {m: [] for m in metrics}
    ranges = {}
    for source, s, e, owner in segments(root, query.body, query.subtree, query.start, query.end):
        ranges.setdefault(source, []).append((f'D{s.isoformat()}', f'D{e.isoformat()}'))
        if 'overdue_open' in found and owner == source:
            found['overdue_open'].extend((source, n) for n in overdue(root, source, s, e, names=True))
    counted = [m for m in metrics if m != 'overdue_open']
    stats = stats_of(root)
    if counted and stats.late is not None and all(m in LATE or m == 'sent_late_urgent' for m in counted):
        for source, name in _late_behind(stats, query, ranges, counted):
            for metric in counted:
                if _matches(metric, name[0]):
                    found[metric].append((source, name[1]))
    elif counted:
        for (day, source), entries in days_between(stats, f'D{query.start.isoformat()}', f'D{query.end.isoformat()}',
                                                   {R.shard(source) for source in ranges}):
            if not any(a <= day <= b for a, b in ranges.get(source, ())):
                continue
            for entry in entries:
                for metric in counted:
                    if _matches(metric, entry_key(entry)):
                        found[metric].append((source, entry_name(entry)))
    out = {}
    for metric, pairs in found.items():
        docs, seen = [], set()
        for source, name in pairs:
            if (source, name) in seen:
                continue
            seen.add((source, name))
            doc = bodies[source].documents.get(name)
            if doc is not None and S.permits(user, doc, S.VIEW):
                docs.append(doc)
        out[metric] = docs
    return out


def _late_behind(stats, query, ranges, metrics):
    """``[(source, (key, document name))]`` of the late events in the period, from the late
    index (one tree set per month and shard of bodies), in the order of the day sets."""
    first, last = f'D{query.start.isoformat()}', f'D{query.end.isoformat()}'
    found = []
    for month in (f'M{key}' for key, _s, _e in months_of(query.start, query.end)):
        for part in sorted({R.shard(source) for source in ranges}):
            for text in late_between(stats, month, part, first, last):
                day, source, entry = R.split_late(text)
                if any(a <= day <= b for a, b in ranges.get(source, ())):
                    found.append((day, source, entry))
    found.sort()
    return [(source, (entry_key(entry), entry_name(entry))) for _day, source, entry in found]


def _matches(metric, key):
    m, _detail, _doc_type, route, urgent = key
    if metric == 'received_paper':
        return m == 'received' and route == 'paper'
    if metric == 'received_electronic':
        return m == 'received' and route != 'paper'
    if metric == 'sent_late_urgent':
        return m == 'sent_late' and urgent
    return m == metric

"""The counters of one body over a period, read from the fewest objects: whole months from the
roll-ups across bodies (``sum_counts`` with the document type, ``sum_rolled`` without it: what
the dashboard and the report group), the days at the edges of the period from their entries;
each with the shard's events not yet folded into them (``counters.month_row``).
``reports.figures`` adds them up into figures."""
import datetime as dt
import functools

from . import rollups as R
from .counters import day_entries, entry_key, month_row, month_untyped


def month_end(day):
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1) - dt.timedelta(days=1)


@functools.lru_cache(maxsize=256)
def decompose(start, end, today=None):
    """The fewest period keys covering ``[start, end]``: whole months, days at the edges. A month
    from its first day to ``today`` is whole too: nothing is counted after now (an event counts
    on the day of its journal entry), so its roll-up holds exactly those days."""
    out, day = [], start
    while day <= end:
        m_end = month_end(day)
        if day.day == 1 and (m_end <= end or today is not None and end >= today):
            out.append(f'M{day.year}-{day.month:02d}')
            day = m_end
        else:
            out.append(f'D{day.isoformat()}')
        day += dt.timedelta(days=1)
    return out


def months_of(start, end):
    day = start
    while day <= end:
        last = min(end, month_end(day))
        yield f'{day.year}-{day.month:02d}', day, last
        day = last + dt.timedelta(days=1)


def sum_counts(stats, code, start, end, into=None, today=None, gathered=None):
    """The counters of ``code`` over ``[start, end]``, with the document type: whole months from
    the roll-ups (one object per shard of bodies and month), the days at the edges from their
    entries; ``gathered``: the pending events read once (``counters.Gathered``) for many sums."""
    into = {} if into is None else into
    for pk in decompose(start, end, today):
        if pk[0] == 'M':
            for column, n in month_row(stats, pk, code, gathered).items():
                key = R.key_of(column)
                into[key] = into.get(key, 0) + n
        else:
            for entry in day_entries(stats, pk, code, gathered):
                key = entry_key(entry)
                into[key] = into.get(key, 0) + 1
    return into


def sum_rolled(stats, code, start, end, into=None, today=None, gathered=None):
    """The counters of ``code`` over ``[start, end]`` without the document type (what the
    dashboard and the report group): as ``sum_counts``, keys with an empty document type."""
    into = {} if into is None else into
    for pk in decompose(start, end, today):
        if pk[0] == 'M':
            for key, n in month_untyped(stats, pk, code, gathered).items():
                into[key] = into.get(key, 0) + n
        else:
            for entry in day_entries(stats, pk, code, gathered):
                metric, detail, _t, route, urgent = entry_key(entry)
                key = (metric, detail, '', route, urgent)
                into[key] = into.get(key, 0) + 1
    return into

"""Retention (thời hạn bảo quản): permanent (vĩnh viễn, ``None``) or a number of years from the
configured list (``archive.retention_periods``, after the national common retention table),
counted from the day a file is closed; each document type has a default
(``archive.retention_by_type``). A file is kept as long as the longest-kept of its documents.
"""
import datetime as dt

from ..i18n import _

PERMANENT = 'permanent'          # how forms and the API write "no end" (vĩnh viễn)


def label(years):
    """The period as a records office writes it."""
    if years is None:
        return _('retention_permanent', default='Vĩnh viễn')
    return _('retention_years', default='${n} năm', mapping={'n': years})


def choices(settings):
    """``[(value, label)]`` for a form: permanent first, then the configured periods."""
    return [(PERMANENT, label(None))] + [(str(n), label(n)) for n in settings.retention_periods]


def parse(value, settings):
    """A period from a form or the API (``'permanent'``, ``None`` or a configured number of
    years); raises ``ValueError`` for anything else."""
    if value is None or value == PERMANENT:
        return None
    try:
        years = int(value)
    except (TypeError, ValueError):
        raise ValueError(value) from None
    if isinstance(value, bool) or years not in settings.retention_periods:
        raise ValueError(value)
    return years


def longest(periods):
    """The longest of several periods; ``None`` (permanent) beats any number. ``periods`` must not
    be empty."""
    periods = list(periods)
    return None if any(p is None for p in periods) else max(periods)


def for_type(settings, doc_type):
    """``(known, years)``: the default period of a document type, if it has one."""
    by_type = settings.retention_by_type
    return (doc_type in by_type), by_type.get(doc_type)


def add_years(day, years):
    """``day`` plus whole years (29 February falls to 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def due_on(closed_on, years):
    """The day the retention ends: None while the file is open, and for a permanent file."""
    if closed_on is None or years is None:
        return None
    return add_years(closed_on, years)


def is_due(closed_on, years, today, horizon_days=0):
    due = due_on(closed_on, years)
    return due is not None and due <= today + dt.timedelta(days=horizon_days)

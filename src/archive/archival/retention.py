"""Retention (thời hạn bảo quản): permanent (vĩnh viễn, ``None``) or a number of years from the
configured list (``archive.retention_periods``, after the national common retention table),
counted from the day a file is closed; each document type has a default
(``archive.retention_by_type``). A file is kept as long as the longest-kept of its documents.
"""
import datetime as dt

from ..i18n import _, plural

PERMANENT = 'permanent'          # how forms and the API write "no end" (vĩnh viễn)


def label(years):
    """The period as a records office writes it."""
    if years is None:
        return _('retention_permanent', default='Vĩnh viễn')
    return plural('retention_years', years, default='${n} năm')


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


def longer(a, b):
    """Whether period ``a`` is strictly longer than ``b`` (permanent, ``None``, beats any number)."""
    if a is None:
        return b is not None
    return b is not None and a > b


def of_file(settings, entry_years, plan_entry, documents):
    """``(years, basis)`` of a file being closed: the longest of its plan entry's period and its
    documents' types' defaults, and what it was taken from, kept on the file and in the journal:
    ``{'source': 'plan_entry', 'plan_entry': code}`` or ``{'source': 'doc_type', 'doc_type': abbr,
    'document': name}`` (the first document of the type that set it). A tie stays with the entry."""
    years, basis = entry_years, {'source': 'plan_entry', 'plan_entry': plan_entry}
    for doc in documents:
        known, type_years = for_type(settings, doc.doc_type)
        if known and longer(type_years, years):
            years, basis = type_years, {'source': 'doc_type', 'doc_type': doc.doc_type, 'document': doc.__name__}
    return years, basis


def basis_label(basis, settings):
    """The basis as the file page writes it, or None for a file closed before it was kept."""
    if not basis:
        return None
    if basis.get('source') == 'doc_type':
        abbr = basis['doc_type']
        name = settings.document_types.get(abbr)
        return _('retention_basis_doc_type', default='theo thời hạn mặc định của loại văn bản ${type}',
                 mapping={'type': f'{name} ({abbr})' if name else abbr})
    return _('retention_basis_plan_entry', default='theo mục ${code} của danh mục hồ sơ',
             mapping={'code': basis.get('plan_entry')})


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

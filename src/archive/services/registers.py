"""The three registers of a body as tables (pages and exports); voiding a number is in
``workflow/voiding.py``, beside the action it may fire. The web layer makes the answer.

A register takes the search's filters (``search/filters.py``: the same names, parsing and
meaning), judged on each row's document in ZODB: the register is the legal record and must be
whole and current, which the search index (a projection a few seconds behind) cannot promise."""
from .. import clock
from ..errors import InputError, not_found
from ..i18n import _
from ..registers import series_for_kind
from ..resources import access
from ..reports import exports as X
from ..search.filters import active, count, facet_values, matches
from ..workflow.states import state_data

KINDS = {
    'incoming': (X.INCOMING_TITLE, X.INCOMING_COLUMNS),
    'outgoing': (X.OUTGOING_TITLE, X.OUTGOING_COLUMNS),
    'follow-up': (X.FOLLOW_UP_TITLE, X.FOLLOW_UP_COLUMNS),
}
FORMATS = {
    'csv': ('text/csv; charset=utf-8', X.to_csv),
    'xlsx': ('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', X.to_xlsx),
    'pdf': ('application/pdf', X.to_pdf),
}
SECRET = '(văn bản mật)'


def _d(value):
    return clock.display(value) if value else ''


def _person(users, login):
    user = users.get(login) if login else None
    return user.full_name if user is not None else (login or '')


def _type_and_abstract(types, doc):
    name = types.get(doc.doc_type, doc.doc_type)
    return f'{name}: {doc.abstract}'


def _incoming_row(types, doc, entry, users):
    receiver = ', '.join(filter(None, [_person(users, doc.main_processor), *doc.info_units]))
    return [_d(doc.received_at or entry.taken_at), str(entry.number), doc.sender or doc.organ_id,
            doc.number_symbol or '', _d(doc.issued_date), _type_and_abstract(types, doc), receiver,
            _d(doc.assigned_at), '', _void_note(entry) or (doc.notes or '')]


def _outgoing_row(types, doc, entry, users):
    return [entry.label or str(entry.number), _d(entry.taken_at if entry.void else doc.issued_date), _type_and_abstract(types, doc),
            doc.signer_name or '', '; '.join(doc.receivers or ()), doc.holder_unit or 'Lưu VT',
            str(doc.copies or ''), _d(doc.sent_at), '',
            _void_note(entry) or (doc.notes or '')]


def _follow_up_row(types, doc, entry, users, workflow_title):
    reply = ''
    if doc.reply:
        answer = doc.__parent__.get(doc.reply[1])
        reply = answer.number_symbol if answer is not None and answer.number_symbol else doc.reply[1]
    name = types.get(doc.doc_type, doc.doc_type)      # "Tên loại": the name, as the incoming register
    described = f'{name} {doc.number_symbol or ""} {_d(doc.issued_date)} {doc.sender or doc.organ_id}'
    return [str(entry.number), ' '.join(described.split()), _person(users, doc.main_processor),
            _d(doc.deadline), workflow_title, reply, _void_note(entry) or (doc.notes or '')]


def _void_note(entry):
    return f'Số đã hủy: {entry.void_reason}' if entry.void else ''


def register_table(root, user, registry, body, kind, year=None, secret=False, filters=None):
    return filtered_register(root, user, registry, body, kind, year, secret, filters)[0]


def filtered_register(root, user, registry, body, kind, year=None, secret=False, filters=None):
    """``(table, facet counts)``: one register of ``body`` for a year (default: this year), rows
    in number order, as ``user`` reads it, those the ``filters`` let through
    (``search.filters.read_filters``); ``Unknown`` (404) for a kind that is not a register,
    ``InputError`` for a bad year.

    Mật documents keep registers of their own (``secret``); a row the reader may not
    see keeps its number and hides the rest, so the register shows no gap. A filtered register
    is a selection: it leaves out the rows the reader may not see (judging them would tell
    what they hold). The counts are of the rows shown, as the search counts its results.
    """
    if kind not in KINDS:
        raise not_found()
    try:
        year = int(year) if year not in (None, '') else clock.today().year
        if not 1900 <= year <= 2200:
            raise ValueError(year)
    except ValueError:
        raise InputError([{'field': 'year', 'code': 'year_invalid',
                           'message': _('year_invalid', default='Năm không hợp lệ')}])
    title, columns = KINDS[kind]
    users = root['users']
    types = registry.archive_settings.document_types
    rows, seen = [], []
    judge = active(filters)
    for series in series_for_kind(body, 'outgoing' if kind == 'outgoing' else 'incoming', year):
        if series.key.split('/')[1].endswith('-mat') != bool(secret):
            continue
        for entry in series.entries.values():
            doc = body.documents.get(entry.document)
            if doc is None or not access.user_may_see(user, doc):
                if not judge:
                    rows.append(_hidden_row(kind, columns, entry))
                continue
            values = facet_values(doc)
            if judge and not matches(filters, values):
                continue
            seen.append(values)
            if kind == 'incoming':
                rows.append(_incoming_row(types, doc, entry, users))
            elif kind == 'outgoing':
                rows.append(_outgoing_row(types, doc, entry, users))
            else:
                rows.append(_follow_up_row(types, doc, entry, users, state_data(doc, registry).get('title', doc.state)))
    subtitle = f'{body.name} ({body.code}) — năm {year}' + (' — văn bản mật' if secret else '') + (
        ' — bản lọc' if judge else '')
    return X.Table(title, subtitle, columns, rows, generated_at=clock.iso(clock.now())), count(seen)


def _hidden_row(kind, columns, entry):
    """A row the reader may not see: the number stays (no gap), the content does not."""
    row = [''] * len(columns)
    row[1 if kind == 'incoming' else 0] = str(entry.number)
    row[-1] = SECRET
    return row


def export(table, kind, fmt):
    """``(bytes, media type, file name)`` of the register ``table`` of ``kind`` in ``fmt``
    (csv, xlsx, pdf); ``InputError`` for another format."""
    if fmt not in FORMATS:
        raise InputError([{'field': 'format', 'code': 'format_unknown',
                           'message': _('format_unknown', default='Định dạng phải là csv, xlsx hoặc pdf')}])
    media_type, render = FORMATS[fmt]
    return render(table), media_type, f"{kind}-{table.subtitle.split('năm ')[-1]}.{fmt}"

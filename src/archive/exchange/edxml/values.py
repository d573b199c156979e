"""The values edXML writes as text: number and symbol, ``DocumentId``, dates and timestamps (the
forms are in the package docstring). Reading is tolerant of what other senders write."""
import datetime as dt
import re
from typing import NamedTuple

from ...clock import to_vn
from ...schemas.symbol import parse as parse_symbol
from ...schemas.types import nfc


def split_number_symbol(text, known_types=None):
    """``'917-TTr/VPTU'`` → ``('917', 'TTr/VPTU')``; ``'15/QĐ-BNV'`` → ``('15', 'QĐ-BNV')``; else None."""
    parsed = parse_symbol(text, known_types)
    if parsed is None:
        return None
    notation = parsed.notation
    return parsed.text[:-len(notation) - 1], notation


def join_number_symbol(number, notation, form=None):
    """The number and symbol as written; ``form`` ('party' or 'state') is told from the notation if omitted."""
    if form is None:
        form = 'party' if '/' in notation else 'state'
    if form not in ('party', 'state'):
        raise ValueError(f'unknown form {form!r}')
    return f'{number}{"-" if form == "party" else "/"}{notation}'


class DocumentIdParts(NamedTuple):
    organ_id: str
    date: dt.date
    number: str
    notation: str


_DOCUMENT_ID = re.compile(r'(?P<organ>[^,\s]+),(?P<date>\d{4}/\d{2}/\d{2}),(?P<number>\d{1,11})/(?P<notation>\S+)')


def document_id(organ_id, date, number, notation):
    return f'{organ_id},{_date(date)},{number}/{notation}'


def parse_document_id(text):
    """The parts of ``<OrganId>,<yyyy/MM/dd>,<number>/<notation>``, or None (a UUID, say)."""
    m = _DOCUMENT_ID.fullmatch(nfc(text or '').strip())
    if not m:
        return None
    try:
        day = dt.datetime.strptime(m['date'], '%Y/%m/%d').date()
    except ValueError:
        return None
    return DocumentIdParts(m['organ'], day, m['number'], m['notation'])


# ---------------------------------------------------------------- dates

def _date(value):
    return f'{value.year:04d}/{value.month:02d}/{value.day:02d}' if value is not None else ''


def _timestamp(value):
    if value is None:
        return ''
    value = to_vn(value)
    return f'{_date(value)} {value.hour:02d}:{value.minute:02d}:{value.second:02d}'


_STD_DATE = re.compile(r'\d{4}/\d{2}/\d{2}')
_STD_TIMESTAMP = re.compile(r'\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}')
# what senders write: yyyy/MM/dd, yyyy-MM-dd, dd/MM/yyyy, with or without a time and a zone
_WHEN = re.compile(r'''
    (?: (?P<y>\d{4})[/-](?P<m>\d{1,2})[/-](?P<d>\d{1,2})
      | (?P<d2>\d{1,2})[/-](?P<m2>\d{1,2})[/-](?P<y2>\d{4}) )
    (?: (?:[ ]+|T) (?P<H>\d{1,2}):(?P<M>\d{2}) (?::(?P<S>\d{2})(?:[.,]\d{1,9})?)? )?
    \s* (?P<z>Z|[+-]\d{2}(?::?\d{2})?)?
''', re.X)


def _when(text):
    """``(date, time or None, tzinfo or None)`` or None when unreadable."""
    m = _WHEN.fullmatch(text)
    if not m:
        return None
    y, mo, d = (m['y'], m['m'], m['d']) if m['y'] else (m['y2'], m['m2'], m['d2'])
    try:
        day = dt.date(int(y), int(mo), int(d))
        time = dt.time(int(m['H']), int(m['M']), int(m['S'] or 0)) if m['H'] else None
        zone = None
        if m['z'] == 'Z':
            zone = dt.timezone.utc
        elif m['z']:
            digits = m['z'][1:].replace(':', '')
            offset = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
            zone = dt.timezone(-offset if m['z'][0] == '-' else offset)
    except ValueError:
        return None
    return day, time, zone



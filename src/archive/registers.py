"""Registers and numbers (sổ đăng ký): gap-free series per body, kind, name, type and period.

A series hands out numbers from a plain persistent counter. Two transactions that
take a number from the same series at once both change the counter; the second
to commit gets a ConflictError and is retried, so numbers are never merged (a
``BTrees.Length`` would resolve the conflict and hand out the same number twice).
A number is never reused: voiding marks the entry, which stays in the register.
"""
import datetime as dt
import re
from dataclasses import dataclass

from BTrees.IOBTree import IOBTree
from persistent import Persistent

from . import clock
from .errors import Conflict
from .i18n import _

DEFAULT_RULES = '* incoming den * year\n* outgoing di * year'
_TERM = re.compile(r'^term:(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$')


@dataclass(frozen=True)
class Rule:
    body: str        # identifier code or '*'
    kind: str        # 'incoming' or 'outgoing'
    series: str
    doc_type: str    # abbreviation or '*'
    period: str      # 'year' or 'term:START..END'

    def specificity(self):
        return (self.body != '*', self.doc_type != '*')


def parse_rules(text):
    """``archive.numbering``: one rule a line, ``<body|*> <kind> <series> <type|*> <year|term:A..B>``."""
    rules = []
    for line in (text or DEFAULT_RULES).splitlines():
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        parts = line.split()
        if len(parts) != 5 or parts[1] not in ('incoming', 'outgoing') or not (
                parts[4] == 'year' or _TERM.match(parts[4])):
            raise ValueError(f'archive.numbering: cannot read the rule {line!r}')
        rules.append(Rule(*parts))
    return rules


def period_label(period, on):
    """The period a date falls in: the calendar year, or the committee term that contains it."""
    if period == 'year':
        return str(on.year)
    start, end = (dt.date.fromisoformat(d) for d in _TERM.match(period).groups())
    if not start <= on <= end:
        raise Conflict('no_numbering_period', _(
            'no_numbering_period', default='Ngày ${date} nằm ngoài nhiệm kỳ đánh số ${period}',
            mapping={'date': on.isoformat(), 'period': period}))
    return f'{start.isoformat()}..{end.isoformat()}'


def resolve(rules, body_code, kind, doc_type, classification, on):
    """The series key for a document: the most specific rule; Mật keeps a series of its own."""
    matching = [r for r in rules if r.kind == kind and r.body in ('*', body_code)
                and r.doc_type in ('*', doc_type)]
    if not matching:
        raise Conflict('no_numbering_rule', _(
            'no_numbering_rule', default='Chưa cấu hình sổ đăng ký cho loại văn bản này'))
    rule = max(matching, key=Rule.specificity)
    series = rule.series + ('-mat' if classification == 'mat' else '')
    type_part = rule.doc_type
    return f'{kind}/{series}/{type_part}/{period_label(rule.period, on)}', rule


class RegisterEntry(Persistent):
    def __init__(self, number, document, at, by):
        self.number = number
        self.label = None             # the number and symbol as issued (outgoing)
        self.document = document      # the document's name in the body's documents
        self.taken_at = at
        self.taken_by = by
        self.void = False
        self.void_reason = None
        self.voided_at = None
        self.voided_by = None


class Series(Persistent):
    def __init__(self, key, kind):
        self.key = key
        self.kind = kind
        self.last = 0                 # plain integer: conflicts are retried, never merged
        self.entries = IOBTree()

    def take(self, document, by):
        number = self.last + 1
        self.last = number
        self.entries[number] = RegisterEntry(number, document, clock.now(), by)
        return number

    def void(self, number, reason, by):
        entry = self.entries.get(number)
        if entry is None:
            raise Conflict('number_unknown', _('number_unknown', default='Không có số ${n} trong sổ',
                                               mapping={'n': number}))
        if entry.void:
            raise Conflict('number_already_void', _(
                'number_already_void', default='Số ${n} đã bị hủy trước đó', mapping={'n': number}))
        entry.void = True
        entry.void_reason = reason
        entry.voided_at = clock.now()
        entry.voided_by = by
        return entry


def series_of(body, key, kind):
    series = body.registers.get(key)
    if series is None:
        series = body.registers[key] = Series(key, kind)
    return series


def take_number(body, kind, doc, by, rules, on=None):
    key, _rule = resolve(rules, body.code, kind, doc.doc_type, doc.classification, on or clock.today())
    series = series_of(body, key, kind)
    return key, series.take(doc.__name__, by)


def series_for_kind(body, kind, year=None):
    """The body's series of one kind (optionally those of a year), newest period first."""
    found = [s for s in body.registers.values() if s.kind == kind]
    if year is not None:
        found = [s for s in found if s.key.split('/')[-1].startswith(str(year))]
    return sorted(found, key=lambda s: s.key, reverse=True)

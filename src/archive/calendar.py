"""The working-day calendar of a body (Art. 6.3): processing deadlines and timeliness flags.

A day is a working day when, in this order of precedence:

1. an administrator override says so (``DAY_OFF`` or ``WORKING_DAY``, each with a reason);
2. it is not a public holiday of ``holiday_country`` (the ``holidays`` library: Tết, 30/4, 1/5,
   2/9, observed days, and the government's swapped days off for the public sector, whose
   make-up weekend days the library lists as working days);
3. its weekday is one of ``working_days`` (Monday-Friday by default).

Counting rule (``add_working_days``): the day of receipt does not count; the count starts on
the day after, as is the usual Vietnamese practice ("tính từ ngày tiếp theo ngày nhận").

Every datetime is timezone-aware and handled in Vietnam time (``clock.VN``, a fixed +07:00
offset that ZODB can pickle); naive datetimes are refused.
"""
from __future__ import annotations

import datetime as _dt
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import holidays as _holidays
from BTrees.OOBTree import OOBTree
from persistent import Persistent

from archive import clock

DAY_OFF = 'day_off'             # an extra day off (e.g. a swapped day)
WORKING_DAY = 'working_day'     # a make-up working day (e.g. a Saturday that is worked)
OVERRIDE_KINDS = (DAY_OFF, WORKING_DAY)

WEEKDAY_NAMES = ('mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun')
DEFAULT_WORKING_DAYS = frozenset(range(5))
DEFAULT_WORKING_HOURS = ((_dt.time(7, 30), _dt.time(11, 30)), (_dt.time(13, 0), _dt.time(17, 0)))
DEFAULT_SEND_CUTOFF = _dt.time(12, 0)
DEFAULT_COUNTRY = 'VN'

# How far a search for the next working day may go before the calendar is declared broken
# (ten years of days without a single working day).
_MAX_SEARCH_DAYS = 3660

_ONE_DAY = _dt.timedelta(days=1)
_ZERO = _dt.timedelta(0)


# --- public holidays ---------------------------------------------------------------------

@functools.lru_cache(maxsize=256)
def _public_days(country, year, language='vi'):
    """One year's public holidays and make-up weekend workdays, frozen so threads can share them."""
    table = _holidays.country_holidays(country, years=year, language=language)
    days_off = {day: name for day, name in table.items() if day.year == year}
    workdays = frozenset(d for d in getattr(table, 'weekend_workdays', ()) if d.year == year)
    return days_off, workdays


def _check_country(country, key='archive.holiday_country'):
    """A country code the ``holidays`` library knows, upper-cased; anything else is refused."""
    code = country.strip().upper() if isinstance(country, str) else ''
    try:
        _holidays.country_holidays(code)    # loads that country alone: listing them all takes 0.1-0.3 s
    except NotImplementedError:
        raise ValueError(f'{key} = {country!r}: not a country the holidays '
                         'library supports (an ISO 3166 code such as VN)') from None
    return code


# --- overrides -----------------------------------------------------------------------------

class CalendarOverrides(Persistent):
    """The administrator's extra days off and make-up working days, kept in the ZODB.

    A mapping ``date -> (kind, reason)``; the calendar functions read it through ``get``,
    so a plain dict of the same shape works as well (tests).
    """

    def __init__(self):
        self._days = OOBTree()

    def set(self, day, kind, reason):
        """Record an override; a reason is required so the register can explain the day."""
        self._days[_as_date(day)] = _check_override(day, (kind, reason))

    def set_day_off(self, day, reason):
        """Make ``day`` a day off (e.g. the weekday of a government swap)."""
        self.set(day, DAY_OFF, reason)

    def set_working_day(self, day, reason):
        """Make ``day`` a working day (e.g. the Saturday worked in exchange)."""
        self.set(day, WORKING_DAY, reason)

    def remove(self, day):
        """Drop the override of ``day``, if any; returns whether there was one."""
        day = _as_date(day)
        if day in self._days:
            del self._days[day]
            return True
        return False

    def get(self, day, default=None):
        """The ``(kind, reason)`` of ``day`` or ``default``: the read the calendar needs."""
        return self._days.get(day, default)

    def __getitem__(self, day):
        return self._days[day]

    def __contains__(self, day):
        return day in self._days

    def __iter__(self):
        return iter(self._days.keys())

    def __len__(self):
        return len(self._days)

    def items(self, start=None, end=None):
        """The overrides in date order, optionally from ``start`` to ``end`` inclusive (listings)."""
        return list(self._days.items(min=start, max=end))


def _check_override(day, value):
    """Validate one ``(kind, reason)`` pair, naming the day in the error."""
    try:
        kind, reason = value
    except (TypeError, ValueError):
        raise ValueError(f'override for {day}: expected (kind, reason), got {value!r}') from None
    if kind not in OVERRIDE_KINDS:
        raise ValueError(f'override for {day}: kind must be one of {OVERRIDE_KINDS}, got {kind!r}')
    if not isinstance(reason, str) or not reason.strip():
        raise ValueError(f'override for {day}: a reason is required')
    return (kind, reason.strip())


# --- the calendar value -----------------------------------------------------------------------

@dataclass(frozen=True)
class Calendar:
    """A body's working-day rules: weekdays, hours, holiday country, overrides, send cut-off."""

    working_days: frozenset = DEFAULT_WORKING_DAYS      # weekday numbers, Monday = 0
    working_hours: tuple = DEFAULT_WORKING_HOURS        # ((start, end), ...) as datetime.time, sorted
    holiday_country: str = DEFAULT_COUNTRY
    send_cutoff: _dt.time = DEFAULT_SEND_CUTOFF
    overrides: Mapping = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self):
        days = frozenset(self.working_days)
        if not days or not days <= set(range(7)):
            raise ValueError(f'working_days must be a non-empty set of weekdays 0-6, got {sorted(days)}')
        object.__setattr__(self, 'working_days', days)
        object.__setattr__(self, 'working_hours', _check_hours(tuple(self.working_hours)))
        object.__setattr__(self, 'holiday_country', _check_country(self.holiday_country, 'holiday_country'))
        if not isinstance(self.send_cutoff, _dt.time) or self.send_cutoff.tzinfo is not None:
            raise ValueError(f'send_cutoff must be a datetime.time without tzinfo, got {self.send_cutoff!r}')

    @classmethod
    def from_settings(cls, settings, overrides=None):
        """Build from the ``archive.*`` keys of the .ini, refusing bad values by key and value."""
        return cls(
            working_days=parse_working_days(settings.get('archive.working_days')),
            working_hours=parse_working_hours(settings.get('archive.working_hours')),
            holiday_country=_check_country(settings.get('archive.holiday_country') or DEFAULT_COUNTRY),
            send_cutoff=parse_send_cutoff(settings.get('archive.send_cutoff')),
            overrides=overrides if overrides is not None else {},
        )

    def with_overrides(self, overrides):
        """The same rules with the administrator's overrides (e.g. the ZODB root's) attached."""
        return replace(self, overrides=overrides if overrides is not None else {})


def _check_hours(intervals):
    """Working-hour intervals must be non-empty, each start < end, sorted and non-overlapping."""
    if not intervals:
        raise ValueError('working_hours must hold at least one interval')
    previous_end = None
    for interval in intervals:
        start, end = interval
        if not (isinstance(start, _dt.time) and isinstance(end, _dt.time)):
            raise ValueError(f'working_hours: {interval!r} is not a pair of datetime.time')
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError('working_hours are wall-clock times in Vietnam time, without tzinfo')
        if not start < end:
            raise ValueError(f'working_hours: {start}-{end} does not end after it starts')
        if previous_end is not None and start < previous_end:
            raise ValueError(f'working_hours: {start}-{end} overlaps or precedes the interval before it')
        previous_end = end
    return intervals


def parse_working_days(value, key='archive.working_days'):
    """``mon tue wed thu fri`` (spaces or commas, any case) -> weekday numbers; blank -> Mon-Fri."""
    words = [w for w in re.split(r'[\s,]+', (value or '').strip().lower()) if w]
    if not words:
        return DEFAULT_WORKING_DAYS
    days = set()
    for word in words:
        if word not in WEEKDAY_NAMES:
            raise ValueError(f'{key} = {value!r}: unknown weekday {word!r} '
                             f'(use {" ".join(WEEKDAY_NAMES)})')
        days.add(WEEKDAY_NAMES.index(word))
    return frozenset(days)


def parse_working_hours(value, key='archive.working_hours'):
    """``07:30-11:30 13:00-17:00`` -> sorted (start, end) pairs; blank -> the default hours."""
    tokens = [t for t in re.split(r'[\s,]+', (value or '').strip()) if t]
    if not tokens:
        return DEFAULT_WORKING_HOURS
    intervals = []
    for token in tokens:
        match = re.fullmatch(r'(\d{1,2}:\d{2})-(\d{1,2}:\d{2})', token)
        if not match:
            raise ValueError(f'{key} = {value!r}: {token!r} is not HH:MM-HH:MM')
        try:
            start, end = (_parse_hhmm(part) for part in match.groups())
        except ValueError:
            raise ValueError(f'{key} = {value!r}: {token!r} is not a valid time range') from None
        intervals.append((start, end))
    intervals.sort()
    try:
        return _check_hours(tuple(intervals))
    except ValueError as error:
        raise ValueError(f'{key} = {value!r}: {error}') from None


def parse_send_cutoff(value, key='archive.send_cutoff'):
    """``12:00`` -> the time of day by which a document signed the day before must be sent."""
    text = (value or '').strip()
    if not text:
        return DEFAULT_SEND_CUTOFF
    try:
        return _parse_hhmm(text)
    except ValueError:
        raise ValueError(f'{key} = {value!r}: not a time HH:MM') from None


def _parse_hhmm(text):
    hours, minutes = text.split(':')
    return _dt.time(int(hours), int(minutes))


# --- pure functions ---------------------------------------------------------------------------

def _as_date(value):
    """A date as given, or the Vietnam-time date of an aware datetime (naive ones are refused)."""
    if isinstance(value, _dt.datetime):
        return clock.to_vn(value).date()
    if isinstance(value, _dt.date):
        return value
    raise TypeError(f'expected a date or an aware datetime, got {value!r}')


def describe_day(cal, day, language='vi'):
    """``(is_working, reason)`` so screens can say why a day does not count (holiday name, override)."""
    day = _as_date(day)
    override = cal.overrides.get(day)
    if override is not None:
        kind, reason = _check_override(day, override)
        return kind == WORKING_DAY, reason
    days_off, workdays = _public_days(cal.holiday_country, day.year, language)
    if day in days_off:
        return False, days_off[day]
    if day in workdays:
        return True, None
    return day.weekday() in cal.working_days, None


def is_working_day(cal, day):
    """Whether ``day`` counts for deadlines: override, then public holiday, then weekday."""
    day = _as_date(day)
    override = cal.overrides.get(day)
    if override is not None:
        return _check_override(day, override)[0] == WORKING_DAY
    days_off, workdays = _public_days(cal.holiday_country, day.year)
    if day in days_off:
        return False
    return day in workdays or day.weekday() in cal.working_days


def next_working_day(cal, day):
    """The first working day strictly after ``day``: where a count or a cut-off moves to."""
    return add_working_days(cal, day, 1)


def previous_working_day(cal, day):
    """The last working day strictly before ``day`` (for counting back from a due date)."""
    return add_working_days(cal, day, -1)


def add_working_days(cal, day, n):
    """The date ``n`` working days after ``day``, the start day not counting (Friday + 2 -> Tuesday).

    ``n == 0`` returns ``day`` itself; a negative ``n`` counts back the same way.
    """
    day = _as_date(day)
    step = _ONE_DAY if n >= 0 else -_ONE_DAY
    remaining = abs(int(n))
    idle = 0
    while remaining:
        day += step
        if is_working_day(cal, day):
            remaining -= 1
            idle = 0
        else:
            idle += 1
            if idle > _MAX_SEARCH_DAYS:
                raise ValueError('the calendar has no working day within ten years')
    return day


def working_day_end(cal, day):
    """The end of the last working interval of ``day``: the moment a day-based deadline expires."""
    return _at(_as_date(day), cal.working_hours[-1][1])


def _at(day, time):
    return _dt.datetime.combine(day, time, tzinfo=clock.VN)


def _intervals(cal, day):
    """The working intervals of ``day`` as aware datetimes; none on a day that is not worked."""
    if not is_working_day(cal, day):
        return ()
    return tuple((_at(day, start), _at(day, end)) for start, end in cal.working_hours)


def working_time_between(cal, start, end=None):
    """Working time from ``start`` to ``end`` (default: now), e.g. "khẩn not registered in 1 working hour".

    Only time inside working hours of working days counts; ``end <= start`` gives zero.
    """
    start = clock.to_vn(start)
    end = clock.to_vn(end) if end is not None else clock.now()
    if end <= start:
        return _ZERO
    total = _ZERO
    day = start.date()
    while day <= end.date():
        for begin, finish in _intervals(cal, day):
            low, high = max(begin, start), min(finish, end)
            if high > low:
                total += high - low
        day += _ONE_DAY
    return total


def add_working_time(cal, start, delta):
    """The moment ``delta`` of working time has elapsed after ``start`` (working-hour deadlines).

    A deadline that uses up an interval exactly ends at that interval's end (11:30, not 13:00).
    The around-the-clock variant (e.g. for hỏa tốc) needs no calendar: ``start + delta``.
    """
    start = clock.to_vn(start)
    if delta < _ZERO:
        raise ValueError('add_working_time needs a non-negative duration')
    if delta == _ZERO:
        return start
    remaining = delta
    day = start.date()
    idle = 0
    while True:
        intervals = _intervals(cal, day)
        for begin, finish in intervals:
            if finish <= start:
                continue
            begin = max(begin, start)
            available = finish - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        idle = 0 if intervals else idle + 1
        if idle > _MAX_SEARCH_DAYS:
            raise ValueError('the calendar has no working day within ten years')
        day += _ONE_DAY


def send_deadline(cal, signed_at, cutoff=None):
    """The latest time to send an outgoing document (Art. 6.3): the next working day's cut-off.

    Art. 6.3 asks for sending on the day of signing and at the latest on the morning of the
    next working day; ``cutoff`` (default ``cal.send_cutoff``, 12:00) bounds that morning.
    """
    signed = clock.to_vn(signed_at)
    return _at(next_working_day(cal, signed.date()), cutoff if cutoff is not None else cal.send_cutoff)


def sending_limit(cal, signed_at, urgency, urgent_window):
    """The latest time to send (Art. 6.3): a khẩn or more urgent document (``urgency`` not
    'normal'/None) within ``urgent_window`` (a timedelta, wall-clock) of the organisation
    signature, "right after signing"; any other by the next working morning (``send_deadline``)."""
    if urgency and urgency != 'normal':
        return clock.to_vn(signed_at) + urgent_window
    return send_deadline(cal, signed_at)

"""The one clock: Vietnam time (UTC+07:00), ISO 8601 on every surface (Art. 13).

Everything that needs "now" asks this module, so tests can set the time.
"""
import datetime as _dt

# A fixed +07:00 offset, not ZoneInfo('Asia/Ho_Chi_Minh'): Vietnam keeps no summer
# time, and ZODB cannot pickle ZoneInfo objects in stored datetimes.
VN = _dt.timezone(_dt.timedelta(hours=7))

_fixed = None


def now():
    """The current time, timezone-aware, in Vietnam time."""
    if _fixed is not None:
        return _fixed
    return _dt.datetime.now(VN)


def today():
    return now().date()


def set_now(value):
    """Fix the clock (tests); ``None`` lets it run again."""
    global _fixed
    if value is not None and value.tzinfo is None:
        raise ValueError('the clock needs a timezone-aware time')
    _fixed = value.astimezone(VN) if value is not None else None


def to_vn(value):
    """An aware datetime converted to Vietnam time; naive ones are refused."""
    if value.tzinfo is None:
        raise ValueError('naive datetime: a time zone is required')
    return value.astimezone(VN)


def iso(value):
    """ISO 8601 in Vietnam time, seconds precision: ``2026-11-24T09:30:00+07:00``."""
    if value is None:
        return None
    if isinstance(value, _dt.datetime):
        if value.tzinfo == VN:      # in Vietnam time already, as stored (a +07:00 offset): as it is
            return value.isoformat(timespec='seconds')
        return to_vn(value).isoformat(timespec='seconds')
    return value.isoformat()


def parse_iso(text):
    """Parse an ISO 8601 date-time that carries its zone; a time without one is an error."""
    value = _dt.datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        raise ValueError('the date-time has no time zone')
    return value.astimezone(VN)


def display(value):
    """The short form shown in tables: ``24/11/2026 09:30`` in Vietnam time."""
    if value is None:
        return ''
    if isinstance(value, _dt.datetime):
        return to_vn(value).strftime('%d/%m/%Y %H:%M')
    return value.strftime('%d/%m/%Y')

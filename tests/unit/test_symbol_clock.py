"""Number and symbol parsing; the clock's ISO 8601 in Vietnam time."""
import datetime as dt
import unicodedata

import pytest

from archive import clock
from archive.schemas.symbol import parse

KNOWN = {'TTr', 'QĐ', 'QĐi', 'HD', 'CV', 'NQ'}


@pytest.mark.parametrize('text,number,type_abbr,issuer,form,notation', [
    ('917-TTr/VPTU', 917, 'TTr', 'VPTU', 'party', 'TTr/VPTU'),
    ('02-QĐi/TU', 2, 'QĐi', 'TU', 'party', 'QĐi/TU'),
    ('234-CV/BTGTU', 234, 'CV', 'BTGTU', 'party', 'CV/BTGTU'),
    ('15/QĐ-BNV', 15, 'QĐ', 'BNV', 'state', 'QĐ-BNV'),
    ('7816/VPCP-TTĐT', 7816, 'CV', 'VPCP-TTĐT', 'state', 'VPCP-TTĐT'),   # công văn: issuer-unit
    ('05/BNV-VP', 5, 'CV', 'BNV-VP', 'state', 'BNV-VP'),
])
def test_both_forms_parse(text, number, type_abbr, issuer, form, notation):
    parsed = parse(text, KNOWN)
    assert (parsed.number, parsed.type_abbr, parsed.issuer, parsed.form, parsed.notation) == (
        number, type_abbr, issuer, form, notation)


@pytest.mark.parametrize('text', ['', 'TTr/VPTU', '917 TTr VPTU', '917-TTr', 'abc-TTr/VPTU', '917-TTr/VP TU',
                                  '12345678901234-TTr/VPTU'])
def test_malformed_is_refused(text):
    assert parse(text, KNOWN) is None


def test_decomposed_input_is_normalised():
    parsed = parse(unicodedata.normalize('NFD', '15/QĐ-BNV'), KNOWN)
    assert parsed.type_abbr == 'QĐ' and parsed.text == '15/QĐ-BNV'


def test_iso_is_vietnam_time():
    utc = dt.datetime(2026, 11, 24, 2, 30, tzinfo=dt.timezone.utc)
    assert clock.iso(utc) == '2026-11-24T09:30:00+07:00'
    assert clock.parse_iso('2026-11-24T02:30:00Z') == utc
    with pytest.raises(ValueError):
        clock.parse_iso('2026-11-24T09:30:00')
    with pytest.raises(ValueError):
        clock.to_vn(dt.datetime(2026, 11, 24, 9, 30))


def test_iso_of_a_time_stored_in_vietnam_time_is_the_same_without_conversion():
    """``iso`` writes a +07:00 time as it is (a stored one's zone is an equal, not the same,
    object), with the same text as converting it would give; other zones are converted, naive
    times refused."""
    import pickle
    from zoneinfo import ZoneInfo
    stored = pickle.loads(pickle.dumps(dt.datetime(2026, 11, 24, 9, 30, 15, 999999, tzinfo=clock.VN)))
    assert stored.tzinfo is not clock.VN and stored.tzinfo == clock.VN
    assert clock.iso(stored) == clock.to_vn(stored).isoformat(timespec='seconds') == '2026-11-24T09:30:15+07:00'
    for zone in (dt.timezone(dt.timedelta(hours=-5)), ZoneInfo('Asia/Ho_Chi_Minh'), ZoneInfo('Europe/Paris')):
        other = dt.datetime(2026, 11, 24, 23, 30, tzinfo=zone)
        assert clock.iso(other) == other.astimezone(clock.VN).isoformat(timespec='seconds')
    assert clock.iso(dt.datetime(2026, 11, 24, 9, 30, tzinfo=ZoneInfo('Asia/Ho_Chi_Minh'))) == '2026-11-24T09:30:00+07:00'
    with pytest.raises(ValueError):
        clock.iso(dt.datetime(2026, 11, 24, 9, 30))


def test_the_clock_can_be_set():
    fixed = dt.datetime(2026, 1, 1, 8, 0, tzinfo=clock.VN)
    clock.set_now(fixed)
    try:
        assert clock.now() == fixed and clock.today() == dt.date(2026, 1, 1)
    finally:
        clock.set_now(None)
    assert clock.now() != fixed

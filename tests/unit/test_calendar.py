"""The working-day calendar (Art. 6.3) on real Vietnamese dates, as the holidays library gives them."""
import datetime as dt

import pytest
import transaction
import ZODB

from archive import clock
from archive.calendar import (
    DAY_OFF, WORKING_DAY, Calendar, CalendarOverrides, add_working_days, add_working_time,
    describe_day, is_working_day, next_working_day, previous_working_day, send_deadline,
    working_day_end, working_time_between,
)

D = dt.date
H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)
CAL = Calendar()


def vn(y, mo, d, h=0, mi=0):
    return dt.datetime(y, mo, d, h, mi, tzinfo=clock.VN)


def days_off(cal, start, end):
    day, out = start, []
    while day <= end:
        if not is_working_day(cal, day):
            out.append(day)
        day += dt.timedelta(days=1)
    return out


# --- public holidays, as holidays gives them for VN ----------------------------------------

def test_tet_2026_is_monday_16_to_friday_20_february():
    # Giao thừa (16/2) to mùng 4 (20/2): five weekdays; with the weekends, 14/2-22/2 off.
    assert days_off(CAL, D(2026, 2, 9), D(2026, 2, 27)) == [
        D(2026, 2, 14), D(2026, 2, 15), D(2026, 2, 16), D(2026, 2, 17), D(2026, 2, 18),
        D(2026, 2, 19), D(2026, 2, 20), D(2026, 2, 21), D(2026, 2, 22)]
    assert describe_day(CAL, D(2026, 2, 17)) == (False, 'Tết Nguyên Đán')
    assert describe_day(CAL, D(2026, 2, 16)) == (False, 'Giao thừa Tết Nguyên Đán')
    assert add_working_days(CAL, D(2026, 2, 13), 1) == D(2026, 2, 23)


def test_30_april_and_1_may_2026_with_hung_kings_observed():
    # Giỗ Tổ 26/4 falls on a Sunday: observed Monday 27/4; 30/4 and 1/5 are Thursday and Friday.
    assert days_off(CAL, D(2026, 4, 24), D(2026, 5, 4)) == [
        D(2026, 4, 25), D(2026, 4, 26), D(2026, 4, 27), D(2026, 4, 30), D(2026, 5, 1),
        D(2026, 5, 2), D(2026, 5, 3)]
    assert describe_day(CAL, D(2026, 4, 30)) == (False, 'Ngày Chiến thắng')
    assert describe_day(CAL, D(2026, 5, 1)) == (False, 'Ngày Quốc tế Lao động')
    assert add_working_days(CAL, D(2026, 4, 29), 1) == D(2026, 5, 4)


def test_2_september_2026_with_the_governments_swapped_day():
    # 1/9 and 2/9 are the two National Day holidays; Monday 31/8 is off in exchange for
    # Saturday 22/8, which the library lists as a make-up working day.
    assert days_off(CAL, D(2026, 8, 28), D(2026, 9, 4)) == [
        D(2026, 8, 29), D(2026, 8, 30), D(2026, 8, 31), D(2026, 9, 1), D(2026, 9, 2)]
    assert is_working_day(CAL, D(2026, 8, 22))                       # a Saturday, worked
    assert not is_working_day(CAL, D(2026, 8, 29))                   # an ordinary Saturday
    assert describe_day(CAL, D(2026, 9, 2)) == (False, 'Quốc khánh')
    assert describe_day(CAL, D(2026, 8, 31)) == (False, 'Ngày nghỉ (thay cho ngày 22/08/2026)')
    assert add_working_days(CAL, D(2026, 8, 28), 1) == D(2026, 9, 3)
    assert add_working_days(CAL, D(2026, 8, 21), 1) == D(2026, 8, 22)


def test_a_holiday_on_a_saturday_is_observed_on_monday():
    assert not is_working_day(CAL, D(2027, 5, 3))        # 1/5/2027 is a Saturday
    assert is_working_day(CAL, D(2027, 5, 4))


def test_new_years_day_and_vietnam_cultural_day_2026():
    assert not is_working_day(CAL, D(2026, 1, 1))
    assert not is_working_day(CAL, D(2026, 11, 24))
    assert is_working_day(CAL, D(2026, 11, 25))


# --- counting working days -------------------------------------------------------------------

def test_friday_plus_two_working_days_is_tuesday():
    assert add_working_days(CAL, D(2026, 3, 6), 2) == D(2026, 3, 10)
    assert add_working_days(CAL, D(2026, 3, 6), 0) == D(2026, 3, 6)
    assert add_working_days(CAL, D(2026, 3, 10), -2) == D(2026, 3, 6)
    assert next_working_day(CAL, D(2026, 3, 6)) == D(2026, 3, 9)
    assert previous_working_day(CAL, D(2026, 3, 9)) == D(2026, 3, 6)


def test_receipt_on_a_weekend_counts_from_monday():
    assert add_working_days(CAL, D(2026, 3, 7), 1) == D(2026, 3, 9)
    assert add_working_days(CAL, D(2026, 3, 8), 2) == D(2026, 3, 10)


def test_a_datetime_counts_by_its_vietnam_date():
    # 17:30 UTC on Thursday is already Friday 00:30 in Vietnam.
    late_thursday_utc = dt.datetime(2026, 3, 5, 17, 30, tzinfo=dt.timezone.utc)
    assert add_working_days(CAL, late_thursday_utc, 2) == D(2026, 3, 10)
    with pytest.raises(ValueError):
        is_working_day(CAL, dt.datetime(2026, 3, 6, 9, 0))


def test_override_day_off_and_make_up_saturday():
    overrides = {
        D(2026, 3, 9): (DAY_OFF, 'Nghỉ theo quyết định của Thường trực'),
        D(2026, 3, 14): (WORKING_DAY, 'Làm bù thứ Bảy'),
    }
    cal = CAL.with_overrides(overrides)
    assert not is_working_day(cal, D(2026, 3, 9))
    assert is_working_day(cal, D(2026, 3, 14))
    assert describe_day(cal, D(2026, 3, 9)) == (False, 'Nghỉ theo quyết định của Thường trực')
    assert add_working_days(cal, D(2026, 3, 6), 2) == D(2026, 3, 11)
    assert add_working_days(cal, D(2026, 3, 13), 1) == D(2026, 3, 14)
    # an override wins over a public holiday as well
    cal = CAL.with_overrides({D(2026, 4, 30): (WORKING_DAY, 'Trực lễ')})
    assert is_working_day(cal, D(2026, 4, 30))


def test_a_bad_override_is_refused():
    cal = CAL.with_overrides({D(2026, 3, 9): ('holiday', 'x')})
    with pytest.raises(ValueError, match='kind'):
        is_working_day(cal, D(2026, 3, 9))
    with pytest.raises(ValueError, match='reason'):
        CalendarOverrides().set_day_off(D(2026, 3, 9), '  ')


def test_overrides_persist_in_the_zodb():
    db = ZODB.DB(None)
    try:
        conn = db.open()
        overrides = CalendarOverrides()
        overrides.set_day_off(D(2026, 3, 9), 'Nghỉ bù')
        overrides.set_working_day(D(2026, 3, 14), 'Làm bù thứ Bảy')
        conn.root()['calendar_overrides'] = overrides
        transaction.commit()
        conn.close()

        conn = db.open()
        stored = conn.root()['calendar_overrides']
        assert stored.items() == [(D(2026, 3, 9), (DAY_OFF, 'Nghỉ bù')),
                                  (D(2026, 3, 14), (WORKING_DAY, 'Làm bù thứ Bảy'))]
        cal = CAL.with_overrides(stored)
        assert add_working_days(cal, D(2026, 3, 6), 2) == D(2026, 3, 11)
        assert stored.remove(D(2026, 3, 9)) and not stored.remove(D(2026, 3, 9))
        transaction.commit()
        assert len(stored) == 1 and list(stored) == [D(2026, 3, 14)]
        conn.close()
    finally:
        transaction.abort()
        db.close()


# --- working time --------------------------------------------------------------------------

def test_working_time_across_the_lunch_break():
    assert working_time_between(CAL, vn(2026, 3, 10, 10, 30), vn(2026, 3, 10, 14, 0)) == 2 * H
    assert working_time_between(CAL, vn(2026, 3, 10, 11, 45), vn(2026, 3, 10, 12, 45)) == dt.timedelta(0)


def test_working_time_across_a_weekend():
    assert working_time_between(CAL, vn(2026, 3, 6, 16, 30), vn(2026, 3, 9, 8, 0)) == H
    # outside hours at both ends: only Monday morning's hour counts
    assert working_time_between(CAL, vn(2026, 3, 6, 19, 0), vn(2026, 3, 9, 8, 30)) == H


def test_working_time_across_a_holiday():
    # Wednesday 29/4/2026 16:00 to Monday 4/5 08:30: 30/4 and 1/5 are holidays.
    assert working_time_between(CAL, vn(2026, 4, 29, 16, 0), vn(2026, 5, 4, 8, 30)) == 2 * H


def test_working_time_is_zero_backwards_and_converts_zones():
    assert working_time_between(CAL, vn(2026, 3, 10, 14), vn(2026, 3, 10, 9)) == dt.timedelta(0)
    start = dt.datetime(2026, 3, 10, 1, 0, tzinfo=dt.timezone.utc)     # 08:00 in Vietnam
    assert working_time_between(CAL, start, vn(2026, 3, 10, 9, 0)) == H


def test_add_one_working_hour_for_a_khan_document():
    assert add_working_time(CAL, vn(2026, 3, 10, 11, 0), H) == vn(2026, 3, 10, 13, 30)
    assert add_working_time(CAL, vn(2026, 3, 10, 10, 30), H) == vn(2026, 3, 10, 11, 30)
    assert add_working_time(CAL, vn(2026, 3, 6, 16, 45), H) == vn(2026, 3, 9, 8, 15)
    assert add_working_time(CAL, vn(2026, 3, 7, 10, 0), H) == vn(2026, 3, 9, 8, 30)
    assert add_working_time(CAL, vn(2026, 4, 29, 16, 30), H) == vn(2026, 5, 4, 8, 0)
    assert add_working_time(CAL, vn(2026, 3, 10, 20, 0), dt.timedelta(0)) == vn(2026, 3, 10, 20, 0)
    with pytest.raises(ValueError):
        add_working_time(CAL, vn(2026, 3, 10, 9), -H)


@pytest.mark.parametrize('start', [vn(2026, 3, 6, 16, 45), vn(2026, 4, 29, 9, 10),
                                   vn(2026, 2, 13, 12, 0), vn(2026, 8, 21, 17, 0)])
@pytest.mark.parametrize('delta', [M, H, 4 * H, 8 * H, 19 * H + 7 * M])
def test_add_working_time_and_working_time_between_agree(start, delta):
    assert working_time_between(CAL, start, add_working_time(CAL, start, delta)) == delta


def test_working_day_end():
    assert working_day_end(CAL, D(2026, 3, 10)) == vn(2026, 3, 10, 17, 0)


# --- the send deadline (Art. 6.3) ----------------------------------------------------------

def test_signed_friday_afternoon_is_due_monday_noon():
    assert send_deadline(CAL, vn(2026, 3, 6, 15, 30)) == vn(2026, 3, 9, 12, 0)
    assert send_deadline(CAL, vn(2026, 3, 6, 15, 30), dt.time(10, 0)) == vn(2026, 3, 9, 10, 0)


def test_signed_friday_before_a_monday_holiday_is_due_tuesday_noon():
    # Monday 27/4/2026 is the observed Giỗ Tổ Hùng Vương.
    assert send_deadline(CAL, vn(2026, 4, 24, 16, 0)) == vn(2026, 4, 28, 12, 0)
    # signed the day before Tết: due the Monday after it
    assert send_deadline(CAL, vn(2026, 2, 13, 15, 0)) == vn(2026, 2, 23, 12, 0)


def test_send_deadline_uses_the_calendars_cutoff():
    cal = Calendar.from_settings({'archive.send_cutoff': '11:30'})
    assert send_deadline(cal, vn(2026, 3, 10, 9, 0)) == vn(2026, 3, 11, 11, 30)


# --- settings ---------------------------------------------------------------------------------

def test_defaults_from_empty_settings():
    cal = Calendar.from_settings({})
    assert cal == Calendar()
    assert cal.working_days == frozenset({0, 1, 2, 3, 4})
    assert cal.working_hours == ((dt.time(7, 30), dt.time(11, 30)), (dt.time(13, 0), dt.time(17, 0)))
    assert cal.holiday_country == 'VN' and cal.send_cutoff == dt.time(12, 0)


def test_settings_are_parsed():
    cal = Calendar.from_settings({
        'archive.working_days': 'Mon, tue wed thu fri sat',
        'archive.working_hours': '13:30-17:30 7:00-11:00',
        'archive.holiday_country': 'vn',
    })
    assert cal.working_days == frozenset(range(6))
    assert cal.working_hours == ((dt.time(7, 0), dt.time(11, 0)), (dt.time(13, 30), dt.time(17, 30)))
    assert cal.holiday_country == 'VN'
    assert is_working_day(cal, D(2026, 3, 7))                   # a Saturday
    assert not is_working_day(cal, D(2027, 2, 6))               # Tết 2027 falls on a Saturday
    assert working_time_between(cal, vn(2026, 3, 7, 10, 0), vn(2026, 3, 7, 14, 0)) == 1.5 * H


@pytest.mark.parametrize('key,value', [
    ('archive.working_days', 'mon tue funday'),
    ('archive.working_days', 'lundi'),
    ('archive.working_hours', '07:30-11:30 13:00'),
    ('archive.working_hours', '07:30-25:00'),
    ('archive.working_hours', '11:30-07:30'),
    ('archive.working_hours', '07:30-12:00 11:00-17:00'),
    ('archive.holiday_country', 'XX'),
    ('archive.send_cutoff', 'noon'),
])
def test_bad_settings_name_the_key_and_value(key, value):
    with pytest.raises(ValueError) as info:
        Calendar.from_settings({key: value})
    assert key in str(info.value) and repr(value) in str(info.value)


def test_a_calendar_without_working_days_is_refused():
    with pytest.raises(ValueError):
        Calendar(working_days=frozenset())
    with pytest.raises(ValueError):
        Calendar(working_hours=())


def test_the_sending_limit_of_an_urgent_document_is_the_window_after_signing():
    from archive.calendar import sending_limit
    signed = vn(2026, 3, 6, 15, 30)     # a Friday afternoon
    window = dt.timedelta(minutes=45)
    for urgency in ('khan', 'thuong_khan', 'hoa_toc', 'hoa_toc_hen_gio'):
        assert sending_limit(CAL, signed, urgency, window) == vn(2026, 3, 6, 16, 15)
    for urgency in ('normal', None):
        assert sending_limit(CAL, signed, urgency, window) == send_deadline(CAL, signed) == vn(2026, 3, 9, 12, 0)

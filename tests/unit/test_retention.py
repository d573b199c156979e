"""Retention: periods from the configured list, the longest one wins, due dates counted in years
from the closing day; the records-files settings read under their .ini names, bad ones refused."""
import datetime as dt

import pytest

from archive import settings as archive_settings
from archive.archival import retention

SECRET = {'archive.secret': 's' * 40}


def test_the_defaults_follow_the_common_retention_table():
    s = archive_settings.load(dict(SECRET))
    assert s.retention_periods == (70, 50, 20, 10, 5)
    assert s.retention_by_type['NQ'] is None and s.retention_by_type['CV'] == 10
    assert (s.appraisal_horizon_days, s.transfer_secret, s.transfer_dir) == (90, False, '')


def test_records_settings_under_their_ini_names():
    s = archive_settings.load({**SECRET, 'archive.retention_periods': '30 15 2',
                               'archive.retention_by_type': 'NQ = vĩnh viễn\nCV = 2\nBC = permanent',
                               'archive.appraisal_horizon_days': '0', 'archive.transfer_secret': 'true',
                               'archive.transfer_dir': ' /srv/nop-luu '})
    assert s.retention_periods == (30, 15, 2)
    assert s.retention_by_type == {'NQ': None, 'CV': 2, 'BC': None}
    assert (s.appraisal_horizon_days, s.transfer_secret, s.transfer_dir) == (0, True, '/srv/nop-luu')


@pytest.mark.parametrize('name, value', [
    ('archive.retention_periods', '10 ten'),
    ('archive.retention_periods', '0'),
    ('archive.retention_by_type', 'CV = 7'),          # not one of the periods
    ('archive.retention_by_type', 'CV 10'),
    ('archive.appraisal_horizon_days', '-1'),
    ('archive.transfer_secret', 'perhaps'),
])
def test_a_bad_records_setting_stops_the_start(name, value):
    with pytest.raises(ValueError) as err:
        archive_settings.load({**SECRET, name: value})
    assert str(err.value).startswith(name)


def test_parse_accepts_permanent_and_the_listed_periods_only():
    s = archive_settings.load(dict(SECRET))
    assert retention.parse('permanent', s) is None and retention.parse(None, s) is None
    assert retention.parse('20', s) == 20 and retention.parse(5, s) == 5
    for bad in ('7', 7, 'forever', True, '', 3.5):
        with pytest.raises(ValueError):
            retention.parse(bad, s)


def test_longest_period_and_due_dates():
    assert retention.longer(20, 10) and retention.longer(None, 70) and not retention.longer(10, 10)
    assert not retention.longer(None, None) and not retention.longer(70, None)
    assert retention.due_on(dt.date(2016, 2, 29), 10) == dt.date(2026, 2, 28)
    assert retention.due_on(dt.date(2020, 6, 30), 5) == dt.date(2025, 6, 30)
    assert retention.due_on(None, 5) is None and retention.due_on(dt.date(2020, 1, 1), None) is None
    today = dt.date(2026, 12, 3)
    assert retention.is_due(dt.date(2016, 12, 3), 10, today)
    assert not retention.is_due(dt.date(2016, 12, 4), 10, today)
    assert retention.is_due(dt.date(2016, 12, 4), 10, today, horizon_days=1)

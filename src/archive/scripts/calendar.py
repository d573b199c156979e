"""archive-calendar: the administrator's overrides of the working-day calendar (swapped
days off, make-up working days), and a look at how a period counts."""
import datetime as dt

from .. import audit
from .. import calendar as cal_mod
from .common import fail, opened, parser, writing


def _date(text):
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f'Ngày không hợp lệ "{text}" (YYYY-MM-DD) / invalid date')


def main(argv=None):
    p = parser('Lịch làm việc / working-day calendar')
    sub = p.add_subparsers(dest='command', required=True)
    show = sub.add_parser('show', help='how each day from START to END counts')
    show.add_argument('start')
    show.add_argument('end')
    for name, help_text in (('day-off', 'make a day a day off'), ('working-day', 'make a day a working day')):
        s = sub.add_parser(name, help=help_text)
        s.add_argument('day')
        s.add_argument('--reason', required=True)
        s.add_argument('--dry-run', action='store_true')
    rm = sub.add_parser('remove', help='drop an override')
    rm.add_argument('day')
    rm.add_argument('--dry-run', action='store_true')
    args = p.parse_args(argv)
    with opened(args.config_uri) as session:
        root, registry = session
        overrides = root.calendar_overrides
        if args.command == 'show':
            cal = registry.archive_settings.calendar.with_overrides(overrides)
            day, end = _date(args.start), _date(args.end)
            if (end - day).days > 366:
                fail('Tối đa một năm / at most one year')
            while day <= end:
                working, reason = cal_mod.describe_day(cal, day)
                print(f"{day.isoformat()} {day.strftime('%a')}  {'làm việc' if working else 'nghỉ'}"
                      + (f'  ({reason})' if reason else ''))
                day += dt.timedelta(days=1)
            return
        day = _date(args.day)
        with writing(session, args.dry_run):
            if args.command == 'remove':
                if not overrides.remove(day):
                    fail(f'Không có điều chỉnh cho ngày {day} / no override')
                audit.append(root, 'calendar', 'override_removed', 'cli', day=day.isoformat())
            else:
                if not args.reason.strip():
                    fail('Cần ghi lý do / a reason is required')
                kind = cal_mod.DAY_OFF if args.command == 'day-off' else cal_mod.WORKING_DAY
                overrides.set(day, kind, args.reason.strip())
                audit.append(root, 'calendar', 'override_set', 'cli', day=day.isoformat(), kind=kind,
                             reason=args.reason.strip())
        print(f'{day.isoformat()}: {args.command}')


if __name__ == '__main__':
    main()

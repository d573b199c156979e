"""The words for a period asked badly: one code and one message each, for every part that takes
a period (statistics, the quarterly report, security events, the search's and lists' date
filters), so page and API say the same; the dates as the pages show them (dd/mm/yyyy)."""
from ..clock import display
from ..i18n import _


def reversed_message(start, end):
    return _('period_reversed', default='Ngày kết thúc (${end}) trước ngày bắt đầu (${start})',
             mapping={'start': display(start), 'end': display(end)})


def in_future_message(today):
    return _('period_in_future', default='Kỳ chưa đến: hôm nay là ${today}', mapping={'today': display(today)})


def too_long_message(days):
    return _('period_too_long', default='Kỳ dài quá ${days} ngày', mapping={'days': days})


def too_early_message(earliest):
    return _('period_too_early', default='Kỳ bắt đầu trước ${earliest}: không có số liệu',
             mapping={'earliest': display(earliest)})

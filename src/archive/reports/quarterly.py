"""The quarterly report (Art. 14.2): the figures of a quarter for a body and its subtree, the late
and overdue items, the channel mix and the exchange's availability, as a ``Report`` that
``reports.quarterly_files`` writes as PDF, XLSX or CSV; signed with the body's organisation
signature when asked.

The availability section (Art. 13.1: time the worker and each route were down) is read from the
journal by ``reports.availability``; the caller passes it as ``[(what, value)]``.
"""
import datetime as dt

from .. import clock
from ..errors import Conflict
from ..i18n import _
from ..services.signing import keystore, timestamper
from ..signing.keys import KeyStoreError
from . import figures as F
from .quarterly_files import FORMATS, Report
from .availability import downtime
from ..signing.pades import SigningFailed, sign_pdf

COLUMNS = [key for key, _title in F.FIGURES]
LATE_COLUMNS = ('Loại', 'Cơ quan', 'Số, ký hiệu', 'Trích yếu', 'Hạn xử lý')
LATE_KINDS = (('sent_late', 'Gửi chậm'), ('registered_late', 'Vào sổ chậm'), ('assigned_late', 'Phân công chậm'),
              ('completed_late', 'Hoàn thành quá hạn'), ('overdue_open', 'Quá hạn chưa hoàn thành'))


def build(root, user, code, year, quarter, availability=None, today=None):
    """The report of ``quarter`` of ``year`` for ``code`` and its subtree, as ``user`` may see it."""
    start, end = F.quarter_dates(year, quarter, today)
    F.check_body(root, user, code)
    end = min(end, today or clock.today())
    body = root['bodies'][code]
    by_body = F.figures(root, F.Query(code, True, start, end, 'body'), today)
    by_month = F.figures(root, F.Query(code, True, start, end, 'month'), today)
    rows = [(r['label'], [r['figures'][k] for k in COLUMNS]) for r in by_body['rows']]
    total = [by_body['total'][k] for k in COLUMNS]
    channel = [(F.ROUTE_TITLES.get(route, route or '—'), n) for route, n in by_body['received_by_route'].items()]
    query = F.Query(code, True, start, end, 'total')
    late = []
    behind = F.documents_behind_each(root, user, query, [metric for metric, _title in LATE_KINDS])
    for metric, title in LATE_KINDS:
        for doc in sorted(behind[metric],
                          key=lambda d: (d.body_code, d.number_symbol or '', d.__name__)):
            late.append((title, root['bodies'][doc.body_code].name, doc.number_symbol or '',
                         doc.abstract or '', doc.deadline.isoformat() if doc.deadline else ''))
    months = [(r['label'], r['figures']['received'], r['figures']['sent']) for r in by_month['rows']]
    return Report(
        title=f'Báo cáo quý {int(quarter)} năm {int(year)}',
        subtitle=f'{body.name} và các cơ quan trực thuộc — từ {start:%d/%m/%Y} đến {end:%d/%m/%Y}',
        period_end=end, columns=[F.TITLES[k] for k in COLUMNS], rows=rows, total=total,
        channel=channel, late_columns=LATE_COLUMNS, late=late, availability=availability, months=months)


ROUTE_TITLES = {'instance': 'Liên thông giữa các hệ thống (HTTP)', 'email': 'Thư điện tử công vụ',
                'axis': 'Trục liên thông quốc gia'}


def availability(root, start, end):
    """The availability section for the days ``start``..``end`` (Art. 13.1): how long the exchange
    worker and each route were down, from the journal (``reports.availability.downtime``), as
    ``[(what, value)]``; "not measured" before the worker's first heartbeat. Counted to the end
    of yesterday at the latest, so the report of a running quarter is the same all day."""
    begin = dt.datetime.combine(start, dt.time.min, tzinfo=clock.VN)
    # up to midnight before today at the latest: the same quarter's section is the same all day
    until = dt.datetime.combine(min(end + dt.timedelta(days=1), clock.today()), dt.time.min, tzinfo=clock.VN)
    found = downtime(root, begin, until, now=until)
    if found['measured_from'] is None:
        return [('Tiến trình trao đổi văn bản', 'Chưa đo (chưa có nhịp hoạt động nào trong kỳ)')]
    rows = [('Đo từ', clock.display(clock.parse_iso(found['measured_from'])))]
    rows.append(('Tiến trình trao đổi văn bản ngừng', _duration(found['worker'])))
    for route, down in found['routes'].items():
        rows.append((f"{ROUTE_TITLES.get(route, route)} ngừng", _duration(down)))
    return rows


def _duration(down):
    minutes = round(down['seconds'] / 60)
    return f"{minutes // 60} giờ {minutes % 60} phút ({len(down['intervals'])} lần)"


def render(report, fmt):
    """``(bytes, media type, file extension)``."""
    write, media, ext = FORMATS[fmt]
    return write(report), media, ext


def sign(registry, body_code, pdf):
    """The PDF with the organisation signature of ``body_code`` (its ``org-sign:`` key)."""
    store = keystore(registry)
    key_id = f'org-sign:{body_code}'
    try:
        signer = store.signer(key_id) if store is not None else None
        if signer is None:
            raise KeyStoreError(key_id)
        return sign_pdf(pdf, signer, field_name='ChuKyToChuc', timestamper=timestamper(registry.archive_settings),
                        now=clock.now())
    except (KeyStoreError, SigningFailed, KeyError):
        raise Conflict('report_not_signed', _(
            'report_not_signed', default='Không ký số được báo cáo: cơ quan "${code}" chưa có khóa ký của tổ chức',
            mapping={'code': body_code})) from None

"""What the sending clerk records on a delivery row: the paper copy sent (Art. 7.4, 8), and the
statuses of a delivery to a person's mailbox, where none come back by machine (Art. 6.4); and what
the receiving clerk records on a document taken in: its paper copy arrived (Art. 8).

One schema each, for the document page's forms and the API alike, so both answer bad input with
the same ``[{field, code, message}]``.
"""
import datetime as dt

import colander

from .. import clock
from ..i18n import _
from . import vocab
from .types import AwareDateTime, Text, max_length, optional, required

# A time typed as "now" on another machine may run a little ahead of ours.
CLOCK_SKEW = dt.timedelta(minutes=2)


def not_in_future(node, value):
    if value > clock.now() + CLOCK_SKEW:
        raise colander.Invalid(node, _('datetime_in_future', default='Thời gian không được ở tương lai'))


def _one_of(choices, code, default):
    return colander.OneOf(list(choices), msg_err=_(code, default=default))


def _select(choices):
    @colander.deferred
    def widget(node, kw):
        import deform.widget
        return deform.widget.SelectWidget(values=[('', '')] + list(choices.items()))
    return widget


@colander.deferred
def _textarea(node, kw):
    import deform.widget
    return deform.widget.TextAreaWidget(rows=2)


DATETIME_HINT = _('d_datetime_now', default='ISO 8601 có múi giờ, ví dụ 2026-11-24T09:30:00+07:00; '
                                            'để trống là bây giờ')


class PaperSentSchema(colander.MappingSchema):
    sent_at = optional(AwareDateTime(), validator=not_in_future,
                       title=_('f_paper_sent_at', default='Thời gian gửi bản giấy'), description=DATETIME_HINT)
    means = required(Text(), validator=_one_of(vocab.PAPER_MEANS, 'paper_means_unknown',
                                               'Cách gửi bản giấy không hợp lệ'),
                     widget=_select(vocab.PAPER_MEANS), title=_('f_paper_means', default='Cách gửi'))
    means_other = optional(Text(), validator=max_length(200),
                           title=_('f_paper_means_other', default='Cách gửi khác (ghi rõ)'))
    note = optional(Text(multiline=True), validator=max_length(1000), widget=_textarea,
                    title=_('f_paper_note', default='Ghi chú'))

    def validator(self, node, value):
        if value.get('means') == 'other' and not value.get('means_other'):
            exc = colander.Invalid(node)
            exc['means_other'] = _('paper_means_other_required', default='Ghi rõ cách gửi bản giấy')
            raise exc


class StatusRecordSchema(colander.MappingSchema):
    code = required(Text(), validator=_one_of(vocab.RECORDED_STATUSES, 'status_code_unknown',
                                              'Trạng thái không hợp lệ: chọn 02, 03, 04, 05 hoặc 06'),
                    widget=_select(vocab.RECORDED_STATUSES), title=_('f_status_code', default='Trạng thái xử lý'))
    at = optional(AwareDateTime(), validator=not_in_future,
                  title=_('f_status_at', default='Thời gian'), description=DATETIME_HINT)
    reason = optional(Text(), validator=max_length(1000),
                      title=_('f_status_reason', default='Lý do (khi từ chối nhận / trả lại)'))
    note = optional(Text(multiline=True), validator=max_length(2000), widget=_textarea,
                    title=_('f_status_note', default='Ghi chú'))

    def validator(self, node, value):
        if value.get('code') == '02' and not value.get('reason'):
            exc = colander.Invalid(node)
            exc['reason'] = _('status_reason_required', default='Từ chối nhận / trả lại phải ghi lý do')
            raise exc


class PaperArrivedSchema(colander.MappingSchema):
    arrived_at = optional(AwareDateTime(), validator=not_in_future,
                          title=_('f_paper_arrived_at', default='Thời gian bản giấy đến'), description=DATETIME_HINT)
    received_by = optional(Text(), validator=max_length(200),
                           title=_('f_paper_received_by', default='Người nhận bản giấy'),
                           description=_('d_paper_received_by', default='Để trống là văn thư đang ghi nhận'))
    note = optional(Text(multiline=True), validator=max_length(1000), widget=_textarea,
                    title=_('f_paper_note', default='Ghi chú'))

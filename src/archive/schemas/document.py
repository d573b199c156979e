"""The document: every field of Art. 11 and what a records office records beside them.

One schema, bound to the archive settings (document types, identifier pattern);
the form, the JSON API and later the exchange package all deserialize through it.
"""
import re

import colander

from ..i18n import _
from . import vocab
from .symbol import parse as parse_symbol
from .types import AwareDateTime, Count, IsoDate, Lines, Text, max_length, optional, required

TOP_SECRET_CODE = 'classification_refused'


def one_of(choices, code, default):
    return colander.OneOf(list(choices), msg_err=_(code, default=default))


# Identifier codes of every form (issue 16, item 2): the bodies of other systems use short forms
# (``H29``, ``000.00.H29``), enterprise tax codes (10-13 digits) and service accounts
# (``vpcp.edoc``). The configured pattern (``archive.organ_id_pattern``) applies to the codes this
# instance assigns to its own bodies; any other code is 1-64 of these characters.
REMOTE_CODE = re.compile(r'^[A-Za-z0-9._-]{1,64}$')


def _malformed(node, value):
    return colander.Invalid(node, _(
        'organ_id_malformed', default='Mã định danh "${value}" không đúng dạng (ví dụ 000.00.31.H29)',
        mapping={'value': value}))


def own_code_problem(node, settings, value):
    """``colander.Invalid`` when ``value`` is not of the form this instance assigns to its own bodies."""
    return None if settings.organ_id_pattern.match(value) else _malformed(node, value)


@colander.deferred
def organ_id_validator(node, kw):
    """Any body's code (the configured form is checked where the body is ours)."""
    def validate(node, value):
        if not REMOTE_CODE.match(value):
            raise _malformed(node, value)
    return validate


@colander.deferred
def organ_ids_validator(node, kw):
    def validate(node, values):
        bad = [v for v in values if not REMOTE_CODE.match(v)]
        if bad:
            raise _malformed(node, bad[0])
        if len(set(values)) != len(values):
            raise colander.Invalid(node, _('send_to_twice', default='Một cơ quan nhận được ghi hai lần'))
    return validate


@colander.deferred
def doc_type_validator(node, kw):
    return one_of(kw['settings'].document_types, 'doc_type_unknown',
                  'Loại văn bản không có trong danh mục')


@colander.deferred
def doc_type_widget(node, kw):
    import deform.widget
    types = kw['settings'].document_types
    return deform.widget.SelectWidget(values=[('', '')] + [(a, f'{n} ({a})') for a, n in types.items()])


@colander.deferred
def paper_category_validator(node, kw):
    return one_of(kw['settings'].paper_also_categories, 'paper_category_unknown',
                  'Loại văn bản gửi kèm bản giấy không có trong danh mục (Điều 8)')


@colander.deferred
def paper_category_widget(node, kw):
    import deform.widget
    categories = kw['settings'].paper_also_categories
    return deform.widget.SelectWidget(values=[('', '')] + list(categories.items()))


@colander.deferred
def symbol_validator(node, kw):
    """Either form, or (what another system wrote: ``services.documents.validate`` accepts it only
    from the exchange, ``as_written``) one line of at most 100 characters holding a ``/``."""
    def validate(node, value):
        if not AS_WRITTEN_SYMBOL.match(value):
            raise symbol_malformed(node, value)
    return validate


AS_WRITTEN_SYMBOL = re.compile(r'^[^\s/][^\r\n]{0,98}$')


def symbol_malformed(node, value):
    return colander.Invalid(node, _(
        'number_symbol_malformed',
        default='Số và ký hiệu "${value}" không đúng dạng (ví dụ 917-TTr/VPTU hoặc 15/QĐ-BNV)',
        mapping={'value': value}))


def form_problems(node, appstruct, settings):
    """The forms we write and our clerks type, checked unless the document came as another system
    wrote it: the number and symbol in one of the two forms, the issuer's code in the configured
    form (another system's code is any of ``REMOTE_CODE``)."""
    problems = []
    symbol = appstruct.get('number_symbol')
    if symbol and parse_symbol(symbol, settings.document_types) is None:
        problems.append(symbol_malformed(node['number_symbol'], symbol))
    code = appstruct.get('organ_id')
    if code and not settings.organ_id_pattern.match(code):
        problems.append(_malformed(node['organ_id'], code))
    return problems


def classification_validator(node, value):
    if value in vocab.REFUSED_CLASSIFICATIONS:
        raise colander.Invalid(node, _(
            TOP_SECRET_CODE,
            default='Văn bản Tối mật, Tuyệt mật không được đưa vào hệ thống (Điều 5.1); '
                    'không lưu nội dung nào của văn bản này'))
    if value not in vocab.CLASSIFICATIONS:
        raise colander.Invalid(node, _('classification_unknown', default='Độ mật không hợp lệ'))


def _select(values):
    import deform.widget
    return deform.widget.SelectWidget(values=list(values.items()))


def _textarea(rows=3):
    import deform.widget
    return deform.widget.TextAreaWidget(rows=rows)


class DocumentSchema(colander.MappingSchema):
    direction = required(Text(), validator=one_of(vocab.DIRECTIONS, 'direction_unknown', 'Chiều văn bản không hợp lệ'),
                         title=_('f_direction', default='Văn bản đến / đi'),
                         widget=colander.deferred(lambda n, kw: _select(vocab.DIRECTIONS)))
    organ_id = required(Text(), validator=organ_id_validator,
                        title=_('f_organ_id', default='Mã định danh cơ quan ban hành'),
                        description=_('d_organ_id', default='13 ký tự, ví dụ 000.00.31.H29'))
    sender = optional(Text(), validator=max_length(200),
                      title=_('f_sender', default='Cơ quan ban hành / nơi gửi'))
    number_symbol = optional(Text(), validator=symbol_validator,
                             title=_('f_number_symbol', default='Số và ký hiệu'),
                             description=_('d_number_symbol', default='Ví dụ 917-TTr/VPTU hoặc 15/QĐ-BNV'))
    issued_date = optional(IsoDate(), title=_('f_issued_date', default='Ngày ban hành'),
                           description=_('d_date', default='YYYY-MM-DD'))
    place = optional(Text(), validator=max_length(100), title=_('f_place', default='Nơi ban hành (địa danh)'))
    doc_type = required(Text(), validator=doc_type_validator, widget=doc_type_widget,
                        title=_('f_doc_type', default='Loại văn bản'))
    abstract = required(Text(multiline=True), validator=max_length(500), widget=colander.deferred(lambda n, kw: _textarea()),
                        title=_('f_abstract', default='Trích yếu nội dung'))
    urgency = colander.SchemaNode(Text(), missing='normal',
                                  validator=one_of(vocab.URGENCIES, 'urgency_unknown', 'Độ khẩn không hợp lệ'),
                                  widget=colander.deferred(lambda n, kw: _select(vocab.URGENCIES)),
                                  title=_('f_urgency', default='Độ khẩn'))
    urgency_deadline = optional(AwareDateTime(), title=_('f_urgency_deadline', default='Hẹn giờ (hỏa tốc hẹn giờ)'),
                                description=_('d_datetime', default='ISO 8601 có múi giờ, ví dụ 2026-11-24T09:30:00+07:00'))
    classification = colander.SchemaNode(
        Text(), missing='thuong', validator=classification_validator,
        widget=colander.deferred(lambda n, kw: _select({**vocab.CLASSIFICATIONS, **vocab.REFUSED_CLASSIFICATIONS})),
        title=_('f_classification', default='Độ mật'))
    signer_name = optional(Text(), validator=max_length(50), title=_('f_signer_name', default='Người ký'))
    signer_position = optional(Text(), validator=max_length(100), title=_('f_signer_position', default='Chức vụ người ký'))
    signer_competence = optional(Text(), validator=one_of(vocab.COMPETENCES, 'competence_unknown', 'Thẩm quyền ký không hợp lệ'),
                                 widget=colander.deferred(lambda n, kw: _select({'': '', **vocab.COMPETENCES})),
                                 title=_('f_signer_competence', default='Thẩm quyền ký'))
    pages = optional(Count(), title=_('f_pages', default='Số trang'))
    copies = optional(Count(), title=_('f_copies', default='Số bản'))
    receivers = optional(Lines(), widget=colander.deferred(lambda n, kw: _textarea(4)),
                         title=_('f_receivers', default='Nơi nhận'),
                         description=_('d_receivers', default='Mỗi nơi nhận một dòng, kể cả "Lưu VT"'))
    send_to = optional(Lines(), validator=organ_ids_validator,
                       widget=colander.deferred(lambda n, kw: _textarea(2)),
                       title=_('f_send_to', default='Gửi điện tử đến (mã định danh)'),
                       description=_('d_send_to', default='Mã định danh cơ quan nhận, mỗi cơ quan một dòng'))
    paper_category = optional(Text(), validator=paper_category_validator, widget=paper_category_widget,
                              title=_('f_paper_category', default='Gửi kèm bản giấy (Điều 8)'),
                              description=_('d_paper_category',
                                            default='Văn bản đi thuộc loại phải gửi cả điện tử và bản giấy: '
                                                    'mỗi nơi nhận có thêm một dòng theo dõi bản giấy'))
    replaces = optional(Text(), validator=max_length(64),
                        title=_('f_replaces', default='Thay thế văn bản đi đã gửi (mã văn bản)'),
                        description=_('d_replaces', default='Văn bản này thay thế văn bản đã gửi trước đó'))
    channel = colander.SchemaNode(Text(), missing='electronic',
                                  validator=one_of(vocab.CHANNELS, 'channel_unknown', 'Hình thức nhận/gửi không hợp lệ'),
                                  widget=colander.deferred(lambda n, kw: _select(vocab.CHANNELS)),
                                  title=_('f_channel', default='Hình thức nhận / gửi'))
    sent_at = optional(AwareDateTime(), title=_('f_sent_at', default='Thời gian gửi'),
                       description=_('d_datetime', default='ISO 8601 có múi giờ, ví dụ 2026-11-24T09:30:00+07:00'))
    received_at = optional(AwareDateTime(), title=_('f_received_at', default='Thời gian nhận'),
                           description=_('d_datetime', default='ISO 8601 có múi giờ, ví dụ 2026-11-24T09:30:00+07:00'))
    deadline = optional(IsoDate(), title=_('f_deadline', default='Hạn xử lý'),
                        description=_('d_date', default='YYYY-MM-DD'))
    holder_unit = optional(Text(), validator=max_length(50), title=_('f_holder_unit', default='Đơn vị giữ văn bản'))
    named_people = optional(Lines(), widget=colander.deferred(lambda n, kw: _textarea(2)),
                            title=_('f_named_people', default='Người được xem (văn bản Mật)'),
                            description=_('d_named_people', default='Tên đăng nhập, mỗi người một dòng'))
    notes = optional(Text(multiline=True), validator=max_length(2000), widget=colander.deferred(lambda n, kw: _textarea(2)),
                     title=_('f_notes', default='Ghi chú'))

    def validator(self, node, value):
        exc = colander.Invalid(node)
        if value.get('urgency') == 'hoa_toc_hen_gio' and not value.get('urgency_deadline'):
            exc['urgency_deadline'] = _('urgency_deadline_required',
                                        default='Hỏa tốc hẹn giờ phải ghi giờ hẹn')
        if value.get('direction') == 'incoming' and not value.get('number_symbol'):
            exc['number_symbol'] = _('number_symbol_required',
                                     default='Văn bản đến phải có số và ký hiệu')
        if value.get('notes') and value.get('classification') == 'mat':
            # A Mật document's content is in its sealed files; a note beside them would be
            # stored, listed and exported in clear.
            exc['notes'] = _('notes_not_for_secret',
                             default='Văn bản Mật không ghi chú ở đây (ghi chú không được mã hóa): '
                                     'để nội dung trong tệp')
        if value.get('paper_category') and value.get('direction') != 'outgoing':
            exc['paper_category'] = _('paper_category_outgoing_only',
                                      default='Chỉ văn bản đi mới ghi loại gửi kèm bản giấy')
        if exc.children:
            raise exc


FIELDS = [child.name for child in DocumentSchema().children]


def document_schema(settings):
    return DocumentSchema().bind(settings=settings)

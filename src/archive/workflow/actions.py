"""What the transitions named in workflows/*.zcml do: guards, callbacks, and the data
each kind of action needs (``needs`` in the ZCML). No state or transition is defined here.
"""
import datetime as dt

import colander
from repoze.workflow import WorkflowError

from .. import calendar as cal_mod
from .. import clock, registers
from .. import security as S
from ..errors import single
from ..i18n import _, translate
from ..schemas.symbol import parse as parse_symbol
from ..services import notify, readers
from ..schemas.types import IsoDate, Lines, Text, max_length, optional, required
from ..errors import InputError
from ..errors import Conflict
from ..services.legal import legal_status
from ..services.signing import organisation_signed
from ..exchange.outgoing import queue_forward
from ..services.signing import sign_approval as sign
from ..services.signing import check_outgoing
from ..exchange.outgoing import queue_deliveries
from ..exchange.recall import destroy
from ..exchange.recall import queue_recalls as queue
from ..services.signing import sign_organisation as organisation_sign
from ..exchange.outgoing import queue_updates as outgoing_updates

# -- the data an action needs ---------------------------------------------------


def _reason():
    return required(Text(), validator=max_length(1000), title=_('f_reason', default='Lý do'))


class ReasonSchema(colander.MappingSchema):
    reason = _reason()


@colander.deferred
def _not_before_today(node, kw):
    def validate(node, value):
        if value < clock.today():
            raise colander.Invalid(node, _('deadline_past', default='Hạn xử lý không được trước hôm nay'))
    return validate


def _choose(key, multiple=False):
    """A select of the body's people or units for the pages (bound with ``people``/``units``)."""
    @colander.deferred
    def widget(node, kw):
        import deform.widget
        choices = list(kw.get(key, []))
        return deform.widget.SelectWidget(values=choices if multiple else [('', '')] + choices,
                                          multiple=multiple)
    return widget


@colander.deferred
def _date_widget(node, kw):
    import deform.widget
    return deform.widget.TextInputWidget(attributes={'type': 'date'})


class AssignmentSchema(colander.MappingSchema):
    instruction = optional(Text(multiline=True), validator=max_length(2000), title=_('f_instruction', default='Ý kiến chỉ đạo (bút phê)'))
    main_processor = required(Text(), title=_('f_main_processor', default='Người chủ trì xử lý'),
                              widget=_choose('people'))
    co_processors = optional(Lines(), title=_('f_co_processors', default='Người phối hợp'),
                             widget=_choose('people', multiple=True))
    info_units = optional(Lines(), title=_('f_info_units', default='Đơn vị để biết'),
                          widget=_choose('units', multiple=True))
    deadline = optional(IsoDate(), validator=_not_before_today, title=_('f_deadline', default='Hạn xử lý'),
                        widget=_date_widget)
    days = optional(colander.Int(), validator=colander.Range(min=1, max=365),
                    title=_('f_days', default='Hoặc số ngày làm việc để xử lý'))


class ExtensionSchema(colander.MappingSchema):
    deadline = required(IsoDate(), validator=_not_before_today, title=_('f_new_deadline', default='Hạn xử lý mới'),
                        widget=_date_widget)
    reason = _reason()


class CompletionSchema(colander.MappingSchema):
    reply = optional(Text(), title=_('f_reply_symbol', default='Văn bản trả lời (số và ký hiệu, ví dụ 12-CV/VPTU)'))
    note = optional(Text(multiline=True), validator=max_length(2000), title=_('f_note', default='Kết quả xử lý'))


class ForwardingSchema(colander.MappingSchema):
    to_body = required(Text(), title=_('f_to_body', default='Chuyển tới cơ quan (mã định danh)'),
                       widget=_choose('bodies'))
    reason = _reason()


class AmendmentSchema(colander.MappingSchema):
    """Correcting a sent document (edXML update): the corrected abstract and/or more receivers."""
    reason = _reason()
    abstract = optional(Text(), validator=max_length(500), title=_('f_abstract_corrected',
                                                                   default='Trích yếu đã đính chính'))
    add_receivers = optional(Lines(), title=_('f_add_receivers', default='Thêm nơi nhận điện tử (mã định danh)'),
                             widget=_choose('bodies', multiple=True))


class RegistrationSchema(colander.MappingSchema):
    """Registering takes nothing, unless the signature check failed: then the clerk may still
    register it by giving the reason (journaled; the document stays without legal value)."""
    override_origin = optional(Text(), validator=max_length(1000), title=_(
        'f_override_origin', default='Lý do vẫn vào sổ khi chữ ký số không hợp lệ (chỉ khi cần)'))


NEEDS = {'reason': ReasonSchema, 'registration': RegistrationSchema, 'assignment': AssignmentSchema,
         'extension': ExtensionSchema, 'completion': CompletionSchema, 'forwarding': ForwardingSchema,
         'amendment': AmendmentSchema}


def _body(doc):
    return doc.__parent__.__parent__


def _calendar(root):
    from pyramid.threadlocal import get_current_registry
    return get_current_registry().archive_settings.calendar.with_overrides(root.calendar_overrides)


def _person_of_body(root, doc, field, login):
    user = root['users'].get(login)
    if user is None or user.body_code != doc.body_code or not user.active:
        raise single(field, _('person_not_of_body', default='"${login}" không phải người của cơ quan này',
                              mapping={'login': login}))
    if user.has_role(S.ADMIN):
        # an administrator handles no document (and would become a named reader of a Mật one)
        raise single(field, _('reader_is_admin', default='"${login}" là quản trị hệ thống: không được xem văn bản',
                              mapping={'login': login}))
    return user


ASSIGNMENT_REASON = 'Phân công xử lý'


def _assignment_reason(data):
    """What the journal keeps as the reason a Mật document's readers grew by an assignment."""
    instruction = data.get('instruction')
    return f'{ASSIGNMENT_REASON}: {instruction}' if instruction else ASSIGNMENT_REASON


def _reply(body, given):
    """The reply document named by its number and symbol as issued (``1-TB/VPTU``), looked up in
    the body's outgoing registers; or (the API, older clients) by its id."""
    if given in body.documents:
        return body.documents[given]
    wanted = ''.join(given.split()).casefold()
    number = wanted.split('-', 1)[0].split('/', 1)[0]
    if not number.isdigit():
        return None
    for series in body.registers.values():
        entry = series.entries.get(int(number)) if series.kind == 'outgoing' else None
        if entry is not None and not entry.void and entry.label \
                and ''.join(entry.label.split()).casefold() == wanted:
            return body.documents.get(entry.document)
    return None


def check_data(root, doc, needs, data, user=None):
    """Deserialize and check the action's data; raise ``colander.Invalid`` naming the field.

    Assigning a Mật document names its processors as readers: ``readers`` decides whether
    ``user`` may (the body's leader or clerk; never an administrator as processor)."""
    if not needs:
        return {}
    appstruct = NEEDS[needs]().bind().deserialize(data)
    if needs == 'assignment':
        if appstruct.get('days') and not appstruct.get('deadline'):
            # Deadlines count working days (Art. 6.3): the body's calendar, holidays and overrides.
            appstruct['deadline'] = cal_mod.add_working_days(_calendar(root), clock.today(), appstruct['days'])
        _person_of_body(root, doc, 'main_processor', appstruct['main_processor'])
        for login in appstruct.get('co_processors') or ():
            _person_of_body(root, doc, 'co_processors', login)
        if doc.classification == 'mat':
            for field, logins in (('main_processor', [appstruct['main_processor']]),
                                  ('co_processors', appstruct.get('co_processors') or ())):
                readers.check(root, doc, user, logins, _assignment_reason(appstruct), field=field)
        for unit in appstruct.get('info_units') or ():
            if unit not in _body(doc).units:
                raise single('info_units', _('unit_unknown', default='Đơn vị "${unit}" không thuộc cơ quan này',
                                             mapping={'unit': unit}))
    elif needs == 'extension':
        if doc.deadline and appstruct['deadline'] <= doc.deadline:
            raise single('deadline', _('extension_not_later', default='Hạn mới phải sau hạn hiện tại ${old}',
                                       mapping={'old': doc.deadline.isoformat()}))
    elif needs == 'completion' and appstruct.get('reply'):
        reply = _reply(_body(doc), appstruct['reply'])
        if reply is not None:
            appstruct['reply'] = reply.__name__
        if reply is None or reply.direction != 'outgoing':
            raise single('reply', _('reply_unknown', default='Không có văn bản đi "${id}" của cơ quan này',
                                    mapping={'id': appstruct['reply']}))
    elif needs == 'amendment':
        for code in appstruct.get('add_receivers') or ():
            target = root['bodies'].get(code)
            if target is None or not target.is_open() or code in (doc.send_to or ()):
                raise single('add_receivers', _('receiver_invalid', default='Không gửi thêm được tới "${code}"',
                                                mapping={'code': code}))
        if not appstruct.get('abstract') and not appstruct.get('add_receivers'):
            raise single('abstract', _('amendment_empty', default='Ghi trích yếu đã đính chính hoặc nơi nhận thêm'))
    elif needs == 'forwarding':
        target = root['bodies'].get(appstruct['to_body'])
        if target is None or target.code == doc.body_code or not target.is_open():
            raise single('to_body', _('forward_target_invalid', default='Không chuyển tiếp được tới "${code}"',
                                      mapping={'code': appstruct['to_body']}))
    return {k: (v.isoformat() if hasattr(v, 'isoformat') else v) for k, v in appstruct.items()}


# -- guards -----------------------------------------------------------------------

def origin_check_pending(doc, info=None):
    """A document taken in from outside without proof of origin waits for the clerk's check."""
    if (getattr(doc, 'exchange', None) or {}).get('origin_check') != 'pending':
        raise WorkflowError('Văn bản không chờ kiểm tra nguồn gốc')


def accept_origin(doc, info):
    """The clerk accepts the origin: registration proceeds as usual (legal value still comes only
    from a valid signature on the document itself, Art. 4)."""
    doc.exchange = dict(doc.exchange, origin_check='accepted', origin_accepted_by=info.request.user.login)


def origin_has_verdict(doc, info):
    """No registration before the origin check has a verdict (Art. 10); none with an invalid
    signature unless the clerk overrides it with a reason, which the journal keeps.

    Valid, unsigned and not verified (paper, no main file) may be registered: the last two
    only as reference copies (Art. 4), which the document shows.
    """
    if not doc.origin_verdict:
        raise WorkflowError('Chưa kiểm tra nguồn gốc, tính hợp lệ của văn bản: chưa vào sổ được')
    if (getattr(doc, 'exchange', None) or {}).get('origin_check') == 'pending':
        raise WorkflowError('Văn bản cần kiểm tra nguồn gốc: văn thư chấp nhận hoặc từ chối trước khi vào sổ')
    data = info.request.data
    verdict = doc.origin_verdict
    status = verdict.get('status') if isinstance(verdict, dict) else verdict
    override = data.pop('override_origin', None)
    if status != 'invalid':
        return
    if not override:
        raise WorkflowError(f'Chữ ký số không hợp lệ: {verdict.get("reason")} Chỉ vào sổ được khi văn thư '
                            'ghi lý do (override_origin).')
    data.update(override_origin=override, origin_status=status, origin_code=verdict.get('code'))


def has_signer(doc, info):
    """A draft goes to the leader only with its signer named (Art. 11.9: the document shows who
    signs it): refused at submission, naming the field, rather than after approval and signing."""
    if not (doc.signer_name or '').strip():
        raise InputError([{'field': 'signer_name', 'code': 'signer_required',
                           'message': _('signer_required', default='Chưa ghi "Người ký": sửa dự thảo, '
                                                                   'ghi người ký rồi trình duyệt')}], status=409)


def is_signed(doc, info):
    """No sending before the organisation's signature (Art. 9): the current main file must be
    the one signed with a certificate registered as the body's organisation signing certificate;
    and none as a legally valid document unless it is one (Art. 4): the signed file's verdict
    valid, the approval signed with the approving leader's registered personal certificate.
    Refused with the reason (409)."""
    if doc.signed_at is None or not organisation_signed(doc):
        raise WorkflowError('Văn bản chưa có chữ ký số của cơ quan, tổ chức: chưa gửi được')
    legal = legal_status(doc)
    if not legal.valid:
        # the reason in Vietnamese, as the verdict's own reasons are (a message id is not nested)
        reason = translate(legal.reason)
        raise Conflict('not_legally_valid', _('send_not_legally_valid', default=(
            'Không gửi được: văn bản chỉ có giá trị tham khảo (${code}). ${reason}'),
            mapping={'code': legal.code, 'reason': reason}))


# -- callbacks ----------------------------------------------------------------------

def _rules(info):
    return info.request.registry.archive_numbering


def take_incoming_number(doc, info):
    key, number = registers.take_number(_body(doc), 'incoming', doc, info.request.user.login, _rules(info))
    doc.register_series, doc.register_number = key, number
    doc.registered_at = clock.now()
    if doc.received_at is None:
        doc.received_at = doc.registered_at      # taken in now, if the clerk did not say when
    info.request.data['number'] = number
    info.request.data['series'] = key


def take_outgoing_number(doc, info):
    """The clerk takes the number after approval; that day becomes the date of issue."""
    body = _body(doc)
    key, number = registers.take_number(body, 'outgoing', doc, info.request.user.login, _rules(info))
    doc.register_series, doc.register_number = key, number
    doc.issued_date = clock.today()
    doc.number_symbol = f'{number}-{doc.doc_type}/{body.symbol}'
    body.registers[key].entries[number].label = doc.number_symbol
    doc.parsed = parse_symbol(doc.number_symbol)
    info.request.data.update(number=number, series=key, number_symbol=doc.number_symbol)


def void_outgoing_number(doc, info):
    body = _body(doc)
    body.registers[doc.register_series].void(doc.register_number, info.request.data['reason'],
                                             info.request.user.login)
    info.request.data['voided'] = doc.register_number
    doc.register_number = doc.register_series = None
    doc.number_symbol = None
    doc.parsed = None
    doc.issued_date = None


def assign(doc, info):
    data = info.request.data
    doc.instruction = data.get('instruction')
    doc.main_processor = data['main_processor']
    doc.co_processors = tuple(data.get('co_processors') or ())
    doc.info_units = tuple(data.get('info_units') or ())
    if data.get('deadline'):
        import datetime as dt
        doc.deadline = dt.date.fromisoformat(data['deadline'])
    doc.assigned_at = clock.now()
    if doc.classification == 'mat':
        # Assigning a Mật document names the people who may read it (checked in ``check_data``).
        readers.widen(info.request.root, doc, info.request.user, [doc.main_processor, *doc.co_processors],
                      _assignment_reason(data))
    # the processors are told: a notice after their next login, a mail when they asked for one
    notify.assigned(info.request.root, doc, info.request.user, info.request.registry.archive_settings)


def unassign(doc, info):
    doc.main_processor = None
    doc.co_processors = ()


def extend(doc, info):
    import datetime as dt
    data = info.request.data
    data['old_deadline'] = doc.deadline.isoformat() if doc.deadline else None
    doc.deadline = dt.date.fromisoformat(data['deadline'])


def complete(doc, info):
    reply = info.request.data.get('reply')
    doc.reply = (doc.body_code, reply) if reply else None
    doc.completed_at = clock.now()


def forward(doc, info):
    """*Chuyển tiếp cho cơ quan khác*: the document goes on to the body named, as a new package from
    this body with the forwarding note, delivered by the exchange like a sending; the receiver's
    statuses come back on its delivery row."""
    data = info.request.data
    delivery = queue_forward(info.request.root, doc, data['to_body'], data['reason'])
    data.update(delivery=delivery.id, document_id=delivery.document_id, route=delivery.route)


def sign_approval(doc, info):
    """Approval is the leader's signature: the main PDF signed with the approver's personal key
    (visible stamp) as a new main file; without a key the approval is recorded as not signed
    and the document stays reference only."""
    info.request.data.update(sign(info.request.root, doc, info.request.user, info.request.registry))


def sign_organisation(doc, info):
    """The clerk applies the organisation's signature to the main file and each PDF attachment,
    then the result is verified and the verdict stored on the document."""
    request = info.request
    request.data.update(organisation_sign(request.root, doc, request.user, request.registry))
    verdict = check_outgoing(request.root, doc, request.registry.archive_settings, request.user.login)
    if verdict is not None:
        request.data.update(origin_status=verdict.status, origin_code=verdict.code)


def record_sending(doc, info):
    """The time of sending; flagged late when after its limit (Art. 6.3): the urgent window after
    the organisation signature for a khẩn or more urgent document, else the next working morning.
    One delivery per electronic receiver is queued in the same transaction."""
    doc.sent_at = clock.now()
    queued = queue_deliveries(info.request.root, doc)
    if queued:
        info.request.data['deliveries'] = [[d.receiver, d.route] for d in queued]
        info.request.data['document_id'] = doc.document_id
    window = dt.timedelta(minutes=info.request.registry.archive_settings.urgent_send_minutes)
    limit = cal_mod.sending_limit(_calendar(info.request.root), doc.signed_at, doc.urgency, window)
    info.request.data['late'] = doc.sent_at > limit
    info.request.data['send_limit'] = clock.iso(limit)


def remember_state(doc, info):
    """A recall keeps the state it interrupts: refusing the recall returns there."""
    doc.state_before_recall = info.transition['from_state']
    doc.recall = {'reason': info.request.data.get('reason'), 'at': clock.iso(clock.now()),
                  'by': info.request.user.login}


def destroy_content(doc, info):
    """The recalled copy destroyed (Art. 9.2): files and content go, the metadata and the trail stay."""
    info.request.data.update(destroy(info.request.root, doc))


def queue_recalls(doc, info):
    """The sender recalls: a recall goes to every receiver the document reached."""
    info.request.data['recalled_from'] = queue(info.request.root, doc, info.request.data['reason'])


def queue_updates(doc, info):
    """The sender corrects a sent document: its receivers get an update (edXML type 2), the
    receivers added get the document itself."""
    info.request.data.update(outgoing_updates(info.request.root, doc, info.request.data, info.request.user.login))

"""The intake form (*Tiếp nhận văn bản đến*) and the drafting form (*Soạn văn bản đi*): the same
document schema, each showing only its fields, in the order a clerk reads them off the document,
the rest folded under "more" (``templates/deform/document_form_fields.pt``). The issuing body and
the receivers are picked from the directory by name, never typed as a 13-character code."""
import deform

from ..i18n import _
from ..resources.root import app_root

# direction -> (shown first, in reading order; under "more"; given, not shown)
LAYOUTS = {
    'incoming': (
        ['organ_id', 'sender', 'number_symbol', 'issued_date', 'doc_type', 'abstract', 'urgency',
         'classification', 'signer_name', 'main_file', 'attachments', 'held_files'],
        ['received_at', 'channel', 'urgency_deadline', 'place', 'signer_position', 'signer_competence',
         'pages', 'copies', 'deadline', 'holder_unit', 'named_people', 'receivers', 'notes'],
        ['direction']),
    'outgoing': (
        ['doc_type', 'abstract', 'urgency', 'classification', 'signer_name', 'signer_position',
         'signer_competence', 'send_to', 'receivers', 'main_file', 'attachments', 'held_files'],
        ['paper_category', 'holder_unit', 'deadline', 'urgency_deadline', 'pages', 'copies', 'place',
         'replaces', 'named_people', 'notes'],
        ['direction', 'organ_id', 'sender']),
}
BODIES_LIST = 'bodies-directory'


def directory(request):
    """``[(code, name)]`` of the bodies one may pick, by name."""
    return sorted(((b.code, b.name) for b in app_root(request)['bodies'].values()), key=lambda b: b[1])


def arrange(form, direction, request):
    """Arrange ``form`` (a deform form of the document schema, file fields included) as the intake
    or the drafting form; a form without a direction stays whole."""
    if direction not in LAYOUTS:
        return form
    first, more, given = LAYOUTS[direction]
    keep = first + more + given + [c.name for c in form.children if c.name not in first + more + given
                                   and c.name in ('csrf_token', 'readers_reason', 'confirm_duplicate')]
    by_name = {c.name: c for c in form.children}
    form.children = [by_name[n] for n in keep if n in by_name]
    form.schema.children = [by_name[n].schema for n in keep if n in by_name]
    for name in given:
        if name in by_name:
            by_name[name].widget = deform.widget.HiddenWidget()
    form.more = [n for n in more if n in by_name]
    form.more_title = request.localizer.translate(_('more_fields', default='Thêm thông tin'))
    form.widget.template = 'document_form_fields'
    if 'organ_id' in by_name and 'organ_id' not in given:
        by_name['organ_id'].widget = deform.widget.TextInputWidget(
            attributes={'list': BODIES_LIST, 'autocomplete': 'off'})
        by_name['organ_id'].description = _('d_organ_id_pick', default='Gõ tên hoặc mã để chọn trong danh bạ')
    if 'send_to' in by_name:
        # a multi-select without scripts; static/archive.js makes it a type-ahead of chips
        t = request.localizer.translate
        by_name['send_to'].widget = deform.widget.SelectWidget(
            values=[(code, f'{name}') for code, name in directory(request)], multiple=True, size=6,
            attributes={'data-typeahead': '',
                        'data-remove': t(_('typeahead_remove', default='Bỏ')),
                        'data-chosen': t(_('typeahead_chosen', default='Đã chọn')),
                        'data-none': t(_('typeahead_none', default='Không có cơ quan nào khớp')),
                        'data-help': t(_('d_send_to_type', default='Gõ một phần tên hoặc mã rồi chọn; '
                                                                   'chọn được nhiều cơ quan'))})
        by_name['send_to'].description = _('d_send_to_pick', default='Chọn một hay nhiều cơ quan (giữ Ctrl)')
    return form


def make(schema, direction, request, button):
    """A deform form of ``schema`` (already carrying the CSRF field) arranged for ``direction``."""
    form = deform.Form(schema, buttons=(deform.Button('submit', title=button),), formid='document')
    return arrange(form, direction, request)


def organ_name(request, organ_id):
    body = app_root(request)['bodies'].get(organ_id) if organ_id else None
    return body.name if body is not None else None

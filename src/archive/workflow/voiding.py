"""Voiding a number taken by mistake (the API's ``POST .../registers/{kind}/void``).

It lives in the workflow layer because a number an outgoing document still carries is given up
through that document's own ``void`` action (``engine.fire``); the caller checks the permission.
"""
import colander

from .. import audit
from ..errors import Conflict, InputError, Unknown, field_errors
from ..i18n import _
from ..schemas.types import Text, max_length, required
from . import engine


class WholeNumber(colander.Int):
    """A register number: a JSON integer (or its digits), never 2.9 read as 2."""

    def deserialize(self, node, cstruct):
        if isinstance(cstruct, bool) or not (isinstance(cstruct, int) or (
                isinstance(cstruct, str) and cstruct.strip().isdigit())):
            raise colander.Invalid(node, _('number_invalid', default='Phải là một số nguyên'))
        return super().deserialize(node, cstruct)


class VoidSchema(colander.MappingSchema):
    series = required(Text())
    number = colander.SchemaNode(WholeNumber(), validator=colander.Range(
        min=1, min_err=_('number_negative', default='Không được là số âm')))
    reason = required(Text(), validator=max_length(1000))


def void(root, body, kind, cstruct, user, registry):
    """Void a number taken by mistake: it stays in the register, marked, and is never reused.
    ``user`` is the acting identity; the caller has checked that it may manage the registers."""
    try:
        data = VoidSchema().deserialize(cstruct)
    except colander.Invalid as exc:
        raise InputError(field_errors(exc))
    series = body.registers.get(data['series'])
    if series is None or series.kind != kind:
        raise Unknown('not_found', _('not_found', default='Không tìm thấy'))
    entry = series.entries.get(data['number'])
    holder = body.documents.get(entry.document) if entry is not None else None
    if holder is not None and holder.register_series == series.key and holder.register_number == data['number']:
        # The document still carries this number: it gives it up through its own action
        # (outgoing: "void", which also takes it back to where a number can be taken), or it
        # would go on, and be sent, under a void number. An incoming document keeps its số đến.
        if holder.direction != 'outgoing':
            raise Conflict('number_in_use', _(
                'number_in_use', default='Số ${n} đang gắn với văn bản; hủy số từ trang của văn bản đó',
                mapping={'n': data['number']}))
        engine.fire(root, holder, 'void', user, registry,
                    data={'reason': data['reason']})
        return entry
    entry = series.void(data['number'], data['reason'], user.login)
    doc = body.documents.get(entry.document)
    audit.append(root, f'body:{body.code}', 'number_voided', user.login,
                 series=series.key, number=entry.number, reason=data['reason'])
    if doc is not None:
        audit.append(root, doc.chain_id, 'number_voided', user.login,
                     series=series.key, number=entry.number, reason=data['reason'])
    return entry

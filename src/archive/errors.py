"""One shape for input errors in every channel: ``[{field, code, message}]``.

The code is the message id of our translation strings (``organ_id_malformed``),
so the API, the pages and later the exchange answer a bad field the same way.
"""
import colander
from translationstring import TranslationString

from .i18n import _

# colander's own messages, by message id, mapped to our codes.
COLANDER_CODES = {
    'Required': 'required',
    'Invalid date': 'date_invalid',
    '"${val}" is not a number': 'number_invalid',
    '"${val}" is not a string': 'text_invalid',
    '"${val}" is not a mapping type: ${err}': 'mapping_invalid',
    '"${val}" is not one of ${choices}': 'choice_invalid',
    'Longer than maximum length ${max}': 'too_long',
}


class InputError(Exception):
    """Input refused; carries the field errors for the channel to render."""

    def __init__(self, errors, status=400):
        super().__init__(errors)
        self.errors = errors
        self.status = status


class Conflict(Exception):
    """The request is valid but the resource's state does not allow it (HTTP 409)."""

    status = 409

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def errors(self):
        """The same list an ``InputError`` carries, so a view shows either one way."""
        return [{'field': '', 'code': self.code, 'message': self.message}]


class Unknown(Conflict):
    """What the request names does not exist (HTTP 404), said with its own code: raised below the
    web layer, which alone knows HTTP."""

    status = 404


def not_found():
    """The plain 404 (``not_found``), as the web layer answers a path that leads nowhere."""
    return Unknown('not_found', _('not_found', default='Không tìm thấy'))


class Forbidden(Exception):
    """The acting user may not do this (HTTP 403): raised below the web layer, which alone knows
    HTTP, and answers it as any refused permission (``forbidden``; a person not logged in is sent
    to the login page). ``message`` says why, for the log, the scripts and the refusal page: so
    nothing of the resource it guards goes in it."""

    status = 403

    def __init__(self, message=None):
        super().__init__(message)
        self.message = message


def code_of(msg):
    if isinstance(msg, TranslationString):
        if msg.domain == 'archive':
            return str(msg)
        return COLANDER_CODES.get(str(msg), 'invalid')
    return 'invalid'


def field_errors(exc, translate=lambda m: m):
    """Flatten a colander ``Invalid`` into ``[{field, code, message}]``."""
    out = []

    def walk(inv, prefix):
        name = inv.node.name if inv.pos is None or inv.node.name else str(inv.pos)
        path = f'{prefix}.{name}' if prefix and name else (name or prefix)
        if inv.msg is not None:
            for msg in inv.messages():
                out.append({'field': path, 'code': code_of(msg), 'message': translate(msg)})
        for child in inv.children:
            walk(child, path)
    walk(exc, '')
    return out


def translated(errors, translate):
    """The error list with each message in the reader's language."""
    return [dict(e, message=translate(e['message'])) for e in errors]


def single(field, msg):
    """An ``Invalid`` for one named field, for checks made outside a schema."""
    return colander.Invalid(colander.SchemaNode(colander.String(), name=field), msg)


def merge(errors):
    """Join several ``Invalid`` into one, keeping every field's messages."""
    top = colander.Invalid(colander.SchemaNode(colander.Mapping(), name=''))
    for exc in errors:
        if exc.node.name:
            top.add(exc)
        else:
            for child in exc.children:
                top.add(child)
    return top

"""A small form helper over deform (pyramid_deform is long dead)."""
import re

import colander
import deform
from markupsafe import Markup, escape
from pyramid.csrf import get_csrf_token

from .. import clock
from ..errors import field_errors
from ..schemas.types import AwareDateTime, IsoDate


class PlainFileWidget(deform.widget.Widget):
    """A bare ``<input type=file>``; the view reads the upload from ``request.POST``. With
    ``max_bytes`` and ``too_large`` (the server's refusal, translated, ``%s`` for the file's name)
    the page's script refuses a file over the limit as it is picked, before a long upload the
    server would refuse anyway; without the script the server's refusal stands alone."""

    multiple = False
    max_bytes = None
    too_large = None

    def serialize(self, field, cstruct, **kw):
        multiple = ' multiple' if self.multiple else ''
        limit = (f' data-max-bytes="{int(self.max_bytes)}" data-too-large="{escape(self.too_large)}"'
                 if self.max_bytes else '')
        return Markup(f'<input type="file" class="form-control" name="{escape(field.name)}" '
                      f'id="{escape(field.oid)}"{multiple}{limit}>')

    def deserialize(self, field, pstruct):
        return colander.null


LOCAL_MINUTE = re.compile(r'^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$')


class DateWidget(deform.widget.TextInputWidget):
    """A date picker (``<input type=date>``: the browser shows dd/mm/yyyy in Vietnamese and posts
    ``YYYY-MM-DD``, which the schema reads)."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.attributes = {'type': 'date'}


class LocalDateTimeWidget(deform.widget.TextInputWidget):
    """A date and time picker in Vietnam time (``<input type=datetime-local>``): the zone is never
    typed; ``with_zone`` adds +07:00 to what it posts before the schema reads it."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.attributes = {'type': 'datetime-local'}

    def serialize(self, field, cstruct, **kw):
        if isinstance(cstruct, str) and not LOCAL_MINUTE.match(cstruct):
            try:
                cstruct = clock.to_vn(clock.parse_iso(cstruct)).strftime('%Y-%m-%dT%H:%M')
            except ValueError:
                pass                     # what was typed, shown again as typed
        return super().serialize(field, cstruct, **kw)


def with_zone(value):
    """``2026-11-24T09:30`` from a picker as ``2026-11-24T09:30:00+07:00``; anything else as it came."""
    if isinstance(value, str) and LOCAL_MINUTE.match(value.strip()):
        return value.strip() + ':00+07:00'
    return value


def use_pickers(schema):
    """Date and time pickers for the schema's date and date-time fields (the pages only). Their
    hints for the API (``YYYY-MM-DD``, "ISO 8601 có múi giờ ...") are left out: a clerk picks a
    date in the browser's own control, and was told to type a machine's format."""
    for node in schema.children:
        if isinstance(node.typ, IsoDate):
            node.widget, node.description = DateWidget(), None
        elif isinstance(node.typ, AwareDateTime):
            node.widget, node.description = LocalDateTimeWidget(), None
    return schema


def file_node(name, title, multiple=False, description=None, limit=None):
    """A file field; ``limit``: ``(max_bytes, too_large)`` for ``PlainFileWidget``'s check."""
    widget = PlainFileWidget()
    widget.multiple = multiple
    if limit is not None:
        widget.max_bytes, widget.too_large = limit
    return colander.SchemaNode(colander.String(), name=name, title=title, missing=colander.null,
                               widget=widget, description=description)


def posted(request, schema):
    """The posted values of the schema's fields, as deform's widgets send them (peppercorn
    groups a multiple select or checkboxes into a list); files are read apart."""
    import peppercorn
    fields = [(k, v) for k, v in request.POST.items() if isinstance(v, str)]
    try:
        pstruct = peppercorn.parse(fields)
    except Exception:      # malformed markers from a hand-made request: read plain fields only
        pstruct = {k: v for k, v in fields if not k.startswith('__')}
    names = {c.name for c in schema.children} - {'csrf_token'}
    zoned = {c.name for c in schema.children if isinstance(c.typ, AwareDateTime)}
    return {k: (with_zone(v) if k in zoned else v) for k, v in pstruct.items()
            if k in names and isinstance(v, (str, list))}


def add_csrf(schema, request):
    schema.add(colander.SchemaNode(colander.String(), name='csrf_token', missing=colander.null,
                                   widget=deform.widget.HiddenWidget(), default=get_csrf_token(request)))
    return schema


def make_form(request, schema, button, formid):
    add_csrf(schema, request)
    return deform.Form(schema, buttons=(deform.Button('submit', title=button),), formid=formid)


def render_submitted(form, cstruct):
    """Render the form again with what was posted (text as typed, not re-serialized)."""
    full = {child.name: cstruct.get(child.name, colander.null) for child in form.children}
    full['csrf_token'] = form['csrf_token'].schema.default
    form.cstruct = full
    return form.serialize(full)


def show_errors(request, form, exc):
    """Put the field errors on the form; return the flat list for the error summary."""
    errors = put_errors(form, field_errors(exc, request.localizer.translate))
    request.response.status = 400
    return errors


def put_errors(form, errors):
    """Put ``[{field, code, message}]`` beside the form's fields; return the list."""
    by_field = {}
    for e in errors:
        by_field.setdefault(e['field'], []).append(e['message'])
    for field in form.children:
        if field.name in by_field:
            field.error = colander.Invalid(field.schema, '; '.join(by_field[field.name]))
    form.error = colander.Invalid(form.schema, '')
    return errors

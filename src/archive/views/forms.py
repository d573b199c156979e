"""A small form helper over deform (pyramid_deform is long dead)."""
import colander
import deform
from markupsafe import Markup, escape
from pyramid.csrf import get_csrf_token

from ..errors import field_errors


class PlainFileWidget(deform.widget.Widget):
    """A bare ``<input type=file>``; the view reads the upload from ``request.POST``."""

    multiple = False

    def serialize(self, field, cstruct, **kw):
        multiple = ' multiple' if self.multiple else ''
        return Markup(f'<input type="file" class="form-control" name="{escape(field.name)}" '
                      f'id="{escape(field.oid)}"{multiple}>')

    def deserialize(self, field, pstruct):
        return colander.null


def file_node(name, title, multiple=False, description=None):
    widget = PlainFileWidget()
    widget.multiple = multiple
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
    return {k: v for k, v in pstruct.items() if k in names and isinstance(v, (str, list))}


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

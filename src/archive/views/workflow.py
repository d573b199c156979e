"""Pages: a document's actions, the desk, and the registers with their exports."""
import itertools

import colander
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.renderers import render_to_response
from pyramid.response import Response
from pyramid.view import view_config

from .. import security as S
from ..disposition import content_disposition
from ..errors import Conflict, InputError, translated
from ..resources.bodies import Body
from ..resources.documents import Document
from ..resources.root import ArchiveRoot, app_root
from ..services import registers as reg
from ..services.desk import desk_for
from ..search import FACETS
from ..search.filters import read_filters
from ..workflow import engine, states
from ..workflow.actions import NEEDS
from . import flash
from .filter_form import filter_fields, page_errors, without_empty_fields
from ..workflow.titles import transition_title
from .forms import posted
from .forms import add_csrf, put_errors, render_submitted


def _choices(request, doc):
    """What the action forms offer to choose from: the body's people, units, other bodies."""
    root = app_root(request)
    body = doc.__parent__.__parent__
    people = [(u.login, f'{u.full_name} ({u.position or u.login})') for u in root['users'].values()
              if u.body_code == body.code and u.active and (u.has_role(S.PROCESSOR) or u.has_role(S.LEADER))]
    units = [(u.code, u.name) for u in body.units.values()]
    bodies = [(b.code, f'{b.name} ({b.code})') for b in root['bodies'].values()
              if b.code != body.code and b.is_open()]
    return {'people': sorted(people, key=lambda p: p[1]), 'units': units,
            'bodies': sorted(bodies, key=lambda b: b[1])}


def action_forms(request, doc, failed=None):
    """One small form per action this user may take now, with the fields it needs.

    ``failed`` is ``(action, posted values, errors)`` of a refused attempt: that form is
    shown again, open, with what was typed and the message beside each field.
    """
    import deform
    choices = _choices(request, doc)
    forms = []
    for n, (action, title, needs) in enumerate(states.available(doc, request.identity, request.registry)):
        title = transition_title(doc, action, request.registry) or title
        schema = NEEDS[needs]().bind(**choices) if needs else colander.MappingSchema()
        add_csrf(schema, request)
        form = deform.Form(schema, buttons=(deform.Button('submit', title=request.localizer.translate(title)),),
                           formid=f'action-{action}', counter=itertools.count(n * 100),
                           action=request.resource_url(doc, 'transition', query={'action': action}))
        item = {'action': action, 'title': title, 'open': False, 'errors': []}
        if failed is not None and failed[0] == action:
            item['errors'] = put_errors(form, failed[2])
            item['open'] = True
            item['form'] = render_submitted(form, failed[1])
        else:
            item['form'] = form.render()
        forms.append(item)
    return forms


@view_config(context=Document, name='transition', request_method='POST', permission=S.VIEW,
             renderer='archive:templates/error.pt')
def transition_view(context, request):
    action = request.params.get('action', '')
    needs_schema = None
    data = {}
    title = action
    for t_action, t_title, needs in states.available(context, request.identity, request.registry):
        if t_action == action:
            title = transition_title(context, action, request.registry) or t_title
        if t_action == action and needs:
            needs_schema = NEEDS[needs]()
    if needs_schema is not None:
        data = posted(request, needs_schema)
    number_before = (context.register_series, context.register_number)
    try:
        engine.fire(app_root(request), context, action, request.identity, request.registry, data=data)
    except (InputError, Conflict) as exc:
        # Show the document again with this action's form open, what was typed kept,
        # and the reason beside the field (or above the form).
        from .documents import document_view
        errors = translated(exc.errors, request.localizer.translate)
        page = document_view(context, request)
        page['actions'] = action_forms(request, context, failed=(action, data, errors))
        request.response.status = 409
        return render_to_response('archive:templates/document.pt', page, request=request,
                                  response=request.response)
    flash.action_done(request, context, title,
                      gave_number=(context.register_series, context.register_number) != number_before)
    return HTTPSeeOther(request.resource_url(context))


@view_config(context=ArchiveRoot, name='desk', permission=S.VIEW_BODIES, renderer='archive:templates/desk.pt')
def desk_view(context, request):
    return {'desk': desk_for(app_root(request), request.identity, request.registry)}


def register_download(table, kind, fmt):
    """A register as a file to download (pages and API)."""
    data, media_type, name = reg.export(table, kind, fmt)
    response = Response(body=data, content_type=media_type.split(';')[0])
    if fmt == 'csv':
        response.charset = 'utf-8'
    response.content_disposition = content_disposition(name)
    return response


REGISTER_PARAMS = ('kind', 'year', 'secret', 'format')     # beside the filters (search/filters.py)


@view_config(context=Body, name='registers', permission=S.LIST_DOCUMENTS, renderer='archive:templates/registers.pt')
def registers_view(context, request):
    cleaned = without_empty_fields(request)
    if cleaned is not None:
        return cleaned
    kind = request.params.get('kind', 'incoming')
    secret = request.params.get('secret') == '1'
    fmt = request.params.get('format')
    page = {'body': context, 'kind': kind, 'kinds': reg.KINDS, 'year': request.params.get('year') or '',
            'secret': '1' if secret else '', 'table': None, 'errors': []}
    try:
        filters = read_filters(request.GET, REGISTER_PARAMS)
        table, counts = reg.filtered_register(app_root(request), request.identity, request.registry, context, kind,
                                              request.params.get('year'), secret=secret, filters=filters)
    except InputError as exc:
        if fmt:
            raise
        page['errors'] = page_errors(request, exc)
        counts = None
    else:
        if fmt:
            return register_download(table, kind, fmt)
        page['table'] = table
    bodies = app_root(request)['bodies']
    query = [(k, v) for k, v in request.GET.items() if k not in ('format', 'kind', 'secret')]
    # a register holds one body's documents of one direction: no choice of either
    return dict(page, query=query,
                filters=filter_fields(request, request.GET, bodies, counts=counts, body=context,
                                      names=[n for n in FACETS if n not in ('body', 'direction')]))

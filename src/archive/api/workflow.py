"""API: the actions a user may take on a document now, taking one, registers and the desk."""
import colander
from pyramid.httpexceptions import HTTPForbidden
from pyramid.view import view_config

from .. import security as S
from ..resources.root import app_root
from ..services import documents as svc
from ..services import registers as reg
from ..services.desk import desk_for
from ..search.filters import read_filters
from ..workflow import engine, states, voiding
from ..errors import InputError
from ..i18n import _
from ..schemas.types import Text, max_length
from ..views.workflow import register_download
from .common import json_input

# A comment on an action: prose of several lines, checked like every text field.
COMMENT = colander.SchemaNode(Text(multiline=True), name='comment', missing=None, validator=max_length(2000))


def _actions(request, doc):
    t = request.localizer.translate
    return [{'action': a, 'title': t(title), 'needs': needs}
            for a, title, needs in states.available(doc, request.identity, request.registry)]


@view_config(route_name='api.transitions', renderer='json', request_method='GET', permission=S.VIEW)
def list_transitions(context, request):
    return {'status': context.state, 'items': _actions(request, context)}


@view_config(route_name='api.transition', renderer='json', request_method='POST', permission=S.VIEW)
def take_transition(context, request):
    data = json_input(request) if request.body else {}
    comment = data.pop('comment', None)
    if comment is not None and (not isinstance(comment, str) or len(comment) > 2000):
        raise InputError([{'field': 'comment', 'code': 'comment_invalid',
                           'message': _('comment_invalid', default='Ghi chú phải là chữ, tối đa 2000 ký tự')}])
    if comment is not None:
        comment = COMMENT.deserialize(comment) or None
    engine.fire(app_root(request), context, request.matchdict['action'], request.identity,
                request.registry, comment=comment, data=data)
    return dict(svc.as_json(context), actions=_actions(request, context))


@view_config(route_name='api.registers', renderer='json', request_method='GET', permission=S.LIST_DOCUMENTS)
def get_register(context, request):
    kind = request.matchdict['kind']
    filters = read_filters(request.GET, ('year', 'secret', 'format'))
    table, counts = reg.filtered_register(app_root(request), request.identity, request.registry, context, kind,
                                          request.params.get('year'), secret=request.params.get('secret') == '1',
                                          filters=filters)
    fmt = request.params.get('format')
    if fmt:
        return register_download(table, kind, fmt)
    return {'title': table.title, 'subtitle': table.subtitle, 'columns': list(table.columns),
            'rows': [list(r) for r in table.rows],
            'facets': {name: [{'value': v, 'count': n} for v, n in pairs] for name, pairs in counts.items()}}


@view_config(route_name='api.register_void', renderer='json', request_method='POST',
             permission=S.CREATE_DOCUMENT)
def void_number(context, request):
    if not request.has_permission(S.MANAGE_REGISTERS, context):
        raise HTTPForbidden()
    entry = voiding.void(app_root(request), context, request.matchdict['kind'], json_input(request),
                         request.identity, request.registry)
    return {'number': entry.number, 'void': entry.void, 'void_reason': entry.void_reason}


@view_config(route_name='api.desk', renderer='json', request_method='GET', permission=S.VIEW_BODIES)
def desk(request):
    desk = desk_for(app_root(request), request.identity, request.registry, as_json=True)
    for queue in desk['queues']:                # the titles in the reader's language
        queue['title'] = request.localizer.translate(queue['title'])
    return desk

"""Pages: a document's actions, the desk, and the registers with their exports."""
import colander
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config

from .. import security as S
from ..resources.bodies import Body
from ..resources.documents import Document
from ..resources.root import ArchiveRoot, app_root
from ..services import registers as reg
from ..services.desk import desk_for
from ..workflow import engine
from ..workflow.actions import NEEDS


def action_forms(request, doc):
    """One small form per action this user may take now, with the fields it needs."""
    import deform
    from .forms import add_csrf
    forms = []
    for action, title, needs in engine.available(doc, request.identity, request.registry):
        schema = NEEDS[needs]().bind() if needs else colander.MappingSchema()
        add_csrf(schema, request)
        form = deform.Form(schema, buttons=(deform.Button('submit', title=request.localizer.translate(title)),),
                           formid=f'action-{action}',
                           action=request.resource_url(doc, 'transition', query={'action': action}))
        forms.append({'action': action, 'title': title, 'form': form.render()})
    return forms


@view_config(context=Document, name='transition', request_method='POST', permission=S.VIEW,
             renderer='archive:templates/error.pt')
def transition_view(context, request):
    action = request.params.get('action', '')
    needs_schema = None
    data = {}
    for t_action, _title, needs in engine.available(context, request.identity, request.registry):
        if t_action == action and needs:
            needs_schema = NEEDS[needs]()
    if needs_schema is not None:
        data = {c.name: request.POST.get(c.name) for c in needs_schema.children
                if isinstance(request.POST.get(c.name), str)}
    engine.fire(app_root(request), context, action, request.identity, request.registry, data=data)
    return HTTPSeeOther(request.resource_url(context))


@view_config(context=ArchiveRoot, name='desk', permission=S.VIEW_BODIES, renderer='archive:templates/desk.pt')
def desk_view(context, request):
    return {'desk': desk_for(request)}


@view_config(context=Body, name='registers', permission=S.LIST_DOCUMENTS, renderer='archive:templates/registers.pt')
def registers_view(context, request):
    kind = request.params.get('kind', 'incoming')
    secret = request.params.get('secret') == '1'
    table = reg.register_table(request, context, kind, request.params.get('year'), secret=secret)
    fmt = request.params.get('format')
    if fmt:
        request.matchdict = {'kind': kind}
        return reg.export_response(request, table, fmt)
    return {'body': context, 'table': table, 'kind': kind, 'kinds': reg.KINDS,
            'year': request.params.get('year') or '', 'secret': '1' if secret else ''}

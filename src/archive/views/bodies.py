"""The front page, the tree of bodies, and the administrators' form for a new body (accounts:
``views/accounts.py``; units and a body's office: ``views/units.py``)."""
import colander
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config

from .. import security as S
from ..i18n import _
from ..resources.bodies import Bodies
from ..resources.root import ArchiveRoot, app_root
from ..schemas.directory import body_schema
from ..services import directory
from .forms import make_form, posted, render_submitted, show_errors
from ..text import sort_key


@view_config(context=ArchiveRoot, permission=S.VIEW_BODIES)
def front_view(context, request):
    """Everyone starts at their desk; administrators at the tree of bodies."""
    user = request.identity
    if user.has_role(S.ADMIN) and len(user.roles) == 1:
        return HTTPSeeOther(request.resource_url(context['bodies']))
    # the greeting after login (views/flash.py) goes on to the desk
    return HTTPSeeOther(request.resource_url(context, 'desk', query={k: v for k, v in request.GET.items()
                                                                    if k == 'greet'}))


@view_config(context=Bodies, permission=S.VIEW_BODIES, renderer='archive:templates/bodies.pt')
def bodies_view(context, request):
    return {'tree': context.tree(), 'bodies': context,
            'can_manage': request.has_permission(S.MANAGE, context)}


def _body_choices(request):
    bodies = app_root(request)['bodies'].values()
    return sorted(((b.code, f'{b.name} ({b.code})') for b in bodies if b.is_open()), key=lambda c: sort_key(c[1]))


def _admin_form(request, schema, cstruct_default, add, title):
    form = make_form(request, schema, _('save', default='Lưu'), 'admin')
    errors = []
    if request.method == 'POST':
        cstruct = posted(request, schema)
        try:
            created = add(cstruct)
            return HTTPSeeOther(request.resource_url(created)) if created is not None else None, None
        except colander.Invalid as exc:
            errors = show_errors(request, form, exc)
            return None, {'form': render_submitted(form, cstruct), 'errors': errors, 'title': title}
    return None, {'form': form.render(cstruct_default), 'errors': errors, 'title': title}


@view_config(context=Bodies, name='new', permission=S.MANAGE, renderer='archive:templates/admin_form.pt')
def body_create_view(context, request):
    settings = request.registry.archive_settings
    redirect, page = _admin_form(
        request, body_schema(settings, _body_choices(request)), {'kind': 'party', 'route': 'hosted'},
        lambda cstruct: directory.add_body(app_root(request), cstruct, settings, request.authenticated_userid),
        _('new_body', default='Thêm cơ quan'))
    return redirect or page

"""*Quản trị cơ quan*: a body's administrators' page (``/bodies/<code>/admin``) — its units (phòng,
ban: listed, added, renamed, removed while nothing names them; the unit names every page shows come
from here) and the committee whose statistics it compiles as its office (``office_of``, Art. 12).
Through ``services/accounts.py``, which decides what the administrator administers."""
import colander
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config

from .. import security as S
from ..errors import Conflict, field_errors, translated
from ..i18n import _
from ..resources.bodies import Body
from ..resources.root import app_root
from ..services import accounts
from . import flash

ADMIN = 'admin'


def _page(request, body, errors=(), status=None, typed=None):
    root, actor = app_root(request), request.identity
    if status is not None:
        request.response.status = status
    mine = accounts.administered(root, actor)
    bodies = root['bodies']
    committees = [b for b in accounts.bodies_of(root, actor) if b.code != body.code]
    office_of = getattr(body, 'office_of', None)
    return {'body': body, 'bodies': bodies, 'errors': list(errors), 'typed': typed or {},
            'units': [(u, accounts.unit_uses(root, body, u.code)) for u in body.units.values()],
            'committees': committees, 'office_of': office_of,
            'may_set_office': office_of is None or office_of not in bodies or office_of in mine}


def _mine(request, context):
    return accounts.body_of(app_root(request), request.identity, context.code)


@view_config(context=Body, name=ADMIN, request_method='GET', permission=S.MANAGE,
             renderer='archive:templates/body_admin.pt')
def body_admin_view(context, request):
    return _page(request, _mine(request, context))


def _change(request, context, change, done, typed=None):
    body = _mine(request, context)
    try:
        changed = change(app_root(request), request.identity, body)
    except colander.Invalid as exc:
        return _page(request, body, field_errors(exc, request.localizer.translate), 400, typed)
    except Conflict as exc:
        return _page(request, body, translated(exc.errors, request.localizer.translate), exc.status, typed)
    if changed is not False:
        flash.confirm(request, done)
    return HTTPSeeOther(request.resource_url(body, ADMIN))


def _posted(request, *names):
    return {n: request.POST.get(n, '') for n in names}


@view_config(context=Body, name='unit-add', request_method='POST', permission=S.MANAGE,
             renderer='archive:templates/body_admin.pt')
def unit_add_view(context, request):
    values = _posted(request, 'code', 'name')
    return _change(request, context, lambda root, actor, body: accounts.add_unit(root, actor, body, values),
                   _('flash_unit_added', default='Đã thêm đơn vị ${name}', mapping={'name': values['name']}),
                   typed=values)


@view_config(context=Body, name='unit-rename', request_method='POST', permission=S.MANAGE,
             renderer='archive:templates/body_admin.pt')
def unit_rename_view(context, request):
    values = _posted(request, 'code', 'name')
    return _change(request, context,
                   lambda root, actor, body: accounts.rename_unit(root, actor, body, values['code'], values['name']),
                   _('flash_unit_renamed', default='Đã đổi tên đơn vị thành ${name}', mapping={'name': values['name']}))


@view_config(context=Body, name='unit-delete', request_method='POST', permission=S.MANAGE,
             renderer='archive:templates/body_admin.pt')
def unit_delete_view(context, request):
    code = request.POST.get('code', '')
    return _change(request, context, lambda root, actor, body: accounts.delete_unit(root, actor, body, code),
                   _('flash_unit_deleted', default='Đã xóa đơn vị'))


@view_config(context=Body, name='office-of', request_method='POST', permission=S.MANAGE,
             renderer='archive:templates/body_admin.pt')
def office_of_view(context, request):
    code = request.POST.get('office_of', '')
    return _change(request, context, lambda root, actor, body: accounts.set_office_of(root, actor, body, code),
                   _('flash_office_of_set', default='Đã lưu cấp ủy mà văn phòng này tổng hợp số liệu'))

"""*Người dùng*: the administrators' pages for accounts — the list, a new account, an account's
page where its roles and unit are changed, it is locked or unlocked and its password reset.
Everything goes through ``services/accounts.py`` (the command line and the API use the same),
which also decides what the administrator may see: the accounts of the bodies they administer."""
import colander
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config

from .. import audit
from .. import security as S
from ..errors import Conflict, field_errors, translated
from ..i18n import _
from ..resources.root import app_root
from ..resources.users import User, Users
from ..schemas.directory import PasswordSchema, user_schema
from ..services import accounts
from . import flash
from .forms import make_form, posted, render_submitted, show_errors

# the account's own journal entries its page shows (never a password: none is journaled)
HISTORY = ('user_created', 'roles_changed', 'unit_changed', 'user_enabled', 'user_disabled', 'password_set',
           'password_changed', 'token_created', 'token_revoked', 'account_locked')


def _unit_choices(bodies):
    """The units of the bodies offered, grouped by body (their codes are checked against the body)."""
    import deform.widget
    groups = [deform.widget.OptGroup(b.name, *[(u.code, u.name) for u in b.units.values()])
              for b in bodies if len(b.units)]
    return [('', '—')] + groups


@view_config(context=Users, permission=S.MANAGE, renderer='archive:templates/users.pt')
def users_view(context, request):
    root, actor = app_root(request), request.identity
    body = (request.GET.get('body') or '').strip()
    bodies = accounts.bodies_of(root, actor)
    if body and body not in {b.code for b in bodies}:
        body = ''
    return {'users': accounts.users_of(root, actor, body or None), 'bodies': root['bodies'],
            'choices': bodies, 'chosen': body}


@view_config(context=Users, name='new', permission=S.MANAGE, renderer='archive:templates/admin_form.pt')
def user_create_view(context, request):
    root, actor = app_root(request), request.identity
    settings = request.registry.archive_settings
    bodies = accounts.bodies_of(root, actor)
    schema = user_schema(settings, [(b.code, f'{b.name} ({b.code})') for b in bodies])
    import deform.widget
    schema['unit_code'].widget = deform.widget.SelectWidget(values=_unit_choices(bodies))
    form = make_form(request, schema, _('save', default='Lưu'), 'admin')
    title = _('new_user', default='Thêm người dùng')
    if request.method == 'POST':
        cstruct = posted(request, schema)
        try:
            user = accounts.create_user(root, actor, cstruct, settings)
        except colander.Invalid as exc:
            errors = show_errors(request, form, exc)
            return {'form': render_submitted(form, cstruct), 'errors': errors, 'title': title}
        flash.confirm(request, _('flash_user_created', default='Đã tạo tài khoản ${login}',
                                 mapping={'login': user.login}))
        return HTTPSeeOther(request.resource_url(user))
    return {'form': form.render({}), 'errors': [], 'title': title}


def _page(request, user, errors=(), status=None):
    root = app_root(request)
    if status is not None:
        request.response.status = status
    history = [e for e in audit.entries(root, f'user:{user.login}', HISTORY)][-20:]
    return {'user': user, 'body': root['bodies'].get(user.body_code), 'errors': list(errors),
            'roles': S.ROLES, 'role_titles': S.ROLE_TITLES, 'history': history,
            'is_self': user.login == request.authenticated_userid}


def _mine(request, context):
    """The account, if the administrator administers its body (else 404, as for no account)."""
    return accounts.user_of(app_root(request), request.identity, context.login)


@view_config(context=User, permission=S.MANAGE, renderer='archive:templates/user.pt')
def user_view(context, request):
    return _page(request, _mine(request, context))


def _change(request, context, change, done):
    """Run ``change(root, actor, user)``; the account's page again with the errors, or on to it
    with a confirmation."""
    user = _mine(request, context)
    try:
        changed = change(app_root(request), request.identity, user)
    except colander.Invalid as exc:
        return _page(request, user, field_errors(exc, request.localizer.translate), status=400)
    except Conflict as exc:
        return _page(request, user, translated(exc.errors, request.localizer.translate), status=exc.status)
    if changed is not False:
        flash.confirm(request, done)
    return HTTPSeeOther(request.resource_url(user))


@view_config(context=User, name='roles', request_method='POST', permission=S.MANAGE,
             renderer='archive:templates/user.pt')
def user_roles_view(context, request):
    roles = request.POST.getall('roles')
    return _change(request, context, lambda root, actor, user: accounts.set_roles(root, actor, user, roles),
                   _('flash_roles_changed', default='Đã đổi vai trò'))


@view_config(context=User, name='unit', request_method='POST', permission=S.MANAGE,
             renderer='archive:templates/user.pt')
def user_unit_view(context, request):
    unit = request.POST.get('unit_code', '')
    return _change(request, context, lambda root, actor, user: accounts.set_unit(root, actor, user, unit),
                   _('flash_unit_changed', default='Đã chuyển đơn vị'))


@view_config(context=User, name='active', request_method='POST', permission=S.MANAGE,
             renderer='archive:templates/user.pt')
def user_active_view(context, request):
    """Lock (ending the user's sessions) or unlock an account."""
    active = request.POST.get('active') == 'true'
    return _change(request, context, lambda root, actor, user: accounts.set_active(root, actor, user, active),
                   _('flash_user_enabled', default='Đã mở khóa tài khoản') if active
                   else _('flash_user_disabled', default='Đã khóa tài khoản'))


@view_config(context=User, name='password', permission=S.MANAGE, renderer='archive:templates/admin_form.pt')
def user_password_view(context, request):
    """Reset a password (the one password rule); the user's sessions end."""
    user = _mine(request, context)
    schema = PasswordSchema().bind()
    form = make_form(request, schema, _('save', default='Lưu'), 'admin')
    title = _('set_password_title', default='Đặt mật khẩu mới cho ${login}', mapping={'login': user.login})
    if request.method == 'POST':
        cstruct = posted(request, schema)
        try:
            accounts.reset_password(app_root(request), request.identity, user, cstruct.get('password', ''))
        except colander.Invalid as exc:
            errors = show_errors(request, form, exc)
            return {'form': render_submitted(form, {}), 'errors': errors, 'title': title}
        flash.confirm(request, _('flash_password_set', default='Đã đặt mật khẩu mới; các phiên làm việc của '
                                                               '${login} đã kết thúc', mapping={'login': user.login}))
        return HTTPSeeOther(request.resource_url(user))
    return {'form': form.render({}), 'errors': [], 'title': title}

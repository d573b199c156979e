"""*Đổi mật khẩu*: a user sets their own password (``/password``) — at any time, and before
anything else after an administrator reset it (``views/policy.py`` holds every other page back
until then, and ``views/errors.py`` shows this form in its place). Through
``services/accounts.change_own_password``; a new session is started."""
import colander
from pyramid.csrf import new_csrf_token
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.security import NO_PERMISSION_REQUIRED, remember
from pyramid.view import view_config

from ..errors import field_errors
from ..i18n import _
from ..resources.root import ArchiveRoot, app_root
from ..services import accounts
from . import flash


@view_config(context=ArchiveRoot, name='password', permission=NO_PERMISSION_REQUIRED,
             renderer='archive:templates/password.pt')
def own_password_view(context, request):
    user = request.identity
    if user is None:
        return HTTPSeeOther(request.application_url + '/login?came_from=' + request.url)
    if request.method != 'POST':
        return {'errors': [], 'required': user.must_change_password}
    post = request.POST
    try:
        accounts.change_own_password(app_root(request), user, post.get('current_password', ''),
                                     post.get('password', ''), post.get('password_again', ''))
    except colander.Invalid as exc:
        request.response.status = 400
        return {'errors': field_errors(exc, request.localizer.translate), 'required': user.must_change_password}
    request.session.invalidate()             # every session of the user ended: this one starts anew
    headers = remember(request, user.login)
    new_csrf_token(request)
    flash.confirm(request, _('flash_password_changed', default='Đã đổi mật khẩu'))
    return HTTPSeeOther(request.application_url + '/', headers=headers)

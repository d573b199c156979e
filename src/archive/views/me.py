"""A person's own page (/me): where their notifications go, and which they want (services/notify.py)."""
import colander
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config

from .. import security as S
from ..i18n import _
from ..resources.root import app_root
from ..schemas.preferences import PreferencesSchema
from ..services import notify
from . import flash
from .forms import make_form, posted, render_submitted, show_errors


@view_config(route_name='account', permission=S.VIEW_BODIES, renderer='archive:templates/admin_form.pt')
def account_view(request):
    user = request.identity
    settings = request.registry.archive_settings.notify
    title = _('account_title', default='Tài khoản của tôi: ${name}', mapping={'name': user.full_name})
    form = make_form(request, PreferencesSchema().bind(), _('save', default='Lưu'), 'account')
    errors = []
    if request.method == 'POST':
        cstruct = posted(request, form.schema)
        try:
            notify.set_preferences(app_root(request), user, cstruct)
        except colander.Invalid as exc:
            errors = show_errors(request, form, exc)
            rendered = render_submitted(form, cstruct)
        else:
            flash.confirm(request, _('flash_preferences_saved', default='Đã lưu lựa chọn nhận thông báo'))
            return HTTPSeeOther(request.route_url('account'))
    else:
        rendered = form.render({'email': user.email or colander.null, 'mail_digest': user.mail_digest,
                                'mail_assigned': user.mail_assigned})
    note = (_('account_mail_on', default='Thư tóm tắt được gửi lúc ${hour} giờ mỗi ngày.',
              mapping={'hour': settings.digest_hour}) if settings.mail else
            _('account_mail_off', default='Hệ thống chưa bật gửi thư thông báo; lựa chọn của bạn được giữ lại.'))
    links = [(request.resource_url(request.root, 'password'), _('change_own_password', default='Đổi mật khẩu'))]
    return {'form': rendered, 'errors': errors, 'title': title, 'note': note, 'links': links}

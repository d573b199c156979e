"""API: the state of the backups and their runs; an administrator starts a run."""
from pyramid.view import view_config

from .. import security as S
from ..archival import backup, backup_status
from ..errors import Conflict, single
from ..i18n import _
from ..resources.root import app_root
from ..views.backups import start_run
from .common import json_input


@view_config(route_name='api.backups', renderer='json', request_method='GET', permission=S.MANAGE)
def backups_state(request):
    state = backup_status.status(app_root(request), request.registry.archive_settings)
    return dict(state, running=backup.LOCK.locked())


@view_config(route_name='api.backups', renderer='json', request_method='POST', permission=S.MANAGE)
def start_backup(request):
    """Start a run now (``{"full": true}`` starts a new full set); it runs in a thread of this
    server, each destination's result journaled: read them back with GET."""
    data = json_input(request) if request.body else {}
    unknown = sorted(set(data) - {'full'})
    if unknown:
        raise single(unknown[0], _('backup_fields', default='Chỉ nhận trường "full"'))
    full = data.get('full', False)
    if not isinstance(full, bool):
        raise single('full', _('boolean_expected', default='Cần true hoặc false'))
    if not request.registry.archive_settings.backup_destinations:
        raise Conflict('backup_no_destinations', backup.message('backup_no_destinations'))
    if not start_run(request.registry, request.authenticated_userid, full=full):
        raise Conflict('backup_running', _('backup_running', default='Đang có một lần sao lưu chạy'))
    request.response.status = 202
    return {'started': True, 'full': full}

"""*Sao lưu dữ liệu*: the administrators' page on the backups (Art. 15.5).

The state at a glance, red when a destination has no good backup, its last one is older than
``archive.backup_max_age_hours`` or its last run failed; each destination's last good backup and
its age; the runs journaled, newest first; a button that starts a run now and one that starts the
restore drill (each in a thread of this server, as ``archive-backup run`` and ``verify`` do their
work, journaled alike: the page says to come back and look).
"""
import threading

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config

from .. import security as S
from ..archival import backup, backup_restore, backup_status
from ..i18n import _
from ..resources.root import app_root
from . import flash
from .backup_drill import drill_findings


def _start(registry, name, work, what, actor):
    """``work()`` in a thread of this process (a run, a drill); False when one holds the backups'
    lock already. What fails there is logged (and journaled by ``work`` where it can be)."""
    if backup.LOCK.locked():
        return False

    def target():
        try:
            work()
        except Exception:   # noqa: BLE001 - journaled by work where it can be; the page shows the last
            backup.log.exception('%s started by %s failed', what, actor)
    thread = threading.Thread(target=target, name=name, daemon=True)
    registry.archive_backup_thread = thread         # the tests wait for it
    thread.start()
    return True


def start_run(registry, actor, full=False):
    """Start a run in a thread of this process; False when one is running already."""
    return _start(registry, 'archive-backup-now',
                  lambda: backup.run_and_journal(registry, actor=actor, force_full=full), 'backup', actor)


def start_drill(registry, actor):
    """Start the restore drill (``archive-backup verify``) in a thread of this process, as a run is
    started; False when a run or a drill holds the backups' lock."""
    return _start(registry, 'archive-backup-drill',
                  lambda: backup_restore.drill_and_journal(registry, actor), 'restore drill', actor)


NOTICES = {
    'started': _('backup_started', default='Đã bắt đầu sao lưu; tải lại trang để xem kết quả'),
    'drill_started': _('backup_drill_started',
                       default='Đã bắt đầu diễn tập khôi phục (khôi phục bản sao mới nhất của mỗi nơi lưu vào thư mục '
                               'tạm rồi đối chiếu với dữ liệu đang chạy); tải lại trang sau ít phút để xem kết quả'),
    'backup_running': _('backup_running', default='Đang có một lần sao lưu chạy'),
    'backup_no_destinations': backup.MESSAGES['backup_no_destinations'],
}


KINDS = {           # a run's kind (archival/backup.py) as the page names it
    'full': _('backup_kind_full', default='Đầy đủ'),
    'incremental': _('backup_kind_incremental', default='Gia tăng'),
    'unchanged': _('backup_kind_unchanged', default='Không có gì mới (không sao thêm)'),
}


@view_config(route_name='backups', permission=S.MANAGE, request_method='GET',
             renderer='archive:templates/backups.pt')
def backups_view(request):
    settings = request.registry.archive_settings
    root = app_root(request)
    state = backup_status.status(root, settings)
    drill = state['drill'] or {}
    findings, advice = drill_findings(drill.get('named'), root['bodies'], request.localizer.translate)
    return {'state': state, 'messages': backup.MESSAGES, 'kinds': KINDS, 'running': backup.LOCK.locked(),
            'findings': findings, 'advice': advice,
            'interval_hours': settings.backup_interval_hours, 'full_days': settings.backup_full_days,
            'keep_sets': settings.backup_keep_sets}


@view_config(route_name='backups', permission=S.MANAGE, request_method='POST')
def start_backup(request):
    """"Sao lưu ngay" starts a run; "Diễn tập khôi phục" (``action=drill``) the restore drill. What
    happened is said once on the page it leads back to (a confirmation kept in the session, not a
    notice in the address that a reload would show again)."""
    drill = request.POST.get('action') == 'drill'
    if not request.registry.archive_settings.backup_destinations:
        notice = 'backup_no_destinations'
    elif drill:
        notice = 'drill_started' if start_drill(request.registry, request.authenticated_userid) else 'backup_running'
    elif start_run(request.registry, request.authenticated_userid, full=request.POST.get('full') == '1'):
        notice = 'started'
    else:
        notice = 'backup_running'
    flash.confirm(request, NOTICES[notice])
    return HTTPSeeOther(request.route_url('backups'))

"""Log in and log out; failed logins are counted per account and per address."""
import time

from pyramid.csrf import new_csrf_token
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.security import forget, remember
from pyramid.view import view_config

from . import flash

from .. import audit, refused
from ..db import flush_refused, run_apart
from ..i18n import _
from ..resources.root import ArchiveRoot, app_root
from ..resources.users import burn_time


def _keys(login, addr):
    return [f'acct:{login}', f'addr:{addr}']


def locked_out(root, login, addr, settings, now):
    """Too many failures for this account, or (a higher bar: offices share addresses) this address."""
    limits = (settings.login_max_failures, settings.login_max_failures_per_address)
    for key, limit in zip(_keys(login, addr), limits):
        count, first = root.login_failures.get(key, (0, 0.0))
        if count >= limit and now - first < settings.login_lockout_seconds:
            return True
    return False


def record_failure(registry, login, addr, now):
    """Count a failed login toward the lockouts and record it: in full on the account's chain
    when ``login`` names an account here (that account's lockout bounds those entries), and in
    the bounded record of unvouched refusals (``refused``: per hour, address and reason). A
    failure while a lockout already holds writes no counter and no entry: it is only counted."""
    settings = registry.archive_settings
    limits = (settings.login_max_failures, settings.login_max_failures_per_address)

    def write(root):
        counters = []
        for key, limit in zip(_keys(login, addr), limits):
            count, first = root.login_failures.get(key, (0, now))
            if now - first >= settings.login_lockout_seconds:
                count, first = 0, now
            if count >= limit:
                return False                # locked out already: nothing to add but the count
            counters.append((key, (count + 1, first)))
        for key, value in counters:
            root.login_failures[key] = value
        if login in root['users']:
            audit.append(root, f'user:{login}', 'login_failed', login, address=addr)
            if counters[0][1][0] == limits[0]:          # this failure locks the account
                audit.append(root, f'user:{login}', 'account_locked', login, address=addr,
                             seconds=settings.login_lockout_seconds)
        refused.count(registry, root, addr, 'login_failed', route='login')
        return True
    if not run_apart(registry, write) and not refused.repeat(registry, addr, 'login_failed'):
        run_apart(registry, lambda root: refused.count(registry, root, addr, 'login_failed', route='login'))
    flush_refused(registry)


def record_locked(registry, addr):
    """A login tried while a lockout holds: counted per hour and address in the bounded record
    (``login_locked``), for the security monitoring; nothing else is written."""
    if not refused.repeat(registry, addr, 'login_locked'):
        run_apart(registry, lambda root: refused.count(registry, root, addr, 'login_locked', route='login'))
    flush_refused(registry)


@view_config(context=ArchiveRoot, name='login', renderer='archive:templates/login.pt')
def login_view(request):
    settings = request.registry.archive_settings
    came_from = request.params.get('came_from') or request.application_url + '/'
    if not came_from.startswith(request.application_url):
        came_from = request.application_url + '/'
    message = None
    login = ''
    if request.method == 'POST':
        login = request.POST.get('login', '').strip().lower()
        password = request.POST.get('password', '')
        root = app_root(request)
        now = time.time()
        addr = request.client_addr or '-'
        if locked_out(root, login, addr, settings, now):
            record_locked(request.registry, addr)
            request.response.status = 429
            message = _('login_locked', default='Đăng nhập sai quá nhiều lần; hãy thử lại sau ít phút')
        else:
            user = root['users'].get(login)
            if user is None:
                burn_time(password)
            if user is not None and user.active and user.check_password(password):
                for key in _keys(login, addr):
                    root.login_failures.pop(key, None)
                audit.append(root, f'user:{login}', 'logged_in', login, address=addr)
                request.session.invalidate()
                headers = remember(request, login)
                new_csrf_token(request)
                flash.tell_after_login(request, root, login)     # what was assigned since (notices)
                return HTTPSeeOther(flash.after_login(came_from), headers=headers)
            record_failure(request.registry, login, addr, now)
            request.response.status = 401
            message = _('login_failed', default='Tên đăng nhập hoặc mật khẩu không đúng')
    return {'message': message, 'login': login, 'came_from': came_from}


@view_config(context=ArchiveRoot, name='logout', request_method='POST')
def logout_view(request):
    headers = forget(request)
    request.session.invalidate()
    return HTTPSeeOther(request.application_url + '/login', headers=headers)

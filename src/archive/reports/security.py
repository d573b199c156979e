"""Security monitoring (Art. 15.3): the security events of a period, for administrators.

What it lists, one row each (``events``), oldest first:

* ``login_failed``: a failed login to an account of ours (from the account's journal: the
  account, the address), and every failed login counted per hour and address, whatever name was
  tried (from the bounded record of refusals, ``refused``: no account, a ``count``). The two are
  two views of the same failures: by account, and by address.
* ``login_locked``: an account locked by its failures (journal), and the logins tried while a
  lockout held, per hour and address (bounded record).
* ``package_refused``: packages refused at intake, per hour, source and reason (bounded record).
* ``secret_read``: a Mật file opened, by whom, for what (download, signing, verifying), which
  document (its internal name only).
* ``certificate``: a certificate registered for a body.
* ``account``: an account created (with its roles), enabled, disabled, its password set, an API
  key created or revoked, its roles changed (old and new roles) or its unit changed
  (``services/accounts.py``); ``action`` filters one of these (``roles_changed``: role changes).

Nothing of a document's content is in a row: no abstract, no number, no file name — the rows are
built from the journal's facts named below, never from a document. The journal entries are read
from its ``security`` index by time (``audit.indexed``), the counts by hour: a period costs what it
holds, not the size of the journal.
"""
import dataclasses
import datetime as dt

from .. import audit, clock, refused
from ..errors import InputError
from ..i18n import _
from . import periods as P
from .exports import Table

KINDS = ('login_failed', 'login_locked', 'package_refused', 'secret_read', 'certificate', 'account')
KIND_TITLES = {
    'login_failed': _('security_kind_login_failed', default='Đăng nhập sai'),
    'login_locked': _('security_kind_login_locked', default='Tài khoản bị khóa tạm, đăng nhập khi đang khóa'),
    'package_refused': _('security_kind_package_refused', default='Gói tin bị từ chối nhận'),
    'secret_read': _('security_kind_secret_read', default='Đọc tệp văn bản Mật'),
    'certificate': _('security_kind_certificate', default='Thay đổi chứng thư số'),
    'account': _('security_kind_account', default='Thay đổi tài khoản, vai trò'),
}
DEFAULT_DAYS = 30           # a period not given: the last 30 days to today
MAX_DAYS = 366              # a period longer than this is refused (a year and a day)

# journal action -> (kind, the details it keeps in ``detail``; nothing else of the entry is shown)
FROM_JOURNAL = {
    'login_failed': ('login_failed', ()),
    'account_locked': ('login_locked', ('seconds',)),
    'secret_file_read': ('secret_read', ('purpose',)),
    'certificate_registered': ('certificate', ('kind', 'fingerprint')),
    'user_created': ('account', ('roles',)),
    'user_enabled': ('account', ()),
    'user_disabled': ('account', ('sessions_ended',)),
    'password_set': ('account', ('sessions_ended',)),
    'token_created': ('account', ('token_id',)),
    'token_revoked': ('account', ('token_id',)),
    'roles_changed': ('account', ('old_roles', 'roles')),
    'unit_changed': ('account', ('old_unit', 'unit')),
    'password_changed': ('account', ('sessions_ended',)),
}
# the journaled actions the ``action`` filter offers (a row's ``reason``), account changes first
ACTIONS = tuple(a for a, (kind, _kept) in FROM_JOURNAL.items() if kind == 'account')
# the bounded record's reason -> kind (any other reason is a package refused)
FROM_COUNTS = {'login_failed': 'login_failed', 'login_locked': 'login_locked'}


@dataclasses.dataclass(frozen=True)
class Query:
    start: dt.date                  # first day, Vietnam time
    end: dt.date                    # last day, included
    kind: str = ''
    account: str = ''
    body: str = ''
    action: str = ''

    def bounds(self):
        """ISO bounds of the period: from the first day's midnight to the midnight after the last."""
        first = dt.datetime.combine(self.start, dt.time(0), tzinfo=clock.VN)
        after = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(0), tzinfo=clock.VN)
        return clock.iso(first), clock.iso(after)


def _error(field, code, message):
    return {'field': field, 'code': code, 'message': message}


def _date(params, name, errors):
    text = (params.get(name) or '').strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors.append(_error(name, 'date_invalid', _('date_invalid', default='Ngày không hợp lệ: dùng dạng YYYY-MM-DD')))
        return None


def parse_query(params, root, today=None):
    """The filters of a request (``from``, ``to``: ISO dates; ``kind``; ``account``; ``body``) as a
    ``Query``; raises ``InputError`` (the project's error shape) naming each bad one."""
    today = today or clock.today()
    errors = []
    start, end = _date(params, 'from', errors), _date(params, 'to', errors)
    kind = (params.get('kind') or '').strip()
    account = (params.get('account') or '').strip().lower()
    body = (params.get('body') or '').strip()
    action = (params.get('action') or '').strip()
    if action and action not in ACTIONS:
        errors.append(_error('action', 'security_action_unknown', _(
            'security_action_unknown', default='Hành động "${action}" không có (${actions})',
            mapping={'action': action[:40], 'actions': ', '.join(ACTIONS)})))
    if kind and kind not in KINDS:
        errors.append(_error('kind', 'security_kind_unknown', _(
            'security_kind_unknown', default='Loại sự kiện "${kind}" không có (${kinds})',
            mapping={'kind': kind[:40], 'kinds': ', '.join(KINDS)})))
    if body and body not in root['bodies']:
        errors.append(_error('body', 'body_unknown', _('body_unknown', default='Không có cơ quan "${code}"',
                                                       mapping={'code': body[:64]})))
    end = end or (today if not errors else None)
    if end is not None and end > today:
        errors.append(_error('to', 'period_in_future', P.in_future_message(today)))
    if start is not None and start > today:
        errors.append(_error('from', 'period_in_future', P.in_future_message(today)))
    if start is not None and end is not None and start > end:
        errors.append(_error('from', 'period_reversed', P.reversed_message(start, end)))
    if errors:
        raise InputError(errors)
    start = start or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    if (end - start).days >= MAX_DAYS:
        raise InputError([_error('from', 'period_too_long', P.too_long_message(MAX_DAYS))])
    return Query(start, end, kind, account, body, action)


def _row(kind, at, account=None, source=None, body=None, reason=None, route=None, count=1, actor=None,
         detail=None, last=None, document=None):
    return {'kind': kind, 'at': at, 'last': last or at, 'account': account, 'source': source, 'body': body,
            'reason': reason, 'route': route, 'count': count, 'actor': actor, 'document': document,
            'detail': detail or {}}


def _from_journal(root, start, end):
    users = root['users']
    for entry in audit.indexed(root, 'security', start, end):
        kind, kept = FROM_JOURNAL.get(entry['action'], (None, ()))
        if kind is None:
            continue
        facts = entry['details']
        subject, _sep, name = entry['chain'].partition(':')
        detail = {k: facts[k] for k in kept if k in facts}
        if subject == 'user':
            user = users.get(name)
            yield _row(kind, entry['at'], account=name, source=facts.get('address'), actor=entry['actor'],
                       body=user.body_code if user is not None else None, reason=entry['action'], detail=detail)
        elif subject == 'body':
            yield _row(kind, entry['at'], body=name, actor=entry['actor'], account=entry['actor'],
                       reason=entry['action'], detail=detail)
        elif subject == 'doc':          # the document's name only: never its content
            yield _row(kind, entry['at'], account=entry['actor'], actor=entry['actor'], body=facts.get('body'),
                       document=name, reason=entry['action'], detail=detail)


def _from_counts(root, start, end):
    first, after = refused.hour_of(clock.parse_iso(start)), refused.hour_of(clock.parse_iso(end))
    for entry in root.refusal_counts.hours.values(min=first, max=after, excludemax=True):
        for (source, reason), record in entry.records.items():
            kind = FROM_COUNTS.get(reason, 'package_refused')
            yield _row(kind, record.first, last=record.last, source=source, reason=reason,
                       route=record.route or None, count=record.count)


def events(root, query, bodies=None):
    """The security events of ``query``'s period matching its filters, oldest first (module doc);
    with ``bodies`` (a set of codes: what the viewer administers), only the rows of those bodies."""
    start, end = query.bounds()
    rows = [*_from_journal(root, start, end), *_from_counts(root, start, end)]
    if bodies is not None:
        rows = [r for r in rows if r['body'] in bodies]
    if query.kind:
        rows = [r for r in rows if r['kind'] == query.kind]
    if query.account:
        rows = [r for r in rows if r['account'] == query.account]
    if query.body:
        rows = [r for r in rows if r['body'] == query.body]
    if query.action:
        rows = [r for r in rows if r['reason'] == query.action]
    rows.sort(key=lambda r: (r['at'], r['kind']))
    return rows


def summary(rows):
    """How many events of each kind (a count row counts its ``count``)."""
    out = dict.fromkeys(KINDS, 0)
    for row in rows:
        out[row['kind']] += row['count']
    return out


COLUMNS = (
    _('security_col_at', default='Thời gian'), _('security_col_last', default='Lần cuối'),
    _('security_col_kind', default='Loại sự kiện'), _('security_col_account', default='Tài khoản'),
    _('security_col_source', default='Địa chỉ, nguồn'), _('security_col_body', default='Cơ quan'),
    _('security_col_reason', default='Hành động, lý do'), _('security_col_route', default='Đường'),
    _('security_col_count', default='Số lần'), _('security_col_document', default='Văn bản (mã nội bộ)'),
    _('security_col_detail', default='Chi tiết'),
)


def _value_text(value):
    if isinstance(value, list):
        return ', '.join(value)
    return '—' if value is None else str(value)


def _detail_text(detail):
    """``k=v`` pairs; a change (``old_<k>`` beside ``<k>``: roles, unit) as ``k: old → new``."""
    parts = []
    for k, v in sorted(detail.items()):
        if k.startswith('old_') and k[4:] in detail:
            continue
        if f'old_{k}' in detail:
            parts.append(f'{k}: {_value_text(detail[f"old_{k}"])} → {_value_text(v)}')
        else:
            parts.append(f'{k}={_value_text(v)}')
    return '; '.join(parts)


def table(rows, query, translate):
    """The rows as a ``reports.exports.Table`` (CSV, XLSX), titles in the viewer's language."""
    subtitle = f'{query.start.isoformat()} – {query.end.isoformat()}'
    if query.kind:
        subtitle += f' · {translate(KIND_TITLES[query.kind])}'
    for label, value in (('account', query.account), ('body', query.body), ('action', query.action)):
        if value:
            subtitle += f' · {label}={value}'
    cells = [[r['at'], r['last'], translate(KIND_TITLES[r['kind']]), r['account'], r['source'], r['body'],
              r['reason'], r['route'], str(r['count']), r['document'], _detail_text(r['detail'])] for r in rows]
    return Table(translate(_('security_events', default='Sự kiện an toàn thông tin')), subtitle,
                 [translate(c) for c in COLUMNS], cells)

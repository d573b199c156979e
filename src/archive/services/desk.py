"""Desks (việc cần xử lý): what waits for each role, urgent first, then oldest; with counts.

Timeliness (Art. 6.3): hỏa tốc, thượng khẩn and khẩn documents are flagged when not
registered and assigned within a configured time (around the clock for hỏa tốc, in
working hours for the others); deadlines count working days.
"""
import datetime as dt

from .. import calendar as cal_mod
from .. import clock
from .. import security as S
from ..resources.root import app_root
from . import documents as svc

URGENCY_RANK = {'hoa_toc_hen_gio': 0, 'hoa_toc': 1, 'thuong_khan': 2, 'khan': 3, 'normal': 4}
OPEN_INCOMING = ('arrived', 'registered', 'assigned', 'processing')
DUE_SOON_DAYS = 2


def calendar_of(request):
    return request.registry.archive_settings.calendar.with_overrides(app_root(request).calendar_overrides)


def urgent_limit(request):
    return dt.timedelta(minutes=int(request.registry.settings.get('archive.urgent_handling_minutes', 60)))


def late_handling(request, doc, cal):
    """An urgent incoming document not yet registered and assigned within the limit."""
    if doc.direction != 'incoming' or doc.urgency == 'normal' or doc.state not in ('arrived', 'registered'):
        return False
    since = doc.received_at or doc.created_at
    now = clock.now()
    if doc.urgency in ('hoa_toc', 'hoa_toc_hen_gio'):
        return now - since > urgent_limit(request)
    return cal_mod.working_time_between(cal, since, now) > urgent_limit(request)


def late_sending(doc, cal):
    """Sent after the rule's limit: the day of signing, at the latest the next working morning."""
    if doc.direction != 'outgoing' or doc.signed_at is None:
        return False
    limit = cal_mod.send_deadline(cal, doc.signed_at)
    sent = doc.sent_at if doc.state in ('sent', 'recalled') else clock.now()
    return sent > limit


def sort_key(doc):
    return (URGENCY_RANK.get(doc.urgency, 9), doc.received_at or doc.created_at)


def _queues(request, body, user):
    docs = body.documents
    queues = {}
    if user.has_role(S.CLERK):
        queues['to_register'] = docs.in_state('incoming', 'arrived')
        queues['to_number'] = docs.in_state('outgoing', 'approved')
        queues['to_sign'] = docs.in_state('outgoing', 'numbered')
        queues['to_send'] = docs.in_state('outgoing', 'signed')
    if user.has_role(S.LEADER):
        queues['to_assign'] = docs.in_state('incoming', 'registered')
        queues['to_approve'] = docs.in_state('outgoing', 'submitted')
    if user.has_role(S.PROCESSOR) or user.has_role(S.LEADER):
        mine = [d for state in ('assigned', 'processing') for d in docs.in_state('incoming', state)
                if d.main_processor == user.login or user.login in d.co_processors]
        queues['assigned_to_me'] = mine
    if user.has_role(S.PROCESSOR) or user.has_role(S.CLERK):
        queues['my_drafts'] = [d for d in docs.in_state('outgoing', 'draft') if d.created_by == user.login]
    return queues


def desk_for(request, as_json=False):
    user = request.identity
    body = app_root(request)['bodies'].get(user.body_code)
    if body is None:
        return {'queues': {}, 'overdue': [], 'due_soon': []}
    cal = calendar_of(request)
    today = clock.today()
    soon = cal_mod.add_working_days(cal, today, DUE_SOON_DAYS)
    queues = {name: sorted((d for d in items if request.has_permission(S.VIEW, d)), key=sort_key)
              for name, items in _queues(request, body, user).items()}
    open_docs = [d for state in OPEN_INCOMING for d in body.documents.in_state('incoming', state)
                 if d.deadline and request.has_permission(S.VIEW, d)]
    overdue = sorted((d for d in open_docs if d.deadline < today), key=sort_key)
    due_soon = sorted((d for d in open_docs if today <= d.deadline <= soon), key=sort_key)

    def show(d):
        item = svc.as_json(d) if as_json else {'doc': d}
        item['late_handling'] = late_handling(request, d, cal)
        item['late_sending'] = late_sending(d, cal)
        return item
    result = {
        'queues': {name: [show(d) for d in items] for name, items in queues.items()},
        'overdue': [show(d) for d in overdue],
        'due_soon': [show(d) for d in due_soon],
    }
    result['counts'] = {name: len(items) for name, items in result['queues'].items()}
    result['counts'].update(overdue=len(result['overdue']), due_soon=len(result['due_soon']))
    return result

"""Desks (việc cần xử lý): what waits for each role, urgent first, then oldest; with counts.

Which states make a queue, and for whom, is data in workflows/*.zcml (the "desk"
and "desk_for" keys); the states in which the deadline runs carry "deadline_runs".
Timeliness (Art. 6.3): hỏa tốc, thượng khẩn and khẩn documents are flagged when not
registered and assigned within a configured time (around the clock for hỏa tốc, in
working hours for the others); an outgoing document is flagged when sent after the
day of signing, at the latest the next working morning.

The sending body's clerk also has "Cần gửi bản giấy": the deliveries that must go on paper
(past the retry limit, Art. 7.4, or the paper copy an Art. 8 document owes each receiver),
urgent first, then the longest waiting, until the clerk records the paper sent. The receiving
body's clerk has "Chờ bản giấy đến": the documents taken in whose sender said a paper copy
follows (Art. 8), urgent first, then the longest waiting, until the clerk records it arrived.
"""
import datetime as dt

from .. import calendar as cal_mod
from .. import clock
from .. import security as S
from ..archival import desk as archival_desk
from ..archival.files import records_of
from ..exchange import deliveries as ex_deliveries
from ..i18n import _ as message     # queue titles: ids built from the ZCML, read there by the extractor
from ..resources import access
from ..resources.documents import URGENCY_RANK
from ..workflow.states import origin_check_pending, state_data, states_of
from . import documents as svc

DUE_SOON_DAYS = 2
QUEUE_LIMIT = 200        # a desk shows the most urgent, oldest 200 of a queue; the count is all of it


def calendar_of(root, settings):
    return settings.calendar.with_overrides(root.calendar_overrides)


def urgent_limit(settings):
    return dt.timedelta(minutes=settings.urgent_handling_minutes)


def late_handling(registry, doc, cal):
    """An urgent incoming document not yet assigned, past the limit since it arrived."""
    if (doc.direction != 'incoming' or doc.urgency == 'normal' or doc.assigned_at is not None
            or not state_data(doc, registry).get('deadline_runs')):
        return False
    since = doc.received_at or doc.created_at
    now = clock.now()
    if doc.urgency in ('hoa_toc', 'hoa_toc_hen_gio'):
        return now - since > urgent_limit(registry.archive_settings)
    return cal_mod.working_time_between(cal, since, now) > urgent_limit(registry.archive_settings)


def urgent_send_window(settings):
    return dt.timedelta(minutes=settings.urgent_send_minutes)


def late_sending(doc, cal, settings):
    """Sent (or still unsent) after its limit: the urgent window after the organisation
    signature for a khẩn or more urgent document, else the next working morning (Art. 6.3)."""
    if doc.direction != 'outgoing' or doc.signed_at is None:
        return False
    limit = cal_mod.sending_limit(cal, doc.signed_at, doc.urgency, urgent_send_window(settings))
    return (doc.sent_at or clock.now()) > limit


def running_states(registry):
    return [(direction, state) for direction, state, data in states_of(registry)
            if data.get('deadline_runs')]


def being_handled(registry, user, body, urgent_only=False):
    """The documents in states where the deadline runs that ``user`` may see."""
    return [d for direction, state in running_states(registry)
            for d in body.documents.in_state(direction, state, urgent_only=urgent_only)
            if access.user_may_see(user, d)]


def with_deadline(registry, user, body, last_day):
    """Documents being handled whose deadline is on or before ``last_day`` that ``user`` may see,
    read from the index."""
    names = [name for direction, state in running_states(registry)
             for name, (_rank, _age, deadline, _who) in body.documents.filed(direction, state)
             if deadline is not None and deadline <= last_day.toordinal()]
    docs = (body.documents[name] for name in names)
    return [d for d in docs if access.user_may_see(user, d)]


def sort_key(doc):
    return (URGENCY_RANK.get(doc.urgency, 9), doc.received_at or doc.created_at)


# Who may come to hold a personal role, and so sees its queue even when it is empty.
PERSONAL = {'main_processor': (S.PROCESSOR, S.LEADER), 'co_processor': (S.PROCESSOR, S.LEADER),
            'creator': (S.CLERK, S.LEADER, S.PROCESSOR)}


def _concerns(user, roles):
    return any(user.has_role(r) if r in S.ROLES else any(user.has_role(x) for x in PERSONAL.get(r, ()))
               for r in roles)


def _holds(user, role, doc):
    if role == 'main_processor':
        return doc.main_processor == user.login
    if role == 'co_processor':
        return user.login in doc.co_processors
    if role == 'creator':
        return doc.created_by == user.login
    return user.has_role(role)


def queues(registry, body, user):
    """``[(queue name, title, documents, more)]`` for this user, in the workflows' order.

    A queue lists at most QUEUE_LIMIT documents, most urgent first, then oldest. A state with an
    ``origin_check`` key first gives the clerk *Cần kiểm tra nguồn gốc* (when it holds anything):
    documents arrived from outside without proof of origin (issue 16), which wait there, not in
    the state's own queue, until accepted or refused.
    """
    out = []
    for direction, state, data in states_of(registry):
        if data.get('origin_check') and user.has_role(S.CLERK):
            docs = [d for d in body.documents.in_state(direction, state)
                    if origin_check_pending(d, registry) and access.user_may_see(user, d)]
            if docs:
                out.append((f'{direction}/origin_check', queue_title(direction, state, data, 'origin_check'),
                            docs[:QUEUE_LIMIT], len(docs) > QUEUE_LIMIT))
    for direction, state, data in states_of(registry):
        if not data.get('desk'):
            continue
        roles = data.get('desk_for', '').split()
        if not _concerns(user, roles):
            continue
        docs, more = [], False
        for d in body.documents.in_state(direction, state):
            if data.get('origin_check') and origin_check_pending(d, registry):
                continue
            if any(_holds(user, r, d) for r in roles) and access.user_may_see(user, d):
                if len(docs) == QUEUE_LIMIT:
                    more = True
                    break
                docs.append(d)
        out.append((f'{direction}/{state}', queue_title(direction, state, data, 'desk'), docs, more))
    return out


def queue_title(direction, state, data, key):
    """A desk queue's title as a message: the Vietnamese of the state's ``desk`` (or
    ``origin_check``) key in workflows/*.zcml is the default, ``tools/extract_messages.py`` puts
    it in the catalog as ``wf_<type>_<key>_<state>``, the English catalog translates it."""
    return message(f'wf_{direction}_{key}_{state}', default=data[key])


def waiting_count(root, user, registry):
    """How many documents wait on ``user``'s desk (the counter on every page): the queues'
    sizes read from the state index; documents are loaded only where the index cannot tell
    (a co-processor's, a creator's, a Mật one the user may not read)."""
    body = root['bodies'].get(user.body_code) if user is not None else None
    if body is None:
        return 0
    documents = body.documents
    count = 0
    for direction, state, data in states_of(registry):
        roles = data.get('desk_for', '').split()
        if not data.get('desk') or not _concerns(user, roles):
            continue
        for name, filed in documents.filed(direction, state):
            by_role = any(r in S.ROLES and user.has_role(r) for r in roles)
            mine = by_role or ('main_processor' in roles and filed[3] == user.login)
            if name in documents.secret or not mine:
                d = documents[name]
                if not (any(_holds(user, r, d) for r in roles) and access.user_may_see(user, d)):
                    continue
            count += 1
    return count


def paper_queue(root, user, body):
    """``(items, more)``: the deliveries of ``body``'s documents waiting for paper that ``user``
    may see, at most QUEUE_LIMIT; each item ``{'delivery', 'doc'}``."""
    items, more = [], False
    for delivery in ex_deliveries.paper_waiting(root, body.code):
        doc = body.documents.get(delivery.document)
        if doc is None or not access.user_may_see(user, doc):
            continue
        if len(items) == QUEUE_LIMIT:
            more = True
            break
        items.append({'delivery': delivery, 'doc': doc})
    return items, more


def paper_json(item, settings):
    """A paper queue item as the API shows it."""
    d, doc = item['delivery'], item['doc']
    return {'delivery': d.id, 'document': doc.__name__, 'number_symbol': doc.number_symbol,
            'abstract': doc.abstract, 'urgency': doc.urgency, 'receiver': d.receiver,
            'receiver_name': d.receiver_name, 'route': d.route,
            'reason': 'art8' if d.route == ex_deliveries.PAPER_ROUTE else 'retry_limit',
            'category': d.paper_category,
            'category_label': settings.paper_also_categories.get(d.paper_category) if d.paper_category else None,
            'last_error': d.last_error, 'attempts': d.attempts,
            'since': clock.iso(d.paper_needed_at or d.queued_at)}


PAPER_NOT_AWAITED = ('refused', 'recalled', 'destroyed', 'deleted')    # returned or gone: no paper to wait for


def paper_expected_queue(root, user, body):
    """``(documents, more)``: ``body``'s documents taken in whose paper copy has not arrived yet
    (read from the small index) that ``user`` may see, urgent first, then the longest waiting;
    at most QUEUE_LIMIT."""
    docs = []
    for _since, name in ex_deliveries.paper_expected(root, body.code):
        doc = body.documents.get(name)
        if (doc is not None and doc.state not in PAPER_NOT_AWAITED and getattr(doc, 'destroyed_at', None) is None
                and access.user_may_see(user, doc)):
            docs.append(doc)
    docs.sort(key=sort_key)
    return docs[:QUEUE_LIMIT], len(docs) > QUEUE_LIMIT


def paper_expected_json(doc):
    """A document of "Chờ bản giấy đến" as the API shows it."""
    ex = doc.exchange or {}
    return {'document': doc.__name__, 'number_symbol': doc.number_symbol, 'abstract': doc.abstract,
            'urgency': doc.urgency, 'sender': ex.get('sender'), 'sender_name': ex.get('sender_name'),
            'received_at': clock.iso(doc.received_at or doc.created_at)}


def desk_for(root, user, registry, as_json=False):
    """``user``'s desk: the queues, the overdue, those due soon, their counts (and the paper
    and archival sections for those who have them)."""
    settings = registry.archive_settings
    body = root['bodies'].get(user.body_code)
    if body is None:
        return {'queues': [], 'overdue': [], 'due_soon': [], 'counts': {}}
    cal = calendar_of(root, settings)
    today = clock.today()
    soon = cal_mod.add_working_days(cal, today, DUE_SOON_DAYS)
    running = with_deadline(registry, user, body, soon)
    overdue = sorted((d for d in running if d.deadline < today), key=sort_key)
    due_soon = sorted((d for d in running if today <= d.deadline), key=sort_key)

    def show(d):
        item = svc.as_json(d) if as_json else {'doc': d}
        item['late_handling'] = late_handling(registry, d, cal)
        item['late_sending'] = late_sending(d, cal, settings)
        return item
    result = {
        'queues': [{'name': name, 'title': title, 'items': [show(d) for d in docs], 'more': more}
                   for name, title, docs, more in queues(registry, body, user)],
        'overdue': [show(d) for d in overdue],
        'due_soon': [show(d) for d in due_soon],
    }
    result['counts'] = {q['name']: len(q['items']) for q in result['queues']}
    result['counts'].update(overdue=len(result['overdue']), due_soon=len(result['due_soon']))
    if user.has_role(S.CLERK):
        items, more = paper_queue(root, user, body)
        if as_json:
            items = [paper_json(i, settings) for i in items]
        result['paper'] = {'items': items, 'more': more}
        docs, more = paper_expected_queue(root, user, body)
        result['paper_expected'] = {'items': [paper_expected_json(d) if as_json else {'doc': d} for d in docs],
                                    'more': more}
    records = archival_desk.desk_of(records_of(body), user, today, settings.appraisal_horizon_days)
    if records is not None:         # the archivist's (and the leader's batches to approve)
        result['archival'] = archival_desk.as_json(records) if as_json else records
    return result

"""The one transition function: permission for the acting user (also in scripts and
workers), the state change, the journal entry, an event, and the status message on
the outbox, all in the caller's transaction.

repoze.workflow records nothing, fires no event, and skips its permission check
without a request; this module does all three, whatever the caller.
"""
import colander
from pyramid.threadlocal import get_current_registry
from repoze.workflow import WorkflowError

from .. import audit, clock, outbox, search
from ..reports import counters
from .. import security as S
from ..errors import Conflict, Forbidden, InputError, field_errors
from ..i18n import _
from .actions import check_data
from .states import state_data, transitions_from

PSEUDO_ROLES = ('main_processor', 'co_processor', 'creator')


class Transitioned:
    """Event: ``doc`` moved from ``from_state`` to ``to_state`` by ``action``."""

    def __init__(self, doc, action, from_state, to_state, actor, data):
        self.doc = doc
        self.action = action
        self.from_state = from_state
        self.to_state = to_state
        self.actor = actor
        self.data = data


class Acting:
    """What a guard or callback learns of the transition (passed as repoze's ``request``)."""

    def __init__(self, root, user, registry, data, comment):
        self.root = root
        self.user = user
        self.registry = registry
        self.data = data
        self.comment = comment


def permission_checker(permission, context, request):
    """For repoze.workflow's own listing; we check permissions ourselves in ``fire``."""
    return request.has_permission(permission, context)


def fire(root, doc, action, user, registry=None, comment=None, data=None, system=False):
    """Take ``action`` on ``doc`` as ``user``; return the new state.

    Raises ``Conflict`` (409) when the action does not exist from this state or a
    guard refuses it, ``Forbidden`` when the user lacks the permission. ``system``: the
    receiving path acting on a verified package (a recall), whose authority is the sender's
    signature, not a role here; ``user`` then only names the actor in the journal.
    """
    registry = registry or get_current_registry()
    wf, candidates = transitions_from(doc, action, registry)
    if not candidates:
        raise Conflict('transition_not_allowed', _(
            'transition_not_allowed', default='Không thể "${action}" khi văn bản ở trạng thái "${state}"',
            mapping={'action': action, 'state': doc.state}))
    if len(candidates) > 1:     # "returns" = previous: back to the state before the recall
        candidates = [t for t in candidates if t['to_state'] == getattr(doc, 'state_before_recall', None)] \
            or candidates
    transition = candidates[0]
    if not system and transition['permission'] and not S.permits(user, doc, transition['permission']):
        raise Forbidden(_('transition_forbidden', default='Bạn không có quyền thực hiện "${action}"',
                          mapping={'action': action}))
    try:
        data = check_data(root, doc, transition.get('needs'), data or {}, user)
    except colander.Invalid as exc:
        # The action is refused as asked (no reason, a past deadline, someone of another body).
        raise InputError(field_errors(exc), status=409)
    comment = comment or data.get('reason')
    # Load what the journal entry will need now, before a callback may take a register
    # number: the shorter the time from taking it to the commit, the fewer the conflicts.
    audit.prefetch(root, doc.chain_id)
    from_state = doc.state
    acting = Acting(root, user, registry, data, comment)
    try:
        wf._transition(doc, transition['name'], None, acting, ())
    except WorkflowError as exc:
        raise Conflict('transition_refused', str(exc))
    to_state = doc.state
    for key, value in counters.facts(registry.archive_settings, root, doc, transition).items():
        acting.data.setdefault(key, value)      # what the statistics count, kept in the journal
    doc.__parent__.index_state(doc, from_state)     # state, deadline or processor may have changed
    search.enqueue(root, doc)                       # ...and so what the index holds, and who sees it
    details = {'from': from_state, 'to': to_state, 'transition': transition['name']}
    if comment:
        details['comment'] = comment
    details.update({k: (list(v) if isinstance(v, tuple) else v) for k, v in acting.data.items()
                    if k != 'reason' and isinstance(v, (str, int, float, bool, list, tuple, type(None)))})
    seq = audit.append(root, doc.chain_id, action, user.login, **details)
    counters.count(root, doc, doc.chain_id, seq)
    code = transition.get('code') or state_data(doc, registry).get('code')
    if code and doc.direction == 'incoming' and (from_state != to_state):
        outbox.queue_status(root, doc, code, user, comment)
    registry.notify(Transitioned(doc, action, from_state, to_state, user.login, data))
    doc.modified_at = clock.now()
    return to_state

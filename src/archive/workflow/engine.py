"""The one transition function: permission for the acting user (also in scripts and
workers), the state change, the journal entry, an event, and the status message on
the outbox, all in the caller's transaction.

repoze.workflow records nothing, fires no event, and skips its permission check
without a request; this module does all three, whatever the caller.
"""
import colander
from pyramid.threadlocal import get_current_registry
from repoze.workflow import WorkflowError

from .. import audit, clock, outbox
from .. import security as S
from ..errors import Conflict, InputError, field_errors
from ..i18n import _
from .actions import check_data

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


def workflows(registry=None):
    return getattr(registry or get_current_registry(), 'archive_workflows', {})


def workflow_of(doc, registry=None):
    return workflows(registry).get(doc.direction)


def state_data(doc, registry=None):
    wf = workflow_of(doc, registry)
    if wf is None or doc.state not in wf._state_data:
        return {}
    return wf._state_data[doc.state]


def state_aces(doc, users):
    """The ACEs the document's current state grants, by role (Kotti's way, from the ZCML keys).

    For a Mật document a role's permissions reach only the people named on it who hold the role.
    """
    from pyramid.authorization import Allow
    aces = []
    for key, value in state_data(doc).items():
        if not key.startswith('role:'):
            continue
        role, perms = key[5:], tuple(value.split())
        if role == 'main_processor':
            principals = [f'u:{doc.main_processor}'] if doc.main_processor else []
        elif role == 'co_processor':
            principals = [f'u:{login}' for login in doc.co_processors]
        elif role == 'creator':
            principals = [f'u:{doc.created_by}']
        elif doc.classification == 'mat':
            principals = [f'u:{login}' for login in doc.readers()
                          if login in users and role in users[login].roles]
        else:
            principals = [S.org_role(doc.body_code, role)]
        aces.extend((Allow, p, perms) for p in principals)
    return aces


def _transitions_for(doc, action, registry=None):
    wf = workflow_of(doc, registry)
    if wf is None:
        return None, []
    found = [t for t in wf._transition_data.values()
             if t['from_state'] == doc.state and t.get('action', t['name']) == action]
    return wf, found


def available(doc, user, registry=None):
    """The actions this user may take on the document now: ``[(action, title, needs)]``."""
    wf = workflow_of(doc, registry)
    if wf is None or user is None:
        return []
    out, seen = [], set()
    for t in wf._transition_data.values():
        action = t.get('action', t['name'])
        if t['from_state'] != doc.state or action in seen:
            continue
        if t['permission'] is None or S.permits(user, doc, t['permission']):
            seen.add(action)
            out.append((action, t.get('title') or action, t.get('needs')))
    return out


def initialize(doc, registry=None):
    """Put a new document in its workflow's initial state."""
    wf = workflow_of(doc, registry)
    if wf is None:
        raise RuntimeError('workflows are not loaded (archive.workflows_dir)')
    wf.initialize(doc)


def fire(root, doc, action, user, registry=None, comment=None, data=None, system=False):
    """Take ``action`` on ``doc`` as ``user``; return the new state.

    Raises ``Conflict`` (409) when the action does not exist from this state or a
    guard refuses it, ``Forbidden`` when the user lacks the permission. ``system``: the
    receiving path acting on a verified package (a recall), whose authority is the sender's
    signature, not a role here; ``user`` then only names the actor in the journal.
    """
    from pyramid.httpexceptions import HTTPForbidden
    registry = registry or get_current_registry()
    wf, candidates = _transitions_for(doc, action, registry)
    if not candidates:
        raise Conflict('transition_not_allowed', _(
            'transition_not_allowed', default='Không thể "${action}" khi văn bản ở trạng thái "${state}"',
            mapping={'action': action, 'state': doc.state}))
    if len(candidates) > 1:     # "returns" = previous: back to the state before the recall
        candidates = [t for t in candidates if t['to_state'] == getattr(doc, 'state_before_recall', None)] \
            or candidates
    transition = candidates[0]
    if not system and transition['permission'] and not S.permits(user, doc, transition['permission']):
        raise HTTPForbidden(_('transition_forbidden', default='Bạn không có quyền thực hiện "${action}"',
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
    doc.__parent__.index_state(doc, from_state)     # state, deadline or processor may have changed
    details = {'from': from_state, 'to': to_state, 'transition': transition['name']}
    if comment:
        details['comment'] = comment
    details.update({k: (list(v) if isinstance(v, tuple) else v) for k, v in acting.data.items()
                    if k != 'reason' and isinstance(v, (str, int, float, bool, list, tuple, type(None)))})
    audit.append(root, doc.chain_id, action, user.login, **details)
    code = transition.get('code') or state_data(doc, registry).get('code')
    if code and doc.direction == 'incoming' and (from_state != to_state):
        outbox.queue_status(root, doc, code, user, comment)
    registry.notify(Transitioned(doc, action, from_state, to_state, user.login, data))
    doc.modified_at = clock.now()
    return to_state

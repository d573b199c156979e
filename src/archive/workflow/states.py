"""The read side of the workflows in workflows/*.zcml: which workflow a document follows, what
its state grants and offers. The model (ACLs), the services (desks, registers) and the pages
read it; only ``engine.fire`` changes a state. The one module reading repoze.workflow's private
``_state_data`` and ``_transition_data``."""
from pyramid.authorization import Allow
from pyramid.threadlocal import get_current_registry

from .. import security as S


def workflows(registry=None):
    return getattr(registry or get_current_registry(), 'archive_workflows', {})


def workflow_of(doc, registry=None):
    return workflows(registry).get(doc.direction)


def state_data(doc, registry=None):
    wf = workflow_of(doc, registry)
    if wf is None or doc.state not in wf._state_data:
        return {}
    return wf._state_data[doc.state]


def fileable(doc, registry=None):
    """Whether the document may go into a records file (hồ sơ) in its state: the ZCML's
    ``fileable`` key (an incoming document once registered, an outgoing one once issued)."""
    return state_data(doc, registry).get('fileable') == 'true'


def state_aces(doc, users):
    """The ACEs the document's current state grants, by role (Kotti's way, from the ZCML keys).

    For a Mật document a role's permissions reach only the people named on it who hold the role.
    """
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


def transitions_from(doc, action, registry=None):
    """The workflow and the transitions taking ``action`` from the document's state."""
    wf = workflow_of(doc, registry)
    if wf is None:
        return None, []
    found = [t for t in wf._transition_data.values()
             if t['from_state'] == doc.state and t.get('action', t['name']) == action]
    return wf, found


def origin_check_pending(doc, registry=None):
    """Taken in from outside without proof of origin, and not yet accepted or refused by the clerk:
    in the state whose ``origin_check`` key titles that desk queue (issue 16)."""
    return ((getattr(doc, 'exchange', None) or {}).get('origin_check') == 'pending'
            and bool(state_data(doc, registry).get('origin_check')))


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
        if t.get('only_if') == 'origin_check_pending' and not origin_check_pending(doc, registry):
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


def states_of(registry=None):
    """``[(direction, state, data)]`` of every workflow, in the order of the ZCML."""
    return [(direction, state, data) for direction, wf in workflows(registry).items()
            for state, data in wf._state_data.items()]


def transitions_of(doc, registry=None):
    """The transitions of the document's workflow, from any state (their ZCML data)."""
    wf = workflow_of(doc, registry)
    return list(wf._transition_data.values()) if wf is not None else []

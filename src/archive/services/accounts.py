"""What an administrator may manage, and the changes to accounts, units and offices an
administrator makes from the pages, the API or the command line (one set of services for all).

Who administers what: an administrator administers the body they belong to and every body under
it; an administrator of an office (a body whose ``office_of`` names a committee, as the city
office for the city committee) administers the committee's whole tree — the rule by which the
office sees the committee's statistics (``reports/figures.py``). Accounts and units of other bodies
are not theirs: not listed, and answered as unknown (404) when named. The command line (actor
``None``) administers every body.

Every change is journaled on the account's (``user:<login>``) or the body's chain. Role changes,
unit changes, locking and password resets are security events (``audit.SECURITY_ACTIONS``) that
the security monitoring lists under account and role changes; no password is ever journaled.
"""
import colander

from .. import audit
from .. import security as S
from ..errors import Conflict, Unknown, merge, single
from ..i18n import _, counted
from ..schemas.directory import PasswordSchema, RolesSchema, UnitNameSchema
from ..sessions import end_user_sessions
from ..text import sort_key
from . import directory

CLI = 'cli'


def actor_name(actor):
    return actor.login if actor is not None else CLI


def administered(root, actor):
    """The codes of the bodies ``actor`` administers (``None``: the command line, every body)."""
    bodies = root['bodies']
    if actor is None:
        return set(bodies.keys())
    body = bodies.get(actor.body_code)
    if body is None or not actor.has_role(S.ADMIN):
        return set()
    office_of = getattr(body, 'office_of', None)
    return set(bodies.subtree(office_of if office_of in bodies else body.code))


def monitored(root, actor):
    """The bodies whose security events ``actor`` sees (``reports/security.py``), or ``None`` for
    every event: an administrator of every hosted body sees all, the instance's own rows (failed
    logins counted by address, refused packages) included; any other only their bodies' rows."""
    mine = administered(root, actor)
    hosted = {b.code for b in root['bodies'].values() if b.route == 'hosted'}
    return None if hosted <= mine else mine


def body_of(root, actor, code):
    """The body ``code`` if ``actor`` administers it; else ``Unknown`` (404), as for no body."""
    body = root['bodies'].get(code)
    if body is None or code not in administered(root, actor):
        raise Unknown('body_unknown', _('body_unknown', default='Không có cơ quan "${code}"',
                                        mapping={'code': str(code)[:64]}))
    return body


def user_of(root, actor, login):
    """The account ``login`` if ``actor`` administers its body; else ``Unknown`` (404)."""
    user = root['users'].get(login)
    if user is None or user.body_code not in administered(root, actor):
        raise Unknown('user_unknown', _('user_unknown', default='Không có người dùng "${login}"',
                                        mapping={'login': str(login)[:64]}))
    return user


def users_of(root, actor, body_code=None):
    """The accounts ``actor`` administers (of ``body_code`` only, if given), by body then login."""
    codes = administered(root, actor)
    if body_code:
        codes &= {body_code}
    return sorted((u for u in root['users'].values() if u.body_code in codes),
                  key=lambda u: (u.body_code, u.login))


def bodies_of(root, actor):
    """The open bodies ``actor`` administers, by name: where accounts may be created."""
    codes = administered(root, actor)
    return sorted((b for b in root['bodies'].values() if b.code in codes and b.is_open()),
                  key=lambda b: sort_key(b.name))


# -- accounts ---------------------------------------------------------------------------------

def create_user(root, actor, cstruct, settings):
    """An account in a body ``actor`` administers (the one user schema, the one password rule).
    The initial password an administrator gives in the pages or the API is temporary, as a reset's:
    the user sets their own at the first login. (The command line's ``add`` sets it for good.)"""
    code = cstruct.get('body_code') if isinstance(cstruct, dict) else None
    if isinstance(code, str) and code and code not in administered(root, actor):
        raise single('body_code', _('body_unknown', default='Không có cơ quan "${code}"',
                                    mapping={'code': code[:64]}))
    user = directory.add_user(root, cstruct, settings, actor_name(actor))
    if actor is not None:
        user.must_change_password = True
    return user


def set_roles(root, actor, user, roles):
    """Give ``user`` these roles (the schema's checks: known roles, an administrator holds no
    document role); journaled ``roles_changed`` with the old and new roles. An administrator
    does not change their own roles (nobody would be left to put them back)."""
    appstruct = RolesSchema().deserialize({'roles': roles if roles is not None else colander.null})
    new = tuple(r for r in S.ROLES if r in appstruct['roles'])
    if actor is not None and user.login == actor.login:
        raise Conflict('roles_self', _('roles_self', default='Không tự đổi vai trò của chính mình'))
    old = tuple(user.roles)
    if set(old) == set(new):
        return False
    user.roles = new
    audit.append(root, f'user:{user.login}', 'roles_changed', actor_name(actor),
                 old_roles=list(old), roles=list(new))
    return True


def set_unit(root, actor, user, unit_code):
    """Move ``user`` to another unit of their body (or none: ``''``/``None``); journaled."""
    if unit_code is not None and not isinstance(unit_code, str):
        raise single('unit_code', _('text_expected', default='Cần một chuỗi ký tự'))
    unit_code = (unit_code or '').strip() or None
    body = root['bodies'][user.body_code]
    if unit_code is not None and unit_code not in body.units:
        raise single('unit_code', _('unit_unknown', default='Đơn vị "${unit}" không thuộc cơ quan này',
                                    mapping={'unit': unit_code[:64]}))
    old = user.unit_code
    if old == unit_code:
        return False
    user.unit_code = unit_code
    audit.append(root, f'user:{user.login}', 'unit_changed', actor_name(actor), old_unit=old, unit=unit_code)
    return True


def set_active(root, actor, user, active):
    """Lock (disable, ending the sessions) or unlock an account (``directory.set_active``)."""
    directory.set_active(root, user, active, actor_name(actor))


def reset_password(root, actor, user, password):
    """Set a new password by the one rule; the user's sessions end (``directory.set_password``).
    Reset by another person from the pages or the API, it is temporary: the user must set their
    own at the next login (``change_own_password``) before anything else. The command line's
    ``set-password`` (the operator's) sets it for good."""
    directory.set_password(root, user, password, actor_name(actor))
    if actor is not None and actor.login != user.login:
        user.must_change_password = True


def change_own_password(root, user, current, new, again):
    """A user sets their own password: the current one, the new one twice, by the one rule, not
    the same as the current; journaled ``password_changed`` (never a password), every session of
    the user ends (the caller starts a new one), and a reset's "change it first" is lifted."""
    problems = []
    if not isinstance(current, str) or not user.check_password(current):
        problems.append(single('current_password', _('password_wrong', default='Mật khẩu hiện tại không đúng')))
    elif new == current:
        problems.append(single('password', _('password_same', default='Mật khẩu mới phải khác mật khẩu hiện tại')))
    if not problems and new != again:
        problems.append(single('password_again', _('password_mismatch', default='Hai lần nhập mật khẩu mới không khớp')))
    if problems:
        raise merge(problems)
    appstruct = PasswordSchema().bind().deserialize({'password': new})
    user.set_password(appstruct['password'])
    user.must_change_password = False
    ended = end_user_sessions(root, user.login)
    audit.append(root, f'user:{user.login}', 'password_changed', user.login, sessions_ended=ended)


# -- units ------------------------------------------------------------------------------------

def add_unit(root, actor, body, cstruct):
    return directory.add_unit(root, body, cstruct, actor_name(actor))


def rename_unit(root, actor, body, code, name):
    unit = _unit(body, code)
    appstruct = UnitNameSchema().deserialize({'name': name if name is not None else colander.null})
    old = unit.name
    if old == appstruct['name']:
        return unit
    unit.name = appstruct['name']
    audit.append(root, f'body:{body.code}', 'unit_renamed', actor_name(actor), code=code,
                 old_name=old, name=unit.name)
    return unit


def unit_uses(root, body, code):
    """What still names the unit: accounts, documents held by it or sent to it for information,
    records files and file-plan entries. ``{what: count}`` of those found."""
    uses = {}

    def count(what, n):
        if n:
            uses[what] = uses.get(what, 0) + n
    count('users', sum(1 for u in root['users'].values() if u.body_code == body.code and u.unit_code == code))
    count('documents', sum(1 for d in body.documents.values()
                           if d.holder_unit == code or code in (d.info_units or ())))
    records = getattr(body, 'records', None)
    if records is not None:
        count('files', sum(1 for f in records.files.values() if f.unit_code == code))
        count('plan', sum(1 for plan in records.plans.values() for e in plan.values() if e.unit_code == code))
    return uses


def delete_unit(root, actor, body, code):
    """Remove a unit nothing names; a unit in use is refused (409 ``unit_in_use``), saying by what."""
    unit = _unit(body, code)
    uses = unit_uses(root, body, code)
    if uses:
        raise Conflict('unit_in_use', _(
            'unit_in_use', default='Đơn vị "${unit}" đang được dùng (${users}, ${documents}, ${files}, ${plan}): '
                                   'không xóa được; hãy đổi tên nếu cần',
            mapping={'unit': unit.name, 'users': counted('accounts', uses.get('users', 0)),
                     'documents': counted('documents', uses.get('documents', 0)),
                     'files': counted('files', uses.get('files', 0)),
                     'plan': counted('plan_entries', uses.get('plan', 0))}))
    del body.units[code]
    audit.append(root, f'body:{body.code}', 'unit_deleted', actor_name(actor), code=code, name=unit.name)


def _unit(body, code):
    unit = body.units.get(code) if isinstance(code, str) else None
    if unit is None:
        raise Unknown('unit_unknown', _('unit_unknown', default='Đơn vị "${unit}" không thuộc cơ quan này',
                                        mapping={'unit': str(code)[:64]}))
    return unit


# -- the office of a committee (Art. 12) ------------------------------------------------------

def set_office_of(root, actor, body, committee_code):
    """Make ``body`` the office that compiles ``committee_code``'s statistics (its whole tree), or
    no office (``''``/``None``). ``actor`` must administer the body and the committee (and the
    committee named before): the city administrator for the city's offices. Journaled."""
    if committee_code is not None and not isinstance(committee_code, str):
        raise single('office_of', _('text_expected', default='Cần một chuỗi ký tự'))
    committee_code = (committee_code or '').strip() or None
    mine = administered(root, actor)
    if committee_code is not None and (committee_code not in root['bodies'] or committee_code not in mine):
        raise single('office_of', _('body_unknown', default='Không có cơ quan "${code}"',
                                    mapping={'code': committee_code[:64]}))
    if committee_code == body.code:
        raise single('office_of', _('office_of_self', default='Cơ quan không là văn phòng của chính mình'))
    old = getattr(body, 'office_of', None)
    if old is not None and old in root['bodies'] and old not in mine:
        raise Conflict('office_of_not_yours', _(
            'office_of_not_yours', default='Văn phòng này phục vụ một cấp ủy bạn không quản trị'))
    if old == committee_code:
        return False
    body.office_of = committee_code
    audit.append(root, f'body:{body.code}', 'office_of_changed', actor_name(actor),
                 old_office_of=old, office_of=committee_code)
    return True

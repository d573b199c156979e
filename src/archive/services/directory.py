"""Adding bodies, units and users; closing bodies. Journaled on the body's or user's chain."""
import colander

from .. import audit, clock
from ..resources.records import ensure_records
from ..errors import Conflict, single
from ..i18n import _
from ..resources.bodies import Body
from ..resources.users import User
from ..schemas.directory import PasswordSchema, RouteSchema, UnitSchema, body_schema, user_schema
from ..sessions import end_user_sessions
from ..security import hash_token, new_token


def add_body(root, cstruct, settings, actor):
    appstruct = body_schema(settings).deserialize(cstruct)
    bodies = root['bodies']
    if appstruct['route'] == 'hosted' and not settings.organ_id_pattern.match(appstruct['code']):
        # a body of ours takes the configured form; a remote one any code of its own system
        raise single('code', _('organ_id_malformed', default='Mã định danh "${value}" không đúng dạng '
                                                             '(ví dụ 000.00.31.H29)', mapping={'value': appstruct['code']}))
    if appstruct['code'] in bodies:
        raise single('code', _('code_duplicate', default='Mã định danh "${code}" đã được dùng',
                                mapping={'code': appstruct['code']}))
    parent = appstruct.get('parent_code')
    if parent and parent not in bodies:
        raise single('parent_code', _('parent_unknown', default='Không có cơ quan cấp trên "${code}"',
                                       mapping={'code': parent}))
    body = Body(appstruct['code'], appstruct['name'], appstruct['symbol'], kind=appstruct['kind'],
                parent_code=parent, route=appstruct['route'], address=appstruct.get('address') or '',
                valid_from=appstruct.get('valid_from'))
    bodies.add(body.code, body)
    ensure_records(body)
    audit.append(root, f'body:{body.code}', 'body_created', actor,
                 **{k: (clock.iso(v) if hasattr(v, 'isoformat') else v) for k, v in appstruct.items()})
    return body


def add_unit(root, body, cstruct, actor):
    appstruct = UnitSchema().deserialize(cstruct)
    if appstruct['code'] in body.units:
        raise single('code', _('unit_duplicate', default='Mã đơn vị "${code}" đã có',
                                mapping={'code': appstruct['code']}))
    unit = body.add_unit(appstruct['code'], appstruct['name'])
    audit.append(root, f'body:{body.code}', 'unit_created', actor, **appstruct)
    return unit


def close_body(root, body, on, successor_code, actor):
    if not body.is_open():
        raise Conflict('body_already_closed', _('body_already_closed', default='Cơ quan đã đóng'))
    if successor_code and successor_code not in root['bodies']:
        raise single('successor_code', _('successor_unknown', default='Không có cơ quan kế thừa "${code}"',
                                         mapping={'code': successor_code}))
    body.close(on, successor_code)
    audit.append(root, f'body:{body.code}', 'body_closed', actor, valid_to=on.isoformat(),
                 successor=successor_code)


def set_route(root, body, route, address, settings, actor):
    """How the body is reached (Art. 7): hosted here, another instance's exchange URL, an official
    email address, or the national axis; checked by the body schema's own nodes, journaled."""
    appstruct = RouteSchema().deserialize({'route': route, 'address': address or colander.null})
    route, address = appstruct['route'], appstruct['address']
    old = (body.route, body.address)
    body.route, body.address = route, address or ''
    audit.append(root, f'body:{body.code}', 'route_changed', actor, route=route, address=body.address,
                 old_route=old[0], old_address=old[1])


def add_user(root, cstruct, settings, actor, password_hash=None):
    """Add a user; ``password_hash`` reuses a hash already made of the same password (demo seed)."""
    appstruct = user_schema(settings).deserialize(cstruct)
    users, bodies = root['users'], root['bodies']
    login = appstruct['login']
    problems = colander.Invalid(colander.SchemaNode(colander.Mapping(), name=''))
    if login in users:
        problems.add(single('login', _('login_duplicate', default='Tên đăng nhập "${login}" đã có',
                                       mapping={'login': login})))
    body = bodies.get(appstruct['body_code'])
    if body is None:
        problems.add(single('body_code', _('body_unknown', default='Không có cơ quan "${code}"',
                                           mapping={'code': appstruct['body_code']})))
    elif appstruct.get('unit_code') and appstruct['unit_code'] not in body.units:
        problems.add(single('unit_code', _('unit_unknown', default='Đơn vị "${unit}" không thuộc cơ quan này',
                                           mapping={'unit': appstruct['unit_code']})))
    if problems.children:
        raise problems
    user = User(login, appstruct['full_name'], body.code, appstruct['roles'],
                unit_code=appstruct.get('unit_code'), position=appstruct.get('position') or '')
    if password_hash is not None:
        user.password_hash = password_hash   # the caller made it from this very password
    else:
        user.set_password(appstruct['password'])
    users.add(login, user)
    audit.append(root, f'user:{login}', 'user_created', actor, body=body.code,
                 unit=user.unit_code, roles=list(user.roles))
    return user


def set_password(root, user, password, actor):
    """An administrator (or the command line) sets or resets a password: checked by the one
    password rule, journaled, and every session of that user ends."""
    appstruct = PasswordSchema().bind().deserialize({'password': password})
    user.set_password(appstruct['password'])
    ended = end_user_sessions(root, user.login)
    audit.append(root, f'user:{user.login}', 'password_set', actor, sessions_ended=ended)


def set_active(root, user, active, actor):
    """Disable (or enable again) an account; disabling ends every session of that user
    (its API tokens stop working too: the security policy refuses an inactive user)."""
    if not isinstance(active, bool):
        raise single('active', _('active_not_boolean', default='"active" phải là true hoặc false'))
    if not active and user.login == actor:
        raise Conflict('disable_self', _('disable_self', default='Không tự khóa tài khoản của chính mình'))
    if user.active == active:
        return
    user.active = active
    ended = 0 if active else end_user_sessions(root, user.login)
    audit.append(root, f'user:{user.login}', 'user_enabled' if active else 'user_disabled', actor,
                 sessions_ended=ended)


def create_token(root, user, label, actor):
    token = new_token()
    digest = hash_token(token)
    root.tokens[digest] = user.login
    user.tokens[digest] = {'label': label, 'created_at': clock.iso(clock.now())}
    audit.append(root, f'user:{user.login}', 'token_created', actor, label=label, token_id=digest[:12])
    return token, digest[:12]


def revoke_token(root, user, token_id, actor):
    matches = [d for d in user.tokens if d.startswith(token_id)] if len(token_id) >= 8 else []
    if len(matches) != 1:
        raise Conflict('token_unknown', _('token_unknown', default='Không tìm thấy khóa API "${token}" của ${login}',
                                          mapping={'token': token_id, 'login': user.login}))
    digest = matches[0]
    del user.tokens[digest]
    root.tokens.pop(digest, None)
    audit.append(root, f'user:{user.login}', 'token_revoked', actor, token_id=digest[:12])

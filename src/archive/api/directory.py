"""API: who am I, bodies and units, users. What an administrator manages (accounts, units) is
scoped by ``services/accounts.py``: the bodies they administer; anything else is 404."""
from pyramid.view import view_config

from .. import clock
from .. import security as S
from ..errors import single
from ..i18n import _
from ..resources.root import app_root
from ..services import accounts, directory
from .common import json_input


def body_json(body):
    return {
        'code': body.code, 'name': body.name, 'symbol': body.symbol, 'kind': body.kind,
        'parent_code': body.parent_code, 'route': body.route, 'address': body.address or None,
        'valid_from': clock.iso(body.valid_from), 'valid_to': clock.iso(body.valid_to),
        'successor_code': body.successor_code, 'open': body.is_open(),
        'units': [{'code': u.code, 'name': u.name} for u in body.units.values()],
    }


def user_json(user):
    return {'login': user.login, 'full_name': user.full_name, 'body_code': user.body_code,
            'unit_code': user.unit_code, 'roles': list(user.roles), 'position': user.position or None,
            'active': user.active}


@view_config(route_name='api.me', renderer='json', request_method='GET', permission=S.VIEW_BODIES)
def me(request):
    return user_json(request.identity)


@view_config(route_name='api.bodies', renderer='json', request_method='GET', permission=S.VIEW_BODIES)
def list_bodies(context, request):
    return {'items': [dict(body_json(b), depth=depth) for depth, b in context.tree()]}


@view_config(route_name='api.bodies', renderer='json', request_method='POST', permission=S.MANAGE)
def create_body(context, request):
    body = directory.add_body(app_root(request), json_input(request), request.registry.archive_settings,
                              request.authenticated_userid)
    request.response.status = 201
    return body_json(body)


@view_config(route_name='api.body', renderer='json', request_method='GET', permission=S.VIEW_BODIES)
def get_body(context, request):
    return body_json(context)


def _body(request, context):
    return accounts.body_of(app_root(request), request.identity, context.code)


def _user(request, context):
    return accounts.user_of(app_root(request), request.identity, context.login)


@view_config(route_name='api.units', renderer='json', request_method='POST', permission=S.MANAGE)
def create_unit(context, request):
    unit = accounts.add_unit(app_root(request), request.identity, _body(request, context), json_input(request))
    request.response.status = 201
    return {'code': unit.code, 'name': unit.name}


@view_config(route_name='api.unit', renderer='json', request_method='PATCH', permission=S.MANAGE)
def rename_unit(context, request):
    data = json_input(request)
    unit = accounts.rename_unit(app_root(request), request.identity, _body(request, context),
                                request.matchdict['unit'], data.get('name'))
    return {'code': unit.code, 'name': unit.name}


@view_config(route_name='api.unit', renderer='json', request_method='DELETE', permission=S.MANAGE)
def delete_unit(context, request):
    accounts.delete_unit(app_root(request), request.identity, _body(request, context), request.matchdict['unit'])
    request.response.status = 204
    return request.response


@view_config(route_name='api.users', renderer='json', request_method='GET', permission=S.MANAGE)
def list_users(context, request):
    return {'items': [user_json(u) for u in accounts.users_of(app_root(request), request.identity)]}


@view_config(route_name='api.users', renderer='json', request_method='POST', permission=S.MANAGE)
def create_user(context, request):
    user = accounts.create_user(app_root(request), request.identity, json_input(request),
                                request.registry.archive_settings)
    request.response.status = 201
    return user_json(user)


@view_config(route_name='api.user', renderer='json', request_method='GET', permission=S.MANAGE)
def get_user(context, request):
    return user_json(_user(request, context))


@view_config(route_name='api.user_roles', renderer='json', request_method='PUT', permission=S.MANAGE)
def put_roles(context, request):
    """Change an account's roles (journaled with the old and new roles)."""
    user = _user(request, context)
    accounts.set_roles(app_root(request), request.identity, user, json_input(request).get('roles'))
    return user_json(user)


@view_config(route_name='api.user_unit', renderer='json', request_method='PUT', permission=S.MANAGE)
def put_unit(context, request):
    """Move an account to another unit of its body (``unit_code``; null: none)."""
    user = _user(request, context)
    accounts.set_unit(app_root(request), request.identity, user, json_input(request).get('unit_code'))
    return user_json(user)


@view_config(route_name='api.user', renderer='json', request_method='PATCH', permission=S.MANAGE)
def patch_user(context, request):
    """Disable or enable an account (``active``), set or reset its password (``password``);
    either ends the user's sessions."""
    context = _user(request, context)
    data = json_input(request)
    unknown = sorted(set(data) - {'active', 'password'})
    if unknown or not data:
        raise single(unknown[0] if unknown else 'active', _(
            'user_patch_fields', default='Chỉ sửa được "active" và "password"'))
    root, actor = app_root(request), request.identity
    if 'password' in data:
        if not isinstance(data['password'], str):
            raise single('password', _('text_expected', default='Cần một chuỗi ký tự'))
        accounts.reset_password(root, actor, context, data['password'])
    if 'active' in data:
        accounts.set_active(root, actor, context, data['active'])
    return user_json(context)

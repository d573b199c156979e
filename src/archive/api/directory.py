"""API: who am I, bodies and units, users."""
from pyramid.view import view_config

from .. import clock
from .. import security as S
from ..errors import single
from ..i18n import _
from ..resources.root import app_root
from ..services import directory
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


@view_config(route_name='api.units', renderer='json', request_method='POST', permission=S.MANAGE)
def create_unit(context, request):
    unit = directory.add_unit(app_root(request), context, json_input(request), request.authenticated_userid)
    request.response.status = 201
    return {'code': unit.code, 'name': unit.name}


@view_config(route_name='api.users', renderer='json', request_method='GET', permission=S.MANAGE)
def list_users(context, request):
    return {'items': [user_json(u) for u in context.values()]}


@view_config(route_name='api.users', renderer='json', request_method='POST', permission=S.MANAGE)
def create_user(context, request):
    user = directory.add_user(app_root(request), json_input(request), request.registry.archive_settings,
                              request.authenticated_userid)
    request.response.status = 201
    return user_json(user)


@view_config(route_name='api.user', renderer='json', request_method='GET', permission=S.MANAGE)
def get_user(context, request):
    return user_json(context)


@view_config(route_name='api.user', renderer='json', request_method='PATCH', permission=S.MANAGE)
def patch_user(context, request):
    """Disable or enable an account (``active``), set or reset its password (``password``);
    either ends the user's sessions."""
    data = json_input(request)
    unknown = sorted(set(data) - {'active', 'password'})
    if unknown or not data:
        raise single(unknown[0] if unknown else 'active', _(
            'user_patch_fields', default='Chỉ sửa được "active" và "password"'))
    root, actor = app_root(request), request.authenticated_userid
    if 'password' in data:
        if not isinstance(data['password'], str):
            raise single('password', _('text_expected', default='Cần một chuỗi ký tự'))
        directory.set_password(root, context, data['password'], actor)
    if 'active' in data:
        directory.set_active(root, context, data['active'], actor)
    return user_json(context)

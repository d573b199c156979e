"""Bodies, units and users: the schemas of the directory."""
import re

import colander

from .. import security as S
from ..i18n import _
from . import vocab
from .document import one_of, organ_id_validator
from .types import IsoDate, Lines, Text, max_length, optional, required

LOGIN = re.compile(r'^[a-z0-9][a-z0-9._-]{1,63}$')
UNIT_CODE = re.compile(r'^[A-Za-z0-9._-]{1,50}$')
EMAIL = re.compile(r'[^@\s<>"]+@[^@\s<>"]+\.[^@\s<>"]+')
URL = re.compile(r'https?://[^\s<>"]+')


def _pattern(regex, code, default):
    return colander.Regex(regex, msg=_(code, default=default))


PASSWORD_MIN = 12
PASSWORD_MIN_SCORE = 3      # zxcvbn: 0-4; 3 = at least 10^8 guesses ("safely unguessable")
DOCUMENT_ROLES = (S.CLERK, S.LEADER, S.PROCESSOR, S.ARCHIVIST)


def _roles(node, value):
    unknown = [r for r in value if r not in S.ROLES]
    if unknown:
        raise colander.Invalid(node, _('role_unknown', default='Vai trò không hợp lệ: ${roles}',
                                       mapping={'roles': ', '.join(unknown)}))
    mixed = roles_conflict(value)
    if mixed:
        raise colander.Invalid(node, mixed)


def roles_conflict(roles):
    """Separation of duties: an administrator manages accounts and sees no documents, so an
    account never holds the administrator role with a document role. The message, or None."""
    if S.ADMIN in roles and any(r in DOCUMENT_ROLES for r in roles):
        return _('roles_admin_exclusive',
                 default='Quản trị hệ thống không được kiêm vai trò xử lý văn bản (văn thư, lãnh đạo, '
                         'chuyên viên, lưu trữ viên)')
    return None


def password_problem(password):
    """The one password rule of the API, the pages and the command line: at least 12 characters,
    and not a common or easily guessed password (zxcvbn: its lists of the most used passwords,
    words and names, and keyboard patterns, all shipped with it). The message, or None."""
    if len(password) < PASSWORD_MIN:
        return _('password_short', default='Mật khẩu phải có ít nhất ${min} ký tự', mapping={'min': PASSWORD_MIN})
    from zxcvbn import zxcvbn     # heavy: its word lists load on first use
    if zxcvbn(password[:100])['score'] < PASSWORD_MIN_SCORE:
        return _('password_common', default='Mật khẩu quá phổ biến hoặc dễ đoán; hãy dùng một cụm từ dài hơn')
    return None


def _password(node, value):
    problem = password_problem(value)
    if problem is not None:
        raise colander.Invalid(node, problem)


def _select(values):
    @colander.deferred
    def widget(node, kw):
        import deform.widget
        return deform.widget.SelectWidget(values=[(k, v) for k, v in values.items()])
    return widget


@colander.deferred
def _roles_widget(node, kw):
    import deform.widget
    return deform.widget.CheckboxChoiceWidget(values=[(r, S.ROLE_TITLES[r]) for r in S.ROLES])


@colander.deferred
def _password_widget(node, kw):
    import deform.widget
    return deform.widget.PasswordWidget(attributes={'autocomplete': 'new-password'})


@colander.deferred
def _bodies_widget(node, kw):
    import deform.widget
    return deform.widget.SelectWidget(values=[('', '')] + list(kw.get('bodies', [])))


def check_route(node, value):
    """How a body is reached and its address agree: the one check of the address, on creation
    (form, API, ``archive-bodies add``) as on ``set-route``. (Control characters, CR/LF among
    them, never get this far: ``Text`` refuses them.)"""
    route, address = value.get('route'), value.get('address') or ''
    message = None
    if route == 'instance' and not URL.fullmatch(address):
        message = _('address_not_url', default='Hệ thống khác cần địa chỉ http:// hoặc https://')
    elif route in ('email', 'axis', 'mailbox') and not address:
        message = _('address_required', default='Cách liên lạc này cần địa chỉ')
    elif route in ('email', 'mailbox') and not EMAIL.fullmatch(address):
        message = _('address_not_email', default='Thư điện tử cần địa chỉ dạng ten@mien')
    if message is not None:
        exc = colander.Invalid(node)
        exc['address'] = message
        raise exc


def _route_node():
    return colander.SchemaNode(Text(), missing='hosted', title=_('f_route', default='Cách liên lạc'),
                               validator=one_of(vocab.ROUTES, 'route_unknown', 'Cách liên lạc không hợp lệ'),
                               widget=_select(vocab.ROUTES))


def _address_node():
    return optional(Text(), validator=max_length(300),
                    title=_('f_address', default='Địa chỉ (URL trao đổi, thư điện tử công vụ)'))


class RouteSchema(colander.MappingSchema):
    """A body's route alone (``set-route``), checked as in ``BodySchema``."""
    route = _route_node()
    address = _address_node()
    validator = staticmethod(check_route)


class BodySchema(colander.MappingSchema):
    code = required(Text(), validator=organ_id_validator, title=_('f_code', default='Mã định danh'))
    name = required(Text(), validator=max_length(200), title=_('f_name', default='Tên cơ quan'))
    symbol = required(Text(), validator=_pattern(r'^[^\s/]{1,30}$', 'symbol_malformed',
                                                 'Ký hiệu viết tắt không có dấu cách hoặc "/"'),
                      title=_('f_symbol', default='Ký hiệu viết tắt (ví dụ VPTU)'))
    kind = colander.SchemaNode(Text(), missing='party', title=_('f_kind', default='Loại cơ quan'),
                               validator=one_of(vocab.BODY_KINDS, 'kind_unknown', 'Loại cơ quan không hợp lệ'),
                               widget=_select(vocab.BODY_KINDS))
    parent_code = optional(Text(), title=_('f_parent_code', default='Cơ quan cấp trên (mã định danh)'),
                           widget=_bodies_widget)
    route = _route_node()
    address = _address_node()
    valid_from = optional(IsoDate(), title=_('f_valid_from', default='Hiệu lực từ ngày'))
    validator = staticmethod(check_route)


class UnitSchema(colander.MappingSchema):
    code = required(Text(), validator=_pattern(UNIT_CODE, 'unit_code_malformed', 'Mã đơn vị không hợp lệ'),
                    title=_('f_unit_code', default='Mã đơn vị'))
    name = required(Text(), validator=max_length(200), title=_('f_unit_name', default='Tên đơn vị'))


class UnitNameSchema(colander.MappingSchema):
    """A unit renamed (its code stays: documents and accounts name it)."""
    name = required(Text(), validator=max_length(200), title=_('f_unit_name', default='Tên đơn vị'))


class RolesSchema(colander.MappingSchema):
    """An account's roles changed by an administrator: the same checks as on creation."""
    roles = required(Lines(), validator=_roles, title=_('f_roles', default='Vai trò'), widget=_roles_widget)


class UserSchema(colander.MappingSchema):
    login = required(Text(), validator=_pattern(LOGIN, 'login_malformed',
                                                'Tên đăng nhập: chữ thường không dấu, số, ".", "_" hoặc "-"'),
                     title=_('f_login', default='Tên đăng nhập'))
    full_name = required(Text(), validator=max_length(100), title=_('f_full_name', default='Họ và tên'))
    body_code = required(Text(), title=_('f_body_code', default='Cơ quan'), widget=_bodies_widget)
    unit_code = optional(Text(), title=_('f_unit', default='Đơn vị'))
    position = optional(Text(), validator=max_length(100), title=_('f_position', default='Chức vụ'))
    roles = required(Lines(), validator=_roles, title=_('f_roles', default='Vai trò'), widget=_roles_widget)
    password = required(colander.String(), validator=_password,
                        title=_('f_password', default='Mật khẩu'), widget=_password_widget)


class PasswordSchema(colander.MappingSchema):
    """An administrator sets (or resets) someone's password."""
    password = required(colander.String(), validator=_password,
                        title=_('f_new_password', default='Mật khẩu mới'), widget=_password_widget)


def body_schema(settings, bodies=()):
    """``bodies``: ``[(code, label)]`` offered as parents in the form."""
    return BodySchema().bind(settings=settings, bodies=bodies)


def user_schema(settings, bodies=()):
    return UserSchema().bind(settings=settings, bodies=bodies)

"""What a person chooses on their own page (/me): where their notifications go, and which."""
import re

import colander
import deform.widget

from ..i18n import _
from .directory import EMAIL
from .types import Text, max_length, optional

WHOLE_EMAIL = re.compile(EMAIL.pattern + r'\Z')       # the whole value, not a prefix of it


class PreferencesSchema(colander.MappingSchema):
    email = optional(
        Text(), title=_('f_email', default='Thư điện tử nhận thông báo'),
        validator=colander.All(max_length(254), colander.Regex(
            WHOLE_EMAIL, msg=_('email_invalid', default='Địa chỉ thư điện tử cần dạng ten@mien'))),
        description=_('d_email', default='Để trống nếu không muốn nhận thư'))
    mail_digest = colander.SchemaNode(
        colander.Boolean(), missing=False, widget=deform.widget.CheckboxWidget(),
        title=_('f_mail_digest', default='Nhận thư tóm tắt hằng ngày những việc đang chờ tôi'))
    mail_assigned = colander.SchemaNode(
        colander.Boolean(), missing=False, widget=deform.widget.CheckboxWidget(),
        title=_('f_mail_assigned', default='Nhận thư khi tôi được giao xử lý văn bản'))

"""Field types shared by the schemas: NFC text, aware date-times, lines."""
import datetime as dt
import unicodedata

import colander

from .. import clock
from ..i18n import _
from ..text import strip_direction_marks, unsafe_character

UNSAFE_MESSAGES = {
    'control_character': _('control_character',
                           default='Có ký tự điều khiển không được phép (NUL, ESC, xuống dòng trong ô một dòng...)'),
    'bidi_control': _('bidi_control',
                      default='Có ký tự đảo chiều hiển thị (U+202A–U+202E, U+2066–U+2069): không được phép'),
}


def nfc(text):
    return unicodedata.normalize('NFC', text)


def clean(node, value, multiline=False):
    """``value`` NFC-normalised, direction marks dropped; refused if it holds a character no
    field may hold (see ``archive.text.unsafe_character``): the one check of every channel."""
    value = strip_direction_marks(nfc(value))
    problem = unsafe_character(value, multiline)
    if problem:
        raise colander.Invalid(node, UNSAFE_MESSAGES[problem])
    return value


class Text(colander.String):
    """A string stored NFC-normalised and stripped (decomposed input is accepted); control
    characters and bidirectional overrides refused, line breaks only if ``multiline``."""

    def __init__(self, multiline=False, **kw):
        super().__init__(**kw)
        self.multiline = multiline

    def deserialize(self, node, cstruct):
        value = super().deserialize(node, cstruct)
        if value is colander.null:
            return value
        value = clean(node, nfc(value).strip(), self.multiline)
        return value if value else colander.null


class AwareDateTime(colander.SchemaType):
    """ISO 8601 with its zone; a date-time without one is refused, never guessed."""

    def serialize(self, node, appstruct):
        if appstruct is colander.null or appstruct is None:
            return colander.null
        return clock.iso(appstruct)

    def deserialize(self, node, cstruct):
        if cstruct is colander.null or cstruct in ('', None):
            return colander.null
        invalid = _('datetime_invalid',
                    default='Thời gian không hợp lệ: dùng dạng ISO 8601, ví dụ 2026-11-24T09:30:00+07:00')
        if not isinstance(cstruct, str):
            raise colander.Invalid(node, invalid)
        try:
            naive = dt.datetime.fromisoformat(cstruct.strip())
        except ValueError:
            raise colander.Invalid(node, invalid)
        if naive.tzinfo is None:
            raise colander.Invalid(node, _(
                'datetime_without_zone',
                default='Thời gian thiếu múi giờ: ghi rõ, ví dụ 2026-11-24T09:30:00+07:00'))
        return clock.to_vn(naive)


class IsoDate(colander.SchemaType):
    """A calendar date ``YYYY-MM-DD``."""

    def serialize(self, node, appstruct):
        if appstruct is colander.null or appstruct is None:
            return colander.null
        return appstruct.isoformat()

    def deserialize(self, node, cstruct):
        if cstruct is colander.null or cstruct in ('', None):
            return colander.null
        try:
            if not isinstance(cstruct, str) or len(cstruct.strip()) != 10:
                raise ValueError
            return dt.date.fromisoformat(cstruct.strip())
        except ValueError:
            raise colander.Invalid(node, _(
                'date_invalid', default='Ngày không hợp lệ: dùng dạng YYYY-MM-DD'))


class Lines(colander.SchemaType):
    """A list of short texts: a JSON array in the API, one per line in the forms."""

    def serialize(self, node, appstruct):
        if appstruct is colander.null or appstruct is None:
            return colander.null
        return '\n'.join(appstruct)

    def deserialize(self, node, cstruct):
        if cstruct is colander.null or cstruct is None:
            return colander.null
        if isinstance(cstruct, str):
            items = cstruct.splitlines()
        elif isinstance(cstruct, (list, tuple)) and all(isinstance(i, str) for i in cstruct):
            items = cstruct
        else:
            raise colander.Invalid(node, _('lines_invalid', default='Phải là danh sách các dòng chữ'))
        values = [clean(node, nfc(i).strip()) for i in items]
        values = [v for v in values if v]
        return values if values else colander.null


class Count(colander.Int):
    """A non-negative whole number (pages, copies)."""

    def deserialize(self, node, cstruct):
        if cstruct in ('', None):
            return colander.null
        try:
            value = super().deserialize(node, cstruct)
        except colander.Invalid:
            raise colander.Invalid(node, _('number_invalid', default='Phải là một số nguyên'))
        if value is not colander.null and value < 0:
            raise colander.Invalid(node, _('number_negative', default='Không được là số âm'))
        return value


REQUIRED = _('required', default='Bắt buộc phải nhập')


def required(typ, **kw):
    return colander.SchemaNode(typ, missing_msg=REQUIRED, **kw)


def optional(typ, **kw):
    kw.setdefault('missing', None)
    return colander.SchemaNode(typ, **kw)


def max_length(n):
    return colander.Length(max=n, max_err=_(
        'too_long', default='Dài quá ${max} ký tự', mapping={'max': n}))

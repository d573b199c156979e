"""The one ``Content-Disposition`` of every download (RFC 6266).

A header is Latin-1 on the wire: a Vietnamese file name put there as it is fails (the Mật
register exports answered 500). The name goes as ``filename*=UTF-8''…`` (RFC 5987), with an
ASCII ``filename="…"`` beside it for the clients that read only that one: the diacritics
dropped (``Sổ đăng ký`` → ``So dang ky``), anything but letters, digits and ``._-()`` made
``_``. Control characters and path separators never reach either form.
"""
import re
import unicodedata
from urllib.parse import quote

from .text import without_marks

_NOT_SAFE = re.compile(r'[^A-Za-z0-9._()\- ]')
_CONTROL = re.compile('[\x00-\x1f\x7f-\x9f]')


def ascii_fallback(filename):
    plain = without_marks(unicodedata.normalize('NFKC', filename))     # NFKC then NFD: NFKD
    return _NOT_SAFE.sub('_', plain).strip(' .') or 'file'


def content_disposition(filename, disposition='attachment'):
    name = _CONTROL.sub('', unicodedata.normalize('NFC', filename or '')).replace('/', '_').replace('\\', '_')
    name = name.strip() or 'file'
    return (f'{disposition}; filename="{ascii_fallback(name)}"; '
            f"filename*=UTF-8''{quote(name, safe='')}")

"""Reading API input: JSON objects only, with a clear error for anything else."""
import json

from ..errors import InputError
from ..i18n import _


def _error(code, message, field=''):
    return InputError([{'field': field, 'code': code, 'message': message}])


def json_input(request):
    if not request.content_type == 'application/json':
        raise _error('content_type', _('content_type', default='Cần gửi JSON (Content-Type: application/json)'))
    try:
        data = json.loads(request.body.decode('utf-8'))
    except (UnicodeDecodeError, ValueError):
        raise _error('json_invalid', _('json_invalid', default='Nội dung không phải JSON hợp lệ'))
    if not isinstance(data, dict):
        raise _error('json_not_object', _('json_not_object', default='Nội dung JSON phải là một đối tượng'))
    return data


def metadata_input(request):
    """A document's fields: the JSON body, or the ``metadata`` part of a multipart upload."""
    if request.content_type == 'multipart/form-data':
        raw = request.POST.get('metadata')
        if raw is None:
            return {}
        if hasattr(raw, 'file'):
            raw = raw.file.read()
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, ValueError):
            raise _error('json_invalid', _('json_invalid', default='Nội dung không phải JSON hợp lệ'), 'metadata')
        if not isinstance(data, dict):
            raise _error('json_not_object', _('json_not_object', default='Nội dung JSON phải là một đối tượng'),
                         'metadata')
        return data
    return json_input(request)

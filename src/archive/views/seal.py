"""A body's seal (con dấu) and the place written before its date of issue: the page its own
people see, the form its clerk and the administrators use, and the image itself."""
import colander
import deform
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.response import Response
from pyramid.view import view_config

from .. import security as S
from ..i18n import _
from ..resources.bodies import Body
from ..resources.root import app_root
from ..services.seals import MAX_PLACE_LENGTH, MAX_SEAL_BYTES, set_seal
from .flash import confirm
from .forms import file_node, make_form, posted, render_submitted, show_errors


def _form(request):
    schema = colander.MappingSchema()
    schema.add(file_node('seal', _('f_seal', default='Ảnh con dấu (PNG nền trong suốt)'),
                         description=_('f_seal_help', default='Ảnh được đặt đè lên khoảng một phần ba '
                                       'bên trái chữ ký của lãnh đạo khi văn thư ký số của cơ quan.')))
    schema.add(colander.SchemaNode(
        colander.String(), name='place_name', missing='',
        title=_('f_place_name', default='Địa danh ghi trước ngày ban hành'),
        description=_('f_place_name_help', default='Ví dụ: Hà Nội (ghi "Hà Nội, ngày 03 tháng 12 năm 2026")'),
        widget=deform.widget.TextInputWidget(attributes={'maxlength': MAX_PLACE_LENGTH})))
    return make_form(request, schema, _('seal_save', default='Lưu con dấu'), 'seal')


def _uploaded(request):
    """The chosen file's bytes (one more than allowed is enough to refuse it), None if none."""
    item = request.POST.get('seal')
    if getattr(item, 'file', None) is None:
        return None
    return item.file.read(MAX_SEAL_BYTES + 1)


def _page(context, request, form=None, errors=()):
    can_manage = request.has_permission(S.MANAGE_CERTIFICATES, context)
    if can_manage and form is None:
        form = _form(request).render({'place_name': context.place_name})
    return {'body': context, 'seal': context.seal, 'form': form if can_manage else None,
            'errors': list(errors)}


@view_config(context=Body, name='seal', request_method='GET', permission=S.VIEW_CERTIFICATES,
             renderer='archive:templates/seal.pt')
def seal_view(context, request):
    if request.subpath == ('seal.png',) and context.seal is not None:
        response = Response(body=context.seal.png, content_type='image/png')
        response.etag = context.seal.sha256
        return response
    if request.subpath:
        raise HTTPNotFound()
    return _page(context, request)


@view_config(context=Body, name='seal', request_method='POST', permission=S.MANAGE_CERTIFICATES,
             renderer='archive:templates/seal.pt')
def seal_set_view(context, request):
    """Keep the uploaded seal and the place; on refusal the page again, the reason by its field
    and the place as typed."""
    form = _form(request)
    cstruct = posted(request, form.schema)
    try:
        set_seal(app_root(request), context, _uploaded(request), cstruct.get('place_name', ''),
                 request.authenticated_userid)
    except colander.Invalid as exc:
        errors = show_errors(request, form, exc)
        return _page(context, request, render_submitted(form, cstruct), errors)
    confirm(request, _('flash_seal_saved', default='Đã lưu con dấu của cơ quan'))
    return HTTPSeeOther(request.resource_url(context, 'seal'))

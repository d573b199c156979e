"""A body's certificates (Art. 14.3): the whole history, the clerk's form to register one,
and each certificate's PEM to download."""
import colander
import deform
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.response import Response
from pyramid.view import view_config

from .. import clock
from ..disposition import content_disposition
from .. import security as S
from ..i18n import _
from ..resources.bodies import Body
from ..resources.certificates import KIND_TITLES, ORG_SIGN, STATUS_TITLES, newest_first
from ..resources.root import app_root
from ..services.certificates import register_certificate
from .forms import file_node, make_form, posted, render_submitted, show_errors

# Far more than any one certificate: a bigger upload is refused as unreadable, unread.
MAX_CERTIFICATE_BYTES = 64 * 1024
PEM_PATH = r'.*/certificates/[0-9a-f]{64}\.pem\Z'


def grouped(fingerprint):
    """``3F2A 9C01 …``: sixteen groups of four, to be compared by eye or read out."""
    upper = fingerprint.upper()
    return ' '.join(upper[i:i + 4] for i in range(0, len(upper), 4))


def _form(request):
    translate = request.localizer.translate
    schema = colander.MappingSchema()
    schema.add(colander.SchemaNode(
        colander.String(), name='kind', title=_('f_certificate_kind', default='Loại chứng thư số'),
        widget=deform.widget.SelectWidget(values=[(k, translate(t)) for k, t in KIND_TITLES.items()])))
    schema.add(file_node('certificate', _('f_certificate_file', default='Tệp chứng thư số (PEM hoặc DER)')))
    return make_form(request, schema, _('certificate_register', default='Đăng ký chứng thư số'), 'certificate')


def _uploaded(request):
    item = request.POST.get('certificate')
    if getattr(item, 'file', None) is None:
        return b''
    data = item.file.read(MAX_CERTIFICATE_BYTES + 1)
    return data if len(data) <= MAX_CERTIFICATE_BYTES else b''


def _page(context, request, form=None, errors=()):
    can_manage = request.has_permission(S.MANAGE_CERTIFICATES, context)
    if can_manage and form is None:
        form = _form(request).render({'kind': ORG_SIGN})
    return {'body': context, 'records': newest_first(context.certificates.values()), 'now': clock.now(),
            'kinds': KIND_TITLES, 'statuses': STATUS_TITLES, 'grouped': grouped,
            'form': form if can_manage else None, 'errors': list(errors)}


@view_config(context=Body, name='certificates', request_method='GET', permission=S.VIEW_CERTIFICATES,
             renderer='archive:templates/certificates.pt')
def certificates_view(context, request):
    if request.subpath:
        raise HTTPNotFound()
    return _page(context, request)


@view_config(context=Body, name='certificates', request_method='POST', permission=S.MANAGE_CERTIFICATES,
             renderer='archive:templates/certificates.pt')
def register_view(context, request):
    """Register the uploaded certificate; on refusal the page again, the reason by its field."""
    form = _form(request)
    cstruct = posted(request, form.schema)
    try:
        register_certificate(app_root(request), context, _uploaded(request), cstruct.get('kind', ''),
                             request.authenticated_userid)
    except colander.Invalid as exc:
        errors = show_errors(request, form, exc)
        return _page(context, request, render_submitted(form, cstruct), errors)
    return HTTPSeeOther(request.resource_url(context, 'certificates'))


@view_config(context=Body, name='certificates', request_method='GET', path_info=PEM_PATH,
             permission=S.VIEW_CERTIFICATES)
def pem_view(context, request):
    """``…/certificates/<fingerprint>.pem``: the certificate as registered."""
    fingerprint = request.subpath[0][:-len('.pem')] if len(request.subpath) == 1 else ''
    record = context.certificates.get(fingerprint)
    if record is None:
        raise HTTPNotFound()
    response = Response(body=record.pem.encode('ascii'), content_type='application/x-pem-file')
    response.content_disposition = content_disposition(f'{context.code}-{fingerprint[:16]}.pem')
    response.etag = fingerprint
    return response

"""API: a body's certificates (Art. 14.3), listed and registered, as the page does."""
import colander
from pyramid.view import view_config

from .. import clock
from .. import security as S
from ..errors import InputError, field_errors
from ..resources.certificates import newest_first
from ..resources.root import app_root
from ..services.certificates import register_certificate
from .common import json_input


def certificate_json(record, at):
    """One record with its status at ``at``; times in ISO 8601 +07:00."""
    return {
        'fingerprint': record.fingerprint, 'kind': record.kind, 'subject': record.subject,
        'issuer': record.issuer, 'serial': record.serial,
        'not_before': clock.iso(record.not_before), 'not_after': clock.iso(record.not_after),
        'status': record.status(at), 'added_at': clock.iso(record.added_at),
        'added_by': record.added_by, 'pem': record.pem,
    }


class CertificateInput(colander.MappingSchema):
    # the kind is checked by the service, so that the page and the API refuse it alike
    kind = colander.SchemaNode(colander.String())
    pem = colander.SchemaNode(colander.String())


@view_config(route_name='api.certificates', renderer='json', request_method='GET',
             permission=S.VIEW_CERTIFICATES)
def list_certificates(context, request):
    at = clock.now()
    return {'items': [certificate_json(r, at) for r in newest_first(context.certificates.values())]}


@view_config(route_name='api.certificates', renderer='json', request_method='POST',
             permission=S.MANAGE_CERTIFICATES)
def add_certificate(context, request):
    data = CertificateInput().deserialize(json_input(request))
    try:
        record = register_certificate(app_root(request), context, data['pem'], data['kind'],
                                      request.authenticated_userid)
    except colander.Invalid as exc:
        # the service names the data ``certificate`` (the page's file field); here it is ``pem``
        raise InputError([dict(e, field='pem' if e['field'] == 'certificate' else e['field'])
                          for e in field_errors(exc)])
    request.response.status = 201
    return certificate_json(record, clock.now())

"""API: a body's seal image and the place written before its date of issue, read and set as the
seal page does (the same checks, the same codes; the image as base64 in field ``png``)."""
import base64
import binascii

import colander
from pyramid.view import view_config

from .. import clock
from .. import security as S
from ..errors import InputError, field_errors
from ..resources.root import app_root
from ..services.seals import set_seal
from .common import json_input


def seal_json(body):
    seal = body.seal
    return {'place_name': body.place_name,
            'seal': None if seal is None else {
                'width': seal.width, 'height': seal.height, 'sha256': seal.sha256,
                'uploaded_at': clock.iso(seal.uploaded_at), 'uploaded_by': seal.uploaded_by}}


class SealInput(colander.MappingSchema):
    place_name = colander.SchemaNode(colander.String(), missing='')
    png = colander.SchemaNode(colander.String(), missing=None)


def _png(text):
    """The decoded image; what is not base64 is kept as it came, to be refused as no PNG."""
    if text is None:
        return None
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return text.encode('utf-8', 'replace')


@view_config(route_name='api.seal', renderer='json', request_method='GET', permission=S.VIEW_CERTIFICATES)
def get_seal(context, request):
    return seal_json(context)


@view_config(route_name='api.seal', renderer='json', request_method='PUT', permission=S.MANAGE_CERTIFICATES)
def put_seal(context, request):
    data = SealInput().deserialize(json_input(request))
    try:
        set_seal(app_root(request), context, _png(data['png']), data['place_name'], request.authenticated_userid)
    except colander.Invalid as exc:
        # the service names the image ``seal`` (the page's file field); here it is ``png``
        raise InputError([dict(e, field='png' if e['field'] == 'seal' else e['field'])
                          for e in field_errors(exc)])
    return seal_json(context)

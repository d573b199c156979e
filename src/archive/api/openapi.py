"""``GET /api/v1/openapi.yaml``: the API's OpenAPI description, read-only, as the package holds it
(``archive/api/openapi.yaml``, package data, so an installed wheel serves the same file the tests
check against the routes). A login is needed, as for everything under /api/v1: it holds nothing
secret, but only ``/healthz`` answers without one."""
from functools import cache
from importlib.resources import files

from pyramid.response import Response
from pyramid.view import view_config

from .. import security as S


@cache
def description():
    """The file's bytes, read once a process."""
    return files(__package__).joinpath('openapi.yaml').read_bytes()


@view_config(route_name='api.openapi', request_method='GET', permission=S.VIEW_BODIES)
def openapi_view(request):
    # the charset written out: webob leaves it off a type that is not text/*
    return Response(body=description(), content_type='application/yaml; charset=utf-8')

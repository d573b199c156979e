"""schemas/exchange-openapi.yaml describes the exchange endpoint the app really serves: its routes
and methods, and real answers (a signed receipt, a signed refusal, 405, 413, 415) validated
against it with openapi-core, strictly."""
import io
from pathlib import Path

import pytest
import yaml
from openapi_core import Config, OpenAPI
from pyramid.interfaces import IRoutesMapper
from webob import Request

from archive.exchange import edxml, outgoing, receive, worker

from .test_exchange_endpoint import PACKAGES, STATUSES, XML, app, document_id_of, sent, web  # noqa: F401
from .test_exchange_bad_input import package
from .test_exchange_local import BTG, Session, exchange_app  # noqa: F401
from .test_openapi import WebObOpenAPIRequest, WebObOpenAPIResponse, _explain
from ..conftest import HOST_CODE

SPEC_PATH = Path(__file__).resolve().parents[2] / 'schemas' / 'exchange-openapi.yaml'


@pytest.fixture(scope='module')
def spec():
    return OpenAPI.from_file_path(str(SPEC_PATH), config=Config(additional_properties_default_policy='forbid'))


def _as_sent(request):
    """The request without its body: the endpoint reads the body stream itself, once, capped
    (edXML bytes the receiving path judges, not the spec)."""
    return WebObOpenAPIRequest(Request.blank(request.path_qs, method=request.method,
                                             content_type=request.headers.get('Content-Type')))


def answers(spec, res):
    """Fail unless the answer conforms to the spec."""
    result = spec.unmarshal_response(_as_sent(res.request), WebObOpenAPIResponse(res))
    assert not result.errors, f'{res.status} to {res.request.path}:\n{_explain(result.errors)}'
    return res


def test_spec_names_the_endpoint_routes_and_no_other(app):
    with open(SPEC_PATH, encoding='utf-8') as f:
        paths = yaml.safe_load(f)['paths']
    routes = {r.pattern for r in app.registry.getUtility(IRoutesMapper).get_routes()
              if r.pattern.startswith('/exchange/')}
    assert routes == set(paths) == {PACKAGES, STATUSES}
    for item in paths.values():
        assert {'200', '400', '405', '413', '415', '503'} <= set(item['post']['responses'])


def test_real_answers_conform(spec, app, web, sent):
    data = package(app, sent['id'])
    first = answers(spec, web.post(PACKAGES, data, headers=XML, status=200))
    again = answers(spec, web.post(PACKAGES, data, headers=XML, status=200))
    assert 'again' not in first.json and again.json['again'] is True
    worker.run_round(app.registry)
    status = edxml.Status(response_for=edxml.ResponseFor(HOST_CODE, document_id=document_id_of(app, sent['id'])),
                          from_organ=edxml.Organ(BTG, 'Ban Tuyên giáo Thành ủy'), status_code='03',
                          staff=edxml.StaffInfo(staff='Văn thư Ban Tuyên giáo'))
    signed = outgoing.signed_bytes(app.registry.archive_settings, BTG, edxml.encode_status(status))
    assert answers(spec, web.post(STATUSES, signed, headers=XML, status=200)).json['receipt']['kind'] == 'status'
    refused = answers(spec, web.post(PACKAGES, b'just some text', headers=XML, status=400))
    assert refused.json['refusal']['code'] == refused.json['error']
    answers(spec, web.get(STATUSES, status=405))
    answers(spec, web.post(PACKAGES, b'plain', headers={'Content-Type': 'text/plain'}, status=415))
    cap = receive.limits_of(app.registry.archive_settings).max_package_bytes
    request = Request.blank(PACKAGES, method='POST', content_type='application/xml',
                            environ={'wsgi.input': io.BytesIO(b''), 'CONTENT_LENGTH': str(cap + 1)})
    too_large = request.get_response(app)
    result = spec.unmarshal_response(_as_sent(request), WebObOpenAPIResponse(too_large))
    assert not result.errors, _explain(result.errors)
    assert too_large.status_int == 413 and too_large.json['error'] == 'too_large'

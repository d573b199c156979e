"""A bounded fuzzing pass over api/openapi.yaml, in process: schemathesis makes requests from
the spec (valid ones and ones the spec refuses), the real app answers them as a clerk with a real
bearer token; no answer may be a 5xx. (The full run against a served instance is in the README.)"""
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation import GenerationMode

from .test_openapi import SPEC_PATH, bearer_token

EXAMPLES = 100

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def schema():
    return schemathesis.openapi.from_path(str(SPEC_PATH))


@pytest.mark.parametrize('mode', [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_request_the_spec_describes_gets_a_5xx(file_app, schema, mode):
    auth = {'Authorization': 'Bearer ' + bearer_token(file_app, 'vanthu')}
    failures, seen = [], set()

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=schema.as_strategy(generation_mode=mode))
    def fuzz(case):
        res = case.call(app=file_app, headers=auth)
        seen.add(res.status_code)
        if res.status_code >= 500:
            failures.append(f'{res.status_code} {case.method} {case.formatted_path} '
                            f'query={case.query} body={str(case.body)[:200]}')

    fuzz()
    assert not failures, '\n'.join(failures[:10])
    if mode == GenerationMode.POSITIVE:
        assert {200, 201} & seen, seen          # the pass reached the views, not only the door

"""Estimated facet counts in the page and the API (``archive.search_estimate_above``, here 1): a
reader of every document (the clerk, the only body with documents) searching without a filter
is shown the sample's counts, marked; with a filter, exact counts. Both engines."""
import pytest

from archive.search import engine
from archive.search.engine import ENGINES

from ..conftest import HOST_CODE
from .test_openapi import conforms, spec  # noqa: F401 (spec: a fixture)
from .test_search import create, find


@pytest.fixture(params=ENGINES)
def settings(settings, request):
    return dict(settings, **{'archive.search_engine': request.param, 'archive.search_estimate_above': '1'})


@pytest.fixture
def sampled(app, clerk):
    """Documents until one is in the index's sample (one in sixteen, by its key), indexed."""
    from archive import search
    made = []
    while not any(engine.in_sample(f'{HOST_CODE}/{d["id"]}') for d in made) or len(made) < 3:
        made.append(create(clerk, abstract=f'Báo cáo công tác văn thư đợt {len(made)}',
                           number_symbol=f'{300 + len(made)}-BC/BTCTU', urgency='khan' if len(made) % 2 else 'normal'))
    search.apply_pending(app.registry)
    return made


def test_the_api_says_which_counts_are_estimates(app, clerk, sampled, spec):
    found = find(clerk, q='bao cao')
    assert found['total'] == len(sampled) and found['total_exact']
    assert found['facets_exact'] is False
    counts = [c for values in found['facets'].values() for c in values]
    assert counts and all(c['exact'] is False and c['count'] % engine.SAMPLE_EVERY == 0 for c in counts)
    filtered = find(clerk, q='bao cao', urgency='khan')
    assert filtered['facets_exact'] is True
    assert {c['value']: (c['count'], c['exact']) for c in filtered['facets']['urgency']} == \
        {'khan': (len(sampled) // 2, True)}
    conforms(spec, clerk.get('/api/v1/search', params={'q': 'bao cao'}))


def test_the_page_marks_estimated_counts_and_says_why(app, clerk, sampled):
    page = clerk.get('/search', params={'q': 'bao cao'})
    assert '≈' in page.text and 'data-note="facets-estimated"' in page.text
    assert 'ước tính' in page.text
    en = clerk.get('/search', params={'q': 'bao cao', '_LOCALE_': 'en'})
    assert 'estimated from a part of the index' in en.text
    exact = clerk.get('/search', params={'q': 'bao cao', 'urgency': 'normal'})
    assert '≈' not in exact.text and 'facets-estimated' not in exact.text

"""Estimated facet counts (``engine.may_estimate``): a reader of every document searching without a
filter over more matches than ``archive.search_estimate_above`` has the counts of the index's 1/16
sample, scaled and rounded; every other search has exact counts. Each engine test on both engines."""
import random
from statistics import median

import pytest

from archive.search import engine
from archive.search.query import parse

EVERYONE = ['r']


def test_a_sample_count_is_scaled_and_rounded_to_two_significant_digits():
    assert [engine.estimated(n) for n in (0, 1, 3, 6, 7, 70, 625, 1234)] == [0, 16, 48, 96, 110, 1100, 10000, 20000]
    assert engine.scaled({'a': 3, 'b': 0, 'c': 70}) == {'a': 48, 'c': 1100}     # not seen: left out


def test_the_sample_is_a_sixteenth_of_the_documents_chosen_by_key():
    keys = [f'000.00.{n % 20:02d}.H01/{n:08d}' for n in range(32_000)]
    sampled = [k for k in keys if engine.in_sample(k)]
    assert 1800 < len(sampled) < 2200
    assert sampled == [k for k in keys if engine.in_sample(k)]           # the same each time


def test_only_the_broadest_searches_may_be_estimated():
    none = {'terms': {}, 'ranges': {}}
    assert engine.may_estimate(100, True, none, 101)
    assert not engine.may_estimate(0, True, none, 10 ** 6)                   # 0: never
    assert not engine.may_estimate(100, False, none, 10 ** 6)                # an access filter: exact
    assert not engine.may_estimate(100, True, {'terms': {'unit': ['TH']}, 'ranges': {}}, 10 ** 6)
    assert not engine.may_estimate(100, True, {'terms': {}, 'ranges': {'date': (0, 1)}}, 10 ** 6)
    assert not engine.may_estimate(100, True, none, 100)                     # cannot match more: exact


def test_the_bound_of_a_query_is_its_rarest_required_word():
    freq = {('abstract', 'bao'): 50, ('meta', 'bao'): 5, ('abstract', 'cao'): 40, ('abstract', 'ky'): 3}
    df = lambda field, term: freq.get((field, term), 0)                      # noqa: E731
    assert engine.match_bound(parse('bao'), df, 1000) == 55
    assert engine.match_bound(parse('bao cao'), df, 1000) == 40
    assert engine.match_bound(parse('"bao cao ky"'), df, 1000) == 3
    assert engine.match_bound(parse('bao*'), df, 1000) == 1000                # a prefix: no bound
    assert engine.match_bound(parse('-bao'), df, 1000) == 1000


WORDS = ['Báo cáo', 'Kế hoạch', 'Tờ trình', 'Thông báo']
TOPICS = ['công tác cán bộ', 'chuyển đổi số', 'thi đua, khen thưởng', 'tiếp công dân']
UNITS = ['TH', 'TC', 'VP', 'KT', 'TT']
BODIES = ['b1', 'b2', 'b3', 'b4']


def documents(n, seed=13):
    rnd = random.Random(seed)
    for i in range(n):
        body = rnd.choice(BODIES)
        abstract = f'{rnd.choice(WORDS)} {rnd.choice(TOPICS)} năm {rnd.randint(2020, 2026)}'
        yield {'key': f'{body}/{i:06d}', 'abstract': abstract, 'abstract_x': abstract, 'allow': f'org:{body}',
               'date': 1_700_000_000 + i, 'body': body, 'doc_type': rnd.choice(['CV', 'BC', 'TTr']),
               'unit': rnd.choice(UNITS), 'urgency': rnd.choice(['normal'] * 8 + ['khan', 'hoa_toc']),
               'state': rnd.choice(['registered', 'done'])}


def generated(folder, name, n):
    store = engine.Store(str(folder), name)
    gen = store.new_generation()
    store.switch_to(gen)
    gen.write(list(documents(n)), [])
    return store


@pytest.fixture(params=engine.ENGINES)
def store(request, tmp_path):
    """An index of 1,600 generated documents (four bodies) on each engine."""
    return generated(tmp_path, request.param, 1600)


EVERY_BODY = [f'org:{b}' for b in BODIES]
NO_FILTER = {'terms': {}, 'ranges': {}}


def search(store, q, principals=EVERY_BODY, filters=NO_FILTER, estimate_above=100):
    return engine.search(store.current(), parse(q), principals, filters, estimate_above=estimate_above)


def test_the_city_office_gets_estimates_scaled_and_rounded(store):
    estimate, exact = search(store, 'cong tac'), search(store, 'cong tac', estimate_above=0)
    assert not estimate['facets_exact'] and exact['facets_exact']
    assert estimate['total'] == exact['total'] > 100 and estimate['exact']        # the total stays exact
    assert [h['key'] for h in estimate['hits']] == [h['key'] for h in exact['hits']]
    assert set(estimate['facets']) == set(engine.FACETS)
    sample = [d for d in documents(1600) if engine.in_sample(d['key']) and 'công tác' in d['abstract']]
    for name in ('body', 'unit', 'urgency'):
        seen = {}
        for d in sample:
            seen[d[name]] = seen.get(d[name], 0) + 1
        assert dict(estimate['facets'][name]) == {v: engine.estimated(n) for v, n in seen.items()}, name


def test_the_estimates_are_near_the_exact_counts(tmp_path):
    """On 40,000 generated documents, the values holding 1,000 matches or more: the estimates'
    errors (the sample's spread: a value of 1,000 matches has ~60 in the sample)."""
    store = generated(tmp_path, 'tantivy', 40_000)
    for q in ('cong tac', 'nam', 'bao cao'):
        estimate, exact = search(store, q, estimate_above=1000), search(store, q, estimate_above=0)
        assert not estimate['facets_exact']
        truth = {(name, v): n for name, counts in exact['facets'].items() for v, n in counts}
        found = [abs(n - truth[(name, v)]) / truth[(name, v)] for name, counts in estimate['facets'].items()
                 for v, n in counts if truth[(name, v)] >= 1000]
        assert len(found) >= 8 and median(found) < 0.1 and max(found) < 0.3, (q, found)


def test_a_filter_a_permission_filter_or_few_matches_count_exactly(store):
    assert search(store, 'cong tac')['facets_exact'] is False
    assert search(store, 'cong tac', filters={'terms': {'unit': ['TH']}, 'ranges': {}})['facets_exact']
    assert search(store, 'cong tac', principals=EVERY_BODY[:3])['facets_exact']         # not every body
    assert search(store, 'cong tac', estimate_above=0)['facets_exact']
    rare = search(store, 'cong tac can bo nam 2024')
    assert rare['facets_exact'] and 0 < rare['total'] <= 100
    counts = dict(rare['facets']['body'])
    assert sum(counts.values()) == rare['total']


def test_the_sample_follows_changes_and_deletions(store):
    gen = store.current()
    sampled = [d for d in documents(1600) if engine.in_sample(d['key'])]
    gone, moved = sampled[:20], sampled[20:30]
    gen.write([dict(d, unit='XX') for d in moved], [d['key'] for d in gone])
    estimate = search(store, 'nam')
    assert not estimate['facets_exact'] and estimate['total'] == 1600 - 20
    assert dict(estimate['facets']['unit'])['XX'] == engine.estimated(10)
    units = dict(estimate['facets']['unit'])
    assert sum(units.values()) == pytest.approx(sum(engine.estimated(1) for d in sampled[20:]), rel=0.05)


def test_an_estimate_is_kept_across_commits_while_few_documents_were_written(tmp_path):
    """tantivy keeps an estimate over later commits while the documents written since could not
    move a count by more than 1 % of its matches (``kept.STALE_SHARE``): 1,600 matches, one
    document replaced keeps it, forty are counted again; exact counts are not kept past their
    commit."""
    store = generated(tmp_path, 'tantivy', 1600)
    docs = list(documents(1600))
    first = search(store, 'nam')
    assert not first['facets_exact']
    store.current().write([dict(docs[0], unit='XX')], [])
    assert search(store, 'nam')['facets'] is first['facets']                      # kept: one document written
    exact = search(store, 'nam', principals=EVERY_BODY[:3])
    store.current().write([dict(docs[1], unit='XX')], [])
    assert search(store, 'nam', principals=EVERY_BODY[:3])['facets'] is not exact['facets']
    sampled = [d for d in docs if engine.in_sample(d['key'])][:40]
    store.current().write([dict(d, unit='YY') for d in sampled], [])
    again = search(store, 'nam')
    assert again['facets'] is not first['facets'] and dict(again['facets']['unit'])['YY'] == engine.estimated(40)


def test_a_query_typed_with_marks_has_its_total_estimated_where_its_counts_would_be(tmp_path):
    """tantivy finds the documents holding the forms typed with marks first, then the others, in
    two searches that count nothing: the total is the facet counts' (exact or estimated with
    them) or, without facets, the sample's where counts would be estimated, else counted."""
    store = engine.Store(str(tmp_path), 'tantivy')
    store.switch_to(store.new_generation())
    texts = ['Bàn giao hồ sơ', 'Ban giao nhiệm vụ', 'Bạn đọc giao lưu', 'Kế hoạch năm']
    docs = [{'key': f'b{i % 4 + 1}/{i:06d}', 'abstract': texts[i % 4], 'abstract_x': texts[i % 4],
             'allow': f'org:b{i % 4 + 1}', 'date': i, 'body': f'b{i % 4 + 1}', 'state': 's'} for i in range(1600)]
    store.current().write(docs, [])
    matching = [d for d in docs if d['abstract'] != 'Kế hoạch năm']
    sampled = sum(1 for d in matching if engine.in_sample(d['key']))
    for facets in (engine.FACETS, ()):
        found = engine.search(store.current(), parse('bàn giao'), EVERY_BODY, NO_FILTER, facets=facets,
                              estimate_above=100)
        assert (found['total'], found['exact']) == (engine.estimated(sampled), False), facets
        assert [h['abstract'] for h in found['hits']] == ['Bàn giao hồ sơ'] * 20, facets
        exact = engine.search(store.current(), parse('bàn giao'), EVERY_BODY[:3], NO_FILTER, facets=facets,
                              estimate_above=100)
        assert (exact['total'], exact['exact']) == (1200, True), facets           # an access filter: counted
        late = engine.search(store.current(), parse('bàn giao'), EVERY_BODY, NO_FILTER, start=390, facets=facets,
                             estimate_above=100)
        shown = [h['abstract'] for h in late['hits']]          # the 400 with "Bàn" end on this page
        assert shown[:10] == ['Bàn giao hồ sơ'] * 10 and set(shown[10:]) <= set(texts[1:3]) and len(shown) == 20

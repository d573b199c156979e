"""The small facets held as one value, and the engine's terms-aggregation buckets read as counts.

Six facets have a few fixed values each. Each terms aggregation costs the same whatever its few
values, so the tantivy engine indexes these six together, one value per document (``small_key``:
a JSON list), counts that value once, and the few combinations are split back here (``tallies``).
Each match holds one such value: their counts also sum to the number of matches. Plain Python:
the engine's own module is the only one importing tantivy.
"""
import json
from functools import lru_cache

SMALL_FACETS = ('state', 'urgency', 'route', 'verdict', 'attachments', 'direction')   # a few fixed values each


def small_key(fields):
    """The small facets' values of a document as one value (a JSON list, '' for none)."""
    return json.dumps([fields.get(name) or '' for name in SMALL_FACETS], ensure_ascii=False, separators=(',', ':'))


@lru_cache(maxsize=4096)
def _small_values(key):
    """The small facets' values of a ``small_key`` (the same few keys come back each search:
    read once, not once a search)."""
    return tuple(json.loads(key))


def tallies(found, facets, small):
    """``({facet: {value: count}}, matches)`` of an aggregation answer ``found``: a terms
    aggregation named as each large facet of ``facets``, and one named ``small`` over the small
    facets' values together; ``matches``: the sum of the latter's counts."""
    tally = {name: {b['key']: b['doc_count'] for b in found.get(name, {}).get('buckets', [])}
             for name in facets if name not in SMALL_FACETS}
    tally.update((name, {}) for name in facets if name in SMALL_FACETS)
    split = [(i, tally[name]) for i, name in enumerate(SMALL_FACETS) if name in tally]
    matches = 0
    for bucket in found.get(small, {}).get('buckets', []):
        n = bucket['doc_count']
        matches += n
        values = _small_values(bucket['key'])
        for i, counts in split:
            counts[values[i]] = counts.get(values[i], 0) + n
    return tally, matches

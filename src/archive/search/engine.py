"""The index on disk, whatever the engine: its folder of generations, writing and searching.

The index is a projection of ZODB kept by each app server in a folder of its own
(``archive.search_index_dir``). The folder holds generations (``g-<time>``) and a ``CURRENT``
file naming the one in use: a rebuild writes a new generation beside the one being served and
switches to it when done, so it can run while the server serves. Each generation has a
``state.json``: the engine and schema version it was built with and how far the queue has been
applied (``done_until``). A generation of another schema version or another engine is not used:
the indexer rebuilds.

The engine (``archive.search_engine``) is ``tantivy`` or ``whoosh``: its module
(``tantivy_index``, ``whoosh_index``) is the only one that imports its library, and is imported
only when chosen. Both index the same fields with the same analyzer (``analysis``) from the same
engine-neutral query (``query``); highlights are made here, from the stored text (``highlight``).

Facet counts are exact, except for the one search where they cost most (a second walk over
hundreds of thousands of matches): a reader of every document (the city office), no filter, and
more matches than ``archive.search_estimate_above``. Those are counted on a fixed sample of the
index (one document in ``SAMPLE_EVERY``, chosen by its key: ``in_sample``), scaled and rounded
to two significant digits (``estimated``); a value not seen in the sample is left out (never
shown as 0). Each engine keeps its sample (tantivy: a small index of its own in the generation's
folder; Whoosh: a field marking the sample's documents).
"""
import importlib
import json
import os
import shutil
import threading
import time
import zlib
from concurrent.futures import Future
from functools import lru_cache

from . import highlight
from .query import EXACT, FOLDED, AllOf, Phrase, Word

SCHEMA_VERSION = 6     # change it with the schema, the analyzer or what is indexed: every index is rebuilt
# (3: a document's file text without the versions a signature superseded; 4: tantivy counts the six
# small facets from one field holding their values together; 5: the sample the facet counts of
# the broadest searches are estimated from; 6: tantivy matches and scores the folded fields' words
# together, the abstract weighted)
ENGINES = ('tantivy', 'whoosh')

# Fields a result can be filtered by and counted on (facets): the name in the query string → field.
FACETS = ('doc_type', 'body', 'unit', 'state', 'urgency', 'route', 'verdict', 'attachments', 'direction')
SORTS = ('relevance', 'date', 'date_asc')
# The fields a document gives (``indexer.document_fields``): text (analysed), stored only, lists
# of principals (comma-separated), whole numbers, and the facets above (one word each).
TEXT = FOLDED + (EXACT,)
STORED = ('number', 'files_sig', 'content_done')
PRINCIPALS = ('allow', 'deny')
NUMBERS = ('date', 'issued', 'deadline')


SAMPLE_EVERY = 16      # one document in this many is in the sample (``in_sample``)


def in_sample(key):
    """Whether the document of ``key`` is in the index's sample: a hash of the key, so that a
    document stays in it or out of it whatever changes, and on every server alike."""
    return zlib.crc32(key.encode('utf-8')) % SAMPLE_EVERY == 0


@lru_cache(maxsize=4096)
def estimated(count):
    """A count in the sample scaled to the whole index, rounded to two significant digits (an
    estimate should not look exact): 3 → 48, 70 → 1100, 1234 → 20000. Kept: the same few
    counts come back search after search."""
    n = count * SAMPLE_EVERY
    step = 10 ** max(0, len(str(n)) - 2)
    return (n + step // 2) // step * step


def scaled(tally):
    """``{value: count}`` counted in the sample → the same values with their estimates."""
    return {value: estimated(n) for value, n in tally.items() if n}


def may_estimate(estimate_above, every_document, filters, bound):
    """Whether a search's facet counts may be estimated: a threshold is set (0: never), the
    reader may see every document (no access filter), no filter narrows the search, and the
    query may match more than the threshold (``bound``: an upper bound of its matches, from
    ``match_bound``; at or below the threshold the counts are cheap, and exact). The engine
    then counts the sample, and estimates only when the sample says there are more matches
    than the threshold."""
    return (estimate_above > 0 and every_document and bound > estimate_above
            and not any(filters.get('terms', {}).values()) and not filters.get('ranges'))


def match_bound(parsed, doc_freq, everything):
    """An upper bound of the documents ``parsed`` matches: the fewest of one required clause's
    (a word: its folded term's documents in each text field, summed; a phrase or a symbol: its
    rarest word's; a prefix: ``everything``). ``doc_freq(field, term)``: the engine's count of
    the documents holding a term (deleted ones included: a bound, never too low)."""
    def words(c):
        if isinstance(c, Word):
            return sum(doc_freq(f, c.term) for f in FOLDED)
        if isinstance(c, AllOf):
            return min(words(w) for w in c.words)
        if isinstance(c, Phrase):
            return min(sum(doc_freq(f, t) for f in FOLDED) for t in c.terms)
        return everything
    return min([everything] + [words(c) for c in parsed.must])


def backend(engine):
    """The module of an engine (imported now: the other engine's library is never loaded)."""
    if engine not in ENGINES:
        raise ValueError(f'unknown search engine {engine!r}')
    return importlib.import_module(f'.{engine}_index', __package__)


def _write_json(path, data):
    tmp = path + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as f:
        json.dump(data, f)
    os.replace(tmp, path)


def _read_json(path):
    try:
        with open(path, encoding='utf-8') as f:
            return json.load(f)
    except (FileNotFoundError, ValueError):
        return {}


class Generation:
    """One built index in its folder, with its state."""

    def __init__(self, folder, engine):
        self.folder = folder
        self.engine = engine
        self._state_path = os.path.join(folder, 'state.json')
        self.schema = self.state.get('schema')
        self.index = backend(engine).Index(folder)

    @classmethod
    def create(cls, parent, engine):
        folder = os.path.join(parent, f'g-{time.time_ns()}')
        os.makedirs(folder)
        backend(engine).Index.create(folder)
        _write_json(os.path.join(folder, 'state.json'),
                    {'schema': SCHEMA_VERSION, 'engine': engine, 'done_until': None})
        return cls(folder, engine)

    @property
    def state(self):
        return _read_json(self._state_path)

    def mark(self, done_until):
        _write_json(self._state_path, {'schema': SCHEMA_VERSION, 'engine': self.engine, 'done_until': done_until})

    def write(self, upserts, deletes):
        """Apply a batch: ``upserts`` are field dicts (replacing by key), ``deletes`` keys."""
        if upserts or deletes:
            self.index.write(upserts, deletes)

    def stored(self, keys):
        """``{key: stored fields}`` of the documents of ``keys`` in the index."""
        return self.index.stored(keys) if keys else {}

    def count(self):
        return self.index.count()


class Store:
    """The index folder of this server: the current generation, opened once and shared."""

    def __init__(self, folder, engine='tantivy'):
        self.folder = folder
        self.engine = engine
        self._lock = threading.Lock()
        self._current = None

    def _current_name(self):
        try:
            with open(os.path.join(self.folder, 'CURRENT'), encoding='utf-8') as f:
                return f.read().strip()
        except FileNotFoundError:
            return None

    def current(self):
        """The generation in use, or None when there is none of this schema version and engine
        (the indexer then rebuilds)."""
        name = self._current_name()
        with self._lock:
            gen = self._current
            if gen is not None and os.path.basename(gen.folder) == name:
                return gen if gen.schema == SCHEMA_VERSION else None
            self._current = None
            folder = os.path.join(self.folder, name) if name else None
            if not folder or not os.path.isdir(folder):
                return None
            state = _read_json(os.path.join(folder, 'state.json'))
            if state.get('schema') != SCHEMA_VERSION or state.get('engine') != self.engine:
                return None          # not opened: an older schema may not even load
            self._current = Generation(folder, self.engine)
            return self._current

    def request_rebuild(self):
        os.makedirs(self.folder, exist_ok=True)
        open(os.path.join(self.folder, 'REBUILD'), 'w').close()

    def take_rebuild_request(self):
        """Whether a rebuild was asked for (the request is then taken away)."""
        try:
            os.remove(os.path.join(self.folder, 'REBUILD'))
            return True
        except FileNotFoundError:
            return False

    def new_generation(self):
        os.makedirs(self.folder, exist_ok=True)
        return Generation.create(self.folder, self.engine)

    def switch_to(self, gen):
        """Serve ``gen`` from now on; older generations are removed."""
        tmp = os.path.join(self.folder, 'CURRENT.tmp')
        with open(tmp, 'w', encoding='utf-8') as f:
            f.write(os.path.basename(gen.folder))
        os.replace(tmp, os.path.join(self.folder, 'CURRENT'))
        for name in os.listdir(self.folder):
            path = os.path.join(self.folder, name)
            if name.startswith('g-') and path != gen.folder and os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)


def search(gen, parsed, principals, filters, sort='relevance', start=0, limit=20, facets=FACETS, estimate_above=0):
    """``{'total', 'exact', 'hits': [{key, number, date, score, abstract, fragments}], 'facets',
    'facets_exact'}``.

    The engine applies access as a filter (an allowed principal and no denied one, the same rule
    as ``resources.access.may_see``, on the principals the indexer stored), so totals and facet
    counts only count what the user may see; ``facets``: ``{name: [(value, count)]}``, most
    first, estimated from the sample when ``may_estimate`` allows it (``estimate_above``: the
    setting ``archive.search_estimate_above``) and then ``facets_exact`` is False. Fragments:
    ``[(field, html)]`` from the abstract, the file text and the metadata."""
    found = gen.index.search(parsed, sorted(set(principals)), filters, sort, start, limit, facets or (),
                             estimate_above)
    counts = found['facets']        # tantivy's are counted beside (``beside``) while this highlights
    hits = []
    for hit in found['hits']:
        fragments = highlight.fragments(hit, parsed.words)
        hits.append({'key': hit['key'], 'number': hit.get('number'), 'date': hit.get('date'),
                     'score': hit['score'], 'abstract': hit.get('abstract') or '', 'fragments': fragments})
    counts, exact, matched = counts.result() if isinstance(counts, Future) else counts
    if found['total'] is None:          # left to the counts (``(total, exact)``)
        found['total'], found['exact'] = matched
    return dict(found, hits=hits, facets=counts, facets_exact=exact)


def counted(tally):
    """Facet values by count (most first), without the empty value."""
    return sorted(((k, v) for k, v in tally.items() if k), key=lambda kv: (-kv[1], kv[0]))


__all__ = ['EXACT', 'FOLDED', 'Store', 'Generation', 'search', 'SCHEMA_VERSION', 'FACETS', 'SORTS', 'ENGINES']

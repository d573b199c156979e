"""The index on disk (Whoosh): its schema, its folder of generations, writing and searching.

The index is a projection of ZODB kept by each app server in a folder of its own
(``archive.search_index_dir``). The folder holds generations (``g-<time>``) and a ``CURRENT``
file naming the one in use: a rebuild writes a new generation beside the one being served and
switches to it when done, so it can run while the server serves. Each generation has a
``state.json``: the schema version it was built with and how far the queue has been applied
(``done_until``). A generation of another schema version is not used: the indexer rebuilds.

Nothing outside this package imports Whoosh.
"""
import json
import os
import shutil
import threading
import time
from bisect import bisect_right
from collections import Counter

from whoosh import fields as F
from whoosh import highlight, sorting
from whoosh import index as whoosh_index
from whoosh import query as Q

from . import analysis
from .query import EXACT, FOLDED, to_query

SCHEMA_VERSION = 1     # change it with the schema or the analyzer: every index is rebuilt

# Fields a result can be filtered by and counted on (facets): the name in the query string → field.
FACETS = ('doc_type', 'body', 'unit', 'state', 'urgency', 'route', 'verdict', 'attachments', 'direction')
SORTS = ('relevance', 'date', 'date_asc')


def schema():
    folded, marked = analysis.analyzer(), analysis.analyzer(keep_marks=True)
    facet = dict(stored=False, sortable=True)
    return F.Schema(
        key=F.ID(unique=True, stored=True),             # "<body code>/<document name>"
        abstract=F.TEXT(analyzer=folded, stored=True, field_boost=3.0, chars=True),
        abstract_x=F.TEXT(analyzer=marked, field_boost=4.0),
        meta=F.TEXT(analyzer=folded, stored=True, chars=True),  # number, symbol, sender, receivers...
        content=F.TEXT(analyzer=folded, stored=True, chars=True),
        number=F.STORED(),
        files_sig=F.STORED(),                           # what ``content`` was read from
        content_done=F.STORED(),                        # False while OCR is still to come
        allow=F.KEYWORD(commas=True, lowercase=False, scorable=False),
        deny=F.KEYWORD(commas=True, lowercase=False, scorable=False),
        date=F.NUMERIC(int, bits=64, signed=True, sortable=True, stored=True),   # epoch seconds
        issued=F.NUMERIC(int, sortable=True),                                  # ordinal day
        deadline=F.NUMERIC(int),
        **{name: F.ID(**facet) for name in FACETS},
    )


def _write_json(path, data):
    tmp = path + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as f:
        json.dump(data, f)
    os.replace(tmp, path)


class Generation:
    """One built index in its folder, with its state."""

    def __init__(self, folder):
        self.folder = folder
        self.index = whoosh_index.open_dir(folder)
        self._state_path = os.path.join(folder, 'state.json')
        self.schema = self.state.get('schema')

    @classmethod
    def create(cls, parent):
        folder = os.path.join(parent, f'g-{time.time_ns()}')
        os.makedirs(folder)
        whoosh_index.create_in(folder, schema())
        _write_json(os.path.join(folder, 'state.json'), {'schema': SCHEMA_VERSION, 'done_until': None})
        return cls(folder)

    @property
    def state(self):
        with open(self._state_path, encoding='utf-8') as f:
            return json.load(f)

    def mark(self, done_until):
        _write_json(self._state_path, {'schema': SCHEMA_VERSION, 'done_until': done_until})

    def write(self, upserts, deletes):
        """Apply a batch: ``upserts`` are field dicts (replacing by key), ``deletes`` keys."""
        if not upserts and not deletes:
            return
        writer = self.index.writer(timeout=30)
        try:
            for key in deletes:
                writer.delete_by_term('key', key)
            for fields in upserts:
                writer.update_document(**fields)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    def count(self):
        return self.index.doc_count()


class Store:
    """The index folder of this server: the current generation, opened once and shared."""

    def __init__(self, folder):
        self.folder = folder
        self._lock = threading.Lock()
        self._current = None

    def _current_name(self):
        try:
            with open(os.path.join(self.folder, 'CURRENT'), encoding='utf-8') as f:
                return f.read().strip()
        except FileNotFoundError:
            return None

    def current(self):
        """The generation in use, or None when there is none of this schema version (rebuild)."""
        name = self._current_name()
        with self._lock:
            if self._current is not None and os.path.basename(self._current.folder) == name:
                return self._current if self._current.schema == SCHEMA_VERSION else None
            if not name or not os.path.isdir(os.path.join(self.folder, name)):
                self._current = None
                return None
            gen = Generation(os.path.join(self.folder, name))
            if gen.schema != SCHEMA_VERSION:
                return None
            self._current = gen
            return gen

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
        return Generation.create(self.folder)

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


# -- searching ---------------------------------------------------------------------------------

_local = threading.local()      # per thread: ((folder, index generation), searcher, columns)


def _searcher(gen):
    """This thread's searcher of ``gen``, refreshed when the index changed (opening one per query
    re-reads every segment and column; a searcher is not shared between threads)."""
    latest = (gen.folder, gen.index.latest_generation())
    cached = getattr(_local, 'cached', None)
    if cached is None or cached[0] != latest:
        # a new searcher, not ``refresh()``: that reuses segment readers that miss new deletions
        if cached is not None:
            cached[1].close()
        cached = _local.cached = (latest, gen.index.searcher(), {})
    return cached[1], cached[2]


def _deleted(searcher, columns):
    """Documents deleted (replaced) but still in their segment: the postings still name them."""
    if '_deleted' not in columns:
        columns['_deleted'] = {offset + d for sub, offset in searcher.leaf_searchers()
                               for d in sub.reader().deleted_docs_set}
    return columns['_deleted']


def _tally(searcher, columns, name, docnums):
    """``Counter`` of a facet field's values over ``docnums``, read from each segment's column
    (Whoosh's own multi-segment column reader misplaces documents of segments lacking the column)."""
    if name not in columns:
        parts = []
        for sub, offset in searcher.leaf_searchers():
            reader = sub.reader()
            column = reader.column_reader(name, translate=True) if reader.has_column(name) else None
            parts.append((offset, column))
        columns[name] = ([offset for offset, _c in parts], [c for _o, c in parts])
    offsets, readers = columns[name]
    tally = Counter()
    for d in docnums:
        i = bisect_right(offsets, d) - 1
        column = readers[i]
        if column is not None:
            tally[column[d - offsets[i]]] += 1
    return tally


def _docs_with(searcher, field, terms):
    """The document numbers holding any of ``terms`` in ``field``, read from the postings (a set:
    much cheaper than the engine's own union of many terms)."""
    reader = searcher.reader()
    found = set()
    for term in terms:
        if (field, term) in reader:
            found.update(reader.postings(field, term).all_ids())
    return found


def access_filter(searcher, principals):
    """Documents these principals may see: an allowed principal and no denied one (the same rule
    as ``resources.access.may_see``, on the sets the indexer stored): ``(filter, mask)``."""
    principals = sorted(set(principals))
    return _docs_with(searcher, 'allow', principals), _docs_with(searcher, 'deny', principals)


def _filters_query(filters):
    clauses = []
    for name, values in filters.get('terms', {}).items():
        clauses.append(Q.Or([Q.Term(name, v) for v in values]))
    for name, (low, high) in filters.get('ranges', {}).items():
        clauses.append(Q.NumericRange(name, low, high))
    return clauses


def search(gen, parsed, principals, filters, sort='relevance', start=0, limit=20, facets=FACETS):
    """``{'total', 'exact', 'hits': [{key, number, score, abstract, fragments}], 'facets'}``.

    Access is applied as the engine's filter and mask (document sets read from the postings of
    the allowed and denied principals), so totals and facet counts only count what the user may
    see. Facet counts are tallied from the columns of the documents the collection pass matched
    (it sees every match anyway; the total is then exact). Without facets the total is Whoosh's
    estimate."""
    wanted = to_query(parsed)
    clauses = _filters_query(filters)
    if clauses:
        wanted = Q.And([wanted] + clauses)
    searcher, columns = _searcher(gen)
    allowed, denied = access_filter(searcher, principals)
    allowed -= _deleted(searcher, columns)
    if not allowed:         # nothing to see (and an empty filter would mean "no filter" to Whoosh)
        return {'total': 0, 'exact': True, 'hits': [], 'facets': {name: [] for name in facets or ()}}
    kw = {'filter': allowed, 'mask': denied or None, 'limit': start + limit, 'terms': bool(parsed.words)}
    if sort == 'date':
        kw['sortedby'] = sorting.FieldFacet('date', reverse=True)
    elif sort == 'date_asc':
        kw['sortedby'] = sorting.FieldFacet('date')
    results = searcher.search(wanted, **kw)
    results.fragmenter = highlight.ContextFragmenter(maxchars=160, surround=40)
    results.formatter = highlight.HtmlFormatter(tagname='mark', between=' … ')
    counts = {}
    if facets:
        matched = (results.docs() & allowed) - denied     # docs() is the query's, before access
        for name in facets:
            tally = _tally(searcher, columns, name, matched)
            counts[name] = sorted(((k, v) for k, v in tally.items() if k),
                                  key=lambda kv: (-kv[1], kv[0]))
        total, exact = len(matched), True
    else:
        total, exact = results.estimated_length(), False
    hits = []
    for hit in results[start:start + limit]:
        fragments = []
        for name in ('abstract', 'content', 'meta'):
            if parsed.words and hit.get(name):
                text = hit.highlights(name, top=2)
                if text:
                    fragments.append((name, text))
        hits.append({'key': hit['key'], 'number': hit.get('number'), 'date': hit.get('date'),
                     'score': hit.score, 'abstract': hit.get('abstract', ''),
                     'fragments': fragments})
    return {'total': total, 'exact': exact, 'hits': hits, 'facets': counts}


__all__ = ['EXACT', 'FOLDED', 'Store', 'Generation', 'search', 'SCHEMA_VERSION', 'FACETS', 'SORTS']

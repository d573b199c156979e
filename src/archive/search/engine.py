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

def access_filter(principals):
    """Documents these principals may see: an allowed principal and no denied one (the same rule
    as ``resources.access.may_see``, on the sets the indexer stored)."""
    principals = sorted(set(principals))
    allowed = Q.Or([Q.Term('allow', p) for p in principals])
    denied = Q.Or([Q.Term('deny', p) for p in principals])
    return allowed, denied


def _filters_query(filters):
    clauses = []
    for name, values in filters.get('terms', {}).items():
        clauses.append(Q.Or([Q.Term(name, v) for v in values]))
    for name, (low, high) in filters.get('ranges', {}).items():
        clauses.append(Q.NumericRange(name, low, high))
    return clauses


def search(gen, parsed, principals, filters, sort='relevance', start=0, limit=20, facets=FACETS):
    """``{'total', 'exact', 'hits': [{key, number, score, abstract, fragments}], 'facets'}``.

    Access is applied as the engine's filter and mask, so totals and facet counts only count what
    the user may see. Facet counts come from the same collection pass (every match is collected
    for them; the total is then exact). Without facets the total is Whoosh's estimate."""
    allowed, denied = access_filter(principals)
    wanted = to_query(parsed)
    clauses = _filters_query(filters)
    if clauses:
        wanted = Q.And([wanted] + clauses)
    with gen.index.searcher() as searcher:
        kw = {'filter': allowed, 'mask': denied, 'limit': start + limit, 'terms': bool(parsed.words)}
        if facets:
            kw['groupedby'] = {name: sorting.FieldFacet(name) for name in facets}
            kw['maptype'] = sorting.Count
        if sort == 'date':
            kw['sortedby'] = sorting.FieldFacet('date', reverse=True)
        elif sort == 'date_asc':
            kw['sortedby'] = sorting.FieldFacet('date')
        results = searcher.search(wanted, **kw)
        results.fragmenter = highlight.ContextFragmenter(maxchars=160, surround=40)
        results.formatter = highlight.HtmlFormatter(tagname='mark', between=' … ')
        counts = {}
        if facets:
            for name in facets:
                groups = results.groups(name)
                counts[name] = sorted(((k, v) for k, v in groups.items() if k is not None),
                                      key=lambda kv: (-kv[1], kv[0]))
            total, exact = sum(v for _k, v in counts.get('body', [])) if 'body' in facets else len(results), True
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

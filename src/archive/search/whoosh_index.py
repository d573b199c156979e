"""The Whoosh engine (``archive.search_engine = whoosh``): the only module importing Whoosh.

Pure Python, and slow on a large archive (see the README's search figures): kept selectable for
a small installation without tantivy's compiled wheel. The analyzer of ``analysis`` is wrapped in
a Whoosh tokenizer; the engine-neutral query of ``query`` becomes Whoosh queries here.
"""
import threading
from bisect import bisect_right
from collections import Counter

from whoosh import fields as F
from whoosh import index as whoosh_index
from whoosh import query as Q
from whoosh import sorting
from whoosh.analysis import Token, Tokenizer

from . import analysis
from .engine import FACETS, STORED, counted, in_sample, match_bound, may_estimate, scaled
from .query import EXACT, FOLDED, AllOf, Phrase, Prefix, Word


class VietTokenizer(Tokenizer):
    """``analysis.tokens`` as a Whoosh tokenizer: folded, or with their marks."""

    def __init__(self, keep_marks=False):
        self.keep_marks = keep_marks

    def __eq__(self, other):
        return type(other) is type(self) and other.keep_marks == self.keep_marks

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode='', **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for tok in analysis.tokens(value, self.keep_marks, expand=mode != 'query'):
            token.text = tok.text
            token.boost = 1.0
            token.stopped = False
            if positions:
                token.pos = start_pos + tok.pos
            if chars:
                token.startchar = start_char + tok.start
                token.endchar = start_char + tok.end
            yield token


def schema():
    folded, marked = VietTokenizer(), VietTokenizer(keep_marks=True)
    facet = dict(stored=False, sortable=True)
    return F.Schema(
        key=F.ID(unique=True, stored=True),             # "<body code>/<document name>"
        abstract=F.TEXT(analyzer=folded, stored=True, field_boost=3.0, chars=True),
        abstract_x=F.TEXT(analyzer=marked, field_boost=4.0),
        meta=F.TEXT(analyzer=folded, stored=True, chars=True),  # number, symbol, sender, receivers...
        content=F.TEXT(analyzer=folded, stored=True, chars=True),
        **{name: F.STORED() for name in STORED},
        allow=F.KEYWORD(commas=True, lowercase=False, scorable=False),
        deny=F.KEYWORD(commas=True, lowercase=False, scorable=False),
        date=F.NUMERIC(int, bits=64, signed=True, sortable=True, stored=True),   # epoch seconds
        issued=F.NUMERIC(int, sortable=True),                                  # ordinal day
        deadline=F.NUMERIC(int),
        **{name: F.ID(**facet) for name in FACETS},
        sample=F.ID(),          # '1': one of the sample's documents (``engine.in_sample``)
    )


# -- the engine-neutral query as Whoosh queries --------------------------------------------------

def _clause(c):
    if isinstance(c, Word):
        alts = [Q.Term(f, c.term) for f in FOLDED]
        if c.marked:
            alts.append(Q.Term(EXACT, c.marked))
        return Q.Or(alts)
    if isinstance(c, AllOf):
        return Q.And([_clause(w) for w in c.words])
    if isinstance(c, Prefix):
        return Q.Or([Q.Prefix(f, c.term) for f in FOLDED])
    if isinstance(c, Phrase):
        alts = [Q.Phrase(f, list(c.terms)) for f in FOLDED]
        if c.marked:
            alts.append(Q.Phrase(EXACT, list(c.marked)))
        return Q.Or(alts)
    raise TypeError(c)


def to_query(parsed):
    """All the wanted clauses, none of the unwanted ones (or everything)."""
    must = [_clause(c) for c in parsed.must]
    q = must[0] if len(must) == 1 else Q.And(must) if must else Q.Every()
    if parsed.must_not:
        q = Q.AndNot(q, Q.Or([_clause(c) for c in parsed.must_not]))
    return q


def _filters_query(filters):
    clauses = []
    for name, values in filters.get('terms', {}).items():
        clauses.append(Q.Or([Q.Term(name, v) for v in values]))
    for name, (low, high) in filters.get('ranges', {}).items():
        clauses.append(Q.NumericRange(name, low, high))
    return clauses


# -- the index -----------------------------------------------------------------------------------

_local = threading.local()      # per thread: ((folder, index generation), searcher, columns)


class Index:
    """A Whoosh index in a generation's folder."""

    def __init__(self, folder):
        self.folder = folder
        self.ix = whoosh_index.open_dir(folder)

    @staticmethod
    def create(folder):
        whoosh_index.create_in(folder, schema())

    def write(self, upserts, deletes):
        writer = self.ix.writer(timeout=30)
        try:
            for key in deletes:
                writer.delete_by_term('key', key)
            for fields in upserts:
                writer.update_document(**fields, **({'sample': '1'} if in_sample(fields['key']) else {}))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    def count(self):
        return self.ix.doc_count()

    def stored(self, keys):
        with self.ix.searcher() as searcher:
            return {key: found for key in keys if (found := searcher.document(key=key)) is not None}

    def _searcher(self):
        """This thread's searcher, refreshed when the index changed (opening one per query
        re-reads every segment and column; a searcher is not shared between threads)."""
        latest = (self.folder, self.ix.latest_generation())
        cached = getattr(_local, 'cached', None)
        if cached is None or cached[0] != latest:
            # a new searcher, not ``refresh()``: that reuses segment readers that miss new deletions
            if cached is not None:
                cached[1].close()
            cached = _local.cached = (latest, self.ix.searcher(), {})
        return cached[1], cached[2]

    def search(self, parsed, principals, filters, sort, start, limit, facets, estimate_above=0):
        """Access as the engine's filter and mask (document sets read from the postings of the
        allowed and denied principals). Facet counts are tallied from the columns of the
        documents the collection pass matched (it sees every match anyway; the total is then
        exact), or of those of them in the sample when ``engine.may_estimate`` allows it and
        there are more matches than ``estimate_above``. Without facets the total is Whoosh's
        estimate."""
        wanted = to_query(parsed)
        clauses = _filters_query(filters)
        if clauses:
            wanted = Q.And([wanted] + clauses)
        searcher, columns = self._searcher()
        allowed = _docs_with(searcher, 'allow', principals) - _deleted(searcher, columns)
        denied = _docs_with(searcher, 'deny', principals)
        if not allowed:     # nothing to see (and an empty filter would mean "no filter" to Whoosh)
            return {'total': 0, 'exact': True, 'hits': [], 'facets': ({name: [] for name in facets}, True, None)}
        kw = {'filter': allowed, 'mask': denied or None, 'limit': start + limit, 'terms': False}
        if sort == 'date':
            kw['sortedby'] = sorting.FieldFacet('date', reverse=True)
        elif sort == 'date_asc':
            kw['sortedby'] = sorting.FieldFacet('date')
        results = searcher.search(wanted, **kw)
        counts = {}, True, None
        if facets:
            matched = (results.docs() & allowed) - denied     # docs() is the query's, before access
            every = not denied and len(allowed) == searcher.doc_count()
            if (may_estimate(estimate_above, every, filters,
                             match_bound(parsed, searcher.doc_frequency, searcher.doc_count()))
                    and len(matched) > estimate_above):
                sampled = matched & _sample(searcher, columns)
                counts = {name: counted(scaled(_tally(searcher, columns, name, sampled))) for name in facets}, False, None
            else:
                counts = {name: counted(_tally(searcher, columns, name, matched)) for name in facets}, True, None
            total, exact = len(matched), True
        else:
            total, exact = results.estimated_length(), False
        hits = [dict(hit.fields(), score=hit.score) for hit in results[start:start + limit]]
        return {'total': total, 'exact': exact, 'hits': hits, 'facets': counts}


def _deleted(searcher, columns):
    """Documents deleted (replaced) but still in their segment: the postings still name them."""
    if '_deleted' not in columns:
        columns['_deleted'] = {offset + d for sub, offset in searcher.leaf_searchers()
                               for d in sub.reader().deleted_docs_set}
    return columns['_deleted']


def _sample(searcher, columns):
    """The sample's documents (deleted ones too: they are not among the matches)."""
    if '_sample' not in columns:
        columns['_sample'] = _docs_with(searcher, 'sample', ['1'])
    return columns['_sample']


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

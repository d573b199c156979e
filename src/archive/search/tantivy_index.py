"""The tantivy engine (``archive.search_engine = tantivy``): the only module importing tantivy.

The text fields are given to tantivy pre-tokenized by our own analyzer (``analysis``): the same
folded and accented terms, the same symbol parts at their word's position, as the Whoosh engine
indexes, so both answer the same queries alike; highlights are made from the stored text by
``highlight``. A query matches and scores the folded fields' words together (``ALL``, the abstract
weighted), not each field's: at 1,000,000 documents a word in the abstract of some documents and
the signer's name of all ("Văn") was a union of two long lists to intersect.

Sorted by relevance, the documents whose abstract holds the words typed with marks in that form
come first (``EXACT``: folding alone merges bàn, bạn and ban), then the others: two searches, the
first for the forms typed, the second for the folded words without them (``_exact_forms_first``).
Neither counts: the total is the facet counts' (exact, or estimated with them), or without facets
the sample's where counts would be estimated, else a count. The forms were optional scoring
clauses of one search, walked beside the folded words at every match: a quarter more time at
1,000,000 for a query typed with marks. A form every document with its folded word has
(``Reading.same_docs``: "kế" is the only form of "ke") ranks nothing first: not looked up.

Facets are text fast fields counted by tantivy's terms aggregation over the folded query, access
included, in one aggregation request. The six small facets (a few fixed values each) are counted
together, from one field holding their values as one: each terms aggregation has a cost of its
own, whatever its few values; that field also gives the number of matches. The counts are made
on another thread (``beside``) while this one finds the top results: tantivy lets the GIL go in
both, so on two cores a search takes about the longer of the two passes, not their sum. A
commit's counts are kept by user, query, filters and facets (``kept``: an estimate across commits
while few documents were written): a clerk paging or changing the sort is not counted again.
Where ``engine.may_estimate`` allows it (a reader of every document, no filter, a query whose
rarest word is in more documents than the threshold), the counts are made on the sample's index
instead (a sixteenth of the walk), and kept only when the sample says the matches are more than
the threshold; else they are counted exactly.

The searcher of a commit is kept until ``meta.json`` changes (a commit by this process or
another), with what it learns of the access principals: a principal no document of that commit
allows is left out of the access filter, and the refusal clause is only added when some document
refuses one of the user's principals (mostly none do: that clause cost as much as the rest of the
access filter). When the filter would keep every live document of the commit (a reader of every
body, counted once per commit and set of principals), it is left out altogether.

An index folder has one writer at a time (tantivy's lock): a writer is opened for a batch and
closed after its commit, so that ``archive-search reindex`` and the server's indexer never hold
one across batches; a busy lock is waited for.
"""
import json
import os
import threading
import time

import tantivy

from . import analysis, beside
from .buckets import SMALL_FACETS, small_key, tallies
from .kept import Kept, key_of
from .engine import (FACETS, PRINCIPALS, SAMPLE_EVERY, counted, estimated, in_sample, match_bound, may_estimate,
                     scaled)
from .query import EXACT, FOLDED, AllOf, Phrase, Prefix, Word

ABSTRACT = 'abstract'
ABSTRACT_COPIES = 3        # the abstract's weight in ``ALL`` (its boost)
WRITER_HEAP = 100_000_000
LOCK_WAIT = 30.0          # seconds a busy writer lock is waited for
FACET_SIZE = 1000         # values counted per facet
SMALL = 'small_facets'    # the small facets' values together: one value per document, counted once
SMALL_SIZE = 10_000       # the combinations of those values counted (a few hundred at most)
SAMPLE = 'sample'         # the sample's index, a folder of the generation's (``engine.in_sample``)
ALL = 'all'               # the folded fields' words one after the other: what a word or phrase must match
LONG_TEXT = 5_000         # characters of file text past which a result's is first asked for the words


def schema():
    sb = tantivy.SchemaBuilder()
    sb.add_text_field('key', stored=True, tokenizer_name='raw', index_option='basic')
    for name in FOLDED:                               # stored for highlights
        sb.add_text_field(name, stored=True, tokenizer_name='raw')
    sb.add_text_field(EXACT, stored=False, tokenizer_name='raw')
    sb.add_text_field('number', stored=True, tokenizer_name='raw', index_option='basic')
    sb.add_text_field('files_sig', stored=True, tokenizer_name='raw', index_option='basic')
    sb.add_boolean_field('content_done', stored=True)
    for name in PRINCIPALS:
        sb.add_text_field(name, stored=False, tokenizer_name='raw', index_option='basic')
    sb.add_integer_field('date', stored=True, indexed=True, fast=True)     # epoch seconds
    sb.add_integer_field('issued', indexed=True, fast=True)                # ordinal day
    sb.add_integer_field('deadline', indexed=True)
    for name in FACETS:                               # filtered by; the small ones counted by SMALL
        sb.add_text_field(name, stored=False, fast=name not in SMALL_FACETS, tokenizer_name='raw',
                          index_option='basic')
    sb.add_text_field(SMALL, stored=False, fast=True, tokenizer_name='raw', index_option='basic')
    sb.add_text_field(ALL, stored=False, tokenizer_name='raw')
    return sb.build()


def _pretokenized(text, keep_marks=False):
    text = analysis.nfc(text)
    return tantivy.PreTokenizedString(text, [tantivy.Token(t.text, t.pos, t.start, t.end)
                                             for t in analysis.tokens(text, keep_marks)])


def _add_folded(doc, fields):
    """The folded text fields, each on its own (stored for highlights), and their words together
    in ``ALL`` (what a query matches and is scored on): the abstract ``ABSTRACT_COPIES`` times,
    then the metadata and the file text, each copy and field after an empty position (a phrase
    never spans two). Its weight thus counts as the abstract's boost (BM25F: a field's weight
    multiplies its term frequencies and its length before BM25 saturates them), with one list a
    word to walk where a union of three fields' lists was walked and scored."""
    texts, words = [], []
    pos = start = 0
    for name in FOLDED:
        text = analysis.nfc(fields.get(name))
        if not text:
            continue
        found = list(analysis.tokens(text))
        doc.add_pre_tokenized_text(name, tantivy.PreTokenizedString(
            text, [tantivy.Token(t.text, t.pos, t.start, t.end) for t in found]))
        for _copy in range(ABSTRACT_COPIES if name == ABSTRACT else 1):
            words += [tantivy.Token(t.text, pos + t.pos, start + t.start, start + t.end) for t in found]
            pos += found[-1].pos + 2 if found else 0
            start += len(text) + 1
            texts.append(text)
    doc.add_pre_tokenized_text(ALL, tantivy.PreTokenizedString('\n'.join(texts), words))


def document(fields):
    """A tantivy document of the fields ``indexer.document_fields`` gives."""
    doc = tantivy.Document()
    doc.add_text('key', fields['key'])
    _add_folded(doc, fields)
    if fields.get(EXACT):
        doc.add_pre_tokenized_text(EXACT, _pretokenized(fields[EXACT], keep_marks=True))
    for name in ('number', 'files_sig'):
        if fields.get(name) is not None:
            doc.add_text(name, fields[name])
    if fields.get('content_done') is not None:
        doc.add_boolean('content_done', bool(fields['content_done']))
    for name in PRINCIPALS:
        for principal in (fields.get(name) or '').split(','):
            if principal:
                doc.add_text(name, principal)
    for name in ('date', 'issued', 'deadline'):
        if fields.get(name) is not None:
            doc.add_integer(name, int(fields[name]))
    for name in FACETS:
        if fields.get(name):
            doc.add_text(name, fields[name])
    doc.add_text(SMALL, small_key(fields))
    return doc


class Index:
    """A tantivy index in a generation's folder, and its sample (the documents ``in_sample``, an
    index of the same schema in the folder ``SAMPLE``): written before the index, so that a
    reader of a commit finds the sample as new as it."""

    def __init__(self, folder):
        self.folder = folder
        self.ix = tantivy.Index(schema(), path=folder, reuse=True)
        self.sample = tantivy.Index(schema(), path=os.path.join(folder, SAMPLE), reuse=True)
        self.schema = self.ix.schema
        self._seen = None           # meta.json's (mtime, size, inode) when the searcher was made
        self._reading = None        # the searcher of that commit (a ``Reading``)
        self._lock = threading.Lock()

    @staticmethod
    def create(folder):
        tantivy.Index(schema(), path=folder, reuse=False)
        os.makedirs(os.path.join(folder, SAMPLE))
        tantivy.Index(schema(), path=os.path.join(folder, SAMPLE), reuse=False)

    # -- writing ---------------------------------------------------------------------------------
    def write(self, upserts, deletes):
        with self._lock:
            sampled = [fields for fields in upserts if in_sample(fields['key'])]
            unsampled = [key for key in deletes if in_sample(key)]
            if sampled or unsampled:
                _write(self.sample, sampled, unsampled)
            _write(self.ix, upserts, deletes)
        self._searcher()

    # -- reading ---------------------------------------------------------------------------------
    def _searcher(self):
        return self._read().searcher

    def _read(self):
        """The ``Reading`` of the last commit (a new one when ``meta.json`` changed)."""
        try:
            st = os.stat(os.path.join(self.folder, 'meta.json'))
            seen = (st.st_mtime_ns, st.st_size, st.st_ino)
        except FileNotFoundError:
            seen = None
        reading = self._reading
        if seen != self._seen or reading is None:
            opstamp = _opstamp(self.folder)     # read first: never newer than the searcher's commit
            self.ix.reload()
            self.sample.reload()
            reading = self._reading = Reading(self.ix.searcher(), self.schema, self.sample.searcher(),
                                              Kept(opstamp, reading and reading.kept))
            self._seen = seen
        return reading

    def count(self):
        return self._searcher().num_docs

    def forget_counts(self):
        """Forget the facet counts kept (the benchmark's first-time queries)."""
        self._read().kept.forget()

    def stored(self, keys):
        searcher = self._searcher()
        out = {}
        for key in keys:
            found = searcher.search(tantivy.Query.term_query(self.schema, 'key', key), 1, count=False).hits
            if found:
                out[key] = _fields(searcher.doc(found[0][1]))
        return out

    def search(self, parsed, principals, filters, sort, start, limit, facets, estimate_above=0):
        reading = self._read()
        searcher = reading.searcher
        access = reading.access(principals)
        folded = self._query(parsed, access, filters)        # what matches; counted, or searched

        def threshold():        # ``estimate_above`` where ``engine.may_estimate`` allows it, else 0
            return estimate_above if may_estimate(estimate_above, not access, filters, reading.bound(parsed)) else 0
        counts = {}, True, None
        if facets:
            key = key_of(tuple(principals), parsed, filters, tuple(facets), estimate_above)
            counts = reading.kept.counts(key, lambda: beside.start(
                self._counts, reading, key, folded, facets, threshold()))
        exact = self._exact_first(parsed, reading) if sort == 'relevance' else None
        if exact is None:
            kw = {'limit': limit, 'offset': start, 'count': True}
            if sort in ('date', 'date_asc'):
                kw.update(order_by_field='date', order=tantivy.Order.Desc if sort == 'date' else tantivy.Order.Asc)
            result = searcher.search(folded, **kw)
            found, total = result.hits, (result.count, True)
            if sort in ('date', 'date_asc'):
                found = [(None, address) for _key, address in found]
        else:
            found = self._exact_forms_first(searcher, folded, access, filters, parsed, exact, start, limit)
            total = None if facets else self._total(reading, folded, threshold())
        hits = []
        for score, address in found:
            fields = _fields(searcher.doc(address))
            fields['score'] = score
            hits.append(fields)
        for fields in self._long_texts_without(searcher, hits, parsed.words):
            fields['content'] = None            # nothing in it to highlight: not read through
        total, total_exact = total or (None, None)        # None: the counts' (``engine.search``)
        return {'total': total, 'exact': total_exact, 'hits': hits, 'facets': counts}

    def _exact_first(self, parsed, reading):
        """``[(query, exact)]``: the required clauses, each word or phrase typed with marks as its
        form in ``EXACT`` (``exact`` True) where that form must be looked up (not ``same_docs``),
        the others as ``_clause`` gives them; None when no form must be looked up."""
        out = [self._exact_clause(c, reading) for c in parsed.must]
        return out if any(x for _c, x in out) else None

    def _exact_clause(self, c, reading):
        """``(query, exact)`` of one required clause (``_exact_first``)."""
        Q = tantivy.Query
        if isinstance(c, Word) and c.marked and not reading.same_docs(c.term, c.marked):
            return Q.term_query(self.schema, EXACT, c.marked), True
        if isinstance(c, AllOf):
            parts = [self._exact_clause(w, reading) for w in c.words]
            if any(x for _q, x in parts):
                return Q.boolean_query([(tantivy.Occur.Must, q) for q, _x in parts]), True
        if isinstance(c, Phrase) and c.marked:
            return Q.phrase_query(self.schema, EXACT, list(c.marked)), True
        return self._clause(c), False

    def _exact_forms_first(self, searcher, folded, access, filters, parsed, exact, start, limit):
        """``[(score, address)]`` of the page: first the documents holding every word and phrase
        typed with marks in that form (``exact``), in their order, then the others of ``folded``.
        Two searches that count nothing, where the one search with the forms as scoring clauses
        walked each form's documents beside the folded words' (a quarter of the city office's
        time at 1,000,000 for a query typed with marks); the total comes from the facet counts or
        the sample. On a page holding both, the first ones' scores are raised above the others'."""
        Q, must = tantivy.Query, tantivy.Occur.Must
        first = self._query(parsed, access, filters, required=[q for q, _x in exact])
        found = searcher.search(first, limit, offset=start, count=start > 0)
        hits = found.hits
        if len(hits) < limit:
            before = found.count if start > 0 else len(hits)        # the first ones, all told
            forms = Q.boolean_query([(must, q) for q, x in exact if x])
            rest = Q.boolean_query([(must, folded), (tantivy.Occur.MustNot, forms)])
            more = searcher.search(rest, limit - len(hits), offset=max(0, start - before), count=False).hits
            if hits and more:
                hits = [(score + more[0][0], address) for score, address in hits]
            hits += more
        return hits

    def _total(self, reading, query, estimate_above):
        """``(total, exact)``: the matches of ``query``, estimated from the sample when
        ``estimate_above`` (else 0) and the sample has more than that many matches scaled."""
        if estimate_above:
            matches = reading.sample.search(query, 1, count=True).count
            if matches * SAMPLE_EVERY > estimate_above:
                return estimated(matches), False
        return self._count(reading.searcher, query, ())[1], True

    def _counts(self, reading, key, query, facets, estimate_above):
        """``(counts, exact, (total, exact))``: the facet counts of ``query`` and its matches,
        estimated from the sample when ``estimate_above`` (else 0) and the sample has more than
        that many matches scaled (its counts of the small facets together hold each of its
        matches once; an estimate is kept across commits while fresh: ``kept``)."""
        if estimate_above:
            tally, matches = self._count(reading.sample, query, facets)
            if matches * SAMPLE_EVERY > estimate_above:
                reading.kept.estimated(key, matches * SAMPLE_EVERY)
                return {name: counted(scaled(tally[name])) for name in facets}, False, (estimated(matches), False)
        tally, matches = self._count(reading.searcher, query, facets)
        return {name: counted(tally[name]) for name in facets}, True, (matches, True)

    @staticmethod
    def _count(searcher, query, facets):
        """``({facet: {value: count}}, matches)`` over the matches of ``query``: one request, a
        terms aggregation per large facet and one over ``SMALL`` for the small ones together
        (each terms aggregation costs ~0.3 ms at 1,000,000 matches; their few combinations are
        split by ``buckets.tallies``). ``matches``: how many there are."""
        aggs = {name: {'terms': {'field': name, 'size': FACET_SIZE}} for name in facets if name not in SMALL_FACETS}
        aggs[SMALL] = {'terms': {'field': SMALL, 'size': SMALL_SIZE}}
        return tallies(searcher.aggregate(query, aggs), facets, SMALL)

    def _long_texts_without(self, searcher, hits, words):
        """The hits whose long file text holds none of the query's words (one small search over
        those hits' keys): the highlighter would read it all to find nothing, ~7 ms per 100,000
        characters (the match was in the abstract or the metadata)."""
        long = {h['key']: h for h in hits if len(h.get('content') or '') > LONG_TEXT}
        if not long or not words:
            return []
        Q, must, should = tantivy.Query, tantivy.Occur.Must, tantivy.Occur.Should
        query = Q.boolean_query([
            (must, Q.term_set_query(self.schema, 'key', list(long))),
            (must, Q.boolean_query([(should, Q.term_query(self.schema, 'content', w)) for w in sorted(set(words))]))])
        holding = {searcher.doc(address)['key'][0] for _s, address in searcher.search(query, len(long), count=False).hits}
        return [h for key, h in long.items() if key not in holding]

    # -- the engine-neutral query as tantivy queries --------------------------------------------
    def _clause(self, c):
        """A clause as a tantivy query: a word or phrase in ``ALL`` (the folded fields' words
        together, the abstract weighted), a prefix there as a regex."""
        Q = tantivy.Query
        if isinstance(c, Word):
            return Q.term_query(self.schema, ALL, c.term)
        if isinstance(c, AllOf):
            return Q.boolean_query([(tantivy.Occur.Must, self._clause(w)) for w in c.words])
        if isinstance(c, Prefix):
            return Q.regex_query(self.schema, ALL, _regex_escape(c.term) + '.*')
        if isinstance(c, Phrase):
            return Q.phrase_query(self.schema, ALL, list(c.terms))
        raise TypeError(c)

    def _query(self, parsed, access, filters, required=None):
        """The wanted clauses (``required``: queries in their place), none of the unwanted, the
        filters (scoring nothing), and the ``access`` clauses (``Reading.access``)."""
        Q, must = tantivy.Query, tantivy.Occur.Must
        wanted = required if required is not None else [self._clause(c) for c in parsed.must]
        clauses = [(must, q) for q in wanted] or [(must, Q.all_query())]
        clauses += [(tantivy.Occur.MustNot, self._clause(c)) for c in parsed.must_not]

        def fixed(q):
            return Q.const_score_query(q, 0.0)
        for name, values in filters.get('terms', {}).items():
            clauses.append((must, fixed(Q.term_set_query(self.schema, name, list(values)))))
        for name, (low, high) in filters.get('ranges', {}).items():
            clauses.append((must, fixed(Q.range_query(self.schema, name, tantivy.FieldType.Integer, low, high))))
        return Q.boolean_query(clauses + access)


class Reading:
    """The searcher of one commit, and what it has learnt of that commit's access principals."""

    def __init__(self, searcher, schema, sample, kept):
        self.searcher = searcher
        self.schema = schema
        self.sample = sample        # the sample's searcher (``engine.in_sample``)
        self.kept = kept            # the facet counts kept (``kept.Kept``)
        self._listed = {}           # (field, principal) -> some document of this commit lists it
        self._access = {}           # principals -> their access clauses
        self._same = {}             # (folded, marked) -> every document with one has the other

    def access(self, principals):
        """The access clauses of a search by ``principals`` (sorted) in this commit: one of the
        principals some document allows, none of those some document refuses. None at all when
        that filter would keep every live document of the commit (the city office: a union of
        every body's principals): it would cost a pass over a million postings to leave out
        nothing. Worked out once per commit and set of principals."""
        key = tuple(principals)
        clauses = self._access.get(key)
        if clauses is None:
            clauses = self._access[key] = self._access_clauses(principals)
        return clauses

    def _access_clauses(self, principals):
        Q, must = tantivy.Query, tantivy.Occur.Must
        allow, deny = self.present('allow', principals), self.present('deny', principals)
        if not allow:
            return [(must, Q.empty_query())]
        allowed = Q.const_score_query(self._any_of('allow', allow), 0.0)
        if not deny and self._keeps_every_document(allowed, allow):
            return []
        clauses = [(must, allowed)]
        if deny:
            clauses.append((tantivy.Occur.MustNot, self._any_of('deny', deny)))
        return clauses

    def _any_of(self, field, principals):
        """The documents listing one of ``principals`` in ``field``: a term query or a union of
        term queries. (A term-set query first reads every posting of its terms into a bit set:
        one body's clerk searched twice as fast at 100,000 documents without it.)"""
        Q = tantivy.Query
        if len(principals) == 1:
            return Q.term_query(self.schema, field, principals[0])
        return Q.boolean_query([(tantivy.Occur.Should, Q.term_query(self.schema, field, p)) for p in principals])

    def _keeps_every_document(self, allowed, allow):
        """Whether every live document of this commit allows one of ``allow``: the documents the
        filter keeps are counted against the live ones (``num_docs``). The postings' document
        frequencies also count deleted documents, so they only tell when it cannot (their sum
        below the live count), never that it does. (The count is one pass of the filter: ~14 ms
        of CPU for a reader of every body at 1,000,000 documents, once per commit.)"""
        live = self.searcher.num_docs
        if sum(self.searcher.doc_freq('allow', p) for p in allow) < live:
            return False
        return self.searcher.search(allowed, 1, count=True).count == live

    def present(self, field, principals):
        """Those of ``principals`` listed in ``field`` by some document of this commit (deleted
        ones included: never one too few); the others cannot change the access filter."""
        out = []
        for principal in principals:
            listed = self._listed.get((field, principal))
            if listed is None:
                listed = self._listed[(field, principal)] = self.searcher.doc_freq(field, principal) > 0
            if listed:
                out.append(principal)
        return out

    def bound(self, parsed):
        """An upper bound of the documents ``parsed`` matches (``engine.match_bound``)."""
        return match_bound(parsed, self.searcher.doc_freq, self.searcher.num_docs)

    def same_docs(self, term, marked):
        """Whether the documents of this commit whose abstract has the folded ``term`` all have
        its ``marked`` form (as many hold the one as the other: the exact form's documents are
        among the folded one's; deleted documents are counted on both sides)."""
        same = self._same.get((term, marked))
        if same is None:
            same = self._same[(term, marked)] = (
                self.searcher.doc_freq(EXACT, marked) == self.searcher.doc_freq(ABSTRACT, term))
        return same


def _writer(ix):
    """A writer of ``ix``, waiting for one that another holds (``LOCK_WAIT``)."""
    deadline = time.monotonic() + LOCK_WAIT
    while True:
        try:
            return ix.writer(heap_size=WRITER_HEAP, num_threads=1)
        except ValueError as exc:           # another writer holds the folder's lock
            if 'lock' not in str(exc).lower() or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _write(ix, upserts, deletes):
    """One batch into ``ix``, committed; the writer and its lock let go after it."""
    writer = _writer(ix)
    try:
        for key in deletes:
            writer.delete_documents_by_term('key', key)
        for fields in upserts:
            writer.delete_documents_by_term('key', fields['key'])
            writer.add_document(document(fields))
        writer.commit()
    except BaseException:
        writer.rollback()
        raise
    finally:
        writer.wait_merging_threads()


def _fields(doc):
    return {name: values[0] for name, values in doc.to_dict().items() if values}


def _opstamp(folder):
    """tantivy's count of the operations on the index in ``folder`` (its ``meta.json``), 0 if unread."""
    try:
        with open(os.path.join(folder, 'meta.json'), encoding='utf-8') as f:
            return json.load(f).get('opstamp', 0)
    except (OSError, ValueError):
        return 0


def _regex_escape(text):
    """A literal in tantivy's regex syntax (the folded term of a prefix: letters, digits, - / .)."""
    return ''.join('\\' + c if not c.isalnum() and c != '_' else c for c in text)

"""The search package's library side, without the app: the analyzer, the query form, the engine
(each engine test on both engines)."""
import pathlib
import re

import pytest

from archive.errors import InputError
from archive.search import analysis, engine, filters
from archive.search.query import parse


def test_folding_drops_marks_and_d_bar_keeps_case_free_exact_form():
    assert analysis.fold('Đảng bộ BÁO CÁO') == 'dang bo bao cao'
    assert analysis.exact('BÁO Cáo') == 'báo cáo'
    # NFD input (as some keyboards send it) gives the same tokens as NFC
    nfd = 'ba\u0301o ca\u0301o'
    assert analysis.terms(nfd) == ['bao', 'cao']


def test_a_symbol_is_indexed_whole_and_by_every_run_of_its_parts():
    tokens = analysis.terms('917-TTr/VPTU.')
    assert set(tokens) == {'917-ttr/vptu', '917', 'ttr', 'vptu', '917-ttr', 'ttr/vptu'}
    assert analysis.query_terms('917-TTr') == ['917-ttr']     # looked up whole in a query


def test_no_stop_words():
    assert analysis.terms('an to can the') == ['an', 'to', 'can', 'the']


@pytest.mark.parametrize('q', ['"', '-', '*', '- * "', '"-"', '""""', '-"a', 'x' * 500])
def test_odd_queries_parse(q):
    parse(q)


@pytest.fixture(params=engine.ENGINES)
def store(request, tmp_path):
    """A new index folder on each engine, its first generation in use."""
    store = engine.Store(str(tmp_path), request.param)
    store.switch_to(store.new_generation())
    return store


def test_fragments_are_escaped_html(store):
    gen = store.current()
    gen.write([{'key': 'a/1', 'abstract': '<script>x</script> báo cáo', 'abstract_x': '<script>x</script> báo cáo',
                'allow': 'p', 'date': 1, 'body': 'a'}], [])
    found = engine.search(store.current(), parse('bao cao'), ['p'], {})
    assert found['total'] == 1
    html = found['hits'][0]['fragments'][0][1]
    assert '<script>' not in html and '&lt;/script&gt;' in html and '<mark' in html
    assert engine.search(store.current(), parse('bao cao'), ['q'], {})['total'] == 0   # not allowed


def test_a_denied_principal_wins_over_an_allowed_one(store):
    gen = store.current()
    gen.write([{'key': 'a/1', 'abstract': 'mật', 'abstract_x': 'mật', 'allow': 'u:x', 'deny': 'role:admin',
                'date': 1, 'body': 'a'}], [])
    assert engine.search(store.current(), parse('mat'), ['u:x'], {})['total'] == 1
    assert engine.search(store.current(), parse('mat'), ['u:x', 'role:admin'], {})['total'] == 0


def test_access_follows_principals_that_appear_and_go_between_searches(store):
    """A principal first allowed or refused by a later commit is honoured by the next search (the
    tantivy engine keeps what a commit's searcher knows of the principals, until the next commit)."""
    gen = store.current()
    doc = {'key': 'a/1', 'abstract': 'giấy mời họp', 'abstract_x': 'giấy mời họp', 'allow': 'u:x', 'date': 1,
           'body': 'a'}
    gen.write([doc], [])
    assert engine.search(store.current(), parse('giay moi'), ['u:y', 'role:admin'], {})['total'] == 0
    assert engine.search(store.current(), parse('giay moi'), ['u:x', 'role:admin'], {})['total'] == 1
    gen.write([dict(doc, key='a/2', allow='u:y', deny='role:admin')], [])
    found = engine.search(store.current(), parse('giay moi'), ['u:y'], {})
    assert found['total'] == 1 and found['hits'][0]['key'] == 'a/2'
    assert engine.search(store.current(), parse('giay moi'), ['u:y', 'role:admin'], {})['total'] == 0
    assert engine.search(store.current(), parse('giay moi'), ['u:x', 'role:admin'], {})['total'] == 1


def test_the_access_filter_is_left_out_only_when_it_keeps_every_live_document(store):
    """A reader whose principals every live document allows, and none refuses, gets the same
    answer without the access filter (tantivy leaves it out: it would keep everything); whoever
    misses one document keeps the filter, also when the documents' frequencies, which count
    deleted documents, would say otherwise, and again after a commit adds a document they may not
    see."""
    gen = store.current()

    def doc(key, allow, **more):
        return dict({'key': key, 'abstract': 'giấy mời họp', 'abstract_x': 'giấy mời họp', 'allow': allow,
                     'date': 1, 'body': key.split('/')[0]}, **more)

    def seen(principals):
        found = engine.search(store.current(), parse('giay moi'), principals, {})
        assert found['total'] == len(found['hits']) == sum(n for _v, n in found['facets']['body'])
        return sorted(h['key'] for h in found['hits']), found['facets']['body']

    def unfiltered(principals):
        if store.engine != 'tantivy':
            return None
        return store.current().index._read().access(sorted(principals)) == []

    gen.write([doc('a/1', 'p1'), doc('b/2', 'p2')], [])
    assert seen(['p1', 'p2']) == (['a/1', 'b/2'], [('a', 1), ('b', 1)])
    assert unfiltered(['p1', 'p2']) in (True, None)
    assert seen(['p1']) == (['a/1'], [('a', 1)]) and unfiltered(['p1']) in (False, None)
    gen.write([doc('a/1', 'p1', state='s2')], [])          # a/1 again: its old copy is deleted
    if store.engine == 'tantivy':                          # p1's frequency now equals the live count
        searcher = store.current().index._read().searcher
        assert searcher.doc_freq('allow', 'p1') == searcher.num_docs == 2
    assert seen(['p1']) == (['a/1'], [('a', 1)]) and unfiltered(['p1']) in (False, None)
    gen.write([doc('a/3', 'p1', deny='p2')], [])           # p2 refused somewhere: the filter stays
    assert seen(['p1', 'p2']) == (['a/1', 'b/2'], [('a', 1), ('b', 1)])
    assert unfiltered(['p1', 'p2']) in (False, None)
    gen.write([], ['b/2', 'a/3'])
    assert seen(['p1']) == (['a/1'], [('a', 1)]) and unfiltered(['p1']) in (True, None)
    gen.write([doc('c/4', 'p3')], [])                      # a document p1 may not see
    assert seen(['p1']) == (['a/1'], [('a', 1)]) and unfiltered(['p1']) in (False, None)
    assert seen(['p1', 'p3']) == (['a/1', 'c/4'], [('a', 1), ('c', 1)]) and unfiltered(['p1', 'p3']) in (True, None)
    assert seen(['p9']) == ([], [])


def test_facet_counts_match_the_total_for_a_query_typed_with_marks(store):
    """The facets' pass leaves out what only ranks (the exact form): it counts what the results
    count, for words and phrases typed with their marks and without."""
    gen = store.current()
    gen.write([{'key': f'a/{n}', 'abstract': text, 'abstract_x': text, 'allow': 'p', 'date': n, 'body': 'a',
                'state': f's{n % 2}'} for n, text in enumerate(['Họp bàn kế hoạch', 'Thư gửi bạn đọc',
                                                                  'Bàn giao hồ sơ', 'kế hoạch năm'])], [])
    for q in ('bàn', 'ban', '"bàn giao"', 'kế hoạch', '-bàn kế', 'bàn -"hồ sơ"'):
        found = engine.search(store.current(), parse(q), ['p'], {})
        assert found['total'] == len(found['hits']) == sum(n for _v, n in found['facets']['state']), q
        assert found['total'] > 0, q


def test_a_word_whose_only_form_is_the_typed_one_ranks_as_the_folded_word(store):
    """Where every document has the form typed with marks, the order is that of the folded word;
    on tantivy the exact form, which would rank no document above another, is not looked up:
    the same scores."""
    gen = store.current()
    texts = ['Báo cáo tổng kết năm', 'Báo cáo', 'Báo cáo báo cáo quý I về công tác văn thư lưu trữ',
             'Kế hoạch năm', 'Tờ trình kèm báo cáo tài chính']
    gen.write([{'key': f'a/{n}', 'abstract': t, 'abstract_x': t, 'allow': 'p', 'date': n, 'body': 'a'}
               for n, t in enumerate(texts)], [])

    def scores(q):
        return [(h['key'], h['score']) for h in engine.search(store.current(), parse(q), ['p'], {})['hits']]
    marked, folded = scores('báo cáo'), scores('bao cao')
    assert [k for k, _s in marked] == [k for k, _s in folded] and len(marked) == 4
    if store.engine == 'tantivy':
        assert marked == folded


def test_the_abstract_outranks_the_metadata_and_the_file_text(store):
    """The same word in a document's abstract ranks it above one holding it in its metadata or
    its file text only (the abstract's weight); a phrase does not run from one field into the
    next (tantivy holds them one after the other in one field, the abstract three times)."""
    gen = store.current()
    gen.write([{'key': 'a/1', 'abstract': 'Tờ trình về nhân sự', 'abstract_x': 'Tờ trình về nhân sự',
                'meta': 'Nguyễn Văn Lưu', 'content': 'Văn bản lưu trữ', 'allow': 'p', 'date': 1, 'body': 'a'},
               {'key': 'a/2', 'abstract': 'Văn bản lưu trữ', 'abstract_x': 'Văn bản lưu trữ',
                'meta': 'Trần Thị B', 'allow': 'p', 'date': 2, 'body': 'a'}], [])

    def keys(q):
        return [h['key'] for h in engine.search(store.current(), parse(q), ['p'], {})['hits']]
    assert keys('luu tru') == ['a/2', 'a/1']
    assert keys('"nhan su nguyen"') == [] and keys('"van luu"') == ['a/1']
    assert keys('"su to"') == [] and keys('"tru van"') == []      # nor from one copy of the abstract into the next


def test_a_long_file_text_is_highlighted_when_it_holds_the_words_and_only_then(store):
    """A result's long file text without the query's words gives no fragment (tantivy asks the
    index rather than reading it through); with them, its fragment as before."""
    gen = store.current()
    filler = 'Nội dung chi tiết của văn bản được trình bày như sau. ' * 400       # ~22,000 characters
    gen.write([{'key': 'a/1', 'abstract': 'Báo cáo bảo trì máy chủ', 'abstract_x': 'Báo cáo bảo trì máy chủ',
                'content': filler + 'Lịch bảo trì máy chủ hằng quý.', 'allow': 'p', 'date': 1, 'body': 'a'},
               {'key': 'a/2', 'abstract': 'Tờ trình bảo trì máy chủ', 'abstract_x': 'Tờ trình bảo trì máy chủ',
                'content': filler, 'allow': 'p', 'date': 2, 'body': 'a'}], [])
    found = {h['key']: dict(h['fragments']) for h in engine.search(store.current(), parse('may chu'), ['p'], {})['hits']}
    assert '<mark class="match term0">máy</mark>' in found['a/1']['content'] and 'hằng quý' in found['a/1']['content']
    assert 'content' not in found['a/2'] and '<mark' in found['a/2']['abstract']


def test_too_long_is_refused_with_its_code():
    with pytest.raises(InputError) as exc:
        parse('x' * 501)
    assert exc.value.errors[0]['code'] == 'search_too_long'


def test_facets_and_totals_forget_a_replaced_document(store):
    """A document indexed again (its state changed) counts once, under its new value, in the
    same thread's searcher as before the change."""
    gen = store.current()

    def doc(key, state):
        return {'key': key, 'abstract': 'giấy mời', 'abstract_x': 'giấy mời', 'allow': 'p', 'date': 1,
                'body': 'a', 'state': state}
    gen.write([doc('a/1', 's1'), doc('a/2', 's1')], [])
    assert engine.search(store.current(), parse('giay moi'), ['p'], {})['facets']['state'] == [('s1', 2)]
    gen.write([doc('a/1', 's2')], [])
    found = engine.search(store.current(), parse('giay moi'), ['p'], {})
    assert found['total'] == 2 and len(found['hits']) == 2
    assert sorted(found['facets']['state']) == [('s1', 1), ('s2', 1)]
    assert found['facets']['unit'] == []              # a facet no document has


def test_an_index_of_the_other_engine_is_not_used(tmp_path):
    """Changing ``archive.search_engine`` leaves the index of the other engine unused: the indexer
    rebuilds (as for a new schema version)."""
    whoosh = engine.Store(str(tmp_path), 'whoosh')
    whoosh.switch_to(whoosh.new_generation())
    assert whoosh.current() is not None
    assert engine.Store(str(tmp_path), 'tantivy').current() is None


def test_only_the_engine_modules_import_their_library():
    src = pathlib.Path(engine.__file__).parents[1]
    importers = {lib: sorted(str(p.relative_to(src)) for p in src.rglob('*.py')
                             if re.search(rf'^\s*(from|import) {lib}\b', p.read_text(encoding='utf-8'), re.M))
                 for lib in ('whoosh', 'tantivy')}
    assert importers == {'whoosh': ['search/whoosh_index.py'], 'tantivy': ['search/tantivy_index.py']}


def test_each_facet_is_counted_on_its_own_whichever_are_asked(store):
    """The small facets (tantivy counts them together, from one field holding their values) give
    each its own counts, with documents lacking some of them, whether all facets or a few are
    asked: the same as counting the written values one by one."""
    gen = store.current()
    docs = []
    for n in range(40):
        doc = {'key': f'a/{n}', 'abstract': 'giấy mời họp', 'abstract_x': 'giấy mời họp', 'allow': 'p',
               'date': n, 'body': f'b{n % 3}', 'unit': f'u{n % 4}', 'doc_type': 'CV',
               'state': ('registered', 'assigned', 'done')[n % 3], 'urgency': ('normal', 'khan')[n % 7 == 0],
               'direction': ('incoming', 'outgoing')[n % 2], 'attachments': ('yes', 'no')[n % 5 == 0],
               'route': ('edxml', 'paper', None)[n % 3 - 1], 'verdict': None if n % 4 else 'valid'}
        docs.append({k: v for k, v in doc.items() if v is not None})
    gen.write(docs, [])
    for asked in (engine.FACETS, ('urgency',), ('route', 'body'), ('verdict', 'state', 'doc_type')):
        found = engine.search(store.current(), parse('giay moi'), ['p'], {}, facets=asked)
        assert found['facets'] == filters.count(docs, asked), asked
    narrowed = {'terms': {'urgency': ['khan']}, 'ranges': {}}
    found = engine.search(store.current(), parse('giay moi'), ['p'], narrowed)
    assert found['facets'] == filters.count([d for d in docs if d['urgency'] == 'khan'], engine.FACETS)


def test_counts_asked_again_are_those_of_the_user_the_query_and_the_filters(store):
    """Facet counts kept between searches of one commit (tantivy: a clerk paging or re-sorting)
    are never another user's, another query's or other filters'; a page further on or another
    sort gives the first page's counts."""
    gen = store.current()
    gen.write([{'key': f'a/{n}', 'abstract': ('giấy mời họp', 'giấy mời dự lễ')[n % 2], 'abstract_x': 'x',
                'allow': 'p,q' if n < 4 else 'p', 'date': n, 'body': f'b{n % 3}', 'urgency': ('normal', 'khan')[n % 2]}
               for n in range(10)], [])

    def counts(q, who, filters=None, **kw):
        return engine.search(store.current(), parse(q), [who], filters or {}, **kw)['facets']
    for _round in range(2):
        assert counts('giay moi', 'p') == {'body': [('b0', 4), ('b1', 3), ('b2', 3)], 'urgency': [('khan', 5), ('normal', 5)]} | {
            n: [] for n in engine.FACETS if n not in ('body', 'urgency')}
        assert counts('giay moi', 'q')['body'] == [('b0', 2), ('b1', 1), ('b2', 1)]
        assert counts('giay moi hop', 'p')['urgency'] == [('normal', 5)]
        assert counts('giay moi', 'p', {'terms': {'urgency': ['khan']}, 'ranges': {}})['urgency'] == [('khan', 5)]
        assert counts('giay moi', 'p', {'terms': {}, 'ranges': {'date': (0, 3)}})['body'] == [('b0', 2), ('b1', 1), ('b2', 1)]
        assert counts('giay moi', 'p', start=5, limit=2, sort='date') == counts('giay moi', 'p')


def test_the_forms_typed_with_marks_come_first_and_pages_run_across_them(store):
    """Typed with its marks, a word finds its folded form too, after the documents holding the
    form typed (tantivy: two searches, the second leaving out what the first found); pages of
    one result run through the same order, the total the same on each."""
    texts = {'a/1': 'Bàn giao hồ sơ lưu trữ của các đơn vị trực thuộc trong năm', 'a/2': 'Ban giao',
             'a/3': 'Bạn đọc giao lưu', 'a/4': 'Họp bàn việc giao ban tuần của các đơn vị trực thuộc trong năm',
             'a/5': 'Giao ban tuần', 'a/6': 'Bàn về kế hoạch'}
    texts.update((f'b/{n}', 'Kế hoạch công tác năm') for n in range(30))     # "ban" and "giao" rare: scored high
    store.current().write([{'key': k, 'abstract': t, 'abstract_x': t, 'allow': 'p', 'date': n, 'body': 'a',
                            'state': 's'} for n, (k, t) in enumerate(texts.items())], [])

    def found(**kw):
        return engine.search(store.current(), parse('bàn giao'), ['p'], {}, **kw)
    whole = found()
    keys = [h['key'] for h in whole['hits']]
    assert set(keys[:2]) == {'a/1', 'a/4'} and set(keys[2:]) == {'a/2', 'a/3', 'a/5'}
    assert whole['total'] == 5 and whole['exact'] and dict(whole['facets']['state']) == {'s': 5}
    scores = [h['score'] for h in whole['hits']]
    assert scores == sorted(scores, reverse=True)       # one page: its scores in its order (the short "Ban
    # giao" scores more on its own than the long abstracts holding "bàn": tantivy raises theirs)
    for facets in (engine.FACETS, ()):
        pages = [found(start=n, limit=1, facets=facets) for n in range(6)]
        assert [h['key'] for p in pages for h in p['hits']] == keys, facets
        assert {p['total'] for p in pages} == {5}, facets     # (Whoosh's without facets: its estimate)
        two = [found(start=n, limit=2, facets=facets) for n in (1, 3)]
        assert [h['key'] for p in two for h in p['hits']] == keys[1:5], facets
    assert [h['key'] for h in found(sort='date')['hits']] == ['a/5', 'a/4', 'a/3', 'a/2', 'a/1']

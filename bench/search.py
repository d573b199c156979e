"""Search benchmark: the archive's search on each engine beside the bare engine, on the same data.

A fixed generator writes realistic Vietnamese abstracts from the shared administrative vocabulary
(many documents share "báo cáo", "kế hoạch", "công tác"...: the hard case), spread over bodies,
units and years. From the same documents it builds:

- ours on tantivy, and ours on Whoosh (``--engines``): ``archive.search.engine`` written through
  the indexer's own path (``Generation.write``, batches of 25,000) with the fields the indexer
  writes (abstract, exact form, metadata, access principals, facets), queried as the app queries
  it: the clerk's query form, the access filter, highlights, top 20; with the nine facet counts
  (the results page, and the API by default; estimated from the index's sample as the app does,
  ``archive.search_estimate_above``, its default unless ``--estimate-above``) and without them
  (the API's ``facets=none``);
- bare tantivy: one text field with the same analysis (our analyzer's tokens, pre-tokenized), a
  plain AND of the folded terms, top 20; bare Whoosh (with ``whoosh`` in ``--engines``): one text
  field with the same analyzer, the same AND, top 20;
- bare tantivy doing the same work (a second, fairer baseline; the first is kept): the same
  one-field AND on an index that also has the access principals and the nine facet fields, as a
  tantivy user would write it: the user's principals as a term-set filter, and the nine facets as
  one aggregation request of terms aggregations over the same query;
- bare tantivy, the AND and the nine facet counts without an access filter (a third figure: what
  the city office's search costs bare, now that ours leaves out a filter that keeps everything).

Figures: indexing rate (documents/s, wall and CPU); p50/p95 of 30 fixed queries (15 with
diacritics, the same 15 without), as the clerk of one body and as the city office (every body's
principals), in wall and CPU time, and the ratios to the bare engine (every form timed on each
query in turn, ``together``: a change of load touches them alike); the load average before and
after (the machine may be shared); how near the city office's estimated facet counts are to
the exact ones. Not a test: nothing is asserted.

    nice .venv/bin/python bench/search.py                                 # 100,000 documents, both engines
    nice .venv/bin/python bench/search.py --docs 1000000 --engines tantivy  # the issue's large run
    nice .venv/bin/python bench/search.py --engines tantivy --out /tmp/s --reuse   # measure kept indexes again
"""
import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'src'))

from archive.search import analysis, engine  # noqa: E402
from archive.search.query import parse  # noqa: E402
from archive.settings import ArchiveSettings  # noqa: E402

ESTIMATE_ABOVE = ArchiveSettings.search_estimate_above      # the app's default (archive.search_estimate_above)

SEED = 20261203
BODIES = [f'000.00.{n:02d}.H01' for n in range(1, 21)]
UNITS = ['TH', 'TC', 'VP', 'KT', 'TT']
TYPES = ['CV', 'BC', 'TTr', 'KH', 'QĐ', 'TB', 'HD', 'NQ']

OPENERS = ['Báo cáo', 'Kế hoạch', 'Tờ trình', 'Quyết định', 'Thông báo', 'Hướng dẫn', 'Công văn về việc',
           'Nghị quyết về', 'Chương trình', 'Đề án']
TOPICS = ['công tác cán bộ', 'công tác kiểm tra, giám sát', 'công tác tuyên giáo', 'chuyển đổi số',
          'công tác văn thư, lưu trữ', 'xây dựng Đảng', 'công tác dân vận', 'phát triển đảng viên',
          'công tác tổ chức', 'thi đua, khen thưởng', 'cải cách hành chính', 'phòng, chống tham nhũng',
          'bồi dưỡng lý luận chính trị', 'quy hoạch cán bộ', 'công tác bảo vệ chính trị nội bộ',
          'học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh', 'tiếp công dân',
          'công tác an toàn thông tin mạng', 'kiểm điểm, đánh giá, xếp loại', 'công tác tài chính đảng']
SCOPES = ['của Đảng bộ tỉnh', 'tại các chi bộ trực thuộc', 'trong toàn Đảng bộ', 'của cấp ủy cơ sở',
          'ở các đơn vị sự nghiệp', 'của Ban Thường vụ', 'tại cơ quan', 'trên địa bàn thành phố']
TIMES = ['quý I', 'quý II', '6 tháng đầu năm', '9 tháng', 'năm', 'nhiệm kỳ 2025 - 2030', 'tháng 12', 'giai đoạn 2026 - 2030']
EXTRA = ['và phương hướng nhiệm vụ', 'theo Chỉ thị số 35', 'bàn giao hồ sơ', 'gửi bạn đọc', 'ban chỉ đạo',
         'về nhân sự', 'kết quả thực hiện', 'dự toán kinh phí', '']

QUERIES = ['báo cáo', 'kế hoạch', 'cán bộ', 'chuyển đổi số', 'kiểm tra giám sát', 'đảng viên', 'tiếp công dân',
           'thi đua khen thưởng', 'tham nhũng', 'văn thư lưu trữ', 'ban chỉ đạo', 'bàn giao', 'quý I',
           'an toàn thông tin', 'dự toán kinh phí']


def fold_all(words):
    return [analysis.fold(w) for w in words]


QUERY_SET = QUERIES + fold_all(QUERIES)      # 15 with marks, the same 15 without


def documents(n, seed=SEED):
    """The fixed generator: the same n documents for the same seed."""
    rnd = random.Random(seed)
    for i in range(n):
        body = rnd.choice(BODIES)
        year = rnd.randint(2020, 2026)
        t = rnd.choice(TYPES)
        abstract = ' '.join(x for x in (rnd.choice(OPENERS), rnd.choice(TOPICS), rnd.choice(SCOPES),
                                        rnd.choice(TIMES), str(year), rnd.choice(EXTRA)) if x)
        yield {
            'key': f'{body}/{i:08d}', 'abstract': abstract, 'abstract_x': abstract,
            'meta': f'{i % 9000 + 1}-{t}/BTCTU\nNguyễn Văn {chr(65 + i % 26)}', 'number': f'{i % 9000 + 1}-{t}/BTCTU',
            'allow': ','.join([f'orgrole:{body}:clerk', f'orgrole:{body}:leader', f'orgrole:{body}:archivist',
                               f'unit:{body}/{rnd.choice(UNITS)}', f'u:user{i % 500}']),
            'deny': '', 'date': int(time.mktime((year, rnd.randint(1, 12), rnd.randint(1, 28), 9, 0, 0, 0, 0, 0))),
            'body': body, 'doc_type': t, 'unit': rnd.choice(UNITS), 'state': rnd.choice(['registered', 'assigned', 'done']),
            'urgency': rnd.choice(['normal'] * 8 + ['khan', 'hoa_toc']), 'direction': rnd.choice(['incoming', 'outgoing']),
            'attachments': rnd.choice(['yes', 'no']), 'route': 'edxml', 'verdict': 'valid',
        }


def clerk_principals(body=BODIES[0]):
    return ['system.Everyone', 'system.Authenticated', 'u:vanthu', f'org:{body}', f'orgrole:{body}:clerk', 'role:clerk']


def city_principals():
    return ['system.Everyone', 'system.Authenticated', 'u:vanphong'] + [
        p for b in BODIES for p in (f'orgrole:{b}:leader', f'org:{b}')]


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] * 1000


def timed(fn, queries, repeat=1):
    """``(wall seconds, CPU seconds)`` of each query."""
    return together({'one': fn}, queries, repeat)['one']


def together(forms, queries, repeat=1):
    """``{label: (wall seconds, CPU seconds)}`` of each query on each form, the forms timed one
    after the other on each query (their order turned each round): a change of the machine's load
    touches every form alike, where timing one form's 30 queries after another's put a busy minute
    on one of them (the ratios of one run moved 1.06–1.68 between three runs at load ~2). A form
    is a function of the query, or ``(prepare, run)``: ``prepare(q)`` untimed before ``run(q)``."""
    forms = {label: f if isinstance(f, tuple) else (None, f) for label, f in forms.items()}
    times = {label: ([], []) for label in forms}
    labels = list(forms)
    for round_ in range(repeat):
        turn = labels[round_ % len(labels):] + labels[:round_ % len(labels)]
        for q in queries:
            for label in turn:
                prepare, run = forms[label]
                if prepare is not None:
                    prepare(q)
                t, c = time.perf_counter(), time.process_time()
                run(q)
                times[label][1].append(time.process_time() - c)
                times[label][0].append(time.perf_counter() - t)
    return times


class Clock:
    """Wall and CPU seconds since it was made."""

    def __init__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def rates(self, n):
        return n / (time.perf_counter() - self.wall), n / (time.process_time() - self.cpu)


def progress(label, i, n):
    print(f'\r  {label}: {i:,}/{n:,}', end='', file=sys.stderr, flush=True)


# -- ours ------------------------------------------------------------------------------------

def build_ours(folder, n, name, batch=25000, bodies=None):
    """Ours on engine ``name``, written as the indexer writes (``Generation.write``)."""
    store = engine.Store(folder, name)
    gen = store.new_generation()
    store.switch_to(gen)
    clock = Clock()
    docs = []
    for i, fields in enumerate(documents(n), 1):
        if bodies is None or fields['body'] in bodies:
            docs.append(fields)
        if len(docs) == batch:
            gen.write(docs, [])
            docs = []
            progress(f'ours on {name}', i, n)
    gen.write(docs, [])
    print(file=sys.stderr)
    return store, clock.rates(n)


def query_ours(store, principals, facets=engine.FACETS, kept=False, estimate_above=ESTIMATE_ABOVE):
    """``(prepare, run)`` of a query asked for the first time in its commit (the facet counts
    tantivy keeps per commit forgotten first), or (``kept``) asked again: the counts kept, as a
    clerk paging or re-sorting (asked once first). ``estimate_above``: the setting
    ``archive.search_estimate_above`` (the app's default)."""
    gen = store.current()
    forget = getattr(gen.index, 'forget_counts', lambda: None)

    def run(q):
        return engine.search(gen, parse(q), principals, {'terms': {}, 'ranges': {}}, limit=20, facets=facets,
                             estimate_above=estimate_above)
    return (run if kept else lambda q: forget()), run


def estimates(store, principals, estimate_above):
    """How near the estimated facet counts are to the exact ones, over the 30 queries: a line."""
    estimated, errors, left_out = 0, [], []
    for q in QUERY_SET:
        guess = call(query_ours(store, principals, estimate_above=estimate_above), q)
        if guess['facets_exact']:
            continue
        estimated += 1
        exact = call(query_ours(store, principals, estimate_above=0), q)
        for name, counts in exact['facets'].items():
            shown = dict(guess['facets'][name])
            for value, n in counts:
                if value in shown:
                    errors.append((abs(shown[value] - n) / n, n))
                else:
                    left_out.append(n)
    if not errors:
        return f'facet counts estimated for none of the 30 queries (threshold {estimate_above:,})'
    errors.sort()
    worst = errors[-1]
    return (f'facet counts estimated for {estimated} of the 30 queries (more than {estimate_above:,} matches): '
            f'{len(errors)} counts shown, error median {100 * errors[len(errors) // 2][0]:.1f} %, '
            f'p95 {100 * errors[int(0.95 * (len(errors) - 1))][0]:.1f} %, worst {100 * worst[0]:.1f} % '
            f'(a value of {worst[1]:,} matches); values left out (not in the sample): {len(left_out)}'
            + (f', at most {max(left_out):,} matches each' if left_out else ''))


def call(form, q):
    """A ``(prepare, run)`` form asked ``q`` (untimed)."""
    prepare, run = form
    prepare(q)
    return run(q)


def build_partitions(folder, n, name):
    """Ours, partitioned by holding body: one index per body (the first thing the issue named to
    try at scale with Whoosh)."""
    clock = Clock()
    stores = {body: build_ours(os.path.join(folder, body), n, name, bodies={body})[0] for body in BODIES}
    return stores, clock.rates(n)


def query_partitions(stores, bodies, principals):
    """A query over the partitions of ``bodies`` (results merged by score)."""
    def run(q):
        parsed = parse(q)
        found = [engine.search(stores[b].current(), parsed, principals, {'terms': {}, 'ranges': {}}, limit=20)
                 for b in bodies]
        return sorted((h for f in found for h in f['hits']), key=lambda h: -h['score'])[:20]
    return run


# -- bare Whoosh -----------------------------------------------------------------------------

def build_bare_whoosh(folder, n, batch=25000):
    from whoosh import fields as F
    from whoosh import index as whoosh_index

    from archive.search.whoosh_index import VietTokenizer
    os.makedirs(folder)
    ix = whoosh_index.create_in(folder, F.Schema(key=F.ID(stored=True), text=F.TEXT(analyzer=VietTokenizer())))
    clock = Clock()
    writer = ix.writer(limitmb=256)
    for i, fields in enumerate(documents(n), 1):
        writer.add_document(key=fields['key'], text=fields['abstract'])
        if i % batch == 0:
            writer.commit()
            writer = ix.writer(limitmb=256)
            progress('bare whoosh', i, n)
    writer.commit()
    print(file=sys.stderr)
    return ix, clock.rates(n)


def query_bare_whoosh(ix):
    from whoosh import query as Q

    def run(q):
        terms = analysis.query_terms(q)
        with ix.searcher() as s:
            return [h['key'] for h in s.search(Q.And([Q.Term('text', t) for t in terms]), limit=20)]
    return run


# -- bare tantivy ----------------------------------------------------------------------------

def build_bare_tantivy(folder, n, batch=25000, text=lambda fields: fields['abstract']):
    """One text field, pre-tokenized by our analyzer as ours is (the same analysis): the abstract,
    or ``text`` of each document's fields."""
    import tantivy

    from archive.search.tantivy_index import WRITER_HEAP, _pretokenized
    os.makedirs(folder)
    sb = tantivy.SchemaBuilder()
    sb.add_text_field('key', stored=True, tokenizer_name='raw')
    sb.add_text_field('text', stored=False, tokenizer_name='raw')
    ix = tantivy.Index(sb.build(), path=folder)
    clock = Clock()
    writer = ix.writer(heap_size=WRITER_HEAP, num_threads=1)
    for i, fields in enumerate(documents(n), 1):
        doc = tantivy.Document(key=fields['key'])
        doc.add_pre_tokenized_text('text', _pretokenized(text(fields)))
        writer.add_document(doc)
        if i % batch == 0:
            writer.commit()
            progress('bare tantivy', i, n)
    writer.commit()
    writer.wait_merging_threads()
    ix.reload()
    print(file=sys.stderr)
    return ix, clock.rates(n)


def searched_text(fields):
    """What ours matches a query's words in: the abstract and the metadata (number, signer)."""
    return fields['abstract'] + '\n' + fields['meta']


def query_bare_tantivy(ix):
    import tantivy
    schema = ix.schema

    def run(q):
        terms = analysis.query_terms(q)
        searcher = ix.searcher()
        query = tantivy.Query.boolean_query([(tantivy.Occur.Must, tantivy.Query.term_query(schema, 'text', t))
                                             for t in terms])
        return [searcher.doc(a)['key'] for _s, a in searcher.search(query, 20).hits]
    return run


# -- bare tantivy doing the same work: access and facets -------------------------------------

def build_bare_tantivy_full(folder, n, batch=25000):
    """The bare index with the access principals and the facets beside its one text field."""
    import tantivy

    from archive.search.tantivy_index import WRITER_HEAP, _pretokenized
    os.makedirs(folder)
    sb = tantivy.SchemaBuilder()
    sb.add_text_field('key', stored=True, tokenizer_name='raw')
    sb.add_text_field('text', stored=False, tokenizer_name='raw')
    sb.add_text_field('allow', stored=False, tokenizer_name='raw', index_option='basic')
    for name in engine.FACETS:
        sb.add_text_field(name, stored=False, fast=True, tokenizer_name='raw', index_option='basic')
    ix = tantivy.Index(sb.build(), path=folder)
    clock = Clock()
    writer = ix.writer(heap_size=WRITER_HEAP, num_threads=1)
    for i, fields in enumerate(documents(n), 1):
        doc = tantivy.Document(key=fields['key'])
        doc.add_pre_tokenized_text('text', _pretokenized(fields['abstract']))
        for principal in fields['allow'].split(','):
            doc.add_text('allow', principal)
        for name in engine.FACETS:
            doc.add_text(name, fields[name])
        writer.add_document(doc)
        if i % batch == 0:
            writer.commit()
            progress('bare tantivy with access and facets', i, n)
    writer.commit()
    writer.wait_merging_threads()
    ix.reload()
    print(file=sys.stderr)
    return ix, clock.rates(n)


def query_bare_tantivy_full(ix, principals, facets=True, beside=None):
    """The AND, the user's principals as a filter (none when ``principals`` is None: the bare AND
    with the facet counts), and (``facets``) the nine facet counts; with ``beside`` (an executor)
    the counts are asked of it before the search and waited for after (two threads, as ours)."""
    import tantivy
    schema = ix.schema
    Q, must = tantivy.Query, tantivy.Occur.Must
    aggs = {name: {'terms': {'field': name, 'size': 1000}} for name in engine.FACETS}
    access = [] if principals is None else [
        (must, Q.const_score_query(Q.term_set_query(schema, 'allow', principals), 0.0))]

    def run(q):
        terms = analysis.query_terms(q)
        searcher = ix.searcher()
        query = Q.boolean_query([(must, Q.term_query(schema, 'text', t)) for t in terms] + access)
        counts = beside.submit(searcher.aggregate, query, aggs) if beside and facets else None
        keys = [searcher.doc(a)['key'] for _s, a in searcher.search(query, 20).hits]
        if counts is not None:
            return keys, counts.result()
        return keys, searcher.aggregate(query, aggs) if facets else None
    return run


def open_bare_tantivy(folder, full=False):
    """A bare index built by an earlier run (``--reuse``)."""
    import tantivy
    sb = tantivy.SchemaBuilder()
    sb.add_text_field('key', stored=True, tokenizer_name='raw')
    sb.add_text_field('text', stored=False, tokenizer_name='raw')
    if full:
        sb.add_text_field('allow', stored=False, tokenizer_name='raw', index_option='basic')
        for name in engine.FACETS:
            sb.add_text_field(name, stored=False, fast=True, tokenizer_name='raw', index_option='basic')
    return tantivy.Index(sb.build(), path=folder, reuse=True)


def row(label, times):
    wall, cpu = times
    return f'| {label} | {pct(wall, 50):.2f} | {pct(wall, 95):.2f} | {pct(cpu, 50):.2f} | {pct(cpu, 95):.2f} |'


def ratio(label, times, base):
    return (f'p95 {label}: wall {pct(times[0], 95) / pct(base[0], 95):.2f}, '
            f'CPU {pct(times[1], 95) / pct(base[1], 95):.2f}')


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--docs', type=int, default=100_000)
    p.add_argument('--engines', default='tantivy,whoosh', help='ours on these engines (and their bare engine)')
    p.add_argument('--out', default=None, help='folder for the indexes, kept (default: a temporary one, removed)')
    p.add_argument('--reuse', action='store_true', help='measure the tantivy indexes an earlier run kept in --out '
                   '(no indexing figures)')
    p.add_argument('--repeat', type=int, default=3, help='rounds of the 30 queries per figure')
    p.add_argument('--partitions', action='store_true', help='also ours partitioned by holding body')
    p.add_argument('--estimate-above', type=int, default=ESTIMATE_ABOVE,
                   help='archive.search_estimate_above for ours (0: exact counts always)')
    args = p.parse_args(argv)
    engines = [e for e in args.engines.split(',') if e]
    out = args.out or tempfile.mkdtemp(prefix='bench-search-')
    n = args.docs
    print(f'{n:,} documents, engines {", ".join(engines)}, indexes in {out}')
    print('load average before: %.2f %.2f %.2f' % os.getloadavg(), flush=True)
    bare_build = {'tantivy': build_bare_tantivy, 'whoosh': build_bare_whoosh}
    bare_query = {'tantivy': query_bare_tantivy, 'whoosh': query_bare_whoosh}
    users = (('clerk of one body', clerk_principals()), ('city office', city_principals()))
    pool = ThreadPoolExecutor(1)        # the second baseline's counts beside its search
    table, ratios, rates, accuracy = [], [], [], []
    for name in engines:
        reuse = args.reuse and name == 'tantivy'
        if reuse:
            bare = open_bare_tantivy(os.path.join(out, 'bare-tantivy'))
            store = engine.Store(os.path.join(out, f'ours-{name}'), name)
        else:
            bare, (wall, cpu) = bare_build[name](os.path.join(out, f'bare-{name}'), n)
            rates.append(f'bare {name}: {wall:,.0f} doc/s wall, {cpu:,.0f} doc/s CPU')
            print(rates[-1], flush=True)
            store, (wall, cpu) = build_ours(os.path.join(out, f'ours-{name}'), n, name)
            rates.append(f'ours on {name}: {wall:,.0f} doc/s wall, {cpu:,.0f} doc/s CPU')
            print(rates[-1], flush=True)
        full = same_text = None
        if name == 'tantivy':
            folder = os.path.join(out, 'bare-tantivy-text')
            if reuse and os.path.isdir(folder):
                same_text = open_bare_tantivy(folder)
            else:
                same_text, (wall, cpu) = build_bare_tantivy(folder, n, text=searched_text)
                rates.append(f'bare tantivy over the same text: {wall:,.0f} doc/s wall, {cpu:,.0f} doc/s CPU')
                print(rates[-1], flush=True)
            if reuse:
                full = open_bare_tantivy(os.path.join(out, 'bare-tantivy-full'), full=True)
            else:
                full, (wall, cpu) = build_bare_tantivy_full(os.path.join(out, 'bare-tantivy-full'), n)
                rates.append(f'bare tantivy with access and facets: {wall:,.0f} doc/s wall, {cpu:,.0f} doc/s CPU')
                print(rates[-1], flush=True)
        forms = {'bare': bare_query[name](bare)}      # every form timed together, query by query
        if same_text is not None:
            forms['same text'] = query_bare_tantivy(same_text)
        for who, principals in users:
            forms[who, 'counts'] = query_ours(store, principals, estimate_above=args.estimate_above)
            forms[who, 'lean'] = query_ours(store, principals, facets=())
            if name == 'tantivy':
                forms[who, 'kept'] = query_ours(store, principals, kept=True, estimate_above=args.estimate_above)
            if full is not None:
                forms[who, 'same'] = query_bare_tantivy_full(full, principals)
                forms[who, 'two'] = query_bare_tantivy_full(full, principals, beside=pool)
                forms[who, 'access'] = query_bare_tantivy_full(full, principals, facets=False)
        if full is not None:
            forms['counted'] = query_bare_tantivy_full(full, None)
        t = together(forms, QUERY_SET, args.repeat)
        bare_times = t['bare']
        for who, principals in users:
            times, lean = t[who, 'counts'], t[who, 'lean']
            if who == 'city office':
                accuracy.append(f'ours on {name}, city office: ' + estimates(store, principals, args.estimate_above))
            table.append(row(f'ours on {name}, {who}: nine facet counts (the page; the API by default)', times))
            table.append(row(f'ours on {name}, {who}: results only (the API with facets=none)', lean))
            if name == 'tantivy':
                table.append(row(f'(ours on {name}, {who}: nine facet counts, the same query asked again: '
                                 'counts kept)', t[who, 'kept']))
            ratios.append(ratio(f'ours on {name} with facets / bare {name} ({who})', times, bare_times))
            ratios.append(ratio(f'ours on {name}, results only / bare {name} ({who})', lean, bare_times))
            if same_text is not None:
                ratios.append(ratio(f'ours on {name} with facets / bare over the same text ({who})', times,
                                    t['same text']))
                ratios.append(ratio(f'ours on {name}, results only / bare over the same text ({who})', lean,
                                    t['same text']))
            if full is not None:
                same, two, access = t[who, 'same'], t[who, 'two'], t[who, 'access']
                table.append(row(f'bare {name} doing the same work, {who}: AND + access + nine facets', same))
                table.append(row(f'bare {name} doing the same work, {who}: the same, counts on a second thread', two))
                table.append(row(f'bare {name} doing the same work, {who}: AND + access', access))
                ratios.append(ratio(f'ours on {name} with facets / bare + access + facets ({who})', times, same))
                ratios.append(ratio(f'ours on {name} with facets / bare + access + facets, two threads ({who})',
                                    times, two))
                ratios.append(ratio(f'ours on {name}, results only / bare + access ({who})', lean, access))
        table.append(row(f'bare {name}, same analysis: top 20 of an AND', bare_times))
        if same_text is not None:
            table.append(row(f'bare {name}, the same over the same text (abstract and metadata)', t['same text']))
        if full is not None:
            table.append(row(f'bare {name}: top 20 of an AND + nine facets, no access filter', t['counted']))
            ratios.append(ratio(f'ours on {name} with facets / bare AND + facets, no access filter (city office)',
                                t['city office', 'counts'], t['counted']))
        if args.partitions:
            parts, (wall, cpu) = build_partitions(os.path.join(out, f'parts-{name}'), n, name)
            rates.append(f'ours on {name}, one index per body: {wall:,.0f} doc/s wall, {cpu:,.0f} doc/s CPU')
            for who, bodies, principals in (('clerk of one body', [BODIES[0]], clerk_principals()),
                                             ('city office', BODIES, city_principals())):
                times = timed(query_partitions(parts, bodies, principals), QUERY_SET, args.repeat)
                table.append(row(f'ours on {name}, {who}, partitioned by body', times))
        print('load average: %.2f %.2f %.2f' % os.getloadavg(), flush=True)
    print()
    print(f'{n:,} documents; indexing: ' + ('; '.join(rates) or 'not measured (--reuse)'))
    print()
    print('| query (30 fixed, top 20) | p50 ms | p95 ms | p50 ms CPU | p95 ms CPU |')
    print('|---|---|---|---|---|')
    for line in table:
        print(line)
    print()
    for line in ratios + accuracy:
        print(line)
    print('load average after: %.2f %.2f %.2f' % os.getloadavg())
    if not args.out:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == '__main__':
    main()

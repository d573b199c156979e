"""Search benchmark: the archive's search engine beside bare Whoosh and tantivy, on the same data.

A fixed generator writes realistic Vietnamese abstracts from the shared administrative vocabulary
(many documents share "báo cáo", "kế hoạch", "công tác"...: the hard case), spread over bodies,
units and years. Three indexes are built from the same documents:

- ours: ``archive.search.engine`` with the fields the indexer writes (abstract, exact form,
  metadata, access principals, facets), queried as the app queries it: the clerk's query form, the
  access filter and mask, facet counts, highlights, top 20;
- bare Whoosh: one text field with the same analyzer, a plain AND of the folded terms, top 20;
- tantivy (if installed): one text field of pre-folded text, the same terms, top 20.

Figures: indexing rate (documents/s); p50/p95 of 30 fixed queries (15 with diacritics, the same 15
without), as the clerk of one body and as the city office (every body's principals), and the
ratios to the bare engines. Not a test: nothing is asserted.

    nice .venv/bin/python bench/search.py                 # 100,000 documents
    nice .venv/bin/python bench/search.py --docs 1000000  # the issue's large run
"""
import argparse
import os
import random
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'src'))

from whoosh import fields as F  # noqa: E402
from whoosh import index as whoosh_index  # noqa: E402
from whoosh import query as Q  # noqa: E402

from archive.search import analysis, engine  # noqa: E402
from archive.search.query import parse  # noqa: E402

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


CLOCK = time.perf_counter      # --cpu: time.process_time (a shared, saturated machine)


def timed(fn, queries, repeat=1):
    out = []
    for _ in range(repeat):
        for q in queries:
            t = CLOCK()
            fn(q)
            out.append(CLOCK() - t)
    return out


# -- ours ------------------------------------------------------------------------------------

def build_ours(folder, n, batch=25000):
    store = engine.Store(folder)
    gen = store.new_generation()
    store.switch_to(gen)
    t = CLOCK()
    writer = gen.index.writer(limitmb=256)
    for i, fields in enumerate(documents(n), 1):
        writer.add_document(**fields)
        if i % batch == 0:
            writer.commit()
            writer = gen.index.writer(limitmb=256)
            print(f'\r  ours: {i}', end='', file=sys.stderr)
    writer.commit()
    return store, n / (CLOCK() - t)


def build_partitions(folder, n):
    """Ours, partitioned by holding body: one index per body (the first thing to try at scale)."""
    stores = {}
    t = CLOCK()
    writers = {}
    for body in BODIES:
        stores[body] = engine.Store(os.path.join(folder, body))
        gen = stores[body].new_generation()
        stores[body].switch_to(gen)
        writers[body] = gen.index.writer(limitmb=64)
    for fields in documents(n):
        writers[fields['body']].add_document(**fields)
    for w in writers.values():
        w.commit()
    return stores, n / (CLOCK() - t)


def query_partitions(stores, bodies, principals):
    """A query over the partitions of ``bodies`` (results merged by score, facets summed)."""
    def run(q):
        parsed = parse(q)
        found = [engine.search(stores[b].current(), parsed, principals, {'terms': {}, 'ranges': {}}, limit=20)
                 for b in bodies]
        return sorted((h for f in found for h in f['hits']), key=lambda h: -h['score'])[:20]
    return run


def query_ours(store, principals):
    gen = store.current()

    def run(q):
        return engine.search(gen, parse(q), principals, {'terms': {}, 'ranges': {}}, limit=20)
    return run


# -- bare Whoosh -----------------------------------------------------------------------------

def build_bare(folder, n, batch=25000):
    os.makedirs(folder)
    ix = whoosh_index.create_in(folder, F.Schema(key=F.ID(stored=True), text=F.TEXT(analyzer=analysis.analyzer())))
    t = CLOCK()
    writer = ix.writer(limitmb=256)
    for i, fields in enumerate(documents(n), 1):
        writer.add_document(key=fields['key'], text=fields['abstract'])
        if i % batch == 0:
            writer.commit()
            writer = ix.writer(limitmb=256)
    writer.commit()
    return ix, n / (CLOCK() - t)


def query_bare(ix):
    def run(q):
        terms = analysis.query_terms(q)
        with ix.searcher() as s:
            return [h['key'] for h in s.search(Q.And([Q.Term('text', t) for t in terms]), limit=20)]
    return run


# -- tantivy ---------------------------------------------------------------------------------

def build_tantivy(folder, n):
    import tantivy
    os.makedirs(folder)
    sb = tantivy.SchemaBuilder()
    sb.add_text_field('key', stored=True, tokenizer_name='raw')
    sb.add_text_field('text', stored=False)
    schema = sb.build()
    ix = tantivy.Index(schema, path=folder)
    t = CLOCK()
    writer = ix.writer()
    for fields in documents(n):
        writer.add_document(tantivy.Document(key=fields['key'], text=analysis.fold(fields['abstract'])))
    writer.commit()
    ix.reload()
    return ix, n / (CLOCK() - t)


def query_tantivy(ix):
    def run(q):
        terms = analysis.query_terms(q)
        searcher = ix.searcher()
        query = ix.parse_query(' AND '.join(terms), ['text'])
        return searcher.search(query, 20).hits
    return run


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--docs', type=int, default=100_000)
    p.add_argument('--out', default=None, help='folder for the indexes (default: a temporary one)')
    p.add_argument('--repeat', type=int, default=3, help='rounds of the 30 queries per figure')
    p.add_argument('--cpu', action='store_true',
                   help='measure CPU time of this process, not wall time (on a machine shared and saturated)')
    p.add_argument('--partitions', action='store_true', help='also ours partitioned by holding body')
    args = p.parse_args(argv)
    global CLOCK
    if args.cpu:
        CLOCK = time.process_time
    out = args.out or tempfile.mkdtemp(prefix='bench-search-')
    n = args.docs
    print(f'{n} documents, indexes in {out}')
    store, rate_ours = build_ours(os.path.join(out, 'ours'), n)
    print(f'indexing  ours {rate_ours:,.0f} doc/s', flush=True)
    bare, rate_bare = build_bare(os.path.join(out, 'bare'), n)
    print(f'indexing  bare whoosh {rate_bare:,.0f} doc/s', flush=True)
    try:
        tv, rate_tv = build_tantivy(os.path.join(out, 'tantivy'), n)
        print(f'indexing  tantivy {rate_tv:,.0f} doc/s', flush=True)
    except ImportError:
        tv = None
    rows = []
    bare_times = timed(query_bare(bare), QUERY_SET, args.repeat)
    tv_times = timed(query_tantivy(tv), QUERY_SET, args.repeat) if tv is not None else None
    for who, principals in (('clerk of one body', clerk_principals()), ('city office', city_principals())):
        times = timed(query_ours(store, principals), QUERY_SET, args.repeat)
        rows.append((who, pct(times, 50), pct(times, 95)))
    if args.partitions:
        parts, rate_parts = build_partitions(os.path.join(out, 'parts'), n)
        print(f'indexing  ours, one index per body {rate_parts:,.0f} doc/s', flush=True)
        for who, bodies, principals in (('clerk of one body', [BODIES[0]], clerk_principals()),
                                         ('city office', BODIES, city_principals())):
            times = timed(query_partitions(parts, bodies, principals), QUERY_SET, args.repeat)
            rows.append((who + ', partitioned by body', pct(times, 50), pct(times, 95)))
    print()
    print('| query (30 fixed, top 20) | p50 ms | p95 ms |')
    print('|---|---|---|')
    for who, p50, p95 in rows:
        print(f'| ours, {who} (access filter, facets, highlights) | {p50:.1f} | {p95:.1f} |')
    print(f'| bare Whoosh, same analyzer | {pct(bare_times, 50):.1f} | {pct(bare_times, 95):.1f} |')
    if tv_times:
        print(f'| tantivy | {pct(tv_times, 50):.2f} | {pct(tv_times, 95):.2f} |')
    print()
    for who, _p50, p95 in rows:
        line = f'ratio p95 ours/bare Whoosh ({who}): {p95 / pct(bare_times, 95):.2f}'
        if tv_times:
            line += f'; ours/tantivy: {p95 / pct(tv_times, 95):.0f}'
        print(line)
    if not args.out:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == '__main__':
    main()

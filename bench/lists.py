"""Measurement: a filtered document list from ZODB (``services/lists.py``) beside the same list
through the search index, and beside a bare Python loop over plain dicts.

    PYTHONPATH=src .venv/bin/python bench/lists.py [--docs 3000] [--repeat 20]

N incoming documents in the demo office (urgency, type, channel, date varied by a fixed seed), one
commit per 500. For each filter: p50/p95 wall and CPU ms of the first page (50) as the clerk of
the body, warm (the connection cache holds the documents) and cold (cache emptied before each
run); the same page through ``search.search`` (body, filters, sort=date, limit=50) with the 50
documents then loaded; and the bare baseline: the same predicate over a list of dicts in memory.
Not a test: nothing is asserted. The figures chose how the lists filter (services/lists.py).
"""
import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(PROJECT, 'tests'))
sys.path.insert(0, PROJECT)

import transaction  # noqa: E402
from webob.multidict import MultiDict  # noqa: E402

FILTERS = [
    ('none', {}),
    ('urgency=khan (~20%)', {'urgency': 'khan'}),
    ('urgency=hoa_toc (~2%)', {'urgency': 'hoa_toc'}),
    ('doc_type=CV (~50%)', {'doc_type': 'CV'}),
    ('date range (a week)', {'date_from': '2026-06-01', 'date_to': '2026-06-07'}),
    ('route=paper, hoa_toc', {'route': 'paper', 'urgency': 'hoa_toc'}),
]


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def timed(fn, repeat, before=None):
    wall, cpu = [], []
    for _ in range(repeat):
        if before is not None:
            before()
        w, c = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - w) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return statistics.median(wall), pct(wall, 95), statistics.median(cpu)


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument('--docs', type=int, default=3000)
    parser.add_argument('--repeat', type=int, default=20)
    args = parser.parse_args(argv)
    from conftest import base_settings, close_app, make_app
    from helpers import incoming
    from pyramid.threadlocal import manager

    from archive import search
    from archive import security as S
    from archive.resources.root import root_key
    from archive.search.filters import facet_values, matches, read_filters
    from archive.seed import HOST
    from archive.services import documents as svc
    from archive.services.lists import visible_page

    folder = tempfile.mkdtemp(prefix='bench-lists-')
    try:
        uri = f'file://{folder}/Data.fs?blobstorage_dir={folder}/blobs'
        import pathlib
        settings = base_settings(pathlib.Path(folder), uri, **{'archive.search_index_dir': f'{folder}/index'})
        app = make_app(settings)
        db = app.registry._zodb_databases['']
        conn = db.open()
        root = conn.root()[root_key(app.registry)]
        body = root['bodies'][HOST]
        rng = random.Random(2026)
        manager.push({'registry': app.registry, 'request': None})
        t0 = time.perf_counter()
        for k in range(args.docs):
            day = 1 + rng.randrange(330)
            month, dom = min(12, 1 + day // 28), 1 + day % 28
            urgency = rng.choices(['normal', 'khan', 'thuong_khan', 'hoa_toc'], [70, 20, 8, 2])[0]
            values = incoming(number_symbol=f'{k + 1}-CV/BTCTU', doc_type=rng.choice(['CV', 'CV', 'TB', 'BC', 'TTr']),
                              urgency=urgency, channel=rng.choice(['paper', 'electronic', 'electronic']),
                              received_at=f'2026-{month:02d}-{dom:02d}T09:00:00+07:00',
                              abstract=f'Công văn số {k} về công tác văn thư lưu trữ')
            svc.create(root, body, values, [], app.registry.archive_settings, 'vanthu')
            if (k + 1) % 500 == 0:
                transaction.commit()
        transaction.commit()
        manager.pop()
        print(f'{args.docs} documents created in {time.perf_counter() - t0:.1f} s')
        search.rebuild(app.registry)
        clerk = root['users']['vanthu']
        principals = S.principals_of(clerk)
        documents = body.documents
        plain = [facet_values(d) for d in documents.values()]

        print(f'load average: {os.getloadavg()}')
        print(f"{'filter':28} {'matches':>7} | {'ZODB warm p50/p95 cpu':>22} | {'ZODB cold p50/p95 cpu':>22} | "
              f"{'index p50/p95 cpu':>22} | {'bare p50 cpu':>12} | warm/bare")
        for title, params in FILTERS:
            filters = read_filters(MultiDict(params))
            n = sum(matches(filters, v) for v in plain)

            def ours():
                return visible_page(principals, documents, 0, 50, filters)

            def through_index():
                got = search.search(app.registry, principals, MultiDict(dict(params, body=HOST, sort='date',
                                                                              limit='50')))
                return [documents[h['key'].split('/', 1)[1]].abstract for h in got['hits']]

            def bare():
                out = []
                for v in plain:
                    if matches(filters, v):
                        out.append(v)
                        if len(out) > 50:
                            break
                return out

            assert [d.__name__ for d in ours()[0]] == [d.__name__ for d in ours()[0]]
            warm = timed(ours, args.repeat)
            cold = timed(ours, max(3, args.repeat // 4), before=conn.cacheMinimize)
            index = timed(through_index, args.repeat)
            base = timed(bare, args.repeat)
            print(f'{title:28} {n:7d} | {warm[0]:7.1f} {warm[1]:7.1f} {warm[2]:6.1f} | {cold[0]:7.1f} {cold[1]:7.1f} '
                  f'{cold[2]:6.1f} | {index[0]:7.1f} {index[1]:7.1f} {index[2]:6.1f} | {base[0]:5.2f} {base[2]:5.2f} '
                  f'| {warm[0] / max(base[0], 0.001):6.0f}x')
        conn.close()
        close_app(app)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == '__main__':
    main()

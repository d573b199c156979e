"""What keeping the export summary (resources/summary.py, #14) adds to a registration: ``fire`` +
commit of "Vào sổ" on documents of a database built by ``bench/stats.py --build-only --folder F``,
alternately with the summary's upkeep (``summary.due`` / ``summary.keep``) and with both made no-ops;
this thread's CPU, median and the mean trimmed of 1 % at each end.

    .venv/bin/python bench/stats.py --docs 20000 --bodies 60 --folder /tmp/sb --build-only
    .venv/bin/python bench/summary_upkeep.py /tmp/sb 600

Not a test: nothing is asserted about time.
"""
import os
import statistics
import sys
import time

import transaction

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stats  # noqa: E402
import stats_clerk  # noqa: E402


def main(folder, n):
    from pyramid.threadlocal import manager

    from archive.resources import summary
    from archive.workflow import engine
    app = stats.make_app(stats.settings_for(folder))
    conn, root = stats.open_root(app)
    manager.push({'registry': app.registry, 'request': None})
    real = summary.due, summary.keep
    cpu = {'with': [], 'without': []}
    try:
        docs = stats_clerk.incoming(app, root, n, 'CV/BTCTU', 'Đo thời gian vào sổ')
        clerk = root['users']['vanthu']
        for k, doc in enumerate(docs):
            mode = 'with' if k % 2 == 0 else 'without'
            summary.due, summary.keep = real if mode == 'with' else (lambda d: None, lambda d: None)
            t0 = time.thread_time()
            engine.fire(root, doc, 'register', clerk, app.registry)
            transaction.commit()
            cpu[mode].append(time.thread_time() - t0)
    finally:
        summary.due, summary.keep = real
        manager.pop()
        conn.close()
    w, wo = statistics.median(cpu['with']), statistics.median(cpu['without'])
    tw, two = stats_clerk.trimmed_mean(cpu['with']), stats_clerk.trimmed_mean(cpu['without'])
    print(f'{n} registrations: median {w * 1e3:.3f} ms with the upkeep, {wo * 1e3:.3f} without: '
          f'{100 * (w / wo - 1):+.1f} %; trimmed mean {tw * 1e3:.3f} / {two * 1e3:.3f}: {100 * (tw / two - 1):+.1f} %; '
          f'load {os.getloadavg()[0]:.1f}')


if __name__ == '__main__':
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 600)

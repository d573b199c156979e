"""Gap-free numbers under concurrency: several processes register on one series over ZEO;
conflicts really happen and are retried; the numbers are exactly 1..N, each once."""
import json
import subprocess
import sys

import pytest

from archive.seed import HOST

from ..conftest import HERE, base_settings, close_app, make_app, open_root
from ..helpers import create_arrived

PROCESSES = 4
PER_PROCESS = 15


@pytest.mark.slow
def test_concurrent_registration_is_gap_free(zeo_server, tmp_path):
    settings = base_settings(tmp_path, zeo_server.uri(str(tmp_path / 'setup')))
    app = make_app(settings)
    try:
        conn, root = open_root(app)
        try:
            names = create_arrived(app, conn, root, PROCESSES * PER_PROCESS)
        finally:
            conn.close()
    finally:
        close_app(app)

    procs = []
    barrier = tmp_path / 'barrier'
    barrier.mkdir()
    for k in range(PROCESSES):
        worker_settings = dict(settings, **{'zodbconn.uri': zeo_server.uri(str(tmp_path / f'w{k}'))})
        chunk = names[k::PROCESSES]
        procs.append(subprocess.Popen(
            [sys.executable, '-m', 'tests.e2e.register_worker', json.dumps(worker_settings), json.dumps(chunk),
             str(barrier), str(PROCESSES)],
            cwd=HERE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    results = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))

    numbers = {}
    for r in results:
        numbers.update(r['numbers'])
    total_conflicts = sum(r['conflicts'] for r in results)
    assert total_conflicts > 0, 'the processes never collided: the test proved nothing'
    assert sorted(numbers.values()) == list(range(1, len(names) + 1))

    app = make_app(dict(settings, **{'zodbconn.uri': zeo_server.uri(str(tmp_path / 'check'))}))
    try:
        conn, root = open_root(app)
        body = root['bodies'][HOST]
        [series] = [s for s in body.registers.values() if s.kind == 'incoming']
        assert series.last == len(names)
        assert list(series.entries.keys()) == list(range(1, len(names) + 1))
        assert sorted(e.document for e in series.entries.values()) == sorted(names)
        assert {n: body.documents[n].register_number for n in names} == numbers
        conn.close()
    finally:
        close_app(app)
    print(f'{len(names)} registrations by {PROCESSES} processes, {total_conflicts} conflicts retried')

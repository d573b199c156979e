"""A transfer export in a process of its own, for the SIGKILL test: the demo's ordinary documents in
as many records files as make three batches of the journal (``zipjournal.EVERY`` units each), from a
closed test database. ``kill_after``: the process SIGKILLs itself once that
many documents are written (0: never), after writing the process ids of its workers (``workers``
more than 1) to ``pids``. Prints the report as JSON."""
import dataclasses
import json
import multiprocessing
import os
import signal
import sys

import ZODB
from zodburi import resolve_uri

from archive.archival import sip
from archive.archival.sip import zipjournal
from archive.seed import HOST
from tests.conftest import FILE_ROOT_KEY
from tests.functional.test_transfer_package import records_file


def main(uri, target, kill_after, workers=1, pids=None):
    factory, kw = resolve_uri(uri)
    db = ZODB.DB(factory(), **kw)
    conn = db.open()
    body = conn.root()[FILE_ROOT_KEY]['bodies'][HOST]
    docs = [body.documents[n] for n in body.documents.newest_first()]
    docs = [d for d in docs if d.classification != 'mat']

    def progress(done, total):
        if done == kill_after:
            if pids:
                with open(pids, 'w') as f:
                    json.dump([p.pid for p in multiprocessing.active_children()], f)
            os.kill(os.getpid(), signal.SIGKILL)
    files = [records_file(docs, code=f'01.VP/HS-{n}') for n in range(-(-3 * zipjournal.EVERY // len(docs)))]
    report = sip.write_package(target, 'pkg-kill', body, files,
                               lambda f: ((d.__name__, d) for d in docs), progress=progress, workers=workers)
    print(json.dumps(dataclasses.asdict(report)))
    conn.close()
    db.close()


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), *([int(sys.argv[4]), sys.argv[5]] if len(sys.argv) > 4 else []))

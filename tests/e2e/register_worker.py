"""One of several processes registering incoming documents on the same series over ZEO.

Usage: python -m tests.e2e.register_worker SETTINGS_JSON NAMES_JSON BARRIER_FOLDER PROCESSES
Prints a JSON line: {"numbers": {name: n}, "conflicts": k}.

Each process, once started, waits at a barrier (a file of its own in BARRIER_FOLDER, then all
PROCESSES files there) so that all register at the same time: their start-ups differ by seconds
under load, longer than registering a chunk takes.
"""
import json
import os
import random
import sys
import time

import transaction
from pyramid.threadlocal import manager
from ZODB.POSException import ConflictError

from archive.resources.root import root_key
from archive.workflow import engine
from tests.conftest import make_app

from archive.seed import HOST


def wait_for_all(folder, processes, seconds=120):
    with open(os.path.join(folder, f'ready-{os.getpid()}'), 'w'):
        pass
    end = time.monotonic() + seconds
    while len(os.listdir(folder)) < processes:
        if time.monotonic() > end:
            raise SystemExit(f'the other processes did not start within {seconds} s')
        time.sleep(0.01)


def main():
    settings = json.loads(sys.argv[1])
    names = json.loads(sys.argv[2])
    app = make_app(settings)
    wait_for_all(sys.argv[3], int(sys.argv[4]))
    registry = app.registry
    tm = transaction.TransactionManager()
    conn = registry._zodb_databases[''].open(transaction_manager=tm)
    manager.push({'registry': registry, 'request': None})
    numbers, conflicts = {}, 0
    try:
        for name in names:
            while True:
                try:
                    with tm:
                        root = conn.root()[root_key(registry)]
                        doc = root['bodies'][HOST].documents[name]
                        engine.fire(root, doc, 'register', root['users']['vanthu'], registry)
                        number = doc.register_number
                        time.sleep(random.uniform(0, 0.004))   # widen the window for real conflicts
                    numbers[name] = number
                    break
                except ConflictError:
                    conflicts += 1
    finally:
        manager.pop()
        conn.close()
        registry._zodb_databases[''].close()
    print(json.dumps({'numbers': numbers, 'conflicts': conflicts}))


if __name__ == '__main__':
    main()

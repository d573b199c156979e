"""Work run beside the request's own thread, on a few threads this process keeps.

tantivy lets the GIL go while it searches and counts, so a search's facet counts (a second walk
over every match) can run on another core while the request's thread finds the top results: the
search then takes about the longer of the two, not their sum. The threads are kept (not one
started per search) and few: as many as the machine has cores. When all are busy, the work is
done in the caller's thread at once, as if there were none: a busy server gains nothing from a
queue, and a search never waits for another's counts.
"""
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor

_lock = threading.Lock()
_threads = None         # (pid, executor, semaphore of its idle threads): made again after a fork


def _pool():
    global _threads
    with _lock:
        if _threads is None or _threads[0] != os.getpid():
            workers = max(1, os.cpu_count() or 1)
            _threads = (os.getpid(), ThreadPoolExecutor(workers, thread_name_prefix='archive-beside'),
                        threading.BoundedSemaphore(workers))
        return _threads[1], _threads[2]


def start(fn, *args):
    """A ``Future`` of ``fn(*args)``: run by an idle thread of the pool, else now, in this thread."""
    executor, idle = _pool()
    if idle.acquire(blocking=False):
        def run():
            try:
                return fn(*args)
            finally:
                idle.release()          # before the result is set: idle again once it is known
        try:
            return executor.submit(run)
        except BaseException:
            idle.release()
            raise
    future = Future()
    try:
        future.set_result(fn(*args))
    except Exception as exc:        # raised by ``result()``, in the caller's order of things
        future.set_exception(exc)
    return future

"""The threads a search's facet counts run on beside the request's own (``search.beside``)."""
import os
import threading

import pytest

from archive.search import beside


def test_the_work_runs_on_a_kept_thread_when_one_is_idle():
    first = beside.start(threading.get_ident).result(timeout=5)
    assert first != threading.get_ident()
    names = {beside.start(lambda: threading.current_thread().name).result(timeout=5) for _ in range(20)}
    assert len(names) <= (os.cpu_count() or 1) and all(n.startswith('archive-beside') for n in names)


def test_with_every_thread_busy_the_work_is_done_at_once_in_the_callers_thread():
    """No queue: a search never waits behind another search's counts."""
    release = threading.Event()
    busy = [beside.start(release.wait, 5) for _ in range(os.cpu_count() or 1)]
    try:
        assert beside.start(threading.get_ident).result(timeout=5) == threading.get_ident()
    finally:
        release.set()
    assert all(f.result(timeout=5) for f in busy)
    # the threads are idle again: the next work goes to one of them
    assert beside.start(threading.get_ident).result(timeout=5) != threading.get_ident()


@pytest.mark.parametrize('busy', [False, True])
def test_an_error_is_raised_where_the_result_is_asked_for(busy):
    release = threading.Event()
    held = [beside.start(release.wait, 5) for _ in range(os.cpu_count() or 1)] if busy else []
    try:
        future = beside.start(int, 'not a number')
    finally:
        release.set()
    with pytest.raises(ValueError):
        future.result(timeout=5)
    assert all(f.result(timeout=5) for f in held)

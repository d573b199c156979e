"""Waking the exchange worker when a transaction has queued work for it, instead of leaving the
work to its next poll.

A transaction that adds a delivery or a status message registers an after-commit hook; when
the commit succeeds, every worker thread of this process waiting in ``wait`` wakes at once
(an aborted transaction wakes nobody: there is nothing to do). A worker in another process
(``archive-worker`` on ZEO) still polls every ``archive.exchange_poll_seconds``.
"""
import threading

_waiters = set()
_lock = threading.Lock()


class Waiter:
    """One worker thread's alarm."""

    def __init__(self):
        self.event = threading.Event()
        with _lock:
            _waiters.add(self)

    def wait(self, timeout):
        self.event.wait(timeout)
        self.event.clear()

    def close(self):
        with _lock:
            _waiters.discard(self)


def ring():
    with _lock:
        for waiter in _waiters:
            waiter.event.set()


def _hook(committed):
    if committed:
        ring()


def after_commit(ob):
    """Wake the workers once the transaction ``ob`` (a persistent object) is in commits."""
    jar = getattr(ob, '_p_jar', None)
    if jar is None:
        return
    txn = jar.transaction_manager.get()
    if not any(hook is _hook for hook, _args, _kws in txn.getAfterCommitHooks()):
        txn.addAfterCommitHook(_hook)


class Stop(threading.Event):
    """The event that stops the background threads; setting it also wakes the workers, so that
    they see it now rather than after their poll interval."""

    def set(self):
        super().set()
        ring()

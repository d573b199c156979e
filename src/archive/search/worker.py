"""The indexer's thread: every app server keeps its own index, on FileStorage and on ZEO alike.

It applies the queue every ``archive.search_poll_seconds`` (a committed change is searchable
within about that time; OCR text joins later) and trims old queue entries once an hour. A failed
round is logged and tried again: the queue is still there.
"""
import logging
import threading
import time

from . import indexer_of

log = logging.getLogger(__name__)
TRIM_EVERY = 3600.0


def run(registry, stop):
    indexer = indexer_of(registry)
    every = registry.archive_settings.search_poll_seconds
    last_trim = 0.0
    while not stop.is_set():
        try:
            indexer.apply_pending()
            if time.time() - last_trim > TRIM_EVERY:
                indexer.trim_queue()
                last_trim = time.time()
        except Exception:
            log.exception('search indexing failed; trying again')
        stop.wait(every)


def start_thread(registry, stop):
    """Start the indexer thread of this server; it ends when ``stop`` is set."""
    thread = threading.Thread(target=run, args=(registry, stop), name='archive-search', daemon=True)
    thread.start()
    return thread

"""Search the archive: the narrow public face of the ``search`` package.

- ``enqueue(root, doc)``: put a changed document on the index queue, in the change's transaction
  (the workflow engine, the document services and receiving call it);
- ``search(registry, principals, params)``: a search as the clerk types it, with filters, facets,
  highlights, sort and paging, trimmed to what these principals may see;
- ``apply_pending(registry)``: the indexer's step (the background thread, the worker process, and
  tests that want the index current now); ``rebuild(registry)``: a new index from ZODB.

The modules behind it are private: ``analysis`` (the Vietnamese analyzer), ``query`` (the clerk's
query), ``filters``, ``engine`` (the index folder and its generations), ``tantivy_index`` and
``whoosh_index`` (the two engines, ``archive.search_engine``: nothing else imports their
libraries), ``highlight``, ``queue`` (the persistent queue), ``indexer`` and ``content`` (file
text and OCR), ``beside`` (the threads tantivy's facet counts run on beside the search).
"""
import os
import threading

from . import filters as _filters
from .engine import FACETS, SORTS, Store
from .engine import search as _search
from .indexer import Indexer
from .query import parse
from .queue import enqueue, queue_of

__all__ = ['enqueue', 'queue_of', 'search', 'apply_pending', 'rebuild', 'request_rebuild', 'index_folder',
           'FACETS', 'SORTS']

_lock = threading.Lock()


def index_folder(registry):
    """This server's index folder: ``archive.search_index_dir``, or ``search-index`` beside the
    FileStorage, or ``var/search-index``."""
    return _folder(registry.archive_settings, registry.settings.get('zodbconn.uri', ''))


def _folder(settings, uri):
    if settings.search_index_dir:
        return settings.search_index_dir
    if uri.startswith('file://'):
        path = uri[len('file://'):].split('?', 1)[0]
        return os.path.join(os.path.dirname(path), 'search-index')
    return os.path.join('var', 'search-index')


def indexer_of(registry):
    """The one indexer of this process for this registry (its store shared with searching)."""
    with _lock:
        found = getattr(registry, '_archive_indexer', None)
        if found is None:
            store = Store(index_folder(registry), registry.archive_settings.search_engine)
            found = registry._archive_indexer = Indexer(registry, store)
        return found


def apply_pending(registry):
    """Bring this server's index up to the committed state; returns how many documents were
    written (-1: it was rebuilt)."""
    return indexer_of(registry).apply_pending()


def rebuild(registry, progress=None):
    return indexer_of(registry).rebuild(progress)


def request_rebuild(settings, uri):
    """Ask the indexer of the server using this folder to rebuild (``archive-search reindex``
    while the server holds the FileStorage); returns the folder."""
    folder = _folder(settings, uri)
    Store(folder, settings.search_engine).request_rebuild()
    return folder


def search(registry, principals, params, ignore=(), facets=None):
    """``{'q', 'filters', 'sort', 'start', 'limit', 'ready', 'total', 'exact', 'hits', 'facets',
    'facets_exact'}`` (``facets_exact`` False: the counts are estimates, ``engine.may_estimate``).
    ``params``: a multidict (``request.GET``); bad input is an ``InputError``. ``facets``: the
    facets to count, else those the parameters ask for (``facets=``, every one by default)."""
    q, filters, sort, start, limit = _filters.read(params, ignore)
    if facets is None:
        facets = _filters.read_facets(params)
    parsed = parse(q)
    out = {'q': q, 'filters': filters, 'sort': sort, 'start': start, 'limit': limit}
    gen = indexer_of(registry).store.current()
    if gen is None:
        return dict(out, ready=False, total=0, exact=True, hits=[], facets={}, facets_exact=True)
    return dict(out, ready=True, **_search(gen, parsed, principals, filters, sort, start, limit, facets,
                                           registry.archive_settings.search_estimate_above))

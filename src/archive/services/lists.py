"""A body's document list, newest first, with the search's filters, answered from ZODB.

The list is read from the ``by_date`` index of the body's documents (a date range bounds the
walk there) and each document is judged by ``search.filters.matches`` on the values the index
would store for it (``facet_values``), so a filter means on a list what it means in a search. It
is not answered by the search index: a list is what the clerk acts on, and must show a change the
moment it commits (the index follows within seconds, and answers nothing while first built).
Measured on 3,000 documents (``bench/lists.py``, figures in ``bench/README.md``): warm, a filtered
page costs 0.3-15 ms CPU, as much as the index; a rare filter on a cold cache loads every document
once (~0.35 s): a date range bounds that walk.

Access is the one decision (``resources.access``): those who read the whole body skip the check
for documents that are not Mật.
"""
from ..resources import access
from ..search.filters import active, facet_values, matches, needed

PAGE_SIZE = 50


def _names(documents, filters):
    """Names newest first, inside the filters' arrival/sending date range if there is one."""
    low, high = (filters or {}).get('ranges', {}).get('date', (None, None))
    if low is None and high is None:
        return documents.newest_first()
    lo = None if high is None else (-high,)
    hi = None if low is None else (-low + 1,)
    return (name for _key, name in documents.by_date.keys(min=lo, max=hi, excludemax=hi is not None))


def visible_page(principals, documents, start, size=PAGE_SIZE, filters=None):
    """``(docs, more)``: one page of the documents these principals may see and the filters let
    through, newest first (``more``: a page follows)."""
    out = []
    skipped = 0
    whole = access.reads_whole_body(principals, documents.__parent__.code)
    judge = active(filters)
    names = needed(filters) if judge else ()
    for name in _names(documents, filters):
        if whole and not judge and name not in documents.secret:
            if skipped < start:          # nothing to judge: not even loaded
                skipped += 1
                continue
        doc = documents.get(name)
        if doc is None:
            continue
        if not (whole and name not in documents.secret) and not access.may_see(principals, doc):
            continue
        if judge and not matches(filters, facet_values(doc, names)):
            continue
        if skipped < start:
            skipped += 1
            continue
        out.append(doc)
        if len(out) > size:
            break
    return out[:size], len(out) > size

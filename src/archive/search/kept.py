"""Facet counts kept between searches (the tantivy engine's ``Reading.kept``).

Counting the facets is a second walk over the matches. A commit's counts are kept by what they
depend on (user, query, filters, facets asked; not the page, the sort, the scores): a clerk
paging or changing the sort is not counted again. Exact counts are kept for their commit only.
An **estimate** (the sample's counts of the broadest searches, ``engine.may_estimate``) is also
kept across later commits while few documents were written since it was made: each document
written moves a count by one at most, so while the index's operations since (tantivy's
``opstamp``: two for a document replaced) are fewer than ``STALE_SHARE`` of the estimate's
matches, no count can have moved by more than that share of them — within the estimate's own
error (median 3 %, p95 10 % at 1,000,000). The city office's most common broad queries then cost
no counting after a commit.
"""
import threading

KEPT = 256              # counts kept per commit, oldest left out first
STALE_SHARE = 0.01      # an estimate is counted again once this share of its matches may have changed


def key_of(principals, parsed, filters, facets, estimate_above):
    """What the counts depend on, as a dictionary key (not the paging, the sort, the scores)."""
    terms = tuple(sorted((name, tuple(sorted(values))) for name, values in filters.get('terms', {}).items()))
    ranges = tuple(sorted(filters.get('ranges', {}).items()))
    return principals, tuple(parsed.must), tuple(parsed.must_not), terms, ranges, facets, estimate_above


class Kept:
    """The counts kept in one commit (``opstamp``: the index's operations so far), with the
    estimates carried over from an earlier commit (``earlier``) that are still fresh."""

    def __init__(self, opstamp=0, earlier=None):
        self.opstamp = opstamp
        self._counts = {}           # key -> its facet counts (a Future), oldest first
        self._estimates = {}        # key -> (opstamp when made, matches)
        self._lock = threading.Lock()
        if earlier is not None:
            with earlier._lock:
                for key, (made, matches) in earlier._estimates.items():
                    future = earlier._counts.get(key)
                    if future is not None and (opstamp - made) < STALE_SHARE * matches:
                        self._counts[key] = future
                        self._estimates[key] = (made, matches)

    def counts(self, key, start):
        """The counts of ``key``: those kept, else ``start()``'s (a ``Future``); failed ones are
        not kept."""
        with self._lock:
            found = self._counts.get(key)
        if found is not None:
            return found
        found = start()                 # not under the lock: it may count in this thread
        with self._lock:
            self._counts[key] = found
            while len(self._counts) > KEPT:
                oldest = next(iter(self._counts))
                del self._counts[oldest]
                self._estimates.pop(oldest, None)
        found.add_done_callback(lambda f: f.exception() is None or self._forget(key, f))
        return found

    def estimated(self, key, matches):
        """The counts of ``key`` are an estimate over about ``matches`` documents (kept on
        across commits while fresh)."""
        with self._lock:
            self._estimates[key] = (self.opstamp, matches)

    def _forget(self, key, future):
        with self._lock:
            if self._counts.get(key) is future:
                del self._counts[key]
                self._estimates.pop(key, None)

    def forget(self):
        with self._lock:
            self._counts.clear()
            self._estimates.clear()

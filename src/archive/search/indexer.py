"""Keeping the index a projection of ZODB: applying the queue after commit, and rebuilding.

``Indexer.apply_pending`` reads the queue entries it has not applied yet, reads each document as
it now is (or finds it gone) and writes the index; then it records how far it got in the index
folder. It is idempotent (a document is replaced by its key), so after a crash it simply reads
again from where its folder says. ``Indexer.rebuild`` writes a new generation from every
document while the old one is still served, then switches to it.

What a document gives (``document_fields``): its metadata; the principals allowed and refused by
the one access decision (``resources.access``); and, for a document that is not Mật, the text of
its files in force (``content``: the PDF text layer, OCR for scans; not the versions a signature
superseded). A Mật document gives its non-secret metadata only: never its files, their names or
notes.
"""
import logging
import threading
import time

from ..db import run_apart
from ..resources import access
from ..services.signing import SUPERSEDED, SUPERSEDED_ATTACHMENT
from . import content as content_mod
from .analysis import nfc
from .engine import FACETS
from .filters import facet_values
from .queue import KEEP, LOOK_BACK

log = logging.getLogger(__name__)
SECRET = 'mat'
BATCH = 500


def key_of(doc):
    return f'{doc.body_code}/{doc.__name__}'


def _join(*values):
    out = []
    for v in values:
        if v is None or v == '':
            continue
        if isinstance(v, (list, tuple)):
            out.extend(str(x) for x in v if x)
        else:
            out.append(str(v))
    return nfc('\n'.join(out))


def in_force(doc):
    """The files whose text is the document's: not the versions a signature superseded (each
    signing keeps the file it signed: the text of an issued document was indexed three times,
    and its snippet said the same words three times)."""
    return [f for f in doc.file_list() if f.role not in (SUPERSEDED, SUPERSEDED_ATTACHMENT)]


def files_signature(doc):
    """What the content text depends on: the files' names and hashes (stored hash if sealed)."""
    return ';'.join(f'{f.__name__}:{f.sha256 or f.stored_sha256}' for f in doc.file_list())


def document_fields(doc, previous=None, extract=True):
    """The index fields of a document. ``previous``: its stored fields in the index, whose content
    is reused when the files did not change; ``extract``: read the files' text layer now."""
    secret = doc.classification == SECRET
    allowed, denied = access.viewers(doc)
    values = facet_values(doc)           # what the registers and lists filter by, too
    fields = {
        'key': key_of(doc),
        'abstract': nfc(doc.abstract or ''),
        'abstract_x': nfc(doc.abstract or ''),
        'meta': _join(doc.number_symbol, doc.register_number, doc.sender, doc.receivers, doc.signer_name,
                      doc.signer_position, doc.organ_id, doc.place, None if secret else doc.notes),
        'number': doc.number_symbol or '',
        'allow': ','.join(sorted(allowed)),
        'deny': ','.join(sorted(denied)),
        'date': values['date'],
    }
    for name in FACETS:
        if values[name]:
            fields[name] = values[name]
    if values['issued'] is not None:
        fields['issued'] = values['issued']
    if doc.deadline:
        fields['deadline'] = doc.deadline.toordinal()
    needs_ocr = []
    if not secret:
        sig = files_signature(doc)
        fields['files_sig'] = sig
        if previous is not None and previous.get('files_sig') == sig and previous.get('content_done'):
            fields['content'] = previous.get('content', '')
            fields['content_done'] = True
        elif extract:
            texts = []
            for f in in_force(doc):
                text, scan = content_mod.text_layer(f)
                texts.append(text)
                if scan is not None:
                    needs_ocr.append(scan)
            fields['content'] = nfc('\n'.join(t for t in texts if t))
            fields['content_done'] = not needs_ocr
    return fields, needs_ocr


def _documents(root):
    for body in root['bodies'].values():
        for doc in body.documents.values():
            yield doc


def _find(root, body_code, name):
    body = root['bodies'].get(body_code)
    return None if body is None else body.documents.get(name)


class Indexer:
    """Applies the queue of one database to the index folder of this server."""

    def __init__(self, registry, store, ocr=True):
        self.registry = registry
        self.store = store
        self.ocr = ocr and content_mod.ocr_available()
        self.seen = {}          # queue key -> its time, for the keys applied within LOOK_BACK...
        self.seen_in = None     # ...to this generation (its folder)
        self.lock = threading.Lock()

    # -- the queue ---------------------------------------------------------------------------
    def apply_pending(self):
        """Apply what the queue holds beyond this index; returns how many documents were written."""
        with self.lock:
            gen = self.store.current()
            if gen is None or self._too_far_behind(gen) or self.store.take_rebuild_request():
                self._rebuild_locked()
                return -1
            return self._apply(gen)

    def _too_far_behind(self, gen):
        done = gen.state.get('done_until')
        return done is not None and done < time.time() - KEEP + LOOK_BACK

    def _apply(self, gen):
        if self.seen_in != gen.folder:      # another generation (a rebuild by archive-search):
            self.seen, self.seen_in = {}, gen.folder     # what was applied to the old one is not in it
        done = gen.state.get('done_until')
        after = None if done is None else done - LOOK_BACK

        def read(root):
            q = getattr(root, 'search_queue', None)
            if q is None:
                return [], [], [], []
            fresh = [(k, v) for k, v in q.since(after) if k not in self.seen]
            upserts, deletes, scans = [], [], []
            names = dict.fromkeys(v for _k, v in fresh)
            previous = gen.stored([f'{body_code}/{name}' for body_code, name in names])
            for body_code, name in names:
                doc = _find(root, body_code, name)
                if doc is None:
                    deletes.append(f'{body_code}/{name}')
                    continue
                fields, needs = document_fields(doc, previous.get(key_of(doc)))
                upserts.append(fields)
                if needs:
                    scans.append((fields, needs))
            return [k for k, _v in fresh], upserts, deletes, scans

        keys, upserts, deletes, scans = run_apart(self.registry, read)
        if not keys:
            return 0
        gen.write(upserts, deletes)
        newest = max(k[0] for k in keys)
        for k in keys:
            self.seen[k] = k[0]
        horizon = max(newest, done or 0) - LOOK_BACK
        self.seen = {k: t for k, t in self.seen.items() if t >= horizon}
        gen.mark(max(newest, done or 0))
        self._ocr(gen, scans)
        return len(upserts) + len(deletes)

    def _ocr(self, gen, scans):
        """The text of scans, read after the rest is searchable; joins the index when ready."""
        if not scans:
            return
        done = []
        for fields, needs in scans:
            texts = [content_mod.ocr(scan) for scan in needs] if self.ocr else []
            fields = dict(fields, content=nfc('\n'.join([fields.get('content', '')] + texts)),
                          content_done=True)
            done.append(fields)
        gen.write(done, [])

    # -- rebuilding ----------------------------------------------------------------------------
    def rebuild(self, progress=None):
        """Write a new generation from every document, then serve it; returns how many."""
        with self.lock:
            return self._rebuild_locked(progress)

    def _rebuild_locked(self, progress=None):
        started = time.time()
        gen = self.store.new_generation()

        def count(root):
            return sum(len(body.documents) for body in root['bodies'].values())

        total = run_apart(self.registry, count)
        written = 0

        def read_all(root):
            nonlocal written
            batch, scans = [], []
            conn = root._p_jar
            for doc in _documents(root):
                fields, needs = document_fields(doc)
                batch.append(fields)
                if needs:
                    scans.append((fields, needs))
                if len(batch) == BATCH:
                    written += self._write_batch(gen, batch, progress, written, total)
                    batch = []
                    conn.cacheMinimize()
            written += self._write_batch(gen, batch, progress, written, total)
            return scans

        scans = run_apart(self.registry, read_all)
        gen.mark(started)            # the queue is read again from before the start
        self.seen, self.seen_in = {}, gen.folder
        self.store.switch_to(gen)
        self._ocr(gen, scans)
        log.info('search index rebuilt: %d documents in %.1f s', written, time.time() - started)
        return written

    def _write_batch(self, gen, batch, progress, written, total):
        gen.write(batch, [])
        if progress is not None:
            progress(written + len(batch), total)
        return len(batch)

    # -- housekeeping --------------------------------------------------------------------------
    def trim_queue(self):
        """Drop queue entries older than ``KEEP`` (any server may do it; it is the same cut)."""
        def trim(root):
            q = getattr(root, 'search_queue', None)
            return q.trim(time.time() - KEEP) if q is not None else 0
        return run_apart(self.registry, trim)

"""Recall (Art. 9.2, 10.2), the sending half and the destruction: the sender asks its document
back; each receiver destroys its copy (15) or refuses with a reason (16) and keeps working where
it was (the receiving half: ``recall_receive``).

Destruction removes the files (and a Mật document's wrapped key) from the current state and keeps
the metadata and the recall trail. FileStorage keeps history, so the removed records and blobs
stay in Data.fs and the blob folder until the next pack (``archive-storage pack``, or the server's
scheduled pack, ``archive.pack_days``); ``archive-storage verify-destroyed`` proves afterwards that
none of them can be loaded any more.
"""
from ZODB.POSException import POSKeyError
from ZODB.utils import p64, u64

from .. import audit, clock
from . import deliveries, mapping

def queue_recalls(root, doc, reason):
    """A recall delivery for every receiver the document reached (ahead of any new document);
    their codes. The paper copies not sent yet (Art. 7.4, 8) are owed no more, and journaled so."""
    withdrawn = deliveries.withdraw_paper(root, doc.body_code, doc.__name__)
    if withdrawn:
        audit.append(root, doc.chain_id, 'paper_withdrawn', 'exchange', receivers=withdrawn, reason=reason)
    return deliveries.follow_up(root, doc.body_code, doc.__name__, 'recall', reason, rank=0)


def recall_package(root, doc, receiver, reason, settings):
    return mapping.package_for(root, doc, receiver, settings, 'exchange', with_files=False, kind='recall',
                               reason=reason)


def destroy(root, doc):
    """Remove the document's files (and a Mật document's key); record the blobs removed."""
    removed = []
    for name, f in list(doc.files.items()):
        removed.append({'name': name, 'filename': f.filename, 'size': f.size,
                        'stored_sha256': f.stored_sha256 or f.sha256,
                        'file_oid': u64(f._p_oid) if f._p_oid else None,
                        'blob_oid': u64(f.blob._p_oid) if f.blob._p_oid else None})
        doc.remove_file(name)
    doc.main_file = None
    if getattr(doc, 'secrecy', None):
        doc.secrecy = None              # the content key is gone with the files
    doc.destroyed_at = clock.now()
    deliveries.exchange_of(root).destroyed[(doc.body_code, doc.__name__)] = tuple(removed)
    return {'destroyed_files': [[r['name'], r['filename'], r['stored_sha256']] for r in removed]}


def verify_destroyed(root, storage):
    """For every destroyed document, the file and blob records still loadable from ``storage``
    (any revision): ``[(body, document, what, oid)]``; empty when the pack removed them all."""
    left = []
    for (body, name), removed in deliveries.exchange_of(root).destroyed.items():
        for record in removed:
            for what in ('file_oid', 'blob_oid'):
                oid = record.get(what)
                if oid is None:
                    continue
                try:
                    storage.load(p64(oid), '')
                except POSKeyError:
                    continue
                left.append((body, name, what, oid))
    return left

"""A document's export summary: the values a transfer package writes of it and of its files, kept
in a small record of its own (``ExportSummary``, one a document in ``Documents.summaries``).

A transfer export writes some twenty-five values of a document and nine of each of its files;
reading them from the document itself unpickles its whole record (some forty-five fields, its
revision and file trees) and each file's, which was a third of the export's time. The summary is
kept current in one place: a document's or its file's ``__setattr__`` (every change of a stored
value is an assignment: ``Document.apply``, the workflow's actions, signing, sealing), which calls
``due`` (a document's: kept before its transaction commits) or ``keep`` (a file's: at once); a value
changed and the summary change in the same transaction, so they are committed, rolled back and
undone together. Evolve step 0025 writes it for documents stored
before. ``VERSION`` names its shape: a summary of another shape is not read (the export then
reads the document), so adding a value means a new version and an evolve step.
"""
from persistent import Persistent

VERSION = 1
DOCUMENT = ('classification', 'channel', 'number_symbol', 'abstract', 'pages', 'direction', 'register_number',
            'issued_date', 'organ_id', 'sender', 'doc_type', 'signer_name', 'signer_position',
            'signer_competence', 'urgency', 'deadline', 'received_at', 'sent_at', 'receivers', 'notes',
            'origin_verdict', 'origin_checks', 'created_at', 'registered_at', 'body_code')
FILE = ('__name__', 'filename', 'role', 'media_type', 'size', 'sha256', 'stored_sha256', 'encrypted',
        'uploaded_at', 'blob')
VERDICT = ('status', 'code', 'reason', 'checked_at')      # what a package says of the verdict (not its signatures)
# a document's assignments that change its summary (its files' list, the number parsed from its
# symbol, its name and where it is filed too)
DOCUMENT_WATCHED = frozenset(DOCUMENT + ('parsed', 'listed_files', '__name__', '__parent__'))
FILE_WATCHED = frozenset(FILE)


class ExportSummary(Persistent):
    """``values``: ``(VERSION, document values in DOCUMENT order, number parsed from the symbol,
    ((file values in FILE order), ...))``."""

    def __init__(self, values):
        self.values = values

    def fields(self):
        """``(document values by name, [file values by name, ...])``, or None for a summary of
        another shape."""
        version, values, number, files = self.values
        if version != VERSION:
            return None
        document = dict(zip(DOCUMENT, values))
        document['parsed_number'] = number
        return document, [dict(zip(FILE, f)) for f in files]


def values_of(doc):
    """What ``ExportSummary.values`` holds for ``doc`` now."""
    document = [getattr(doc, name, None) for name in DOCUMENT]
    verdict = doc.origin_verdict
    if isinstance(verdict, dict):
        document[DOCUMENT.index('origin_verdict')] = {k: verdict[k] for k in VERDICT if k in verdict}
    files = tuple(tuple(getattr(f, name, None) for name in FILE) for f in doc.file_list())
    return VERSION, tuple(document), getattr(doc.parsed, 'number', None), files


def due(doc):
    """``doc`` changed a summarised value: its summary is brought up to date before its
    transaction commits, once however many of its values change (recomputing it at each assignment
    cost ~50 µs each, ~15 % of making a document through the model); until then the export reads a
    document changed in its transaction itself (``sip.summarised``). With no transaction to wait
    for (a document not in a database), now."""
    jar = doc._p_jar or getattr(doc.__parent__, '_p_jar', None)
    try:
        txn = jar.transaction_manager.get() if jar is not None else None
    except Exception:               # noqa: BLE001 - no transaction begun (explicit mode): now
        txn = None
    if txn is None:
        keep(doc)
    elif doc.__dict__.get('_v_summary_due') is not txn:
        doc._v_summary_due = txn
        txn.addBeforeCommitHook(_keep_due, (doc,))


def _keep_due(doc):
    doc._v_summary_due = None           # a change made after this (another hook's) is due again
    keep(doc)


def keep(doc):
    """Bring ``doc``'s summary up to date, if it is in a folder that keeps summaries (a document
    is given its summary when added to its folder)."""
    summaries = getattr(doc.__parent__, 'summaries', None)
    name = doc.__name__
    if summaries is None or not name:
        return
    values = values_of(doc)
    held = summaries.get(name)
    if held is None:
        summaries[name] = ExportSummary(values)
    elif held.values != values:
        held.values = values

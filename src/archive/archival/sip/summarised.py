"""A document as its export summary has it (``resources.summary``): what the package writer reads
of a document and its files, from one small record instead of the document's and each file's."""


class _Parsed:
    __slots__ = ('number',)

    def __init__(self, number):
        self.number = number


class _File:
    """A file's values as summarised; its blob is the stored one (a ghost, asked of the storage)."""

    def __init__(self, values):
        self.__dict__.update(values)

    def open(self):
        return self.blob.open('r')


class _Document:
    def __init__(self, name, values, files):
        self.__dict__.update(values)
        self.__name__ = name
        self.parsed = _Parsed(values['parsed_number'])
        self._files = files

    def file_list(self):
        return list(self._files)


def summarised(summaries, name, doc):
    """``doc`` as its summary in ``summaries`` has it, or ``doc`` itself: changed in this
    transaction, with no summary (a database before evolve step 0025), one of another shape, and for
    a Mật document or one with a sealed file (its content key is unwrapped from the document itself)."""
    if doc._p_changed or doc._p_jar is None:
        return doc                      # changed in this transaction: its summary is kept at commit
    held = summaries.get(name) if summaries is not None else None
    if held is None:
        return doc
    fields = held.fields()
    held._p_deactivate()            # memory stays flat: read once, dropped (a changed one is kept)
    if fields is None:
        return doc
    values, files = fields
    if values['classification'] == 'mat' or any(f['encrypted'] for f in files):
        return doc
    return _Document(name, values, [_File(f) for f in files])

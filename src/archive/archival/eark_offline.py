"""eark-validator, importable offline.

eark-validator 1.1.3 reads four CSIP vocabularies from earkcsip.dilcis.eu when its schematron
module is imported, although the same files ship inside it (``eark_validator/ipxml/resources/
vocabs/``). With no network the import fails. ``load()`` answers exactly those URLs from the shipped
files, for the time of the import only (``urllib.request.urlopen`` is put back after it), and returns
the validator's ``packages`` module. Any other URL goes to the real ``urlopen``.
"""
import importlib
import importlib.util
import os
import sys
import threading
import urllib.request

VOCABULARY_BASE = 'https://earkcsip.dilcis.eu/schema/'
VOCABULARIES = ('CSIPVocabularyContentCategory.xml', 'CSIPVocabularyContentInformationType.xml',
                'CSIPVocabularyOAISPackageType.xml', 'CSIPVocabularyStatus.xml')
_lock = threading.Lock()


def shipped_vocabularies():
    """``{url: path}`` of the vocabularies the validator ships."""
    spec = importlib.util.find_spec('eark_validator')
    folder = os.path.join(os.path.dirname(spec.origin), 'ipxml', 'resources', 'vocabs')
    return {VOCABULARY_BASE + name: os.path.join(folder, name) for name in VOCABULARIES}


def load():
    """The ``eark_validator.packages`` module, imported without the network."""
    with _lock:
        if 'eark_validator.ipxml.schematron' in sys.modules:
            return importlib.import_module('eark_validator.packages')
        local = shipped_vocabularies()
        real = urllib.request.urlopen

        def urlopen(url, *args, **kwargs):
            path = local.get(getattr(url, 'full_url', url))
            if path is not None:
                return open(path, 'rb')
            return real(url, *args, **kwargs)
        urllib.request.urlopen = urlopen
        try:
            return importlib.import_module('eark_validator.packages')
        finally:
            urllib.request.urlopen = real

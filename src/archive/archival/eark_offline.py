"""eark-validator, importable offline.

eark-validator 1.1.3 reads four CSIP vocabularies from earkcsip.dilcis.eu when its schematron
module is imported, although the same files ship inside it (``eark_validator/ipxml/resources/
vocabs/``). With no network the import fails. ``load()`` answers exactly those URLs from the shipped
files, for the time of the import only (``urllib.request.urlopen`` is put back after it), and returns
the validator's ``packages`` module. Any other URL goes to the real ``urlopen``.

It also reads a package's METS.xml file entries when each element ends, not when it starts
(``_file_entries_at_their_end``): 1.1.3 looks for a ``<file>``'s ``<FLocat>`` child at the start
event, and lxml parses in blocks, so a ``<file>`` whose start tag ends a block has no child yet and
the validator stopped on ``'NoneType' object has no attribute 'attrib'`` — a METS over one block
(a few hundred documents) failed or passed by where its bytes fell.
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
            packages = importlib.import_module('eark_validator.packages')
        finally:
            urllib.request.urlopen = real
        _file_entries_at_their_end(importlib.import_module('eark_validator.mets'))
        return packages


def _file_entries_at_their_end(mets):
    """``MetsFiles.from_file`` of eark-validator 1.1.3 as it is, but reading each ``<file>`` and
    ``<mdRef>`` (and the root and header, whose attributes are all it reads) at its end event,
    when its children are parsed (module docstring)."""
    from lxml import etree
    qualify = mets.Namespaces.METS.qualify
    entry_tags, header, root = (qualify('file'), qualify('mdRef')), qualify('metsHdr'), qualify('mets')
    csip = mets.Namespaces.CSIP.qualify

    def from_file(mets_file):
        path = mets.get_path(mets_file, True)
        if not path.is_file():
            raise ValueError(mets.NOT_FILE.format(mets_file))
        ns, entries = {}, []
        othertype = contentinformationtype = oaispackagetype = mets_root = ''
        try:
            for event, element in etree.iterparse(mets_file, events=('end', 'start-ns')):
                if event == 'start-ns':
                    ns[element[0]] = element[1]
                elif element.tag in entry_tags:
                    entries.append(mets._parse_file_entry(element))
                elif element.tag == header:
                    oaispackagetype = element.get(csip('OAISPACKAGETYPE'), '')
                elif element.tag == root:
                    mets_root = mets.MetsFiles.details_from_mets_root(ns, element)
                    othertype = element.get(csip(mets.OTHERTYPE), '')
                    contentinformationtype = element.get(csip('CONTENTINFORMATIONTYPE'), '')
        except etree.XMLSyntaxError as ex:
            raise ValueError(mets.NOT_VALID_FILE.format(mets_file, 'XML')) from ex
        return mets.MetsFile.model_validate({
            'root': mets_root, 'oaispackagetype': oaispackagetype, 'othertype': othertype,
            'contentinformationtype': contentinformationtype, 'file_entries': entries})
    mets.MetsFiles.from_file = staticmethod(from_file)

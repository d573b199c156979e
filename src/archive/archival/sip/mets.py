"""The package's METS.xml: its sections spooled as the units are journaled, then written from
string templates (every value escaped), and the schemas it names (shipped with eark-validator)."""
import csv
import importlib.util
import os
import tempfile

from ..digest import CHUNK
from . import metadata, zipjournal

METS_NS = 'http://www.loc.gov/METS/'
CSIP_NS = 'https://DILCIS.eu/XML/METS/CSIPExtensionMETS'
SIP_NS = 'https://DILCIS.eu/XML/METS/SIPExtensionMETS'
XLINK_NS = 'http://www.w3.org/1999/xlink'
XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance'
PROFILE = 'https://earksip.dilcis.eu/profile/E-ARK-SIP.xml'
SCHEMAS = ('mets.xsd', 'xlink.xsd', 'DILCISExtensionMETS.xsd', 'DILCISExtensionSIPMETS.xsd')
CONTENT_TYPE = 'VN-HOSO'           # our content information type: records files of the national rules


def document(package_id, body, created, listing, sections):
    """METS.xml from string templates (every value escaped): the header, then the spooled
    sections copied in order."""
    esc = metadata.escape
    yield (f"<?xml version='1.0' encoding='UTF-8'?>\n"
           f'<mets xmlns="{METS_NS}" xmlns:csip="{CSIP_NS}" xmlns:sip="{SIP_NS}" xmlns:xlink="{XLINK_NS}" '
           f'xmlns:xsi="{XSI_NS}" OBJID="{esc(package_id)}" '
           f'LABEL="{esc("Chuyển giao hồ sơ của " + body.name)}" TYPE="Textual works – Digital" '
           f'csip:CONTENTINFORMATIONTYPE="MIXED" PROFILE="{PROFILE}" '
           f'xsi:schemaLocation="{METS_NS} schemas/mets.xsd {XLINK_NS} schemas/xlink.xsd '
           f'{CSIP_NS} schemas/DILCISExtensionMETS.xsd {SIP_NS} schemas/DILCISExtensionSIPMETS.xsd">'
           f'<metsHdr CREATEDATE="{created}" RECORDSTATUS="NEW" csip:OAISPACKAGETYPE="SIP">'
           '<agent ROLE="CREATOR" TYPE="OTHER" OTHERTYPE="SOFTWARE"><name>party-archive</name>'
           f'<note csip:NOTETYPE="SOFTWARE VERSION">{esc(_version())}</note></agent>'
           f'<agent ROLE="ARCHIVIST" TYPE="ORGANIZATION"><name>{esc(body.name)}</name>'
           f'<note csip:NOTETYPE="IDENTIFICATIONCODE">{esc(body.code)}</note></agent>'
           '</metsHdr>\n').encode('utf-8')
    yield from sections.read('dmd')
    yield b'<amdSec ID="amd">\n'
    yield from sections.read('amd')
    yield b'</amdSec>\n<fileSec ID="filesec">\n'
    # every group says OTHER + VN-HOSO: eark-validator 1.1.3's CSIP63 accepts nothing else
    doc_file = file_element('file-doc', listing['path'], listing['mime'], listing['size'], created, listing['sha256'])
    for use, ident, content in (('Documentation', 'grp-doc', [doc_file.encode('utf-8')]),
                             ('Schemas', 'grp-schemas', sections.read('schema')),
                             ('Representations/rep1', 'grp-rep1', sections.read('rep'))):
        yield (f'<fileGrp ID="{ident}" USE="{use}" csip:CONTENTINFORMATIONTYPE="OTHER" '
               f'csip:OTHERCONTENTINFORMATIONTYPE="{CONTENT_TYPE}">\n').encode('utf-8')
        yield from content
        yield b'</fileGrp>\n'
    yield (f'</fileSec>\n<structMap ID="structmap" TYPE="PHYSICAL" LABEL="CSIP">'
           f'<div ID="div-root" LABEL="{esc(package_id)}"><div ID="div-metadata" LABEL="Metadata" '
           f'DMDID="{sections.ids("dmd")}" ADMID="{sections.ids("amd")}"/>').encode('utf-8')
    for label, grp in (('Documentation', 'grp-doc'), ('Schemas', 'grp-schemas'), ('Representations', 'grp-rep1')):
        yield f'<div ID="div-{grp}" LABEL="{label}"><fptr FILEID="{grp}"/></div>'.encode('utf-8')
    yield b'</div></structMap>\n</mets>\n'


class Sections:
    """The METS sections of the package's entries (dmdSec, digiprovMD, the files of the schemas
    and of the representation) and the rows of its file list, each spooled to a temporary file as
    the units are journaled, and read back in order (memory stays flat for any number of entries)."""

    KINDS = ('dmd', 'amd', 'schema', 'rep')

    def __init__(self, folder):
        # beside the package (its disk holds the package anyway; /tmp may be memory)
        self.files = {kind: tempfile.TemporaryFile('w+', encoding='utf-8', newline='', dir=folder, prefix='.sip-')
                      for kind in self.KINDS + ('csv',)}
        self.rows = csv.writer(self.files['csv'], lineterminator='\n')
        self.counts = dict.fromkeys(self.KINDS, 0)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for f in self.files.values():
            f.close()

    def add(self, record):
        """An entry of the package: ``record`` as the zip's journal has it, its ``ABOUT`` being
        ``[kind, mime, created, document, label, use]``."""
        path, size, sha = record[zipjournal.PATH], record[zipjournal.SIZE], record[zipjournal.SHA256]
        kind, mime, created, doc, label, use = record[zipjournal.ABOUT]
        self.rows.writerow((path, size, sha, mime, doc or '', label or ''))
        if kind not in self.counts:
            return
        self.counts[kind] += 1
        n = self.counts[kind]
        if kind == 'dmd':
            text = f'<dmdSec ID="dmd-{n}" STATUS="CURRENT" CREATED="{created}">' \
                   f'{_md_ref(path, mime, size, created, sha, "OTHER")}</dmdSec>\n'
        elif kind == 'amd':
            text = f'<digiprovMD ID="amd-{n}" STATUS="CURRENT">{_md_ref(path, mime, size, created, sha, "PREMIS")}' \
                   '</digiprovMD>\n'
        else:
            text = file_element(f'file-{kind[0]}{n}', path, mime, size, created, sha, use) + '\n'
        self.files[kind].write(text)

    def read(self, kind):
        """The spooled text of ``kind`` as the UTF-8 bytes it was written as (read from the binary
        file under the text one: not decoded to be encoded again)."""
        f = self.files[kind]
        f.flush()
        raw = f.buffer
        raw.seek(0)
        while chunk := raw.read(CHUNK):
            yield chunk

    def ids(self, kind):
        return ' '.join(f'{kind}-{n}' for n in range(1, self.counts[kind] + 1))


def _md_ref(path, mime, size, created, sha, mdtype):
    esc = metadata.escape
    other = f' OTHERMDTYPE="{CONTENT_TYPE}"' if mdtype == 'OTHER' else ''
    return (f'<mdRef LOCTYPE="URL" xlink:type="simple" xlink:href="{esc(path)}" MDTYPE="{mdtype}"{other} '
            f'MIMETYPE="{esc(mime)}" SIZE="{size}" CREATED="{esc(created)}" '
            f'CHECKSUM="{sha.upper()}" CHECKSUMTYPE="SHA-256"/>')


def file_element(ident, path, mime, size, created, sha, use=None):
    esc = metadata.escape
    use = f' USE="{esc(use)}"' if use else ''
    return (f'<file ID="{ident}" MIMETYPE="{esc(mime)}" SIZE="{size}" CREATED="{esc(created)}" '
            f'CHECKSUM="{sha.upper()}" CHECKSUMTYPE="SHA-256"{use}><FLocat LOCTYPE="URL" '
            f'xlink:type="simple" xlink:href="{esc(path)}"/></file>')


def schema(name):
    spec = importlib.util.find_spec('eark_validator')
    folder = os.path.join(os.path.dirname(spec.origin), 'ipxml', 'resources', 'schema')
    with open(os.path.join(folder, name), 'rb') as f:
        return f.read()


def _version():
    try:
        from importlib.metadata import version
        return version('party-archive')
    except Exception:           # noqa: BLE001 - running from a source tree
        return '0'

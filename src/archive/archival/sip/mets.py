"""The package's METS.xml: its sections spooled while the journal is read once, then written from
string templates (every value escaped), and the schemas it names (shipped with eark-validator)."""
import importlib.util
import os
import pickle
import tempfile

from ..digest import CHUNK
from . import metadata

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
    for use, ident, content in (('Documentation', 'grp-doc', [file_element('file-doc', listing).encode('utf-8')]),
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
    and of the representation) and the zip's records, each spooled to a temporary file as the
    journal is read once, and read back in order (memory stays flat for any number of entries)."""

    KINDS = ('dmd', 'amd', 'schema', 'rep')

    def __init__(self, folder):
        # beside the package (its disk holds the package anyway; /tmp may be memory)
        self.files = {kind: tempfile.TemporaryFile(dir=folder, prefix='.sip-')
                      for kind in ('dmd', 'amd', 'schema', 'rep', 'zip')}
        self.counts = dict.fromkeys(self.files, 0)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for f in self.files.values():
            f.close()

    def add(self, e, created):
        kind = e['kind']
        if kind not in self.KINDS:
            return
        self.counts[kind] += 1
        n = self.counts[kind]
        if kind == 'dmd':
            text = f'<dmdSec ID="dmd-{n}" STATUS="CURRENT" CREATED="{created}">{_md_ref(e, "OTHER")}</dmdSec>\n'
        elif kind == 'amd':
            text = f'<digiprovMD ID="amd-{n}" STATUS="CURRENT">{_md_ref(e, "PREMIS")}</digiprovMD>\n'
        else:
            text = file_element(f'file-{kind[0]}{n}', e) + '\n'
        self.files[kind].write(text.encode('utf-8'))

    def add_zip(self, records):
        pickle.dump(records, self.files['zip'], pickle.HIGHEST_PROTOCOL)   # our own temporary file

    def read(self, kind):
        f = self.files[kind]
        f.flush()
        f.seek(0)
        while chunk := f.read(CHUNK):
            yield chunk

    def ids(self, kind):
        return ' '.join(f'{kind}-{n}' for n in range(1, self.counts[kind] + 1))

    def zip_records(self):
        f = self.files['zip']
        f.flush()
        f.seek(0)
        while True:
            try:
                records = pickle.load(f)
            except EOFError:
                return
            yield from records


def _md_ref(e, mdtype):
    esc = metadata.escape
    other = f' OTHERMDTYPE="{CONTENT_TYPE}"' if mdtype == 'OTHER' else ''
    return (f'<mdRef LOCTYPE="URL" xlink:type="simple" xlink:href="{esc(e["path"])}" MDTYPE="{mdtype}"{other} '
            f'MIMETYPE="{esc(e["mime"])}" SIZE="{e["size"]}" CREATED="{esc(e["created"])}" '
            f'CHECKSUM="{e["sha256"].upper()}" CHECKSUMTYPE="SHA-256"/>')


def file_element(ident, e):
    esc = metadata.escape
    use = f' USE="{esc(e["use"])}"' if 'use' in e else ''
    return (f'<file ID="{ident}" MIMETYPE="{esc(e["mime"])}" SIZE="{e["size"]}" CREATED="{esc(e["created"])}" '
            f'CHECKSUM="{e["sha256"].upper()}" CHECKSUMTYPE="SHA-256"{use}><FLocat LOCTYPE="URL" '
            f'xlink:type="simple" xlink:href="{esc(e["path"])}"/></file>')


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

"""Transfer packages (issue 14, items 6 and 7): an E-ARK SIP of records files built from the demo's
real documents (real PDFs, the real signature verdicts and journal), checked with eark-validator and
bagit; bad input each with its own test."""
import datetime as dt
import hashlib
import os
import zipfile
from types import SimpleNamespace

import pytest
from lxml import etree

from archive.archival import sip
from archive.seed import HOST
from tests.conftest import open_root

METS = '{http://www.loc.gov/METS/}'
XLINK_HREF = '{http://www.w3.org/1999/xlink}href'


def records_file(docs, code='01.VP/HS-2026', secret=False, **over):
    values = dict(code=code, title='Hồ sơ công tác văn thư năm 2026', year=2026, body_code=HOST,
                  unit_code='VP', responsible='vanthu', opened_on=dt.date(2026, 1, 5),
                  closed_on=dt.date(2026, 11, 30), retention_years=None, plan_entry='01.VP',
                  document_names=[d.__name__ for d in docs], secret=secret)
    values.update(over)
    return SimpleNamespace(**values)


@pytest.fixture
def demo(file_app):
    conn, root = open_root(file_app)
    body = root['bodies'][HOST]
    docs = {name: body.documents[name] for name in body.documents.newest_first()}
    yield SimpleNamespace(app=file_app, conn=conn, root=root, body=body, docs=docs,
                          settings=file_app.registry.archive_settings)
    conn.transaction_manager.abort()
    conn.close()


def plain(demo):
    """The demo's documents that are not Mật, with their files (the signed incoming one, the
    outgoing one signed through its lifecycle, the paper intake, the unsigned draft)."""
    return [d for d in demo.docs.values() if d.classification != 'mat']


def export(demo, tmp_path, files, name='pkg-1', **kw):
    target = str(tmp_path / f'{name}.zip')
    by_code = {f.code: f for f in files}
    report = sip.write_package(target, name, demo.body, files,
                               lambda f: (demo.docs[n] for n in by_code[f.code].document_names), **kw)
    return target, report


def mets_of(target, package_id):
    with zipfile.ZipFile(target) as zf:
        return etree.fromstring(zf.read(f'{package_id}/METS.xml'))


def test_package_is_a_valid_sip_with_originals_bit_exact(demo, tmp_path):
    docs = plain(demo)
    steps = []
    target, report = export(demo, tmp_path, [records_file(docs)], progress=lambda d, t: steps.append((d, t)))
    assert sip.validate(target) == []
    assert steps[-1] == (len(docs), len(docs)) and len(steps) == len(docs)
    with open(target, 'rb') as f:
        assert report.sha256 == hashlib.sha256(f.read()).hexdigest()
    with zipfile.ZipFile(target) as zf:
        names = zf.namelist()
        assert {n.split('/', 1)[0] for n in names} == {'pkg-1'}
        for doc in docs:
            for n, f in enumerate(doc.file_list(), 1):
                stored = [x for x in names if x.startswith(f'pkg-1/representations/rep1/data/01.VP-HS-2026/'
                                                           f'{doc.__name__}/{n}-')]
                with f.open() as blob:
                    assert zf.read(stored[0]) == blob.read()
        assert 'pkg-1/documentation/file-list.csv' in names
        assert any(n.startswith('pkg-1/schemas/') for n in names)
    mets = mets_of(target, 'pkg-1')
    files = mets.findall(f'.//{METS}file')
    assert files and all(f.get('MIMETYPE') and f.get('SIZE') and f.get('CREATED')
                         and f.get('CHECKSUMTYPE') == 'SHA-256' for f in files)
    assert report.originals == sum(len(d.file_list()) for d in docs)


def test_descriptive_and_preservation_metadata_as_recorded(demo, tmp_path):
    docs = plain(demo)
    signed = next(d for d in docs if isinstance(d.origin_verdict, dict) and d.direction == 'incoming')
    target, _report = export(demo, tmp_path, [records_file(docs)])
    with zipfile.ZipFile(target) as zf:
        hoso = etree.fromstring(zf.read('pkg-1/metadata/descriptive/01.VP-HS-2026/ho-so.xml'))
        premis = etree.fromstring(zf.read(f'pkg-1/metadata/preservation/01.VP-HS-2026/{signed.__name__}.premis.xml'))
        desc = etree.fromstring(zf.read(f'pkg-1/metadata/descriptive/01.VP-HS-2026/{signed.__name__}.xml'))
    ns = {'h': sip.metadata.NS, 'p': sip.metadata.PREMIS}
    assert hoso.findtext('h:FileCode', namespaces=ns) == '01.VP/HS-2026'
    assert hoso.findtext('h:Retention', namespaces=ns) == 'vinh-vien'
    assert hoso.findtext('h:DocumentCount', namespaces=ns) == str(len(docs))
    assert desc.findtext('h:CodeNotation', namespaces=ns) == signed.number_symbol
    assert desc.findtext('h:SignatureVerdict/h:CheckedAt', namespaces=ns) == signed.origin_verdict['checked_at']
    events = {e.findtext('p:eventType', namespaces=ns): e for e in premis.iterfind('p:event', ns)}
    assert {'ingestion', 'digital signature validation', 'transfer'} <= set(events)
    check = events['digital signature validation']
    assert check.findtext('p:eventOutcomeInformation/p:eventOutcome', namespaces=ns) == \
        signed.origin_verdict['status']

"""Transfer packages prepared by worker processes (issue 14, the export's speed): the same package,
byte for byte, as the exporting process alone writes; read at the exporter's own snapshot; a
damaged blob named the same way (``test_transfer_package``: the SIGKILL test runs with workers too)."""
import datetime as dt
import io
import os
import zipfile

import pytest
import transaction
from lxml import etree

from archive import clock
from archive.archival import sip
from archive.archival.digest import CHUNK
from archive.resources.files import ATTACHMENT, PDF, File, write_content
from tests.conftest import open_root
from tests.functional.test_transfer_package import (  # noqa: F401
    damage_blob, demo, export, paper_only, plain, records_file)

NOW = dt.datetime(2026, 12, 3, 9, 30, tzinfo=clock.VN)


@pytest.fixture
def fixed_clock():
    clock.set_now(NOW)
    yield
    clock.set_now(None)


def test_workers_write_the_same_package_byte_for_byte_and_the_exporter_loads_no_document(demo, tmp_path,
                                                                                         fixed_clock):
    """The demo's documents, one with an original over one block (streamed: done by the exporter)
    and a paper letter not committed yet (done by the exporter): the package written with two
    workers is the very bytes of the one written without, and the exporting connection loaded
    none of the documents the workers did."""
    docs = plain(demo)
    big = next(d for d in docs if d.file_list())
    content = b'%PDF-1.7\n' + os.urandom(CHUNK + 100)
    f = File('ban-lon.pdf', ATTACHMENT)
    write_content(f, io.BytesIO(content))
    f.size, f.media_type = len(content), PDF
    big.add_file(f)
    demo.conn.transaction_manager.commit()
    docs = docs + [paper_only(demo)]
    os.makedirs(tmp_path / 'one')
    os.makedirs(tmp_path / 'two')
    files = [records_file(docs)]
    alone, alone_report = export(demo, tmp_path / 'one', files)
    demo.conn.cacheMinimize()
    demo.conn.getTransferCounts(clear=True)
    shared, shared_report = export(demo, tmp_path / 'two', files, workers=2)
    loads, _stores = demo.conn.getTransferCounts()
    with open(alone, 'rb') as one, open(shared, 'rb') as two:
        assert one.read() == two.read()
    assert shared_report == alone_report.__class__(**{**vars(alone_report), 'path': shared})
    assert sip.validate(shared) == []
    # the exporter loads the document with the big original and its files (it streams it; their
    # blobs are not loaded, their files asked of the storage) and the body; the workers read the others
    assert loads == 1 + len(big.file_list()) + 1 < len(docs) + 2 * len(docs)


def test_workers_read_what_the_exporting_transaction_sees(demo, tmp_path):
    """A change committed by someone else after the exporting transaction began is not in the
    package (the workers read at the exporter's snapshot, as the exporter itself would), and a
    change of the exporting transaction not committed yet is (that document is done here)."""
    docs = plain(demo)
    seen, theirs = docs[0], docs[1]
    before = theirs.abstract
    demo.conn.cacheMinimize()
    other, root = open_root(demo.app)
    try:
        body = root['bodies'][demo.body.code]
        body.documents[theirs.__name__].abstract = 'Đã sửa sau khi xuất gói bắt đầu'
        other.transaction_manager.commit()
    finally:
        other.close()
    seen.abstract = 'Sửa trong giao dịch xuất, chưa lưu'
    target, _report = export(demo, tmp_path, [records_file(docs)], workers=2)
    ns = {'h': sip.metadata.NS}
    with zipfile.ZipFile(target) as zf:
        def subject(doc):
            record = zf.read(f'pkg-1/metadata/descriptive/01.VP-HS-2026/{doc.__name__}.xml')
            return etree.fromstring(record).findtext('h:Subject', namespaces=ns)
        assert subject(theirs) == before
        assert subject(seen) == 'Sửa trong giao dịch xuất, chưa lưu'
    transaction.abort()


@pytest.mark.parametrize('damage', ['missing', 'changed'])
def test_a_worker_names_a_missing_or_damaged_blob_as_the_exporter_does(demo, tmp_path, damage):
    docs = plain(demo)
    victim = [d for d in docs if d.file_list()][-1]
    f = victim.file_list()[0]
    damage_blob(f.blob.committed(), damage)
    demo.conn.cacheMinimize()
    with pytest.raises(sip.TransferError) as exc:
        export(demo, tmp_path, [records_file(docs)], workers=2)
    error = exc.value
    assert error.code == ('transfer_blob_missing' if damage == 'missing' else 'transfer_blob_damaged')
    assert (error.document, error.file) == (victim.__name__, f.__name__)
    assert f.filename in error.message.interpolate()
    assert not os.path.exists(tmp_path / 'pkg-1.zip')
    # the documents before it were written and journaled: a second run resumes them
    with open(tmp_path / 'pkg-1.zip.part.log', encoding='utf-8') as log:
        assert len(log.readlines()) == 2 + docs.index(victim)

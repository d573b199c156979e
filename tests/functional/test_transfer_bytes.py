"""The transfer package's bytes (issue 14, the export's speed), on a FileStorage and on ZEO: an
original's file found without loading its blob (``sip.stored``) gives the very package
ZODB's own ``Blob.committed()`` gives; a resumed export writes the very bytes of an uninterrupted one;
an original not committed yet (in this transaction, or in a savepoint of it) is read from its blob;
every entry's CRC-32 is the one zlib computes (``zipfile`` checks it)."""
import datetime as dt
import hashlib
import io
import os
import zipfile
from types import SimpleNamespace

import pytest

from archive import clock
from archive.archival import sip
from archive.resources.files import ATTACHMENT, PDF, File, write_content
from archive.seed import HOST
from tests.conftest import open_root
from tests.functional.test_transfer_package import export, plain, records_file

NOW = dt.datetime(2026, 12, 3, 9, 30, tzinfo=clock.VN)
pytestmark = pytest.mark.storage


@pytest.fixture
def demo(app):
    conn, root = open_root(app)
    body = root['bodies'][HOST]
    docs = {name: body.documents[name] for name in body.documents.newest_first()}
    clock.set_now(NOW)
    yield SimpleNamespace(app=app, conn=conn, root=root, body=body, docs=docs, settings=app.registry.archive_settings)
    clock.set_now(None)
    conn.transaction_manager.abort()
    conn.close()


def _bytes(path):
    with open(path, 'rb') as f:
        return f.read()


def _originals(target, package_id):
    """``{path in the package: bytes}`` of the originals, every entry's CRC checked by zipfile."""
    with zipfile.ZipFile(target) as zf:
        assert zf.testzip() is None
        prefix = f'{package_id}/{sip.package.REP}/data/'
        return {n[len(prefix):]: zf.read(n) for n in zf.namelist() if n.startswith(prefix)
                and not n.endswith(sip.package.PAPER_RECORD)}


def test_the_package_is_the_same_bytes_whether_the_blobs_are_loaded_or_not(demo, tmp_path):
    docs = plain(demo)
    files = [records_file(docs)]
    demo.conn.cacheMinimize()
    stored = [f for d in docs for f in d.file_list()]
    assert stored and all(f.blob._p_changed is None for f in stored)     # ghosts: asked of the storage
    os.makedirs(tmp_path / 'ghosts')
    os.makedirs(tmp_path / 'loaded')
    ghosts, _report = export(demo, tmp_path / 'ghosts', files)
    for f in stored:
        f.blob._p_activate()                # loaded: ZODB's Blob.committed() names the file
    assert all(f.blob._p_changed is False for f in stored)
    loaded, _report = export(demo, tmp_path / 'loaded', files)
    assert _bytes(ghosts) == _bytes(loaded)
    originals = _originals(ghosts, 'pkg-1')
    assert len(originals) == len(stored)
    assert sorted(hashlib.sha256(b).hexdigest() for b in originals.values()) == sorted(f.sha256 for f in stored)
    assert sip.validate(ghosts) == []


def test_an_interrupted_export_resumed_is_the_same_bytes(demo, tmp_path):
    docs = plain(demo)
    files = [records_file(docs)]
    os.makedirs(tmp_path / 'whole')
    os.makedirs(tmp_path / 'resumed')
    whole, _report = export(demo, tmp_path / 'whole', files)

    def stop(done, total):
        if done == 2:
            raise RuntimeError('interrupted')
    demo.conn.cacheMinimize()
    with pytest.raises(RuntimeError):
        export(demo, tmp_path / 'resumed', files, progress=stop)
    resumed, report = export(demo, tmp_path / 'resumed', files)
    assert report.resumed_units == 3                # the schemas and two documents, verified
    assert _bytes(resumed) == _bytes(whole)


def test_an_original_not_committed_yet_is_read_from_its_blob(demo, tmp_path):
    """A file added in the exporting transaction, and one added before a savepoint of it (its blob
    then a ghost whose record is in the savepoint): each exported as written, beside the committed
    ones."""
    docs = plain(demo)
    doc = next(d for d in docs if d.file_list())
    contents = []
    for name in ('moi.pdf', 'sau-savepoint.pdf'):
        content = b'%PDF-1.7\n' + os.urandom(5000)
        f = File(name, ATTACHMENT)
        write_content(f, io.BytesIO(content))
        f.size, f.media_type = len(content), PDF
        doc.add_file(f)
        contents.append((name, content))
        if name == 'moi.pdf':
            demo.conn.transaction_manager.savepoint()
    saved = next(f for f in doc.file_list() if f.filename == 'moi.pdf')
    assert saved.blob._p_changed is None            # the savepoint made it a ghost
    target, report = export(demo, tmp_path, [records_file(docs)])
    originals = _originals(target, 'pkg-1')
    for name, content in contents:
        assert [b for p, b in originals.items() if p.endswith(name)] == [content]
    stored = [f for d in docs for f in d.file_list()]
    assert report.originals == len(stored) == len(originals)
    assert sorted(hashlib.sha256(b).hexdigest() for b in originals.values()) == sorted(f.sha256 for f in stored)


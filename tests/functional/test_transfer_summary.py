"""Documents' export summaries (issue 14, the export's speed; ``resources.summary``): kept current
with every value a transfer package writes, however it changes; written for documents stored before
by evolve step 0025; and a package written from them is the very package written from the
documents."""
import datetime as dt
import io
import os

import pytest
from ZODB.blob import Blob

from archive import clock
from archive.evolve import summarise_for_export
from archive.resources import summary
from archive.resources.files import ATTACHMENT, PDF, File, write_content
from tests.functional.test_transfer_bytes import NOW
from tests.functional.test_transfer_package import demo, export, plain, records_file  # noqa: F401 - a fixture

pytestmark = pytest.mark.storage


@pytest.fixture
def fixed():
    clock.set_now(NOW)
    yield
    clock.set_now(None)


def _changed(name, value):
    """Another value of the same kind (what the package then says differently)."""
    if name in ('pages', 'size', 'register_number'):
        return (value or 0) + 1
    if isinstance(value, bool):
        return not value
    if isinstance(value, dt.datetime):
        return value + dt.timedelta(days=1, minutes=7)
    if isinstance(value, dt.date):
        return value + dt.timedelta(days=1)
    if isinstance(value, dict):
        return dict(value, reason='Chứng thư đã bị thu hồi & <ghi lại>')
    if isinstance(value, tuple):
        return (*value, (clock.iso(NOW), 'invalid', 'revoked', '1', 'ab' * 32))
    if isinstance(value, int):
        return value + 1
    return f'{value or "moi"}-2'


def _current(demo, doc):
    held = demo.body.documents.summaries.get(doc.__name__)
    return held is not None and held.values == summary.values_of(doc)


def _same_package(demo, tmp_path, docs, label):
    os.makedirs(tmp_path / label / 'from-documents')
    os.makedirs(tmp_path / label / 'from-summaries')
    files = [records_file(docs)]
    plain_target, _r = export(demo, tmp_path / label / 'from-documents', files)
    summed, _r = export(demo, tmp_path / label / 'from-summaries', files, summaries=demo.body.documents.summaries)
    with open(plain_target, 'rb') as a, open(summed, 'rb') as b:
        assert a.read() == b.read()


def test_the_summary_follows_each_value_the_package_writes(demo, tmp_path, fixed):
    """Each summarised value of a document and of a file, assigned (the way every path changes
    them: the edit form's ``apply``, the workflow, signing, sealing), changes the summary in the
    same transaction (a document's as it commits, a file's at once); the package written from the
    summaries, committed or not, is the package written from the documents."""
    docs = plain(demo)
    doc = next(d for d in docs if d.file_list())
    assert all(_current(demo, d) for d in docs)
    tm = demo.conn.transaction_manager
    for name in summary.DOCUMENT:
        setattr(doc, name, _changed(name, getattr(doc, name)))
        tm.commit()                     # a document's summary is kept as its transaction commits
        assert _current(demo, doc), name
    doc.parsed = None
    doc.abstract = 'Trích yếu sửa lần nữa'
    tm.savepoint()
    assert not _current(demo, doc)      # due, once, at commit
    tm.commit()
    assert _current(demo, doc)
    doc.notes = 'Ghi chú chưa lưu'      # read from the document itself until its transaction commits
    f = doc.file_list()[0]
    for name in set(summary.FILE) - {'__name__', 'blob', 'encrypted', 'sha256', 'stored_sha256', 'size'}:
        setattr(f, name, _changed(name, getattr(f, name)))
        assert _current(demo, doc), name
    _same_package(demo, tmp_path, docs, 'not-committed')
    content = b'%PDF-1.7\n' + os.urandom(3000)      # a new blob (as sealing writes one), its hash and size
    f.blob = Blob()
    write_content(f, io.BytesIO(content))
    f.size = len(content)
    assert _current(demo, doc)
    added = File('phu-luc.pdf', ATTACHMENT)
    write_content(added, io.BytesIO(b'%PDF-1.4\nphu luc'))
    added.size, added.media_type = 16, PDF
    doc.add_file(added)
    demo.conn.transaction_manager.commit()
    demo.conn.cacheMinimize()
    assert all(_current(demo, d) for d in docs)
    _same_package(demo, tmp_path, docs, 'committed')
    doc.remove_file(added.__name__)
    f.encrypted = True                  # a sealed file: the document is read itself
    assert _current(demo, doc)
    f.encrypted = False
    demo.conn.transaction_manager.commit()
    _same_package(demo, tmp_path, docs, 'removed')


def test_the_edit_form_and_a_signature_change_the_summary(demo, fixed):
    """The paths that change a document's values most: ``Document.apply`` (the edit form and the
    API) and a file superseded by its signed copy (``services.signing``: the old file's role)."""
    from archive.services.signing import _new_file
    from archive.schemas.document import FIELDS
    doc = next(d for d in plain(demo) if d.file_list())
    changed = doc.apply({name: _changed(name, getattr(doc, name)) for name in FIELDS
                         if name in summary.DOCUMENT and name != 'issued_date'} | {'number_symbol': '12/QĐ-TU'}, ())
    assert {'abstract', 'number_symbol', 'sender'} <= set(changed)
    demo.conn.transaction_manager.commit()
    assert _current(demo, doc)
    assert demo.body.documents.summaries[doc.__name__].fields()[0]['parsed_number'] == doc.parsed.number
    old = doc.file_list()[0]
    role = old.role
    _new_file(doc, old, b'%PDF-1.7\nda ky', role, 'vanthu', demo.app.registry)
    demo.conn.transaction_manager.commit()
    assert _current(demo, doc)
    roles = [f['role'] for f in demo.body.documents.summaries[doc.__name__].fields()[1]]
    assert roles[0] == old.role != role and roles[-1] == role


def test_the_export_reads_one_summary_a_document(demo, tmp_path):
    """Written from the summaries, the package loads one small record a document: neither the
    document nor its files (nor their blobs)."""
    docs = plain(demo)
    files, summaries = [records_file(docs)], demo.body.documents.summaries
    demo.conn.cacheMinimize()
    demo.conn.getTransferCounts(clear=True)
    _target, report = export(demo, tmp_path, files, summaries=summaries)
    loads, _stores = demo.conn.getTransferCounts()
    assert report.documents == len(docs)
    # a summary each, the summaries' tree (one bucket here) and the body (its code); each document
    # read would be one more, and each of its files one more
    assert loads <= len(docs) + 2


def test_the_evolve_step_writes_every_documents_summary(demo, tmp_path, fixed):
    """Evolve step 0025 gives every document stored before it its summary (a second run changes
    nothing), and the package written from them is the package written from the documents."""
    docs = list(demo.docs.values())
    demo.body.documents.summaries = None
    demo.conn.transaction_manager.commit()
    summarise_for_export(demo.root)
    demo.conn.transaction_manager.commit()
    held = {name: s.values for name, s in demo.body.documents.summaries.items()}
    assert set(held) == {d.__name__ for d in docs}
    assert all(_current(demo, d) for d in docs)
    summarise_for_export(demo.root)
    assert not demo.conn._registered_objects                # nothing rewritten
    _same_package(demo, tmp_path, plain(demo), 'evolved')


"""The journal's hash chains: an edited, a deleted and a truncated entry are each detected."""
import pytest
import transaction
import ZODB
import ZODB.FileStorage

from archive import audit
from archive.resources.root import ArchiveRoot


@pytest.fixture
def db(tmp_path):
    storage = ZODB.FileStorage.FileStorage(str(tmp_path / 'Data.fs'), blob_dir=str(tmp_path / 'blobs'))
    database = ZODB.DB(storage)
    yield database
    database.close()


@pytest.fixture
def root(db):
    conn = db.open()
    conn.root()['archive'] = root = ArchiveRoot()
    for n in range(1, 6):
        audit.append(root, 'doc:a', 'changed', 'vanthu', n=n, text='Trích yếu')
    for n in range(1, 4):
        audit.append(root, 'doc:b', 'changed', 'lanhdao', n=n)
    transaction.commit()
    yield root
    transaction.abort()
    conn.close()


def test_intact_journal_verifies(root):
    assert audit.verify(root) == []
    assert [e['details']['n'] for e in audit.entries(root, 'doc:a')] == [1, 2, 3, 4, 5]
    first, second = audit.entries(root, 'doc:a')[:2]
    assert second['prev'] == first['hash'] and first['prev'] == audit.GENESIS


def test_edited_entry_is_detected(root):
    chain = root.journal.chains['doc:a']
    at, actor, action, details, prev, digest = chain.entries[3]
    chain.entries[3] = (at, 'someone-else', action, details, prev, digest)
    transaction.commit()
    assert audit.verify(root) == ['chain doc:a: entry 3 was altered (hash mismatch)']


def test_edited_entry_with_recomputed_hash_breaks_the_next_link(root):
    chain = root.journal.chains['doc:a']
    at, actor, action, details, prev, _digest = chain.entries[2]
    forged = audit.entry_hash('doc:a', 2, at, actor, 'deleted', details, prev)
    chain.entries[2] = (at, actor, 'deleted', details, prev, forged)
    transaction.commit()
    assert audit.verify(root) == ['chain doc:a: entry 3 does not follow entry 2']


def test_deleted_entry_is_detected(root):
    del root.journal.chains['doc:b'].entries[2]
    transaction.commit()
    assert audit.verify(root) == ['chain doc:b: entry 2 is missing (deleted)']


def test_truncated_chain_is_detected_by_its_head(root):
    del root.journal.chains['doc:a'].entries[5]
    transaction.commit()
    assert audit.verify(root) == [
        'chain doc:a: head says 5 entries, 4 found (entries removed at the end)']


def test_truncated_chain_with_rewritten_head_is_caught_by_the_exported_checkpoint(root):
    audit.checkpoint(root)
    transaction.commit()
    exported = audit.export_checkpoints(root)
    # The attacker cuts the chain and fixes the head and the stored checkpoints too.
    chain = root.journal.chains['doc:a']
    del chain.entries[5]
    del chain.entries[4]
    chain.length = 3
    chain.head = chain.entries[3][5]
    for number in list(root.journal.checkpoints.keys()):
        del root.journal.checkpoints[number]
    transaction.commit()
    assert audit.verify(root) == []   # nothing inside the database shows it...
    assert audit.verify(root, exported) == [
        'chain doc:a: truncated, exported checkpoint has 5 entries, 3 found']


def test_checkpoints_fold_only_what_moved_and_chain_together(root):
    first = audit.checkpoint(root)
    assert set(first.heads) == {'doc:a', 'doc:b'}
    audit.append(root, 'doc:b', 'file_downloaded', 'luutru')
    second = audit.checkpoint(root)
    assert set(second.heads) == {'doc:b'} and second.prev == first.hash
    transaction.commit()
    exported = audit.export_checkpoints(root)
    assert audit.verify(root, exported) == []
    exported['checkpoints'][0]['heads']['doc:a'][0] = 4
    assert audit.verify(root, exported) == ['exported checkpoint 1 was altered or is out of order']


def test_rewritten_history_before_a_checkpoint_is_detected(root):
    audit.checkpoint(root)
    transaction.commit()
    exported = audit.export_checkpoints(root)
    # Rebuild doc:b's chain from scratch with different content: internally consistent.
    del root.journal.chains['doc:b']
    for n in range(1, 4):
        audit.append(root, 'doc:b', 'changed', 'lanhdao', n=n * 10)
    transaction.commit()
    problems = audit.verify(root, exported)
    assert 'chain doc:b: entry 3 differs from the exported checkpoint' in problems
    assert 'chain doc:b: entry 3 differs from the stored checkpoint' in problems

"""Background work: the journal checkpoint folded and exported outside the database."""
import json
import os

from archive import audit, background

from ..conftest import base_settings, close_app, file_uri, make_app, open_root


def test_checkpoint_round_writes_an_export_that_verifies(tmp_path, monkeypatch):
    monkeypatch.delenv(background.NO_THREADS_ENV, raising=False)
    export_dir = tmp_path / 'journal'
    app = make_app(base_settings(tmp_path, file_uri(tmp_path), **{
        'archive.journal_export_dir': str(export_dir), 'archive.background': 'true',
        'archive.journal_checkpoint_minutes': '600',
        # the exchange worker journals its heartbeat (chain ``worker``) whenever its thread gets
        # to it: with it on, "nothing moved" between the two rounds below is a race
        'archive.exchange_worker': 'false', 'archive.search_indexer': 'false'}))
    try:
        assert app.registry.archive_background_stop is not None      # the server's thread runs
        path = background.checkpoint_and_export(app.registry)
        exported = json.load(open(path, encoding='utf-8'))
        assert len(exported['checkpoints']) == 1 and exported['checkpoints'][0]['heads']
        again = json.load(open(background.checkpoint_and_export(app.registry), encoding='utf-8'))
        assert len(again['checkpoints']) == 1                           # nothing moved: no new checkpoint
        conn, root = open_root(app)
        assert audit.verify(root, exported) == []
        conn.close()
        assert os.listdir(export_dir) == [os.path.basename(path)]
    finally:
        app.registry.archive_background_stop.set()
        close_app(app)


def test_no_thread_without_the_setting(file_app):
    assert getattr(file_app.registry, 'archive_background_stop', None) is None

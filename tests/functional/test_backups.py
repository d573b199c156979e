"""Backups (Art. 15.5, issue 14 items 3, 4): repozo + blobs to two destinations, journaled; the
drill (backup, restore, byte-identical; a damaged backup file and blob each named); the pack
that never removes history no backup holds; destinations that fail."""
import contextlib
import os
import subprocess

import pytest
import transaction
import ZODB
from ZODB.FileStorage import FileStorage

from archive import audit, background
from archive.archival import backup, backup_restore, backup_schedule, backup_status
from archive.resources.files import File
from archive.resources.root import root_key

from ..conftest import base_settings, close_app, file_uri, make_app, open_root


def _app(tmp_path, *destinations, **extra):
    settings = {'archive.backup_destinations': '\n'.join(str(d) for d in destinations), **extra}
    return make_app(base_settings(tmp_path, file_uri(tmp_path), **settings))


@pytest.fixture
def two(tmp_path):
    """The app with two destinations."""
    dests = [tmp_path / 'dest-a', tmp_path / 'dest-b']
    application = _app(tmp_path, *dests)
    yield application, [str(d) for d in dests]
    close_app(application)


def add_file(app, content, name='phu-luc.pdf'):
    """A new blob: a file added to the first document of the host body, committed."""
    conn, root = open_root(app)
    try:
        doc = next(d for body in root['bodies'].values() for d in body.documents.values())
        f = File(name, 'attachment')
        with f.blob.open('w') as out:
            out.write(content)
        doc._file_seq += 1
        f.__name__ = str(100 + doc._file_seq)
        f.__parent__ = doc
        doc.files[f.__name__] = f
        conn.transaction_manager.commit()
        storage, oid = conn.db().storage, f.blob._p_oid
        return doc.body_code, doc.__name__, oid, storage.loadBlob(oid, storage.load(oid)[1])
    finally:
        conn.close()


def journaled(app):
    conn, root = open_root(app)
    try:
        return backup_status.recent_runs(root)
    finally:
        conn.close()


def verify(app, destination):
    db = app.registry._zodb_databases['']
    return backup_restore.verify(db, root_key(app.registry), destination)


def test_drill_backup_restore_identical_then_corruption_named(two, tmp_path):
    app, dests = two
    first = backup.run_and_journal(app.registry, actor='quantri')
    assert [(r['destination'], r['result'], r['kind']) for r in first] == [(d, 'ok', 'full') for d in dests]
    assert all(r['blobs'] > 0 and r['bytes'] > 0 for r in first)
    _body, _doc, _oid, live_blob = add_file(app, b'%PDF-1.4 new content of the annex')
    second = backup.run_and_journal(app.registry)
    assert [(r['result'], r['kind'], r['blobs']) for r in second] == [('ok', 'incremental', 1)] * 2
    runs = journaled(app)       # every run journaled, per destination, newest first
    assert [(r['destination'], r['kind'], r['result']) for r in runs] == \
        [(dests[1], 'incremental', 'ok'), (dests[0], 'incremental', 'ok'),
         (dests[1], 'full', 'ok'), (dests[0], 'full', 'ok')]
    assert runs[-1]['actor'] == 'quantri' and runs[0]['seconds'] >= 0 and runs[0]['bytes'] > 0

    for destination in dests:       # the drill: restore the latest set, identical to the live database
        report = verify(app, destination)
        assert report['problems'] == [] and report['differences'] == []
        assert report['counts']['documents'] > 0 and report['counts']['blobs'] > 0
        assert report['counts']['revisions'] > 0 and report['counts']['files'] > 0

    target = tmp_path / 'restored'            # restore: a database and its blobs in a new folder
    restored = backup_restore.restore(dests[0], str(target))
    assert restored['problems'] == []
    storage = FileStorage(restored['datafs'], read_only=True, blob_dir=restored['blob_dir'])
    try:
        oid_blob = next(oid for oid in [_oid])
        with open(storage.loadBlob(oid_blob, storage.load(oid_blob)[1]), 'rb') as f:
            assert f.read() == open(live_blob, 'rb').read()
    finally:
        storage.close()
    again = backup_restore.restore(dests[0], str(target))       # never over an existing database
    assert [p['code'] for p in again['problems']] == ['restore_target_not_new']

    # corruption of a repozo file and of a blob in the backup: each named
    repo = os.path.join(dests[0], 'repozo')
    delta = next(n for n in sorted(os.listdir(repo)) if n.endswith('.deltafs'))
    with open(os.path.join(repo, delta), 'r+b') as f:
        f.seek(10)
        f.write(b'\xff\xfe')
    set_id = backup.runs_on(dests[0])[-1]['set']
    rel = next(iter(backup.runs_on(dests[0])[0]['blobs']))
    blob_copy = os.path.join(dests[0], 'blobs', set_id, rel)
    with open(blob_copy, 'ab') as f:
        f.write(b'x')
    report = verify(app, dests[0])
    named = {(p['code'], p['what'].split(':')[0]) for p in report['problems']}
    assert named == {('backup_file_damaged', os.path.join(repo, delta)), ('backup_blob_damaged', blob_copy)}
    assert not os.path.exists(tmp_path / 'restored-2')
    assert backup_restore.restore(dests[0], str(tmp_path / 'restored-2'))['problems']
    assert not os.path.exists(tmp_path / 'restored-2')        # nothing written from a damaged set
    assert verify(app, dests[1])['differences'] == []         # the other destination is whole


def test_verify_names_the_document_whose_blob_differs_in_the_live_database(two):
    app, dests = two
    body, doc, _oid, live_blob = add_file(app, b'the signed original')
    assert all(r['result'] == 'ok' for r in backup.run_and_journal(app.registry))
    os.chmod(live_blob, 0o644)
    with open(live_blob, 'wb') as f:          # the live copy damaged on disk after the backup
        f.write(b'the signed originaX')
    report = verify(app, dests[0])
    assert [d['code'] for d in report['differences']] == ['blob_differs']
    assert f'{body}/documents/{doc} file "phu-luc.pdf" (blob)' in report['differences'][0]['what']


def test_rotation_keeps_the_newest_sets(tmp_path):
    dest = tmp_path / 'dest'
    app = _app(tmp_path, dest, **{'archive.backup_keep_sets': '2'})
    try:
        sets = []
        for n in range(3):
            add_file(app, b'content %d' % n)
            results = backup.run_and_journal(app.registry, force_full=True)
            assert results[0]['kind'] == 'full'
            sets.append(results[0]['set'])
        add_file(app, b'one more')
        assert backup.run_and_journal(app.registry)[0]['kind'] == 'incremental'
        assert sorted({r['set'] for r in backup.runs_on(str(dest))}) == sets[1:]
        assert sorted(os.listdir(dest / 'blobs')) == sets[1:]
        assert not [n for n in os.listdir(dest / 'repozo') if n.startswith(sets[0])]
        assert verify(app, str(dest))['differences'] == []
    finally:
        close_app(app)


# -- the pack never removes history no backup holds ------------------------------------------------

def _write_revisions(app, *values):
    """Commit each value in turn on one object; return its oid and the serials written."""
    conn, root = open_root(app)
    try:
        serials = []
        for value in values:
            root.backup_test_value = value
            conn.transaction_manager.commit()
            serials.append(root._p_serial)
        return root._p_oid, serials
    finally:
        conn.close()


def _history_kept(app, oid, serial):
    """Whether the revision that ``serial`` replaced can still be loaded."""
    storage = app.registry._zodb_databases[''].storage
    return storage.loadBefore(oid, serial) is not None


def test_scheduled_pack_keeps_what_no_backup_holds(two):
    app, _dests = two
    app.registry.archive_settings.pack_days = 0
    oid, (s1, s2) = _write_revisions(app, 'A', 'B')
    import time
    assert background.scheduled_pack(app.registry, 0, time.time() + 1) == 0     # no backup: no pack
    assert _history_kept(app, oid, s2)
    backup.run_and_journal(app.registry)
    backup.run_and_journal(app.registry)                      # (it holds the first run's journal entries, after B)
    _oid, (s3, s4) = _write_revisions(app, 'C', 'D')          # after the backup: in no backup
    now = time.time() + 1
    assert background.scheduled_pack(app.registry, 0, now) == now               # packed...
    assert _history_kept(app, oid, s4)                        # ...but C, which only the live database holds, stays
    assert not _history_kept(app, oid, s2)                    # A, older than the backup, is gone
    backup.run_and_journal(app.registry)                      # now a backup holds C and D...
    backup.run_and_journal(app.registry)                      # ...and what came after D
    assert background.scheduled_pack(app.registry, 0, time.time() + 1)
    assert not _history_kept(app, oid, s4)
    after = backup.run_and_journal(app.registry)                # repozo sees a packed file: a new full set
    assert [r['kind'] for r in after] == ['full', 'full'] and after[0]['set'] == after[0]['run']
    assert verify(app, _dests[0])['differences'] == []


def test_no_pack_while_one_destination_holds_nothing(tmp_path):
    app = _app(tmp_path, tmp_path / 'ok', tmp_path / 'a-file')
    (tmp_path / 'a-file').write_text('not a folder')
    try:
        app.registry.archive_settings.pack_days = 0
        oid, (_s1, s2) = _write_revisions(app, 'A', 'B')
        backup.run_and_journal(app.registry)
        import time
        assert background.scheduled_pack(app.registry, 0, time.time() + 1) == 0
        assert _history_kept(app, oid, s2)
    finally:
        close_app(app)


# -- bad input: destinations that fail, blobs missing or damaged --------------------------------------

@contextlib.contextmanager
def tmpfs(folder, options):
    """A small tmpfs mounted at ``folder`` (skips the test where mounting is not allowed)."""
    os.makedirs(folder)
    done = subprocess.run(['mount', '-t', 'tmpfs', '-o', options, 'tmpfs', str(folder)],
                          capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f'cannot mount a tmpfs here ({done.stderr.strip()}): a full or read-only medium needs one')
    try:
        yield str(folder)
    finally:           # lazily if a file is still open there: never a mount left behind
        if subprocess.run(['umount', str(folder)], capture_output=True).returncode:
            subprocess.run(['umount', '-l', str(folder)], check=False)


def _one_failed(app, results, good, bad, code):
    by = {r['destination']: r for r in results}
    assert by[good]['result'] == 'ok'
    assert by[bad]['result'] == 'failed' and by[bad]['code'] == code and by[bad]['error']
    assert [(r['destination'], r['result']) for r in journaled(app)[:2]] == [(bad, 'failed'), (good, 'ok')][::-1] \
        or {(r['destination'], r['result']) for r in journaled(app)[:2]} == {(bad, 'failed'), (good, 'ok')}
    assert backup.runs_on(bad) == []                   # nothing half-marked
    assert verify(app, good)['differences'] == []


def test_destination_that_is_a_file(tmp_path):
    bad = tmp_path / 'not-a-folder'
    bad.write_text('x')
    good = str(tmp_path / 'good')
    app = _app(tmp_path, str(bad), good)
    try:
        results = backup.run_and_journal(app.registry)
        _one_failed(app, results, good, str(bad), 'backup_destination_unusable')
    finally:
        close_app(app)


@pytest.mark.slow      # runs mount(8)
def test_destination_full(tmp_path):
    with tmpfs(tmp_path / 'small', 'size=48k') as small:
        good = str(tmp_path / 'good')
        app = _app(tmp_path, small, good)
        try:
            results = backup.run_and_journal(app.registry)
            _one_failed(app, results, good, small, 'backup_destination_full')
            assert [n for n in os.listdir(os.path.join(small, 'repozo'))] == []    # undone: space given back
        finally:
            close_app(app)


@pytest.mark.slow      # runs mount(8)
def test_destination_read_only(tmp_path):
    with tmpfs(tmp_path / 'ro', 'size=1m,ro') as read_only:
        good = str(tmp_path / 'good')
        app = _app(tmp_path, read_only, good)
        try:
            results = backup.run_and_journal(app.registry)
            _one_failed(app, results, good, read_only, 'backup_destination_read_only')
        finally:
            close_app(app)


def test_missing_blob_fails_the_run_naming_it(two):
    app, dests = two
    _body, _doc, oid, live_blob = add_file(app, b'soon gone')
    os.unlink(live_blob)
    results = backup.run_and_journal(app.registry)
    assert [(r['result'], r['code']) for r in results] == [('failed', 'backup_blob_missing')] * 2
    assert os.path.relpath(live_blob, backup.source_of_registry(app.registry)[1]) in results[0]['error']
    assert all(backup.runs_on(d) == [] for d in dests)
    assert all(not [n for n in os.listdir(os.path.join(d, 'repozo'))] for d in dests)


def test_damaged_blob_fails_the_next_full_run(two):
    app, dests = two
    _body, _doc, _oid, live_blob = add_file(app, b'original bytes')
    assert all(r['result'] == 'ok' for r in backup.run_and_journal(app.registry))
    os.chmod(live_blob, 0o644)
    with open(live_blob, 'wb') as f:
        f.write(b'damaged bytes!')
    results = backup.run_and_journal(app.registry, force_full=True)
    assert [(r['result'], r['code']) for r in results] == [('failed', 'backup_blob_damaged')] * 2
    assert all(len(backup.runs_on(d)) == 1 for d in dests)      # only the first, good run


def test_no_destination_configured_is_a_clear_error(file_app):
    with pytest.raises(backup.BackupError) as caught:
        backup.run_and_journal(file_app.registry)
    assert caught.value.code == 'backup_no_destinations'
    transaction.abort()


# -- the schedule and the console script ----------------------------------------------------------

def test_due_and_the_scheduler_thread(tmp_path, monkeypatch):
    monkeypatch.delenv(background.NO_THREADS_ENV, raising=False)
    monkeypatch.setattr(backup_schedule, 'CHECK_SECONDS', 0.05)
    dest = tmp_path / 'dest'
    app = _app(tmp_path, dest, **{'archive.background': 'true', 'archive.exchange_worker': 'false',
                                  'archive.journal_checkpoint_minutes': '600'})
    try:
        import threading
        import time
        settings = app.registry.archive_settings
        deadline = time.time() + 20
        while time.time() < deadline and not (backup.runs_on(str(dest)) and journaled(app)):  # the thread's first run
            threading.Event().wait(0.05)
        runs = backup.runs_on(str(dest))
        assert [r['kind'] for r in runs] == ['full']
        assert not backup_schedule.due(settings, time.time())                           # not again before the interval
        assert backup_schedule.due(settings, time.time() + settings.backup_interval_hours * 3600)
        assert any(r['actor'] == 'system' for r in journaled(app))
    finally:
        close_app(app)


def test_console_script_run_list_restore_verify(tmp_path, monkeypatch, capsys):
    from archive.scripts import backup as script

    from .test_cli import INI
    from ..conftest import HERE
    monkeypatch.setenv(background.NO_THREADS_ENV, '1')
    dests = [tmp_path / 'a', tmp_path / 'b']
    ini = tmp_path / 'test.ini'
    ini.write_text(INI.format(var=tmp_path, here=HERE, pad='x' * 40).replace(
        '[loggers]', 'archive.backup_destinations =\n    %s\n    %s\n\n[loggers]' % tuple(dests)))
    from archive.scripts import init
    init.main([str(ini)])                                       # archive-init first, as always
    capsys.readouterr()
    script.main([str(ini), 'run'])
    script.main([str(ini), 'run'])
    out = capsys.readouterr().out
    assert out.count('OK ') == 4 and 'full' in out and 'incremental' in out
    script.main([str(ini), 'list'])
    assert capsys.readouterr().out.count(' runs, sets ') == 2
    script.main([str(ini), 'restore', str(tmp_path / 'new'), '--destination', str(dests[1])])
    assert os.path.exists(tmp_path / 'new' / 'Data.fs') and os.path.isdir(tmp_path / 'new' / 'blobs')
    script.main([str(ini), 'verify'])
    assert capsys.readouterr().out.count('identical') == 2
    db = ZODB.DB(FileStorage(str(tmp_path / 'Data.fs'), read_only=True))     # the drill is journaled
    try:
        drill = backup_status.last_drill(db.open().root()['archive'])
        assert drill['result'] == 'ok' and drill['destination'] == str(dests[1]) and drill['actor'] == 'archive-backup'
        assert drill['counts']['records'] > 0 and drill['age_seconds'] < 600
    finally:
        db.close()
    ini.write_text('[app:main]\n')                              # the settings gone with the server:
    script.main([str(ini), 'restore', str(tmp_path / 'again'), '--destination', str(dests[0])])
    assert os.path.exists(tmp_path / 'again' / 'Data.fs')       # a restore names its destination
    with pytest.raises(SystemExit) as exited:                   # a restore over an existing database
        script.main([str(ini), 'restore', str(tmp_path / 'new'), '--destination', str(dests[0])])
    assert exited.value.code == script.EXIT_FAILED and 'restore_target_not_new' in capsys.readouterr().out


# -- the administrators' page, /healthz and the API -----------------------------------------------

@pytest.fixture
def web(tmp_path):
    """The app with a good destination and one that cannot be written (a file)."""
    bad = tmp_path / 'not-a-folder'
    bad.write_text('x')
    application = _app(tmp_path, tmp_path / 'good', bad)
    yield application, str(tmp_path / 'good'), str(bad)
    close_app(application)


def _wait(app):
    thread = getattr(app.registry, 'archive_backup_thread', None)
    if thread is not None:
        thread.join(60)


def test_page_red_when_a_destination_fails_then_green(web, tmp_path):
    from ..conftest import client
    app, good, bad = web
    admin = client(app, 'quantri')
    page = admin.get('/admin/backups')
    assert 'data-backup-state="red"' in page.text and 'data-problem="backup_none_yet"' in page.text
    assert 'href="http://localhost/admin/backups"' in page.text                      # in the menu
    form = next(f for f in page.forms.values() if f.action.endswith('/admin/backups'))
    answer = form.submit(status=303)
    assert answer.location == 'http://localhost/admin/backups'       # said once, not kept in the address
    assert 'Đã bắt đầu sao lưu' in answer.follow().html.select_one('p.flash').get_text()
    _wait(app)
    page = admin.get('/admin/backups')
    assert 'data-backup-state="red"' in page.text and 'data-problem="backup_last_failed"' in page.text
    assert f'data-destination="{bad}"' in page.text and 'data-code="backup_destination_unusable"' in page.text
    assert page.text.count('data-result="ok"') == 1 and page.text.count('data-result="failed"') == 1
    health = admin.get('/healthz').json['backups']
    assert health['ok'] is False and 'backup_last_failed' in health['problems']
    os.unlink(bad)                                              # the medium is back
    backup.run_and_journal(app.registry)
    page = admin.get('/admin/backups')
    assert 'data-backup-state="ok"' in page.text
    health = admin.get('/healthz').json['backups']
    assert health['ok'] is True and health['problems'] == [] and 0 <= health['age_seconds'] < 60
    clerk = client(app, 'vanthu')
    clerk.get('/admin/backups', status=403)
    assert '/admin/backups' not in clerk.get('/desk').text


def test_the_page_shows_the_last_drill_with_its_age_and_result(two):
    """The drill's result is journaled (chain ``backups``); the administrators' page shows the last
    one, its age and its result, a broken one in red with what it named."""
    import datetime as dt

    from archive import clock
    from archive.archival.backup_restore import _problem

    from ..conftest import client
    app, dests = two
    admin = client(app, 'quantri')
    assert 'data-drill="none"' in admin.get('/admin/backups').text
    backup.run_and_journal(app.registry)
    report = verify(app, dests[0])
    conn, root = open_root(app)
    backup_status.journal_drill(root, dests[0], report, 'quantri')
    conn.transaction_manager.commit()
    conn.close()
    page = admin.get('/admin/backups').text
    assert 'data-drill="ok"' in page and f'<code data-run="{report["run"]}">{dests[0]}</code>' in page
    damaged = dict(report, problems=[_problem('backup_blob_damaged', 'blobs/x.blob: sha256 0, backed up as 1')])
    conn, root = open_root(app)
    backup_status.journal_drill(root, dests[1], damaged, 'quantri')
    conn.transaction_manager.commit()
    drill = backup_status.last_drill(root, now=clock.now() + dt.timedelta(hours=5))
    conn.close()
    assert drill['result'] == 'damaged' and 5 * 3600 <= drill['age_seconds'] < 5 * 3600 + 60
    page = admin.get('/admin/backups').text
    assert 'data-drill="damaged"' in page
    # said in words: what is damaged, which blob, what to do; the code only in data-code and the journal
    finding = admin.get('/admin/backups').html.select_one('ul.drill-findings li')
    assert finding['data-code'] == 'backup_blob_damaged' and 'backup_blob_damaged' not in finding.get_text()
    assert ' '.join(finding.get_text().split()) == (
        'Tệp văn bản (blob) trong bản sao bị hỏng (khác với lúc sao lưu): blobs/x.blob '
        '(sha256 0, backed up as 1)')
    assert 'bắt đầu bộ đầy đủ mới' in admin.get('/admin/backups').html.select_one('p.drill-advice').get_text()
    assert drill['named'] == ['backup_blob_damaged: blobs/x.blob: sha256 0, backed up as 1']
    assert [r['result'] for r in journaled(app)] == ['ok', 'ok']          # the runs' list: runs only


def test_the_drill_button_runs_verify_journals_it_and_the_page_shows_it(two):
    """The administrators' page starts the restore drill as ``archive-backup verify`` does (every
    destination's latest run restored and compared), journaled on the chain ``backups`` with who
    asked; the page then shows its result. Administrators only."""
    from ..conftest import client
    app, dests = two
    backup.run_and_journal(app.registry)
    admin = client(app, 'quantri')
    page = admin.get('/admin/backups')
    assert page.html.select_one('td[data-drill]')['data-drill'] == 'none'
    answer = page.forms['backup-drill'].submit(status=303)
    assert 'Đã bắt đầu diễn tập khôi phục' in answer.follow().html.select_one('p.flash').get_text()
    assert admin.get(answer.location).html.select_one('p.flash') is None        # said once
    _wait(app)
    page = admin.get('/admin/backups')
    assert page.html.select_one('td[data-drill]')['data-drill'] == 'ok'
    # every destination's drill is shown on its row, not the newest one alone
    rows = page.html.select('tr[data-destination]')
    assert sorted(r['data-destination'] for r in rows) == sorted(dests)
    assert [r.select_one('td[data-drill]')['data-drill'] for r in rows] == ['ok', 'ok']
    conn, root = open_root(app)
    try:
        drills = audit.entries(root, backup.CHAIN, (backup_status.DRILL,))
    finally:
        conn.close()
    assert sorted(d['details']['destination'] for d in drills) == sorted(dests)
    assert {(d['actor'], d['details']['result']) for d in drills} == {('quantri', 'ok')}
    client(app, 'vanthu').post('/admin/backups', {'action': 'drill', 'csrf_token': client(app, 'vanthu').csrf},
                               status=403)


def test_the_drills_differences_name_the_document_and_say_what_to_do(two):
    """A drill that restored a backup unlike the live database: each difference names the document
    (its body by name), the file, and the page says to keep the backup and report it; in English
    too. The journal keeps the codes."""
    from archive.archival.backup_restore import _problem

    from ..conftest import client
    app, dests = two
    conn, root = open_root(app)
    name = next(iter(root['bodies']['000.00.01.H01'].documents))
    report = {'run': 'r1', 'counts': {}, 'problems': [], 'differences': [
        _problem('blob_differs', f'000.00.01.H01/documents/{name} file "van-ban-1.pdf" (blob) (oid 0x1f)'),
        _problem('record_not_restored', 'archive.audit Chain (oid 0x2a)')]}
    backup_status.journal_drill(root, dests[0], report, 'quantri')
    conn.transaction_manager.commit()
    conn.close()
    admin = client(app, 'quantri')
    page = admin.get('/admin/backups').html
    said = [' '.join(li.get_text().split()) for li in page.select('ul.drill-findings li')]
    assert said == [f'Tệp khôi phục khác tệp đang lưu: Văn bản {name} (Văn phòng Thành ủy), tệp van-ban-1.pdf (oid 0x1f)',
                    'Dữ liệu đang chạy không có trong bản sao: archive.audit Chain (oid 0x2a)']
    assert [li['data-code'] for li in page.select('ul.drill-findings li')] == ['blob_differs', 'record_not_restored']
    advice = [p.get_text() for p in page.select('p.drill-advice')]
    assert len(advice) == 1 and 'báo ngay cho người quản lý máy chủ' in advice[0]
    english = admin.get('/admin/backups', params={'_LOCALE_': 'en'}).html
    assert ' '.join(english.select_one('ul.drill-findings li').get_text().split()).startswith(
        f'A restored file differs from the stored one: Document {name} (Văn phòng Thành ủy), file van-ban-1.pdf')


def test_page_red_when_the_last_good_backup_is_too_old(tmp_path):
    from archive import clock

    from ..conftest import client
    app = _app(tmp_path, tmp_path / 'a', **{'archive.backup_max_age_hours': '0.1'})
    try:
        backup.run_and_journal(app.registry)
        admin = client(app, 'quantri')
        assert 'data-backup-state="ok"' in admin.get('/admin/backups').text
        import datetime as dt
        clock.set_now(clock.now() + dt.timedelta(minutes=10))     # past 6 minutes, within a session
        try:
            page = admin.get('/admin/backups')
            assert 'data-backup-state="red"' in page.text and 'data-problem="backup_too_old"' in page.text
            age = ' '.join(page.html.select_one('td[data-age]').get_text().split())
            assert age.startswith('10 phút (tối đa 0,1 giờ)'), age         # in words, the decimal comma
            assert admin.get('/healthz').json['backups']['problems'] == ['backup_too_old']
        finally:
            clock.set_now(None)
    finally:
        close_app(app)


def test_api_lists_runs_and_starts_one(web):
    from .test_openapi import SPEC_PATH, Config, OpenAPI, conforms, csrf
    from ..conftest import client
    spec = OpenAPI.from_file_path(str(SPEC_PATH), config=Config(additional_properties_default_policy='forbid'))
    app, good, bad = web
    admin = client(app, 'quantri')
    state = conforms(spec, admin.get('/api/v1/backups')).json
    assert state['ok'] is False and state['runs'] == [] and state['age_seconds'] is None
    started = conforms(spec, admin.post_json('/api/v1/backups', {'full': True}, headers=csrf(admin), status=202))
    assert started.json == {'started': True, 'full': True}
    _wait(app)
    state = conforms(spec, admin.get('/api/v1/backups')).json
    assert {(r['destination'], r['result']) for r in state['runs']} == {(good, 'ok'), (bad, 'failed')}
    assert state['problems'] == ['backup_none_yet', 'backup_last_failed'] and state['runs'][0]['actor'] == 'quantri'
    bad_input = conforms(spec, admin.post_json('/api/v1/backups', {'full': 'yes'}, headers=csrf(admin), status=400),
                         check_request=False)
    assert bad_input.json['errors'][0]['field'] == 'full'
    conforms(spec, admin.post_json('/api/v1/backups', {'when': 1}, headers=csrf(admin), status=400), check_request=False)
    clerk = client(app, 'vanthu')
    conforms(spec, clerk.get('/api/v1/backups', status=403))
    with backup.LOCK:                                           # a run (or the pack) holds the lock
        busy = conforms(spec, admin.post_json('/api/v1/backups', {}, headers=csrf(admin), status=409))
    assert busy.json['error'] == 'backup_running'
    conforms(spec, conforms(spec, admin.get('/healthz')))


def test_api_without_destinations(file_app):
    from .test_openapi import SPEC_PATH, Config, OpenAPI, conforms, csrf
    from ..conftest import client
    admin = client(file_app, 'quantri')
    answer = conforms(OpenAPI.from_file_path(str(SPEC_PATH), config=Config(additional_properties_default_policy='forbid')), admin.post_json('/api/v1/backups', {}, headers=csrf(admin), status=409))
    assert answer.json['error'] == 'backup_no_destinations'


def test_on_zeo_the_storage_servers_files_or_a_clear_error(tmp_path):
    """A ZEO client has no Data.fs: the backup reads the storage server's files, named in the
    settings (the worker on the server's host); without them a clear error, journaled."""
    from archive.settings import ArchiveSettings
    zeo = 'zeo://127.0.0.1:8100?blob_dir=/var/cache/blobs'
    settings = ArchiveSettings(secret='s' * 32, organ_id_pattern=None, document_types={}, attachment_types=())
    with pytest.raises(backup.BackupError) as caught:
        backup.source_of(settings, storage=object(), uri=zeo)
    assert caught.value.code == 'backup_no_source'
    datafs = tmp_path / 'server' / 'Data.fs'
    datafs.parent.mkdir()
    datafs.write_bytes(b'FS21')
    settings.backup_datafs, settings.backup_blob_dir = str(datafs), str(tmp_path / 'server' / 'blobs')
    assert backup.source_of(settings, storage=object(), uri=zeo) == (str(datafs), str(tmp_path / 'server' / 'blobs'))


def test_no_source_is_journaled_per_destination(tmp_path):
    app = _app(tmp_path, tmp_path / 'a', tmp_path / 'b', **{'archive.backup_datafs': str(tmp_path / 'none.fs')})
    try:
        with pytest.raises(backup.BackupError) as caught:
            backup.run_and_journal(app.registry)
        assert caught.value.code == 'backup_no_source'
        assert [(r['result'], r['code']) for r in journaled(app)] == [('failed', 'backup_no_source')] * 2
    finally:
        close_app(app)


def test_restore_names_a_damaged_or_missing_blob_and_leaves_nothing(two, tmp_path):
    app, dests = two
    backup.run_and_journal(app.registry)
    run = backup.runs_on(dests[0])[-1]
    damaged, missing = sorted(run['blobs'])[:2]
    folder = os.path.join(dests[0], 'blobs', run['set'])
    with open(os.path.join(folder, damaged), 'r+b') as f:
        f.write(b'\x00')
    os.unlink(os.path.join(folder, missing))
    result = backup_restore.restore(dests[0], str(tmp_path / 'new'))
    assert sorted((p['code'], p['what'].split(':')[0]) for p in result['problems']) == [
        ('backup_blob_damaged', os.path.join(folder, damaged)), ('backup_blob_missing', os.path.join(folder, missing))]
    assert not os.path.exists(tmp_path / 'new')

"""Console scripts against a real FileStorage: init, bodies, users, tokens, journal; a locked
FileStorage is named plainly; bad input gets the same error codes as the API."""

import pytest
import transaction

from ..conftest import HERE, _main, _open_db, client, close_app, make_app, open_root
from ..forked_scripts import run_script
from ..helpers import incoming

pytestmark = pytest.mark.slow   # each test starts console scripts as processes

INI = """[app:main]
use = egg:party-archive
zodbconn.uri = file://{var}/Data.fs?blobstorage_dir={var}/blobs
archive.secret = cli-test-secret-{pad}
archive.demo_seed = false
archive.demo_password = demo-mat-khau-2026
archive.workflows_dir = {here}/workflows
archive.schemas_dir = {here}/schemas

[loggers]
keys = root
[handlers]
keys = console
[formatters]
keys = generic
[logger_root]
level = WARNING
handlers = console
[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic
[formatter_generic]
format = %(levelname)s %(message)s
"""


@pytest.fixture
def ini(tmp_path):
    path = tmp_path / 'test.ini'
    path.write_text(INI.format(var=tmp_path, here=HERE, pad='x' * 40))
    return str(path)


def run(script, *args, stdin=None):
    return run_script(script, *args, stdin=stdin)


def settings_of(ini_path):
    from pyramid.paster import get_appsettings
    return dict(get_appsettings(ini_path))


def test_init_bodies_users_and_tokens(ini):
    out = run('archive-init', ini, '--demo')
    assert out.returncode == 0, out.stderr
    assert 'dữ liệu mẫu' in out.stdout
    tree = run('archive-bodies', ini, 'list').stdout
    assert '000.00.01.H01  VPTU     Văn phòng Thành ủy  <hosted>' in tree
    assert 'Văn phòng Chính phủ  <axis 000.00.00.G22>' in tree                # how each is reached
    assert 'đóng 2025-06-30; kế thừa 000.01.10.H01' in tree
    add = run('archive-bodies', ini, 'add', '--code', '000.03.00.H01', '--name', 'Huyện ủy Sóc Sơn',
              '--symbol', 'HUSS', '--parent', '000.00.00.H01')
    assert add.returncode == 0, add.stderr
    unit = run('archive-bodies', ini, 'add-unit', '000.03.00.H01', '--code', 'VP', '--name', 'Văn phòng')
    assert unit.returncode == 0, unit.stderr
    route = run('archive-bodies', ini, 'set-route', '000.03.00.H01', '--route', 'instance',
                '--address', 'https://vanban.soc-son.example/')
    assert route.returncode == 0, route.stderr
    bad_route = run('archive-bodies', ini, 'set-route', '000.03.00.H01', '--route', 'instance', '--address', 'x')
    assert bad_route.returncode == 2 and 'address_not_url' in bad_route.stderr
    # the address is checked the same way when the body is created (a CR/LF once reached a mail header)
    for address, code in (('vanthu@soc-son.example\r\nBcc: ca-nha@example.org', 'control_character'),
                          ('khong-phai-thu', 'address_not_email')):
        bad_add = run('archive-bodies', ini, 'add', '--code', '000.03.01.H01', '--name', 'Xã Phù Linh',
                      '--symbol', 'XPL', '--route', 'email', '--address', address)
        assert bad_add.returncode == 2 and code in bad_add.stderr, bad_add.stderr
    user = run('archive-users', ini, 'add', 'vanthu.ss', '--name', 'Văn thư Sóc Sơn', '--body', '000.03.00.H01',
               '--unit', 'VP', '--role', 'clerk', '--password-file', '-', stdin='mat-khau-dai\n')
    assert user.returncode == 0, user.stderr
    token = run('archive-tokens', ini, 'create', 'vanthu.ss', '--label', 'scanner')
    assert token.returncode == 0, token.stderr
    token_id, secret = [line.split()[-1] for line in token.stdout.strip().splitlines()]

    app = make_app(settings_of(ini))
    try:
        c = client(app)
        headers = {'Authorization': f'Bearer {secret}'}
        assert c.get('/api/v1/me', headers=headers).json['body_code'] == '000.03.00.H01'
        c.post_json('/api/v1/bodies/000.03.00.H01/documents', incoming(), headers=headers, status=201)
        c.login('vanthu.ss', 'mat-khau-dai')
    finally:
        close_app(app)
    revoke = run('archive-tokens', ini, 'revoke', 'vanthu.ss', token_id)
    assert revoke.returncode == 0, revoke.stderr
    app = make_app(settings_of(ini))
    try:
        client(app).get('/api/v1/me', headers={'Authorization': f'Bearer {secret}'}, status=401)
    finally:
        close_app(app)


def test_bad_input_is_named_and_nothing_written(ini):
    run('archive-init', ini, '--demo')
    bad = run('archive-bodies', ini, 'add', '--code', '12.34', '--name', 'X', '--symbol', 'X')
    assert bad.returncode == 2
    assert 'organ_id_malformed' in bad.stderr and 'code' in bad.stderr
    dup = run('archive-bodies', ini, 'add', '--code', '000.00.01.H01', '--name', 'X', '--symbol', 'X')
    assert dup.returncode == 2 and 'code_duplicate' in dup.stderr
    short = run('archive-users', ini, 'add', 'x.y', '--name', 'X', '--body', '000.00.01.H01',
                '--role', 'wizard', '--password-file', '-', stdin='short\n')
    assert short.returncode == 2
    assert 'role_unknown' in short.stderr and 'password_short' in short.stderr
    dry = run('archive-bodies', ini, 'add', '--code', '000.09.00.H01', '--name', 'Thử', '--symbol', 'T',
              '--dry-run')
    assert dry.returncode == 0 and 'dry-run' in dry.stdout
    assert '000.09.00.H01' not in run('archive-bodies', ini, 'list').stdout


def test_locked_filestorage_is_said_plainly(ini):
    run('archive-init', ini)
    app = make_app(settings_of(ini))       # the "server" holds the FileStorage
    try:
        out = run('archive-bodies', ini, 'list')
    finally:
        close_app(app)
    assert out.returncode == 3
    assert 'đang bị khóa' in out.stderr and 'locked' in out.stderr
    assert 'Traceback' not in out.stderr


def test_journal_verify_names_the_first_broken_entry(ini, tmp_path):
    run('archive-init', ini, '--demo')
    assert run('archive-journal', ini, 'verify').returncode == 0
    cp = run('archive-journal', ini, 'checkpoint')
    assert cp.returncode == 0 and 'checkpoint 1' in cp.stdout
    export = tmp_path / 'checkpoints.json'
    assert run('archive-journal', ini, 'export', str(export)).returncode == 0
    app = make_app(settings_of(ini))
    try:
        conn, root = open_root(app)
        chain_id = next(c for c in root.journal.chains.keys() if c.startswith('doc:'))
        chain = root.journal.chains[chain_id]
        at, actor, action, details, prev, digest = chain.entries[1]
        chain.entries[1] = (at, 'mallory', action, details, prev, digest)
        conn.transaction_manager.commit()
        conn.close()
    finally:
        close_app(app)
    out = run('archive-journal', ini, 'verify', '--checkpoints', str(export))
    assert out.returncode == 1
    assert f'first: chain {chain_id}: entry 1 was altered (hash mismatch)' in out.stdout
    garbage = tmp_path / 'garbage.json'
    garbage.write_text('{"not": "a checkpoint"}')
    bad = run('archive-journal', ini, 'verify', '--checkpoints', str(garbage))
    assert bad.returncode == 2 and 'checkpoint' in bad.stderr


def test_evolve_steps_run_once_and_are_recorded(ini, monkeypatch):
    from archive import evolve
    run('archive-init', ini, '--demo')
    calls = []

    def step(root):
        calls.append(len(root['bodies']))
        root['bodies']['000.00.01.H01'].symbol = 'VPTU-evolved'
    monkeypatch.setattr(evolve, 'STEPS', evolve.STEPS + [('test-rename-symbol', step)])
    for _ in range(2):
        app = make_app(settings_of(ini))
        try:
            conn, root = open_root(app)
            assert 'test-rename-symbol' in root.evolved
            assert root['bodies']['000.00.01.H01'].symbol == 'VPTU-evolved'
            conn.close()
        finally:
            close_app(app)
    assert calls == [10]
    transaction.abort()


def _evolved(ini_path):
    """The evolve steps recorded in the database, read apart from any app."""
    settings = settings_of(ini_path)
    db = _open_db(settings['zodbconn.uri'])
    try:
        conn = db.open()
        root = conn.root().get(settings.get('archive.root_key', 'archive'))
        evolved = None if root is None else set(root.evolved)
        conn.close()
        return evolved
    finally:
        db.close()


def test_the_server_writes_nothing_and_refuses_a_database_not_prepared(ini):
    """main() prepares nothing (issue 12, item 3): a database archive-init has not prepared, or
    with an evolve step it has not run, is refused with the command to run; --dry-run of
    archive-init then says what it would do and writes nothing."""
    from archive.startup import NotPrepared
    with pytest.raises(NotPrepared, match='archive-init'):
        _main(settings_of(ini))
    assert _evolved(ini) is None                        # no root was written
    assert run('archive-init', ini).returncode == 0
    settings = settings_of(ini)
    db = _open_db(settings['zodbconn.uri'])             # an older database: one step not yet run
    try:
        conn = db.open()
        with conn.transaction_manager:
            conn.root()['archive'].evolved.remove('0006-outbox-index')
        conn.close()
    finally:
        db.close()
    with pytest.raises(NotPrepared, match='0006-outbox-index'):
        _main(settings)
    dry = run('archive-init', ini, '--dry-run')
    assert dry.returncode == 0 and 'evolve: 0006-outbox-index' in dry.stdout and 'dry-run' in dry.stdout
    assert '0006-outbox-index' not in _evolved(ini)     # said, not done
    done = run('archive-init', ini)
    assert 'evolve: 0006-outbox-index' in done.stdout and '0006-outbox-index' in _evolved(ini)
    close_app(_main(settings))                          # now it serves
    users = run('archive-users', ini, 'list')           # scripts start without main() …
    assert users.returncode == 0, users.stderr


def test_scripts_refuse_a_database_not_prepared(tmp_path, ini):
    """… and refuse, with the command to run, a database archive-init has not prepared."""
    listed = run('archive-bodies', ini, 'list')
    assert listed.returncode == 2 and 'archive-init' in listed.stderr


def test_calendar_overrides_from_the_command_line(ini):
    run('archive-init', ini)
    shown = run('archive-calendar', ini, 'show', '2026-08-29', '2026-09-02').stdout
    assert '2026-09-01 Tue  nghỉ' in shown and '2026-08-31 Mon  nghỉ' in shown
    off = run('archive-calendar', ini, 'day-off', '2026-12-31', '--reason', 'Nghỉ bù')
    assert off.returncode == 0, off.stderr
    on = run('archive-calendar', ini, 'working-day', '2026-12-26', '--reason', 'Làm bù')
    assert on.returncode == 0, on.stderr
    shown = run('archive-calendar', ini, 'show', '2026-12-26', '2026-12-31').stdout
    assert '2026-12-26 Sat  làm việc  (Làm bù)' in shown and '2026-12-31 Thu  nghỉ  (Nghỉ bù)' in shown
    bad = run('archive-calendar', ini, 'day-off', '31/12/2026', '--reason', 'x')
    assert bad.returncode == 2 and 'YYYY-MM-DD' in bad.stderr
    assert run('archive-calendar', ini, 'remove', '2026-01-05').returncode == 2


def test_users_cli_password_rule_separation_of_duties_and_ending_sessions(ini):
    """archive-users: the one password rule and role rule; set-password and disable end the user's
    sessions (a cookie copied before works no more, after a restart too)."""
    run('archive-init', ini, '--demo')
    weak = run('archive-users', ini, 'set-password', 'vanthu', '--password-file', '-', stdin='password1234\n')
    assert weak.returncode == 2 and 'password_common' in weak.stderr
    short = run('archive-users', ini, 'set-password', 'vanthu', '--password-file', '-', stdin='ngan-qua\n')
    assert short.returncode == 2 and 'password_short' in short.stderr
    mixed = run('archive-users', ini, 'add', 'kiem.nhiem', '--name', 'Kiêm Nhiệm', '--body', '000.00.01.H01',
                '--role', 'admin', '--role', 'clerk', '--password-file', '-', stdin='mot-cum-tu-rat-dai-2026\n')
    assert mixed.returncode == 2 and 'roles_admin_exclusive' in mixed.stderr

    app = make_app(settings_of(ini))
    try:
        clerk_cookie = client(app, 'vanthu').cookies['archive_session']
        leader_cookie = client(app, 'lanhdao').cookies['archive_session']
        kept_cookie = client(app, 'chuyenvien').cookies['archive_session']
    finally:
        close_app(app)
    done = run('archive-users', ini, 'set-password', 'vanthu', '--password-file', '-',
               stdin='mot-cum-tu-rat-dai-2026\n')
    assert done.returncode == 0, done.stderr
    off = run('archive-users', ini, 'disable', 'lanhdao')
    assert off.returncode == 0, off.stderr
    listed = run('archive-users', ini, 'list').stdout.splitlines()
    assert [line.endswith('[khóa / disabled]') for line in listed if line.startswith(('lanhdao ', 'vanthu '))] \
        == [True, False]
    app = make_app(settings_of(ini))
    try:
        for cookie, status in ((clerk_cookie, 401), (leader_cookie, 401), (kept_cookie, 200)):
            c = client(app)
            c.set_cookie('archive_session', cookie)
            c.get('/api/v1/me', status=status)
        client(app).login('vanthu', 'mot-cum-tu-rat-dai-2026')
        client(app).login('lanhdao', status=401)
    finally:
        close_app(app)
    on = run('archive-users', ini, 'enable', 'lanhdao')
    assert on.returncode == 0, on.stderr


def test_search_reindex_with_progress_and_beside_a_running_server(ini, tmp_path):
    """``archive-search reindex``: a new index from the database, with a progress line; while the
    server holds the FileStorage, a request its own indexer takes."""
    import re
    run('archive-init', ini, '--demo')

    def reindex():
        return run('archive-search', ini, 'reindex')
    out = reindex()
    assert out.returncode == 0, out.stderr
    count = int(re.search(r'index rebuilt: (\d+) documents', out.stdout).group(1))
    assert count > 0 and f'{count}/{count}' in out.stderr
    folder = tmp_path / 'search-index'
    assert (folder / 'CURRENT').read_text().startswith('g-')
    app = make_app(settings_of(ini))
    try:
        out = reindex()
        assert out.returncode == 0 and 'the server is running' in out.stdout
        # it said first, on stderr, that the database was locked and to stop the server (trial9)
        assert 'khóa' not in out.stderr and 'Stop it' not in out.stderr, out.stderr
        assert (folder / 'REBUILD').exists()
        from archive import search
        assert search.apply_pending(app.registry) == -1 and not (folder / 'REBUILD').exists()
    finally:
        close_app(app)


def test_users_and_bodies_cli_change_roles_units_and_the_office_of_a_committee(ini):
    """archive-users set-roles / set-unit and archive-bodies rename-unit / delete-unit /
    set-office-of: the services the pages use, journaled with the actor ``cli``, the same codes."""
    run('archive-init', ini, '--demo')
    ok = [run('archive-users', ini, 'set-roles', 'vanthu', '--role', 'clerk', '--role', 'leader'),
          run('archive-users', ini, 'set-unit', 'vanthu', '--unit', 'TH'),
          run('archive-bodies', ini, 'add-unit', '000.00.01.H01', '--code', 'TT', '--name', 'Phòng Thông tin'),
          run('archive-bodies', ini, 'rename-unit', '000.00.01.H01', '--code', 'TT', '--name', 'Phòng Truyền thông'),
          run('archive-bodies', ini, 'delete-unit', '000.00.01.H01', '--code', 'TT'),
          run('archive-bodies', ini, 'set-office-of', '000.00.05.H01', '--committee', '000.02.00.H01')]
    assert [r.returncode for r in ok] == [0] * 6, [r.stderr for r in ok]
    refused = [(run('archive-users', ini, 'set-roles', 'vanthu', '--role', 'admin', '--role', 'clerk'),
                'roles_admin_exclusive'),
               (run('archive-users', ini, 'set-unit', 'vanthu', '--unit', 'KHONG'), 'unit_unknown'),
               (run('archive-bodies', ini, 'delete-unit', '000.00.01.H01', '--code', 'TH'), 'unit_in_use'),
               (run('archive-bodies', ini, 'set-office-of', '000.00.05.H01', '--committee', '000.09.09.H09'),
                'body_unknown')]
    assert [(r.returncode, code in r.stderr) for r, code in refused] == [(2, True)] * 4, [r.stderr for r, _c in refused]
    db = _open_db(settings_of(ini)['zodbconn.uri'])
    try:
        conn = db.open()
        from archive import audit
        root = conn.root()['archive']
        assert root['users']['vanthu'].roles == ('clerk', 'leader') and root['users']['vanthu'].unit_code == 'TH'
        assert root['bodies']['000.00.05.H01'].office_of == '000.02.00.H01'
        assert 'TT' not in root['bodies']['000.00.01.H01'].units
        assert [(e['action'], e['actor']) for e in audit.entries(root, 'user:vanthu')][-2:] == [
            ('roles_changed', 'cli'), ('unit_changed', 'cli')]
        assert [e['action'] for e in audit.entries(root, 'body:000.00.01.H01')][-3:] == [
            'unit_created', 'unit_renamed', 'unit_deleted']
        assert audit.entries(root, 'body:000.00.05.H01')[-1]['details'] == {
            'old_office_of': None, 'office_of': '000.02.00.H01'}
        conn.close()
    finally:
        db.close()

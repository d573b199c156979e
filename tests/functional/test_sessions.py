"""Login sessions: the one validated secret signs the cookie; the session lives on the server, so
logout and a restart after logout leave a copied cookie worth nothing; absolute lifetime and
idle timeout; the cookie shows neither the login nor the CSRF token; the login page writes nothing."""
import base64
import datetime as dt
import os

import pytest
from pyramid.paster import get_appsettings
from pyramid.request import Request
from pyramid.response import Response
from pyramid.session import SignedCookieSessionFactory
from webob.cookies import SignedSerializer

from archive import clock, main
from archive.resources.users import User

from ..conftest import HERE, base_settings, client, close_app, file_uri, initialise, make_app, open_root

COOKIE = 'archive_session'
T0 = dt.datetime(2026, 11, 24, 9, 0, tzinfo=clock.VN)
STRONG = 'quan-tri-he-thong-2026'


@pytest.fixture
def fixed_clock():
    clock.set_now(T0)
    yield lambda **delta: clock.set_now(T0 + dt.timedelta(**delta))
    clock.set_now(None)


class _Plain:
    dumps = staticmethod(lambda value: value.encode('ascii'))
    loads = staticmethod(lambda data: data.decode('ascii'))


def session_id(cookie_value, secret):
    """The id inside a cookie the app set (its signature checked with ``secret``)."""
    return SignedSerializer(secret, 'archive.session', 'sha512', serializer=_Plain()).loads(
        cookie_value.encode('ascii'))


def signed_with(secret, sid):
    return SignedSerializer(secret, 'archive.session', 'sha512', serializer=_Plain()).dumps(sid).decode('ascii')


def old_style_cookie(secret, login):
    """What Pyramid's signed-cookie session (the code before) would accept as ``login``'s session."""
    request = Request.blank('/')
    session = SignedCookieSessionFactory(secret, cookie_name=COOKIE)(request)
    session['auth.userid'] = login
    response = Response()
    request._process_response_callbacks(response)
    return response.headers['Set-Cookie'].split(';')[0].split('=', 1)[1]


# -- item 1: the secret --------------------------------------------------------------------------

def production_settings(tmp_path):
    settings = dict(get_appsettings(os.path.join(HERE, 'production.ini')))
    settings.update({
        'zodbconn.uri': file_uri(tmp_path),
        'archive.template_cache_dir': str(tmp_path / 'templates'),
        'archive.journal_export_dir': str(tmp_path / 'journal'),
        'archive.axis_out_dir': str(tmp_path / 'axis' / 'out'),
        'archive.axis_in_dir': str(tmp_path / 'axis' / 'in'),
        'archive.trust_roots': '', 'archive.crls': '',
        'archive.cookie_secure': 'false',     # WebTest speaks plain http
    })
    assert settings['archive.secret'] == ''   # the file leaves it to the environment
    return settings


def test_production_ini_takes_the_secret_from_the_environment_and_no_forged_cookie(tmp_path, monkeypatch):
    secret = 'environment-secret-' + 'e' * 40
    monkeypatch.setenv('ARCHIVE_SECRET', secret)
    settings = production_settings(tmp_path)
    initialise(settings)                        # what archive-init does before the server starts
    app = main({'__file__': os.path.join(HERE, 'production.ini'), 'here': HERE}, **settings)
    try:
        conn, root = open_root(app)
        admin = User('quantri', 'Quản trị', '000.00.01.H01', ['admin'])
        admin.set_password(STRONG)
        root['users'].add('quantri', admin)
        conn.transaction_manager.commit()
        conn.close()

        forged = client(app)
        forged.set_cookie(COOKIE, old_style_cookie('', 'quantri'))   # the old format, empty secret
        forged.get('/api/v1/me', status=401)

        real = client(app)
        real.login('quantri', STRONG)
        assert real.get('/api/v1/me').json['login'] == 'quantri'
        cookie = real.cookies[COOKIE]
        sid = session_id(cookie, secret)           # signed with the environment's secret
        assert sid is not None

        for forged in (signed_with('', sid),              # a live session's id, empty secret
                       signed_with(secret[:-1], sid)):     # any other secret
            c = client(app)
            c.set_cookie(COOKIE, forged)
            c.get('/api/v1/me', status=401)
            assert c.get('/users/', status=303).location.startswith('http://localhost/login')
        c = client(app)
        c.set_cookie(COOKIE, cookie)
        assert c.get('/api/v1/me').json['login'] == 'quantri'   # the copy is the real thing
    finally:
        close_app(app)


def test_production_ini_without_a_secret_refuses_to_start(tmp_path, monkeypatch):
    monkeypatch.delenv('ARCHIVE_SECRET', raising=False)
    settings = production_settings(tmp_path)
    with pytest.raises(ValueError, match='ARCHIVE_SECRET'):
        main({'__file__': os.path.join(HERE, 'production.ini'), 'here': HERE}, **settings)
    settings.pop('archive.secret')                 # not even named in the file: still no KeyError
    with pytest.raises(ValueError, match='ARCHIVE_SECRET'):
        main({'__file__': os.path.join(HERE, 'production.ini'), 'here': HERE}, **settings)


# -- item 2: sessions on the server --------------------------------------------------------------

def copy_of(app, cookie):
    c = client(app)
    c.set_cookie(COOKIE, cookie)
    return c


def logout(c):
    c.post('/logout', {'csrf_token': c.csrf}, status=303)


def test_logout_ends_the_session_for_a_copied_cookie(app):
    c = client(app, 'vanthu')
    cookie = c.cookies[COOKIE]
    copy = copy_of(app, cookie)
    assert copy.get('/api/v1/me').json['login'] == 'vanthu'
    logout(c)
    copy_of(app, cookie).get('/api/v1/me', status=401)
    c.get('/api/v1/me', status=401)
    again = client(app, 'vanthu')
    assert again.cookies[COOKIE] != cookie


def test_a_session_survives_a_restart_unless_it_was_ended(tmp_path):
    settings = base_settings(tmp_path, file_uri(tmp_path))
    app = make_app(settings)
    try:
        kept = client(app, 'vanthu').cookies[COOKIE]
        leaving = client(app, 'lanhdao')
        ended = leaving.cookies[COOKIE]
        logout(leaving)
    finally:
        close_app(app)
    app = make_app(settings)
    try:
        assert copy_of(app, kept).get('/api/v1/me').json['login'] == 'vanthu'
        copy_of(app, ended).get('/api/v1/me', status=401)
    finally:
        close_app(app)


def timed_app(tmp_path, **limits):
    return make_app(base_settings(tmp_path, file_uri(tmp_path),
                                  **{f'archive.session_{k}_seconds': str(v) for k, v in limits.items()}))


def test_absolute_lifetime_ends_even_a_busy_session(tmp_path, fixed_clock):
    app = timed_app(tmp_path, lifetime=3600, idle=1800)
    try:
        c = client(app, 'vanthu')
        for minutes in (20, 40, 59):
            fixed_clock(minutes=minutes)
            assert c.get('/api/v1/me').json['login'] == 'vanthu'
        fixed_clock(minutes=60, seconds=1)
        c.get('/api/v1/me', status=401)
        fixed_clock(minutes=61)
        c.get('/api/v1/me', status=401)        # dead once, dead for good
        client(app, 'vanthu').get('/api/v1/me', status=200)
    finally:
        close_app(app)


def test_idle_timeout(tmp_path, fixed_clock):
    app = timed_app(tmp_path, lifetime=8 * 3600, idle=600)
    try:
        c = client(app, 'vanthu')
        fixed_clock(minutes=9)
        assert c.get('/api/v1/me').json['login'] == 'vanthu'     # seen at 9 min
        fixed_clock(minutes=18)
        assert c.get('/api/v1/me').json['login'] == 'vanthu'     # 9 min idle: alive, seen at 18
        fixed_clock(minutes=28, seconds=1)
        c.get('/api/v1/me', status=401)                           # 10 min idle: ended
    finally:
        close_app(app)


def test_last_seen_is_written_at_most_once_a_minute(tmp_path, fixed_clock):
    app = timed_app(tmp_path, refresh=60)
    db = app.registry._zodb_databases['']
    try:
        c = client(app, 'vanthu')
        before = db.lastTransaction()
        fixed_clock(seconds=30)
        c.get('/api/v1/me')
        c.get('/bodies/')
        assert db.lastTransaction() == before                   # read-only requests stay read-only
        fixed_clock(seconds=61)
        c.get('/api/v1/me')
        assert db.lastTransaction() != before                   # "last seen" moved once
        fixed_clock(seconds=130)
        c.get('/no-such-page', status=404)                      # moved on an error page too
        c.get('/api/v1/bodies/000.99.99.H99', status=404)
    finally:
        close_app(app)


def test_cookie_shows_neither_login_nor_csrf_token(file_app):
    anonymous = client(file_app)
    anonymous.get('/login')
    planted = anonymous.cookies[COOKIE]
    c = client(file_app)
    c.set_cookie(COOKIE, planted)
    c.login('vanthu')
    cookie = c.cookies[COOKIE]
    assert cookie != planted                                     # a new id at login (no fixation)
    token = c.csrf
    raw = base64.urlsafe_b64decode(cookie + '=' * (-len(cookie) % 4))
    for shown in (cookie.encode(), raw):
        assert b'vanthu' not in shown and token.encode() not in shown
        assert b'auth.userid' not in shown and b'_csrft_' not in shown


def test_the_login_page_writes_nothing_to_the_database(file_app):
    db = file_app.registry._zodb_databases['']
    c = client(file_app)
    before = db.lastTransaction()
    for _ in range(3):
        c.get('/login')
    assert db.lastTransaction() == before
    c.login('vanthu')                                           # and its CSRF token still works
    assert c.get('/api/v1/me').json['login'] == 'vanthu'


def test_a_logged_in_csrf_token_is_the_sessions_own(file_app):
    a, b = client(file_app, 'vanthu'), client(file_app, 'vanthu')
    assert a.csrf != b.csrf
    a.post('/logout', {'csrf_token': b.csrf}, status=400)        # b's token is no good for a
    assert a.get('/api/v1/me').json['login'] == 'vanthu'


def test_two_requests_moving_last_seen_do_not_conflict(file_app):
    """Each session is its own object; two requests that both refresh it commit both."""
    client(file_app, 'vanthu')
    conn1, root1 = open_root(file_app)
    conn2, root2 = open_root(file_app)
    try:
        key = next(iter(root1.sessions.records.keys()))
        r1, r2 = root1.sessions.records[key], root2.sessions.records[key]
        r1.last_seen += 100
        r2.last_seen += 200
        conn1.transaction_manager.commit()
        conn2.transaction_manager.commit()           # resolved, not a ConflictError
        conn1.sync()
        assert root1.sessions.records[key].last_seen == r2.last_seen
    finally:
        conn1.close()
        conn2.close()


@pytest.mark.parametrize('values, message', [
    ({'archive.session_idle_seconds': '0'}, 'archive.session_idle_seconds'),
    ({'archive.session_lifetime_seconds': 'huit heures'}, 'archive.session_lifetime_seconds'),
    ({'archive.session_idle_seconds': '60'}, 'session_refresh_seconds < archive.session_idle_seconds'),
    ({'archive.session_idle_seconds': '7200', 'archive.session_lifetime_seconds': '3600'},
     'archive.session_idle_seconds <= archive.session_lifetime_seconds'),
])
def test_session_settings_are_checked_at_start(values, message):
    from archive import settings
    with pytest.raises(ValueError, match=message):
        settings.load({'archive.secret': 's' * 40, **values})
    loaded = settings.load({'archive.secret': 's' * 40})
    assert (loaded.session_lifetime_seconds, loaded.session_idle_seconds, loaded.session_refresh_seconds) == \
        (8 * 3600, 30 * 60, 60)

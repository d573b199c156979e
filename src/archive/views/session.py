"""The pages' session: an opaque id in the cookie, the data on the server (``archive.sessions``).

The cookie carries a random id signed with the instance's secret (the validated one,
``archive_settings.secret``) and nothing else: no login, no CSRF token. What the session holds is
in ZODB, so logout, a disabled account or a new password ends it in every process, and a copied
cookie is worth nothing afterwards.

A visitor who is not logged in gets an id but no record: the login form's CSRF token is an HMAC of
that id under the secret, so showing the login page writes nothing to the database. A record is
written when someone logs in (or an anonymous session stores data, which nothing does today).
"""
import hashlib
import hmac
import secrets

from pyramid.interfaces import ICSRFStoragePolicy, ISession
from pyramid.util import strings_differ
from webob.cookies import SignedCookieProfile
from zope.interface import implementer

from .. import clock
from ..resources.root import app_root
from ..sessions import SessionRecord, alive, key_of, new_id, store

COOKIE_NAME = 'archive_session'
CSRF_KEY = '_csrft_'


class _Plain:
    """The cookie's payload is the id itself (URL-safe ASCII); the profile signs it."""

    @staticmethod
    def dumps(value):
        return value.encode('ascii')

    @staticmethod
    def loads(data):
        value = data.decode('ascii')
        if not value or len(value) > 100:
            raise ValueError('not a session id')
        return value


def _mutating(name):
    method = getattr(dict, name)

    def mutate(self, *args, **kw):
        result = method(self, *args, **kw)
        self.changed()
        return result
    mutate.__name__ = name
    return mutate


@implementer(ISession)
class ZODBSession(dict):
    """A Pyramid ``ISession`` whose data lives in a ``SessionRecord`` of the request's database."""

    def __init__(self, request, profile):
        super().__init__()
        self.request = request
        self.settings = request.registry.archive_settings
        self.now = clock.now().timestamp()
        self.created = self.now
        self.new = True
        self.id = None              # the cookie's id (None: no cookie yet)
        self.record = None          # the stored record, when there is one
        self._send_cookie = False   # set, replace or delete the cookie in the response
        self._profile = profile.bind(request)
        request.add_response_callback(self._write_cookie)
        self._load(self._profile.get_value())

    # ---- reading the cookie
    def _load(self, sid):
        if not sid:
            return
        self.id = sid
        sessions = self._store()
        record = sessions.get(key_of(sid))
        if record is None:
            return                  # an anonymous id (or one that ended): keep it for the CSRF token
        if not alive(record, self.now, self.settings.session_lifetime_seconds,
                     self.settings.session_idle_seconds):
            sessions.remove(record.key)
            self._rotate()          # the id of a dead session is not reused
            return
        self.record = record
        self.new = False
        self.created = record.created
        dict.update(self, record.data)
        if self.now - record.last_seen >= self.settings.session_refresh_seconds:
            record.last_seen = self.now

    def _store(self):
        return store(app_root(self.request))

    def _rotate(self):
        self.id = new_id()
        self._send_cookie = True

    # ---- what the security policy and the login view use
    @property
    def login(self):
        """The logged-in user of this session, or None."""
        return self.record.login if self.record is not None else None

    def login_as(self, login):
        """Start a logged-in session under a new id (a planted id never becomes a login)."""
        sessions = self._store()
        if self.record is not None:
            sessions.remove(self.record.key)
        self._rotate()
        record = SessionRecord(key_of(self.id), login, self.now)
        record.data = dict(self)
        sessions.add(record)
        sessions.purge(self.now - self.settings.session_lifetime_seconds)
        self.record = record
        self.created = self.now
        self.new = True

    # ---- ISession
    def invalidate(self):
        if self.record is not None:
            self._store().remove(self.record.key)
            self.record = None
        dict.clear(self)
        self.id = None
        self._send_cookie = True
        self.created = self.now
        self.new = True

    def changed(self):
        if self.record is None:
            if self.id is None:
                self._rotate()
            self.record = SessionRecord(key_of(self.id), None, self.now)
            self._store().add(self.record)
        self.record.data = dict(self)

    __setitem__ = _mutating('__setitem__')
    __delitem__ = _mutating('__delitem__')
    clear = _mutating('clear')
    pop = _mutating('pop')
    popitem = _mutating('popitem')
    setdefault = _mutating('setdefault')
    update = _mutating('update')

    def flash(self, msg, queue='', allow_duplicate=True):
        storage = list(self.get('_f_' + queue, []))
        if allow_duplicate or msg not in storage:
            storage.append(msg)
            self['_f_' + queue] = storage

    def pop_flash(self, queue=''):
        return self.pop('_f_' + queue, []) if '_f_' + queue in self else []

    def peek_flash(self, queue=''):
        return list(self.get('_f_' + queue, []))

    def new_csrf_token(self):
        if self.login:
            token = secrets.token_urlsafe(32)
            self[CSRF_KEY] = token
            return token
        if self.record is not None:         # an anonymous record: move it to the new id
            sessions = self._store()
            sessions.remove(self.record.key)
            self._rotate()
            self.record.key = key_of(self.id)
            sessions.add(self.record)
        else:
            self._rotate()
        return self._derived_token()

    def get_csrf_token(self):
        if self.login:
            return self.get(CSRF_KEY) or self.new_csrf_token()
        if self.id is None:
            self._rotate()
        return self._derived_token()

    def _derived_token(self):
        return hmac.new(self.settings.secret.encode('utf-8'), b'csrf:' + self.id.encode('ascii'),
                        hashlib.sha256).hexdigest()

    # ---- the response
    def _write_cookie(self, request, response):
        if self._send_cookie:
            self._profile.set_cookies(response, self.id)      # None: the cookie is deleted


class SessionFactory:
    """``config.set_session_factory``: one cookie profile, one session per request."""

    def __init__(self, settings):
        self.profile = SignedCookieProfile(
            settings.secret, 'archive.session', COOKIE_NAME, secure=settings.cookie_secure,
            httponly=True, samesite='Lax', hashalg='sha512', serializer=_Plain())

    def __call__(self, request):
        return ZODBSession(request, self.profile)


@implementer(ICSRFStoragePolicy)
class SessionCSRFPolicy:
    """The CSRF token as the session gives it (derived from the id before login, stored after)."""

    def new_csrf_token(self, request):
        return request.session.new_csrf_token()

    def get_csrf_token(self, request):
        return request.session.get_csrf_token()

    def check_csrf_token(self, request, supplied_token):
        expected = self.get_csrf_token(request).encode('ascii')
        return not strings_differ(expected, (supplied_token or '').encode('utf-8', 'backslashreplace'))


def includeme(config):
    settings = config.registry.archive_settings
    config.set_session_factory(SessionFactory(settings))
    config.set_csrf_storage_policy(SessionCSRFPolicy())

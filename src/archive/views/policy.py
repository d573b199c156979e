"""The Pyramid security policy (web layer): who the request's user is (session cookie for pages,
bearer token for scripts), and ACLs for everything. Principals and permissions: ``archive.security``."""
from pyramid.authorization import ACLHelper
from pyramid.location import lineage
from pyramid.security import Allowed, Denied

from .. import security as S
from ..resources import access
from ..resources.documents import Document
from ..resources.root import app_root
from ..security import hash_token, principals_of


def bearer_token(request):
    auth = request.headers.get('Authorization', '')
    scheme, _sep, value = auth.partition(' ')
    if scheme.lower() == 'bearer' and value.strip():
        return value.strip()
    return None


class SecurityPolicy:
    """Session cookie for pages, bearer token for scripts; ACLs for everything.

    The session (``session.py`` beside this module, kept on the server) names its logged-in user as
    ``request.session.login``; ``remember`` starts such a session, ``forget`` ends it."""

    def __init__(self):
        self.acl = ACLHelper()

    def identity(self, request):
        """The user of this request, looked up once per request."""
        if '_archive_identity' not in request.__dict__:
            request.__dict__['_archive_identity'] = self._identity(request)
        return request.__dict__['_archive_identity']

    def _identity(self, request):
        root = app_root(request)
        token = bearer_token(request)
        if token is not None:
            login = root.tokens.get(hash_token(token))
        else:
            login = request.session.login
        if login is None:
            return None
        user = root['users'].get(login)
        if user is None or not user.active:
            return None
        return user

    def authenticated_userid(self, request):
        user = request.identity
        return user.login if user is not None else None

    def permits(self, request, context, permission):
        """Seeing a document (or a file in it) is the one decision of ``resources.access``;
        everything else is the ACL's."""
        if must_change_password(request):
            return Denied('the password an administrator reset must be changed first')
        principals = principals_of(request.identity)
        if permission == S.VIEW:
            doc = next((loc for loc in lineage(context) if isinstance(loc, Document)), None)
            if doc is not None:
                if access.may_see(principals, doc):
                    return Allowed('resources.access: may see the document')
                return Denied('resources.access: may not see the document')
        return self.acl.permits(context, principals, permission)

    def remember(self, request, userid, **kw):
        request.session.login_as(userid)
        return []           # the session sets its own cookie

    def forget(self, request, **kw):
        request.session.invalidate()
        return []


def must_change_password(request):
    """A page session whose password an administrator reset: nothing but setting one's own password
    (``views/password.py``) until it is done. An API token (a script's) is not held back."""
    user = request.identity
    return user is not None and user.must_change_password and bearer_token(request) is None


def check_csrf(request):
    """CSRF applies to cookie-authenticated requests; a bearer token cannot be forged by a page."""
    return bearer_token(request) is None


def includeme(config):
    """The security policy and CSRF options (the session and its CSRF storage: ``session.py``)."""
    config.set_security_policy(SecurityPolicy())
    config.set_default_csrf_options(require_csrf=True, callback=check_csrf)

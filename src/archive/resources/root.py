"""The application root stored in ZODB, and how a request finds it."""
from BTrees.OOBTree import OOBTree, OOTreeSet
from pyramid.authorization import Allow, Authenticated, DENY_ALL
from pyramid_zodbconn import get_connection

from .. import security as S
from ..audit import Journal
from ..calendar import CalendarOverrides
from ..outbox import Outbox
from ..refused import Refused
from ..reports.counters import Stats
from ..sessions import SessionStore
from .bodies import Bodies
from .folder import Folder
from .users import Users
from ..exchange.deliveries import Exchange

class ArchiveRoot(Folder):
    __acl__ = [
        (Allow, 'role:' + S.ADMIN, (S.MANAGE, S.VIEW_CERTIFICATES, S.MANAGE_CERTIFICATES)),
        (Allow, Authenticated, S.VIEW_BODIES),
        DENY_ALL,
    ]

    def __init__(self):
        super().__init__()
        self.add('bodies', Bodies())
        self.add('users', Users())
        self.journal = Journal()
        self.tokens = OOBTree()          # sha256(token) -> login
        self.login_failures = OOBTree()  # 'acct:<login>' / 'addr:<ip>' -> (count, first_at_ts)
        self.evolved = OOTreeSet()       # names of evolve steps that have run
        self.outbox = Outbox()
        self.calendar_overrides = CalendarOverrides()
        self.exchange = Exchange()
        self.sessions = SessionStore()   # login sessions, kept on the server (sessions.py)
        self.refusal_counts = Refused()        # refusals of unvouched traffic, counted per hour (bounded)
        self.stats = Stats()             # statistics counters per body and period (reports.counters)


def root_key(registry):
    return registry.archive_settings.root_key


def app_root(request):
    """The ArchiveRoot of this request's connection (cached on the request)."""
    root = request.__dict__.get('_archive_root')
    if root is None:
        conn = get_connection(request)
        root = conn.root()[root_key(request.registry)]
        request.__dict__['_archive_root'] = root
    return root


def root_factory(request):
    return app_root(request)

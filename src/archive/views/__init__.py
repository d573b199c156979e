"""HTML pages (Chameleon + deform) in Vietnamese; English through ``?_LOCALE_=en``."""
import datetime as dt

import deform
from markupsafe import Markup, escape
from importlib.resources import files
from pyramid.i18n import get_localizer
from pyramid.threadlocal import get_current_request

from .. import clock
from ..i18n import _
from ..services.accounts import administered
from ..schemas import vocab
from ..text import fold
from .http import raw_path
from .flash import greeting
from ..resources import access
from ..resources.root import app_root
from ..services.desk import waiting_count
from ..i18n import counted, locale_url, number_text, size_text
from ..workflow.titles import transition_title
from .. import security as S
from ..security import ROLE_TITLES
from ..services.certificates import origin_status
from ..exchange.edxml.deviations import described
from ..exchange.receive.common import ACTOR as EXCHANGE_ACTOR
from ..archival.backup import SCHEDULE_ACTOR
from ..archival.batches import KINDS as BATCH_KINDS
from ..services.legal import legal_status
from ..workflow.titles import state_title
from ..schemas.document import DocumentSchema



def _deform_translator(term):
    request = get_current_request()
    return get_localizer(request).translate(term) if request is not None else term


JSON_PATHS = ('/api/', '/exchange/', '/healthz')      # answered in JSON, errors too


def api_request(request):
    return raw_path(request).startswith(JSON_PATHS)


class PageHelpers:
    """What templates use to show values the same way everywhere."""

    iso = staticmethod(clock.iso)
    now = staticmethod(clock.now)
    display = staticmethod(clock.display)
    urgencies = vocab.URGENCIES
    classifications = {**vocab.CLASSIFICATIONS, **vocab.REFUSED_CLASSIFICATIONS}
    channels = vocab.CHANNELS
    directions = vocab.DIRECTIONS
    kinds = vocab.BODY_KINDS
    routes = vocab.ROUTES
    delivery_routes = vocab.DELIVERY_ROUTES
    paper_means = vocab.PAPER_MEANS
    actions = vocab.ACTIONS
    signature_statuses = vocab.SIGNATURE_STATUSES
    batch_kinds = BATCH_KINDS

    def __init__(self, request):
        self.request = request
        self.t = request.localizer.translate

    def label(self, table, key):
        value = table.get(key)
        return self.t(value) if value is not None else (key or '')

    def greeting(self):
        """On the page login led to: what is urgent or due tomorrow (views/flash.py)."""
        return greeting(self.request)

    def waiting(self):
        """What waits on my desk: the counter beside "Việc cần xử lý" on every page."""
        return waiting_count(app_root(self.request), self.request.identity, self.request.registry)

    def when(self, value):
        """A date or time as the pages show it, ``24/11/2026 09:30`` in Vietnam time, its ISO 8601
        form (+07:00) kept for machines in ``<time datetime>``; '' for none."""
        if value in (None, ''):
            return ''
        if isinstance(value, str):
            try:
                value = clock.parse_iso(value) if 'T' in value else dt.date.fromisoformat(value)
            except ValueError:
                return value
        return Markup(f'<time datetime="{escape(clock.iso(value))}">{escape(clock.display(value))}</time>')

    def size(self, size):
        """A size in bytes for people (``1,5 MB``; ``i18n.size_text``), the exact number of bytes
        kept for machines in ``<data value>``; '' for none."""
        if not isinstance(size, int):
            return ''
        return Markup(f'<data value="{size}">{size_text(size, self.request.localizer.locale_name)}</data>')

    def count(self, kind, n, **mapping):
        """``n`` things of a kind of ``i18n.COUNTED``, in the form the count asks for; a fraction
        (1,5 giờ) written with the reader's decimal sign."""
        if not isinstance(n, int):
            mapping.setdefault('n', self.number(n))
        return self.t(counted(kind, n, **mapping))

    def number(self, value, digits=1):
        """A figure with ``digits`` decimals at most, with the reader's decimal sign (``1,5``)."""
        return number_text(value, self.request.localizer.locale_name, digits)

    def age(self, seconds):
        """How long ago, as people say it: "dưới 1 phút", "8 phút", "1,5 giờ"; '—' for never."""
        if seconds is None:
            return '—'
        if seconds < 60:
            return self.t(_('age_under_a_minute', default='dưới 1 phút'))
        if seconds < 3600:
            return self.t(_('age_minutes', default='${n} phút', mapping={'n': int(seconds // 60)}))
        return self.t(_('age_hours', default='${n} giờ', mapping={'n': self.number(seconds / 3600.0)}))

    def register_name(self, doc):
        """The register a number was taken in, as a clerk names it (not its internal key
        ``incoming/den/*/2026``): "Sổ văn bản đến, 2026"."""
        parts = (doc.register_series or '').split('/')
        secret = 'mat' in parts[1] if len(parts) > 1 else False
        name = {('incoming', False): _('register_incoming', default='Sổ văn bản đến'),
                ('incoming', True): _('register_incoming_secret', default='Sổ văn bản đến Mật'),
                ('outgoing', False): _('register_outgoing', default='Sổ văn bản đi'),
                ('outgoing', True): _('register_outgoing_secret', default='Sổ văn bản đi Mật')}[
                    (doc.direction if doc.direction == 'outgoing' else 'incoming', secret)]
        return f'{self.t(name)}, {parts[-1]}' if parts[-1] else self.t(name)

    def unit_name(self, doc, code):
        unit = doc.__parent__.__parent__.units.get(code) if code else None
        return unit.name if unit is not None else (code or '')

    def locale_url(self, locale):
        return locale_url(self.request, locale)

    def action_title(self, doc, action, transition=None):
        """A journal action as the clerk knows it: the workflow's title (``transition``: the one
        the journal names), else our label; in the reader's language."""
        title = transition_title(doc, action, self.request.registry, transition)
        return self.t(title) if title is not None else self.label(self.actions, action)

    def person(self, login):
        if login == EXCHANGE_ACTOR:                # what the exchange did (exchange/receive/)
            return self.t(_('actor_exchange', default='Hệ thống trao đổi văn bản'))
        user = self.request.root['users'].get(login) if login else None
        if user is None and login == SCHEDULE_ACTOR:    # a scheduled backup (archival/backup_schedule.py)
            return self.t(_('actor_schedule', default='Hệ thống (tự động theo lịch)'))
        return user.full_name if user is not None else (login or '')

    def administers(self, code):
        """Whether this administrator administers the body ``code`` (services/accounts.py)."""
        user = self.request.identity
        return user is not None and user.has_role('admin') and code in administered(self.request.root, user)

    def finds_documents(self):
        """Whether the top bar offers the search box: to whom may list their body's documents
        (the menu's "Văn bản" link asks the same)."""
        user = self.request.identity
        own = self.request.root['bodies'].get(user.body_code) if user is not None else None
        return own is not None and bool(self.request.has_permission(S.LIST_DOCUMENTS, own))

    def sees_statistics(self):
        """Whether the menu offers "Thống kê": the one access decision (``resources.access``)
        that the statistics pages themselves ask."""
        return access.statistics_root(self.request.root['bodies'], self.request.identity) is not None

    def role_titles(self, roles):
        return ', '.join(self.t(ROLE_TITLES[r]) if r in ROLE_TITLES else r for r in roles)

    def origin_status(self, doc):
        """'valid' | 'invalid' | 'unsigned' | 'not_verified' | None: the signature check's status."""
        return origin_status(doc)

    def deviations(self, pairs):
        """A package's deviations in words (exchange/edxml/deviations.py: the ones the API shows)."""
        return described(pairs)

    def legal(self, doc):
        """The document's legal status (services/legal.py: the one the API shows)."""
        return legal_status(doc)

    def state_title(self, doc):
        """The state's title as workflows/*.zcml gives it, in the reader's language."""
        return self.t(state_title(doc, self.request.registry))

    def doc_type(self, abbr):
        name = self.request.registry.archive_settings.document_types.get(abbr)
        return f'{name} ({abbr})' if name else (abbr or '')

    def type_name_as_sent(self, doc):
        """The document type as the sender wrote it (``TypeName``), when it is not the name of the
        type it was taken in as (an unknown name falls back to CV): shown beside the type, so
        the clerk is not misled; else None."""
        written = ((getattr(doc, 'exchange', None) or {}).get('type_name') or '').strip()
        ours = self.request.registry.archive_settings.document_types.get(doc.doc_type) or ''
        return written if written and fold(written) != fold(ours) else None

    def field_title(self, name):
        node = DocumentSchema().get(name)
        return self.t(node.title) if node is not None else name

    def revision_fields(self, doc, values):
        """A revision's stored values as the document page says them, in the form's order:
        ``[(name, title, shown)]`` (codes in words, dates as dates, lists joined)."""
        order = {node.name: n for n, node in enumerate(DocumentSchema().children)}
        tables = {'direction': self.directions, 'urgency': self.urgencies, 'classification': self.classifications,
                  'channel': self.channels}
        out = []
        for name, value in sorted(values.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])):
            if name in tables:
                shown = self.label(tables[name], value)
            elif name == 'doc_type':
                shown = self.doc_type(value)
            elif name == 'holder_unit':
                shown = self.unit_name(doc, value)
            elif hasattr(value, 'isoformat'):
                shown = self.when(value)
            elif isinstance(value, (list, tuple)):
                shown = '; '.join(str(v) for v in value)
            else:
                shown = value
            out.append((name, self.field_title(name), shown))
        return out


FORM_TEMPLATES = (files('archive') / 'templates' / 'deform', files('deform') / 'templates')


def form_renderer():
    """Deform's renderer: our form templates first, then deform's own."""
    return deform.ZPTRendererFactory([str(folder) for folder in FORM_TEMPLATES], translator=_deform_translator)


def includeme(config):
    deform.Form.set_default_renderer(form_renderer())
    config.include('.memory')            # request bodies and uploads never in a temporary file
    config.add_static_view('static', 'archive:static', cache_max_age=3600)
    config.add_static_view('static-deform', 'deform:static', cache_max_age=3600)
    config.add_request_method(api_request, 'is_api', reify=True)
    config.add_request_method(PageHelpers, 'h', reify=True)
    config.include('.http')          # headers on every answer, unreadable forms refused
    config.add_route('healthz', '/healthz', factory=lambda request: object())
    config.add_route('favicon', '/favicon.ico', factory=lambda request: object())     # views/favicon.py
    config.add_route('exchange_admin', '/admin/exchange')      # context: the root (admins: manage)
    config.add_route('monitoring', '/admin/security')          # security monitoring: the root (admins)
    config.add_route('backups', '/admin/backups')             # context: the root (admins: manage)
    # statistics (views/stats.py): the dashboard, the documents behind a figure, the quarterly report
    config.add_route('stats', '/stats')
    config.add_route('stats_documents', '/stats/documents')
    config.add_route('stats_quarterly', '/stats/quarterly')
    config.add_route('search_page', '/search')                  # search (views/search.py)
    config.add_route('account', '/me')     # one's own page: notifications (views/me.py)

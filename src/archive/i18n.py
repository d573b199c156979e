"""Translation strings of the 'archive' domain, and the choice of language.

Message ids are stable codes; the default text is Vietnamese, the language of the
product. Other languages (English first) come from ``locale/<lang>/LC_MESSAGES``.

The one way Python code localises a message: a translation string (``_``) rendered by a Pyramid
localizer over these catalogs — the request's (``request.localizer.translate``) in the web layer,
``translate(message, locale)`` where no request is (console scripts, a message set inside another).
"""
from urllib.parse import urlencode

from babel.numbers import format_decimal
from babel.units import format_unit
from pyramid.i18n import Localizer as PyramidLocalizer
from pyramid.i18n import TranslationString, TranslationStringFactory, make_localizer
from pyramid.path import AssetResolver

_ = TranslationStringFactory('archive')

LOCALES = ('vi', 'en')
DEFAULT = 'vi'
COOKIE = '_LOCALE_'


def negotiate(request):
    """``?_LOCALE_=en`` chooses and is remembered in a cookie; anything unsupported is Vietnamese."""
    try:
        asked = request.GET.get(COOKIE)      # the query only: a body may be unreadable
    except UnicodeDecodeError:               # nor may the query be UTF-8 (refused elsewhere)
        asked = None
    if asked in LOCALES:
        if request.cookies.get(COOKIE) != asked:
            request.add_response_callback(
                lambda req, resp: resp.set_cookie(COOKIE, asked, max_age=365 * 86400, httponly=True,
                                                  samesite='Lax'))
        return asked
    remembered = request.cookies.get(COOKIE)
    return remembered if remembered in LOCALES else DEFAULT


def locale_url(request, locale):
    """This page's URL in another language, keeping its other query parameters."""
    try:
        params = [(k, v) for k, v in request.GET.items() if k != COOKIE]
    except UnicodeDecodeError:          # a query that is not UTF-8 is not carried over
        params = []
    params.append((COOKIE, locale))
    try:
        here = request.path_url
    except UnicodeDecodeError:          # a path that is not UTF-8: the home page in that language
        here = request.application_url + '/'
    return here + '?' + urlencode(params)


CATALOGS = ('archive:locale/', 'colander:locale/', 'deform:locale/')     # ours first, as a request has them
_localizers = {}


class Size(int):
    """A number of bytes put in a message's mapping (a limit, a file's size): the localizer writes
    it in people's units in the reader's language (``size_text``: "50 MB", "1,5 MB"), where a
    plain number would be interpolated as it is; outside a localizer it reads as in Vietnamese."""

    def __str__(self):
        return size_text(int(self))


class Plural(TranslationString):
    """A message with a count (``plural``): a catalog with plural forms (English: "1 original
    file", "2 original files") chooses by ``n``, as ngettext does; Vietnamese has one form, the
    default. Its plural id, for the catalogs, is the id with ``_plural`` after it."""

    __slots__ = ('n',)

    def __new__(cls, msgid, n, default, mapping):
        self = TranslationString.__new__(cls, msgid, domain='archive', default=default, mapping=mapping)
        self.n = n
        return self

    @property
    def plural_id(self):
        return f'{self}_plural'


def plural(msgid, n, default, mapping=None):
    """The counted form of ``_``: ``plural('export_originals', 3, default='${n} tệp gốc')``;
    ``${n}`` is the count unless ``mapping`` gives it otherwise (a figure written with decimals:
    the form is still chosen by ``n``). ``tools/extract_messages.py`` writes it with a
    ``msgid_plural``."""
    return Plural(msgid, n, default, {'n': n, **(mapping or {})})


# What the pages and messages count, each a message with a count ("1 original file", "2 original
# files" in English): ``counted('originals', 2)``, in a page ``h.count('originals', 2)``. Several
# counts in one sentence are each one of these in its mapping (the localizer translates them).
COUNTED = {
    'documents': lambda n, m: plural('count_documents', n, default='${n} văn bản', mapping=m),
    'documents_done': lambda n, m: plural('count_documents_done', n, default='${done}/${n} văn bản', mapping=m),
    'files': lambda n, m: plural('count_files', n, default='${n} hồ sơ', mapping=m),
    'originals': lambda n, m: plural('count_originals', n, default='${n} tệp gốc', mapping=m),
    'accounts': lambda n, m: plural('count_accounts', n, default='${n} tài khoản', mapping=m),
    'plan_entries': lambda n, m: plural('count_plan_entries', n, default='${n} mục danh mục hồ sơ', mapping=m),
    'backup_sets': lambda n, m: plural('count_backup_sets', n, default='${n} bộ', mapping=m),
    'urgent_documents': lambda n, m: plural('count_urgent_documents', n, default='${n} văn bản khẩn', mapping=m),
    'due_tomorrow': lambda n, m: plural('count_due_tomorrow', n, default='${n} văn bản đến hạn xử lý ngày mai',
                                          mapping=m),
    'no_pages': lambda n, m: plural('count_no_pages', n, default='còn ${n} văn bản chưa ghi số trang', mapping=m),
    'hours': lambda n, m: plural('count_hours', n, default='${n} giờ', mapping=m),
    'days': lambda n, m: plural('count_days', n, default='${n} ngày', mapping=m),
}


def counted(kind, number, **mapping):
    """``number`` things of a kind of ``COUNTED``; ``mapping`` may write ``n`` otherwise (a fraction)."""
    return COUNTED[kind](number, mapping)


class Localizer(PyramidLocalizer):
    """Pyramid's localizer, but a message's mapping values are written for this locale before the
    message is interpolated (translationstring interpolates with ``str()``, which knows no locale):
    a ``Size`` in this locale's units and signs, a message (a state's title) translated; and a
    ``Plural`` takes the form its count asks for."""

    def translate(self, tstring, domain=None, mapping=None):
        found = getattr(tstring, 'mapping', None)
        if found and any(isinstance(v, (Size, TranslationString)) for v in found.values()):
            found = {k: self._value(v) for k, v in found.items()}
            if not isinstance(tstring, Plural):
                tstring = TranslationString(tstring, mapping=found)
        if isinstance(tstring, Plural):
            return self._counted(tstring, found)
        return super().translate(tstring, domain=domain, mapping=mapping)

    def _value(self, value):
        if isinstance(value, Size):
            return size_text(int(value), self.locale_name)
        if isinstance(value, TranslationString):
            return self.translate(value)
        return value

    def _counted(self, message, mapping):
        n = message.n if isinstance(message.n, int) else 1 if message.n == 1 else 2    # 1,5 giờ: "1.5 hours"
        text = self.pluralize(str(message), message.plural_id, n, domain=message.domain, mapping=mapping)
        if text in (str(message), message.plural_id):       # not in the catalog: the default
            text = super().translate(TranslationString(message.default, mapping=mapping))
        return text


def localizer(locale=DEFAULT):
    """The localizer of ``locale`` over the catalogs a request's has (made once per locale); the
    request's own (``request.localizer``) is this one too."""
    found = _localizers.get(locale)
    if found is None:
        folders = [AssetResolver().resolve(spec).abspath() for spec in CATALOGS]
        made = make_localizer(locale, folders)
        found = _localizers[locale] = Localizer(made.locale_name, made.translations)
    return found


def translate(message, locale=DEFAULT):
    """``message`` (a translation string, or plain text as it is) in ``locale``, where no request
    is: the same catalogs as the pages; Vietnamese, the default text, unless asked otherwise."""
    if not isinstance(message, TranslationString):
        return str(message)
    return localizer(locale).translate(message)


SIZE_UNITS = ((10 ** 9, 'digital-gigabyte'), (10 ** 6, 'digital-megabyte'), (10 ** 3, 'digital-kilobyte'))


def size_text(size, locale=DEFAULT):
    """A size in bytes as people read it, in decimal units with one decimal at most and the
    locale's decimal sign: ``1,5 MB`` in Vietnamese, ``1.5 MB`` in English, ``812 byte``. The one
    place sizes are worded for people (the API and the journal keep numbers of bytes)."""
    for factor, unit in SIZE_UNITS:
        if round(size / factor, 1) >= 1:        # 999,999,999 bytes is 1 GB, not 1.000 MB
            return format_unit(size / factor, unit, length='short', format='#,##0.#', locale=locale)
    return format_unit(size, 'digital-byte', length='short', format='#,##0', locale=locale)


def number_text(value, locale=DEFAULT, digits=1):
    """A figure with ``digits`` decimals at most, in the locale's signs (``1,5`` giờ; ``1.5`` hours)."""
    return format_decimal(value, format='#,##0.' + '#' * digits, locale=locale)


def includeme(config):
    config.add_translation_dirs(*CATALOGS)
    config.set_locale_negotiator(negotiate)
    config.add_request_method(lambda request: localizer(request.locale_name), 'localizer', reify=True)

"""Translation strings of the 'archive' domain, and the choice of language.

Message ids are stable codes; the default text is Vietnamese, the language of the
product. Other languages (English first) come from ``locale/<lang>/LC_MESSAGES``.
"""
from pyramid.i18n import TranslationStringFactory

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
    from urllib.parse import urlencode
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


def includeme(config):
    config.add_translation_dirs('archive:locale/', 'colander:locale/', 'deform:locale/')
    config.set_locale_negotiator(negotiate)

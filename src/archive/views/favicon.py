"""``/favicon.ico``: browsers ask for it on every page whatever the page links to; answered from
the static folder (``static/favicon.ico``, the one the pages name in ``<link rel=icon>``), without
login and without opening the database, instead of a 404 in every page load's log."""
from importlib.resources import files

from pyramid.response import FileResponse
from pyramid.view import view_config

ICON = files('archive') / 'static' / 'favicon.ico'
CACHE_SECONDS = 7 * 86400


@view_config(route_name='favicon', request_method=('GET', 'HEAD'))
def favicon(request):
    return FileResponse(str(ICON), request=request, content_type='image/vnd.microsoft.icon',
                        cache_max_age=CACHE_SECONDS)

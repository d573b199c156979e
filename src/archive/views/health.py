"""``/healthz``: answers without login whether the database is reachable."""
from pyramid.view import view_config
from pyramid_zodbconn import get_connection

from .. import clock


@view_config(route_name='healthz', renderer='json', require_csrf=False)
def healthz(request):
    error = None
    try:
        conn = get_connection(request)
        storage = conn.db().storage
        connected = getattr(storage, 'is_connected', lambda: True)()
        conn.root()._p_activate()
        ok = bool(connected)
        if not ok:
            error = 'storage disconnected'
    except Exception as exc:  # report any storage failure, never raise here
        ok, error = False, exc.__class__.__name__
    request.response.status = 200 if ok else 503
    body = {'status': 'ok' if ok else 'unavailable', 'database': ok, 'time': clock.iso(clock.now())}
    if error:
        body['error'] = error
    return body

"""``/healthz``: answers without login whether the database is reachable, and the state of the
exchange worker's queue (waiting per route, the oldest waiting, held, waiting to be retried)."""
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
        exchange = _exchange_state(conn, request)
        if not ok:
            error = 'storage disconnected'
    except Exception as exc:  # report any storage failure, never raise here
        ok, error, exchange = False, exc.__class__.__name__, None
    request.response.status = 200 if ok else 503
    body = {'status': 'ok' if ok else 'unavailable', 'database': ok, 'time': clock.iso(clock.now())}
    if exchange is not None:
        body['exchange'] = exchange
    if error:
        body['error'] = error
    return body


def _exchange_state(conn, request):
    from ..exchange.deliveries import queue_state
    from ..resources.root import root_key
    root = conn.root().get(root_key(request.registry))
    return queue_state(root) if root is not None and getattr(root, 'exchange', None) is not None else None

"""``/healthz``: answers without login whether the database is reachable, the state of the
exchange worker's queue (waiting per route, the oldest waiting, held, waiting to be retried) and
how many deliveries wait for their paper copy (read from the small paper index; the other counts
per state need every delivery read, and are on the administrators' page only), and whether the
backups are in order (``backups``)."""
from pyramid.view import view_config
from pyramid_zodbconn import get_connection

from .. import clock
from ..archival.backup_status import status
from ..resources.root import root_key
from ..exchange.deliveries import queue_state
from ..outbox import outbox_of


@view_config(route_name='healthz', renderer='json', require_csrf=False)
def healthz(request):
    error = None
    try:
        conn = get_connection(request)
        storage = conn.db().storage
        connected = getattr(storage, 'is_connected', lambda: True)()
        conn.root()._p_activate()
        ok = bool(connected)
        exchange, paper_waiting = _exchange_state(conn, request)
        backups = _backup_state(conn, request)
        if not ok:
            error = 'storage disconnected'
    except Exception as exc:  # report any storage failure, never raise here
        ok, error, exchange, paper_waiting, backups = False, exc.__class__.__name__, None, None, None
    request.response.status = 200 if ok else 503
    body = {'status': 'ok' if ok else 'unavailable', 'database': ok, 'time': clock.iso(clock.now())}
    if exchange is not None:
        body['exchange'] = exchange
        body['paper_waiting'] = paper_waiting
    if backups is not None:
        body['backups'] = backups
    if error:
        body['error'] = error
    return body


def _backup_state(conn, request):
    """The backups at a glance (archival/backup.py): ok, the age of the oldest of the destinations'
    last good backups, and what is wrong (the administrators' page /admin/backups says more)."""
    root = conn.root().get(root_key(request.registry))
    if root is None:
        return None
    state = status(root, request.registry.archive_settings)
    return {'ok': state['ok'], 'age_seconds': state['age_seconds'], 'problems': state['problems']}


def _exchange_state(conn, request):
    root = conn.root().get(root_key(request.registry))
    if root is None or getattr(root, 'exchange', None) is None:
        return None, None
    paper = root.exchange.paper
    state = dict(queue_state(root), messages_waiting=len(outbox_of(root).due))
    return state, len(paper) if paper is not None else 0

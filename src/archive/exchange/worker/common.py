"""What the worker's parts share: a transaction of its own with the registry set, the worker's
name, the retry policy, and the record of each route's availability."""
import logging
import os
import socket
import threading

from pyramid.threadlocal import manager

from ... import audit
from ...db import run_apart
from ...reports import availability
from ..receive import ACTOR

log = logging.getLogger('archive.exchange.worker')
LOCAL = 'hosted'


def with_registry(registry, fn, attempts=5, backoff=0.0):
    manager.push({'registry': registry, 'request': None})
    try:
        return run_apart(registry, fn, attempts, backoff)
    finally:
        manager.pop()


def worker_name():
    return f'{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}'


def retry_policy(registry):
    """``archive.delivery_retry_seconds`` (30), ``..._cap_seconds`` (3600), ``archive.delivery_max_attempts`` (8)."""
    s = registry.archive_settings
    return dict(base_seconds=s.delivery_retry_seconds, cap_seconds=s.delivery_retry_cap_seconds,
                max_attempts=s.delivery_max_attempts)


def route_seen(registry, route, reachable, error=''):
    """An attempt by ``route`` reached the other side (``reachable``) or not: when that changes the
    route's state (known in this process, else read from the journal), ``route_up`` or
    ``route_down`` is journaled (Art. 13.1 availability, ``reports.availability``): one write per
    change, none per attempt."""
    states = registry.__dict__.setdefault('archive_route_states', {})
    state = 'up' if reachable else 'down'
    try:
        known = states.get(route) or with_registry(
            registry, lambda root: availability.last_route_state(root, route)) or 'up'
        if known != state:
            facts = {'route': route, **({'error': error[:300]} if error else {})}
            with_registry(registry, lambda root: audit.append(root, audit.ROUTES_CHAIN, f'route_{state}',
                                                              ACTOR, **facts))
        states[route] = state
    except Exception:       # the record of availability never stops the exchange
        log.exception('route %s state not journaled', route)

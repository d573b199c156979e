"""Availability of the exchange (Art. 13.1: 24/7), from the journal, for the quarterly report.

The exchange worker journals (``exchange/worker/``):

* on ``audit.WORKER_CHAIN``, listed by time in the journal's ``availability`` index:
  ``worker_started`` and ``worker_alive`` (every ``archive.heartbeat_minutes``), each with
  ``worker`` (its name) and ``every`` (the heartbeat, seconds); ``worker_stopped`` when it stops.
  A worker is up from a sign of life until twice its heartbeat later (or until it says it
  stopped); the worker is down when no worker is up.
* on ``audit.ROUTES_CHAIN``: ``route_down`` and ``route_up`` (``route``: ``instance`` = HTTP to
  another instance, ``email``, ``mailbox``, ``axis``; ``error`` when down), written only when a
  route's state changes: an attempt that could not reach the other side after one that could,
  and back. A route is down from its ``route_down`` until its next ``route_up``.

Nothing is counted before the worker's first sign of life ever (``measured_from``): the time
before anything was recorded is neither up nor down.
"""
import datetime as dt
import json

from .. import audit, clock

ROUTES = ('instance', 'email', 'axis')      # always in the answer (HTTP, email, axis); others when seen
LOOKBACK = dt.timedelta(days=1)             # signs of life read from this long before ``start``
WORKER_ACTIONS = ('worker_started', 'worker_alive', 'worker_stopped')


def _clip(intervals, start, end):
    out = []
    for a, b in intervals:
        a, b = max(a, start), min(b, end)
        if b > a:
            out.append((a, b))
    return out


def _complement(intervals, start, end):
    gaps, at = [], start
    for a, b in sorted(intervals):
        if a > at:
            gaps.append((at, a))
        at = max(at, b)
    if end > at:
        gaps.append((at, end))
    return gaps


def _shape(intervals):
    return {'intervals': [(clock.iso(a), clock.iso(b)) for a, b in intervals],
            'seconds': int(sum((b - a).total_seconds() for a, b in intervals))}


def _first_at(root, chain_id):
    chain = audit.journal_of(root).chains.get(chain_id)
    if chain is None or not chain.length:
        return None
    return clock.parse_iso(chain.entries[chain.entries.minKey()][0])


def _worker_up(root, start, until):
    """The stretches when some worker was up, from the signs of life since ``start - LOOKBACK``."""
    up, alive = [], {}                  # worker name -> (from, up until) of its current stretch
    for entry in audit.indexed(root, 'availability', clock.iso(start - LOOKBACK), clock.iso(until)):
        if entry['action'] not in WORKER_ACTIONS:
            continue
        at, facts, action = clock.parse_iso(entry['at']), entry['details'], entry['action']
        name = facts.get('worker', '')
        stretch = alive.pop(name, None)
        if stretch is not None and (stretch[1] < at or action != 'worker_alive'):
            up.append((stretch[0], min(stretch[1], at)))     # ran out before this sign, or ended by it
            stretch = None
        if action != 'worker_stopped':
            grace = dt.timedelta(seconds=2 * float(facts.get('every') or 300))
            alive[name] = (stretch[0] if stretch else at, at + grace)
    return up + list(alive.values())


def _routes_down(root, until):
    """route -> the intervals it was down (the last one open until ``until``), from every change."""
    down, since = {}, {}
    for entry in audit.entries(root, audit.ROUTES_CHAIN):
        at, route = clock.parse_iso(entry['at']), entry['details'].get('route', '')
        if at >= until:
            break
        if entry['action'] == 'route_down':
            since.setdefault(route, at)
        elif entry['action'] == 'route_up' and route in since:
            down.setdefault(route, []).append((since.pop(route), at))
    for route, at in since.items():
        down.setdefault(route, []).append((at, until))
    return down


def downtime(root, start, end, now=None):
    """When the exchange worker and each route were down between ``start`` and ``end`` (aware
    datetimes; nothing after ``now`` is counted). Returns::

        {'start': ISO, 'end': ISO, 'measured_from': ISO or None,
         'worker': {'intervals': [(from ISO, to ISO), ...], 'seconds': int},
         'routes': {'instance': {<same>}, 'email': {<same>}, 'axis': {<same>}, <other routes seen>: ...}}

    Intervals are clipped to the period (and to ``measured_from``), oldest first; ``seconds`` is
    their total. ``instance`` is HTTP to other instances."""
    until = min(end, now or clock.now())
    first = _first_at(root, audit.WORKER_CHAIN)
    measured = max(start, first) if first is not None and first < until else None
    worker = []
    if measured is not None:
        worker = _complement(_clip(_worker_up(root, start, until), measured, until), measured, until)
    down = _routes_down(root, until)
    routes = {route: _shape(_clip(down.get(route, []), start, until)) for route in sorted(set(ROUTES) | set(down))}
    return {'start': clock.iso(start), 'end': clock.iso(end),
            'measured_from': clock.iso(measured) if measured is not None else None,
            'worker': _shape(worker), 'routes': routes}


def last_route_state(root, route):
    """'up', 'down' or None (never journaled): the last change of ``route`` (read back from the
    newest; the chain holds changes only)."""
    chain = audit.journal_of(root).chains.get(audit.ROUTES_CHAIN)
    if chain is None:
        return None
    for seq in range(chain.length, 0, -1):
        _at, _actor, action, details, _prev, _hash = chain.entries[seq]
        if json.loads(details).get('route') == route:
            return 'down' if action == 'route_down' else 'up'
    return None

"""What the administrators' backup page, the API and ``/healthz`` show of the backups: the runs
journaled on the chain ``backups``, each destination's last good one and its age, and the last
drill (``archive-backup verify``: a run restored and compared with the live database), journaled
on the same chain."""
import json

from .. import audit, clock
from .backup import ACTION, CHAIN

DRILL = 'backup_drill'
LISTED = 20                     # differences and problems a drill's entry names (it counts them all)


def journal_drill(root, destination, report, actor):
    """The drill's result on the chain ``backups``: ``ok``, ``damaged`` (the backup could not be
    restored whole) or ``differs`` (restored, not identical to the live database), with what."""
    result = 'damaged' if report['problems'] else 'differs' if report['differences'] else 'ok'
    return audit.append(root, CHAIN, DRILL, actor, destination=destination, run=report['run'], result=result,
                        counts=report.get('counts') or {}, problems=len(report['problems']),
                        differences=len(report['differences']),
                        named=[f"{p['code']}: {p['what']}" for p in report['problems'] + report['differences']][:LISTED])


def _drills(root, now=None, scan=5000):
    """The drills journaled, newest first, each with its ``age_seconds``."""
    chain = audit.journal_of(root).chains.get(CHAIN)
    if chain is None:
        return
    now = clock.now() if now is None else now
    for seq in range(chain.length, max(0, chain.length - scan), -1):
        at, actor, action, details, _prev, _hash = chain.entries[seq]
        if action == DRILL:
            age = (now - clock.parse_iso(at)).total_seconds()
            yield dict(json.loads(details), at=at, actor=actor, seq=seq, age_seconds=round(age))


def last_drills(root, destinations, now=None, scan=5000):
    """Each destination's newest drill, newest first (a drill of the page or of ``archive-backup
    verify`` journals one entry a destination), and any newer one of a destination no longer
    configured; read back only until every destination has its own (``/healthz`` asks often)."""
    found, wanted = {}, set(destinations)
    for drill in _drills(root, now, scan):
        found.setdefault(drill['destination'], drill)
        if wanted <= found.keys():
            break
    return found


def last_drill(root, now=None, scan=5000):
    """The newest drill journaled, with its ``age_seconds``; None when none was."""
    return next(_drills(root, now, scan), None)


def recent_runs(root, limit=50, scan=5000):
    """The newest ``limit`` results journaled (one a destination and run), newest first."""
    chain = audit.journal_of(root).chains.get(CHAIN)
    if chain is None:
        return []
    out = []
    for seq in range(chain.length, max(0, chain.length - scan), -1):
        at, actor, action, details, _prev, _hash = chain.entries[seq]
        if action != ACTION:
            continue
        out.append(dict(json.loads(details), at=at, actor=actor, seq=seq))
        if len(out) == limit:
            break
    return out


def status(root, settings, now=None):
    """The state of the backups: per destination its last run and last good run, the age of the
    oldest of the destinations' last good backups, and ``ok`` (False: red) when a destination
    has none, its last one is older than ``backup_max_age_hours``, or its last run failed."""
    now = clock.now() if now is None else now
    destinations = settings.backup_destinations
    runs = recent_runs(root, limit=max(200, 4 * len(destinations)))
    drills = last_drills(root, destinations, now)
    per = {}
    for destination in destinations:
        mine = [r for r in runs if r['destination'] == destination]
        good = next((r for r in mine if r['result'] == 'ok'), None)
        age = (now - clock.parse_iso(good['at'])).total_seconds() if good else None
        per[destination] = {'destination': destination, 'last_good_at': good['at'] if good else None,
                            'age_seconds': round(age) if age is not None else None,
                            'last_failed': bool(mine) and mine[0]['result'] != 'ok',
                            'drill': drills.get(destination)}
        if mine:
            per[destination]['last_run'] = mine[0]
    ages = [d['age_seconds'] for d in per.values()]
    worst = None if not ages or None in ages else max(ages)
    max_age = settings.backup_max_age_hours * 3600
    problems = []
    if not destinations:
        problems.append('backup_no_destinations')
    if any(a is None for a in ages):
        problems.append('backup_none_yet')
    if worst is not None and worst > max_age:
        problems.append('backup_too_old')
    if any(d['last_failed'] for d in per.values()):
        problems.append('backup_last_failed')
    return {'ok': not problems, 'problems': problems, 'age_seconds': worst,
            'max_age_seconds': round(max_age), 'destinations': list(per.values()), 'runs': runs[:50],
            'drill': next(iter(drills.values()), None)}

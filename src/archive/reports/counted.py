"""What a journal entry counts (Art. 12): the events of a transition, a document entered or
received, an update or a replacement (``events``), of a package refused (``package_events``), and
what a transition's entry must record to be counted the same way later (``facts``). Counted as
it happens by ``counters.count``, and again by ``recount``.

Metrics (the dashboard and the report name them in Vietnamese):
``received`` (route: the exchange route, ``paper`` or ``manual`` for one entered by hand),
``registered``/``registered_late``, ``assigned``/``assigned_late`` (urgent documents past the
handling limit), ``completed``/``completed_late`` (after the processing deadline),
``refused`` (detail: ``refuse_arrived`` từ chối nhận, ``refuse_registered`` trả lại),
``recalled``, ``updated``, ``replaced``, ``sent``/``sent_late`` (Art. 6.3; ``urgent`` splits
urgent and normal), ``sent_via`` (one per delivery, by route), ``dual_sent`` (Art. 8); ``refused_package`` (a
package refused before any document existed, per receiving body: ``package_events``).
Documents still open past their deadline are not counted here: they are found at read time from
the state index (``reports.figures.overdue``), since "still open" changes with no event.
"""
import datetime as dt

from .. import calendar as cal_mod
from .. import clock

PAPER, MANUAL = 'paper', 'manual'


def events(action, details, doc, by_exchange=False, at=None):
    """``[(metric, detail, route)]`` a journal entry of ``doc`` counts.

    ``by_exchange``: the document was received as a package (its ``received`` entry counts it,
    not its ``created`` one). An entry written before the counters (no ``late`` or ``dual``
    recorded) is judged from the document: completed after its deadline (by the entry's date
    ``at``), sent with an Art. 8 category; an urgent document's handling time is not judged
    again for such entries."""
    if action == 'created':
        if doc.direction == 'incoming' and not by_exchange:
            return [('received', '', PAPER if doc.channel == 'paper' else MANUAL)]
        return []
    if action == 'received':
        return [('received', '', details.get('route') or '')]
    if action == 'updated_by_sender':
        return [('updated', '', '')]
    if action == 'replaces':
        return [('replaced', '', '')]
    t = details.get('transition')
    if t is None or details.get('from') == details.get('to') and t != 'update':
        return []
    late = bool(details.get('late'))
    if 'late' not in details and t == 'complete' and at is not None and doc.deadline is not None:
        late = at[:10] > doc.deadline.isoformat()
    out = []
    if t == 'register':
        out.append(('registered', '', ''))
        late and out.append(('registered_late', '', ''))
    elif t == 'assign':
        out.append(('assigned', '', ''))
        late and out.append(('assigned_late', '', ''))
    elif t == 'complete':
        out.append(('completed', '', ''))
        late and out.append(('completed_late', '', ''))
    elif details.get('to') == 'refused':
        out.append(('refused', t, ''))
    elif details.get('to') == 'recalled':
        out.append(('recalled', '', ''))
    elif t == 'update':
        out.append(('updated', '', ''))
    elif t == 'send':
        out.append(('sent', '', ''))
        late and out.append(('sent_late', '', ''))
        if details.get('dual', bool(doc.paper_category)):
            out.append(('dual_sent', '', ''))
        out.extend(('sent_via', '', route) for _receiver, route in details.get('deliveries') or ())
    return out


def package_events(action, details):
    """``[(receiving body, metric, detail, route)]`` an entry of the exchange chain counts: a
    package refused before any document existed (Art. 15.3 monitors them all; here, per
    receiving body), only when its sender's signature verified and it was addressed to bodies
    here (``vouched`` in the entry: traffic nobody vouched for must not move a body's figures);
    ``refused_package``, detail: the refusal's code."""
    if action != 'package_refused' or not details.get('vouched') or details.get('kind', 'package') != 'package':
        return []
    receivers = [c for c in str(details.get('receiver') or '').split(',') if c]
    return [(code, 'refused_package', details.get('code') or '', details.get('route') or '') for code in receivers]


def facts(settings, root, doc, transition):
    """What the journal entry of a transition must record for it to be counted the same way
    later: whether it was late (urgent handling, the processing deadline) and whether an
    outgoing document also goes on paper (Art. 8). Called by ``workflow.engine.fire`` after the
    callbacks, before the journal entry is written."""
    name = transition['name']
    if name in ('register', 'assign'):
        if not doc.urgent:
            return {'late': False}
        since = doc.received_at or doc.created_at
        limit = dt.timedelta(minutes=settings.urgent_handling_minutes)
        if doc.urgency in ('hoa_toc', 'hoa_toc_hen_gio'):
            return {'late': clock.now() - since > limit}
        cal = settings.calendar.with_overrides(root.calendar_overrides)
        return {'late': cal_mod.working_time_between(cal, since, clock.now()) > limit}
    if name == 'complete':
        done = clock.to_vn(doc.completed_at or clock.now()).date()
        return {'late': bool(doc.deadline and done > doc.deadline)}
    if name == 'send':
        return {'dual': bool(doc.paper_category)}
    return {}

"""*Tình trạng trao đổi văn bản*: the administrators' page on the exchange (Art. 6.4, 7).

What the worker has to do (waiting per route, the oldest waiting, held, waiting to retry), how
the deliveries stand (failed, declined, paper waiting, paper sent), and what went wrong lately:
failed deliveries, status messages that have not left, packages the receiving path refused. An
administrator sees no document, so rows name documents by their edXML DocumentId, never link
to them. Every list is the RECENT most recent, so the page stays small however long the history.
"""
import json

from pyramid.view import view_config

from .. import clock, refused
from .. import security as S
from ..audit import journal_of
from ..exchange import deliveries
from ..outbox import outbox_of
from ..resources.root import app_root

RECENT = 50
EXCHANGE_CHAIN = 'exchange'       # receive.CHAIN: where the receiving path journals its refusals
JOURNAL_SCAN = 5000               # entries of that chain read back at most, looking for refusals


def status_messages(root, limit=RECENT):
    """The ``limit`` most recent status messages still pending or failed, newest first (from the
    outbox's indexes of those: the messages carried are not read)."""
    return [{'key': key[1], 'queued_at': message.queued_at, 'state': message.state,
             'body': message.get('body'), 'to_organ': message.get('to_organ'),
             'number_symbol': message.get('number_symbol'), 'code': message.get('status_code'),
             'attempts': message.get('attempts', 0), 'last_error': message.get('last_error'),
             'next_attempt_at': message.get('next_attempt_at')}
            for key, message in outbox_of(root).stuck('status', limit)]


def refusals(root, limit=RECENT, scan=JOURNAL_SCAN):
    """The ``limit`` most recent ``package_refused`` entries of the exchange chain, newest first
    (reading back at most ``scan`` entries)."""
    chain = journal_of(root).chains.get(EXCHANGE_CHAIN)
    if chain is None:
        return []
    out = []
    for seq in range(chain.length, max(0, chain.length - scan), -1):
        at, _actor, action, details, _prev, _hash = chain.entries[seq]
        if action != 'package_refused':
            continue
        facts = json.loads(details)
        out.append({'seq': seq, 'at': at, 'code': facts.get('code'), 'reason': facts.get('reason'),
                    'sender': facts.get('sender'), 'document_id': facts.get('document_id'),
                    'package_sha256': facts.get('package_sha256')})
        if len(out) == limit:
            break
    return out


LOGIN_REASONS = ('login_failed', 'login_locked')     # the bounded record's logins: the security page's


def refusal_counts(root, limit=RECENT):
    """The ``limit`` most recent records of packages refused at intake, counted per hour, source
    and reason (``refused``: what the journal does not hold in full), newest hour first."""
    out = []
    for hour in reversed(list(root.refusal_counts.hours.keys())):
        rows = [r for r in refused.rows(root, hour) if r['reason'] not in LOGIN_REASONS]
        out.extend(sorted(rows, key=lambda r: r['last'], reverse=True))
        if len(out) >= limit:
            break
    return out[:limit]


def failure_row(d):
    return {'id': d.id, 'kind': d.kind, 'sender': d.sender, 'receiver': d.receiver,
            'receiver_name': d.receiver_name, 'route': d.route, 'state': d.state, 'attempts': d.attempts,
            'last_error': d.last_error, 'at': deliveries.failed_at(d),
            'next_attempt_at': clock.iso(d.next_attempt_at), 'document_id': d.document_id}


@view_config(route_name='exchange_admin', permission=S.MANAGE, renderer='archive:templates/exchange_admin.pt')
def exchange_admin_view(request):
    root = app_root(request)
    overview = deliveries.overview(root, RECENT)
    return {'queue': deliveries.queue_state(root), 'counts': overview['counts'],
            'failures': [failure_row(d) for d in overview['failures']], 'messages': status_messages(root),
            'refusals': refusals(root), 'refusal_counts': refusal_counts(root), 'limit': RECENT}

"""Mail to the people of this instance (``services/notify.py``: the daily digest, "assigned to
you"), carried from the outbox by the exchange worker each round, and the digests' daily schedule.

Each mail is an outbox message of kind ``mail``: the first one due is read in a short transaction,
handed to the SMTP server outside any transaction (the exchange's one client, ``channels.email.send``),
and the answer recorded: carried; declined when the server refuses the address for good (5xx);
else tried again after the delivery back-off and given up past ``archive.delivery_max_attempts``
(listed as failed). A failed attempt moves only that message later, so one address that cannot be
reached holds back no other mail. Its Message-ID comes from the message, the same on a retry.

The schedule: once ``archive.digest_hour`` has come (Vietnam time), the worker queues the day's
digests in one transaction that also records, per person and day, that theirs was queued
(``resources/notices.py``): a restart, or another worker on ZEO, queues nobody's twice. Each
process remembers the day it did so, and asks the database again only the next day.
"""
import logging

from ZODB.POSException import ConflictError
from pyramid.threadlocal import manager

from .. import clock
from ..db import run_apart
from ..outbox import PENDING, outbox_of
from ..services import notify
from . import deliveries
from .worker.common import retry_policy
from .channels import Refused, Unreachable
from .channels import email as smtp

log = logging.getLogger(__name__)
DAY_QUEUED = 'archive_digest_day'       # on the registry: the day this process queued the digests


def apart(registry, fn, attempts=5, backoff=0.0):
    """``fn(root)`` in a transaction of its own, with this registry as the current one (a
    document's ACL reads its workflow from it)."""
    manager.push({'registry': registry, 'request': None})
    try:
        return run_apart(registry, fn, attempts, backoff)
    finally:
        manager.pop()


def queue_digests_when_due(registry, now=None):
    """The day's digests, once its hour has come; how many were queued (0 when not due)."""
    settings = registry.archive_settings.notify
    now = clock.to_vn(now or clock.now())
    day = now.date()
    if not settings.mail or now.hour < settings.digest_hour or registry.__dict__.get(DAY_QUEUED) == day:
        return 0
    queued = apart(registry, lambda root: notify.queue_digests(root, registry, day), attempts=5, backoff=0.05)
    registry.__dict__[DAY_QUEUED] = day
    if queued:
        log.info('%d daily digests queued for %s', queued, day)
    return queued


def send_one(registry):
    """Carry the first mail due; its outbox key, or None when none is due."""
    def take(root):
        found = outbox_of(root).first_due(notify.MAIL)
        if found is None:
            return None
        key, message = found
        return key, message['to'], message['subject'], message['text'], message['mail_id']
    picked = apart(registry, take)
    if picked is None:
        return None
    key, address, subject, text, mail_id = picked
    mail = smtp.new_message(subject, text, smtp.message_id(mail_id, registry.archive_settings.mail))
    try:
        smtp.send(registry, address, mail.as_bytes())
        outcome = ('carried', '')
    except Refused as exc:
        outcome = ('declined', f'{exc.code}: {exc.message_vi}')
    except Unreachable as exc:
        outcome = ('retry', str(exc))
    except Exception as exc:            # a fault of our own with this one: it waits, the others go
        log.exception('mail %s not sent', key)
        outcome = ('retry', f'{type(exc).__name__}: {exc}')

    def record(root):
        box = outbox_of(root)
        message = box.items[key]
        if message.state != PENDING:
            return                      # another worker carried it and recorded so first
        deliveries.message_tried(box, key, *outcome, **retry_policy(registry))
    apart(registry, record, attempts=10, backoff=0.02)
    return key


def run(registry, limit=1000):
    """One round: the digests when due, then the mail due; how many mails were handled."""
    try:
        queue_digests_when_due(registry)
    except Exception:           # tried again next round; the mail already queued still goes
        log.exception('daily digests not queued')
    done = 0
    for _ in range(limit):
        try:
            if send_one(registry) is None:
                break
        except ConflictError:
            continue
        done += 1
    return done

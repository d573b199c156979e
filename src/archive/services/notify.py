"""Telling people what waits for them (issue 17, item 5).

* **Assigned to you**: when a leader assigns a document, its main processor and co-processors
  each get a notice (``resources/notices.py``), shown on the page after their next login; and,
  when ``archive.notify_mail`` is on and they gave an address and kept "mail me" on their own
  page, a mail.
* **The daily digest**: at ``archive.digest_hour`` the worker queues, for each person who asked
  for it, a mail of what waits on their desk: each queue's count, the urgent documents and those
  due tomorrow, by number and abstract.

Mail is queued in the outbox (kind ``mail``) in the transaction that decided it, and carried
after commit by ``exchange/notify_mail.py`` with the exchange's one SMTP client. A Mật
document is named by its number only: its abstract, and the leader's instruction on it, never
go into a mail.
"""
import datetime as dt

from .. import audit, clock
from ..i18n import translate
from ..outbox import outbox_of
from ..resources import access
from ..resources.notices import notices_of
from ..schemas.preferences import PreferencesSchema
from . import desk

MAIL = 'mail'                       # the outbox's kind for mail to the people of this instance
DIGEST_RECORD_DAYS = 7              # the digests queued are remembered this long
SIGN_OFF = ('Xin đăng nhập hệ thống văn bản điện tử để xem và xử lý.\n\n'
            'Thư này do hệ thống gửi tự động; xin không trả lời. Bạn có thể tắt thư thông báo ở trang '
            '"Tài khoản của tôi".\n')


def number_of(doc):
    """The document as a clerk names it: its number and symbol, else its register number."""
    if doc.number_symbol:
        return doc.number_symbol
    if doc.register_number:
        return f'số đến {doc.register_number}' if doc.direction == 'incoming' else f'số {doc.register_number}'
    return f'(chưa có số, mã {doc.__name__})'


def line_of(doc):
    """``<number> – <abstract>``; a Mật document by its number only."""
    if doc.classification == 'mat':
        return f'{number_of(doc)} (văn bản Mật: xem trong hệ thống)'
    abstract = ' '.join((doc.abstract or '').split())
    if len(abstract) > 200:
        abstract = abstract[:199] + '…'
    return f'{number_of(doc)} – {abstract}'


def queue_mail(root, user, subject, text, mail_id):
    """A mail to ``user`` in the outbox, carried after commit; ``mail_id`` makes its Message-ID
    (the same on a retry)."""
    return outbox_of(root).put(MAIL, to=user.email, login=user.login, subject=subject, text=text,
                               mail_id=mail_id)


def mail_wanted(settings, user, choice):
    return bool(settings.notify.mail and user is not None and user.active and user.email
                and getattr(user, choice))


# assigned to you ------------------------------------------------------------------------------

def assigned(root, doc, actor, settings):
    """``doc`` was just assigned by ``actor``: each processor named is told (not the one who
    assigned it to himself)."""
    notices = notices_of(root)
    people = [(doc.main_processor, 'main')] + [(login, 'co') for login in doc.co_processors]
    for login, role in people:
        if not login or login == actor.login:
            continue
        notices.tell(login, 'assigned', body=doc.body_code, document=doc.__name__, by=actor.login, role=role)
        user = root['users'].get(login)
        if mail_wanted(settings, user, 'mail_assigned'):
            queue_mail(root, user, *assigned_mail(doc, actor, user, role),
                       mail_id=f'assigned.{doc.body_code}.{doc.__name__}.{login}.{int(doc.assigned_at.timestamp())}')


def assigned_mail(doc, actor, user, role):
    """``(subject, text)`` of the mail telling ``user`` of the assignment."""
    how = 'chủ trì xử lý' if role == 'main' else 'phối hợp xử lý'
    lines = [f'Kính gửi {user.full_name},', '',
             f'{actor.full_name} đã giao cho bạn {how} văn bản:', f'  {line_of(doc)}',
             f'Hạn xử lý: {clock.display(doc.deadline) if doc.deadline else "không có"}']
    if doc.urgent:
        lines.append('Văn bản khẩn: xin xử lý ngay.')
    if doc.instruction and doc.classification != 'mat':
        lines.append(f'Ý kiến chỉ đạo: {doc.instruction}')
    subject = f'Văn bản giao cho bạn {how}: {number_of(doc)}'
    return subject, '\n'.join(lines) + '\n\n' + SIGN_OFF


def seen_after_login(root, login):
    """The person's unread notices, each with its document when they may still see it
    (``{'notice', 'doc'}``), marked read: called in the login's transaction."""
    notices = notices_of(root)
    user = root['users'].get(login)
    out = []
    for notice in notices.of(login):
        body = root['bodies'].get(notice.get('body'))
        doc = body.documents.get(notice.get('document')) if body is not None else None
        if doc is not None and user is not None and access.user_may_see(user, doc):
            out.append({'notice': notice, 'doc': doc})
    notices.seen(login)
    return out


# the daily digest -----------------------------------------------------------------------------

def digest(root, registry, user, day):
    """``(subject, text)`` of ``user``'s digest for ``day``, or None when nothing waits."""
    body = root['bodies'].get(user.body_code)
    if body is None:
        return None
    counts, urgent, seen = [], [], set()
    for _name, title, docs, more in desk.queues(registry, body, user):
        if docs:
            counts.append(f'  {translate(title)}: {len(docs)}{"+" if more else ""}')
        for doc in docs:
            if doc.urgent and doc.__name__ not in seen:
                seen.add(doc.__name__)
                urgent.append(doc)
    tomorrow = day + dt.timedelta(days=1)
    due = sorted((d for d in desk.with_deadline(registry, user, body, tomorrow) if d.deadline == tomorrow),
                 key=desk.sort_key)
    if not counts and not due:
        return None
    lines = [f'Kính gửi {user.full_name},', '', f'Việc đang chờ bạn ngày {clock.display(day)}:', *counts]
    if urgent:
        lines += ['', f'Văn bản khẩn ({len(urgent)}):'] + [f'  {line_of(d)}' for d in sorted(urgent, key=desk.sort_key)]
    if due:
        lines += ['', f'Đến hạn xử lý ngày mai, {clock.display(tomorrow)} ({len(due)}):'] + [
            f'  {line_of(d)}' for d in due]
    subject = (f'Việc cần xử lý ngày {clock.display(day)}: {sum(1 for _ in counts)} hàng chờ, '
               f'{len(urgent)} khẩn, {len(due)} đến hạn ngày mai')
    return subject, '\n'.join(lines) + '\n\n' + SIGN_OFF


def queue_digests(root, registry, day):
    """Queue ``day``'s digest of every person who asked for one and has not had it; how many
    were queued. Who got one is recorded in the same transaction (nothing twice on one day)."""
    settings = registry.archive_settings
    notices = notices_of(root)
    notices.forget_digests_before(day - dt.timedelta(days=DIGEST_RECORD_DAYS))
    queued = 0
    for user in root['users'].values():
        if not mail_wanted(settings, user, 'mail_digest') or notices.digest_queued(day, user.login):
            continue
        notices.record_digest(day, user.login)
        made = digest(root, registry, user, day)
        if made is not None:
            queue_mail(root, user, *made, mail_id=f'digest.{day.isoformat()}.{user.login}')
            queued += 1
    return queued


# what each person chooses ---------------------------------------------------------------------

def set_preferences(root, user, data):
    """Set ``user``'s own notification choices from ``data`` (the page's fields); raises
    ``colander.Invalid`` on bad input, nothing written. Journaled on the person's chain."""
    values = PreferencesSchema().deserialize(data)
    user.email = values['email'] or ''
    user.mail_digest, user.mail_assigned = values['mail_digest'], values['mail_assigned']
    audit.append(root, f'user:{user.login}', 'preferences_set', user.login, email=bool(user.email),
                 mail_digest=user.mail_digest, mail_assigned=user.mail_assigned)
    return user

"""Official email (thư điện tử công vụ, Art. 7.2): signed packages and statuses by mail to a
body's official address, and the intake of such mail. Non-secret content only (Art. 3.8; a Mật
document is refused when it is sent, and again here).

Sending: ``build`` makes the whole message once (Subject with the number, abstract and
DocumentId; a short text; the signed package attached as ``application/xml``; a Message-ID from
the delivery id) and the worker keeps it on the delivery, so a retry sends the same message: the
delivery, not the mail library, keeps the retry state. ``send`` adds ``From`` and ``To`` (the
settings and the directory of the moment) and hands it to the SMTP server with the standard
library's client: a 5xx answer is final (``Refused``: the delivery is declined with the server's
words), anything else (no server, a timeout, a 4xx, our own login refused) is ``Unreachable``
(tried again with back-off, then paper). A hand-over is all SMTP can say: status 01 comes back
later by mail. Status messages go the same way, wrapped by ``carry``.

Intake: ``poll`` reads the intake mailbox (a Maildir; an IMAP folder in production) and passes
every XML part of every mail to ``receive.accept``. Origin is proven by the package signature
only; the From header is never trusted (journaled as ``said_from`` when a mail is dropped, for
the operator). A mail with no XML part or over the cap is journaled (``mail_dropped`` on the
``exchange`` chain, code ``no_package`` or ``too_large``) and dropped; a refused package is
journaled by the receiving path and the mail dropped. A mail is removed only once handled: a
crash before that takes it in again, and the receiving path answers the same bytes with the same
receipt and creates nothing. The intake folder must hold exchange mail only (people's answers go
to ``archive.mail_reply_to``, see ``mailbox``): whatever else is in it is dropped.

Settings:

* ``archive.smtp_host``: the SMTP server; empty: mail is not configured, deliveries wait and are
  retried (``SMTP not configured`` on the row), then go on paper;
* ``archive.smtp_port`` (25), ``archive.smtp_starttls`` (false), ``archive.smtp_timeout`` (30
  seconds, also for IMAP);
* ``archive.smtp_user`` (empty: no login) and ``archive.smtp_password_file``;
* ``archive.mail_from``: this instance's official sending address (envelope and From); empty
  counts as not configured;
* ``archive.mail_intake``: empty = off; ``maildir:/path/to/Maildir``, or
  ``imaps://user@host:993/INBOX`` (``imap://`` without TLS); the folder is emptied as it is read;
* ``archive.mail_intake_password_file``: the IMAP password;
* ``archive.mail_max_bytes``: the largest mail taken in; default the package cap
  (``receive.limits_of``) times 4/3 (base64) plus 1 MiB.
"""
import hashlib
import imaplib
import logging
import mailbox
import os
import re
import smtplib
import socket
import ssl
import urllib.parse
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from email.utils import format_datetime

from pyramid.threadlocal import get_current_registry, manager

from ... import audit, clock
from ...services import secrecy as at_rest
from ...signing.secrecy import SecrecyError
from .. import receive
from . import Refused, Unreachable, kind_of
from ..worker.delivering import build_package
from ...db import run_apart

log = logging.getLogger(__name__)

POLICY = policy.SMTP.clone(cte_type='7bit')     # CRLF, and nothing 8-bit for old relays
XML_TYPES = ('application/xml', 'text/xml')
XML_NAMES = ('.xml', '.edxml')
SHA_HEADER = 'X-Edxml-SHA256'
POLL_LIMIT = 100            # mails per round: deliveries and statuses are not kept waiting
HEADER_BYTES = 64 * 1024    # what is read of an oversized mail, for the journal
TITLES = {'document': 'Văn bản điện tử', 'update': 'Đính chính văn bản điện tử',
          'recall': 'Thu hồi văn bản điện tử'}


# sending ------------------------------------------------------------------------------------

def carry(registry, address, data, kind, meta):
    """The channel interface: the message ``build`` made (a status is wrapped here), handed over."""
    if kind == 'status':
        data = status_mail(data, meta, registry.archive_settings.mail)
    return dict(send(registry, address, data), handed_over='email')


def build(root, delivery, settings):
    """The whole mail of a package (a document, its update or its recall), kept on the delivery."""
    doc = root['bodies'][delivery.sender].documents[delivery.document]
    refuse_secret(doc)
    data = build_package(root, delivery, settings)
    sender, receiver = root['bodies'][delivery.sender], root['bodies'][delivery.receiver]
    title = TITLES.get(delivery.kind, TITLES['document'])
    text = (f'{title} của {sender.name} ({sender.code}) gửi {receiver.name} ({receiver.code}), '
            f'mã văn bản {delivery.document_id}.\n'
            'Tệp XML đính kèm là gói edXML có chữ ký số của cơ quan gửi; hệ thống văn bản điện tử '
            'của nơi nhận tự tiếp nhận. Xin không sửa hay chuyển tiếp thư này.\n\n'
            'This mail carries a signed edXML package, taken in by the receiving system.\n')
    mail = new_message(f'{title}: {headline(doc)} [{delivery.document_id}]', text,
                       message_id(f'delivery.{delivery.id}', get_current_registry().archive_settings.mail))
    mail[SHA_HEADER] = hashlib.sha256(data).hexdigest()
    attach_xml(mail, data, 'edxml')
    return mail.as_bytes()


def status_mail(data, meta, mail_settings):
    """A signed status message as a mail; its Message-ID from the bytes (the same on a retry)."""
    data = bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    text = (f'Thông điệp trạng thái {meta.get("status_code", "")} có chữ ký số của cơ quan '
            f'{meta["sender"]} về văn bản {meta["document_id"]}; hệ thống văn bản điện tử của nơi '
            'nhận tự tiếp nhận tệp XML đính kèm.\n\n'
            'This mail carries a signed edXML status message, taken in by the receiving system.\n')
    mail = new_message(f'Trạng thái văn bản điện tử {meta.get("status_code", "")} [{meta["document_id"]}]',
                       text, message_id(f'status.{digest[:32]}', mail_settings))
    mail[SHA_HEADER] = digest
    attach_xml(mail, data, 'status')
    return mail.as_bytes()


def send(registry, address, content):
    """Hand ``content`` (a message without From and To) to the SMTP server for ``address``; what
    the hand-over says (``message_id``, ``to``, and the package's ``sha256`` when there is one).
    The one SMTP client of the exchange (official email and a person's mailbox)."""
    s = registry.archive_settings.mail
    host, sender = s.smtp_host, s.mail_from
    if not host or not sender:
        raise Unreachable('Chưa cấu hình máy chủ thư (archive.smtp_host, archive.mail_from): '
                          'SMTP not configured')
    content = bytes(content)
    data = _header_line('From', sender) + _header_line('To', address) + content
    port = s.smtp_port
    where = f'{host}:{port}'
    try:
        with smtplib.SMTP(host, port, timeout=s.smtp_timeout) as smtp:
            if s.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if s.smtp_user:
                smtp.login(s.smtp_user, read_secret(s.smtp_password_file))
            smtp.sendmail(sender, [address], data)
    except smtplib.SMTPRecipientsRefused as exc:
        code, said = next(iter(exc.recipients.values()))
        _answered(code, said, address, where)
    except smtplib.SMTPAuthenticationError as exc:
        raise Unreachable(f'Máy chủ thư {where} không chấp nhận đăng nhập (login refused): '
                          f'{exc.smtp_code} {_text(exc.smtp_error)}') from None
    except smtplib.SMTPResponseException as exc:
        _answered(exc.smtp_code, exc.smtp_error, address, where)
    except (smtplib.SMTPException, OSError) as exc:
        raise Unreachable(f'Không gửi được thư qua {where} (mail server unreachable): {exc}') from None
    head = BytesHeaderParser(policy=policy.default).parsebytes(content[:HEADER_BYTES])
    return {'message_id': _header(head, 'Message-ID').strip(), 'to': address,
            'sha256': _header(head, SHA_HEADER).strip() or None}


def _header_line(name, value):
    return POLICY.header_factory(name, value).fold(policy=POLICY).encode('ascii')


def _answered(code, said, address, where):
    said = f'{code} {_text(said)}'
    if 500 <= code < 600:
        raise Refused('mail_refused', f'Máy chủ thư {where} từ chối thư gửi {address}: {said}')
    raise Unreachable(f'Máy chủ thư {where} tạm thời không nhận thư gửi {address} (try later): {said}')


def _text(said):
    return said.decode('utf-8', 'replace') if isinstance(said, bytes) else str(said)


def refuse_secret(doc):
    """Official email and a person's mailbox carry non-secret content only (Art. 3.8, 5.1)."""
    if at_rest.is_secret(doc):
        raise SecrecyError('no_route_for_secret', 'Văn bản Mật không được gửi qua thư điện tử',
                           'a Mật document may not go by email')


def headline(doc):
    """``<số ký hiệu> – <trích yếu>``, short enough for a Subject."""
    abstract = ' '.join((doc.abstract or '').split())
    if len(abstract) > 150:
        abstract = abstract[:149] + '…'
    return f'{doc.number_symbol or ""} – {abstract}'


def new_message(subject, text, msgid):
    mail = EmailMessage(policy=POLICY)
    mail['Subject'] = subject
    mail['Date'] = format_datetime(clock.now())
    mail['Message-ID'] = msgid
    mail['Auto-Submitted'] = 'auto-generated'           # RFC 3834: no auto-replies to it
    mail.set_content(text)
    return mail


def attach_xml(mail, data, stem):
    mail.add_attachment(bytes(data), maintype='application', subtype='xml',
                        filename=f'{stem}-{hashlib.sha256(data).hexdigest()[:8]}.xml')


def message_id(local, mail_settings):
    """A Message-ID of our own, stable for the same ``local`` part (a retry is the same mail)."""
    sender = mail_settings.mail_from
    domain = sender.rpartition('@')[2] if '@' in sender else socket.getfqdn()
    return f'<{local}@{domain}>'


def read_secret(path):
    if not path:
        return ''
    with open(path, encoding='utf-8') as f:
        return f.read().strip('\r\n')


# intake -------------------------------------------------------------------------------------

def poll(registry):
    """The channel interface: take in what the intake mailbox holds; how many mails were handled."""
    where = registry.archive_settings.mail.intake
    if not where:
        return 0
    try:
        if where.startswith('maildir:'):
            return poll_maildir(registry, where[len('maildir:'):])
        if where.startswith(('imap://', 'imaps://')):
            return poll_imap(registry, where)
    except (OSError, imaplib.IMAP4.error) as exc:      # said without the URL's user part
        log.warning('mail intake %s: %s', urllib.parse.urlsplit(where).hostname or where, exc)
        return 0
    log.error('archive.mail_intake %r: expected maildir:<path>, imap:// or imaps://', where)
    return 0


def poll_maildir(registry, path):
    try:
        box = mailbox.Maildir(path, factory=None, create=False)
    except mailbox.NoSuchMailboxError:
        log.warning('mail intake: no Maildir at %s', path)
        return 0
    cap, handled = max_bytes(registry), 0
    for key in sorted(box.keys(), key=lambda k: _arrival(box, k))[:POLL_LIMIT]:
        try:
            with box.get_file(key) as f:
                raw = f.read(cap + 1)
                f.seek(0, 2)
                size = f.tell()
        except (KeyError, FileNotFoundError):
            continue                    # another worker took it
        if _handled(registry, raw, size, key):
            box.discard(key)
            handled += 1
    return handled


def _arrival(box, key):
    """When the mail was delivered, so that statuses are applied in the order they were sent
    (a Maildir name starts with the second only; the file's time is finer)."""
    try:
        return os.stat(os.path.join(box._path, box._lookup(key))).st_mtime_ns
    except (KeyError, OSError):
        return 0


def poll_imap(registry, url):
    """The same per-mail processing as for a Maildir, over IMAP; handled mails are deleted."""
    s = registry.archive_settings.mail
    where = urllib.parse.urlsplit(url)
    timeout = s.smtp_timeout
    if where.scheme == 'imaps':          # the certificate checked (imaplib's default does not)
        opened = imaplib.IMAP4_SSL(where.hostname, where.port or 993, timeout=timeout,
                                   ssl_context=ssl.create_default_context())
    else:
        opened = imaplib.IMAP4(where.hostname, where.port or 143, timeout=timeout)
    folder = urllib.parse.unquote(where.path.lstrip('/')) or 'INBOX'
    cap, handled = max_bytes(registry), 0
    with opened as imap:
        imap.login(urllib.parse.unquote(where.username or ''),
                   read_secret(s.intake_password_file))
        _ok(imap.select('"%s"' % folder.replace('\\', '\\\\').replace('"', '\\"')))
        for uid in sorted(_ok(imap.uid('SEARCH', None, 'ALL'))[0].split(), key=int)[:POLL_LIMIT]:
            found = re.search(rb'RFC822\.SIZE (\d+)', _ok(imap.uid('FETCH', uid, '(RFC822.SIZE)'))[0] or b'')
            size = int(found.group(1)) if found else 0
            part = 'BODY.PEEK[HEADER]' if size > cap else 'BODY.PEEK[]'
            fetched = _ok(imap.uid('FETCH', uid, f'({part})'))
            raw = next((item[1] for item in fetched if isinstance(item, tuple)), None)
            if raw is None:
                log.warning('mail intake %s: message %s could not be fetched', where.hostname, uid)
                continue
            if _handled(registry, raw, max(size, len(raw)), uid):
                _ok(imap.uid('STORE', uid, '+FLAGS', r'(\Deleted)'))
                handled += 1
        if handled:
            imap.expunge()
    return handled


def _ok(answer):
    kind, data = answer
    if kind != 'OK':
        raise imaplib.IMAP4.error(f'{kind}: {data!r}')
    return data


def _handled(registry, raw, size, key):
    try:
        take_in(registry, raw, size)
        return True
    except Exception:          # our fault or the database's: the mail stays for the next round
        log.exception('mail %s not taken in; kept for the next round', key)
        return False


def take_in(registry, raw, size):
    """One mail (``raw``: its bytes, or only its first bytes when ``size`` is over the cap):
    each XML part through the receiving path, or the mail journaled as dropped. Returns when the
    mail is done with (taken in, refused or dropped); raises when it should stay."""
    cap = max_bytes(registry)
    if size > cap:
        head = BytesHeaderParser(policy=policy.default).parsebytes(raw[:HEADER_BYTES])
        dropped(registry, head, 'too_large', f'Thư quá lớn ({size} byte, tối đa {cap}): đã bỏ', size=size)
        return
    mail = BytesParser(policy=policy.default).parsebytes(raw)
    parts = packages_in(mail)
    if not parts:
        dropped(registry, mail, 'no_package', 'Thư không mang gói văn bản điện tử (tệp XML): đã bỏ',
                size=size, mail_sha256=hashlib.sha256(raw).hexdigest())
        return
    for data in parts:
        try:
            receive.accept(registry, data, 'email', kind_of(data))
        except Refused as exc:          # journaled by the receiving path
            log.info('mail %s: package refused (%s)', _header(mail, 'Message-ID'), exc.code)


def packages_in(mail):
    """The bytes of every XML part: by its type, or by a file name ending in .xml or .edxml."""
    found = []
    for part in mail.walk():
        if part.is_multipart():
            continue
        name = (part.get_filename() or '').lower()
        if part.get_content_type() in XML_TYPES or name.endswith(XML_NAMES):
            data = part.get_payload(decode=True)
            if data:
                found.append(data)
    return found


def dropped(registry, mail, code, reason, **facts):
    """Journal a dropped mail on the ``exchange`` chain: never its content, and its From only as
    what it said (``said_from``), not as its origin."""
    facts.update(said_from=_header(mail, 'From')[:200], message_id=_header(mail, 'Message-ID')[:200])
    log.info('mail %s dropped: %s', facts['message_id'], code)
    manager.push({'registry': registry, 'request': None})
    try:
        run_apart(registry, lambda root: audit.append(root, receive.CHAIN, 'mail_dropped', receive.ACTOR,
                                                      code=code, reason=reason,
                                                      **{k: v for k, v in facts.items() if v}))
    finally:
        manager.pop()


def _header(mail, name):
    try:
        return str(mail.get(name) or '')
    except Exception:           # a header too broken to read is no reason to keep the mail
        return ''


def max_bytes(registry):
    value = registry.archive_settings.mail.max_bytes
    if value:
        return value
    return receive.limits_of(registry.archive_settings).max_package_bytes * 4 // 3 + (1 << 20)

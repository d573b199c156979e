"""A person's mailbox (route ``mailbox``): a document as a reader gets it, not as a system.

``build`` makes a mail with a Vietnamese summary (số ký hiệu, ngày, cơ quan gửi, trích yếu, độ
khẩn, hạn xử lý), the main PDF and the attachments that fit (those left out are named), and a
line asking the reader to answer the sending clerk; ``carry`` sends it by the one SMTP client of
the exchange (``email.send``). Nothing comes back by itself: the clerk records what the reader
answers (Art. 6.4: a document sent by email is still managed in the system). A recall or an
update goes as a mail of its own, without files. Non-secret documents only (Art. 3.8).

Settings, besides the SMTP ones of ``email``:

* ``archive.mail_reply_to``: where readers' answers go, the sending clerks' mailbox (default
  ``archive.mail_from``); not the intake folder, which drops any mail without a package;
* ``archive.mailbox_max_bytes`` (10 MiB): the files put in one mail, main file first.
"""
from pyramid.threadlocal import get_current_registry

from ... import clock
from ...resources.files import MAIN
from ...schemas.vocab import URGENCIES
from ...services import secrecy as at_rest
from .. import mapping, receive
from .email import headline, message_id, new_message, refuse_secret, send

TITLES = {'document': 'Văn bản', 'update': 'Đính chính văn bản', 'recall': 'Thu hồi văn bản'}


def carry(registry, address, data, kind, meta):
    """The channel interface: the mail ``build`` made, handed to the SMTP server."""
    return dict(send(registry, address, data), handed_over='mailbox')


def build(root, delivery, settings):
    """The mail for the person, kept on the delivery: a retry sends the same one."""
    doc = root['bodies'][delivery.sender].documents[delivery.document]
    refuse_secret(doc)
    registry = get_current_registry()
    limit = registry.archive_settings.mail.mailbox_max_bytes
    files, left_out, total = [], [], 0
    for f in mapping.current_files(doc) if delivery.kind == 'document' else ():
        if total + f.size > limit:
            left_out.append(f)
            continue
        total += f.size
        files.append((f, at_rest.read(root, doc, f, settings, receive.ACTOR, 'send')))
    urgent = doc.urgency not in (None, 'normal')
    subject = f'{TITLES.get(delivery.kind, TITLES["document"])}: {headline(doc)}'
    if urgent:
        subject = f'[{URGENCIES[doc.urgency].default}] {subject}'
    mail = new_message(subject, summary(root, doc, delivery, files, left_out),
                       message_id(f'delivery.{delivery.id}', registry.archive_settings.mail))
    reply_to = registry.archive_settings.mail.mail_reply_to or registry.archive_settings.mail.mail_from
    if reply_to:
        mail['Reply-To'] = reply_to
    if urgent:
        mail['Importance'] = 'high'
    for f, content in files:
        kind = (f.media_type or 'application/octet-stream').split('/', 1)
        mail.add_attachment(content, maintype=kind[0], subtype=kind[1], filename=f.filename)
    return mail.as_bytes()


def summary(root, doc, delivery, files, left_out):
    """The text part: what the document is, what comes with it, and whom to answer."""
    sender, receiver = root['bodies'][delivery.sender], root['bodies'][delivery.receiver]
    opening = {
        'recall': f'{sender.name} thu hồi văn bản dưới đây (lý do: {delivery.reason}). '
                  'Xin hủy bản đã nhận.',
        'update': f'{sender.name} đính chính văn bản dưới đây (lý do: {delivery.reason}).',
    }.get(delivery.kind, f'{sender.name} gửi văn bản dưới đây.')
    lines = [f'Kính gửi: {receiver.name}', '', opening, '',
             f'Số, ký hiệu: {doc.number_symbol or "(chưa có)"}',
             f'Ngày ban hành: {clock.display(doc.issued_date) or "(chưa có)"}',
             f'Cơ quan gửi: {sender.name} ({sender.code})',
             f'Trích yếu: {doc.abstract}',
             f'Độ khẩn: {URGENCIES.get(doc.urgency or "normal", URGENCIES["normal"]).default}',
             f'Hạn xử lý: {clock.display(doc.deadline) or "không có"}',
             f'Mã văn bản: {delivery.document_id}']
    if files:
        lines.append('Tệp gửi kèm: ' + ', '.join(
            f.filename + (' (văn bản chính)' if f.role == MAIN else '') for f, _content in files))
    if left_out:
        lines.append('Không gửi kèm vì quá lớn (xin liên hệ văn thư để nhận): '
                     + ', '.join(f.filename for f in left_out))
    lines += ['', 'Thư gửi tới hộp thư cá nhân: trạng thái nhận và xử lý không được cập nhật tự động. '
              f'Xin trả lời thư này để báo cho văn thư {sender.name} khi đã nhận, đã tiếp nhận, '
              'đã xử lý xong hoặc từ chối văn bản.']
    return '\n'.join(lines) + '\n'

"""Official email between two instances (Art. 7.2), and a person's mailbox: a real SMTP server on
loopback (aiosmtpd) delivers each recipient's mail into a Maildir of its own, which the receiving
instance's worker reads. Instance A hosts the office and reaches Ban Tổ chức by email at
btc@ban-to-chuc.example; instance B hosts Ban Tổ chức and reaches the office at vptu@thanh-uy.example.
Origin is the package signature, never the From header. Real apps, real SMTP, real signatures."""
import hashlib
import mailbox
import smtplib
import time
from dataclasses import replace
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller

from archive import audit
from archive.exchange import deliveries, edxml, mapping, outgoing, worker
from archive.services import directory
from archive.services.certificates import register_certificate
from archive.signing import ca
from archive.signing.keys import ORG_SIGN

from ..conftest import HOST_CODE, base_settings, close_app, file_uri, free_port, make_app
from ..helpers import Maildirs
from .test_exchange_local import BTC, BTG, Session, act, enrol, received, send


def set_mail(app, **changed):
    """Change a mail setting of a running app (read once at start into ``archive_settings.mail``)."""
    app.registry.archive_settings.mail = replace(app.registry.archive_settings.mail, **changed)


A_MAIL, B_MAIL, PERSON = 'vptu@thanh-uy.example', 'btc@ban-to-chuc.example', 'nguyen.van.b@example.org'


@pytest.fixture
def smtp(tmp_path):
    (tmp_path / 'mail').mkdir()
    folders = {address: str(tmp_path / 'mail' / address.split('@')[0])
               for address in (A_MAIL, B_MAIL, PERSON)}
    for path in folders.values():
        mailbox.Maildir(path, create=True)
    controller = Controller(Maildirs(folders), hostname='127.0.0.1', port=free_port())
    controller.start()
    yield SimpleNamespace(port=controller.port, folders=folders)
    controller.stop()


def instance(tmp_path, smtp, name, address):
    """An app whose official address is ``address``, reading that address's Maildir."""
    return make_app(base_settings(tmp_path / name, file_uri(tmp_path / name), **{
        'archive.delivery_retry_seconds': '0.05', 'archive.delivery_retry_cap_seconds': '0.2',
        'archive.delivery_max_attempts': '4', 'archive.smtp_host': '127.0.0.1',
        'archive.smtp_port': str(smtp.port), 'archive.smtp_timeout': '5', 'archive.mail_from': address,
        'archive.mail_intake': 'maildir:' + smtp.folders[address]}))


@pytest.fixture
def pair(tmp_path, smtp):
    """A (the office) and B (Ban Tổ chức), each knowing the other by its official address and
    its registered certificates, each reading its own Maildir."""
    a, b = instance(tmp_path, smtp, 'a', A_MAIL), instance(tmp_path, smtp, 'b', B_MAIL)
    authority = ca.make_ca('CA của B (TEST)', algorithm='ec-p256')
    with Session(b) as root:
        enrol(root, b.registry.archive_keystore, authority, BTC)
        root.demo_trust_roots = tuple(root.demo_trust_roots) + (authority.pem(),)
        btc_certs = [(r.pem, r.kind) for r in root['bodies'][BTC].certificates.values() if r.added_by == 'test']
    with Session(a) as root:
        a_roots = root.demo_trust_roots
        root.demo_trust_roots = tuple(a_roots) + (authority.pem(),)
        btc = root['bodies'][BTC]
        btc.route, btc.address = 'email', B_MAIL
        for pem, kind in btc_certs:
            register_certificate(root, btc, pem.encode(), kind, 'test')
    with Session(b) as root:
        root.demo_trust_roots = tuple(root.demo_trust_roots) + tuple(a_roots)
        office = root['bodies'][HOST_CODE]
        office.route, office.address = 'email', A_MAIL
        register_certificate(root, office, pem_of(a.registry.archive_keystore, f'{ORG_SIGN}:{HOST_CODE}'),
                             'org-sign', 'test')
    yield SimpleNamespace(a=a, b=b, smtp=smtp)
    close_app(a)
    close_app(b)


@pytest.fixture
def sender(tmp_path, smtp):
    """A alone, reaching Ban Tổ chức by email (what happens before anything is read)."""
    a = instance(tmp_path, smtp, 'a', A_MAIL)
    with Session(a) as root:
        btc = root['bodies'][BTC]
        btc.route, btc.address = 'email', B_MAIL
    yield SimpleNamespace(a=a, smtp=smtp)
    close_app(a)


@pytest.fixture
def reader(tmp_path, smtp):
    """B alone, reading its Maildir (mail from outside the system)."""
    b = instance(tmp_path, smtp, 'b', B_MAIL)
    yield SimpleNamespace(b=b, smtp=smtp)
    close_app(b)


def pem_of(store, key_id):
    from cryptography.hazmat.primitives import serialization
    return store.certificate(key_id).public_bytes(serialization.Encoding.PEM)


def box(smtp, address):
    return mailbox.Maildir(smtp.folders[address], factory=None, create=False)


def mails(smtp, address):
    """The mails waiting in ``address``'s Maildir, parsed."""
    folder = box(smtp, address)
    return [BytesParser(policy=policy.default).parsebytes(folder.get_bytes(k)) for k in folder.keys()]


def post(smtp, to, said_from, parts=(), text='Kính gửi văn thư.'):
    """A mail from outside the system, straight to the SMTP server: ``parts`` are
    ``(bytes, maintype, subtype, filename)``."""
    mail = EmailMessage()
    mail['From'], mail['To'], mail['Subject'] = said_from, to, 'Gửi văn bản'
    mail.set_content(text)
    for data, maintype, subtype, filename in parts:
        mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    with smtplib.SMTP('127.0.0.1', smtp.port) as client:
        client.sendmail(said_from, [to], mail.as_bytes(policy=policy.SMTP))


def delivery_of(app, doc_id):
    with Session(app) as root:
        [d] = deliveries.of_document(root, HOST_CODE, doc_id)
        return SimpleNamespace(id=d.id, state=d.state, codes=[s['code'] for s in d.statuses],
                               statuses=list(d.statuses), attempts=d.attempts, errors=list(d.errors), receipt=d.receipt,
                               document_id=d.document_id)


def journal(app, chain='exchange'):
    with Session(app) as root:
        return audit.entries(root, chain)


def package_from_a(app, doc_id, signer=HOST_CODE):
    """A's package of the sent document for BTC, signed by ``signer``'s organisation key."""
    with Session(app) as root:
        doc = root['bodies'][HOST_CODE].documents[doc_id]
        settings = app.registry.archive_settings
        package = mapping.package_for(root, doc, root['bodies'][BTC], settings, 'test')
        return outgoing.signed_bytes(settings, signer, edxml.encode_package(package))


def test_a_document_goes_by_email_and_status_01_comes_back_by_email(pair):
    a, b, smtp = pair.a, pair.b, pair.smtp
    sent = send(a, [BTC], abstract='Công văn gửi qua thư điện tử công vụ')
    assert worker.run_round(a.registry) == 1
    row = delivery_of(a, sent['id'])
    assert (row.state, row.attempts, row.errors) == ('delivered', 1, [])
    assert row.receipt['handed_over'] == 'email' and row.receipt['to'] == B_MAIL
    assert row.receipt['message_id'] == f'<delivery.{row.id}@thanh-uy.example>'

    [mail] = mails(smtp, B_MAIL)
    assert mail['From'] == A_MAIL and mail['To'] == B_MAIL and mail['Message-ID'] == row.receipt['message_id']
    assert row.document_id in mail['Subject'] and sent['number_symbol'] in mail['Subject']
    assert mail['Subject'].startswith('Văn bản điện tử: ')
    [attachment] = mail.iter_attachments()
    package = attachment.get_content()
    assert attachment.get_content_type() == 'application/xml'
    assert attachment.get_filename() == f'edxml-{hashlib.sha256(package).hexdigest()[:8]}.xml'
    assert row.receipt['sha256'] == hashlib.sha256(package).hexdigest()

    assert worker.run_round(b.registry) == 2                 # the mail taken in, status 01 sent by mail
    with Session(b) as root:
        [copy] = received(root, BTC, row.document_id)
        assert copy.state == 'arrived' and copy.exchange['route'] == 'email'
        assert copy.exchange['sender'] == HOST_CODE and copy.exchange['sha256'] == row.receipt['sha256']
        assert copy.origin_verdict['status'] == 'valid'
        assert [f.role for f in copy.file_list()] == ['main', 'attachment']
    assert mails(smtp, B_MAIL) == []                          # removed once taken in
    [status_mail] = mails(smtp, A_MAIL)
    assert status_mail['From'] == B_MAIL and '01' in status_mail['Subject']

    assert worker.run_round(a.registry) == 1                 # A reads its mailbox: 01 on the row
    assert delivery_of(a, sent['id']).codes == ['01']
    assert mails(smtp, A_MAIL) == []

    with Session(b) as root:                                 # B's clerk, leader and processor act
        for login, role in (('lanhdao.btc', 'leader'), ('chuyenvien.btc', 'processor')):
            directory.add_user(root, {'login': login, 'full_name': login, 'body_code': BTC, 'roles': [role],
                                      'password': 'demo-mat-khau-2026'}, b.registry.archive_settings, 'test')
    act(b, BTC, row.document_id, 'vanthu.btc', 'register')
    act(b, BTC, row.document_id, 'lanhdao.btc', 'assign', main_processor='chuyenvien.btc')
    act(b, BTC, row.document_id, 'chuyenvien.btc', 'start')
    act(b, BTC, row.document_id, 'chuyenvien.btc', 'complete', note='Đã xong')
    assert worker.run_round(b.registry) == 4 and len(mails(smtp, A_MAIL)) == 4
    assert worker.run_round(a.registry) == 4                 # applied in the order they were sent
    assert delivery_of(a, sent['id']).codes == ['01', '03', '04', '05', '06']
    assert worker.run_round(a.registry) == 0 and worker.run_round(b.registry) == 0


def test_a_mail_without_a_package_is_journaled_and_dropped(reader):
    b, smtp = reader.b, reader.smtp
    with Session(b) as root:
        before = len(root['bodies'][BTC].documents)
    from archive.seed import minimal_pdf
    post(smtp, B_MAIL, 'nguoi.gui@example.org', [(minimal_pdf('Van ban'), 'application', 'pdf', 'van-ban.pdf')])
    assert worker.run_round(b.registry) == 1
    entry = journal(b)[-1]
    assert entry['action'] == 'mail_dropped' and entry['details']['code'] == 'no_package'
    assert entry['details']['said_from'] == 'nguoi.gui@example.org' and entry['details']['mail_sha256']
    assert mails(smtp, B_MAIL) == []
    with Session(b) as root:
        assert len(root['bodies'][BTC].documents) == before


def test_origin_is_the_signature_never_the_from_header(pair):
    a, b, smtp = pair.a, pair.b, pair.smtp
    sent = send(a, [BTC], abstract='Chữ ký quyết định nguồn gốc ABCDEF')
    with Session(a) as root:               # a key A has, whose certificate B never registered
        enrol(root, a.registry.archive_keystore, ca.make_ca('CA lạ', algorithm='ec-p256'), BTG)
    foreign = package_from_a(a, sent['id'], signer=BTG)
    genuine = package_from_a(a, sent['id'])
    tampered = genuine.replace(b'ABCDEF', b'ABCDEG', 1)
    assert tampered != genuine and len(tampered) == len(genuine)

    for forged in (foreign, tampered):          # the right From does not make them genuine
        post(smtp, B_MAIL, A_MAIL, [(forged, 'application', 'xml', 'edxml.xml')])
        assert worker.run_round(b.registry) == 2        # refused, and its 02 sent to the sender (#16, 9)
        entry = journal(b)[-1]
        assert entry['action'] == 'package_refused' and entry['details']['route'] == 'email'
        assert entry['details']['package_sha256'] == hashlib.sha256(forged).hexdigest()
        assert mails(smtp, B_MAIL) == []
        with Session(b) as root:
            assert received(root, BTC, delivery_of(a, sent['id']).document_id) == []
            assert hashlib.sha256(forged).hexdigest() not in root.exchange.received

    post(smtp, B_MAIL, 'ke.mao.danh@evil.example', [(genuine, 'text', 'xml', 'goi-van-ban.xml')])
    assert worker.run_round(b.registry) == 2                 # taken in (and its 01 sent)
    with Session(b) as root:
        [copy] = received(root, BTC, delivery_of(a, sent['id']).document_id)
        assert copy.exchange['sender'] == HOST_CODE and copy.origin_verdict['status'] == 'valid'


def test_an_oversized_mail_is_dropped_with_its_reason(reader):
    b, smtp = reader.b, reader.smtp
    set_mail(b, max_bytes=4000)
    post(smtp, B_MAIL, A_MAIL, [(b'<?xml version="1.0"?><x>' + b'a' * 8000 + b'</x>', 'application', 'xml', 'big.xml')])
    assert worker.run_round(b.registry) == 1
    entry = journal(b)[-1]
    assert entry['action'] == 'mail_dropped' and entry['details']['code'] == 'too_large'
    assert entry['details']['size'] > 4000 and '4000' in entry['details']['reason']
    assert mails(smtp, B_MAIL) == []


def test_smtp_unreachable_is_retried_with_back_off_then_sent_as_the_same_message(pair):
    a, b, smtp = pair.a, pair.b, pair.smtp
    closed = free_port()
    set_mail(a, smtp_port=closed)
    sent = send(a, [BTC], abstract='Gửi khi máy chủ thư không trả lời')
    worker.run_round(a.registry)
    row = delivery_of(a, sent['id'])
    assert row.state == 'pending' and row.attempts == 1 and f'127.0.0.1:{closed}' in row.errors[0]['error']
    time.sleep(0.2)
    worker.run_round(a.registry)
    assert delivery_of(a, sent['id']).attempts == 2
    set_mail(a, smtp_port=smtp.port)                                # the mail server is back
    time.sleep(0.3)
    worker.run_round(a.registry)
    row = delivery_of(a, sent['id'])
    assert row.state == 'delivered' and row.attempts == 3 and len(row.errors) == 2
    [mail] = mails(smtp, B_MAIL)
    assert mail['Message-ID'] == f'<delivery.{row.id}@thanh-uy.example>'
    worker.run_round(b.registry)
    with Session(b) as root:
        assert len(received(root, BTC, row.document_id)) == 1


def test_mail_not_configured_ends_on_paper_past_the_retry_limit(sender):
    a = sender.a
    set_mail(a, smtp_host='')
    sent = send(a, [BTC], abstract='Máy chủ thư chưa cấu hình')
    for _ in range(6):
        worker.run_round(a.registry)
        time.sleep(0.25)
    row = delivery_of(a, sent['id'])
    assert row.state == 'paper' and row.attempts == 4 and len(row.errors) == 4
    assert all('SMTP not configured' in e['error'] for e in row.errors)
    with Session(a) as root:
        chain = root['bodies'][HOST_CODE].documents[sent['id']].chain_id
        assert [e['action'] for e in audit.entries(root, chain)].count('paper_needed') == 1


def test_a_recipient_refused_with_550_declines_the_delivery_with_the_reason(sender):
    a, smtp = sender.a, sender.smtp
    with Session(a) as root:
        root['bodies'][BTC].address = 'khong.co@ban-to-chuc.example'
    sent = send(a, [BTC], abstract='Gửi tới địa chỉ không có')
    worker.run_round(a.registry)
    row = delivery_of(a, sent['id'])
    assert row.state == 'declined' and row.codes == ['02'] and row.attempts == 1
    assert row.statuses[0]['reason_code'] == 'mail_refused' and '550' in row.statuses[0]['description']
    entry = journal(a)[-1]
    assert entry['action'] == 'package_refused' and entry['details']['code'] == 'mail_refused'
    assert mails(smtp, B_MAIL) == []


def test_a_person_s_mailbox_gets_the_pdf_and_a_summary(sender):
    a, smtp = sender.a, sender.smtp
    with Session(a) as root:
        btg = root['bodies'][BTG]
        btg.route, btg.address = 'mailbox', PERSON
    sent = send(a, [BTG], abstract='Gửi hộp thư của một người', urgency='khan', deadline='2030-12-31')
    assert worker.run_round(a.registry) == 1
    row = delivery_of(a, sent['id'])
    assert row.state == 'delivered' and row.receipt['handed_over'] == 'mailbox' and row.codes == []
    with Session(a) as root:
        files = {f.filename: f.open().read() for f in root['bodies'][HOST_CODE].documents[sent['id']].file_list()}
    [mail] = mails(smtp, PERSON)
    assert mail['To'] == PERSON and mail['Reply-To'] == A_MAIL and mail['Importance'] == 'high'
    assert mail['Subject'] == f"[Khẩn] Văn bản: {sent['number_symbol']} – Gửi hộp thư của một người"
    text = mail.get_body(('plain',)).get_content()
    for line in (f"Số, ký hiệu: {sent['number_symbol']}", 'Trích yếu: Gửi hộp thư của một người',
                 'Cơ quan gửi: Văn phòng Thành ủy (000.00.01.H01)', 'Độ khẩn: Khẩn', 'Hạn xử lý: 31/12/2030',
                 'Tệp gửi kèm: cong-van.pdf (văn bản chính), phu-luc.pdf'):
        assert line in text
    assert 'trả lời thư này' in text and 'văn thư Văn phòng Thành ủy' in text
    attached = {p.get_filename(): p.get_content() for p in mail.iter_attachments()}
    assert attached == files                                   # the main PDF and its annex, byte for byte
    assert worker.run_round(a.registry) == 0                   # nothing comes back by itself


def test_what_does_not_fit_a_person_s_mail_is_named_not_sent(sender):
    a, smtp = sender.a, sender.smtp
    with Session(a) as root:
        btg = root['bodies'][BTG]
        btg.route, btg.address = 'mailbox', PERSON
    sent = send(a, [BTG], abstract='Phụ lục quá lớn')
    with Session(a) as root:
        [main] = [f for f in root['bodies'][HOST_CODE].documents[sent['id']].file_list() if f.role == 'main']
    set_mail(a, mailbox_max_bytes=main.size)
    worker.run_round(a.registry)
    [mail] = mails(smtp, PERSON)
    assert [p.get_filename() for p in mail.iter_attachments()] == ['cong-van.pdf']
    text = mail.get_body(('plain',)).get_content()
    assert 'Không gửi kèm vì quá lớn (xin liên hệ văn thư để nhận): phu-luc.pdf' in text

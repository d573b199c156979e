"""Notifications (#17 item 5): a processor is told when something is assigned to him (the counter,
a message after his next login, a mail when he asked for one), each person's choices on their own
page, and the optional daily digest by mail through the outbox — with a real SMTP server on
loopback (aiosmtpd), as the exchange's mail tests do."""
import datetime as dt
import mailbox
from email import policy
from email.parser import BytesParser
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller

from archive import clock
from archive.exchange import notify_mail, worker
from archive.outbox import outbox_of

from ..conftest import HOST_CODE, base_settings, client, close_app, file_uri, free_port, make_app, open_root
from ..helpers import Maildirs, incoming, multipart, pdf

API = f'/api/v1/bodies/{HOST_CODE}/documents'
PROCESSOR_MAIL, LEADER_MAIL = 'chuyenvien@thanh-uy.example', 'lanhdao@thanh-uy.example'
MORNING = dt.datetime(2026, 11, 24, 7, 30, tzinfo=clock.VN)         # a Tuesday, after the digest hour (7)


def flashes(page):
    return [p.text.strip() for p in page.html.select('p.flash')]


def told(page):
    """What the page after login tells of the documents assigned since (apart from the confirmations)."""
    return [p.text.strip() for p in page.html.select('p.told')]


def waiting(page):
    return int(page.html.select_one('span.count.waiting')['data-waiting'])


def take_in(clerk, **over):
    """An incoming document entered and registered by the clerk; its API answer."""
    params, files = multipart(incoming(received_at='2026-11-23T09:30:00+07:00', **over), ('vb.pdf', pdf('Van ban')))
    doc = clerk.post(API, params, upload_files=files, headers={'X-CSRF-Token': clerk.csrf}, status=201).json
    act(clerk, doc, 'register')
    return doc


def act(c, doc, action, data=None, status=200):
    return c.post_json(f"{API}/{doc['id']}/transitions/{action}", data or {},
                       headers={'X-CSRF-Token': c.csrf}, status=status).json


@pytest.fixture
def fixed_clock():
    clock.set_now(MORNING)
    yield
    clock.set_now(None)


# on the page --------------------------------------------------------------------------------

def test_a_processor_sees_what_was_assigned_to_him_on_the_counter_and_after_login(clerk, leader, processor, app):
    before = waiting(processor.get('/desk'))
    doc = take_in(clerk, number_symbol='31-CV/BTCTU', abstract='Về việc rà soát hồ sơ đảng viên')
    secret = take_in(clerk, number_symbol='32-CV/BTCTU', abstract='NỘI DUNG MẬT 7f3a', classification='mat',
                     named_people=['lanhdao'])
    act(leader, doc, 'assign', {'main_processor': 'chuyenvien'})
    act(leader, secret, 'assign', {'main_processor': 'lanhdao', 'co_processors': ['chuyenvien'],
                                   'instruction': 'Phối hợp'})
    assert waiting(processor.get('/desk')) == before + 2
    again = client(app)                                  # his next login, through the real form
    page = again.login('chuyenvien').maybe_follow()
    told_now = told(page)
    assert 'Bạn được giao chủ trì xử lý: 31-CV/BTCTU – Về việc rà soát hồ sơ đảng viên' in told_now
    assert any(t.startswith('Bạn được giao phối hợp xử lý: 32-CV/BTCTU') for t in told_now)
    assert not [t for t in told_now if '7f3a' in t]           # a Mật one by its number (the desk, his to read, shows it)
    assert told(client(app).login('chuyenvien').maybe_follow()) == []      # told once
    # the leader who assigned one to himself is not told of it
    assert not [t for t in told(client(app).login('lanhdao').maybe_follow()) if '32-CV/BTCTU' in t]


BAD_PREFERENCES = [
    ('not an address', {'email': 'chuyen vien'}, 'email_invalid'),
    ('script', {'email': '<script>alert(1)</script>@x.vn'}, 'email_invalid'),
    ('oversized', {'email': 'a' * 250 + '@thanh-uy.example'}, 'too_long'),
    ('trailing text', {'email': 'a@b.vn x'}, 'email_invalid'),
]


@pytest.mark.parametrize('values, code', [b[1:] for b in BAD_PREFERENCES], ids=[b[0] for b in BAD_PREFERENCES])
def test_ones_own_page_refuses_bad_input_beside_the_field_and_keeps_it(processor, app, values, code):
    form = processor.get('/me').forms['account']
    form['email'] = values['email']
    form['mail_digest'] = True
    refused = form.submit('submit', status=400)
    [error] = refused.html.select('ul.errors li')
    assert (error['data-field'], error['data-code']) == ('email', code)
    assert refused.forms['account']['email'].value == values['email']
    assert refused.forms['account']['mail_digest'].checked
    conn, root = open_root(app)
    try:
        user = root['users']['chuyenvien']
        assert (user.email, user.mail_digest) == ('', False)           # nothing written
    finally:
        conn.close()


def test_each_person_chooses_on_their_own_page(processor, app):
    form = processor.get('/me').forms['account']
    assert not form['mail_digest'].checked and form['mail_assigned'].checked     # the defaults
    form['email'] = PROCESSOR_MAIL
    form['mail_digest'] = True
    form['mail_assigned'] = False
    page = form.submit('submit', status=303).follow()
    assert flashes(page) == ['Đã lưu lựa chọn nhận thông báo']
    form = page.forms['account']
    assert form['email'].value == PROCESSOR_MAIL and form['mail_digest'].checked and not form['mail_assigned'].checked
    conn, root = open_root(app)
    try:
        user = root['users']['chuyenvien']
        assert (user.email, user.mail_digest, user.mail_assigned) == (PROCESSOR_MAIL, True, False)
        assert user.login == 'chuyenvien' and root['users']['lanhdao'].email == ''     # only one's own
    finally:
        conn.close()


# by mail ------------------------------------------------------------------------------------

@pytest.fixture
def smtp(tmp_path):
    (tmp_path / 'mail').mkdir()
    folders = {address: str(tmp_path / 'mail' / address.split('@')[0]) for address in (PROCESSOR_MAIL, LEADER_MAIL)}
    for path in folders.values():
        mailbox.Maildir(path, create=True)
    controller = Controller(Maildirs(folders), hostname='127.0.0.1', port=free_port())
    controller.start()
    yield SimpleNamespace(port=controller.port, folders=folders)
    controller.stop()


def mail_settings(tmp_path, smtp, **extra):
    return base_settings(tmp_path, file_uri(tmp_path), **{
        'archive.smtp_host': '127.0.0.1', 'archive.smtp_port': str(smtp.port), 'archive.smtp_timeout': '5',
        'archive.mail_from': 'vanban@thanh-uy.example', 'archive.notify_mail': 'true', 'archive.digest_hour': '7',
        'archive.delivery_retry_seconds': '0.05', 'archive.delivery_retry_cap_seconds': '0.2', **extra})


@pytest.fixture
def mailing(tmp_path, smtp, fixed_clock):
    """The app with notifications by mail on; the processor and the leader gave their addresses."""
    settings = mail_settings(tmp_path, smtp)
    app = make_app(settings)
    people = SimpleNamespace(app=app, settings=settings, smtp=smtp,
                             **{login: client(app, login) for login in ('vanthu', 'lanhdao', 'chuyenvien')})
    for login, address in (('chuyenvien', PROCESSOR_MAIL), ('lanhdao', LEADER_MAIL)):
        form = getattr(people, login).get('/me').forms['account']
        form['email'] = address
        form['mail_digest'] = True
        form.submit('submit', status=303)
    yield people
    close_app(people.app)


def mails(smtp, address):
    folder = mailbox.Maildir(smtp.folders[address], factory=None, create=False)
    return [BytesParser(policy=policy.default).parsebytes(folder.get_bytes(k)) for k in folder.keys()]


def text_of(mail):
    return mail.get_body(('plain',)).get_content()


def test_an_assignment_is_mailed_to_the_processor_through_the_outbox(mailing):
    doc = take_in(mailing.vanthu, number_symbol='41-CV/BTCTU', abstract='Về việc kiểm tra định kỳ')
    secret = take_in(mailing.vanthu, number_symbol='42-CV/BTCTU', abstract='NỘI DUNG MẬT 9c1d',
                     classification='mat', named_people=['lanhdao'])
    assert mails(mailing.smtp, PROCESSOR_MAIL) == []
    act(mailing.lanhdao, doc, 'assign', {'main_processor': 'chuyenvien', 'deadline': '2026-11-30',
                                         'instruction': 'Báo cáo trước ngày 30'})
    act(mailing.lanhdao, secret, 'assign', {'main_processor': 'chuyenvien', 'instruction': 'CHỈ ĐẠO MẬT 9c1d'})
    assert mails(mailing.smtp, PROCESSOR_MAIL) == []          # queued in the transaction, sent after it
    conn, root = open_root(mailing.app)
    try:
        assert len(outbox_of(root).pending('mail')) >= 2
    finally:
        conn.close()
    worker.run_round(mailing.app.registry)
    got = {m['Subject']: m for m in mails(mailing.smtp, PROCESSOR_MAIL)}
    plain = got['Văn bản giao cho bạn chủ trì xử lý: 41-CV/BTCTU']
    assert '41-CV/BTCTU – Về việc kiểm tra định kỳ' in text_of(plain)
    assert 'Hạn xử lý: 30/11/2026' in text_of(plain) and 'Báo cáo trước ngày 30' in text_of(plain)
    mat = got['Văn bản giao cho bạn chủ trì xử lý: 42-CV/BTCTU']
    assert '9c1d' not in mat.as_string()                      # never a Mật document's abstract or instruction
    assert all(m['To'] == PROCESSOR_MAIL and m['Auto-Submitted'] == 'auto-generated' for m in got.values())


def test_no_assignment_mail_for_one_who_said_no(mailing):
    form = mailing.chuyenvien.get('/me').forms['account']
    form['mail_assigned'] = False
    form.submit('submit', status=303)
    act(mailing.lanhdao, take_in(mailing.vanthu), 'assign', {'main_processor': 'chuyenvien'})
    notify_mail.run(mailing.app.registry)
    assert [m['Subject'] for m in mails(mailing.smtp, PROCESSOR_MAIL)
            if m['Subject'].startswith('Văn bản giao')] == []


def digests(smtp, address):
    return [m for m in mails(smtp, address) if m['Subject'].startswith('Việc cần xử lý')]


def test_the_daily_digest_lists_what_waits_once_a_day_whatever_restarts(mailing, tmp_path):
    urgent = take_in(mailing.vanthu, number_symbol='51-CV/BTCTU', abstract='Về việc khẩn 51', urgency='khan')
    due = take_in(mailing.vanthu, number_symbol='52-CV/BTCTU', abstract='Về việc đến hạn 52')
    secret = take_in(mailing.vanthu, number_symbol='53-CV/BTCTU', abstract='NỘI DUNG MẬT 2b8e', urgency='khan',
                     classification='mat', named_people=['lanhdao'])
    act(mailing.lanhdao, urgent, 'assign', {'main_processor': 'chuyenvien'})
    act(mailing.lanhdao, due, 'assign', {'main_processor': 'chuyenvien', 'deadline': '2026-11-25'})
    act(mailing.lanhdao, secret, 'assign', {'main_processor': 'chuyenvien'})
    clock.set_now(MORNING.replace(hour=6, minute=59))
    notify_mail.run(mailing.app.registry)
    assert digests(mailing.smtp, PROCESSOR_MAIL) == []         # not before the hour
    clock.set_now(MORNING)
    worker.run_round(mailing.app.registry)
    [digest] = digests(mailing.smtp, PROCESSOR_MAIL)
    text = text_of(digest)
    assert 'Văn bản giao cho tôi: ' in text
    urgent_part = text.split('Văn bản khẩn')[1].split('Đến hạn')[0]
    assert '51-CV/BTCTU – Về việc khẩn 51' in urgent_part and '53-CV/BTCTU' in urgent_part
    assert '52-CV/BTCTU – Về việc đến hạn 52' in text.split('Đến hạn xử lý ngày mai, 25/11/2026')[1]
    assert '2b8e' not in digest.as_string()                    # never a Mật document's abstract
    assert digest['Message-ID'] == '<digest.2026-11-24.chuyenvien@thanh-uy.example>'
    assert len(digests(mailing.smtp, LEADER_MAIL)) == 1         # each person their own
    worker.run_round(mailing.app.registry)
    close_app(mailing.app)                                      # a restart the same day: nothing twice
    mailing.app = make_app(mailing.settings)
    notify_mail.run(mailing.app.registry)
    assert len(digests(mailing.smtp, PROCESSOR_MAIL)) == 1
    clock.set_now(MORNING + dt.timedelta(days=1))               # the next day: the next one
    notify_mail.run(mailing.app.registry)
    assert len(digests(mailing.smtp, PROCESSOR_MAIL)) == 2


def test_one_mail_that_cannot_go_holds_back_no_other(mailing):
    form = mailing.chuyenvien.get('/me').forms['account']
    form['email'] = 'nobody@thanh-uy.example'                  # the server answers 550 for it
    form.submit('submit', status=303)
    act(mailing.lanhdao, take_in(mailing.vanthu), 'assign', {'main_processor': 'chuyenvien'})   # queued first
    take_in(mailing.vanthu, number_symbol='61-CV/BTCTU')        # waits for the leader to assign it
    clock.set_now(MORNING + dt.timedelta(minutes=1))           # the digests queued after it
    notify_mail.run(mailing.app.registry)
    assert len(digests(mailing.smtp, LEADER_MAIL)) == 1
    conn, root = open_root(mailing.app)
    try:
        sent = [(m['to'], m.state, m.get('last_error', '')) for _k, m in sorted(outbox_of(root).items.items())
                if m.kind == 'mail']
    finally:
        conn.close()
    assert sent[0][:2] == ('nobody@thanh-uy.example', 'declined') and '550' in sent[0][2]
    assert ('nobody@thanh-uy.example', 'declined') in [s[:2] for s in sent[1:]]     # his digest too
    assert (LEADER_MAIL, 'carried') in [s[:2] for s in sent]

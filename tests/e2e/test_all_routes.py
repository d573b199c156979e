"""One document to receivers on every route, between two instances run as separate processes
(Art. 7, 8): Ban Tổ chức on B over HTTP, Ban Tuyên giáo on B by official email (a real SMTP
server on loopback, aiosmtpd, delivering into the Maildir B reads), Ủy ban Kiểm tra on B through
the national axis (A's out folder is B's in folder), and Ban Dân vận, whose system never answers,
on paper once the retries run out — the clerk then records the paper sent. On B each receiver's
clerk, leader and processor take their copy through 03, 04, 05 and 06 over the API; every
receipt and every status comes back to A's rows and A's history, in order, in Vietnam time."""
import mailbox
import os
import time

import pytest
from aiosmtpd.controller import Controller

from ..helpers import Maildirs, pdf
from . import instances
from .instances import BTC, HOST, Api, enrol_on_b, free_port, in_parallel, make_pair

pytestmark = pytest.mark.slow

BTG, UBKT, BDV = '000.00.03.H01', '000.00.04.H01', '000.00.05.H01'
BTG_MAIL, A_MAIL = 'btg@ban-tuyen-giao.example', 'vptu@thanh-uy.example'
ON_B = {BTC: ('btc', 'Ban Tổ chức Thành ủy'), BTG: ('btg', 'Ban Tuyên giáo Thành ủy'),
        UBKT: ('ubkt', 'Ủy ban Kiểm tra Thành ủy')}


def wait_until(what, condition, seconds=180):
    """Poll ``condition()`` until it is true; fail naming ``what`` (a bound, not a timing)."""
    end = time.monotonic() + seconds
    last = None
    while time.monotonic() < end:
        last = condition()
        if last:
            return last
        time.sleep(0.25)
    raise AssertionError(f'{what}: not within {seconds} s')


@pytest.fixture(scope='module')
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp('all-routes')
    (folder / 'mail').mkdir()
    btg_maildir = str(folder / 'mail' / 'btg')
    mailbox.Maildir(btg_maildir, create=True)
    smtp = Controller(Maildirs({BTG_MAIL: btg_maildir}), hostname='127.0.0.1', port=free_port())
    smtp.start()
    axis = {name: str(folder / 'axis' / name) for name in ('a-to-b', 'b-to-a', 'a-done', 'b-done',
                                                           'a-rejected', 'b-rejected')}
    for path in axis.values():
        os.makedirs(path)
    a_settings = {
        'archive.smtp_host': '127.0.0.1', 'archive.smtp_port': str(smtp.port), 'archive.mail_from': A_MAIL,
        'archive.axis_mode': 'folder', 'archive.axis_out_dir': axis['a-to-b'], 'archive.axis_in_dir': axis['b-to-a'],
        'archive.axis_done_dir': axis['a-done'], 'archive.axis_rejected_dir': axis['a-rejected'],
        'archive.delivery_max_attempts': '3',          # Ban Dân vận's system never answers: paper soon
    }
    b_settings = {
        'archive.mail_intake': 'maildir:' + btg_maildir,
        'archive.axis_mode': 'folder', 'archive.axis_out_dir': axis['b-to-a'], 'archive.axis_in_dir': axis['a-to-b'],
        'archive.axis_done_dir': axis['b-done'], 'archive.axis_rejected_dir': axis['b-rejected'],
    }
    pair = make_pair(folder / 'pair', a_settings, b_settings)
    a, b, work = pair.a, pair.b, pair.work
    password = folder / 'password'
    password.write_text(instances.PASSWORD + '\n')

    def on_b():
        others = [(code, name, tag) for code, (tag, name) in ON_B.items() if code != BTC]
        users, logins = [], []
        for code, (tag, _name) in ON_B.items():
            roles = (('vanthu', 'Văn thư', 'clerk'),) if code != BTC else ()
            for prefix, title, role in roles + (('lanhdao', 'Lãnh đạo', 'leader'),
                                                ('chuyenvien', 'Chuyên viên', 'processor')):
                users.append(('archive-users', 'add', f'{prefix}.{tag}', '--name', f'{title} {tag}', '--body', code,
                              '--role', role, '--password-file', str(password)))
            logins += [f'{prefix}.{tag}' for prefix in ('vanthu', 'lanhdao', 'chuyenvien')]
        out = enrol_on_b(b, pair.authority, work, others, then=users + [instances.token_call(lo) for lo in logins])
        for login, output in zip(logins, out[len(users):]):
            pair.tokens[f'b:{login}'] = instances.read_token(output)

    def on_a():
        a.commands(('archive-bodies', 'set-route', BTG, '--route', 'email', '--address', BTG_MAIL),
                   ('archive-bodies', 'set-route', UBKT, '--route', 'axis', '--address', UBKT),
                   ('archive-bodies', 'set-route', BDV, '--route', 'instance',
                    '--address', f'http://127.0.0.1:{free_port()}'))       # nobody listens there
    in_parallel(on_a, on_b)
    a.commands(*(('archive-bodies', 'add-certificate', code, '--kind', 'org-sign',      # what B's operator
                  os.path.join(work, f'b-{tag}-org-sign.pem'))                           # handed over
                 for code, (tag, _name) in ON_B.items() if code != BTC))
    pair.start()
    try:
        yield pair, smtp, axis
    finally:
        pair.stop()
        smtp.stop()


def test_one_document_on_every_route_and_every_status_back(world):
    pair, _smtp, axis = world
    a, b = pair.a, pair.b
    sender = pair.sender()
    abstract = 'Công văn gửi qua mọi đường: hệ thống khác, thư điện tử, trục liên thông, bản giấy'
    doc = sender.prepare(abstract, pdf('Cong van gui qua moi duong'), [BTC, BTG, UBKT, BDV])
    sent = sender.send(doc['id'])
    assert sent['status'] == 'sent'

    def rows():
        return {r['receiver']: r for r in sender.deliveries(doc['id'])}

    def arrived():
        now = rows()
        return all(now[c]['state'] == 'delivered' and [s['code'] for s in now[c]['statuses']][:1] == ['01']
                   for c in ON_B) and now[BDV]['state'] == 'paper' and now
    now = wait_until('delivered on three routes with 01 back, and the fourth on paper', arrived)
    assert {c: now[c]['route'] for c in now} == {BTC: 'instance', BTG: 'email', UBKT: 'axis', BDV: 'instance'}
    assert now[BDV]['attempts'] == 3 and len(now[BDV]['errors']) == 3
    assert os.listdir(axis['b-done']) and not os.listdir(axis['b-rejected'])

    for code, (tag, _name) in ON_B.items():          # each receiver works its copy through
        clerk, leader, processor = (Api(b.url, pair.tokens[f'b:{role}.{tag}'])
                                    for role in ('vanthu', 'lanhdao', 'chuyenvien'))
        path = f'/bodies/{code}/documents'
        [copy] = [d for d in clerk.get(path)['items'] if d['abstract'] == abstract]
        assert copy['status'] == 'arrived' and copy['origin_verdict'] == 'valid'
        steps = ((clerk, 'register', {}), (leader, 'assign', {'main_processor': f'chuyenvien.{tag}'}),
                 (processor, 'start', {}), (processor, 'complete', {'note': 'Đã hoàn thành'}))
        for who, action, data in steps:
            who.post_json(f"{path}/{copy['id']}/transitions/{action}", data)

    full = ['01', '03', '04', '05', '06']
    now = wait_until('03, 04, 05, 06 back from every receiver', lambda: all(
        [s['code'] for s in rows()[c]['statuses']] == full for c in ON_B) and rows())
    for code in ON_B:
        assert all(s['at'].endswith('+07:00') for s in now[code]['statuses'])

    clerk_a = sender.clerk                          # the paper to Ban Dân vận went by post
    paper = clerk_a.post_json(f"/bodies/{HOST}/documents/{doc['id']}/deliveries/{now[BDV]['id']}/paper",
                              {'means': 'post', 'note': 'Gửi qua bưu điện, số hiệu bưu gửi RR123'})
    assert paper['paper_sent_at'].endswith('+07:00') and paper['paper_means'] == 'post'

    history = clerk_a.get(f"/bodies/{HOST}/documents/{doc['id']}/history")['items']
    trail = [(e['details']['receiver'], e['details']['code']) for e in history
             if e['action'] == 'status_received']
    for code in ON_B:
        assert [c for r, c in trail if r == code] == full
    assert 'paper_needed' in [e['action'] for e in history] and 'paper_sent' in [e['action'] for e in history]

    in_parallel(a.stop, b.stop)                     # what each database holds, servers stopped
    with a.database() as root:
        rows_a = {d.receiver: d for d in root.exchange.deliveries.values() if d.document == doc['id']}
        assert rows_a[BTC].receipt['signed_answer']['signature']        # B's signed receipt kept
        assert rows_a[BTG].receipt['handed_over'] == 'email'
        assert rows_a[UBKT].receipt['handed_over'] == 'axis'
        document_id = rows_a[BTC].document_id
    with b.database() as root:
        for code in ON_B:                                          # each exactly once
            assert len(instances.received_copies(root, code, document_id)) == 1
            [copy] = instances.received_copies(root, code, document_id)
            assert copy.exchange['route'] == {BTC: 'instance', BTG: 'email', UBKT: 'axis'}[code]

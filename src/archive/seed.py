"""Demo data: a tree of bodies as in the rule (city office, boards, a district
merged in 2025, a committee under the city, a state body), one user per role,
and a few documents. Used by ``make run`` on first start and by the tests."""
import datetime as dt
import io

from . import clock
from .services import directory, documents
from .workflow.engine import fire
from .services.certificates import register_certificate
from .signing import ca as demo_ca
from .signing.pades import sign_pdf, to_asn1
from .exchange.receipts import INSTANCE_KEY
from .signing.keys import ORG_ENC, ORG_SIGN, PERSON

HOST = '000.00.01.H01'   # Văn phòng Thành ủy, where the demo users work
DEMO_RECEIVER = '000.00.02.H01'   # Ban Tổ chức Thành ủy, whose clerk vanthu.btc is a demo user

BODIES = [
    dict(code='000.00.00.H01', name='Thành ủy', symbol='TU'),
    dict(code=HOST, name='Văn phòng Thành ủy', symbol='VPTU', parent_code='000.00.00.H01'),
    dict(code='000.00.02.H01', name='Ban Tổ chức Thành ủy', symbol='BTCTU', parent_code='000.00.00.H01'),
    dict(code='000.00.03.H01', name='Ban Tuyên giáo Thành ủy', symbol='BTGTU', parent_code='000.00.00.H01'),
    dict(code='000.00.04.H01', name='Ủy ban Kiểm tra Thành ủy', symbol='UBKTTU', parent_code='000.00.00.H01'),
    dict(code='000.00.05.H01', name='Ban Dân vận Thành ủy', symbol='BDVTU', parent_code='000.00.00.H01'),
    dict(code='000.01.00.H01', name='Quận ủy Hoàn Kiếm', symbol='QUHK', parent_code='000.00.00.H01',
         valid_from='2020-09-01'),
    dict(code='000.01.10.H01', name='Đảng ủy phường Hoàn Kiếm', symbol='ĐUPHK', parent_code='000.00.00.H01',
         valid_from='2025-07-01'),
    dict(code='000.02.00.H01', name='Đảng ủy Khối các cơ quan Thành phố', symbol='ĐUK',
         parent_code='000.00.00.H01'),
    dict(code='000.00.00.G22', name='Văn phòng Chính phủ', symbol='VPCP', kind='state', route='axis',
         address='000.00.00.G22'),
]
UNITS = {HOST: [('TH', 'Phòng Tổng hợp'), ('HCLT', 'Phòng Hành chính - Lưu trữ')]}
USERS = [
    dict(login='vanthu', full_name='Nguyễn Thị Văn Thư', roles=['clerk'], position='Văn thư'),
    dict(login='lanhdao', full_name='Trần Văn Lãnh Đạo', roles=['leader'], position='Chánh Văn phòng'),
    dict(login='chuyenvien', full_name='Lê Thị Chuyên Viên', roles=['processor'], unit_code='TH',
         position='Chuyên viên'),
    dict(login='luutru', full_name='Phạm Văn Lưu Trữ', roles=['archivist'], unit_code='HCLT',
         position='Lưu trữ viên'),
    dict(login='quantri', full_name='Hoàng Văn Quản Trị', roles=['admin'], position='Quản trị hệ thống'),
    dict(login='vanthu.btc', full_name='Đỗ Thị Văn Thư', roles=['clerk'], body_code='000.00.02.H01',
         position='Văn thư Ban Tổ chức'),
]


def minimal_pdf(text='Van ban mau'):
    """A valid one-page PDF with an ASCII line of text (demo data, tests, benchmarks)."""
    text = text.replace('\\', '\\\\').replace('(', '\\(').replace(')', '\\)')
    stream = f'BT /F1 14 Tf 72 760 Td ({text}) Tj ET'.encode('latin-1', 'replace')
    objects = [
        b'<< /Type /Catalog /Pages 2 0 R >>',
        b'<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
        b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R '
        b'/Resources << /Font << /F1 5 0 R >> >> >>',
        b'<< /Length %d >>\nstream\n' % len(stream) + stream + b'\nendstream',
        b'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    ]
    out = io.BytesIO()
    out.write(b'%PDF-1.4\n%\xe2\xe3\xcf\xd3\n')
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b'%d 0 obj\n' % n + body + b'\nendobj\n')
    xref = out.tell()
    out.write(b'xref\n0 %d\n0000000000 65535 f \n' % (len(objects) + 1))
    for off in offsets:
        out.write(b'%010d 00000 n \n' % off)
    out.write(b'trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n' % (len(objects) + 1, xref))
    return out.getvalue()


def seed_demo(root, settings, keystore=None):
    """The demo bodies, users and documents; with a key store (``archive.keystore``) also the
    demo keys: ``org-sign:`` of the host body and ``person:lanhdao``, issued by the demo CA."""
    for spec in BODIES:
        directory.add_body(root, dict(spec), settings, 'seed')
    bodies = root['bodies']
    for code, units in UNITS.items():
        for unit_code, name in units:
            directory.add_unit(root, bodies[code], {'code': unit_code, 'name': name}, 'seed')
    bodies[HOST].office_of = '000.00.00.H01'     # the city office compiles the city's statistics
    directory.close_body(root, bodies['000.01.00.H01'], dt.date(2025, 6, 30), '000.01.10.H01', 'seed')
    shared_hash = None   # one argon2 hash of the demo password serves every demo user
    for spec in USERS:
        spec = {'body_code': HOST, 'password': settings.demo_password, **spec}
        user = directory.add_user(root, spec, settings, 'seed', password_hash=shared_hash)
        shared_hash = user.password_hash
    now = clock.now()
    samples = [
        dict(direction='incoming', organ_id='000.00.02.H01', sender='Ban Tổ chức Thành ủy',
             number_symbol='245-HD/BTCTU', doc_type='HD', urgency='khan',
             abstract='Hướng dẫn công tác kiểm điểm, đánh giá, xếp loại chất lượng tổ chức đảng năm 2026',
             signer_name='Nguyễn Văn A', signer_position='Phó Trưởng ban', signer_competence='K/T',
             issued_date=(now - dt.timedelta(days=2)).date().isoformat(),
             channel='electronic', received_at=clock.iso(now)),
        dict(direction='incoming', organ_id='000.00.00.G22', sender='Văn phòng Chính phủ',
             number_symbol='7816/VPCP-TTĐT', doc_type='CV', abstract='Về việc triển khai Trục liên thông văn bản quốc gia',
             signer_name='Trần Văn B', signer_position='Phó Chủ nhiệm', signer_competence='K/T',
             issued_date=(now - dt.timedelta(days=4)).date().isoformat(),
             channel='paper', received_at=clock.iso(now - dt.timedelta(days=1))),
        dict(direction='outgoing', organ_id=HOST, doc_type='TTr', holder_unit='TH',
             abstract='Tờ trình về kế hoạch chuyển đổi số công tác văn thư, lưu trữ',
             signer_name='Trần Văn Lãnh Đạo', signer_position='Chánh Văn phòng', signer_competence='T/L',
             receivers=['Thường trực Thành ủy', 'Lưu VT']),
    ]
    sign_first, authority = demo_signatures(root, bodies[DEMO_RECEIVER])
    if keystore is not None:
        demo_keys(root, keystore, authority, bodies[HOST], root['users']['lanhdao'], bodies[DEMO_RECEIVER])
    host = bodies[HOST]
    for n, values in enumerate(samples, 1):
        content = minimal_pdf(f'Van ban mau {n}')
        if n == 1:
            content = sign_first(content)
        upload = documents.Upload('main_file', f'van-ban-{n}.pdf', io.BytesIO(content), 'main')
        documents.create(root, host, values, [upload], settings, 'vanthu')
    if keystore is not None:
        demo_signed_outgoing(root, host, settings)
        demo_secret(root, host, settings)


def demo_signed_outgoing(root, host, settings):
    """An outgoing document taken through its lifecycle: the leader's signature on approval, the
    number, the organisation's signature: the demo's document with two verified signatures."""
    values = dict(direction='outgoing', organ_id=HOST, doc_type='TB', holder_unit='TH',
                  abstract='Thông báo lịch tiếp công dân tháng 12 năm 2026',
                  signer_name='Trần Văn Lãnh Đạo', signer_position='Chánh Văn phòng',
                  signer_competence='T/L', receivers=['Các ban đảng Thành ủy', 'Lưu VT'])
    upload = documents.Upload('main_file', 'thong-bao.pdf', io.BytesIO(minimal_pdf('Thong bao lich tiep')), 'main')
    doc = documents.create(root, host, values, [upload], settings, 'chuyenvien')
    users = root['users']
    for action, login in (('submit', 'chuyenvien'), ('approve', 'lanhdao'), ('number', 'vanthu'),
                          ('sign', 'vanthu')):
        fire(root, doc, action, users[login])
    return doc


def demo_secret(root, host, settings):
    """A Mật incoming document: its file sealed with the host body's encryption key, readable
    by the clerk and the leader named on it only."""
    values = dict(direction='incoming', organ_id='000.00.04.H01', sender='Ủy ban Kiểm tra Thành ủy',
                  number_symbol='112-TB/UBKTTU', doc_type='TB', classification='mat',
                  abstract='Thông báo kết quả kiểm tra (Mật)', named_people=['lanhdao'],
                  signer_name='Lê Văn C', signer_position='Phó Chủ nhiệm', signer_competence='K/T',
                  channel='electronic', received_at=clock.iso(clock.now()))
    upload = documents.Upload('main_file', 'thong-bao-mat.pdf',
                              io.BytesIO(minimal_pdf('Noi dung mat - chi nguoi co ten doc')), 'main')
    return documents.create(root, host, values, [upload], settings, 'vanthu')


def demo_signatures(root, body):
    """A demo CA (TEST ONLY), an organisation signing certificate for ``body`` registered on
    it, and a function that signs a PDF with that certificate's key.

    The CA's certificate is kept in the database (``root.demo_trust_roots``) rather than in
    the trust-root folder of the .ini: it is trusted only while ``archive.demo_seed`` is on,
    never by an installation that merely kept a demo database. The CA's key and the
    organisation's key live in memory only and are gone after seeding. EC P-256 keys, so
    that this costs milliseconds, not the ~0.5 s of making RSA keys.
    """
    from asn1crypto import keys as asn1_keys
    from cryptography.hazmat.primitives import serialization
    from pyhanko.sign.signers import SimpleSigner
    from pyhanko_certvalidator.registry import SimpleCertificateStore
    authority = demo_ca.make_ca('CA thử nghiệm (TEST ONLY)', algorithm='ec-p256',
                                not_before=clock.now() - DEMO_BACKDATE)
    root.demo_trust_roots = (authority.pem(),)
    key = demo_ca.new_private_key('ec-p256')
    cert = demo_ca.issue(authority, key.public_key(), f'C=VN,O={body.name},CN={body.name} ({body.code})',
                         demo_ca.ORG_SIGN)
    register_certificate(root, body, demo_ca.to_pem(cert), demo_ca.ORG_SIGN, 'seed')
    signer = SimpleSigner(
        signing_cert=to_asn1(cert),
        signing_key=asn1_keys.PrivateKeyInfo.load(key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
        cert_registry=SimpleCertificateStore.from_certs([to_asn1(authority.certificate)]))
    return (lambda content: sign_pdf(content, signer, field_name='ChuKyToChuc')), authority


# Demo certificates start a year back, so that tests that set the clock to a past day still
# find them valid.
DEMO_BACKDATE = dt.timedelta(days=365)


def write_demo_passphrase(path):
    """The demo key store's passphrase file (0600, a fresh random passphrase), if missing."""
    import os
    import secrets
    if not path or os.path.exists(path):
        return False
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, 'w') as f:
        f.write(secrets.token_urlsafe(32) + '\n')
    return True


def demo_keys(root, keystore, authority, body, leader, receiver):
    """Generate the host body's organisation signing key, its encryption key and the leader's
    personal key in the key store, issue their certificates from the demo CA, import them, and
    register the organisation's certificates on the body; the organisation signing key of
    ``receiver`` (Ban Tổ chức, whose clerk is a demo user: its statuses 01-06 go back signed);
    and the instance's own key (it signs the answers no hosted body can, exchange/receipts.py).
    Signing keys EC P-256 (milliseconds); the encryption key RSA-2048 (RSA-OAEP; ~50 ms, where
    RSA-3072 takes ~0.2 s)."""
    not_before = clock.now() - DEMO_BACKDATE
    org_subject = f'C=VN,O={body.name},CN={body.name} ({body.code})'
    for key_id, subject, kind, algorithm, owner, registered in (
            (f'{ORG_SIGN}:{body.code}', org_subject, demo_ca.ORG_SIGN, 'ec-p256', body, ORG_SIGN),
            (f'{ORG_ENC}:{body.code}', org_subject, demo_ca.ENCRYPTION, 'rsa2048', body, ORG_ENC),
            (f'{PERSON}:{leader.login}', f'C=VN,O={body.name},CN={leader.full_name}', demo_ca.PERSON_SIGN,
             'ec-p256', None, None),
            (f'{ORG_SIGN}:{receiver.code}', f'C=VN,O={receiver.name},CN={receiver.name} ({receiver.code})',
             demo_ca.ORG_SIGN, 'ec-p256', receiver, ORG_SIGN),
            (INSTANCE_KEY, f'C=VN,O={body.name},CN=Hệ thống trao đổi văn bản ({INSTANCE_KEY})', demo_ca.INSTANCE,
             'ec-p256', None, None)):
        csr = keystore.generate(key_id, subject, algorithm, replace_pending=True)
        cert = demo_ca.issue(authority, csr, kind=kind, not_before=not_before)
        keystore.import_certificate(key_id, demo_ca.to_pem(cert, authority.certificate))
        if registered:
            register_certificate(root, owner, demo_ca.to_pem(cert), registered, 'seed')

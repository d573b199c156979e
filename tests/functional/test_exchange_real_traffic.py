"""Real national-axis traffic (issue 16): each form real senders write, through the axis folder,
official email (a real SMTP server on loopback, a real Maildir) and the ``receive`` function alike,
asserting what the clerk sees (the document page and the JSON API) and what goes back to the
sender. The Government Office's software signs with signxml's own signer and a key of its own
(``TheirSoftware``); the unsigned forms are what the SDK writes without an envelope signature."""
import base64
import datetime as dt
import io
import mailbox
import os
import re
import smtplib
import zipfile
from email.message import EmailMessage
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller
from lxml import etree

from archive import clock
from archive.exchange import deliveries, edxml, receive, worker
from archive.exchange.channels import axis, email, kind_of

from ..conftest import HOST_CODE, base_settings, client, close_app, file_uri, free_port, make_app
from ..helpers import Maildirs, pdf
from .test_exchange_axis import VPCP, TheirSoftware, folder_settings, sent_document
from .test_exchange_local import BTC, Session, received, send

E = f'{{{edxml.NS}}}'
INTAKE_MAIL = 'btc@ban-to-chuc.example'
PDF_TEXT = 'Cong van thu nghiem truc lien thong'
WORD_2003_XML = (b'<?xml version="1.0"?><?mso-application progid="Word.Document"?>'
                 b'<w:wordDocument xmlns:w="http://schemas.microsoft.com/office/word/2003/wordml">'
                 b'<w:body><w:p><w:r><w:t>Phu luc</w:t></w:r></w:p></w:body></w:wordDocument>')


# -- the world outside: their software, the axis folder, the mail server --------------------------------

@pytest.fixture(scope='module')
def their():
    return TheirSoftware()


@pytest.fixture(scope='module')
def smtp():
    """A real SMTP server on loopback, started once: each test points the intake address at a
    Maildir of its own."""
    handler = Maildirs({})
    controller = Controller(handler, hostname='127.0.0.1', port=free_port())
    controller.start()
    yield SimpleNamespace(port=controller.port, folders=handler.folders)
    controller.stop()


@pytest.fixture
def world(tmp_path, their, smtp):
    """One instance (the demo: the office and Ban Tổ chức hosted here) reading an axis folder and
    an official mailbox fed by a real SMTP server; the Government Office known by its certificate."""
    out_dir, in_dir = tmp_path / 'axis' / 'out', tmp_path / 'axis' / 'in'
    out_dir.mkdir(parents=True)
    in_dir.mkdir(parents=True)
    (tmp_path / 'mail').mkdir()
    maildir = str(tmp_path / 'mail' / 'btc')
    mailbox.Maildir(maildir, create=True)
    smtp.folders[INTAKE_MAIL] = maildir
    app = make_app(base_settings(tmp_path / 'app', file_uri(tmp_path / 'app'), **folder_settings(out_dir, in_dir), **{
        'archive.smtp_host': '127.0.0.1', 'archive.smtp_port': str(smtp.port), 'archive.smtp_timeout': '5',
        'archive.mail_from': INTAKE_MAIL, 'archive.mail_intake': 'maildir:' + maildir}))
    their.register_with(app)
    yield SimpleNamespace(app=app, out_dir=out_dir, in_dir=in_dir, port=smtp.port)
    close_app(app)


def by_axis(world, data):
    (world.in_dir / 'goi-tin.edxml').write_bytes(data)
    assert axis.poll(world.app.registry) == 1


def by_email(world, data):
    mail = EmailMessage()
    mail['From'], mail['To'], mail['Subject'] = 'vanthu@chinhphu.example', INTAKE_MAIL, 'Gửi văn bản'
    mail.set_content('Kính gửi văn thư.')
    mail.add_attachment(data, maintype='application', subtype='xml', filename='goi-tin.xml')
    with smtplib.SMTP('127.0.0.1', world.port) as smtp:
        smtp.send_message(mail)
    assert email.poll(world.app.registry) == 1


def by_receive(world, data):
    try:
        receive.accept(world.app.registry, data, 'axis', kind_of(data))
    except receive.Refused:
        pass                    # journaled; what the clerk and the sender see is asserted after


INTAKES = {'axis folder': by_axis, 'email': by_email, 'receive': by_receive}


# -- the forms ---------------------------------------------------------------------------------------------

def zipped(name, data):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr(name, data)
    return base64.b64encode(buf.getvalue()).decode()


def their_package(their, *, sender=VPCP, mutate=None, sign=True, extra=(), **fields):
    """A package as their software writes it, for Ban Tổ chức; ``mutate(root)`` changes its XML
    before it is signed; ``sign=False``: no envelope signature (as the SDK often sends)."""
    values = dict(code_number='8123', code_notation='VPCP-KGVX', promulgation_date=dt.date(2026, 11, 20),
                  document_type=edxml.DocumentType('CV', name='Công văn'), subject='Về việc thử nghiệm',
                  signer_info=edxml.SignerInfo('KT.', 'Phó Chủ nhiệm', 'Trần Văn B'),
                  traces=[edxml.Trace(sender, dt.datetime(2026, 11, 24, 9, 30, tzinfo=clock.VN))])
    values.update(fields)
    attachments = [edxml.Attachment('1', 'cong-van.pdf', 'main', 'application/pdf', pdf(PDF_TEXT))]
    attachments += [edxml.Attachment(str(n), name, '', 'application/octet-stream', data)
                    for n, (name, data) in enumerate(extra, 2)]
    root = edxml.encode_package(edxml.Package(
        from_organ=edxml.Organ(sender, 'Văn phòng Chính phủ', email='vanthu@chinhphu.example'),
        to=[edxml.Organ(BTC, 'Ban Tổ chức Thành ủy')], attachments=attachments, **values))
    if mutate:
        mutate(root)
    header = root.find(f'{E}edXMLEnvelope/{E}edXMLHeader')
    if sign:
        return their.sign(root, header)
    return etree.tostring(root, xml_declaration=True, encoding='utf-8')


def plain_base64(root):
    root.find(f'{E}AttachmentEncoded/{E}Attachment/{E}ContentTransferEncoded').text = \
        base64.b64encode(pdf(PDF_TEXT)).decode()


def odd_element(root):
    root.find(f'{E}AttachmentEncoded').tag = f'{E}Attachments'


def default_namespace(data):
    return re.sub(rb'(</?)edXML:', rb'\1', data).replace(b'xmlns:edXML=', b'xmlns=')


def sdk_signature(root):
    """The SDK's own ``Signature`` element in the edXML namespace: RSA-SHA1, SHA-1 digests, a
    transform URI of its own and a truncated certificate."""
    header = root.find(f'{E}edXMLEnvelope/{E}edXMLHeader')
    sig = etree.SubElement(header, f'{E}Signature')
    info = etree.SubElement(sig, f'{E}SignedInfo')
    etree.SubElement(info, f'{E}SignatureMethod', Algorithm='http://www.w3.org/2000/09/xmldsig#rsa-sha1')
    ref = etree.SubElement(info, f'{E}Reference', URI='')
    etree.SubElement(ref, f'{E}Transform', Algorithm='http://www.vpcp.gov.vn/edxml#transform')
    etree.SubElement(ref, f'{E}DigestMethod', Algorithm='http://www.w3.org/2000/09/xmldsig#sha1')
    etree.SubElement(ref, f'{E}DigestValue').text = base64.b64encode(b'\1' * 20).decode()
    etree.SubElement(sig, f'{E}SignatureValue').text = base64.b64encode(b'\2' * 256).decode()
    etree.SubElement(sig, f'{E}X509Certificate').text = 'MIIFazCCA1OgAwIBAgIQ'      # truncated at the source


def document_id_of(organ_id):
    def mutate(root):
        root.find(f'{E}edXMLEnvelope/{E}edXMLHeader/{E}MessageHeader/{E}DocumentId').text = \
            f'{organ_id},2026/11/20,8123/VPCP-KGVX'
    return mutate


# name: (make(their) -> bytes, deviations expected, whether the clerk must check the origin)
FORMS = {
    'plain-base64 PDF': (lambda t: their_package(t, mutate=plain_base64), {'attachment_not_zipped'}, False),
    'attachment in a non-standard element': (lambda t: their_package(t, mutate=odd_element),
                                             {'attachment_element_form'}, False),
    'default namespace, unsigned': (lambda t: default_namespace(their_package(t, sign=False)), {'unsigned'}, True),
    'SDK signature element': (lambda t: their_package(t, mutate=sdk_signature, sign=False),
                              {'signature_nonstandard'}, True),
    'short code H29': (lambda t: their_package(t, sender='H29', sign=False),
                       {'sender_unknown', 'organ_id_form', 'unsigned'}, True),
    'tax code 0101234567': (lambda t: their_package(t, sender='0101234567', sign=False),
                            {'sender_unknown', 'organ_id_form'}, True),
    'service account vpcp.edoc': (lambda t: their_package(t, sender='vpcp.edoc', sign=False),
                                  {'sender_unknown', 'organ_id_form'}, True),
    'non-numeric CodeNumber': (lambda t: their_package(t, code_number='CV-TT'), {'code_number_form'}, True),
    '.doc and .txt attachments': (lambda t: their_package(t, extra=[('phu-luc.doc', WORD_2003_XML),
                                                                    ('ghi-chu.txt', 'Ghi chú'.encode())]),
                                  {'attachment_type_unlisted'}, False),
    'due date before issue': (lambda t: their_package(t, due_date=dt.date(2026, 11, 1)), {'due_before_issue'}, True),
    'DocumentId of another body': (lambda t: their_package(t, mutate=document_id_of('000.00.00.G01')),
                                   {'document_id_other_body'}, True),
}


def the_copy(app):
    with Session(app) as root:
        docs = [d for d in root['bodies'][BTC].documents.values() if d.exchange]
        assert len(docs) == 1, [d.exchange for d in docs]
        return docs[0].__name__


@pytest.mark.parametrize('intake', list(INTAKES))
@pytest.mark.parametrize('form', list(FORMS))
def test_each_form_is_taken_in_with_its_deviations_shown(world, their, form, intake):
    make, expected, check = FORMS[form]
    INTAKES[intake](world, make(their))
    app = world.app
    name = the_copy(app)
    clerk = client(app, 'vanthu.btc')
    api = clerk.get(f'/api/v1/bodies/{BTC}/documents/{name}').json
    codes = {d['code'] for d in api['exchange']['deviations']}
    assert expected <= codes, codes
    assert all(d['message'] and d['message'] != d['code'] for d in api['exchange']['deviations'])
    assert api['status'] == 'arrived' and api['exchange']['route'] == ('email' if intake == 'email' else 'axis')
    assert (api['exchange']['origin_check'] == 'pending') is check
    page = clerk.get(f'/bodies/{BTC}/documents/{name}')
    for code in expected:
        assert f'data-deviation="{code}"' in page.text
    queues = {q['name']: [i['id'] for i in q['items']] for q in clerk.get('/api/v1/desk').json['queues']}
    assert queues.get('incoming/origin_check', []) == ([name] if check else [])
    assert (name in queues['incoming/arrived']) is not check          # waits in one queue, not both
    if check:
        assert api['legal_value'] == 'reference_only' and api['legal_code'] == 'origin_check_pending'
        assert 'Cần kiểm tra nguồn gốc' in page.text and 'Cần kiểm tra nguồn gốc' in clerk.get('/desk').text
    if form == '.doc and .txt attachments':
        files = {f['filename']: f for f in api['files']}
        assert files['phu-luc.doc']['unlisted'] and files['ghi-chu.txt']['unlisted']
        res = clerk.get(f"/api/v1/bodies/{BTC}/documents/{name}/files/{files['ghi-chu.txt']['name']}")
        assert res.content_type == 'application/octet-stream' and res.body == 'Ghi chú'.encode()
        assert res.headers['Content-Disposition'].startswith('attachment')


def test_fields_are_mapped_not_lost(world, their):
    """TypeName matched by name, KT. as K/T, PromulgationAmount as copies, the sender's send time,
    the Paper flag told to the clerk, a remote sender's short code kept."""
    def paper(root):
        root.find(f'{E}edXMLEnvelope/{E}edXMLHeader/{E}TraceHeaderList/{E}Bussiness/{E}Paper').text = '1'
    data = their_package(their, document_type=edxml.DocumentType('12', name='Báo cáo'), mutate=paper,
                         other_info=edxml.OtherInfo(promulgation_amount=7))
    by_receive(world, data)
    name = the_copy(world.app)
    api = client(world.app, 'vanthu.btc').get(f'/api/v1/bodies/{BTC}/documents/{name}').json
    assert (api['doc_type'], api['signer_competence'], api['copies']) == ('BC', 'K/T', 7)
    assert api['sent_at'] == '2026-11-24T09:30:00+07:00'
    assert api['exchange']['paper_follows'] is True and api['exchange']['type_name'] == 'Báo cáo'


@pytest.mark.parametrize('intake', list(INTAKES))
def test_the_clerk_accepts_or_refuses_and_the_sender_hears(world, their, intake):
    """Accepted: registered as usual. Refused with a reason: status 02 goes back by the route it
    came (the axis). The same error codes on the page and in the API."""
    app = world.app
    INTAKES[intake](world, their_package(their, sign=False))
    name = the_copy(app)
    clerk = client(app, 'vanthu.btc')
    url = f'/api/v1/bodies/{BTC}/documents/{name}'
    actions = [a['action'] for a in clerk.get(f'{url}/transitions').json['items']]
    assert 'accept_origin' in actions
    res = clerk.post_json(f'{url}/transitions/register', {}, headers={'X-CSRF-Token': clerk.csrf}, status=409)
    assert res.json['error'] == 'transition_refused' and 'nguồn gốc' in res.json['message']
    page = clerk.get(f'/bodies/{BTC}/documents/{name}')
    assert 'accept_origin' in page.text
    clerk.post_json(f'{url}/transitions/refuse', {'reason': 'Không xác định được nơi gửi'},
                    headers={'X-CSRF-Token': clerk.csrf})
    for _ in range(3):
        worker.run_round(app.registry)
    statuses = [f for f in os.listdir(world.out_dir) if '_status_' in f]
    codes = sorted(re.search(rb'<edXML:StatusCode>(\d+)<', (world.out_dir / f).read_bytes())[1] for f in statuses)
    assert codes == [b'01', b'02']
    refusal = next((world.out_dir / f).read_bytes() for f in statuses if b'>02<' in (world.out_dir / f).read_bytes())
    assert 'Không xác định được nơi gửi'.encode() in refusal and b'ds:Signature' in refusal


def test_accepted_origin_then_registered(world, their):
    app = world.app
    by_receive(world, their_package(their, sign=False))
    name = the_copy(app)
    clerk = client(app, 'vanthu.btc')
    url = f'/api/v1/bodies/{BTC}/documents/{name}'
    doc = clerk.post_json(f'{url}/transitions/accept_origin', {}, headers={'X-CSRF-Token': clerk.csrf}).json
    assert doc['exchange']['origin_check'] == 'accepted' and doc['legal_value'] == 'reference_only'
    assert 'accept_origin' not in [a['action'] for a in doc['actions']]
    assert clerk.post_json(f'{url}/transitions/register', {}, headers={'X-CSRF-Token': clerk.csrf}
                           ).json['status'] == 'registered'


def test_document_ids_belong_to_their_sender(world, their):
    """Body X's package cannot take the DocumentId body Y sends later: both are taken in."""
    document_id = f'{VPCP},2026/11/20,8123/VPCP-KGVX'

    def same_id(root):
        root.find(f'{E}edXMLEnvelope/{E}edXMLHeader/{E}MessageHeader/{E}DocumentId').text = document_id
    by_receive(world, their_package(their, sender='H29', sign=False, mutate=same_id))
    by_receive(world, their_package(their, mutate=same_id))          # the genuine one, signed
    with Session(world.app) as root:
        copies = received(root, BTC, document_id)
        assert {c.exchange['sender'] for c in copies} == {'H29', VPCP}
        assert {c.exchange['sender']: c.exchange.get('origin_check') for c in copies} == {'H29': 'pending',
                                                                                          VPCP: None}


def sdk_status(document, code, reporter=VPCP):
    """A status as the government SDK writes it: root edXML, a MessageHeader with no To, unsigned."""
    return f'''<?xml version="1.0" encoding="utf-8"?>
<edXML xmlns="{edxml.NS}"><edXMLEnvelope><edXMLHeader><MessageHeader>
  <From><OrganId>{reporter}</OrganId><OrganName>Văn phòng Chính phủ</OrganName></From>
  <ResponseFor><OrganId>{HOST_CODE}</OrganId><Code>{document.number_symbol}</Code>
    <PromulgationDate>{document.issued_date:%Y/%m/%d}</PromulgationDate><DocumentId>{document.document_id}</DocumentId>
  </ResponseFor>
  <StaffInfo><Department>Phòng Hành chính</Department><Staff>Nguyễn Văn C</Staff></StaffInfo>
  <StatusCode>{code}</StatusCode><Description>Đã tiếp nhận</Description><Timestamp>2026/11/25 08:00:00</Timestamp>
</MessageHeader></edXMLHeader></edXMLEnvelope></edXML>'''.encode()


@pytest.mark.parametrize('intake', list(INTAKES))
def test_the_sdk_status_form_is_applied_or_refused_with_a_reason(world, intake):
    app = world.app
    sent = send(app, [VPCP], abstract='Gửi Văn phòng Chính phủ qua trục')
    worker.run_round(app.registry)
    document = sent_document(app, sent['id'])
    INTAKES[intake](world, sdk_status(document, '03'))
    with Session(app) as root:
        [row] = deliveries.of_document(root, HOST_CODE, sent['id'])
        assert [(s['code'], s.get('unverified')) for s in row.statuses] == [('03', 'unsigned')]
    stranger = SimpleNamespace(number_symbol=document.number_symbol, issued_date=document.issued_date,
                               document_id='000.00.00.G22,2026/01/01,1/KHONG-CO')
    (world.in_dir / 'trang-thai.xml').write_bytes(sdk_status(stranger, '03'))
    assert axis.poll(app.registry) == 1
    reason = (world.in_dir.parent / 'rejected' / 'trang-thai.xml.reason.txt').read_text(encoding='utf-8')
    assert 'code: status_unknown_document' in reason and 'không ai ở đây chờ' in reason


def test_the_http_endpoint_between_instances_still_requires_the_signature(world, their):
    with pytest.raises(receive.Refused) as info:
        receive.accept(world.app.registry, their_package(their, sign=False), 'instance')
    assert info.value.code == 'unsigned'


def status_files(world):
    return {f: (world.out_dir / f).read_bytes() for f in os.listdir(world.out_dir) if '_status_' in f}


@pytest.mark.parametrize('intake', list(INTAKES))
def test_a_refusal_at_intake_reaches_the_sender_as_a_signed_02(world, their, intake):
    """Refused outright (its signature does not verify with the sender's registered certificate):
    nothing stored, the journal names the sender, and status 02, signed by the body it was
    addressed to, goes back by the sender's route (the axis)."""
    app = world.app
    data = their_package(their).replace('Về việc thử nghiệm'.encode(), 'Về việc đã sửa'.encode())
    INTAKES[intake](world, data)
    with Session(app) as root:
        assert not [d for d in root['bodies'][BTC].documents.values() if d.exchange]
        [entry] = [e for e in audit_entries(root) if e['action'] == 'package_refused']
    assert entry['details']['code'] == 'signature_invalid' and entry['details']['sender'] == VPCP
    worker.run_round(app.registry)
    [answer] = status_files(world).values()
    assert b'<edXML:StatusCode>02</edXML:StatusCode>' in answer and b'signature_invalid' in answer
    assert f'<edXML:OrganId>{BTC}</edXML:OrganId>'.encode() in answer and b'ds:Signature' in answer


def test_a_refusal_by_email_to_a_sender_not_in_the_directory_goes_back_by_email(world, their, smtp, tmp_path):
    """A sender the directory does not know: the 02 goes back the way the package came, to the
    address the package gives."""
    reply_box = str(tmp_path / 'mail' / 'chinhphu')
    mailbox.Maildir(reply_box, create=True)
    smtp.folders['vanthu@chinhphu.example'] = reply_box

    def bad_base64(root):
        root.find(f'{E}AttachmentEncoded/{E}Attachment/{E}ContentTransferEncoded').text = '@@not base64@@'
    by_email(world, their_package(their, sender='H29', sign=False, mutate=bad_base64))
    worker.run_round(world.app.registry)
    [mail] = [mailbox.Maildir(reply_box, create=False).get_bytes(k) for k in mailbox.Maildir(reply_box).keys()]
    assert b'Content-Type: application/xml' in mail and b'02' in mail
    assert status_files(world) == {}


def audit_entries(root):
    from archive import audit
    return audit.entries(root, receive.CHAIN)


def test_refused_by_the_clerk_the_02_reaches_a_sender_not_in_the_directory(world, their):
    """The sender is not in the directory: the 02 goes back by the route its package came (the axis
    knows it by its code)."""
    app = world.app
    by_axis(world, their_package(their, sender='vpcp.edoc', sign=False))
    name = the_copy(app)
    clerk = client(app, 'vanthu.btc')
    clerk.post_json(f'/api/v1/bodies/{BTC}/documents/{name}/transitions/refuse', {'reason': 'Không rõ nguồn gốc'},
                    headers={'X-CSRF-Token': clerk.csrf})
    for _ in range(3):
        worker.run_round(app.registry)
    codes = {re.search(rb'<edXML:StatusCode>(\d+)<', data)[1] for f, data in status_files(world).items()
             if f'_{BTC}_vpcp.edoc_status_' in f}
    assert codes == {b'01', b'02'}


@pytest.mark.parametrize('ours', [False, True])
def test_a_refusal_of_a_forged_package_in_our_name_does_not_decline_ours(world, their, ours):
    """The 02 a refusal at intake sends names the refused bytes' SHA-256: a receiver that refused
    someone else's package in our name leaves our delivery as it was."""
    app = world.app
    sent = send(app, [VPCP], abstract='Gửi Văn phòng Chính phủ qua trục')
    worker.run_round(app.registry)
    document = sent_document(app, sent['id'])
    with Session(app) as root:
        [row] = deliveries.of_document(root, HOST_CODE, sent['id'])
        sha256 = row.receipt['sha256'] if ours else 'f' * 64
    number, notation = edxml.split_number_symbol(document.number_symbol)
    status = edxml.encode_status(edxml.Status(
        response_for=edxml.ResponseFor(HOST_CODE, number, notation, document.issued_date, document.document_id),
        from_organ=edxml.Organ(VPCP, 'Văn phòng Chính phủ'), status_code='02',
        description=f'Chữ ký số không hợp lệ (signature_invalid; gói tin SHA-256 {sha256})', timestamp=clock.now()))
    (world.in_dir / 'tu-choi.xml').write_bytes(their.sign(status, status))
    assert axis.poll(app.registry) == 1
    with Session(app) as root:
        [row] = deliveries.of_document(root, HOST_CODE, sent['id'])
        assert (row.state == deliveries.DECLINED) is ours
        assert [s.get('other_package') for s in row.statuses] == [None if ours else 'f' * 64]


def test_evolve_0012_keys_what_was_taken_in_by_sender(world, their):
    """A database from before (receiver, DocumentId) keys: the step rekeys each entry with the
    sender its copy names, and the same package again is still answered with its first receipt."""
    from archive import evolve
    app = world.app
    data = their_package(their)
    by_receive(world, data)
    name = the_copy(app)
    with Session(app) as root:
        taken = root.exchange.taken_in
        [(key, value)] = list(taken.items())
        assert key[:2] == (BTC, VPCP)
        del taken[key]
        taken[(BTC, key[2])] = value                    # the shape stored before
        root.evolved.remove('0012-taken-in-by-sender')
    with Session(app) as root:
        assert evolve.evolve(root) == ['0012-taken-in-by-sender']
        assert list(root.exchange.taken_in.items()) == [(key, value)] and value[0] == name
    assert receive.accept(app.registry, data, 'axis')['again'] is True


@pytest.mark.parametrize('code', ['H29', '000.00.H29', '0101234567', '0101234567-001', 'vpcp.edoc'])
def test_the_directory_takes_other_systems_codes_and_keeps_ours_in_form(world, code):
    """A remote body keeps the code of its own system; a body this instance hosts takes the
    configured form. The same codes name a document's issuer and receivers."""
    app = world.app
    admin = client(app, 'quantri')
    headers = {'X-CSRF-Token': admin.csrf}
    refused = admin.post_json('/api/v1/bodies', {'code': code, 'name': 'Cơ quan thử', 'symbol': 'CQT'},
                              headers=headers, status=400).json
    assert [(e['field'], e['code']) for e in refused['errors']] == [('code', 'organ_id_malformed')]
    body = admin.post_json('/api/v1/bodies', {'code': code, 'name': 'Cơ quan thử', 'symbol': 'CQT',
                                              'route': 'axis', 'address': code}, headers=headers, status=201).json
    assert body['code'] == code
    clerk = client(app, 'vanthu')
    values = {'direction': 'outgoing', 'organ_id': HOST_CODE, 'doc_type': 'CV', 'abstract': 'Gửi hệ thống khác',
              'send_to': [code]}
    doc = clerk.post_json(f'/api/v1/bodies/{HOST_CODE}/documents', values, headers={'X-CSRF-Token': clerk.csrf},
                          status=201).json
    assert doc['send_to'] == [code]
    bad = admin.post_json('/api/v1/bodies', {'code': 'có dấu cách', 'name': 'X', 'symbol': 'X', 'route': 'axis',
                                             'address': 'x'}, headers=headers, status=400).json
    assert bad['errors'][0]['code'] == 'organ_id_malformed'

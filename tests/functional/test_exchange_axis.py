"""The national axis channel (Art. 7.3), with real apps, keys and signatures.

Two instances in one process exchange through a folder pair (A's out folder is B's in folder
and the other way round: what the axis does between them) and through a stand-in for the axis's
web service on loopback. Packages and statuses "as the government's software writes them" are
made by the Government Office's own signer here (signxml's ``XMLSigner`` with a key of its own,
not our signer), with the deviations others' software is known for. Bad input is set aside with
its reason and journaled; a missing out folder or an axis answering 500 is retried."""
import base64
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import threading
import time
import types
import uuid
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from lxml import etree
from signxml import XMLSigner, methods

from archive import audit, clock
from archive.exchange import deliveries, edxml, receive, worker
from archive.exchange.channels import Unreachable, axis
from archive.exchange.xmldsig import DS
from archive.services.certificates import register_certificate
from archive.settings import AxisSettings
from archive.signing import ca
from archive.signing.keys import ORG_SIGN

from ..conftest import HOST_CODE, base_settings, close_app, file_uri, make_app
from ..helpers import pdf
from .test_exchange_local import BTC, Session, enrol, received, send

VPCP = '000.00.00.G22'          # the Government Office: on the axis in the demo directory
E = f'{{{edxml.NS}}}'
SOAP = edxml.SOAP_ENV
RETRY = {'archive.delivery_retry_seconds': '0.05', 'archive.delivery_retry_cap_seconds': '0.2',
         'archive.delivery_max_attempts': '4'}
INCLUSIVE_C14N = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315'     # .NET's SignedXml default
EXCLUSIVE_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#'


# -- the other side's software and the axis ----------------------------------------------------------

class TheirSoftware:
    """The Government Office's own software: its organisation key and certificate made here,
    its packages and statuses signed with signxml's ``XMLSigner``, not with our signer."""

    def __init__(self):
        authority = ca.make_ca('CA Chính phủ (TEST)', algorithm='ec-p256')
        self.key = ca.new_private_key('rsa2048')
        self.certificate = ca.issue(authority, self.key.public_key(),
                                    'C=VN,O=Văn phòng Chính phủ,CN=Văn phòng Chính phủ', ca.ORG_SIGN)

    def register_with(self, app):
        with Session(app) as root:
            register_certificate(root, root['bodies'][VPCP], ca.to_pem(self.certificate), 'org-sign', 'test')

    def sign(self, root, slot, c14n=INCLUSIVE_C14N):
        """``root`` signed whole (Reference URI=""), the signature put at the end of ``slot``."""
        etree.SubElement(slot, f'{{{DS}}}Signature', Id='placeholder', nsmap={'ds': DS})
        signed = XMLSigner(method=methods.enveloped, signature_algorithm='rsa-sha256', digest_algorithm='sha256',
                           c14n_algorithm=c14n).sign(root, key=self.key, cert=[self.certificate])
        return etree.tostring(signed, xml_declaration=True, encoding='utf-8')

    def package(self, subject='Về việc thử nghiệm trục liên thông TEST-123', to=BTC):
        """A package as their software writes it: a UUID DocumentId, trace OrganIds not in the
        13-character form, an empty optional element, a document type of their own, dates in
        other forms."""
        root = edxml.encode_package(edxml.Package(
            from_organ=edxml.Organ(VPCP, 'Văn phòng Chính phủ'), to=[edxml.Organ(to, 'Ban Tổ chức Thành ủy')],
            code_number='8123', code_notation='VPCP-KGVX', promulgation_date=dt.date(2026, 11, 20),
            document_type=edxml.DocumentType('CV', name='Công văn'), subject=subject,
            signer_info=edxml.SignerInfo(position='Phó Chủ nhiệm', full_name='Trần Văn B'),
            traces=[edxml.Trace(VPCP, clock.now())],
            attachments=[edxml.Attachment('1', 'cong-van.pdf', 'main', 'application/pdf', pdf(subject))]))
        header = root.find(f'{E}edXMLEnvelope/{E}edXMLHeader')
        mh = header.find(f'{E}MessageHeader')
        self.document_id = str(uuid.uuid4())
        mh.find(f'{E}DocumentId').text = self.document_id
        mh.find(f'{E}DocumentType/{E}Type').text = '99'
        mh.find(f'{E}PromulgationInfo/{E}PromulgationDate').text = '2026-11-20'
        etree.SubElement(mh, f'{E}DueDate')
        traces = header.find(f'{E}TraceHeaderList')
        traces.find(f'{E}TraceHeader/{E}Timestamp').text = '2026-11-24T09:30:00'
        for n, organ_id in enumerate(('VPCP', '000.00.00.G22.abc')):
            trace = etree.Element(f'{E}TraceHeader')
            etree.SubElement(trace, f'{E}OrganId').text = organ_id
            etree.SubElement(trace, f'{E}Timestamp').text = '2026/11/24 09:31:00'
            traces.insert(n, trace)
        return self.sign(root, header)

    def status(self, document, code, signed_alone=True):
        """Their status for our ``document`` in the SDK's SOAP envelope: the ``Status`` signed
        alone then wrapped, or the whole envelope signed."""
        number, notation = edxml.split_number_symbol(document.number_symbol)
        status = edxml.encode_status(edxml.Status(
            response_for=edxml.ResponseFor(HOST_CODE, number, notation, document.issued_date, document.document_id),
            from_organ=edxml.Organ(VPCP, 'Văn phòng Chính phủ'), status_code=code, description='Đã nhận',
            timestamp=clock.now()))
        soap = etree.Element(f'{{{SOAP}}}Envelope', nsmap={'SOAP-ENV': SOAP})
        header = etree.SubElement(soap, f'{{{SOAP}}}Header')
        etree.SubElement(soap, f'{{{SOAP}}}Body')
        if signed_alone:
            header.append(etree.fromstring(self.sign(status, status)))
            return etree.tostring(soap, xml_declaration=True, encoding='utf-8')
        header.append(status)
        return self.sign(soap, header, EXCLUSIVE_C14N)


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class AxisStandIn:
    """A stand-in for the national axis's web service on loopback. This is a TEST DOUBLE of an
    external national system that cannot run here, not the axis: it answers the operations of
    ``axis.OPERATIONS`` the way the adapter calls them (parameters in headers, JSON answers),
    keeps what is sent in memory and serves it as pending to the instance whose token hosts a
    receiver, until that instance acknowledges it. ``fail``: answer every send with that HTTP status."""

    def __init__(self, tokens):
        self.tokens = tokens                    # token -> the organ ids its instance hosts
        self.items = {}                         # axis id -> {from, to, messageType, data, status, reason}
        self.fail = None
        self.server = make_server('127.0.0.1', 0, self, handler_class=Quiet)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f'http://127.0.0.1:{self.server.server_port}/vxp'

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def __call__(self, environ, start_response):
        def answer(status, body):
            start_response(status, [('Content-Type', 'application/json')])
            return [json.dumps(body).encode()]
        token = environ.get('HTTP_AUTHORIZATION', '').removeprefix('Bearer ')
        if token not in self.tokens:
            return answer('401 Unauthorized', {'status': 'FAIL', 'ErrorCode': 'unauthorized', 'ErrorDesc': 'token'})
        operation = {'/vxp' + path: op for op, (_m, path) in axis.OPERATIONS.items()}.get(environ['PATH_INFO'])
        body = environ['wsgi.input'].read(int(environ.get('CONTENT_LENGTH') or 0))
        ok = {'status': 'OK', 'ErrorCode': '0', 'ErrorDesc': 'Thành công'}
        if operation == 'send':
            if self.fail == 500:
                return answer('500 Internal Server Error', {'status': 'FAIL', 'ErrorCode': '500'})
            if self.fail == 400:
                return answer('400 Bad Request', {'status': 'FAIL', 'ErrorCode': 'edxml_invalid',
                                                  'ErrorDesc': 'Gói tin không đúng chuẩn edXML'})
            assert environ['HTTP_HASH_FILE'] == axis._sdk_hash(body)
            axis_id = uuid.uuid4().hex
            self.items[axis_id] = {'from': environ['HTTP_FROM'], 'to': json.loads(environ['HTTP_TO']),
                                   'messageType': environ['HTTP_MESSAGETYPE'], 'data': body,
                                   'status': 'pending', 'reason': None}
            return answer('200 OK', dict(ok, DocId=axis_id))
        if operation == 'pending':
            mine = self.tokens[token]
            return answer('200 OK', dict(ok, data=[
                {'docId': i, 'from': item['from'], 'to': item['to'], 'messageType': item['messageType']}
                for i, item in self.items.items() if item['status'] == 'pending' and set(item['to']) & mine
                and item['messageType'] == environ.get('HTTP_MESSAGETYPE')]))
        item = self.items.get(environ.get('HTTP_DOCID', ''))
        if item is None or not set(item['to']) & self.tokens[token]:
            return answer('404 Not Found', {'status': 'FAIL', 'ErrorCode': 'not_found', 'ErrorDesc': 'docId'})
        if operation == 'get':
            return answer('200 OK', dict(ok, data=base64.b64encode(item['data']).decode()))
        if operation == 'acknowledge':
            item['status'], item['reason'] = environ['HTTP_STATUS'], json.loads(body) if body else None
            return answer('200 OK', ok)
        return answer('404 Not Found', {'status': 'FAIL', 'ErrorCode': 'no_such_operation'})


# -- fixtures ----------------------------------------------------------------------------------------

def folder_settings(out_dir, in_dir):
    return {'archive.axis_mode': 'folder', 'archive.axis_out_dir': str(out_dir), 'archive.axis_in_dir': str(in_dir)}


def http_settings(tmp_path, stand_in, token):
    token_file = tmp_path / f'axis-token-{token}'
    token_file.write_text(token + '\n')
    return {'archive.axis_mode': 'http', 'archive.axis_url': stand_in.url,
            'archive.axis_token_file': str(token_file), 'archive.axis_timeout': '5'}


def new_app(folder, **extra):
    folder.mkdir(parents=True, exist_ok=True)
    return make_app(base_settings(folder, file_uri(folder), **RETRY, **extra))


def pem_of(store, key_id):
    from cryptography.hazmat.primitives import serialization
    return store.certificate(key_id).public_bytes(serialization.Encoding.PEM)


def make_pair(tmp_path, a_extra, b_extra):
    """Instance A hosts the office, B hosts Ban Tổ chức (BTC); each reaches the other by the axis
    and knows its certificates."""
    a, b = new_app(tmp_path / 'a', **a_extra), new_app(tmp_path / 'b', **b_extra)
    authority = ca.make_ca('CA của B (TEST)', algorithm='ec-p256')
    with Session(b) as root:
        enrol(root, b.registry.archive_keystore, authority, BTC)
        btc_certs = [(r.pem, r.kind) for r in root['bodies'][BTC].certificates.values() if r.added_by == 'test']
        office = root['bodies'][HOST_CODE]
        office.route, office.address = 'axis', HOST_CODE
        register_certificate(root, office, pem_of(a.registry.archive_keystore, f'{ORG_SIGN}:{HOST_CODE}'),
                             'org-sign', 'test')
    with Session(a) as root:
        btc = root['bodies'][BTC]
        btc.route, btc.address = 'axis', BTC
        for pem, kind in btc_certs:
            register_certificate(root, btc, pem.encode(), kind, 'test')
    return a, b


@pytest.fixture
def folder_pair(tmp_path):
    to_a, to_b = tmp_path / 'axis' / 'to-a' / 'in', tmp_path / 'axis' / 'to-b' / 'in'
    to_a.mkdir(parents=True)
    to_b.mkdir(parents=True)
    a, b = make_pair(tmp_path, folder_settings(to_b, to_a), folder_settings(to_a, to_b))
    yield a, b, to_a, to_b
    close_app(a)
    close_app(b)


@pytest.fixture
def http_pair(tmp_path):
    stand_in = AxisStandIn({'tok-a': {HOST_CODE}, 'tok-b': {BTC}})
    a, b = make_pair(tmp_path, http_settings(tmp_path, stand_in, 'tok-a'), http_settings(tmp_path, stand_in, 'tok-b'))
    yield a, b, stand_in
    close_app(a)
    close_app(b)
    stand_in.stop()


@pytest.fixture
def their():
    return TheirSoftware()


@pytest.fixture
def office(tmp_path, their):
    """One instance (the demo: the office and BTC hosted here) on the axis by a folder pair,
    the Government Office's software known by its certificate."""
    out_dir, in_dir = tmp_path / 'axis' / 'out', tmp_path / 'axis' / 'in'
    out_dir.mkdir(parents=True)
    in_dir.mkdir(parents=True)
    app = new_app(tmp_path / 'app', **folder_settings(out_dir, in_dir))
    their.register_with(app)
    yield app, out_dir, in_dir
    close_app(app)


def delivery_of(app, doc_id):
    with Session(app) as root:
        [d] = deliveries.of_document(root, HOST_CODE, doc_id)
        return d.state, [s['code'] for s in d.statuses], d.attempts, list(d.errors), d.receipt


def sent_document(app, doc_id):
    with Session(app) as root:
        doc = root['bodies'][HOST_CODE].documents[doc_id]
        return types.SimpleNamespace(number_symbol=doc.number_symbol, issued_date=doc.issued_date,
                                     document_id=doc.document_id)


def refusals(app):
    with Session(app) as root:
        return [e['details'] for e in audit.entries(root, receive.CHAIN) if e['action'] == 'package_refused']


# -- folder pair -------------------------------------------------------------------------------------

def test_a_document_through_the_folder_pair_and_status_01_back(folder_pair):
    a, b, to_a, to_b = folder_pair
    sent = send(a, [BTC], abstract='Công văn qua trục liên thông')
    document_id = sent_document(a, sent['id']).document_id
    assert worker.run_round(a.registry) == 1
    state, codes, attempts, errors, receipt = delivery_of(a, sent['id'])
    assert (state, codes, attempts, errors) == ('delivered', [], 1, [])
    name = receipt['file']
    assert receipt['handed_over'] == 'axis' and receipt['at'].endswith('+07:00')
    assert re.fullmatch(rf'\d{{14}}_{HOST_CODE}_{BTC}_package_{receipt["sha256"][:12]}\.xml', name)
    assert os.listdir(to_b) == [name]
    data = (to_b / name).read_bytes()
    assert hashlib.sha256(data).hexdigest() == receipt['sha256']
    # the same bytes carried again (a retry after a crash) make no second file
    assert axis.carry(a.registry, BTC, data, 'package', {'sender': HOST_CODE})['file'] == name
    assert os.listdir(to_b) == [name]

    assert worker.run_round(b.registry) == 2          # taken in, and its status 01 handed to the axis
    assert os.listdir(to_b) == [] and os.listdir(to_b.parent / 'processed') == [name]
    with Session(b) as root:
        [copy] = received(root, BTC, document_id)
        assert copy.state == 'arrived' and copy.exchange['route'] == 'axis'
        assert copy.exchange['sender'] == HOST_CODE and copy.exchange['deviations'] == []
    [status_file] = os.listdir(to_a)
    assert re.fullmatch(rf'\d{{14}}_{BTC}_{HOST_CODE}_status_[0-9a-f]{{12}}\.xml', status_file)

    assert worker.run_round(a.registry) == 1          # status 01 applied to the delivery row
    assert delivery_of(a, sent['id'])[1] == ['01']
    assert os.listdir(to_a) == [] and os.listdir(to_a.parent / 'processed') == [status_file]
    assert worker.run_round(a.registry) == 0 and worker.run_round(b.registry) == 0
    assert refusals(a) == [] and refusals(b) == []


# -- what the government's software writes -----------------------------------------------------------

def test_a_package_written_by_the_government_software_is_taken_in_with_its_deviations(office, their):
    app, _out, in_dir = office
    data = their.package()
    (in_dir / 'VPCP_edoc_8123.edxml').write_bytes(data)
    assert axis.poll(app.registry) == 1
    assert os.listdir(in_dir) == [] and os.listdir(in_dir.parent / 'processed') == ['VPCP_edoc_8123.edxml']
    with Session(app) as root:
        [doc] = received(root, BTC, their.document_id)
        assert doc.state == 'arrived' and doc.exchange['route'] == 'axis' and doc.exchange['sender'] == VPCP
        assert doc.number_symbol == '8123/VPCP-KGVX' and doc.doc_type == 'CV'
        assert doc.issued_date == dt.date(2026, 11, 20)
        deviations = doc.exchange['deviations']
    codes = {code for code, _detail in deviations}
    assert {'document_id_form', 'organ_id_form', 'empty_element', 'unknown_document_type',
            'document_type_mapped', 'date_format'} <= codes
    details = ' | '.join(detail for _code, detail in deviations)
    for what in ('TraceHeader/OrganId: VPCP', '000.00.00.G22.abc', 'DueDate', '2026-11-20', '2026-11-24T09:30:00',
                 their.document_id):
        assert what in details
    assert refusals(app) == []


def test_statuses_in_a_soap_envelope_are_applied(office, their):
    app, out_dir, in_dir = office
    sent = send(app, [VPCP], abstract='Gửi Văn phòng Chính phủ qua trục')
    assert worker.run_round(app.registry) == 1
    assert delivery_of(app, sent['id'])[0] == 'delivered' and len(os.listdir(out_dir)) == 1
    document = sent_document(app, sent['id'])
    now = time.time()
    for n, (name, data) in enumerate((('status-01.xml', their.status(document, '01', signed_alone=True)),
                                      ('status-03.xml', their.status(document, '03', signed_alone=False)))):
        assert data.lstrip().startswith(b'<?xml') and b'SOAP-ENV:Envelope' in data
        (in_dir / name).write_bytes(data)
        os.utime(in_dir / name, (now + n, now + n))     # oldest first
    assert axis.poll(app.registry) == 2
    assert refusals(app) == []
    assert delivery_of(app, sent['id'])[1] == ['01', '03']
    assert sorted(os.listdir(in_dir.parent / 'processed')) == ['status-01.xml', 'status-03.xml']


# -- bad input -----------------------------------------------------------------------------------------

def test_what_is_not_a_good_package_is_set_aside_with_its_reason(office, their):
    app, _out, in_dir = office
    limit = receive.limits_of(app.registry.archive_settings).max_package_bytes
    with Session(app) as root:
        count = len(root['bodies'][BTC].documents)
    (in_dir / 'scan.xml').write_bytes(b'%PDF-1.4 a scan, not XML')
    (in_dir / 'hoa-don.xml').write_bytes('<?xml version="1.0"?><HoaDon><Tong>1</Tong></HoaDon>'.encode())
    with open(in_dir / 'huge.edxml', 'wb') as f:
        f.truncate(limit + 1)                         # sparse: above the limit, never read
    (in_dir / 'tampered.edxml').write_bytes(their.package().replace(b'TEST-123', b'TEST-999'))
    left_alone = ['.being-written.edxml', 'upload.edxml.part', 'copy.xml.tmp']
    for name in left_alone:
        (in_dir / name).write_bytes(b'<half')
    (in_dir / 'subfolder').mkdir()
    (in_dir / 'link.xml').symlink_to(in_dir / 'hoa-don.xml')     # a link is never followed

    assert axis.poll(app.registry) == 4
    assert sorted(os.listdir(in_dir)) == sorted(left_alone + ['subfolder', 'link.xml'])
    rejected = in_dir.parent / 'rejected'
    expected = {'scan.xml': 'malformed_xml', 'hoa-don.xml': 'wrong_namespace', 'huge.edxml': 'too_large',
                'tampered.edxml': 'signature_invalid'}
    assert sorted(os.listdir(rejected)) == sorted(list(expected) + [f'{n}.reason.txt' for n in expected])
    for name, code in expected.items():
        reason = (rejected / f'{name}.reason.txt').read_text(encoding='utf-8')
        assert f'code: {code}\n' in reason and f'file: {name}\n' in reason
        assert re.search(r'at: \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+07:00', reason)
        assert re.search(r'vi: \S', reason) and re.search(r'en: \S', reason)
    assert os.path.getsize(rejected / 'huge.edxml') == limit + 1
    assert 'Chữ ký số không hợp lệ' in (rejected / 'tampered.edxml.reason.txt').read_text(encoding='utf-8')
    journaled = refusals(app)
    assert sorted(d['code'] for d in journaled) == sorted(expected.values())
    assert all(d['route'] == 'axis' for d in journaled)
    assert [d['file'] for d in journaled if d['code'] == 'too_large'] == ['huge.edxml']
    with Session(app) as root:
        assert len(root['bodies'][BTC].documents) == count             # nothing stored
        assert len(deliveries.exchange_of(root).received) == 0
    assert axis.poll(app.registry) == 0                                 # and nothing taken twice


# -- retries ---------------------------------------------------------------------------------------------

def test_an_out_folder_missing_is_retried_then_handed_over(office):
    app, out_dir, _in = office
    shutil.rmtree(out_dir)
    sent = send(app, [VPCP], abstract='Gửi khi thư mục trục chưa có')
    worker.run_round(app.registry)
    state, _codes, attempts, errors, _ = delivery_of(app, sent['id'])
    assert state == 'pending' and attempts == 1 and str(out_dir) in errors[0]['error']
    out_dir.write_bytes(b'')                          # a file where the folder should be
    time.sleep(0.2)
    worker.run_round(app.registry)
    state, _codes, attempts, errors, _ = delivery_of(app, sent['id'])
    assert state == 'pending' and attempts == 2 and len(errors) == 2
    out_dir.unlink()
    out_dir.mkdir()
    time.sleep(0.3)
    worker.run_round(app.registry)
    state, _codes, attempts, errors, receipt = delivery_of(app, sent['id'])
    assert (state, attempts, len(errors)) == ('delivered', 3, 2)
    assert os.listdir(out_dir) == [receipt['file']]


def test_the_axis_off_takes_nothing_and_carries_nothing():
    registry = types.SimpleNamespace(archive_settings=types.SimpleNamespace(axis=AxisSettings()))
    with pytest.raises(Unreachable, match='axis not configured'):
        axis.carry(registry, VPCP, b'<x/>', 'package', {'sender': HOST_CODE})
    assert axis.poll(registry) == 0
    registry.archive_settings.axis = AxisSettings(mode='folder')       # no folders named
    with pytest.raises(Unreachable, match='axis not configured'):
        axis.carry(registry, VPCP, b'<x/>', 'package', {'sender': HOST_CODE})


# -- the axis's web service ----------------------------------------------------------------------------------

def test_a_document_through_the_axis_web_service_and_status_01_back(http_pair):
    a, b, stand_in = http_pair
    sent = send(a, [BTC], abstract='Công văn qua dịch vụ của trục')
    document_id = sent_document(a, sent['id']).document_id
    assert worker.run_round(a.registry) == 1
    state, _codes, _attempts, errors, receipt = delivery_of(a, sent['id'])
    assert (state, errors, receipt['handed_over']) == ('delivered', [], 'axis')
    [(axis_id, item)] = stand_in.items.items()
    assert receipt['axis_id'] == axis_id and item['to'] == [BTC] and item['from'] == HOST_CODE
    assert item['messageType'] == 'edoc'
    # something that is not a package waits for B as well: refused, journaled, acknowledged with why
    stand_in.items['junk'] = {'from': VPCP, 'to': [BTC], 'messageType': 'edoc', 'data': b'<not a package',
                              'status': 'pending', 'reason': None}

    assert worker.run_round(b.registry) == 3          # two items handled, status 01 sent
    assert stand_in.items[axis_id]['status'] == 'done'
    assert stand_in.items['junk']['status'] == 'fail'
    assert stand_in.items['junk']['reason']['code'] == 'malformed_xml'
    assert 'XML' in stand_in.items['junk']['reason']['reason']
    assert [d['code'] for d in refusals(b)] == ['malformed_xml']
    with Session(b) as root:
        [copy] = received(root, BTC, document_id)
        assert copy.state == 'arrived' and copy.exchange['route'] == 'axis'
    [status] = [item for item in stand_in.items.values() if item['messageType'] == 'status']
    assert status['to'] == [HOST_CODE] and status['from'] == BTC

    assert worker.run_round(a.registry) == 1
    assert delivery_of(a, sent['id'])[1] == ['01']
    assert all(item['status'] in ('done', 'fail') for item in stand_in.items.values())
    assert worker.run_round(a.registry) == 0 and worker.run_round(b.registry) == 0


def test_the_axis_answering_500_is_retried_and_400_declines(tmp_path, their):
    stand_in = AxisStandIn({'tok': {HOST_CODE}})
    app = new_app(tmp_path / 'app', **http_settings(tmp_path, stand_in, 'tok'))
    try:
        stand_in.fail = 500
        sent = send(app, [VPCP], abstract='Trục đang lỗi')
        worker.run_round(app.registry)
        state, _codes, attempts, errors, _ = delivery_of(app, sent['id'])
        assert state == 'pending' and attempts == 1 and 'HTTP 500' in errors[0]['error']
        stand_in.fail = None
        time.sleep(0.2)
        worker.run_round(app.registry)
        state, _codes, attempts, errors, receipt = delivery_of(app, sent['id'])
        assert (state, attempts, len(errors)) == ('delivered', 2, 1) and receipt['axis_id'] in stand_in.items

        stand_in.fail = 400
        refused = send(app, [VPCP], abstract='Trục từ chối')
        worker.run_round(app.registry)
        state, codes, attempts, _errors, _ = delivery_of(app, refused['id'])
        assert (state, codes, attempts) == ('declined', ['02'], 1)
        with Session(app) as root:
            [row] = deliveries.of_document(root, HOST_CODE, refused['id'])
            assert row.statuses[-1]['reason_code'] == 'edxml_invalid'
            assert 'edXML' in row.statuses[-1]['description']
    finally:
        close_app(app)
        stand_in.stop()

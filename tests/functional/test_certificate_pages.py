"""A body's certificates (Art. 14.3): the page and the API list the whole history, the clerk
(or an administrator) registers one on either channel, the same refusals on both with nothing
written, the body's other people may only look, other bodies not even that; PEM downloads."""
import datetime as dt
import re

import pytest
import webtest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from archive import audit, clock
from archive.signing import ca

from ..conftest import HOST_CODE, open_root
from .test_openapi import conforms, spec  # noqa: F401 (spec: a fixture)

PAGE = f'/bodies/{HOST_CODE}/certificates'
API = f'/api/v1/bodies/{HOST_CODE}/certificates'
OTHER_BODY = '000.00.02.H01'     # Ban Tổ chức Thành ủy, where other_clerk works
ISO_VN = re.compile(r'^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+07:00$')
GARBAGE = b'-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n'


@pytest.fixture(scope='module')
def authority():
    return ca.make_ca('CA thử nghiệm chứng thư', algorithm='ec-p256')


def issue(authority, kind=ca.ORG_SIGN, name='Văn phòng Thành ủy', **dates):
    """A fresh certificate of the test CA (a key of its own, EC P-256: quick)."""
    key = ca.new_private_key('ec-p256')
    return ca.issue(authority, key.public_key(), f'C=VN,O=Thành ủy Hà Nội,CN={name}', kind, **dates)


def fp(cert):
    return cert.fingerprint(hashes.SHA256()).hex()


def stored(app, code=HOST_CODE):
    """What really was committed: the body's records, newest first, and its journal."""
    conn, root = open_root(app)
    try:
        newest = sorted(root['bodies'][code].certificates.values(), key=lambda r: r.added_at, reverse=True)
        return {r.fingerprint: (r.kind, r.added_by) for r in newest}, audit.entries(root, f'body:{code}')
    finally:
        conn.close()


def csrf(client):
    return {'X-CSRF-Token': client.csrf}


def rows(page):
    return page.html.select('table.certificates tbody tr[data-fingerprint]')


def submit_page(client, data, kind='org-sign', status=303):
    form = client.get(PAGE).forms['certificate']
    form['kind'].force_value(kind)
    form['certificate'] = webtest.Upload('chung-thu.cer', data)
    return form.submit('submit', status=status)


def page_errors(page):
    return {(li.attrs['data-field'], li.attrs['data-code']) for li in page.html.select('ul.errors li')}


# -- the list ---------------------------------------------------------------------------------

def test_page_lists_the_demo_certificates(app, clerk):
    records, _journal = stored(app)
    assert 'org-sign' in {kind for kind, _by in records.values()}                # seed.demo_keys
    body = clerk.get(f'/bodies/{HOST_CODE}')
    assert body.html.find('a', href=re.compile(r'/certificates$'))             # linked from the body
    page = clerk.get(PAGE)
    assert [r.attrs['data-fingerprint'] for r in rows(page)] == list(records)  # newest first
    for row, (fingerprint, (kind, _by)) in zip(rows(page), records.items()):
        cells = [td.get_text(' ', strip=True) for td in row.find_all('td')]
        title, subject, issuer, serial, not_before, not_after, status, grouped, added, download = cells
        assert title == {'org-sign': 'Ký số của cơ quan, tổ chức', 'org-enc': 'Mã hóa'}[kind]
        assert status == 'còn hiệu lực' and download == 'Tải PEM'
        assert 'CN=Văn phòng Thành ủy' in subject and 'CA thử nghiệm' in issuer
        assert re.fullmatch(r'([0-9A-F]{2})+', serial)
        shown = re.compile(r'^\d{2}/\d{2}/\d{4} \d{2}:\d{2}$')        # as people write it (#14)
        assert shown.match(not_before) and shown.match(not_after) and shown.match(' '.join(added.split()[:2]))
        assert all(ISO_VN.match(t['datetime']) for t in row.find_all('time'))    # ISO kept for machines
        assert grouped.replace(' ', '').lower() == fingerprint and len(grouped.split()) == 16
    english = clerk.get(PAGE, params={'_LOCALE_': 'en'})
    assert 'Organisation signature' in english.text and '>valid<' in english.text


def test_list_api_conforms_and_shows_each_status(spec, app, clerk, authority):  # noqa: F811
    now = clock.now()
    expired = issue(authority, not_before=now - dt.timedelta(days=800), not_after=now - dt.timedelta(days=1))
    future = issue(authority, ca.ENCRYPTION, not_before=now + dt.timedelta(days=30))
    for cert, kind in ((expired, 'org-sign'), (future, 'org-enc')):
        conforms(spec, clerk.post_json(API, {'kind': kind, 'pem': ca.to_pem(cert).decode()},
                                       headers=csrf(clerk), status=201))
    items = conforms(spec, clerk.get(API)).json['items']
    assert [i['fingerprint'] for i in items[:2]] == [fp(future), fp(expired)]     # newest first
    assert [i['status'] for i in items[:2]] == ['not_yet_valid', 'expired']
    assert {i['status'] for i in items[2:]} == {'valid'}                        # the demo's
    assert items[0]['serial'] == f'{future.serial_number:X}'.zfill(len(items[0]['serial']))
    page = clerk.get(PAGE)
    assert [r.select_one('[data-status]').attrs['data-status'] for r in rows(page)[:2]] == [
        'not_yet_valid', 'expired']
    assert 'chưa có hiệu lực' in page.text and 'đã hết hạn' in page.text


# -- registering ------------------------------------------------------------------------------

def test_clerk_registers_through_the_page_der_or_pem(app, clerk, authority):
    cert = issue(authority, ca.ENCRYPTION)
    page = submit_page(clerk, cert.public_bytes(serialization.Encoding.DER), kind='org-enc').follow()
    top = rows(page)[0]
    assert top.attrs['data-fingerprint'] == fp(cert) and 'Mã hóa' in top.get_text()
    assert 'Nguyễn Thị Văn Thư' in top.get_text()
    pem = issue(authority)
    submit_page(clerk, ca.to_pem(pem))
    records, journal = stored(app)
    assert records[fp(cert)] == ('org-enc', 'vanthu') and records[fp(pem)] == ('org-sign', 'vanthu')
    assert [(e['action'], e['actor'], e['details']['fingerprint']) for e in journal[-2:]] == [
        ('certificate_registered', 'vanthu', fp(cert)), ('certificate_registered', 'vanthu', fp(pem))]


def test_clerk_registers_through_the_api(spec, app, clerk, authority):  # noqa: F811
    cert = issue(authority)
    res = conforms(spec, clerk.post_json(API, {'kind': 'org-sign', 'pem': ca.to_pem(cert).decode()},
                                         headers=csrf(clerk), status=201))
    record = res.json
    assert record['fingerprint'] == fp(cert) and record['status'] == 'valid'
    assert record['added_by'] == 'vanthu' and ISO_VN.match(record['added_at'])
    assert record['not_after'] == clock.iso(cert.not_valid_after_utc)
    assert x509.load_pem_x509_certificate(record['pem'].encode()) == cert
    assert stored(app)[0][fp(cert)] == ('org-sign', 'vanthu')


def test_administrator_registers_for_any_body(spec, app, admin, authority):  # noqa: F811
    cert = issue(authority, name='Ban Tổ chức Thành ủy')
    url = f'/api/v1/bodies/{OTHER_BODY}/certificates'
    conforms(spec, admin.post_json(url, {'kind': 'org-sign', 'pem': ca.to_pem(cert).decode()},
                                   headers=csrf(admin), status=201))
    assert stored(app, OTHER_BODY)[0][fp(cert)] == ('org-sign', 'quantri')
    assert admin.get(f'/bodies/{OTHER_BODY}/certificates').forms['certificate']


def _demo_pem(app):
    conn, root = open_root(app)
    try:
        return next(iter(root['bodies'][HOST_CODE].certificates.values())).pem.encode()
    finally:
        conn.close()


# (case, data (None: the demo certificate, already registered), kind, page field, api field, code)
REFUSALS = [
    ('garbage', GARBAGE, 'org-sign', 'certificate', 'pem', 'certificate_unreadable'),
    ('not even PEM', b'\x00\x01 not a certificate', 'org-sign', 'certificate', 'pem', 'certificate_unreadable'),
    ('duplicate', None, 'org-sign', 'certificate', 'pem', 'certificate_duplicate'),
    ('unknown kind', 'fresh', 'org-root', 'kind', 'kind', 'certificate_kind_unknown'),
]


@pytest.mark.parametrize('case,data,kind,page_field,api_field,code', REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusals_are_the_same_on_both_channels_and_write_nothing(
        spec, app, clerk, authority, case, data, kind, page_field, api_field, code):  # noqa: F811
    if data is None:
        data = _demo_pem(app)
    elif data == 'fresh':
        data = ca.to_pem(issue(authority))
    before = stored(app)

    page = submit_page(clerk, data, kind=kind, status=400)
    assert page_errors(page) == {(page_field, code)}
    beside = page.html.select_one(f'form#certificate .item-{page_field} .invalid-feedback')
    assert beside.get_text(strip=True) == page.html.select_one('ul.errors li').get_text(strip=True)

    res = clerk.post_json(API, {'kind': kind, 'pem': data.decode('latin-1')}, headers=csrf(clerk), status=400)
    conforms(spec, res, check_request=kind in ('org-sign', 'org-enc'))   # the spec itself refuses the kind
    assert res.json['error'] == 'invalid_input'
    assert {(e['field'], e['code']) for e in res.json['errors']} == {(api_field, code)}

    assert stored(app) == before


def test_api_input_that_is_not_a_certificate_request(spec, clerk):  # noqa: F811
    res = clerk.post_json(API, {'kind': 'org-sign'}, headers=csrf(clerk), status=400)
    conforms(spec, res, check_request=False)
    assert [(e['field'], e['code']) for e in res.json['errors']] == [('pem', 'required')]


# -- who may --------------------------------------------------------------------------------

def test_leader_views_but_may_not_register(spec, app, leader, authority):  # noqa: F811
    page = leader.get(PAGE)
    assert rows(page) and 'certificate' not in page.forms
    pem = ca.to_pem(issue(authority))
    before = stored(app)
    leader.post(PAGE, {'kind': 'org-sign', 'csrf_token': leader.csrf},
                upload_files=[('certificate', 'c.pem', pem)], status=403)
    assert conforms(spec, leader.get(API)).json['items']
    res = conforms(spec, leader.post_json(API, {'kind': 'org-sign', 'pem': pem.decode()},
                                          headers=csrf(leader), status=403))
    assert res.json['error'] == 'forbidden'
    assert stored(app) == before


def test_clerk_of_another_body_gets_403(spec, app, other_clerk, authority):  # noqa: F811
    fingerprint = next(iter(stored(app)[0]))
    assert 'certificates' not in other_clerk.get(f'/bodies/{HOST_CODE}').text
    other_clerk.get(PAGE, status=403)
    other_clerk.get(f'{PAGE}/{fingerprint}.pem', status=403)
    assert conforms(spec, other_clerk.get(API, status=403)).json['error'] == 'forbidden'
    pem = ca.to_pem(issue(authority))
    before = stored(app)
    other_clerk.post(PAGE, {'kind': 'org-sign', 'csrf_token': other_clerk.csrf},
                     upload_files=[('certificate', 'c.pem', pem)], status=403)
    conforms(spec, other_clerk.post_json(API, {'kind': 'org-sign', 'pem': pem.decode()},
                                         headers=csrf(other_clerk), status=403))
    assert stored(app) == before
    assert other_clerk.get(f'/bodies/{OTHER_BODY}/certificates').forms['certificate']   # its own


# -- download -------------------------------------------------------------------------------

def test_pem_download_round_trips(app, clerk, authority):
    cert = issue(authority, ca.ENCRYPTION)
    submit_page(clerk, cert.public_bytes(serialization.Encoding.DER), kind='org-enc')
    page = clerk.get(PAGE)
    links = [a['href'] for a in page.html.select('table.certificates a[href$=".pem"]')]
    assert len(links) == len(rows(page)) >= 2
    res = clerk.get(links[0])
    assert res.content_type == 'application/x-pem-file'
    assert res.headers['Content-Disposition'].startswith('attachment; filename="')
    assert x509.load_pem_x509_certificate(res.body) == cert      # uploaded as DER, back as PEM
    for link in links:
        downloaded = x509.load_pem_x509_certificate(clerk.get(link).body)
        assert link.endswith(f'/{fp(downloaded)}.pem')
    clerk.get(f'{PAGE}/{"0" * 64}.pem', status=404)
    clerk.get(f'{PAGE}/nonsense', status=404)

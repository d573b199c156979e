"""The issued PDF carries its number and date of issue and shows the body's seal over the leader's
signature (issue 17, item 2): the seal and the place are set on the body's seal page (its clerk or
an administrator; bad images refused by the field, nothing written); after numbering and the
organisation's signature both signatures verify, the text is in the file, the seal image is the
organisation signature's appearance, and a receiver still judges the package valid."""
import datetime as dt
import io

import pytest
import webtest
from pypdf import PdfReader

from archive import audit
from archive.exchange import worker
from archive.signing.pades import verify_pdf
from archive.signing.pades.issue import DATE_FIELD, NUMBER_FIELD, issue_date_text

from ..conftest import HOST_CODE, client, open_root
from ..helpers import seal_png
from .test_exchange_local import BTC, Session, exchange_app, received, send  # noqa: F401 (a fixture)
from .test_openapi import conforms, spec  # noqa: F401 (spec: a fixture)
from .test_outgoing_signing import act, contents, draft_with_pdfs, history

PAGE = f'/bodies/{HOST_CODE}/seal'
API = f'/api/v1/bodies/{HOST_CODE}/seal'


def put_seal(c, data, place='Hà Nội', status=303, filename='con-dau.png'):
    form = c.get(PAGE).forms['seal']
    form['place_name'] = place
    if data is not None:
        form['seal'] = webtest.Upload(filename, data)
    return form.submit('submit', status=status)


def errors(page):
    return {(li.attrs['data-field'], li.attrs['data-code']) for li in page.html.select('ul.errors li')}


def body_state(app, code=HOST_CODE):
    conn, root = open_root(app)
    try:
        body = root['bodies'][code]
        seal = body.seal.sha256 if body.seal is not None else None
        return seal, body.place_name, [e['action'] for e in audit.entries(root, f'body:{code}')]
    finally:
        conn.close()


def _widgets(data):
    page = PdfReader(io.BytesIO(data)).pages[0]
    return page, {str(a.get_object().get('/T')): a.get_object() for a in page['/Annots']}


def test_numbered_and_signed_pdf_carries_the_number_the_date_and_the_seal(file_app):
    clerk, leader = client(file_app, 'vanthu'), client(file_app, 'lanhdao')
    page = put_seal(clerk, seal_png()).follow()
    assert 'Đã lưu con dấu' in page.text and page.html.select_one('figure.seal img')
    doc = draft_with_pdfs(clerk)
    act(clerk, doc['id'], 'submit')
    act(leader, doc['id'], 'approve')
    numbered = act(clerk, doc['id'], 'number').json
    signed = act(clerk, doc['id'], 'sign').json
    assert signed['origin_verdict'] == 'valid' and signed['legal_value'] == 'legally_valid'
    details = history(clerk, doc['id'])['sign']
    assert details['issue_fields'] == [DATE_FIELD, NUMBER_FIELD] and details['seal'] is True

    files, main_name, roots, org_certs = contents(file_app, doc['id'])
    final = files[main_name][1]
    issued = dt.date.fromisoformat(numbered['issued_date'][:10])
    number, date = f"Số {numbered['number_symbol']}", issue_date_text('Hà Nội', issued)
    assert date.startswith('Hà Nội, ngày ') and f'năm {issued.year}' in date
    # the text, read back with pypdf: the fields' values and what their appearances draw
    values = PdfReader(io.BytesIO(final)).get_form_text_fields()
    assert (values[NUMBER_FIELD], values[DATE_FIELD]) == (number, date)
    pdf_page, widgets = _widgets(final)
    drawn = [pdf_page.extract_xform_text(widgets[n]['/AP']['/N'].get_object(), (0,), 200.0).strip()
             for n in (NUMBER_FIELD, DATE_FIELD)]
    assert drawn == [number, date]
    # both signatures verify; the leader's sees only form filling after it
    verdict = verify_pdf(final, trust_roots=roots, organisation_certs=org_certs)
    assert verdict.status == 'valid', verdict.reason
    leader_sig, org_sig = verdict.signatures
    assert (leader_sig.field_name, leader_sig.intact, leader_sig.modification) == ('ChuKyLanhDao', True, 'form_filling')
    assert org_sig.field_name == 'ChuKyToChuc' and org_sig.coverage == 'entire_file'
    # the seal image is the organisation signature's appearance, over the leader's left third
    appearance = widgets['ChuKyToChuc']['/AP']['/N'].get_object()
    images = [x.get_object() for x in appearance['/Resources']['/XObject'].values()
              if x.get_object().get('/Subtype') == '/Image']
    assert len(images) == 1 and '/SMask' in images[0]
    sx1, _, sx2, _ = (float(v) for v in widgets['ChuKyToChuc']['/Rect'])
    lx1, _, lx2, _ = (float(v) for v in widgets['ChuKyLanhDao']['/Rect'])
    assert sx1 < lx1 < sx2 and sx2 - lx1 == pytest.approx((lx2 - lx1) / 3)


def test_without_a_seal_the_number_and_date_are_written_and_nothing_shows(file_app):
    clerk, leader = client(file_app, 'vanthu'), client(file_app, 'lanhdao')
    doc = draft_with_pdfs(clerk)
    for who, action in ((clerk, 'submit'), (leader, 'approve'), (clerk, 'number'), (clerk, 'sign')):
        act(who, doc['id'], action)
    details = history(clerk, doc['id'])['sign']
    assert details['issue_fields'] == [DATE_FIELD, NUMBER_FIELD] and details['seal'] is False
    files, main_name, roots, org_certs = contents(file_app, doc['id'])
    _, widgets = _widgets(files[main_name][1])
    assert [float(v) for v in widgets['ChuKyToChuc']['/Rect']] == [0, 0, 0, 0]
    values = PdfReader(io.BytesIO(files[main_name][1])).get_form_text_fields()
    assert values[DATE_FIELD].startswith('Ngày ')                 # no place set: the date alone
    assert verify_pdf(files[main_name][1], trust_roots=roots, organisation_certs=org_certs).status == 'valid'


def test_a_receiver_still_judges_the_issued_package_valid(exchange_app):
    app = exchange_app
    put_seal(client(app, 'vanthu'), seal_png())
    sent = send(app, [BTC])
    assert sent['status'] == 'sent'
    assert worker.run_round(app.registry) == 2                   # the delivery and the status 01
    with Session(app) as root:
        document_id = root['bodies'][HOST_CODE].documents[sent['id']].document_id
        [doc] = received(root, BTC, document_id)
        assert doc.origin_verdict['status'] == 'valid', doc.origin_verdict['reason']
        assert [s['modification'] for s in doc.origin_verdict['signatures']] == ['form_filling', 'none']
        with doc.files[doc.main_file].open() as stream:
            values = PdfReader(stream).get_form_text_fields()
        assert values[NUMBER_FIELD] == f"Số {sent['number_symbol']}"


# -- the seal page -----------------------------------------------------------------------------

def _png(size, mode='RGBA', fill=(200, 0, 0, 0)):
    from PIL import Image
    out = io.BytesIO()
    Image.new(mode, size, fill if mode == 'RGBA' else fill[:3]).save(out, 'PNG')
    return out.getvalue()


def _jpeg():
    from PIL import Image
    out = io.BytesIO()
    Image.new('RGB', (200, 200), (200, 0, 0)).save(out, 'JPEG')
    return out.getvalue()


def _bloated():
    """A valid transparent PNG over the byte limit (random pixels do not compress)."""
    import os

    from PIL import Image
    image = Image.frombytes('RGBA', (400, 400), os.urandom(400 * 400 * 4))
    out = io.BytesIO()
    image.save(out, 'PNG')
    return out.getvalue()


BAD_SEALS = [
    ('a JPEG', _jpeg, 'seal_not_png'),
    ('a PDF named .png', lambda: b'%PDF-1.7\n%...', 'seal_not_png'),
    ('over 512 KB', _bloated, 'seal_too_large'),
    ('over 2000 pixels a side', lambda: _png((2400, 300)), 'seal_too_big'),
    ('under 100 pixels', lambda: _png((60, 60)), 'seal_too_small'),
    ('no transparency (RGB)', lambda: _png((200, 200), 'RGB'), 'seal_not_transparent'),
    ('an opaque white ground', lambda: seal_png(opaque=True), 'seal_not_transparent'),
    ('a PNG cut short', lambda: seal_png()[:300], 'seal_unreadable'),
    ('no file at all', lambda: None, 'seal_missing'),
]


@pytest.mark.parametrize('what,make,code', BAD_SEALS, ids=[b[0] for b in BAD_SEALS])
def test_a_bad_seal_image_is_refused_by_its_field_and_nothing_written(app, clerk, what, make, code):
    page = put_seal(clerk, make(), place='Thành phố Hồ Chí Minh', status=400)
    assert errors(page) == {('seal', code)}
    beside = page.html.select_one('form#seal .item-seal .invalid-feedback')      # the message by the field
    assert beside.get_text(strip=True) == page.html.select_one('ul.errors li').get_text(strip=True)
    assert page.html.select_one('input[name=place_name]')['value'] == 'Thành phố Hồ Chí Minh'   # kept
    seal, place, journal = body_state(app)
    assert (seal, place) == (None, '') and 'seal_set' not in journal               # nothing written


def test_the_clerk_or_an_administrator_sets_the_seal_the_others_only_look(app, clerk, admin, processor, other_clerk):
    put_seal(admin, seal_png(160), place='Hà Nội')
    first = body_state(app)[0]
    put_seal(clerk, None, place='  Hà   Nội ')                    # the place alone: the seal stays
    seal, place, journal = body_state(app)
    assert seal == first and place == 'Hà Nội' and journal.count('seal_set') == 2
    image = processor.get(f'{PAGE}/seal.png')
    assert image.content_type == 'image/png' and image.body == seal_png(160)
    assert processor.get(PAGE).forms.get('seal') is None                       # looks, no form
    processor.post(PAGE, {'place_name': 'X'}, headers={'X-CSRF-Token': processor.csrf}, status=403)
    other_clerk.get(PAGE, status=403)                                           # another body's
    assert body_state(app)[1] == 'Hà Nội'


# -- the API -----------------------------------------------------------------------------------

def put_api(c, png, place='Hà Nội', status=200):
    import base64
    body = {'place_name': place, 'png': None if png is None else base64.b64encode(png).decode('ascii')}
    return c.put_json(API, body, headers={'X-CSRF-Token': c.csrf}, status=status)


def test_the_api_reads_and_sets_the_seal_as_the_page_does(spec, app, clerk, processor):  # noqa: F811
    assert conforms(spec, clerk.get(API)).json == {'place_name': '', 'seal': None}
    res = conforms(spec, put_api(clerk, seal_png(160)))
    assert res.json['place_name'] == 'Hà Nội' and res.json['seal']['width'] == 160
    assert res.json['seal']['uploaded_at'].endswith('+07:00') and res.json['seal']['uploaded_by'] == 'vanthu'
    assert body_state(app)[0] == res.json['seal']['sha256']
    assert conforms(spec, processor.get(API)).json == res.json                    # its own people look
    conforms(spec, put_api(processor, seal_png(), status=403))


@pytest.mark.parametrize('what,make,code', BAD_SEALS, ids=[b[0] for b in BAD_SEALS])
def test_the_api_refuses_a_bad_seal_with_the_pages_code(spec, app, clerk, what, make, code):  # noqa: F811
    res = conforms(spec, put_api(clerk, make(), status=400))
    assert [(e['field'], e['code']) for e in res.json['errors']] == [('png', code)]
    seal, place, journal = body_state(app)
    assert (seal, place) == (None, '') and 'seal_set' not in journal


def test_the_api_refuses_what_is_not_base64_as_no_png(app, clerk):
    res = clerk.put_json(API, {'png': 'không phải base64'}, headers={'X-CSRF-Token': clerk.csrf}, status=400)
    assert [(e['field'], e['code']) for e in res.json['errors']] == [('png', 'seal_not_png')]

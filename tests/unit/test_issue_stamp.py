"""The number, the date of issue and the seal written into a leader-signed PDF (signing/pades/issue.py)
with real keys and real PDFs: the leader's signature still verifies, because the change is of the one
kind pyHanko's difference analysis allows after it (filling fields the leader's revision holds); an
annotation added instead would break it."""
import datetime as dt
import io

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name, pdf_string
from pypdf import PdfReader

from archive.signing.pades import VisibleStamp, sign_pdf
from archive.signing.pades.issue import (
    DATE_FIELD, NUMBER_FIELD, IssueLayout, add_placeholders, fill_placeholders, issue_date_text,
    number_text, seal_box, seal_style,
)

from ..helpers import seal_png
from .test_pades import NOW, _signer, _verify, make_pdf, pki  # noqa: F401 (pki: the fixture)

NUMBER = 'Số 12-CV/VPTU'
DATE = 'Hà Nội, ngày 03 tháng 12 năm 2026'
LEADER_BOX = (330, 36, 565, 100)


@pytest.fixture(scope='module')
def leader_signed(pki):  # noqa: F811
    return sign_pdf(make_pdf(), _signer(pki.leader, pki.leader_key, pki.ca), field_name='ChuKyLanhDao',
                    visible_stamp=VisibleStamp(box=LEADER_BOX), prepare=add_placeholders, now=NOW)


@pytest.fixture(scope='module')
def issued(pki, leader_signed):  # noqa: F811
    page, box = seal_box(leader_signed)
    return sign_pdf(leader_signed, _signer(pki.org, pki.org_key, pki.ca), field_name='ChuKyToChuc',
                    prepare=lambda w: fill_placeholders(w, {NUMBER_FIELD: NUMBER, DATE_FIELD: DATE}),
                    appearance=(page, box, seal_style(seal_png())), now=NOW)


def _widgets(data):
    page = PdfReader(io.BytesIO(data)).pages[0]
    return page, {str(a.get_object().get('/T')): a.get_object() for a in page['/Annots']}


def test_the_date_of_issue_is_written_as_appendix_i_says():
    assert issue_date_text('Hà Nội', dt.date(2026, 12, 3)) == DATE
    assert issue_date_text('Hà Nội', dt.date(2026, 1, 15)) == 'Hà Nội, ngày 15 tháng 01 năm 2026'
    assert issue_date_text('Hà Nội', dt.date(2026, 3, 5)) == 'Hà Nội, ngày 05 tháng 3 năm 2026'
    assert issue_date_text('', dt.date(2026, 2, 28)) == 'Ngày 28 tháng 02 năm 2026'
    assert number_text('12-CV/VPTU') == NUMBER                          # a party body's form
    assert number_text('12/UBND-VP', party=False) == 'Số: 12/UBND-VP'   # the state form


def test_the_leader_signs_empty_read_only_fields_where_the_layout_puts_them(leader_signed):
    page, widgets = _widgets(leader_signed)
    number, date = widgets[NUMBER_FIELD], widgets[DATE_FIELD]
    assert '/V' not in number and number['/Ff'] & 1 and date['/Ff'] & 1     # empty, read-only
    top = float(page.mediabox.top)
    x1, y1, x2, y2 = IssueLayout().number_box
    assert [float(v) for v in number['/Rect']] == [x1, top - y2, x2, top - y1]


def test_both_signatures_verify_after_the_number_date_and_seal(pki, issued):  # noqa: F811
    verdict = _verify(issued, pki)
    assert verdict.status == 'valid', verdict.reason
    leader, org = verdict.signatures
    assert leader.field_name == 'ChuKyLanhDao' and leader.intact and leader.ok
    assert leader.coverage == 'entire_revision' and leader.modification == 'form_filling'
    assert org.field_name == 'ChuKyToChuc' and org.coverage == 'entire_file'


def test_the_number_and_date_are_text_in_the_file(issued):
    page, widgets = _widgets(issued)
    fields = PdfReader(io.BytesIO(issued)).get_form_text_fields()
    assert fields[NUMBER_FIELD] == NUMBER and fields[DATE_FIELD] == DATE
    # what is drawn, read back through the embedded font's map: Vietnamese survives
    drawn = {name: page.extract_xform_text(widgets[name]['/AP']['/N'].get_object(), (0,), 200.0).strip()
             for name in (NUMBER_FIELD, DATE_FIELD)}
    assert drawn == {NUMBER_FIELD: NUMBER, DATE_FIELD: DATE}


def test_the_seal_is_the_organisation_signatures_image_over_the_leaders_left_third(issued):
    _, widgets = _widgets(issued)
    seal = widgets['ChuKyToChuc']
    x1, y1, x2, y2 = (float(v) for v in seal['/Rect'])
    lx1, ly1, lx2, ly2 = LEADER_BOX
    assert x2 == pytest.approx(lx1 + (lx2 - lx1) / 3) and x1 < lx1      # a third over, the rest to the left
    assert (y1 + y2) / 2 == pytest.approx((ly1 + ly2) / 2)
    appearance = seal['/AP']['/N'].get_object()
    images = [x.get_object() for x in appearance['/Resources']['/XObject'].values()
              if x.get_object().get('/Subtype') == '/Image']
    assert len(images) == 1 and '/SMask' in images[0]                    # the PNG's transparency kept


def test_without_the_seal_the_organisation_signature_stays_invisible(pki, leader_signed):  # noqa: F811
    final = sign_pdf(leader_signed, _signer(pki.org, pki.org_key, pki.ca), field_name='ChuKyToChuc',
                     prepare=lambda w: fill_placeholders(w, {NUMBER_FIELD: NUMBER}), now=NOW)
    _, widgets = _widgets(final)
    assert [float(v) for v in widgets['ChuKyToChuc']['/Rect']] == [0, 0, 0, 0]
    assert _verify(final, pki).status == 'valid'


def _template_with_a_number_field():
    """A draft whose template has its own ``SoKyHieu`` field (made by reportlab, as a word processor
    exporting a form would)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.drawString(72, 600, 'NGHI QUYET')
    c.acroForm.textfield(name=NUMBER_FIELD, x=80, y=650, width=200, height=20, borderWidth=0)
    c.showPage()
    c.save()
    return buf.getvalue()


def test_a_field_the_draft_brings_is_where_the_number_goes(pki):  # noqa: F811
    leader = sign_pdf(_template_with_a_number_field(), _signer(pki.leader, pki.leader_key, pki.ca),
                      field_name='ChuKyLanhDao', visible_stamp=True, prepare=add_placeholders, now=NOW)
    page, widgets = _widgets(leader)
    assert [float(v) for v in widgets[NUMBER_FIELD]['/Rect']] == [80, 650, 280, 670]   # the template's
    assert DATE_FIELD in widgets                                                       # the layout's
    final = sign_pdf(leader, _signer(pki.org, pki.org_key, pki.ca), field_name='ChuKyToChuc',
                     prepare=lambda w: fill_placeholders(w, {NUMBER_FIELD: NUMBER, DATE_FIELD: DATE}), now=NOW)
    verdict = _verify(final, pki)
    assert verdict.status == 'valid', verdict.reason
    assert PdfReader(io.BytesIO(final)).get_form_text_fields()[NUMBER_FIELD] == NUMBER


def test_a_free_text_note_after_the_leader_signed_breaks_the_leaders_signature(pki, leader_signed):  # noqa: F811
    """What the clerk's tool must not do: pyHanko does not recognise a new annotation as form
    filling, so the leader's signature no longer holds."""
    def annotate(w):
        page = w.root['/Pages']['/Kids'][0]
        note = w.add_object(generic.DictionaryObject({
            pdf_name('/Type'): pdf_name('/Annot'), pdf_name('/Subtype'): pdf_name('/FreeText'),
            pdf_name('/Rect'): generic.ArrayObject([generic.FloatObject(v) for v in (57, 722, 297, 742)]),
            pdf_name('/Contents'): pdf_string(NUMBER), pdf_name('/DA'): pdf_string('/Helv 12 Tf 0 g')}))
        page['/Annots'].append(note)
        w.update_container(page['/Annots'])
    final = sign_pdf(leader_signed, _signer(pki.org, pki.org_key, pki.ca), field_name='ChuKyToChuc',
                     prepare=annotate, now=NOW)
    verdict = _verify(final, pki)
    assert verdict.code == 'modified_after_signing'
    assert verdict.signatures[0].modification == 'other'


def test_the_stamp_font_carries_no_hinting_the_rescaling_would_break():
    """Rescaled to 1000 units per em, DejaVu's hinting instructions no longer fit its outlines
    (a viewer drew ':' as 'ı' in "Số: 12" and in the leader's stamp): they are left out."""
    from fontTools.ttLib import TTFont

    from archive.signing.pades import stamp_font_bytes
    from archive.signing.pades import FONT_PATH
    font = TTFont(io.BytesIO(stamp_font_bytes()))
    assert font['head'].unitsPerEm == 1000
    assert not {'fpgm', 'prep', 'cvt '} & set(font.keys())
    # the shipped file (tools/stamp_font.py) holds every letter of Vietnamese, at DejaVu's widths
    source, cmap = TTFont(FONT_PATH), font.getBestCmap()
    assert set('Số: 12 Đảng ủy ặẫờữ ₫ №–…') <= set(map(chr, cmap))
    scale = 1000 / source['head'].unitsPerEm
    for letter in 'aĐặW':
        width = font['hmtx'][cmap[ord(letter)]][0]
        assert abs(width - source['hmtx'][source.getBestCmap()[ord(letter)]][0] * scale) <= 1


def test_a_leader_signature_without_the_fields_gets_no_number_and_still_verifies(pki):  # noqa: F811
    """Signed elsewhere, on a draft without the fields: nothing can be filled, nothing is added."""
    leader = sign_pdf(make_pdf(), _signer(pki.leader, pki.leader_key, pki.ca), field_name='ChuKyLanhDao',
                      visible_stamp=VisibleStamp(box=LEADER_BOX), now=NOW)
    filled = []
    page, box = seal_box(leader)
    final = sign_pdf(leader, _signer(pki.org, pki.org_key, pki.ca), field_name='ChuKyToChuc',
                     prepare=lambda w: filled.extend(fill_placeholders(w, {NUMBER_FIELD: NUMBER})),
                     appearance=(page, box, seal_style(seal_png())), now=NOW)
    assert filled == []
    assert _verify(final, pki).status == 'valid'


def test_a_draft_signed_before_the_leader_gets_no_fields_and_its_signature_holds(pki):  # noqa: F811
    """New fields after a signature would break it: on a draft already signed, none are added."""
    drafted = sign_pdf(make_pdf(), _signer(pki.org, pki.org_key, pki.ca), field_name='ChuKyDuThao', now=NOW)
    leader = sign_pdf(drafted, _signer(pki.leader, pki.leader_key, pki.ca), field_name='ChuKyLanhDao',
                      visible_stamp=True, prepare=add_placeholders, now=NOW)
    _, widgets = _widgets(leader)
    assert NUMBER_FIELD not in widgets and DATE_FIELD not in widgets
    verdict = _verify(leader, pki, organisation_certs=None)
    assert verdict.status == 'valid', verdict.reason
    assert verdict.signatures[0].modification == 'form_filling'


@pytest.mark.parametrize('mode', ['P', 'LA', 'RGBA'])
def test_a_transparent_png_of_any_colour_mode_is_a_seal(pki, leader_signed, mode):  # noqa: F811
    """A seal saved as a palette or grey PNG is accepted and drawn with its transparency."""
    from PIL import Image

    from archive.services.seals import check_seal
    image = Image.open(io.BytesIO(seal_png(160)))
    image = image.convert('LA') if mode == 'LA' else image.convert('RGBA')
    if mode == 'P':
        image = image.quantize(colors=16)         # a palette; the transparent ground kept as an index
    out = io.BytesIO()
    image.save(out, 'PNG')
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).mode == mode
    assert check_seal(data) == (160, 160)
    page, box = seal_box(leader_signed)
    final = sign_pdf(leader_signed, _signer(pki.org, pki.org_key, pki.ca), field_name='ChuKyToChuc',
                     appearance=(page, box, seal_style(data)), now=NOW)
    _, widgets = _widgets(final)
    appearance = widgets['ChuKyToChuc']['/AP']['/N'].get_object()
    [image_obj] = [x.get_object() for x in appearance['/Resources']['/XObject'].values()
                   if x.get_object().get('/Subtype') == '/Image']
    assert '/SMask' in image_obj

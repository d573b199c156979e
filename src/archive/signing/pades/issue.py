"""Issuing a signed PDF as the clerk's signing tool does (Decree 30/2020, Appendix I): the number
and symbol ("Số 12-CV/VPTU") and the place and date of issue ("Hà Nội, ngày 03 tháng 12 năm 2026")
written into the leader-signed file, and the organisation's signature shown as the body's seal over
the left third of the leader's signature.

Why form fields: a later revision may change only what the leader's signature allows, or the
signature no longer verifies. pyHanko's difference analysis accepts filling form fields that
existed when the leader signed (``ModificationLevel.FORM_FILLING``); new page content is
``OTHER`` and a new annotation (a stamp, a free-text note) ``ANNOTATIONS``, both refused by
``verify_pdf``. So two read-only, empty text fields, ``SoKyHieu`` and ``NgayBanHanh``, are
placed when the leader signs (:func:`add_placeholders`, in the revision the leader's signature
covers; fields of those names already in the draft, where its template puts them, are kept), and
the clerk's organisation signature fills them (:func:`fill_placeholders`, in the revision the
organisation's signature covers). The text is drawn with the stamp's DejaVu Sans, so Vietnamese
renders and is extractable (the font carries a ToUnicode map).

The seal (:func:`seal_style`, :func:`seal_box`) is the organisation signature's own appearance:
a square of :data:`SEAL_SIZE` points whose right third overlaps the leader's signature box.
"""
from __future__ import annotations

import dataclasses
import io

from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.generic import pdf_name, pdf_string
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.stamp import StaticStampStyle, TextStamp, TextStampStyle

from .sign import SigningFailed, _StampFont

NUMBER_FIELD = 'SoKyHieu'
DATE_FIELD = 'NgayBanHanh'
READ_ONLY = 1            # /Ff bit 1: the reader cannot type into the field
PRINT = 4                # /F: the annotation is printed
SEAL_SIZE = 102          # points: a seal of 36 mm, as the round seals of party bodies
FONT_SIZE = 13           # Decree 30, Appendix I: 13-14 pt


@dataclasses.dataclass(frozen=True)
class IssueLayout:
    """Where the number and the date go when the draft has no fields of its own: boxes
    (x1, y1, x2, y2) in points measured from the top left corner of ``page`` (the first), the
    places of Appendix I on A4 (the number under the issuing body's name on the left, the place
    and date under the party's name on the right)."""
    number_box: tuple = (57, 100, 297, 120)
    date_box: tuple = (297, 100, 567, 120)
    page: int = 0


def issue_date_text(place, day):
    """``Hà Nội, ngày 03 tháng 12 năm 2026``: days below 10 and months 1 and 2 written with a
    leading zero (Appendix I); without a place, the date alone."""
    month = f'{day.month:02d}' if day.month < 3 else str(day.month)
    text = f'ngày {day.day:02d} tháng {month} năm {day.year}'
    return f'{place}, {text}' if place else text[0].upper() + text[1:]


def number_text(number_symbol, party=True):
    """``Số 12-CV/VPTU`` in a party body's form (Hướng dẫn 36-HD/VPTW), ``Số: 12/CV-UBND`` in the
    state form (Decree 30/2020, Appendix I)."""
    return f'Số {number_symbol}' if party else f'Số: {number_symbol}'


def _form(writer):
    root = writer.root
    try:
        return root['/AcroForm']
    except KeyError:
        form = generic.DictionaryObject({pdf_name('/Fields'): generic.ArrayObject()})
        root[pdf_name('/AcroForm')] = writer.add_object(form)
        writer.update_root()
        return form


def _fields_by_name(form):
    out = {}
    for ref in form.get('/Fields') or ():
        field = ref.get_object()
        out[str(field.get('/T', ''))] = field
    return out


def _page(writer, index):
    pages = writer.root['/Pages']
    kids = pages['/Kids']
    return kids[min(index, len(kids) - 1)]


def add_placeholders(writer, placement=IssueLayout()):
    """Add the empty read-only number and date fields to ``writer`` (an incremental writer about
    to be signed by the leader), unless the draft has fields of those names already, or is signed
    already: new fields are no change an earlier signature allows, it would no longer verify."""
    if any(True for _ in writer.prev.embedded_signatures):
        return []
    form = _form(writer)
    existing = _fields_by_name(form)
    page = _page(writer, placement.page)
    top = float(page['/MediaBox'][3])
    annots = page.get('/Annots')
    if annots is None:
        annots = generic.ArrayObject()
        page[pdf_name('/Annots')] = annots
    else:
        annots = annots.get_object()
    added = []
    for name, (x1, y1, x2, y2) in ((NUMBER_FIELD, placement.number_box), (DATE_FIELD, placement.date_box)):
        if name in existing:
            continue
        # no /P (back to the page): pyHanko's analysis would see the page reached from the field
        field = generic.DictionaryObject({
            pdf_name('/Type'): pdf_name('/Annot'), pdf_name('/Subtype'): pdf_name('/Widget'),
            pdf_name('/FT'): pdf_name('/Tx'), pdf_name('/T'): pdf_string(name),
            pdf_name('/Ff'): generic.NumberObject(READ_ONLY), pdf_name('/F'): generic.NumberObject(PRINT),
            pdf_name('/Rect'): generic.ArrayObject(
                [generic.FloatObject(v) for v in (x1, top - y2, x2, top - y1)]),
            pdf_name('/DA'): pdf_string(f'/Helv {FONT_SIZE} Tf 0 g'),
        })
        ref = writer.add_object(field)
        annots.append(ref)
        form['/Fields'].append(ref)
        added.append(name)
    if added:
        writer.update_container(page)
        writer.update_container(annots)
        writer.update_container(form)
        writer.update_container(form['/Fields'])
    return added


# centred in the field, no margin (pyHanko's text box keeps 10 points and shrinks the text to fit)
_CENTRED = layout.SimpleBoxLayoutRule(x_align=layout.AxisAlignment.ALIGN_MID,
                                      y_align=layout.AxisAlignment.ALIGN_MID)


def fill_placeholders(writer, values):
    """Write ``values`` (field name -> text) into the fields of those names, each with its
    appearance; returns the names filled (a field the file does not have is skipped)."""
    try:
        form = writer.root['/AcroForm']
    except KeyError:
        return []
    fields = _fields_by_name(form)
    filled = []
    for name, text in values.items():
        field = fields.get(name)
        if field is None or '/Rect' not in field:
            continue
        x1, y1, x2, y2 = (float(v) for v in field['/Rect'])
        style = TextStampStyle(stamp_text=text.replace('%', '%%'), border_width=0,
                               inner_content_layout=_CENTRED,
                               text_box_style=TextBoxStyle(font=_StampFont(FONT_SIZE), font_size=FONT_SIZE,
                                                           box_layout_rule=_CENTRED))
        stamp = TextStamp(writer, style, box=layout.BoxConstraints(width=abs(x2 - x1), height=abs(y2 - y1)))
        field[pdf_name('/V')] = pdf_string(text)
        field[pdf_name('/AP')] = generic.DictionaryObject({pdf_name('/N'): stamp.register()})
        writer.update_container(field)
        filled.append(name)
    return filled


def seal_style(png_bytes):
    """The organisation signature's appearance: the seal image alone, its transparency kept
    (pyHanko writes the alpha channel as the image's soft mask), no border, no text."""
    from PIL import Image
    from pyhanko.pdf_utils.images import PdfImage
    image = Image.open(io.BytesIO(png_bytes)).convert('RGBA')    # a palette, grey or 16-bit PNG too
    return StaticStampStyle(
        background=PdfImage(image), background_opacity=1.0, border_width=0,
        background_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MID, y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins.uniform(0)))


def _widget_rect(field):
    rect = field.get('/Rect')
    if rect is None:
        kids = field.get('/Kids') or ()
        rect = kids[0].get_object().get('/Rect') if kids else None
    if rect is None:
        return None
    x1, y1, x2, y2 = (float(v) for v in rect)
    return [min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)]       # a rectangle may be given reversed


def _page_of(reader, field):
    """The index of the page the widget is on: its /Annots holds it (or its /P names it)."""
    ref = getattr(field, 'container_ref', None)
    try:
        named = field.raw_get('/P').reference
    except (KeyError, AttributeError):
        named = None
    for index, page in enumerate(_pages(reader.root['/Pages'])):
        if named is not None and getattr(page, 'container_ref', None) == named:
            return index
        annots = page.get('/Annots') or generic.ArrayObject()
        if any(getattr(annots.raw_get(i), 'reference', None) == ref for i in range(len(annots))):
            return index
    return 0


def _pages(node):
    node = node.get_object()
    if node.get('/Type') == '/Page':
        yield node
        return
    for kid in node.get('/Kids') or ():
        yield from _pages(kid)


def seal_box(pdf_bytes, size=SEAL_SIZE):
    """(page, box) for the seal: over the left third of the last visible signature in the file
    (the leader's), centred on it vertically; None when no signature shows."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    try:
        reader = PdfFileReader(io.BytesIO(pdf_bytes), strict=False)
        signatures = list(reader.embedded_regular_signatures)
    except Exception as e:  # noqa: BLE001 - whatever pyHanko cannot read, it cannot sign either
        raise SigningFailed(f'signing failed: {type(e).__name__}: {e}') from e
    for embedded in reversed(signatures):
        rect = _widget_rect(embedded.sig_field)
        if not rect or rect[2] - rect[0] <= 0 or rect[3] - rect[1] <= 0:
            continue
        x1, y1, x2, y2 = rect
        right = x1 + (x2 - x1) / 3
        middle = (y1 + y2) / 2
        page = _page_of(reader, embedded.sig_field)
        return page, (right - size, middle - size / 2, right, middle + size / 2)
    return None

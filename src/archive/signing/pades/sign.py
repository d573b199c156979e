"""Signing a PDF: one approval signature (PAdES baseline) added as an incremental update, with an
optional visible stamp and time stamp (see the package docstring)."""
from __future__ import annotations

import asyncio
import dataclasses
import functools
import io
import os

from pyhanko.pdf_utils.font.api import FontEngineFactory
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.stamp import TextStampStyle

from .common import _common_name, _now, iso

FONT_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                         'reports', 'fonts', 'DejaVuSans.ttf')


class SigningFailed(Exception):
    """Signing could not be done (not a PDF, the field is already signed, the time-stamp
    authority did not answer, ...). The message says why."""



@dataclasses.dataclass(frozen=True)
class VisibleStamp:
    """A visible stamp on one page. ``box`` is (x1, y1, x2, y2) in points from the lower
    left corner; ``name`` replaces the certificate's common name; ``lines`` are shown above
    the name (e.g. the signer's position)."""
    box: tuple = (330, 36, 565, 100)
    page: int = 0
    name: str | None = None
    lines: tuple = ()
    font_size: int = 9


# The stamp's font: DejaVu Sans cut down to Latin + Vietnamese and rescaled to 1000 units per em
# (pyHanko 0.38 writes glyph widths in font units where PDF wants 1/1000 em), built once by
# tools/stamp_font.py and shipped: every process that signed spent ~1 s of CPU building it.
STAMP_FONT_PATH = os.path.join(os.path.dirname(FONT_PATH), 'DejaVuSans-stamp.ttf')


@functools.cache
def stamp_font_bytes():
    """The stamp's font file, read once."""
    with open(STAMP_FONT_PATH, 'rb') as f:
        return f.read()


@dataclasses.dataclass(frozen=True)
class _StampFont(FontEngineFactory):
    font_size: int = 9

    def create_font_engine(self, writer, obj_stream=None):
        if obj_stream is None and writer.stream_xrefs:
            obj_stream = writer.prepare_object_stream()
        return GlyphAccumulator(writer=writer, font_handle=io.BytesIO(stamp_font_bytes()),
                                font_size=self.font_size, obj_stream=obj_stream)


def _stamp_style(stamp: VisibleStamp):
    template = '\n'.join([*(line.replace('%', '%%') for line in stamp.lines),
                          'Ký bởi: %(signer_name)s', 'Thời gian ký: %(signed_at)s'])
    # the font engine and the text box must agree on the size (pyHanko issue #733)
    return TextStampStyle(
        stamp_text=template,
        text_box_style=TextBoxStyle(font=_StampFont(stamp.font_size),
                                    font_size=stamp.font_size,
                                    leading=round(stamp.font_size * 1.3)),
        border_width=1,
    )


def _estimate_reserved(signer, timestamper_dummy_len):
    """Room for the CMS object, without the dry-run signature pyHanko makes otherwise (a
    second private-key operation for every signature: on a token that is a second round trip)."""
    certs = {}
    if signer.signing_cert is not None:
        certs[signer.signing_cert.issuer_serial] = signer.signing_cert
    for cert in signer.cert_registry or ():
        certs[cert.issuer_serial] = cert
    total = sum(len(c.dump()) for c in certs.values())
    key_bytes = 1024
    if signer.signing_cert is not None:
        try:
            key_bytes = signer.signing_cert.public_key.bit_size // 8 * 2 + 16
        except Exception:  # noqa: BLE001
            pass
    total += key_bytes + 3072 + timestamper_dummy_len * 3 // 2
    # hex in the PDF: two characters a byte; keep it even
    return 2 * total


async def _sign(pdf_bytes, signer, meta, stamp_style, field_spec, timestamper, system_time,
                text_params, bytes_reserved, prepare):
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes))
    if prepare is not None:
        prepare(writer)          # in the revision the signature covers
    pdf_signer = signers.PdfSigner(meta, signer=signer, timestamper=timestamper,
                                   stamp_style=stamp_style, new_field_spec=field_spec)
    session = pdf_signer.init_signing_session(writer)
    session.system_time = system_time
    validation_info = await session.perform_presign_validation(writer)
    if bytes_reserved is None:
        dummy_len = 0
        if timestamper is not None:
            dummy = await timestamper.async_dummy_response(meta.md_algorithm)
            dummy_len = len(dummy.dump())
        bytes_reserved = _estimate_reserved(signer, dummy_len)
    tbs = session.prepare_tbs_document(validation_info=validation_info,
                                       bytes_reserved=bytes_reserved,
                                       appearance_text_params=text_params)
    prepared, output = tbs.digest_tbs_document()
    post = await tbs.perform_signature(
        document_digest=prepared.document_digest,
        pdf_cms_signed_attrs=PdfCMSSignedAttributes(
            signing_time=system_time,
            cades_signed_attrs=meta.cades_signed_attr_spec,
        ),
    )
    await post.post_signature_processing(output)
    return output.getvalue()


def sign_pdf(pdf_bytes, signer, *, field_name, visible_stamp=None, timestamper=None,
             reason=None, location=None, now=None, bytes_reserved=None, prepare=None,
             appearance=None) -> bytes:
    """Add one PAdES approval signature to ``pdf_bytes`` as an incremental update.

    :param signer: a pyHanko ``Signer`` (``SimpleSigner``, ``PKCS11Signer``, ...) holding the
        signing certificate (and the chain to embed in its ``cert_registry``).
    :param field_name: the signature field, created if it does not exist (an existing empty
        field of that name is used); signing a field that is already signed fails.
    :param visible_stamp: ``None`` for an invisible signature (organisation signatures,
        attachments), ``True`` for the default stamp on page 1, or a :class:`VisibleStamp`.
    :param timestamper: an RFC 3161 client (``pyhanko.sign.timestamps.HTTPTimeStamper(url)``);
        without one the signing time is the signer's own claim.
    :param now: the signing time to claim and show (aware); default: now.
    :param bytes_reserved: room for the signature container (hex characters); estimated
        from the certificates when not given.
    :param prepare: a function given the incremental writer before the signature is added, to
        change the file in the revision the signature covers (``issue.add_placeholders``).
    :param appearance: ``(page, box, stamp_style)``: a visible signature with an appearance of
        its own (the seal, ``issue.seal_style``) instead of the text stamp.
    :return: the signed file: ``pdf_bytes`` followed by the update.
    :raises SigningFailed: with a message that says why.
    """
    system_time = _now(now)
    if visible_stamp is True:
        visible_stamp = VisibleStamp()
    if appearance is not None:
        page, box, stamp_style = appearance
        field_spec = fields.SigFieldSpec(sig_field_name=field_name, on_page=page, box=tuple(box))
        text_params = None
    elif visible_stamp:
        field_spec = fields.SigFieldSpec(sig_field_name=field_name, on_page=visible_stamp.page,
                                         box=tuple(visible_stamp.box))
        stamp_style = _stamp_style(visible_stamp)
        cert = signer.signing_cert
        text_params = {
            'signer_name': visible_stamp.name or (_common_name(cert) if cert is not None else ''),
            'signed_at': iso(system_time),
        }
    else:
        field_spec = fields.SigFieldSpec(sig_field_name=field_name)
        stamp_style = TextStampStyle(stamp_text='')
        text_params = None
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm='sha256',
        subfilter=fields.SigSeedSubFilter.PADES,
        certify=False,
        reason=reason,
        location=location,
    )
    try:
        return asyncio.run(_sign(bytes(pdf_bytes), signer, meta, stamp_style, field_spec,
                                 timestamper, system_time, text_params, bytes_reserved, prepare))
    except SigningFailed:
        raise
    except SigningError as e:
        raise SigningFailed(f'signing failed: {e}') from e
    except Exception as e:  # unreadable PDF, TSA down, ...
        raise SigningFailed(f'signing failed: {type(e).__name__}: {e}') from e



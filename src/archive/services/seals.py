"""A body's seal image and the place it writes before the date of issue: set by the body's clerk
or an administrator, used when the organisation signs (services/signing.py).

The seal is drawn over the leader's signature, so it must let it show through: a PNG whose
ground is transparent (a quarter of its pixels at least; a round seal leaves a fifth of its square
outside the circle, and the inside of the ring is mostly clear). It is checked from its header before it is decoded (a
small file can claim a huge picture), and kept as uploaded.
"""
import io

import colander

from .. import audit, clock
from ..errors import merge, single
from ..i18n import _
from ..resources.seals import Seal

MAX_SEAL_BYTES = 512 * 1024      # a seal of 36 mm at 600 dpi is well under this
MAX_SEAL_SIDE = 2000             # pixels, each side
MIN_SEAL_SIDE = 100              # pixels: smaller prints blurred at 36 mm
MIN_CLEAR_SHARE = 0.25          # of the pixels, at least this many (mostly) transparent: the ground
MAX_PLACE_LENGTH = 100
PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'


def _refuse(msg_id, default, **mapping):
    return single('seal', _(msg_id, default=default, mapping=mapping or None))


def check_seal(data):
    """(width, height) of an acceptable seal image; raises ``colander.Invalid`` (field ``seal``)
    saying what is wrong."""
    from PIL import Image, UnidentifiedImageError
    if not data:
        raise _refuse('seal_missing', 'Chưa chọn tệp ảnh con dấu (PNG nền trong suốt)')
    if len(data) > MAX_SEAL_BYTES:
        raise _refuse('seal_too_large', 'Tệp ảnh con dấu quá lớn: tối đa ${max} KB',
                      max=MAX_SEAL_BYTES // 1024)
    if not data.startswith(PNG_SIGNATURE):
        raise _refuse('seal_not_png', 'Ảnh con dấu phải là tệp PNG (nền trong suốt)')
    try:
        image = Image.open(io.BytesIO(data))
        width, height = image.size
        if max(width, height) > MAX_SEAL_SIDE:
            raise _refuse('seal_too_big', 'Ảnh con dấu quá lớn: tối đa ${max} × ${max} điểm ảnh',
                          max=MAX_SEAL_SIDE)
        if min(width, height) < MIN_SEAL_SIDE:
            raise _refuse('seal_too_small', 'Ảnh con dấu quá nhỏ: tối thiểu ${min} × ${min} điểm ảnh',
                          min=MIN_SEAL_SIDE)
        image.load()
        rgba = image.convert('RGBA')
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _refuse('seal_unreadable', 'Tệp ảnh con dấu bị hỏng, không đọc được') from None
    clear = sum(rgba.getchannel('A').histogram()[:128])
    if clear < MIN_CLEAR_SHARE * width * height:
        raise _refuse('seal_not_transparent',
                      'Ảnh con dấu phải có nền trong suốt, để chữ ký của lãnh đạo vẫn nhìn thấy được')
    return width, height


def set_seal(root, body, data, place_name, actor):
    """Check and keep ``data`` as the body's seal (``None``: keep the current one) and
    ``place_name``; journaled on the body's chain. Raises ``colander.Invalid``."""
    place_name = ' '.join((place_name or '').split())
    errors = []
    if len(place_name) > MAX_PLACE_LENGTH:
        errors.append(single('place_name', _('too_long', default='Dài quá ${max} ký tự',
                                             mapping={'max': MAX_PLACE_LENGTH})))
    size = None
    if data is not None or body.seal is None:
        try:
            size = check_seal(data)
        except colander.Invalid as exc:
            errors.append(exc)
    if errors:
        raise merge(errors)
    details = {'place_name': place_name}
    if size is not None:
        body.seal = Seal(data, *size, clock.now(), actor)
        details.update(sha256=body.seal.sha256, width=size[0], height=size[1])
    body.place_name = place_name
    audit.append(root, f'body:{body.code}', 'seal_set', actor, **details)
    return body.seal

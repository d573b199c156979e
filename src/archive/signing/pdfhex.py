"""A faster reader of PDF hex strings for pyHanko, with the same results.

pyHanko reads a hex string one byte at a time through a generator; a signature's ``/Contents``
is such a string of tens of thousands of hex digits, so reading it was ~45 % of verifying a
signed PDF (bench/signatures.py, profile). This reads up to the closing ``>`` in blocks and
decodes at once. Anything not plainly hex digits and whitespace (a comment, a stray byte, no
closing ``>``) is handed to pyHanko's own reader, from the same position, so errors and odd
cases behave exactly as before (``tests/unit/test_pdfhex.py`` compares both on generated input).
"""
import binascii
import re

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PDF_WHITESPACE

_original = generic.read_hex_string_from_stream
_HEX = re.compile(rb'[0-9a-fA-F]*')
BLOCK = 1 << 16


def read_hex_string_from_stream(stream):
    start = stream.tell()
    stream.read(1)                       # the opening '<'
    parts, pos = [], start + 1
    while True:
        block = stream.read(BLOCK)
        if not block:
            stream.seek(start)
            return _original(stream)     # no closing '>': pyHanko says how it ended
        end = block.find(b'>')
        if end >= 0:
            parts.append(block[:end])
            stream.seek(pos + end + 1)
            break
        parts.append(block)
        pos += len(block)
    body = b''.join(parts)
    digits = body.translate(None, PDF_WHITESPACE)
    if b'%' in body or not _HEX.fullmatch(digits):
        stream.seek(start)
        return _original(stream)
    if len(digits) % 2:
        digits += b'0'
    return generic.pdf_string(binascii.unhexlify(digits))


def install():
    """Make pyHanko's object reader use this one (idempotent)."""
    generic.read_hex_string_from_stream = read_hex_string_from_stream

"""The fast hex-string reader gives what pyHanko's own reader gives, on the same input: the same
object (type and value), the same position after it, or the same error."""
import io

from hypothesis import given, settings, strategies as st
from pyhanko.pdf_utils import generic

from archive.signing import pdfhex

ALPHABET = b'0123456789abcdefABCDEF \n\r\t\x00%>gZ<'


def outcome(reader, data):
    stream = io.BytesIO(data)
    try:
        value = reader(stream)
    except Exception as exc:          # compare the kind and text of the error
        return ('error', type(exc).__name__, str(exc))
    return ('value', type(value).__name__, bytes(value.original_bytes), stream.tell())


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=80).map(lambda b: bytes(ALPHABET[x % len(ALPHABET)] for x in b)),
       st.binary(max_size=8))
def test_same_as_pyhanko_on_any_input(body, tail):
    data = b'<' + body + tail
    assert outcome(pdfhex.read_hex_string_from_stream, data) == outcome(pdfhex._original, data)


def test_long_strings_across_blocks_and_odd_digits():
    digits = (b'0a1B ' * (pdfhex.BLOCK // 2)) + b'f'
    data = b'<' + digits + b'>rest'
    ours = outcome(pdfhex.read_hex_string_from_stream, data)
    assert ours == outcome(pdfhex._original, data)
    assert ours[2].endswith(b'\xf0') and ours[3] == len(data) - len(b'rest')


def test_installed_reader_is_used_by_pyhanko():
    pdfhex.install()
    assert generic.read_hex_string_from_stream is pdfhex.read_hex_string_from_stream
    value = generic.read_object(io.BytesIO(b'<48656c6c6f>'), None)
    assert str(value) == 'Hello'

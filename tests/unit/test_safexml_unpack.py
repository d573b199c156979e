"""Attachments read in two steps (``safexml``): the zip's directory over the base64 text without
decoding what precedes it, then the entry streamed out under caps on size and on ratio, per
attachment and per package, whatever the zip's headers claim."""
import base64
import io
import tracemalloc
import zipfile

import pytest

from archive.exchange.safexml import (
    Base64File, Budget, Limits, MiB, PackageError, b64_text, inflate, zip_entry)


def zipped(name, content, level=9):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        z.writestr(name, content)
    return buf.getvalue()


def lying(data, size=100):
    """The central directory's uncompressed size rewritten to ``size``."""
    data = bytearray(data)
    at = data.rfind(b'PK\x01\x02')
    data[at + 24:at + 28] = size.to_bytes(4, 'little')
    return bytes(data)


def text(data):
    return base64.b64encode(data).decode('ascii')


BIG = Limits(max_attachment_bytes=64 * MiB, max_unzipped_bytes=64 * MiB, max_total_unzipped_bytes=128 * MiB,
             max_ratio=100, ratio_floor_bytes=MiB)


def test_base64_file_reads_any_window_as_the_whole_decoding_would():
    data = bytes(range(256)) * 41 + b'xy'
    raw = b64_text(text(data))
    f = Base64File(raw)
    assert f.seek(0, io.SEEK_END) == len(data)
    for start, size in ((0, 10), (1, 5), (2, 7), (len(data) - 3, 10), (500, 1000)):
        f.seek(start)
        assert f.read(size) == data[start:start + size]


@pytest.mark.parametrize('value, code', [
    ('@@@@', 'bad_base64'), ('QUJD=A==', 'bad_base64'), ('QUJ', 'bad_base64'), ('QUJD===', 'bad_base64'),
    ('ẠBCD', 'bad_base64')])
def test_base64_form_is_checked_without_decoding(value, code):
    with pytest.raises(PackageError) as info:
        b64_text(value)
    assert info.value.code == code


def test_the_directory_is_read_without_inflating_a_bomb():
    raw = b64_text(text(zipped('bom.pdf', b'\0' * (32 * MiB))), BIG)
    tracemalloc.start()
    try:
        _archive, info = zip_entry(raw, BIG, "'bom.pdf'")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert info.filename == 'bom.pdf' and info.file_size == 32 * MiB
    assert peak < 256 * 1024, peak                       # the directory only, not 32 MiB (nor the zip)


def test_a_bomb_is_refused_by_its_ratio_while_streaming():
    raw = b64_text(text(zipped('bom.pdf', b'\0' * (32 * MiB))), BIG)
    archive, info = zip_entry(raw, BIG, "'bom.pdf'")
    tracemalloc.start()
    try:
        with pytest.raises(PackageError) as refused:
            inflate(archive, info, BIG, label="'bom.pdf'")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert refused.value.code == 'zip_ratio' and "'bom.pdf'" in refused.value.message
    assert peak < 4 * MiB, peak                          # stopped past the floor, not at 32 MiB


def test_a_bomb_that_lies_about_its_size_is_refused_at_what_it_claimed():
    """zipfile's reader gives no more than the declared size, then finds the CRC wrong."""
    limits = Limits(max_unzipped_bytes=256 * 1024, max_ratio=10 ** 6)
    archive, info = zip_entry(b64_text(text(lying(zipped('bom.pdf', b'\0' * (8 * MiB))))), limits)
    assert info.file_size == 100                          # what it claims
    tracemalloc.start()
    try:
        with pytest.raises(PackageError) as refused:
            inflate(archive, info, limits)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert refused.value.code == 'bad_zip' and peak < MiB, peak


def test_a_declared_size_over_the_cap_is_refused_from_the_directory():
    limits = Limits(max_unzipped_bytes=1000)
    with pytest.raises(PackageError) as refused:
        zip_entry(b64_text(text(zipped('a.pdf', b'\0' * 1001))), limits, "'a.pdf'")
    assert refused.value.code == 'zip_too_large' and "'a.pdf'" in refused.value.message


def test_the_package_cap_counts_every_attachment():
    """Each attachment under its cap; the package's budget stops the one that passes the total."""
    limits = Limits(max_unzipped_bytes=8 * MiB, max_total_unzipped_bytes=5 * MiB, max_ratio=10 ** 6)
    budget = Budget(limits)
    for n in range(2):
        archive, info = zip_entry(b64_text(text(zipped(f'{n}.pdf', b'\1' * (2 * MiB)))), limits)
        inflate(archive, info, limits, budget)
    archive, info = zip_entry(b64_text(text(zipped('2.pdf', b'\1' * (2 * MiB)))), limits)
    with pytest.raises(PackageError) as refused:
        inflate(archive, info, limits, budget, "'2.pdf'")
    assert refused.value.code == 'zip_too_large' and 'in all' in refused.value.message


def test_a_plain_file_comes_out_whole():
    content = b'%PDF-1.4 ' + bytes(range(256)) * 100
    archive, info = zip_entry(b64_text(text(zipped('a.pdf', content, level=1))))
    assert inflate(archive, info) == content

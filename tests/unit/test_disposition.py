"""The one Content-Disposition of every download (RFC 6266): Latin-1 on the wire whatever the name."""
import re
from urllib.parse import unquote

import pytest

from archive.disposition import content_disposition


@pytest.mark.parametrize('name,fallback,full', [
    ('Sổ đăng ký văn bản đến 2026 — mật.xlsx', 'So dang ky van ban den 2026 _ mat.xlsx',
     'Sổ đăng ký văn bản đến 2026 — mật.xlsx'),
    ('a"b\\c/d.pdf', 'a_b_c_d.pdf', 'a"b_c_d.pdf'),
    ('bad\r\nX-Injected: 1.pdf', 'badX-Injected_ 1.pdf', 'badX-Injected: 1.pdf'),
    ('\x00\x1b', 'file', 'file'),
    ('', 'file', 'file'),
    ('ĐẢNG ỦY.pdf', 'DANG UY.pdf', 'ĐẢNG ỦY.pdf'),
])
def test_content_disposition(name, fallback, full):
    header = content_disposition(name)
    header.encode('latin-1')
    assert '\r' not in header and '\n' not in header
    assert header.startswith('attachment; ')
    assert re.search(r'filename="([^"]*)"', header).group(1) == fallback
    assert unquote(re.search(r"filename\*=UTF-8''([^;\s]+)", header).group(1)) == full

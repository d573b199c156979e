"""Sizes and figures for people: the reader's decimal sign (Vietnamese writes ``1,5 MB``), decimal
units, one decimal at most; the one helper every page uses (``i18n.size_text``)."""
import pytest

from archive.i18n import number_text, size_text


@pytest.mark.parametrize('size, vi, en', [
    (0, '0 byte', '0 byte'),
    (812, '812 byte', '812 byte'),
    (1_500, '1,5 kB', '1.5 kB'),
    (12_345, '12,3 kB', '12.3 kB'),
    (1_500_000, '1,5 MB', '1.5 MB'),
    (999_999_999, '1 GB', '1 GB'),
    (950_000, '950 kB', '950 kB'),
    (2_000_000_000, '2 GB', '2 GB'),
])
def test_a_size_is_written_with_the_readers_decimal_sign(size, vi, en):
    assert (size_text(size, 'vi'), size_text(size, 'en')) == (vi, en)


def test_a_figure_is_written_with_the_readers_decimal_sign():
    assert [number_text(x, 'vi') for x in (1.5, 24, 0.04, 1234.5)] == ['1,5', '24', '0', '1.234,5']
    assert [number_text(x, 'en') for x in (1.5, 24, 0.04, 1234.5)] == ['1.5', '24', '0', '1,234.5']

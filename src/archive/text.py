"""Vietnamese text helpers: folding diacritics (for sorting and, later, search)."""
import unicodedata


def fold(text):
    """Lower case without diacritics, đ as d: ``Ủy ban Kiểm tra`` → ``uy ban kiem tra``."""
    decomposed = unicodedata.normalize('NFD', (text or '').replace('Đ', 'D').replace('đ', 'd'))
    return ''.join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def sort_key(text):
    """Order names as a Vietnamese reader expects, near enough without ICU: by the
    letters first, then by the marks, so that "Tổ" and "Tuyên" sort as t-o, t-u."""
    return (fold(text), unicodedata.normalize('NFC', text or ''))

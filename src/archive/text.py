"""Text helpers: folding Vietnamese diacritics (for sorting and search), and the characters
no text field may hold."""
import re
import unicodedata


def without_marks(text):
    """The letters without their diacritics, đ as d, case kept: ``Ủy ban`` → ``Uy ban``."""
    decomposed = unicodedata.normalize('NFD', (text or '').replace('Đ', 'D').replace('đ', 'd'))
    return ''.join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold(text):
    """Lower case without diacritics, đ as d: ``Ủy ban Kiểm tra`` → ``uy ban kiem tra``."""
    return without_marks(text).lower()


def sort_key(text):
    """Order names as a Vietnamese reader expects, near enough without ICU: by the
    letters first, then by the marks, so that "Tổ" and "Tuyên" sort as t-o, t-u."""
    return (fold(text), unicodedata.normalize('NFC', text or ''))


# What a text field may not hold (issue 11, item 15). Control characters (C0 but TAB, DEL, C1)
# break the XML of a package and, with CR/LF, a mail header; CR/LF and the other line breaks
# are allowed only where the field has several lines. Bidirectional overrides and isolates make
# displayed metadata read other than it is stored ("Trojan source"), so they are refused; the
# plain direction marks (LRM, RLM) change nothing of the order and are dropped.
_CONTROL = re.compile('[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]')
_LINE_BREAK = re.compile('[\r\n\u2028\u2029]')
_BIDI_OVERRIDE = re.compile('[\u202a-\u202e\u2066-\u2069]')
_DIRECTION_MARKS = dict.fromkeys(map(ord, '\u200e\u200f'))


def strip_direction_marks(text):
    return text.translate(_DIRECTION_MARKS)


def unsafe_character(text, multiline=False):
    """``'control_character'``, ``'bidi_control'`` or ``None``: what makes ``text`` unfit to keep."""
    if _CONTROL.search(text) or (not multiline and _LINE_BREAK.search(text)):
        return 'control_character'
    if _BIDI_OVERRIDE.search(text):
        return 'bidi_control'
    return None

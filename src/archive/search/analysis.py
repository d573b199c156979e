"""The Vietnamese analyzer: words and document symbols as a clerk types them, diacritics folded.

Plain Python, the same for every engine: the Whoosh engine wraps it in a Whoosh tokenizer, the
tantivy engine hands tantivy the tokens it gives (pre-tokenized text), so both index and query
exactly the same terms.

- Text is NFC-normalised first, so that character offsets (for highlights) are those of the text
  as stored; each token is then folded on its own: NFD, combining marks dropped, đ→d, lower case
  (``bao cao`` finds ``báo cáo``, ``dang`` finds ``Đảng``).
- ``exact`` keeps the diacritics (lower case only): the search indexes it in a field of its own,
  boosted, so that a query typed with its marks ranks the exact form first (folding alone merges
  bàn, bạn and ban).
- No stop list: Vietnamese has none worth the loss, and an English one drops "an", "to", "can".
- A number and symbol such as ``917-TTr/VPTU`` is one token, and also each run of its parts
  (``917``, ``ttr``, ``vptu``, ``917-ttr``, ``ttr/vptu``), all at one position, so each of these
  finds it; in a query such a compound stays whole (``917-TTr`` is looked up as it is).
"""
import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

# A word, or parts of a symbol joined by - / . (not at the ends: "Hà Nội." ends a sentence).
TOKEN = re.compile(r'\w+(?:[-/.]\w+)*')
PART = re.compile(r'\w+')
MAX_PARTS = 8          # a longer compound indexes its parts and itself, not every run of them


class Tok(NamedTuple):
    text: str           # the term (folded, or with its marks)
    pos: int            # the word's position (the parts of a symbol share their word's)
    start: int          # character offsets in the NFC text
    end: int


def fold(text):
    """Lower case, diacritics dropped, đ→d (NFD, combining marks removed)."""
    text = unicodedata.normalize('NFD', text.lower()).replace('đ', 'd')
    return ''.join(c for c in text if not unicodedata.combining(c))


def exact(text):
    return unicodedata.normalize('NFC', text.lower())


def nfc(text):
    return unicodedata.normalize('NFC', text or '')


@lru_cache(maxsize=100_000)
def _folded_word(word):
    return fold(word)


@lru_cache(maxsize=100_000)
def _exact_word(word):
    return exact(word)


def _pieces(word, expand):
    """``[(text, start offset within word)]`` for one matched token."""
    yield word, 0
    if not expand or word.isalnum():         # a plain word: no parts
        return
    parts = [(m.group(), m.start()) for m in PART.finditer(word)]
    if len(parts) < 2:
        return
    if len(parts) > MAX_PARTS:
        yield from parts
        return
    for i in range(len(parts)):
        for j in range(i, len(parts)):
            if i == 0 and j == len(parts) - 1:
                continue                     # the whole, already given
            start = parts[i][1]
            end = parts[j][1] + len(parts[j][0])
            yield word[start:end], start


def tokens(value, keep_marks=False, expand=True):
    """The ``Tok`` of a text: folded (``keep_marks=False``) or with their marks; ``expand``: the
    parts of a symbol too (indexing), or the symbol whole (a query)."""
    convert = _exact_word if keep_marks else _folded_word     # words recur: each is converted once
    text = nfc(value)
    for pos, match in enumerate(TOKEN.finditer(text)):
        word = match.group()
        for piece, offset in _pieces(word, expand):
            start = match.start() + offset
            yield Tok(convert(piece), pos, start, start + len(piece))


def terms(value, keep_marks=False):
    """The indexed terms of a text, in order."""
    return [t.text for t in tokens(value, keep_marks)]


def query_terms(text, keep_marks=False):
    """The terms a query word gives (one, or none for punctuation)."""
    return [t.text for t in tokens(text, keep_marks, expand=False)]

"""The Vietnamese analyzer: words and document symbols as a clerk types them, diacritics folded.

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

from whoosh.analysis import Token, Tokenizer

# A word, or parts of a symbol joined by - / . (not at the ends: "Hà Nội." ends a sentence).
TOKEN = re.compile(r'\w+(?:[-/.]\w+)*')
PART = re.compile(r'\w+')
MAX_PARTS = 8          # a longer compound indexes its parts and itself, not every run of them


def fold(text):
    """Lower case, diacritics dropped, đ→d (NFD, combining marks removed)."""
    text = unicodedata.normalize('NFD', text.lower()).replace('đ', 'd')
    return ''.join(c for c in text if not unicodedata.combining(c))


def exact(text):
    return unicodedata.normalize('NFC', text.lower())


def nfc(text):
    return unicodedata.normalize('NFC', text or '')


def _pieces(word, expand):
    """``[(text, start offset within word)]`` for one matched token."""
    yield word, 0
    if not expand:
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


class VietTokenizer(Tokenizer):
    """Tokens of NFC text, folded (``exact=False``) or with their marks (``exact=True``)."""

    def __init__(self, keep_marks=False):
        self.keep_marks = keep_marks

    def __eq__(self, other):
        return type(other) is type(self) and other.keep_marks == self.keep_marks

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode='', **kwargs):
        convert = exact if self.keep_marks else fold
        text = nfc(value)
        expand = mode != 'query'           # in a query a symbol is looked up whole
        pos = start_pos
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for match in TOKEN.finditer(text):
            word = match.group()
            for piece, offset in _pieces(word, expand):
                token.text = convert(piece)
                token.boost = 1.0
                token.stopped = False
                if keeporiginal:
                    token.original = piece
                if positions:
                    token.pos = pos
                if chars:
                    token.startchar = start_char + match.start() + offset
                    token.endchar = token.startchar + len(piece)
                yield token
            pos += 1


def analyzer(keep_marks=False):
    """The analyzer of a text field: folded (the default) or with its marks."""
    return VietTokenizer(keep_marks)


def query_terms(text, keep_marks=False):
    """The terms a query word gives (one, or none for punctuation)."""
    return [t.text for t in VietTokenizer(keep_marks)(text, mode='query')]

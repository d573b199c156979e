"""Highlighted fragments of a stored text: the words of the query marked, with some context.

Plain Python over the Vietnamese analyzer, the same for every engine (tantivy's own snippets
would re-tokenize the text with its tokenizer, not ours): a word matches when one of its terms
(folded, or a part of a symbol) is a term of the query. Fragments are windows of about
``SURROUND`` characters around the matches, at most ``MAX_CHARS`` long; the ``TOP`` richest are
shown in the order of the text, joined by `` … ``, HTML-escaped, each match in
``<mark class="match termN">`` (N: the term's place in the query); a window saying no word a
richer one shown said at its matches is left out for the next (a main file and an attachment holding the same
text gave the same words twice). The abstract is at most ``WHOLE`` characters (the schema's limit,
and receiving cuts there): it is shown whole with its matches marked, a window of it cut its end
("…giám sát năm" of "…giám sát năm 2026"). Of a result's fields (``fragments``), one whose
fragments say no word an earlier one did not is left out: a file's text layer repeating the
abstract (without its diacritics when the PDF was made so) is not shown again.

A long text (a file's text layer: up to 200,000 characters a file) is read a stretch of ``CHUNK``
characters at a time, cut between words, and the fragments are the richest of the first stretch
that has a match: only what can be shown is read. Folding and scanning cost ~0.07 ms per 1,000
characters: read whole, twenty results with 100,000 characters of file text each took 120–180
ms, 8 ms read this way when the words are near the start (a text without them is still read
whole).
"""
import re
from functools import lru_cache
from html import escape

from . import analysis

MAX_CHARS = 160
SURROUND = 40
TOP = 2
BETWEEN = ' … '
CHUNK = 5_000
WHOLE = 500
NEAR = 20


class _FoldTable(dict):
    """Each character's folded form, for ``str.translate`` (worked out once per character)."""

    def __missing__(self, code):
        folded = self[code] = analysis.fold(chr(code))
        return folded


_FOLD = _FoldTable()
_SPECIAL = re.compile('[&<>"\']')          # what ``html.escape`` changes


def _latin():
    """``(variants, other)``: for each folded character, the characters of the Latin, Vietnamese
    and punctuation blocks folding to it alone (``a``: a, á, À, ặ…); and a pattern of any
    character outside them or folding to more or less than one (a combining mark)."""
    variants, simple = {}, []
    for block in ((0, 0x250), (0x1E00, 0x1F00), (0x2000, 0x2070)):
        for code in range(*block):
            folded = analysis.fold(chr(code))
            if len(folded) == 1:
                variants.setdefault(folded, []).append(chr(code))
                simple.append(chr(code))
    return variants, re.compile('[^' + ''.join(re.escape(c) for c in simple) + ']')


_VARIANTS, _OTHER = _latin()


def _unfolded(term):
    """A folded term as a pattern of the text as written: each character, any that folds to it."""
    return ''.join('[' + ''.join(re.escape(v) for v in _VARIANTS[c]) + ']' if len(_VARIANTS.get(c, ())) > 1
                   else re.escape(c) for c in term)


def _matches(text, order, pattern, written):
    """``[(start, end, term number)]`` of the matched pieces, longest first where they overlap.

    The query's terms are looked for between word edges: a whole token, a part of a symbol or a
    run of its parts, as the analyzer indexes them. A text of Latin letters, Vietnamese letters
    and punctuation (nearly every one) is searched as written, each term's letters matching any
    letter folding to them (``written``: ``_wanted``'s; folding the text first cost ~5 µs an
    abstract). Another text is folded a character at a time (a letter folding to one letter
    keeps the offsets of the text), or, when its folding changes its length, read token by token."""
    if not _OTHER.search(text):
        written, numbers = written
        return [(m.start(), m.end(), numbers[m.lastindex - 1]) for m in written.finditer(text)]
    return _folded_matches(text, order, pattern)


def _folded_matches(text, order, pattern):
    """``_matches`` of any text: ``pattern`` (``terms_pattern``) in the folded text."""
    folded = text.translate(_FOLD)
    if len(folded) != len(text):
        found = sorted(((t.start, -t.end, order[t.text]) for t in analysis.tokens(text) if t.text in order))
        out, reached = [], -1
        for start, neg_end, n in found:
            if start >= reached:
                out.append((start, -neg_end, n))
                reached = -neg_end
        return out
    return [(m.start(), m.end(), order[m.group()]) for m in pattern.finditer(folded)]


@lru_cache(maxsize=256)
def _wanted(words):
    """``(order, pattern, written)`` of a query's ``words`` (a tuple): each term's number, first
    place first; ``terms_pattern`` of them; and ``(pattern, numbers)``, the same alternatives as
    the text is written, alternative i's term number ``numbers[i]`` (``_matches``). Worked out
    once a query, not once a field of each result."""
    order = {}
    for w in words:
        order.setdefault(w, len(order))
    longest = sorted(order, key=len, reverse=True)          # a symbol before its parts
    alternatives = '|'.join(f'({_unfolded(t)})' for t in longest)
    written = re.compile(rf'(?<!\w)(?:{alternatives})(?!\w)'), [order[t] for t in longest]
    return order, terms_pattern(tuple(order)), written


@lru_cache(maxsize=256)
def terms_pattern(terms):
    """The terms between word edges, the longest first (a symbol before its parts)."""
    alternatives = '|'.join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
    return re.compile(rf'(?<!\w)(?:{alternatives})(?!\w)')


def _edge_left(text, at):
    """``at`` moved right to the start of a word (never cutting one in the context)."""
    if at <= 0:
        return 0
    space = text.find(' ', at - 1)
    return at if text[at - 1].isspace() else (space + 1 if 0 <= space else at)


def _edge_right(text, at):
    if at >= len(text):
        return len(text)
    space = text.rfind(' ', 0, at + 1)
    return at if text[at].isspace() else (space if space > 0 else at)


def _fragments(text, matches):
    """Windows ``(start, end, [matches])``, each within ``MAX_CHARS``."""
    frags = []
    for m in matches:
        if frags and m[1] - frags[-1][0] <= MAX_CHARS - SURROUND:
            frags[-1][1] = m[1]
            frags[-1][2].append(m)
        else:
            frags.append([m[0], m[1], [m]])
    out = []
    for start, end, ms in frags:
        left = _edge_left(text, max(0, start - SURROUND))
        right = _edge_right(text, min(len(text), end + SURROUND, left + MAX_CHARS))
        out.append((left, max(right, end), ms))
    return out


def _html(text, start, end, ms):
    esc = escape if _SPECIAL.search(text, start, end) else str     # most windows have nothing to escape
    parts, at = [], start
    for s, e, n in ms:
        parts.append(esc(text[at:s]))
        parts.append(f'<mark class="match term{n}">{esc(text[s:e])}</mark>')
        at = e
    parts.append(esc(text[at:end]))
    return ''.join(parts).strip()


def _stretches(text):
    """The text in stretches of about ``CHUNK`` characters, each cut after a space (a word or a
    symbol is never split between two)."""
    start = 0
    while len(text) - start > CHUNK:
        cut = max(text.rfind(' ', start + CHUNK // 2, start + CHUNK), text.rfind('\n', start + CHUNK // 2, start + CHUNK))
        end = cut + 1 if cut >= 0 else start + CHUNK
        yield text[start:end]
        start = end
    yield text[start:]


def _gist(text, ms):
    """What a window says at its matches, to know one already shown: the text from ``NEAR``
    characters before its first match to ``NEAR`` after its last, within their lines, folded.
    Its context is wider and reaches over the end of a file's text into the next one's."""
    start, end = ms[0][0], ms[-1][1]
    left = max(text.rfind('\n', 0, start) + 1, _edge_left(text, start - NEAR))
    line_end = text.find('\n', end)
    right = min(len(text) if line_end < 0 else line_end, _edge_right(text, min(len(text), end + NEAR)))
    return ' '.join(text[left:max(right, end)].translate(_FOLD).split())


def _richest(stretch, frags):
    """The ``TOP`` richest windows in the order of the text; one saying at its matches what a
    window taken before it said (``_gist``) is passed over for the next."""
    if len(frags) == 1:
        return frags
    taken, said = [], set()
    for f in sorted(frags, key=lambda f: -len(f[2])):
        gist = _gist(stretch, f[2])
        if gist not in said:
            taken.append(f)
            said.add(gist)
            if len(taken) == TOP:
                break
    return sorted(taken, key=lambda f: f[0])


def _chosen(text, wanted, whole=False):
    """``(stretch, windows)``: the first stretch of ``text`` with a match and its ``TOP``
    richest windows, in the order of the text; ``(None, [])`` when nothing matches.
    ``wanted``: the query's ``_wanted``; ``whole``: a text of at most ``WHOLE`` characters is
    one window, all of it."""
    if not text or not wanted[0]:
        return None, []
    text = analysis.nfc(text)
    if whole and len(text) <= WHOLE:
        matches = _matches(text, *wanted)
        return (text, [(0, len(text), matches)]) if matches else (None, [])
    for stretch in _stretches(text) if len(text) > CHUNK else (text,):
        matches = _matches(stretch, *wanted)
        if matches:
            return stretch, _richest(stretch, _fragments(stretch, matches))
    return None, []


def highlight(text, words):
    """The highlighted fragments of ``text`` for the query's folded ``words`` ('' if none)."""
    stretch, best = _chosen(text, _wanted(tuple(words)))
    return BETWEEN.join(_html(stretch, *f) for f in best)


def _said(text):
    """A window's words, folded (to compare what two windows say)."""
    return set(re.findall(r'\w+', text.translate(_FOLD)))


def fragments(stored, words, fields=('abstract', 'content', 'meta'), whole=('abstract',)):
    """``[(field, html)]``: the highlighted fragments of a result's stored ``fields``, in that
    order, each field's left out when its windows say no word an earlier one did not (folded).
    A file's text layer often repeats the abstract, without its diacritics when the PDF was
    made so: the words are then shown once, as the abstract holds them. Most results have
    matches in one field (the abstract): what its windows say is then not worked out. The
    ``whole`` fields (the abstract) are shown whole, up to ``WHOLE`` characters."""
    wanted = _wanted(tuple(words))
    chosen = [(name, *_chosen(stored.get(name), wanted, name in whole)) for name in fields]
    chosen = [(name, stretch, best) for name, stretch, best in chosen if best]
    out, said = [], set()
    for name, stretch, best in chosen:
        if len(chosen) > 1:
            saying = set().union(*(_said(stretch[start:end]) for start, end, _ms in best))
            if saying <= said:
                continue
            said |= saying
        out.append((name, BETWEEN.join(_html(stretch, *f) for f in best)))
    return out

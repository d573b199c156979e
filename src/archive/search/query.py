"""The query a clerk types, read leniently, never handed to the engine's own parser.

``báo cáo "kế hoạch năm" -dự thảo quy*``: words (all must match), quoted phrases, ``-`` before a
word or phrase to leave it out, ``*`` at the end of a word for a prefix. Everything else is text:
an unclosed quote runs to the end, a lone ``-`` or ``*`` is ignored. What cannot be searched well
(too long, too many words, a prefix too short to be useful) is the project's ``InputError``
(field ``q``), the same code in the page and the API.
"""
import re
from dataclasses import dataclass, field

from ..errors import InputError
from ..i18n import _
from . import analysis

MAX_QUERY_CHARS = 500
MAX_CLAUSES = 16
MIN_PREFIX = 3                  # folded characters before a '*': "a*" would expand to everything

# Text fields: the folded ones (every query word) and the one with marks (boosted, exact words).
FOLDED = ('abstract', 'meta', 'content')
EXACT = 'abstract_x'

CLAUSE = re.compile(r'(-?)(?:"([^"]*)(?:"|$)|(\S+))')


def refuse(field, code, default, mapping=None):
    raise InputError([{'field': field, 'code': code, 'message': _(code, default=default, mapping=mapping)}])


# The clauses of a parsed query, plain values each engine turns into its own queries:
@dataclass(frozen=True)
class Word:
    """A folded term in any text field, or its form with marks (``marked``, None when the same)
    in the exact field."""
    term: str
    marked: str = None


@dataclass(frozen=True)
class AllOf:
    words: tuple          # of Word: a symbol typed with its parts gives several


@dataclass(frozen=True)
class Prefix:
    term: str             # folded, in any folded text field


@dataclass(frozen=True)
class Phrase:
    terms: tuple          # folded, in any folded text field
    marked: tuple = None  # with marks, in the exact field (None when the same)


@dataclass
class Parsed:
    must: list = field(default_factory=list)      # clauses, all required
    must_not: list = field(default_factory=list)  # clauses, none may match
    words: list = field(default_factory=list)     # folded terms, for highlighting

    @property
    def empty(self):
        return not self.must and not self.must_not


def _word_query(word):
    """One word: a prefix if it ends in '*', else each folded term in any text field, or the
    exact form (boosted by its field) in the abstract."""
    prefix = word.endswith('*')
    word = word.rstrip('*')
    terms = analysis.query_terms(word)
    if not terms:
        return None, []
    if prefix:
        if len(terms) > 1 or len(terms[0]) < MIN_PREFIX:
            refuse('q', 'search_prefix_short', 'Trước dấu * cần ít nhất ${n} chữ cái', {'n': MIN_PREFIX})
        return Prefix(terms[0]), terms
    marks = analysis.query_terms(word, keep_marks=True)
    words = tuple(Word(term, None if marked == term else marked) for term, marked in zip(terms, marks))
    return (words[0] if len(words) == 1 else AllOf(words)), terms


def _phrase_query(text):
    terms = analysis.query_terms(text)
    if not terms:
        return None, []
    if len(terms) == 1:
        return _word_query(text.replace('*', ''))
    marked = analysis.query_terms(text, keep_marks=True)
    return Phrase(tuple(terms), None if marked == terms else tuple(marked)), terms


def parse(text):
    """The clerk's query → ``Parsed``; ``InputError`` for what cannot be searched."""
    text = text or ''
    if len(text) > MAX_QUERY_CHARS:
        refuse('q', 'search_too_long', 'Câu tìm kiếm dài quá ${n} ký tự', {'n': MAX_QUERY_CHARS})
    parsed = Parsed()
    for match in CLAUSE.finditer(analysis.nfc(text)):
        negative, phrase, word = match.groups()
        if phrase is not None:
            q, terms = _phrase_query(phrase)
        else:
            q, terms = _word_query(word)
        if q is None:
            continue
        if negative:
            parsed.must_not.append(q)
        else:
            parsed.must.append(q)
            parsed.words.extend(terms)
        if len(parsed.must) + len(parsed.must_not) > MAX_CLAUSES:
            refuse('q', 'search_too_many_words', 'Câu tìm kiếm có quá ${n} từ', {'n': MAX_CLAUSES})
    return parsed

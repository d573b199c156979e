"""Number and symbol ("số và ký hiệu"): the Party form and the state form (EDXML.md).

Party form ``<number>-<type>/<issuer>``: ``917-TTr/VPTU``, ``02-QĐi/TU``.
State form ``<number>/<type>-<issuer>``: ``15/QĐ-BNV``; a công văn carries no type,
``05/BNV-VP`` (issuer-unit), and is read as type CV.
"""
import re
from dataclasses import dataclass

from .types import nfc

_SYMBOL = r'[^\s/]+'
PARTY = re.compile(rf'^(?P<number>\d{{1,11}})-(?P<type>[^\s/-]+)/(?P<issuer>{_SYMBOL})$')
STATE = re.compile(rf'^(?P<number>\d{{1,11}})/(?P<type>[^\s/-]+)-(?P<issuer>{_SYMBOL})$')


@dataclass(frozen=True)
class NumberSymbol:
    number: int
    type_abbr: str
    issuer: str
    form: str          # 'party' or 'state'
    text: str

    @property
    def notation(self):
        """edXML ``Code/CodeNotation``: what follows the number and its separator."""
        return self.text.split('-', 1)[1] if self.form == 'party' else self.text.split('/', 1)[1]


def parse(text, known_types=None):
    """Parse a number and symbol; ``None`` if it has neither form.

    In the state form the part before the dash is a type only if it is a known
    abbreviation; otherwise the document is a công văn whose symbol names issuer and unit.
    """
    text = nfc(text).strip()
    m = PARTY.match(text)
    if m:
        return NumberSymbol(int(m['number']), m['type'], m['issuer'], 'party', text)
    m = STATE.match(text)
    if m:
        if known_types is not None and m['type'] not in known_types:
            return NumberSymbol(int(m['number']), 'CV', text.split('/', 1)[1], 'state', text)
        return NumberSymbol(int(m['number']), m['type'], m['issuer'], 'state', text)
    return None

"""Bodies (cơ quan, đơn vị): a tree by parent code; closed, never deleted."""
from BTrees.OOBTree import OOBTree
from persistent import Persistent
from pyramid.authorization import Allow

from .. import clock
from .. import security as S
from ..text import sort_key
from .documents import Documents
from .folder import Folder


class Bodies(Folder):
    """Bodies keyed by identifier code."""

    def roots(self):
        return [b for b in self.values() if not b.parent_code or b.parent_code not in self]

    def children_of(self, code):
        return sorted((b for b in self.values() if b.parent_code == code), key=lambda b: sort_key(b.name))

    def subtree(self, code):
        """``code`` and every body code under it in the tree as it is now (a closed body too)."""
        children = {}
        for body in self.values():
            children.setdefault(body.parent_code, []).append(body.code)
        out, todo = [], [code]
        while todo:
            c = todo.pop()
            if c in out:
                continue
            out.append(c)
            todo.extend(sorted(children.get(c, ()), reverse=True))
        return out

    def tree(self):
        """``[(depth, body)]`` in tree order, for the page that shows the tree."""
        out = []

        def walk(body, depth):
            out.append((depth, body))
            for child in self.children_of(body.code):
                walk(child, depth + 1)
        for body in sorted(self.roots(), key=lambda b: sort_key(b.name)):
            walk(body, 0)
        return out


class Unit(Persistent):
    """An internal unit (phòng, ban) of a body, to which documents are passed."""

    def __init__(self, code, name):
        self.code = code
        self.name = name
        self.active = True


class Body(Persistent):
    office_of = None      # the committee whose statistics this office compiles (Art. 12), if any
    seal = None           # resources.seals.Seal: the organisation signature's image (services/seals.py)
    place_name = ''       # the place written before the date of issue ("Hà Nội, ngày ...")

    def __init__(self, code, name, symbol, kind='party', parent_code=None,
                 route='hosted', address='', valid_from=None):
        self.code = code
        self.name = name
        self.symbol = symbol
        self.kind = kind
        self.parent_code = parent_code or None
        self.route = route            # hosted | instance | email | axis
        self.address = address        # exchange URL, email address or axis id
        self.valid_from = valid_from or clock.today()
        self.valid_to = None
        self.successor_code = None
        self.units = OOBTree()        # unit code -> Unit
        self.certificates = OOBTree()  # fingerprint -> certificate record (signatures issue)
        self.registers = OOBTree()    # series key -> registers.Series
        self.documents = Documents()
        self.documents.__name__ = 'documents'
        self.documents.__parent__ = self

    @property
    def __acl__(self):
        code = self.code
        return [
            (Allow, S.org_role(code, S.CLERK), (S.LIST_DOCUMENTS, S.CREATE_DOCUMENT, S.CREATE_INCOMING,
                                                 S.MANAGE_REGISTERS, S.MANAGE_CERTIFICATES)),
            (Allow, S.org_role(code, S.LEADER), (S.LIST_DOCUMENTS, S.CREATE_DOCUMENT)),
            (Allow, S.org_role(code, S.PROCESSOR), (S.LIST_DOCUMENTS, S.CREATE_DOCUMENT)),
            (Allow, S.org_role(code, S.ARCHIVIST), S.LIST_DOCUMENTS),
            (Allow, S.org_principal(code), S.VIEW_CERTIFICATES),
        ]

    def __getitem__(self, name):
        if name == 'documents':
            return self.documents
        if name == 'records' and getattr(self, 'records', None) is not None:
            return self.records          # files, file plan, batches (archival/files.py)
        raise KeyError(name)

    def is_open(self, on=None):
        on = on or clock.today()
        return self.valid_to is None or on <= self.valid_to

    def close(self, on, successor_code=None):
        self.valid_to = on
        self.successor_code = successor_code or None

    def add_unit(self, code, name):
        if code in self.units:
            raise KeyError(code)
        self.units[code] = Unit(code, name)
        return self.units[code]

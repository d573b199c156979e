"""A body's records container (``body.records``): its file plan per year, its records files and
its disposition batches. The files and batches themselves, and what is done with them, are the
archival part's (``archival/files.py``, ``archival/batches.py``); the container is here, in the
model layer, so that bodies and evolve steps can make it."""
from BTrees.OOBTree import OOBTree, OOTreeSet
from persistent import Persistent
from pyramid.authorization import ALL_PERMISSIONS, Allow, Deny, Everyone

from .. import security as S


class Records(Persistent):
    """A body's file plan, files and disposition batches."""

    __name__ = 'records'
    __parent__ = None

    def __init__(self):
        self.plans = OOBTree()         # year -> OOBTree(code -> PlanEntry)
        self.files = OOBTree()         # name (a sequence number) -> RecordsFile
        self.by_document = OOBTree()   # document name -> file name
        self.batches = OOBTree()       # name (a sequence number) -> batches.Batch
        self.open = OOTreeSet()        # names of the open files (what a document can be filed into)
        self.due = OOTreeSet()         # (due date ordinal, name) of closed files kept for a number of years
        self.file_seq = 0
        self.batch_seq = 0

    @property
    def __acl__(self):
        code = self.__parent__.code
        return [
            (Allow, S.org_role(code, S.CLERK), (S.VIEW_FILES, S.MANAGE_FILES, S.FILE_DOCUMENTS)),
            (Allow, S.org_role(code, S.ARCHIVIST), (S.VIEW_FILES, S.MANAGE_FILES, S.FILE_DOCUMENTS,
                                                    S.MANAGE_BATCHES)),
            (Allow, S.org_role(code, S.LEADER), (S.VIEW_FILES, S.APPROVE_BATCHES)),
            (Allow, S.org_role(code, S.PROCESSOR), (S.VIEW_FILES, S.FILE_DOCUMENTS)),
            (Deny, Everyone, ALL_PERMISSIONS),
        ]

    def plan(self, year):
        """The plan entries of a year, by code."""
        return list(self.plans.get(year, {}).values())

    def add_file(self, f):
        self.file_seq += 1
        f.__name__ = str(self.file_seq)
        f.__parent__ = self
        self.files[f.__name__] = f
        self.index(f)
        return f

    def index(self, f, old_due=None):
        """File ``f`` under its state: open, or closed with the day its retention ends
        (``old_due``: the day it was filed under before, if any)."""
        if f.__name__ in self.open:
            self.open.remove(f.__name__)
        if old_due is not None and (old_due.toordinal(), f.__name__) in self.due:
            self.due.remove((old_due.toordinal(), f.__name__))
        if f.state == 'open':
            self.open.insert(f.__name__)
        elif f.state == 'closed' and f.due_on is not None:
            self.due.insert((f.due_on.toordinal(), f.__name__))

    def open_files(self):
        return [self.files[name] for name in self.open]

    def due_by(self, last_day):
        """Closed files whose retention ends on or before ``last_day``, soonest first."""
        return [self.files[name] for _day, name in self.due.keys(max=(last_day.toordinal(), '\uffff'))]

    def file_of(self, doc_name):
        name = self.by_document.get(doc_name)
        return self.files.get(name) if name is not None else None

    def files_newest_first(self):
        return sorted(self.files.values(), key=lambda f: (-f.year, f.code))


def records_of(body):
    """The body's records container, or None for a body stored before it had one and not yet
    evolved (nothing filed there yet)."""
    return getattr(body, 'records', None)


def ensure_records(body):
    """The body's records container, made on first need (new bodies, evolve step 0009)."""
    records = records_of(body)
    if records is None:
        records = body.records = Records()
        records.__parent__ = body
    return records

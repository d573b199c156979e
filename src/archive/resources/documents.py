"""Documents of a body, their revisions and files.

A document's fields are attributes named as in ``schemas.document``; every change
makes a ``Revision`` holding the values as they then were, so earlier revisions
stay readable. Access comes from the ACL built here from the document itself; ``access``
reduces it to the one decision of who may see it.
"""
import uuid

from BTrees.IOBTree import IOBTree
from BTrees.OOBTree import OOBTree, OOTreeSet
from persistent import Persistent
from pyramid.authorization import ALL_PERMISSIONS, Allow, Deny, Everyone

from .. import clock
from .. import security as S
from ..reports.counters import deadline_moved
from ..schemas.document import FIELDS
from ..schemas.symbol import parse as parse_symbol
from ..workflow.states import state_aces, state_data
from . import access
from . import summary
from .files import MAIN
from .folder import Folder
from .folder import find_root



URGENCY_RANK = {'hoa_toc_hen_gio': 0, 'hoa_toc': 1, 'thuong_khan': 2, 'khan': 3, 'normal': 4}


def letter_key(direction, organ_id, number_symbol, issued_date):
    """What names one letter (văn bản) among those taken in: its issuer, its number and symbol and
    its date of issue; ``None`` for an outgoing document or one without a number."""
    if direction != 'incoming' or not number_symbol or not organ_id:
        return None
    return (organ_id, ''.join(number_symbol.split()).casefold(),
            issued_date.isoformat() if issued_date else '')


class Documents(Folder):
    """A body's documents, with the indexes its lists need so that a page loads only what it shows:
    by date (newest first), by state with urgency and age (desks), and the Mật ones (access)."""

    by_deadline = None               # stored before the statistics issue: built by evolve step 0010
    letters = None               # evolve 0013: databases made before it get theirs then
    summaries = None             # name -> ExportSummary (``resources.summary``); evolve 0025

    def __init__(self):
        super().__init__()
        self.by_date = OOBTree()     # (-epoch seconds, name) -> None
        self.by_state = OOBTree()    # (direction, state) -> OOBTree(name -> Filed)
        self.secret = OOTreeSet()    # names of Mật documents
        self.by_deadline = OOTreeSet()   # (deadline ordinal, name) of documents whose deadline runs
        self.letters = OOBTree()     # letter_key -> OOTreeSet(names): incoming ones, to find one taken in twice
        self.summaries = OOBTree()   # name -> ExportSummary: what a transfer package writes of it

    def index(self, doc):
        self.by_date[doc.sort_key()] = None
        if doc.classification == 'mat':
            self.secret.insert(doc.__name__)
        else:
            self.secret.remove(doc.__name__) if doc.__name__ in self.secret else None
        key = letter_key(doc.direction, doc.organ_id, doc.number_symbol, doc.issued_date)
        if key is not None and self.letters is not None:
            names = self.letters.get(key)
            if names is None:
                names = self.letters[key] = OOTreeSet()
            names.insert(doc.__name__)

    def same_letter(self, organ_id, number_symbol, issued_date):
        """The incoming documents already taken in with this issuer, number and symbol, and date
        (an entry left by a later correction is checked against the document itself)."""
        key = letter_key('incoming', organ_id, number_symbol, issued_date)
        if key is None or self.letters is None:
            return []
        found = (self.get(name) for name in self.letters.get(key, ()))
        return [d for d in found if d is not None and state_data(d).get('held') != 'false'   # workflows/*.zcml
                and letter_key(d.direction, d.organ_id, d.number_symbol, d.issued_date) == key]

    def unindex(self, key):
        self.by_date.pop(key, None)

    def index_state(self, doc, old_state=None):
        """(Re)file the document under its state, with what the desks sort by. Urgent ones
        are also filed under ``(direction, state, 'urgent')``, a small tree the lists read. One
        whose deadline runs in its state is also in ``by_deadline`` (the statistics read the
        documents still open past their deadline from it)."""
        old_deadlines = set()
        for state in {old_state, doc.state} - {None}:
            for key in ((doc.direction, state), (doc.direction, state, 'urgent')):
                names = self.by_state.get(key)
                if names is not None:
                    old = names.pop(doc.__name__, None)
                    if old is not None and old[2] is not None:
                        old_deadlines.add(old[2])
        value = (URGENCY_RANK.get(doc.urgency, 9), -doc.sort_key()[0],
                 doc.deadline.toordinal() if doc.deadline else None, doc.main_processor)
        if self.by_deadline is not None:
            for ordinal in old_deadlines - {value[2]}:
                if (ordinal, doc.__name__) in self.by_deadline:
                    self.by_deadline.remove((ordinal, doc.__name__))
                    self._deadline_moved(doc, ordinal, -1)
            if value[2] is not None:
                if state_data(doc).get('deadline_runs'):
                    if self.by_deadline.insert((value[2], doc.__name__)):
                        self._deadline_moved(doc, value[2], 1)
                elif (value[2], doc.__name__) in self.by_deadline:
                    self.by_deadline.remove((value[2], doc.__name__))
                    self._deadline_moved(doc, value[2], -1)
        keys = [(doc.direction, doc.state)]
        if value[0] < URGENCY_RANK['normal']:
            keys.append((doc.direction, doc.state, 'urgent'))
        for key in keys:
            names = self.by_state.get(key)
            if names is None:
                names = self.by_state[key] = OOBTree()
            names[doc.__name__] = value

    def _deadline_moved(self, doc, ordinal, n):
        """The statistics count the documents whose deadline runs by day (``reports.rollups``)."""
        root = self
        while getattr(root, '__parent__', None) is not None:
            root = root.__parent__
        deadline_moved(root, doc.body_code, ordinal, n)

    def filed(self, direction, state, urgent_only=False):
        """``[(name, (urgency rank, epoch, deadline ordinal, main processor))]``, most urgent,
        then oldest."""
        names = self.by_state.get((direction, state, 'urgent') if urgent_only else (direction, state))
        if names is None:
            return []
        return sorted(names.items(), key=lambda item: item[1][:2])

    def in_state(self, direction, state, urgent_only=False):
        """The documents in a state, most urgent first, then oldest (loaded one by one, lazily)."""
        for name, _value in self.filed(direction, state, urgent_only):
            yield self[name]

    def newest_first(self):
        """Names of the documents, newest first (lazy: a page reads only what it shows)."""
        for _key, name in self.by_date.keys():
            yield name

    def new_name(self):
        return uuid.uuid4().hex


class Revision(Persistent):
    def __init__(self, number, at, actor, changed, values, files):
        self.number = number
        self.at = at
        self.actor = actor
        self.changed = tuple(changed)
        self.values = values          # field -> value, as the revision had them
        self.files = tuple(files)     # (file name, filename, sha256)


class Document(Persistent):
    direction = 'incoming'
    classification = 'thuong'
    urgency = 'normal'
    state = None                      # processing status (repoze.workflow's state_attr)
    main_processor = None             # login of the người chủ trì
    co_processors = ()                # logins of the người phối hợp
    info_units = ()                   # units that receive it for information (để biết)
    instruction = None                # the leader's bút phê
    register_number = None            # số đến, or the outgoing number
    register_series = None            # the series key it was taken in
    signed_at = None                  # outgoing: the organisation's signature
    approval_signed = None            # outgoing: whether the leader's approval was signed
    approval_signed_at = None
    approval_certs = ()               # outgoing: fingerprints of the approvers' personal certificates
    org_signature = None              # outgoing: {file, sha256, fingerprint, signed_at}
    origin_verdict = None             # 'not_verified' until the signatures issue checks origins
    origin_checked_at = None
    origin_checks = ()                # every check of its origin as journaled: (at, status, code, file, sha256);
                                      # kept here so that a transfer package reads them with the document
    registered_at = None
    assigned_at = None
    completed_at = None
    reply = None                      # (body code, document name) of the reply (ResponseFor)
    send_to = None                    # outgoing: identifier codes of the electronic receivers
    exchange = None                   # received by exchange: {document_id, sender, sha256, deviations, route}
    document_id = None                # outgoing, once sent: the edXML DocumentId its packages carry
    replaces = None                   # the document (name) this one replaces (edXML type 3)
    paper_category = None             # outgoing: the Art. 8 category (sent electronically and on paper)
    replaced_by = None                # the document (name) that replaced this one
    stats_dims = None                 # (doc_type, urgent) its statistics are counted under (reports.counters)
    listed_files = None               # its files in the order they were added, kept beside their tree by
                                      # ``add_file``/``remove_file``: listing them loads no tree (a transfer
                                      # export lists 10,000); None (before evolve step 0020): read the tree

    def __init__(self, body_code, created_by):
        self.body_code = body_code
        self.created_at = clock.now()
        self.created_by = created_by
        self.modified_at = self.created_at
        # a new object is stored whole when first committed: its fields need no watched assignment
        self.__dict__.update({name: getattr(type(self), name, None) for name in FIELDS})
        self.files = OOBTree()
        self.listed_files = ()
        self.main_file = None
        self._file_seq = 0
        self.revisions = IOBTree()
        self.parsed = None

    def __setattr__(self, name, value):
        """An assignment of a value a transfer package writes keeps the document's export summary
        current (``resources.summary``: the one place it is kept)."""
        super().__setattr__(name, value)
        if name in summary.DOCUMENT_WATCHED and '__parent__' in self.__dict__:    # added to its folder
            summary.due(self)

    # -- identity and access -------------------------------------------------
    @property
    def chain_id(self):
        """The journal chain of this document."""
        return f'doc:{self.__name__}'

    def readers(self):
        """For a Mật document: the people named on it and the one who entered it."""
        return sorted(set(self.named_people or ()) | {self.created_by})

    @property
    def __acl__(self):
        code = self.body_code
        if self.classification == 'mat':
            # Mật: the people named on it, nobody else, whatever their role; never an
            # administrator, even one named (separation of duties: administrators see no documents).
            acl = [(Deny, 'role:' + S.ADMIN, ALL_PERMISSIONS)]
            acl.extend((Allow, f'u:{login}', (S.VIEW, S.EDIT)) for login in self.readers())
        else:
            acl = access.body_grants(code) + [(Allow, f'u:{self.created_by}', (S.VIEW, S.EDIT))]
            if self.holder_unit:
                acl.append((Allow, S.unit_principal(code, self.holder_unit), S.VIEW))
        root = find_root(self)
        acl.extend(state_aces(self, root['users'] if 'users' in root else {}))
        acl.append((Deny, Everyone, ALL_PERMISSIONS))
        return acl

    # -- fields --------------------------------------------------------------
    def values(self):
        return {name: getattr(self, name) for name in FIELDS}

    def apply(self, appstruct, known_types):
        """Set the fields; return the names that changed."""
        changed = [n for n in FIELDS if n in appstruct and appstruct[n] != getattr(self, n)]
        for name in changed:
            setattr(self, name, appstruct[name])
        self.parsed = parse_symbol(self.number_symbol, known_types) if self.number_symbol else None
        return changed

    def sort_key(self):
        when = self.received_at or self.sent_at or self.created_at
        return (-int(when.timestamp()), self.__name__)

    def __getitem__(self, name):
        """Traversal reaches the files: ``.../documents/<id>/<file name>``."""
        return self.files[name]

    @property
    def urgent(self):
        return URGENCY_RANK.get(self.urgency, 9) < URGENCY_RANK['normal']

    # -- files ---------------------------------------------------------------
    def add_file(self, f):
        listed = self.file_list()
        self._file_seq += 1
        name = str(self._file_seq)
        f.__name__ = name
        f.__parent__ = self
        self.files[name] = f
        self.listed_files = (*listed, f)
        if f.role == MAIN:
            self.main_file = name
        return name

    def remove_file(self, name):
        """Take a file off the document (its content destroyed at the end of its retention)."""
        del self.files[name]
        self.listed_files = tuple(f for f in self.file_list() if f.__name__ != name)

    def file_list(self):
        """The files in the order they were added (names are sequence numbers)."""
        if self.listed_files is not None:
            return list(self.listed_files)
        return sorted(self.files.values(), key=lambda f: int(f.__name__))

    def note_origin_check(self, at, status, code, file, sha256):
        """Keep a signature check beside the verdict, as its journal entry says it (``at``: the entry's
        time): the transfer package's PREMIS events then come with the document, not its journal."""
        self.origin_checks = tuple(self.origin_checks) + ((at, status, code, file, sha256),)

    def keep_summary(self):
        """A file of it changed a value its export summary holds (``File.__setattr__``)."""
        self._p_activate()
        if '__parent__' in self.__dict__:
            summary.keep(self)

    def file_refs(self):
        return [(f.__name__, f.filename, f.sha256) for f in self.file_list()]

    # -- revisions -----------------------------------------------------------
    def record_revision(self, actor, changed):
        number = len(self.revisions) + 1
        self.revisions[number] = Revision(number, clock.now(), actor, changed,
                                          self.values(), self.file_refs())
        self.modified_at = clock.now()
        return number

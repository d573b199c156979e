"""People: one body, optionally one unit, some roles; passwords hashed with argon2."""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from BTrees.OOBTree import OOBTree
from persistent import Persistent
from pyramid.authorization import Allow, DENY_ALL

from .. import security as S
from .folder import Folder

_hasher = PasswordHasher()
_dummy = []   # a hash made on first need, checked against when the login is unknown


def configure_hasher(time_cost, memory_kib):
    """Set argon2id's cost for the passwords hashed from now on (``archive.password_time_cost``,
    ``archive.password_memory_kib``; ``main()`` calls it). A stored hash carries its own
    parameters, so older hashes still verify (and are rehashed at the next good login)."""
    global _hasher
    if (_hasher.time_cost, _hasher.memory_cost) != (time_cost, memory_kib):
        _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
        _dummy.clear()


class Users(Folder):
    __acl__ = [(Allow, 'role:' + S.ADMIN, S.MANAGE), DENY_ALL]


class User(Persistent):
    # What a person chooses on their own page (/me, views/account.py); class defaults, so users
    # stored before need no evolve step
    email = ''                  # where their notifications go ('' = none)
    mail_digest = False         # a daily digest of what waits for them (archive.notify_mail)
    mail_assigned = True        # a mail when something is assigned to them (archive.notify_mail)
    must_change_password = False    # an administrator reset the password: the user sets their own first

    def __init__(self, login, full_name, body_code, roles, unit_code=None, position=''):
        self.login = login
        self.full_name = full_name
        self.body_code = body_code
        self.unit_code = unit_code or None
        self.roles = tuple(roles)
        self.position = position
        self.active = True
        self.password_hash = None
        self.tokens = OOBTree()  # sha256 -> {'label', 'created_at'}

    def set_password(self, password):
        self.password_hash = _hasher.hash(password)

    def check_password(self, password):
        if not self.password_hash:
            return False
        try:
            ok = _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        if ok and _hasher.check_needs_rehash(self.password_hash):
            self.password_hash = _hasher.hash(password)
        return ok

    def has_role(self, role):
        return role in self.roles


def burn_time(password):
    """Spend a password check's time for an unknown login, so that a wrong login costs
    the same as a wrong password."""
    if not _dummy:
        _dummy.append(_hasher.hash('not-a-password'))
    try:
        _hasher.verify(_dummy[0], password)
    except VerificationError:
        pass

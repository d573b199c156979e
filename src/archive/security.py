"""Roles, permissions and principals (the bottom layer; the Pyramid policy is ``views/policy.py``).

Principals: ``u:<login>``, ``role:<role>``, ``org:<code>``, ``orgrole:<code>:<role>``
and ``unit:<code>/<unit>``. Resources carry ACLs built from these; permissions
are the named constants below and nothing else.
"""
import hashlib
import secrets

from pyramid.authorization import ACLHelper, Authenticated, Everyone

from .i18n import _

# Roles (DOMAIN.md, "The people who use it").
CLERK = 'clerk'
LEADER = 'leader'
PROCESSOR = 'processor'
ARCHIVIST = 'archivist'
ADMIN = 'admin'
ROLES = (CLERK, LEADER, PROCESSOR, ARCHIVIST, ADMIN)
ROLE_TITLES = {
    CLERK: _('role_clerk', default='Văn thư'),
    LEADER: _('role_leader', default='Lãnh đạo'),
    PROCESSOR: _('role_processor', default='Chuyên viên'),
    ARCHIVIST: _('role_archivist', default='Lưu trữ viên'),
    ADMIN: _('role_admin', default='Quản trị hệ thống'),
}

# Permissions.
VIEW_BODIES = 'view-bodies'          # the tree of bodies, a body's public card
LIST_DOCUMENTS = 'list-documents'    # a body's document list (trimmed per document)
CREATE_DOCUMENT = 'create-document'   # the form; then by direction:
CREATE_INCOMING = 'create-incoming'   # intake: the clerk
VIEW = 'view'                        # a document, its files, revisions and history
EDIT = 'edit'
MANAGE = 'manage'                    # bodies, units, users
MANAGE_REGISTERS = 'manage-registers'  # void a number taken by mistake (the clerk)
VIEW_CERTIFICATES = 'view-certificates'      # a body's certificates (Art. 14.3): its own people
MANAGE_CERTIFICATES = 'manage-certificates'  # register one: the body's clerk, administrators
# Records files, retention and disposition (archival/files.py, archival/batches.py)
VIEW_FILES = 'view-files'            # a body's records files (hồ sơ) and file plan
MANAGE_FILES = 'manage-files'        # the file plan; open, close, keep any file: archivist, clerk
FILE_DOCUMENTS = 'file-documents'    # put a document into a file: clerk, processor, archivist
MANAGE_BATCHES = 'manage-batches'    # transfer and destruction batches: the archivist
APPROVE_BATCHES = 'approve-batches'  # approve or return a batch: the leader


def org_principal(code):
    return f'org:{code}'


def org_role(code, role):
    return f'orgrole:{code}:{role}'


def unit_principal(code, unit):
    return f'unit:{code}/{unit}'


def user_principals(user):
    """The principals a user holds, beside Everyone and Authenticated."""
    found = [f'u:{user.login}', org_principal(user.body_code)]
    for role in user.roles:
        found.append(f'role:{role}')
        found.append(org_role(user.body_code, role))
    if user.unit_code:
        found.append(unit_principal(user.body_code, user.unit_code))
    return found


def principals_of(user):
    principals = [Everyone]
    if user is not None:
        principals.append(Authenticated)
        principals.extend(user_principals(user))
    return principals


def permits(user, context, permission):
    """The same answer as ``request.has_permission``, for scripts and workers without a request."""
    return ACLHelper().permits(context, principals_of(user), permission)


def hash_token(token):
    """API tokens are stored as their SHA-256: high-entropy, so no slow hash is needed."""
    return hashlib.sha256(token.encode('ascii')).hexdigest()


def new_token():
    return 'arch_' + secrets.token_urlsafe(32)

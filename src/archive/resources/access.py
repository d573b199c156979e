"""Who may see a document: the one decision, read from what the document's ACL grants.

Pages and the API (through the security policy), lists, desks, registers and the search index
all ask here. The ACL (``Document.__acl__``) stays the statement of access; this module reduces it
to two sets of principals, so that a question about many documents (a search, a list) is a set
intersection, and the index can store the same sets:

- ``allowed``: principals an ACE grants ``view`` to;
- ``denied``: principals an ACE refuses ``view`` to before any grant (a Mật document refuses
  administrators first).

A set of principals may see the document when it holds an allowed principal and no denied one.
The ACLs built in ``resources/documents.py`` put every refusal before every grant, ending with
"deny everyone", which makes this the same answer as Pyramid's ACL walk (a test checks it on the
demo data for every user and document).
"""
from pyramid.authorization import ALL_PERMISSIONS, Allow, Deny, Everyone

from .. import security as S

# The roles of a body that see every document of it but the Mật ones (the ACL grants them view).
WHOLE_BODY_ROLES = (S.CLERK, S.LEADER, S.ARCHIVIST)


def _grants_view(perms):
    if perms is ALL_PERMISSIONS:
        return True
    if isinstance(perms, str):
        return perms == S.VIEW
    return S.VIEW in perms


def viewers(doc):
    """``(allowed, denied)``: frozensets of principals, from the document's ACL."""
    allowed, denied = set(), set()
    for action, principal, perms in doc.__acl__:
        if not _grants_view(perms):
            continue
        if action == Allow:
            if principal not in denied:
                allowed.add(principal)
        elif action == Deny:
            if principal == Everyone:
                break
            if principal not in allowed:
                denied.add(principal)
    return frozenset(allowed), frozenset(denied)


def may_see(principals, doc):
    """Whether a holder of ``principals`` (``security.principals_of(user)``) may see ``doc``."""
    allowed, denied = viewers(doc)
    principals = set(principals)
    return not (principals & denied) and bool(principals & allowed)


def user_may_see(user, doc):
    return may_see(S.principals_of(user), doc)


def reads_whole_body(principals, body_code):
    """Whether these principals see every non-Mật document of the body (lists skip the check)."""
    return any(S.org_role(body_code, role) in principals for role in WHOLE_BODY_ROLES)


def body_grants(body_code):
    """The principals a non-Mật document of the body grants ``view`` and ``edit`` (used by its ACL)."""
    return [(Allow, S.org_role(body_code, S.CLERK), (S.VIEW, S.EDIT))] + [
        (Allow, S.org_role(body_code, role), S.VIEW) for role in WHOLE_BODY_ROLES if role != S.CLERK]


# -- statistics (Art. 12) -------------------------------------------------------------------

# The roles that read the statistics of their body's subtree: its clerks and leaders.
STATISTICS_ROLES = (S.CLERK, S.LEADER)


def statistics_root(bodies, user):
    """The body whose subtree ``user`` may see the figures of, or None: none at all. A clerk or
    leader sees their body's subtree; the office of a committee (a body whose ``office_of`` names
    the committee, as the city office for the city committee) the committee's. The statistics
    pages and API (``reports.figures``) and the menu's "Thống kê" link ask here."""
    body = bodies.get(user.body_code) if user is not None else None
    if body is None or not any(user.has_role(r) for r in STATISTICS_ROLES):
        return None
    office_of = getattr(body, 'office_of', None)
    return office_of if office_of in bodies else body.code

"""Who may read a Mật document, and who may widen that circle (Art. 5.1): one decision for the
form, the API, the assignment and the receiving path.

A Mật document is read only by the people named on it (and the one who entered it). Naming
people when the document is entered, or when it is raised to Mật, narrows who reads it; adding
someone to a document that is already Mật widens it, and that is for the holding body's clerk or
one of its leaders only, with a reason, journaled (``readers_added``). Whoever names them, the
people named are active people of the holding body and never an administrator (administrators
manage accounts and see no documents). Someone of another body never reads this body's copy: a
Mật document sent to another body is read there from that body's own copy, by its own people.
"""
from .. import audit, search
from .. import security as S
from ..errors import Forbidden, merge, single
from ..i18n import _

FIELD = 'named_people'
REASON_FIELD = 'readers_reason'
WIDENERS = (S.CLERK, S.LEADER)
REASON_MAX = 1000


def person_problems(root, body_code, logins, field=FIELD):
    """``colander.Invalid`` for each login that may not be named on a Mật document of ``body_code``."""
    problems = []
    for login in logins:
        user = root['users'].get(login)
        if user is None or user.body_code != body_code or not user.active:
            problems.append(single(field, _(
                'person_unknown', default='"${login}" không phải người của cơ quan này',
                mapping={'login': login})))
        elif user.has_role(S.ADMIN):
            problems.append(single(field, _(
                'reader_is_admin', default='"${login}" là quản trị hệ thống: không được xem văn bản',
                mapping={'login': login})))
    return problems


def may_widen(user, doc):
    """The holding body's clerk or one of its leaders, who is not also an administrator."""
    return (user is not None and user.active and user.body_code == doc.body_code
            and not user.has_role(S.ADMIN) and any(user.has_role(r) for r in WIDENERS))


def added_by(doc, logins):
    """The people in ``logins`` who do not read ``doc`` today, in the order given."""
    current = set(doc.readers())
    return [login for login in dict.fromkeys(logins or ()) if login not in current]


def check(root, doc, user, logins, reason, field=FIELD, reason_field=REASON_FIELD):
    """The people ``logins`` would add to the readers of the Mật ``doc``; raises ``Forbidden``
    when ``user`` may not widen them, ``colander.Invalid`` naming the field for a person who may
    not be named or a missing reason. Nothing is changed."""
    added = added_by(doc, logins)
    if not added:
        return []
    if not may_widen(user, doc):
        raise Forbidden(_('readers_widen_forbidden',
                          default='Chỉ văn thư hoặc lãnh đạo của cơ quan giữ văn bản được thêm người xem văn bản Mật'))
    problems = person_problems(root, doc.body_code, added, field)
    reason = reason.strip() if isinstance(reason, str) else ''
    if not reason:
        problems.append(single(reason_field, _(
            'readers_reason_required', default='Ghi lý do thêm người được xem văn bản Mật')))
    elif len(reason) > REASON_MAX:
        problems.append(single(reason_field, _(
            'readers_reason_too_long', default='Lý do dài quá ${max} ký tự', mapping={'max': REASON_MAX})))
    if problems:
        raise merge(problems)
    return added


def widen(root, doc, user, logins, reason, field=FIELD, reason_field=REASON_FIELD):
    """Add ``logins`` to the readers of the Mật ``doc`` after ``check``; journal who, whom and why."""
    added = check(root, doc, user, logins, reason, field, reason_field)
    if added:
        doc.named_people = sorted(set(doc.named_people or ()) | set(added))
        search.enqueue(root, doc)               # its readers are who may find it
        audit.append(root, doc.chain_id, 'readers_added', user.login, people=added, reason=reason.strip())
    return added

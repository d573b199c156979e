"""The archivist's desk (and the leader's batches to approve): files due for appraisal, batches in
progress, transfers awaiting the archive's confirmation."""
from .. import security as S
from . import batches as B
from . import files as F


def desk_of(records, user, today, horizon_days):
    """``{due, in_progress, awaiting_confirmation, to_approve, archivist}`` for this user, or None
    when none of it concerns them (not an archivist nor a leader of the body); ``archivist``: whether
    the first three are theirs (a leader's desk shows only the batches to approve)."""
    archivist, leader = user.has_role(S.ARCHIVIST), user.has_role(S.LEADER)
    if records is None or not (archivist or leader):
        return None
    progress = B.in_progress(records)
    out = {'due': [], 'in_progress': [], 'awaiting_confirmation': [], 'archivist': archivist,
           'to_approve': [b for b in progress if b.state == B.SUBMITTED] if leader else []}
    if archivist:
        out['due'] = [f for f in F.due_for_appraisal(records, today, horizon_days) if f.batch is None and not f.kept]
        out['in_progress'] = [b for b in progress if b.state != B.EXPORTED]
        out['awaiting_confirmation'] = [b for b in progress if b.state == B.EXPORTED]
    return out


def as_json(desk):
    return {'due': [F.as_json(f) for f in desk['due']],
            **{k: [B.as_json(b) for b in desk[k]] for k in ('in_progress', 'awaiting_confirmation', 'to_approve')}}

"""Recall (Art. 10.2), the receiving half: a verified recall fires the receiver's own
"recall" transition (whose callback destroys the copy, ``recall.destroy``), or answers 16 when
the copy's state has no such transition."""
from .. import outbox
from ..workflow.engine import fire
from ..workflow.states import transitions_of

RECALL_ACTION = 'recall'


def can_be_recalled(root, doc):
    return any(t['from_state'] == doc.state and t.get('action') == RECALL_ACTION
               for t in transitions_of(doc))


def receive_recall(root, body, doc, package, actor):
    """Apply a verified recall to the receiver's copy; what happened, for the receipt."""
    reason = package.business.reason
    if not can_be_recalled(root, doc):
        outbox.queue_status(root, doc, '16', actor,
                            f'Không thu hồi được: văn bản đang ở trạng thái "{doc.state}" (lý do thu hồi: {reason})')
        return 'refused_automatically'
    fire(root, doc, RECALL_ACTION, actor, data={'reason': reason}, system=True)
    return 'taken_back'

"""The workflows' state and action titles as message ids, so that the pages show them in the
reader's language: ``workflows/*.zcml`` gives the Vietnamese title (the default here; a test keeps
the two the same), the English catalog its translation. Keyed by (workflow type, name)."""
from ..i18n import _

STATES = {
    ('incoming', 'arrived'): _('wf_incoming_state_arrived', default='Đã đến'),
    ('incoming', 'registered'): _('wf_incoming_state_registered', default='Đã tiếp nhận'),
    ('incoming', 'assigned'): _('wf_incoming_state_assigned', default='Đã chuyển xử lý'),
    ('incoming', 'processing'): _('wf_incoming_state_processing', default='Đang xử lý'),
    ('incoming', 'completed'): _('wf_incoming_state_completed', default='Đã hoàn thành'),
    ('incoming', 'refused'): _('wf_incoming_state_refused', default='Từ chối nhận / trả lại'),
    ('incoming', 'recalled'): _('wf_incoming_state_recalled', default='Thu hồi'),
    ('incoming', 'destroyed'): _('wf_incoming_state_destroyed', default='Đã hủy theo yêu cầu thu hồi'),
    ('incoming', 'deleted'): _('wf_incoming_state_deleted', default='Đã xóa'),
    ('outgoing', 'draft'): _('wf_outgoing_state_draft', default='Dự thảo'),
    ('outgoing', 'submitted'): _('wf_outgoing_state_submitted', default='Trình ký'),
    ('outgoing', 'approved'): _('wf_outgoing_state_approved', default='Đã duyệt'),
    ('outgoing', 'numbered'): _('wf_outgoing_state_numbered', default='Đã cấp số'),
    ('outgoing', 'signed'): _('wf_outgoing_state_signed', default='Đã ký số'),
    ('outgoing', 'sent'): _('wf_outgoing_state_sent', default='Đã gửi'),
    ('outgoing', 'recalled'): _('wf_outgoing_state_recalled', default='Đã thu hồi'),
}

TRANSITIONS = {
    ('incoming', 'register'): _('wf_incoming_register', default='Vào sổ văn bản đến'),
    ('incoming', 'refuse_arrived'): _('wf_incoming_refuse_arrived', default='Từ chối nhận'),
    ('incoming', 'refuse_registered'): _('wf_incoming_refuse_registered', default='Trả lại'),
    ('incoming', 'assign'): _('wf_incoming_assign', default='Phân công xử lý'),
    ('incoming', 'reassign'): _('wf_incoming_reassign', default='Phân công lại'),
    ('incoming', 'start'): _('wf_incoming_start', default='Bắt đầu xử lý'),
    ('incoming', 'return_assigned'): _('wf_incoming_return_assigned', default='Trả lại để phân công lại'),
    ('incoming', 'return_processing'): _('wf_incoming_return_processing', default='Trả lại để phân công lại'),
    ('incoming', 'extend_assigned'): _('wf_incoming_extend_assigned', default='Gia hạn xử lý'),
    ('incoming', 'extend_processing'): _('wf_incoming_extend_processing', default='Gia hạn xử lý'),
    ('incoming', 'complete'): _('wf_incoming_complete', default='Hoàn thành'),
    ('incoming', 'forward'): _('wf_incoming_forward', default='Chuyển tiếp cho cơ quan khác'),
    ('incoming', 'recall_arrived'): _('wf_incoming_recall_arrived', default='Thu hồi'),
    ('incoming', 'recall_registered'): _('wf_incoming_recall_registered', default='Thu hồi'),
    ('incoming', 'recall_assigned'): _('wf_incoming_recall_assigned', default='Thu hồi'),
    ('incoming', 'recall_processing'): _('wf_incoming_recall_processing', default='Thu hồi'),
    ('incoming', 'delete_arrived'): _('wf_incoming_delete_arrived', default='Xóa'),
    ('incoming', 'delete_registered'): _('wf_incoming_delete_registered', default='Xóa'),
    ('incoming', 'delete_assigned'): _('wf_incoming_delete_assigned', default='Xóa'),
    ('incoming', 'delete_processing'): _('wf_incoming_delete_processing', default='Xóa'),
    ('incoming', 'delete_recalled'): _('wf_incoming_delete_recalled', default='Hủy bản đã thu hồi'),
    ('incoming', 'keep_arrived'): _('wf_incoming_keep_arrived', default='Từ chối thu hồi'),
    ('incoming', 'keep_registered'): _('wf_incoming_keep_registered', default='Từ chối thu hồi'),
    ('incoming', 'keep_assigned'): _('wf_incoming_keep_assigned', default='Từ chối thu hồi'),
    ('incoming', 'keep_processing'): _('wf_incoming_keep_processing', default='Từ chối thu hồi'),
    ('outgoing', 'submit'): _('wf_outgoing_submit', default='Trình duyệt'),
    ('outgoing', 'approve'): _('wf_outgoing_approve', default='Duyệt'),
    ('outgoing', 'return_submitted'): _('wf_outgoing_return_submitted', default='Trả lại để sửa'),
    ('outgoing', 'return_approved'): _('wf_outgoing_return_approved', default='Trả lại để sửa'),
    ('outgoing', 'number'): _('wf_outgoing_number', default='Cấp số'),
    ('outgoing', 'void'): _('wf_outgoing_void', default='Hủy số đã cấp'),
    ('outgoing', 'sign'): _('wf_outgoing_sign', default='Ký số của cơ quan'),
    ('outgoing', 'send'): _('wf_outgoing_send', default='Gửi'),
    ('outgoing', 'update'): _('wf_outgoing_update', default='Cập nhật, đính chính'),
    ('outgoing', 'recall'): _('wf_outgoing_recall', default='Thu hồi'),
}


def state_title(doc, registry):
    """The document's state, as a message (the ZCML title when this table lacks it)."""
    from ..workflow.states import state_data
    return STATES.get((doc.direction, doc.state)) or state_data(doc, registry).get('title') or doc.state or ''


def transition_title(doc, action, registry, transition=None):
    """An action's title as a message: of the named transition, else of the one that leaves the
    document's state, else of any with that action; ``None`` for an action of no workflow."""
    from ..workflow.states import transitions_of
    found = [t for t in transitions_of(doc, registry) if t.get('action', t['name']) == action]
    if transition is not None:
        found = [t for t in found if t['name'] == transition] or found
    found.sort(key=lambda t: t['from_state'] != doc.state)
    for t in found:
        if t.get('title'):
            return TRANSITIONS.get((doc.direction, t['name'])) or t['title']
    return None

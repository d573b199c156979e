"""Fixed vocabularies of Art. 11 with their edXML codes and Vietnamese names."""
from ..i18n import _

DIRECTIONS = {
    'incoming': _('direction_incoming', default='Văn bản đến'),
    'outgoing': _('direction_outgoing', default='Văn bản đi'),
}

# Urgency, with the edXML OtherInfo/Priority code (EDXML.md, [S]).
URGENCIES = {
    'normal': _('urgency_normal', default='Thường'),
    'khan': _('urgency_khan', default='Khẩn'),
    'thuong_khan': _('urgency_thuong_khan', default='Thượng khẩn'),
    'hoa_toc': _('urgency_hoa_toc', default='Hỏa tốc'),
    'hoa_toc_hen_gio': _('urgency_hoa_toc_hen_gio', default='Hỏa tốc hẹn giờ'),
}
PRIORITY_CODES = {'normal': 0, 'khan': 1, 'thuong_khan': 2, 'hoa_toc': 3, 'hoa_toc_hen_gio': 4}

# Security classification (Art. 5.1). Only the first two may enter the system.
CLASSIFICATIONS = {
    'thuong': _('classification_thuong', default='Không mật'),
    'mat': _('classification_mat', default='Mật'),
}
REFUSED_CLASSIFICATIONS = {
    'toi_mat': _('classification_toi_mat', default='Tối mật'),
    'tuyet_mat': _('classification_tuyet_mat', default='Tuyệt mật'),
}

COMPETENCES = {
    'T/M': 'T/M', 'K/T': 'K/T', 'T/L': 'T/L', 'T.U.Q': 'T.U.Q', 'Q.': 'Q.',
}

CHANNELS = {
    'electronic': _('channel_electronic', default='Điện tử'),
    'paper': _('channel_paper', default='Giấy (bưu chính)'),
    'hand': _('channel_hand', default='Giao trực tiếp'),
    'email': _('channel_email', default='Thư điện tử'),
}

BODY_KINDS = {
    'party': _('kind_party', default='Cơ quan đảng'),
    'state': _('kind_state', default='Cơ quan nhà nước'),
    'other': _('kind_other', default='Tổ chức khác'),
}

ROUTES = {
    'hosted': _('route_hosted', default='Trên hệ thống này'),
    'instance': _('route_instance', default='Hệ thống khác (địa chỉ trao đổi)'),
    'email': _('route_email', default='Thư điện tử công vụ'),
    'axis': _('route_axis', default='Trục liên thông văn bản quốc gia'),
    'mailbox': _('route_mailbox', default='Hộp thư cá nhân (tệp PDF và tóm tắt; văn thư ghi nhận trạng thái)'),
}

# The route of a delivery row: a body's route, or a paper copy to track (Art. 8), never a body's.
DELIVERY_ROUTES = {
    **ROUTES,
    'paper': _('route_paper', default='Bản giấy (Điều 8)'),
}

# How a paper copy went (Art. 7.4, 8); 'other' is said in words.
PAPER_MEANS = {
    'post': _('paper_means_post', default='Bưu điện'),
    'hand': _('paper_means_hand', default='Giao trực tiếp'),
    'other': _('paper_means_other', default='Cách khác'),
}

# The statuses a clerk records for a delivery to a person's mailbox, where none come back by
# machine (edXML codes; 02 needs a reason).
RECORDED_STATUSES = {
    '03': _('recorded_status_03', default='03 · Đã tiếp nhận'),
    '04': _('recorded_status_04', default='04 · Đã chuyển xử lý, đã phân công'),
    '05': _('recorded_status_05', default='05 · Đang xử lý'),
    '06': _('recorded_status_06', default='06 · Đã hoàn thành'),
    '02': _('recorded_status_02', default='02 · Từ chối nhận / trả lại'),
}

# Journal actions as the history page names them.
ACTIONS = {
    'created': _('action_created', default='Tạo mới'),
    'changed': _('action_changed', default='Sửa đổi'),
    'file_downloaded': _('action_file_downloaded', default='Tải tệp'),
    'refused_at_entry': _('action_refused_at_entry', default='Từ chối tiếp nhận'),
    'origin_checked': _('action_origin_checked', default='Kiểm tra chữ ký số'),
    'paper_sent': _('action_paper_sent', default='Ghi nhận đã gửi bản giấy'),
    'paper_withdrawn': _('action_paper_withdrawn', default='Thu hồi văn bản: không gửi bản giấy nữa'),
    'paper_arrived': _('action_paper_arrived', default='Ghi nhận bản giấy đến'),
    # the exchange (Art. 6.4, 7, 9, 10)
    'delivered': _('action_delivered', default='Đã gửi đến nơi nhận'),
    'recall_delivered': _('action_recall_delivered', default='Đã gửi yêu cầu thu hồi đến nơi nhận'),
    'update_delivered': _('action_update_delivered', default='Đã gửi văn bản đính chính đến nơi nhận'),
    'delivery_retry': _('action_delivery_retry', default='Gửi không được, sẽ gửi lại'),
    'delivery_failed': _('action_delivery_failed', default='Không tạo được gói tin để gửi'),
    'paper_needed': _('action_paper_needed', default='Chuyển gửi bản giấy (Điều 7.4)'),
    'received': _('action_received', default='Tiếp nhận văn bản điện tử'),
    'recall_received': _('action_recall_received', default='Nhận yêu cầu thu hồi'),
    'updated_by_sender': _('action_updated_by_sender', default='Nơi gửi đính chính văn bản'),
    'replaces': _('action_replaces', default='Thay thế văn bản đã nhận'),
    'replaced_by': _('action_replaced_by', default='Bị thay thế bởi văn bản mới'),
    'status_received': _('action_status_received', default='Nơi nhận báo trạng thái'),
    'status_recorded': _('action_status_recorded', default='Văn thư ghi nhận trạng thái xử lý'),
    # what a document's own journal also holds (issue 17: no internal code on a page)
    'secret_file_read': _('action_secret_file_read', default='Đọc tệp văn bản Mật'),
    'sealed': _('action_sealed', default='Mã hóa tệp khi lưu (văn bản Mật)'),
    'readers_added': _('action_readers_added', default='Thêm người được xem (văn bản Mật)'),
    # records files (archival/files.py, destruction.py)
    'filed': _('action_filed', default='Lập vào hồ sơ'),
    'destroyed_retention': _('action_destroyed_retention', default='Hủy khi hết thời hạn bảo quản'),
    # what the administrators' security monitoring lists (Art. 15.3)
    'login_failed': _('action_login_failed', default='Đăng nhập sai'),
    'login_locked': _('action_login_locked', default='Đăng nhập khi tài khoản đang bị khóa'),
    'account_locked': _('action_account_locked', default='Tài khoản bị khóa tạm thời'),
    'certificate_registered': _('action_certificate_registered', default='Đăng ký chứng thư số'),
    'seal_set': _('action_seal_set', default='Lưu con dấu của cơ quan'),
    'user_created': _('action_user_created', default='Tạo tài khoản'),
    'user_enabled': _('action_user_enabled', default='Mở lại tài khoản'),
    'user_disabled': _('action_user_disabled', default='Khóa tài khoản'),
    'password_set': _('action_password_set', default='Đặt lại mật khẩu'),
    'token_created': _('action_token_created', default='Cấp khóa truy cập API'),
    'token_revoked': _('action_token_revoked', default='Thu hồi khóa truy cập API'),
    'roles_changed': _('action_roles_changed', default='Đổi vai trò'),
    'unit_changed': _('action_unit_changed', default='Chuyển đơn vị'),
    'password_changed': _('action_password_changed', default='Người dùng tự đổi mật khẩu'),
}
# the signature check's status, as the document's history shows it
SIGNATURE_STATUSES = {
    'valid': _('sig_status_valid', default='chữ ký hợp lệ'),
    'invalid': _('sig_status_invalid', default='chữ ký không hợp lệ'),
    'unsigned': _('sig_status_unsigned', default='không có chữ ký số'),
    'not_verified': _('sig_status_not_verified', default='chưa xác thực chữ ký số'),
}

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
}

# Journal actions as the history page names them.
ACTIONS = {
    'created': _('action_created', default='Tạo mới'),
    'changed': _('action_changed', default='Sửa đổi'),
    'file_downloaded': _('action_file_downloaded', default='Tải tệp'),
    'refused_at_entry': _('action_refused_at_entry', default='Từ chối tiếp nhận'),
    'origin_checked': _('action_origin_checked', default='Kiểm tra chữ ký số'),
}

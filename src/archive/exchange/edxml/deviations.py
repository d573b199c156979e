"""What a package from another system did not do as the standard says, in words a records clerk
reads (GLOSSARY.md), the same on the document page and in the JSON API.

Every deviation is kept (``doc.exchange['deviations']``: ``[(code, detail)]``); the codes in
``NEEDS_CHECK`` put the document on the clerk's desk in *Cần kiểm tra nguồn gốc* (Art. 5.2, 10.1):
its origin is not proven by an envelope signature verified against the sender's registered
certificate, or a field cannot be taken as the sender wrote it. The others are shown and kept.
"""
from ...i18n import _

MESSAGES = {
    # origin: taken in for the clerk's check instead of refused (email and axis intake)
    'unsigned': _('dev_unsigned', default='Gói tin không có chữ ký số của cơ quan gửi'),
    'signature_nonstandard': _('dev_signature_nonstandard', default='Có chữ ký số nhưng không kiểm tra được '
                                                                 '(dạng không chuẩn: phần tử Signature của edXML, '
                                                                 'RSA-SHA1)'),
    'malformed_signature': _('dev_malformed_signature', default='Có chữ ký số nhưng không kiểm tra được '
                                                             '(cấu trúc hoặc thuật toán không chuẩn)'),
    'wrong_reference': _('dev_wrong_reference', default='Có chữ ký số nhưng không bao trùm toàn bộ gói tin'),
    'sender_unknown': _('dev_sender_unknown', default='Cơ quan gửi không có trong danh bạ'),
    'sender_has_no_certificate': _('dev_sender_has_no_certificate',
                                   default='Cơ quan gửi chưa đăng ký chứng thư số: không kiểm tra được chữ ký'),
    # fields
    'code_number_form': _('dev_code_number_form', default='Số văn bản không phải là số'),
    'document_type_unknown': _('dev_document_type_unknown', default='Loại văn bản không có trong danh mục; '
                                                                 'giữ tên loại như bên gửi ghi'),
    'unknown_document_type': _('dev_unknown_document_type', default='Mã loại văn bản không có trong danh mục'),
    'document_type_mapped': _('dev_document_type_mapped', default='Loại văn bản được quy đổi'),
    'due_before_issue': _('dev_due_before_issue', default='Hạn xử lý trước ngày ban hành'),
    'document_id_other_body': _('dev_document_id_other_body', default='Mã văn bản mang mã định danh của cơ quan '
                                                                   'khác với cơ quan gửi'),
    'document_id_form': _('dev_document_id_form', default='Mã văn bản không đúng dạng chuẩn'),
    'organ_id_form': _('dev_organ_id_form', default='Mã định danh không theo dạng chuẩn 13 ký tự'),
    'competence_unknown': _('dev_competence_unknown', default='Thẩm quyền ký không nhận ra được'),
    'bad_value': _('dev_bad_value', default='Giá trị không hợp lệ, dùng giá trị mặc định'),
    'bad_date': _('dev_bad_date', default='Ngày tháng không đọc được, bỏ qua'),
    'date_format': _('dev_date_format', default='Ngày tháng viết khác dạng chuẩn, đã chuyển đổi'),
    'empty_element': _('dev_empty_element', default='Phần tử rỗng'),
    'missing_element': _('dev_missing_element', default='Thiếu phần tử'),
    'manifest_mismatch': _('dev_manifest_mismatch', default='Danh mục tệp không khớp tệp đính kèm'),
    'unknown_classification': _('dev_unknown_classification', default='Độ mật không nhận ra được'),
    'status_sdk_form': _('dev_status_sdk_form', default='Thông điệp trạng thái theo dạng của bộ thư viện (SDK)'),
    # attachments
    'attachment_not_zipped': _('dev_attachment_not_zipped', default='Tệp đính kèm không nén (base64 của chính tệp)'),
    'attachment_element_form': _('dev_attachment_element_form', default='Tệp đính kèm đặt trong phần tử không chuẩn'),
    'attachment_type_unlisted': _('dev_attachment_type_unlisted', default='Loại tệp đính kèm không có trong danh mục '
                                                                       'cho phép: chỉ tải về, không hiển thị'),
    'paper_follows': _('dev_paper_follows', default='Bên gửi cho biết có bản giấy gửi kèm (Điều 8)'),
}

ORIGIN = ('unsigned', 'signature_nonstandard', 'malformed_signature', 'wrong_reference', 'sender_unknown',
          'sender_has_no_certificate')
NEEDS_CHECK = ORIGIN + ('code_number_form', 'document_type_unknown', 'unknown_document_type', 'due_before_issue',
                        'document_id_other_body', 'bad_value')


def needs_check(deviations):
    """Whether the clerk must check the origin before the document is registered."""
    return any(code in NEEDS_CHECK for code, _detail in deviations)


def described(deviations):
    """``[{'code', 'message', 'detail'}]``: ``message`` a translation string (the page and the API
    translate it), ``detail`` what the sender wrote."""
    return [{'code': code, 'message': MESSAGES.get(code, code), 'detail': detail} for code, detail in deviations]

"""The last restore drill's findings in words an administrator acts on.

The journal keeps each finding as ``"<code>: <what>"`` (``archival/backup_status.journal_drill``;
the codes of ``archival/backup_restore``), for machines and for the record. The backups page
says instead what is wrong, with which file or document, and what to do about it; the code stays
in the page's ``data-code``. ``what`` is a path in the backup (``<path>`` or ``<path>: <detail>``)
for a damaged or missing backup file, and for a difference with the live database the document it
belongs to (``<body>/documents/<name>[ revision <n>][ file "<name>"][ (blob)] (oid 0x…)``) or
the stored object's class.
"""
import re

from ..i18n import _

# what happened, by code
SAID = {
    'backup_file_missing': _('drill_file_missing', default='Thiếu tệp sao lưu cơ sở dữ liệu'),
    'backup_file_damaged': _('drill_file_damaged',
                             default='Tệp sao lưu cơ sở dữ liệu bị hỏng (khác với lúc sao lưu)'),
    'backup_blob_missing': _('drill_blob_missing', default='Thiếu tệp văn bản (blob) trong bản sao'),
    'backup_blob_damaged': _('drill_blob_damaged',
                             default='Tệp văn bản (blob) trong bản sao bị hỏng (khác với lúc sao lưu)'),
    'backup_run_missing': _('drill_run_missing', default='Không tìm thấy lần sao lưu để khôi phục'),
    'record_differs': _('drill_record_differs', default='Dữ liệu khôi phục khác dữ liệu đang chạy'),
    'record_not_live': _('drill_record_not_live',
                         default='Bản sao có dữ liệu mà cơ sở dữ liệu đang chạy không có'),
    'record_not_restored': _('drill_record_not_restored', default='Dữ liệu đang chạy không có trong bản sao'),
    'blob_differs': _('drill_blob_differs', default='Tệp khôi phục khác tệp đang lưu'),
    'blob_not_restored': _('drill_blob_not_restored', default='Tệp không khôi phục được từ bản sao'),
}
UNKNOWN = _('drill_unknown', default='Diễn tập phát hiện sai khác')

# what to do: a damaged backup is replaced by a new full one; a difference is a matter for whoever
# keeps the server, the live data being in doubt
REPLACE = _('drill_do_replace', default='Kiểm tra ổ lưu này, rồi bấm “Sao lưu ngay” với “bắt đầu bộ đầy đủ mới” '
                                        'và diễn tập lại; cho đến khi đó, khôi phục từ nơi lưu còn lại.')
REPORT = _('drill_do_report', default='Giữ nguyên bản sao này, báo ngay cho người quản lý máy chủ để đối chiếu '
                                      'dữ liệu đang chạy; chưa xóa hay ghi đè bản sao nào.')
ADVICE = {'backup_file_missing': REPLACE, 'backup_file_damaged': REPLACE, 'backup_blob_missing': REPLACE,
          'backup_blob_damaged': REPLACE, 'backup_run_missing': REPLACE}

FILE_OF = _('drill_document_file', default='tệp')
REVISION_OF = _('drill_document_revision', default='lần sửa')
DOCUMENT_OF = _('drill_document', default='Văn bản')

_NAMED = re.compile(r'^(?P<code>[a-z_]+): (?P<what>.*)$', re.S)
_DOCUMENT = re.compile(r'^(?P<body>[^/\s]+)/documents/(?P<name>\S+)(?: revision (?P<revision>\d+))?'
                       r'(?: file "(?P<file>.*)")?(?: \(blob\))? \(oid (?P<oid>0x[0-9a-f]+)\)$', re.S)
_OID = re.compile(r'^(?P<kind>.*) \(oid (?P<oid>0x[0-9a-f]+)\)$', re.S)


def _where(code, what, bodies, t):
    """``(where, detail)``: the file or document in words, and the technical rest."""
    found = _DOCUMENT.match(what)
    if found:
        body = bodies.get(found['body'])
        where = f"{t(DOCUMENT_OF)} {found['name']} ({body.name if body is not None else found['body']})"
        if found['revision']:
            where += f", {t(REVISION_OF)} {found['revision']}"
        if found['file']:
            where += f", {t(FILE_OF)} {found['file']}"
        return where, f"oid {found['oid']}"
    found = _OID.match(what)
    if found and not code.startswith('backup_'):
        return found['kind'], f"oid {found['oid']}"
    path, _sep, detail = what.partition(': ')
    return path, detail


def drill_findings(named, bodies, t):
    """The journaled findings ``named`` as ``([{code, said, where, detail}], [what to do])``, in
    the reader's language (``t``), each piece of advice once; ``bodies`` names the body a
    document belongs to."""
    findings, advice = [], []
    for item in named or ():
        found = _NAMED.match(item)
        code, what = (found['code'], found['what']) if found else ('', item)
        where, detail = _where(code, what, bodies, t)
        findings.append({'code': code, 'said': t(SAID.get(code, UNKNOWN)), 'where': where, 'detail': detail})
        todo = t(ADVICE.get(code, REPORT))
        if todo not in advice:
            advice.append(todo)
    return findings, advice

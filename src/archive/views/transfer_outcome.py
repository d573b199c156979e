"""What a transfer batch's page says of its export, in words: the package made (documents,
originals, size), validated, and what was flagged, each problem a sentence naming the document
and the file (``archival/sip``: flagged, not blocking) — not the export's report as stored (a
dict of internal names, and the path on the server)."""
import os

from ..i18n import _


def _sentence(code, mapping):
    """A flagged problem (its code: ``archival/sip/package.py``) as a sentence."""
    if code == 'not_pdfa':
        return _('export_problem_not_pdfa', mapping=mapping,
                 default='Văn bản ${document}, tệp ${file}: bản thể hiện không phải PDF/A (bản gốc đã ký được '
                         'giữ nguyên, không chuyển đổi)')
    return _('export_problem_other', default='Văn bản ${document}, tệp ${file}: ${message}', mapping=mapping)


def _document_and_file(body, problem):
    doc = body.documents.get(problem.get('document') or '')
    if doc is None:
        return problem.get('document') or '', problem.get('file') or ''
    f = doc.files.get(problem.get('file') or '') if problem.get('file') else None
    return doc.number_symbol or doc.abstract[:60], f.filename if f is not None else (problem.get('file') or '')


def problem_lines(body, report):
    """Each flagged problem as a sentence (a message to translate), then how many more of each
    code the report counted but did not keep."""
    problems = report.get('problems')
    problems = problems if isinstance(problems, list) else []
    lines = []
    for problem in problems:
        document, name = _document_and_file(body, problem)
        lines.append(_sentence(problem.get('code'), {'document': document, 'file': name,
                                                     'message': problem.get('message') or problem.get('code')}))
    counts = report.get('problem_counts')
    for code, count in (counts.items() if isinstance(counts, dict) else ()):
        more = count - sum(1 for p in problems if p.get('code') == code)
        if more > 0:
            lines.append(_('export_problems_more', mapping={'count': more},
                           default='và ${count} tệp khác cùng loại (xem danh sách tệp trong gói)'))
    return lines


def outcome(batch, body, may_download):
    """The export as the page shows it: ``None`` before one; else the figures, whether it was
    validated (always, for an exported batch: one that fails validation is not marked), the
    problems in words, the Mật documents, and whether the package can be downloaded here."""
    exported = batch.exported
    if not exported:
        return None
    report = exported.get('report') or {}
    path = exported.get('path') or ''
    secret = report.get('secret_documents')
    return {
        'by': exported.get('by'), 'at': exported.get('at'),
        'documents': report.get('documents'), 'originals': report.get('originals'),
        'bytes': report.get('bytes') if isinstance(report.get('bytes'), int) else None,
        'resumed': report.get('resumed_units') or 0, 'bag': bool(exported.get('bag')),
        'secret': len(secret) if isinstance(secret, list) else 0,
        'problems': problem_lines(body, report),
        'download': may_download and bool(path) and os.path.isfile(path),
        'filename': os.path.basename(path),
    }

"""A document and its edXML package, both ways, through the one document schema.

Outgoing: the signed document's fields, its current main file (first) and attachments make the
package for one receiver; a Mật document's files are sealed for that receiver's registered
encryption certificate (one content key per package, wrapped only for it).
Incoming: the package's header becomes the fields of a new incoming document (validated by the
same schema as the form and the API); what does not fit our lists is flagged, not fatal.
"""
import re

from .. import clock
from ..text import without_marks
from ..resources.files import ATTACHMENT, MAIN
from ..schemas.vocab import PRIORITY_CODES
from ..services import secrecy as at_rest
from ..signing import secrecy
from ..signing.keys import load_certificate
from . import edxml
from ..schemas.symbol import parse

URGENCY_OF_PRIORITY = {code: name for name, code in PRIORITY_CODES.items()}
CLASSIFICATION_OUT = {'thuong': '', 'mat': 'mat'}
ENCRYPTION_ALGORITHM = f'{secrecy.PROVIDER.name};rsa-oaep-'      # + the OAEP hash


def organ(body):
    if body is None:
        return None
    return edxml.Organ(organ_id=body.code, organ_name=body.name)


def current_files(doc):
    """The files a receiver gets: the main file first, then the attachments in order."""
    files = doc.file_list()
    return [f for f in files if f.role == MAIN] + [f for f in files if f.role == ATTACHMENT]


def encryption_certificate(body, now=None):
    """The receiver's registered encryption certificate valid now (the latest), or None."""
    now = now or clock.now()
    records = [r for r in body.certificates.values() if r.kind == 'org-enc'
               and r.not_before <= now <= r.not_after]
    if not records:
        return None
    return max(records, key=lambda r: r.not_before)


def document_id_of(doc):
    number, notation = edxml.split_number_symbol(doc.number_symbol) or ('', '')
    return edxml.document_id(doc.body_code, doc.issued_date or clock.today(), number, notation)


def business_of(root, doc, kind='document', reason=None):
    """BussinessDocType and its details: a new document, its update, or the replacement of an
    earlier one (``doc.replaces``). ``Paper`` 1 tells the receiver a paper copy follows (a
    document of an Art. 8 category)."""
    document_id = doc.document_id or document_id_of(doc)
    if kind == 'update':
        return edxml.Business(doc_type=edxml.UPDATE, reason=reason or '', document_id=document_id)
    if kind == 'recall':
        return edxml.Business(doc_type=edxml.RECALL, reason=reason or '', document_id=document_id)
    paper = 1 if getattr(doc, 'paper_category', None) else 0
    earlier = root['bodies'][doc.body_code].documents.get(doc.replaces) if doc.replaces else None
    if earlier is not None and earlier.document_id:
        return edxml.Business(doc_type=edxml.REPLACE, reason=f'Thay thế văn bản {earlier.number_symbol}',
                              document_id=document_id, replacement_info=[earlier.document_id], paper=paper)
    return edxml.Business(paper=paper)


def package_for(root, doc, receiver, settings, actor, with_files=True, kind='document', reason=None):
    """The package of the sent ``doc`` for ``receiver`` (a Body); raises ``secrecy.SecrecyError``
    when a Mật document has nowhere safe to go (no encryption certificate registered).
    ``with_files=False``: the header only (a recall)."""
    body = root['bodies'][doc.body_code]
    number, notation = edxml.split_number_symbol(doc.number_symbol) or ('', '')
    contents = [(f, at_rest.read(root, doc, f, settings, actor, 'send'))
                for f in current_files(doc)] if with_files else []
    encryption = None
    if at_rest.is_secret(doc) and with_files:
        record = encryption_certificate(receiver)
        if record is None:
            raise secrecy.SecrecyError(
                'receiver_has_no_encryption_certificate',
                f'Cơ quan nhận {receiver.code} chưa đăng ký chứng thư mã hóa: không gửi được văn bản Mật',
                f'receiving body {receiver.code} has no encryption certificate registered: a Mật document cannot go')
        key = secrecy.PROVIDER.new_key()
        wrapped = secrecy.wrap_key(key, receiver.code, load_certificate(record.pem), settings.oaep_hash)
        encryption = edxml.Encryption(ENCRYPTION_ALGORITHM + wrapped.oaep_hash, wrapped.fingerprint, wrapped.data)
        contents = [(f, bytes(secrecy.PROVIDER.seal_bytes(key, data, _aad(n)))) for n, (f, data) in enumerate(contents, 1)]
    attachments = [edxml.Attachment(content_id=str(n), name=f.filename, content_type=f.media_type, data=data,
                                    description='main' if f.role == MAIN else '')
                   for n, (f, data) in enumerate(contents, 1)]
    return edxml.Package(
        from_organ=organ(body), to=[organ(receiver)],
        code_number=number, code_notation=notation,
        promulgation_place=doc.place or '', promulgation_date=doc.issued_date,
        document_type=edxml.DocumentType(doc.doc_type, name=settings.document_types.get(doc.doc_type, '')),
        subject=doc.abstract,
        signer_info=edxml.SignerInfo(doc.signer_competence or '', doc.signer_position or '', doc.signer_name or ''),
        due_date=doc.deadline, to_places=list(doc.receivers or ()),
        other_info=edxml.OtherInfo(priority=PRIORITY_CODES.get(doc.urgency, 0), page_amount=doc.pages,
                                   promulgation_amount=doc.copies),
        document_id=doc.document_id or document_id_of(doc),
        traces=[edxml.Trace(body.code, doc.sent_at or clock.now())],
        business=business_of(root, doc, kind, reason),
        classification=CLASSIFICATION_OUT.get(doc.classification, ''),
        encryption=encryption, attachments=attachments)


def forward_package(root, doc, receiver, settings, actor, note, document_id):
    """The package of the received ``doc`` forwarded by its body to ``receiver``: the document as
    it came (number, signer, files: the issuer's signature travels in the main PDF), from the
    forwarding body, under the forwarder's ``document_id``, the path in ``traces`` (the issuer
    first, then the forwarder) and the forwarding ``note`` as the business reason."""
    package = package_for(root, doc, receiver, settings, actor)
    package.document_id = document_id
    received = doc.received_at or doc.created_at
    package.traces = [edxml.Trace(doc.organ_id, received), edxml.Trace(doc.body_code, clock.now())]
    package.business = edxml.Business(reason=f'{FORWARD_MARK}{note}')
    return package


FORWARD_MARK = 'Chuyển tiếp: '          # the business reason of a forwarded package begins so


def forwarded_from(package):
    """``(issuer, note)`` when ``package`` is a document forwarded by its sender (its path names
    another body first, and the reason says so), else None."""
    traces = package.traces or []
    reason = package.business.reason or ''
    if (package.business.doc_type == edxml.NEW and len(traces) > 1 and reason.startswith(FORWARD_MARK)
            and traces[0].organ_id != package.from_organ.organ_id):
        return traces[0].organ_id, reason[len(FORWARD_MARK):]
    return None


def _aad(content_id):
    return f'edxml-attachment:{content_id}'.encode()


def open_attachments(package, keystore, body_code):
    """The attachments' bytes, unsealed by ``body_code``'s key when the package is Mật."""
    enc = package.encryption
    if enc is None:
        return [a.data for a in package.attachments]
    if not enc.algorithm.startswith(ENCRYPTION_ALGORITHM):
        raise secrecy.SecrecyError('encryption_unknown', f'Thuật toán mã hóa không hỗ trợ: {enc.algorithm}',
                                   f'unsupported encryption: {enc.algorithm}')
    wrapped = secrecy.WrappedKey(body_code, enc.recipient, enc.algorithm[len(ENCRYPTION_ALGORITHM):],
                                 enc.wrapped_key)
    key = secrecy.unwrap_key(wrapped, keystore, body_code)
    return [bytes(secrecy.PROVIDER.open_bytes(key, a.data, _aad(a.content_id))) for a in package.attachments]


def _one_line(text):
    """A one-line field as the schema takes it: a line break inside (XML laid out over lines) is
    a space, not a refusal; control characters and bidi overrides are still the schema's to refuse."""
    return re.sub(r'[ \t]*[\r\n]+[ \t]*', ' ', text or '').strip()


# Competence ("thẩm quyền ký") as senders write it -> ours (schemas.vocab.COMPETENCES) [S: forms seen]
COMPETENCE_FORMS = {
    'tm': 'T/M', 'thaymat': 'T/M', 'kt': 'K/T', 'ky thay': 'K/T', 'kythay': 'K/T', 'tl': 'T/L', 'thualenh': 'T/L',
    'tuq': 'T.U.Q', 'thuauyquyen': 'T.U.Q', 'q': 'Q.', 'quyen': 'Q.',
}
_CODE_NUMBER = re.compile(r'\d{1,11}')


def competence_of(text):
    """``TL.``, ``T/L``, ``KT.``, ``TM.``, ``Q.``, ``Quyền``... -> our form, or None."""
    if not text:
        return None
    key = ''.join(ch for ch in without_marks(text).lower() if ch.isalnum() or ch == ' ').strip()
    return COMPETENCE_FORMS.get(key) or COMPETENCE_FORMS.get(key.replace(' ', ''))


def doc_type_of(package, number_symbol, settings, deviations):
    """Our document type: the code if it is ours, else the ``TypeName`` matched by name (*Báo
    cáo* -> BC), else the abbreviation in the number and symbol; a name we do not know is kept
    as written (``doc.exchange['type_name']``) and flagged, the type then falls back to CV."""
    given = package.document_type
    if given.code in settings.document_types:
        return given.code
    by_name = {without_marks(name).casefold(): code for code, name in settings.document_types.items()}
    code = by_name.get(without_marks(given.name or '').strip().casefold())
    if code:
        deviations.append(edxml.Deviation('document_type_mapped', f'{given.code!r} -> {code} (TypeName {given.name!r})'))
        return code
    parsed = parse(number_symbol, settings.document_types) if number_symbol else None
    code = parsed.type_abbr if parsed and parsed.type_abbr in settings.document_types else 'CV'
    if given.name:
        deviations.append(edxml.Deviation('document_type_unknown', f'{given.name[:100]} -> {code}'))
    deviations.append(edxml.Deviation('document_type_mapped', f'{given.code!r} -> {code}'))
    return code


def sent_at_of(package):
    """When the sender sent it (Art. 11.12): the sender's own trace, else the first one."""
    own = [t.timestamp for t in package.traces if t.timestamp and t.organ_id == package.from_organ.organ_id]
    any_ = [t.timestamp for t in package.traces if t.timestamp]
    return (own or any_ or [None])[0]


def incoming_fields(package, settings, deviations):
    """The cstruct of the incoming document the package becomes (the schema validates it); what
    does not fit is flagged in ``deviations`` and the field left out or mapped, never refused."""
    number_symbol = edxml.join_number_symbol(package.code_number, package.code_notation) \
        if package.code_number or package.code_notation else None
    if package.code_number and not _CODE_NUMBER.fullmatch(package.code_number):
        deviations.append(edxml.Deviation('code_number_form', f'Code/CodeNumber: {package.code_number[:50]}'))
    doc_type = doc_type_of(package, number_symbol, settings, deviations)
    due = package.due_date
    if due and package.promulgation_date and due < package.promulgation_date:
        deviations.append(edxml.Deviation('due_before_issue', f'{due.isoformat()} < {package.promulgation_date.isoformat()}'))
    competence = competence_of(package.signer_info.competence)
    if package.signer_info.competence and competence is None:
        deviations.append(edxml.Deviation('competence_unknown', package.signer_info.competence[:30]))
    sent_at = sent_at_of(package)
    values = {
        'direction': 'incoming',
        'organ_id': (forwarded_from(package) or (package.from_organ.organ_id,))[0],   # the issuer
        'sender': _one_line(package.from_organ.organ_name) or None,
        'number_symbol': number_symbol,
        'issued_date': package.promulgation_date.isoformat() if package.promulgation_date else None,
        'place': _one_line(package.promulgation_place) or None,
        'doc_type': doc_type,
        'abstract': (package.subject or package.content or '').strip()[:500] or '(không có trích yếu)',
        'urgency': URGENCY_OF_PRIORITY.get(package.other_info.priority, 'normal'),
        'classification': 'mat' if package.classification == 'mat' else 'thuong',
        'signer_name': _one_line(package.signer_info.full_name)[:50] or None,
        'signer_position': _one_line(package.signer_info.position)[:100] or None,
        'signer_competence': competence,
        'pages': package.other_info.page_amount,
        'copies': package.other_info.promulgation_amount,
        'receivers': [_one_line(p) for p in package.to_places] or None,
        'channel': 'electronic',
        'sent_at': clock.iso(sent_at) if sent_at else None,
        'received_at': clock.iso(clock.now()),
        'deadline': due.isoformat() if due else None,
    }
    if values['urgency'] == 'hoa_toc_hen_gio':
        values['urgency'] = 'hoa_toc'           # the appointed hour does not travel in edXML
    return {k: v for k, v in values.items() if v is not None}

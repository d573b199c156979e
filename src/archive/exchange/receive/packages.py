"""A package taken in: checked cheapest first, then a new document in each receiver's inbox,
an update of a copy taken in before, a replacement linked to what it replaces, or a recall."""
import hashlib
import io

import colander

from ... import audit, clock, outbox
from ...errors import Conflict, field_errors
from ...reports import counters
from ...services import documents as svc
from ...signing import secrecy
from .. import deliveries, edxml, mapping, xmldsig
from ..channels import Refused
from ..edxml import deviations as edxml_deviations
from ..recall_receive import receive_recall
from ..safexml import PackageError, parse_xml
from .common import ACTOR, System, from_package_error, limits_of, vouched
from .origin import MAY_WAIT_FOR_CLERK, TOLERANT_ROUTES, candidates_of, origin_deviation


def receive_package(root, data, settings, route='hosted'):
    """Take a package in; return its receipt (a dict). Raises ``Refused``; the caller journals
    the refusal (``refusal``) in a transaction that keeps nothing else of the package.

    From a ``TOLERANT_ROUTES`` route, a package whose sender is not in the directory or has no
    registered certificate, or whose envelope signature is missing or of a form we do not verify,
    is read as it came and taken in for the clerk's origin check (its deviations listed); a
    signature that does not verify with the sender's registered certificate is still refused."""
    data = bytes(data)
    sha256 = hashlib.sha256(data).hexdigest()
    ex = deliveries.exchange_of(root)
    earlier = ex.received.get(sha256)
    if earlier is not None:
        return dict(earlier, again=True)
    limits = limits_of(settings)
    tolerant = route in TOLERANT_ROUTES
    origin = []                 # why the origin is not proven: the clerk decides
    try:        # the envelope only: no attachment decoded, nothing inflated
        parsed = parse_xml(data, limits)
        first = edxml.decode_package(parsed, limits, known_types=settings.document_types, unpack=False)
        sender = first.package.from_organ.organ_id
        candidates = None
        try:
            candidates = candidates_of(root, sender)
        except Refused as exc:
            if not tolerant:
                raise
            origin.append(origin_deviation(exc, parsed))
        try:
            xmldsig.check_shape(parsed)             # signed at all, and in the form we verify
        except xmldsig.SignatureError as exc:
            if not tolerant or exc.code not in MAY_WAIT_FOR_CLERK:
                raise
            origin.append(origin_deviation(exc, parsed))
        edxml.check_attachments(first.package, limits)  # base64 form and zip directories: cheap
        if origin:
            element = parsed                        # read as it came: the clerk checks its origin
        else:
            element = xmldsig.verify(parsed, candidates, limits).element
        del parsed, first
        # only what the signature covers is read from here on, and only now inflated
        package, deviations = edxml.decode_package(element, limits, known_types=settings.document_types,
                                                   unpack=False)
    except PackageError as exc:
        raise from_package_error(exc) from None
    deviations = origin + list(deviations)
    parts = edxml.parse_document_id(package.document_id)
    if parts is not None and parts.organ_id != sender:
        deviations.append(edxml.Deviation('document_id_other_body', f'{package.document_id[:100]} ({sender})'))
    facts = {'sender': sender, 'document_id': package.document_id}
    bodies = root['bodies']
    hosted = [o.organ_id for o in package.to
              if o.organ_id in bodies and bodies[o.organ_id].route == 'hosted' and bodies[o.organ_id].is_open()]
    # its sender's signature verified, to a body here: journaled in full
    with vouched(bool(hosted) and not origin):
        if package.classification in ('toi_mat', 'tuyet_mat') or package.classification not in ('', 'mat'):
            raise Refused('classification_refused',
                          'Văn bản Tối mật, Tuyệt mật không được đưa vào hệ thống (Điều 5.1)',
                          'Tối mật / Tuyệt mật documents may not enter the system (Art. 5.1)',
                          receiver=','.join(hosted), **facts)
        if not hosted:
            raise Refused('wrong_address', 'Không có cơ quan nhận nào được lưu trữ tại hệ thống này (sai địa chỉ)',
                          'no receiving body is hosted on this system (wrong address)', **facts)
        if origin and package.business.doc_type in (edxml.RECALL, edxml.UPDATE):
            raise Refused('origin_not_proven',
                          'Yêu cầu thu hồi hoặc đính chính văn bản phải có chữ ký số của cơ quan gửi kiểm tra '
                          'được: không thực hiện',
                          'a recall or an update must carry a signature of the sender that verifies',
                          receiver=','.join(hosted), **facts)
        try:        # now inflated, under the caps
            edxml.unpack_attachments(package, limits)
        except PackageError as exc:
            raise Refused(exc.code, exc.message, exc.message_en, receiver=','.join(hosted), **facts) from None
        deviations += [edxml.Deviation('attachment_not_zipped', a.name[:100] or a.content_id)
                       for a in package.attachments if a.form != 'zip']
        if package.business.paper:
            deviations.append(edxml.Deviation('paper_follows', 'Bussiness/Paper = 1'))
        if package.business.doc_type == edxml.RECALL:
            receipts = [_recall(root, bodies[code], package, sha256) for code in hosted]
        elif package.business.doc_type == edxml.UPDATE:
            receipts = [_update(root, bodies[code], package, deviations, data, sha256, settings, route)
                        for code in hosted]
        else:                       # new, or the replacement of an earlier document (linked to it)
            receipts = [_take_in(root, bodies[code], package, deviations, data, sha256, settings, route)
                        for code in hosted]
    receipt = {'sha256': sha256, 'document_id': package.document_id, 'sender': sender,
               'received_at': clock.iso(clock.now()),
               'receivers': [{'body': r['body'], 'document': r['document']} for r in receipts]}
    if origin:
        receipt['origin_check'] = True
    ex.received[sha256] = receipt
    return receipt


def _held_by_another(root, body, sender, document_id):
    """A copy of ``document_id`` that ``body`` took in from a sender other than ``sender``, or None
    (what an update or a recall by the wrong body is told apart by)."""
    taken = deliveries.exchange_of(root).taken_in
    for key in taken.keys(min=(body.code,), max=(body.code + '\0',)):
        if key[2] == document_id and key[1] != sender:
            return body.documents.get(taken[key][0])
    return None


def identity(body_code, sender, document_id):
    """What names a document taken in: its receiver, its sender and the sender's DocumentId (a
    DocumentId belongs to the body that sends it; another body's package cannot take it)."""
    return (body_code, sender, document_id)


def _take_in(root, body, package, deviations, data, sha256, settings, route):
    ex = deliveries.exchange_of(root)
    key = identity(body.code, package.from_organ.organ_id, package.document_id)
    seen = ex.taken_in.get(key)
    facts = {'sender': package.from_organ.organ_id, 'document_id': package.document_id, 'receiver': body.code}
    if seen is not None:
        raise Refused('document_id_reused',
                      f'Mã văn bản {package.document_id} đã được nhận trước đây với nội dung khác',
                      f'DocumentId {package.document_id} was received before with other content', **facts)
    try:
        contents = mapping.open_attachments(package, settings.keystore, body.code)
    except secrecy.SecrecyError as exc:
        raise Refused(exc.code, exc.message_vi, exc.message_en, **facts) from None
    deviations = list(deviations)
    cstruct = mapping.incoming_fields(package, settings, deviations)
    if cstruct.get('classification') == 'mat':
        cstruct['named_people'] = sorted(u.login for u in root['users'].values()
                                         if u.body_code == body.code and 'clerk' in u.roles and 'admin' not in u.roles
                                         and u.active)
    uploads, main_given = [], False
    for attachment, content in zip(package.attachments, contents):
        is_main = not main_given and content.lstrip()[:5] == b'%PDF-'
        main_given = main_given or is_main
        upload = svc.Upload('main_file' if is_main else 'attachments', attachment.name,
                            io.BytesIO(content), 'main' if is_main else 'attachment')
        upload.any_type = True          # an attachment of a type not on the list is kept, flagged
        uploads.append(upload)
    try:
        doc = svc.create(root, body, cstruct, uploads, settings, ACTOR, by_exchange=True)
    except colander.Invalid as exc:
        errors = field_errors(exc)
        raise Refused('fields_invalid', '; '.join(f"{e['field']}: {e['code']}" for e in errors),
                      'the package does not make a valid document', **facts) from None
    except Conflict as exc:
        raise Refused(exc.code, str(exc.message), '', **facts) from None
    deviations += [edxml.Deviation('attachment_type_unlisted', f'{f.filename} ({f.media_type})')
                   for f in doc.file_list() if getattr(f, 'unlisted', False)]
    doc.exchange = {'document_id': package.document_id, 'sender': package.from_organ.organ_id,
                    'sender_name': package.from_organ.organ_name, 'sha256': sha256, 'route': route,
                    'deviations': [(d.code, d.detail) for d in deviations],
                    'type_name': package.document_type.name or None,
                    'sent_at': cstruct.get('sent_at'), 'paper_follows': bool(package.business.paper),
                    'sender_email': package.from_organ.email or None}
    if edxml_deviations.needs_check(doc.exchange['deviations']):
        doc.exchange['origin_check'] = 'pending'    # on the clerk's desk: Cần kiểm tra nguồn gốc
    forwarded = mapping.forwarded_from(package)
    if forwarded:           # forwarded by its sender: the issuer is the first of its path, the note kept
        doc.exchange['forwarded'] = {'issuer': forwarded[0], 'note': forwarded[1]}
    ex.taken_in[key] = (doc.__name__, sha256)
    if package.business.paper:      # Art. 8: on the clerk's desk until the paper copy's arrival is recorded
        deliveries.expect_paper(root, body.code, doc.__name__, doc.received_at or doc.created_at)
    seq = audit.append(root, doc.chain_id, 'received', ACTOR, route=route, package_sha256=sha256,
                       document_id=package.document_id, sender=package.from_organ.organ_id,
                       deviations=[d.code for d in deviations])
    counters.count(root, doc, doc.chain_id, seq)
    if package.business.doc_type == edxml.REPLACE:
        _link_replaced(root, body, doc, package)
    outbox.queue_status(root, doc, '01', System())
    return {'body': body.code, 'document': doc.__name__}


COMPARED = ('number_symbol', 'issued_date', 'doc_type', 'abstract', 'urgency', 'signer_name',
            'signer_position', 'signer_competence', 'pages', 'deadline', 'receivers')


def _differences(old, new):
    return [name for name in COMPARED if getattr(old, name, None) != getattr(new, name, None)]


def _link_replaced(root, body, doc, package):
    """The replacement (type 3) points at the copies it replaces, which point back; the fields
    that differ are kept for the clerk to see."""
    ex = deliveries.exchange_of(root)
    for old_id in package.business.replacement_info:
        seen = ex.taken_in.get(identity(body.code, package.from_organ.organ_id, old_id))
        earlier = body.documents.get(seen[0]) if seen else None
        if earlier is None or earlier.exchange['sender'] != package.from_organ.organ_id:
            doc.exchange = dict(doc.exchange, replaces_unknown=old_id)
            continue
        changed = _differences(earlier, doc)
        doc.replaces, earlier.replaced_by = earlier.__name__, doc.__name__
        doc.exchange = dict(doc.exchange, replaces={'document': earlier.__name__, 'document_id': old_id,
                                                    'changed': changed})
        counters.count(root, doc, doc.chain_id,
                       audit.append(root, doc.chain_id, 'replaces', ACTOR, document=earlier.__name__, changed=changed))
        audit.append(root, earlier.chain_id, 'replaced_by', ACTOR, document=doc.__name__, changed=changed)


def _update(root, body, package, deviations, data, sha256, settings, route):
    """An update (type 2) of a copy taken in before: its corrected fields applied and journaled
    (the clerk sees what changed in the revisions and the history); 15 goes back. A receiver
    that never had it takes it in as new (a receiver added to the list)."""
    seen = deliveries.exchange_of(root).taken_in.get(
        identity(body.code, package.from_organ.organ_id, package.document_id))
    doc = body.documents.get(seen[0]) if seen else None
    doc = doc or _held_by_another(root, body, package.from_organ.organ_id, package.document_id)
    if doc is None:
        return _take_in(root, body, package, deviations, data, sha256, settings, route)
    if doc.exchange['sender'] != package.from_organ.organ_id:
        raise Refused('update_not_from_sender',
                      f'Cơ quan {package.from_organ.organ_id} không phải nơi đã gửi văn bản {package.document_id}',
                      f'{package.from_organ.organ_id} did not send document {package.document_id}',
                      sender=package.from_organ.organ_id, document_id=package.document_id, receiver=body.code)
    corrected = {k: v for k, v in mapping.incoming_fields(package, settings, list(deviations)).items()
                 if k in COMPARED}
    try:        # as any change of a document: validated, revision recorded, indexes kept right
        _doc, changed = svc.update(root, doc, corrected, [], settings, ACTOR)
    except colander.Invalid as exc:
        errors = field_errors(exc)
        raise Refused('fields_invalid', '; '.join(f"{e['field']}: {e['code']}" for e in errors),
                      'the update does not make a valid document') from None
    seq = audit.append(root, doc.chain_id, 'updated_by_sender', ACTOR, reason=package.business.reason,
                       changed=changed, package_sha256=sha256)
    counters.count(root, doc, doc.chain_id, seq)
    outbox.queue_status(root, doc, '15', System(), f'Đã cập nhật theo văn bản đính chính: {package.business.reason}')
    return {'body': body.code, 'document': doc.__name__}


def _recall(root, body, package, sha256):
    sender, document_id = package.from_organ.organ_id, package.document_id
    facts = {'sender': sender, 'document_id': document_id, 'receiver': body.code}
    seen = deliveries.exchange_of(root).taken_in.get(identity(body.code, sender, document_id))
    doc = body.documents.get(seen[0]) if seen else None
    doc = doc or _held_by_another(root, body, sender, document_id)
    if doc is None:
        raise Refused('recall_unknown_document',
                      f'Yêu cầu thu hồi văn bản {document_id} mà cơ quan {body.code} chưa từng nhận',
                      f'a recall of document {document_id}, which {body.code} never received', **facts)
    if doc.exchange['sender'] != sender:
        raise Refused('recall_not_from_sender',
                      f'Cơ quan {sender} không phải nơi đã gửi văn bản {document_id}: không được thu hồi',
                      f'{sender} did not send document {document_id} and may not recall it', **facts)
    outcome = receive_recall(root, body, doc, package, System())
    audit.append(root, doc.chain_id, 'recall_received', ACTOR, reason=package.business.reason,
                 package_sha256=sha256, outcome=outcome)
    return {'body': body.code, 'document': doc.__name__}

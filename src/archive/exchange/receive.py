"""The receiving path, the same for every route: a package or a status message in, a receipt
or a refusal out.

A package, cheapest check first: its size, its XML parsed safely and its envelope read; its sender
known here; its signature present and of the accepted form; its attachments' base64 form and zip
directories (nothing inflated, only a zip's directory decoded); its XML signature verified against
the sender's registered organisation certificates, and only the signed subtree read from there on;
its addressee hosted here; only then its attachments inflated, streaming, under caps on size and
ratio per attachment and per package (``limits_of``). Refused when no
body here is named as receiver (wrong address), for Tối mật / Tuyệt mật, or when its DocumentId
was taken in before with other bytes; the same bytes again get the first receipt and create
nothing. Otherwise it becomes an incoming document in the receiver's inbox (đã đến, 01)
(the PDF signatures checked as on any intake) and status 01 goes back to the sender.

From the world outside (official email, the national axis: ``TOLERANT_ROUTES``), what is merely
non-standard is not refused (issue 16): a package whose sender is not in the directory or has no
registered certificate, or whose envelope signature is missing or of a form we do not verify (the
SDK's own ``Signature`` element), is read as it came and taken in as đã đến with its deviations
(``edxml.deviations``) for the clerk's origin check (*Cần kiểm tra nguồn gốc*): reference only
until accepted, status 02 back by the way it came when refused. What is unsafe (limits, DOCTYPE,
not XML), not ours (no body here), or proven false (a signature the sender's registered
certificate does not verify) is refused outright, and from email and the axis the refusal goes
back as a signed 02 (``queue_refusal``) naming the refused bytes' SHA-256. A DocumentId belongs
to its sender: what was taken in is known by (receiver, sender, DocumentId).

A status message: verified against the reporting body's certificates and applied to that
receiver's delivery row on the sender's side; a status for a document never sent to that body
is refused. A refusal after the sender's signature verified, for a body here, is journaled in
full (``exchange`` chain: the code, the reason, the package hash, never content); any other is
counted per hour, source and reason (``refused``), only the first of them journaled, so that
traffic nobody vouched for cannot grow the database with its volume.
"""
import contextlib
import copy
import hashlib
import io
import re

import colander
from lxml import etree

from .. import audit, clock, failpoints, outbox, refused
from ..reports import counters
from ..errors import Conflict, field_errors
from ..services import documents as svc
from ..signing import secrecy
from ..signing.keys import load_certificate
from . import deliveries, edxml, mapping, outgoing, xmldsig
from .channels import STATUS_ROUTES
from .edxml import deviations as edxml_deviations
from .safexml import Limits, PackageError, parse_xml

CHAIN = 'exchange'
ACTOR = 'exchange'                  # the journal's actor for what arrives by exchange


class Refused(Exception):
    """What the receiving path refuses: a code, the reason (Vietnamese, English). ``vouched``:
    refused after its sender's signature verified, for a body here (journaled in full; other
    refusals are counted in the bounded record, ``refused``)."""

    def __init__(self, code, message_vi, message_en='', vouched=False, **facts):
        super().__init__(message_vi)
        self.code, self.message_vi, self.message_en, self.facts = code, message_vi, message_en, facts
        self.vouched = vouched


@contextlib.contextmanager
def vouched(yes=True):
    """A ``Refused`` raised inside is marked ``vouched`` (when ``yes``)."""
    try:
        yield
    except Refused as exc:
        exc.vouched = exc.vouched or yes
        raise


class System:
    """The staff named in a status the receiving path sends by itself."""
    login = ACTOR
    full_name = 'Hệ thống tiếp nhận văn bản điện tử'


def _from_package_error(exc):
    return Refused(exc.code, exc.message, getattr(exc, 'message_en', ''))


def limits_of(settings):
    """What one package may cost, from the settings: the package as received, one attachment
    zipped (the upload limit) and unzipped, all of them unzipped, and the compression ratio."""
    return Limits(max_package_bytes=settings.exchange_max_package_bytes,
                  max_attachment_bytes=settings.max_upload_bytes,
                  max_unzipped_bytes=settings.exchange_max_unzipped_bytes,
                  max_total_unzipped_bytes=settings.exchange_max_total_unzipped_bytes,
                  max_ratio=settings.exchange_max_ratio, max_attachments=16)


def accept(registry, data, route, kind='package', source=None):
    """The receiving path as every channel calls it: ``data`` (a package, or a status with
    ``kind='status'``) taken in its own transaction; a refusal recorded in another one, so that
    nothing of a refused package stays, and raised again for the channel to answer.

    ``source``: who sent it, as the channel knows (the endpoint: the client's address; else the
    route). A refusal nobody vouched for is counted per hour, source and reason (``refused``),
    its first journaled; a vouched one is journaled in full (``journal_refusal``)."""
    from pyramid.threadlocal import manager

    from ..db import flush_refused, run_apart
    settings = registry.archive_settings
    data = bytes(data)

    def work(root):
        if kind == 'status':
            return receive_status(root, data, settings, route)
        receipt = receive_package(root, data, settings, route)
        failpoints.hit('receive.before_commit')
        return receipt
    manager.push({'registry': registry, 'request': None})
    try:
        return run_apart(registry, work)
    except Refused as exc:
        who = source or route
        said = said_by(data, settings)
        for name in ('sender', 'document_id'):          # the journal names who the package says sent it
            if said.get(name):
                exc.facts.setdefault(name, said[name])
        if exc.vouched or not refused.repeat(registry, who, exc.code):
            sha256 = hashlib.sha256(data).hexdigest()

            def record(root, exc=exc):
                journal_refusal(registry, root, exc, sha256, route, kind, who)
                if route in TOLERANT_ROUTES and kind == 'package':
                    queue_refusal(root, exc, said, route, sha256)
            run_apart(registry, record)
        flush_refused(registry)
        raise
    finally:
        manager.pop()


REASON_CHARS = 300                  # what the journal keeps of an unvouched refusal's reason


def said_by(data, settings):
    """Who a refused package says it is from and what it is (``sender``, ``email``,
    ``document_id``, ``number``, ``notation``, ``receivers``), read safely and without trusting it;
    ``{}`` when it says nothing readable."""
    try:
        root = parse_xml(data, limits_of(settings))
    except PackageError:
        return {}

    def text(el, name):
        found = next(el.iter(f'{{*}}{name}'), None) if el is not None else None
        return ' '.join((found.text or '').split())[:100] if found is not None else ''
    header = next(root.iter('{*}MessageHeader'), None)
    sender = next(header.iter('{*}From'), None) if header is not None else None
    return {'sender': text(sender, 'OrganId'), 'email': text(sender, 'Email'),
            'document_id': text(header, 'DocumentId'), 'number': text(header, 'CodeNumber'),
            'notation': text(header, 'CodeNotation'),
            'receivers': [text(to, 'OrganId') for to in header.iter('{*}To')] if header is not None else []}


def queue_refusal(root, exc, said, route, sha256):
    """Status 02 for a package refused at email or axis intake (issue 16, item 9), signed by the
    body here it was addressed to, going back by the route it came; none when the package names
    no sender or no body here to sign (wrong address, unreadable)."""
    bodies = root['bodies']
    signer = next((code for code in said.get('receivers') or () if code in bodies
                   and bodies[code].route == 'hosted'), None)
    if not said.get('sender') or signer is None or said['sender'] in bodies and bodies[said['sender']].route == 'hosted':
        return None
    return outbox.outbox_of(root).put(
        'status', status_code='02', refusal=True, body=signer, to_organ=said['sender'], route=route,
        address=said.get('email') or '', document_id=said.get('document_id') or '',
        number=said.get('number') or '', notation=said.get('notation') or '', staff=System.full_name,
        number_symbol=edxml.join_number_symbol(said['number'], said['notation']) if said.get('notation') else None,
        description=f'{exc.message_vi[:REASON_CHARS]} ({exc.code}; gói tin SHA-256 {sha256})')


def carry_refusal(root, message, settings):
    """``(state, None)`` or ``(pending, (bytes, route, address, meta))`` for a refusal status
    (``queue_refusal``): signed once by the addressed body, kept for a retry."""
    sender = route_back(root, {'sender': message['to_organ'], 'route': message['route'],
                               'sender_email': message.get('address')})
    if sender is None or sender.route not in STATUS_ROUTES or sender.route == 'hosted':
        return 'not_exchanged', None
    data = message.get('signed_bytes')
    if data is None:
        status = edxml.Status(
            response_for=edxml.ResponseFor(sender.code, message['number'], message['notation'], None,
                                           message['document_id']),
            from_organ=mapping.organ(root['bodies'][message['body']]), status_code='02',
            description=message['description'], timestamp=clock.now(), staff=edxml.StaffInfo(staff=System.full_name))
        data = outgoing.signed_bytes(settings, message['body'], edxml.encode_status(status))
        message.fields = dict(message.fields, signed_bytes=data)
    meta = {'sender': message['body'], 'receiver': sender.code, 'kind': 'status',
            'document_id': message['document_id'], 'status_code': '02'}
    return outbox.PENDING, (data, sender.route, sender.address, meta)


def journal_refusal(registry, root, exc, sha256, route, kind, source):
    """Count the refusal; journal it in full when vouched, else when it is the first of its hour,
    source and reason within the allowances (``refused.may_journal``), its reason capped."""
    created = refused.count(registry, root, source, exc.code, route)
    if exc.vouched:       # counted for its receiving bodies too (statistics: refused_package)
        counters.count_package(root, CHAIN, refusal(root, exc.code, exc.message_vi, sha256, route=route, kind=kind,
                                                    vouched=True, **exc.facts))
    elif created and refused.may_journal(registry, root, source):
        refusal(root, exc.code, exc.message_vi[:REASON_CHARS], sha256, route=route, kind=kind,
                source=refused.source_of(source), **{k: str(v)[:REASON_CHARS] for k, v in exc.facts.items()})


def org_certificates(root, body_code):
    """The body's registered organisation signing certificates (past ones too), as x509 objects."""
    body = root['bodies'].get(body_code) if body_code else None
    if body is None:
        return None
    return [load_certificate(r.pem) for r in body.certificates.values() if r.kind == 'org-sign']


def _candidates(root, sender_code):
    """The sender's registered organisation certificates, or ``Refused`` (unknown, or none)."""
    candidates = org_certificates(root, sender_code)
    if candidates is None:
        raise Refused('sender_unknown', f'Cơ quan gửi {sender_code} không có trong danh bạ',
                      f'the sending body {sender_code} is not in the directory')
    if not candidates:
        raise Refused('sender_has_no_certificate',
                      f'Cơ quan gửi {sender_code} chưa đăng ký chứng thư ký số: không kiểm tra được chữ ký',
                      f'the sending body {sender_code} has no signing certificate registered')
    return candidates


def _verified(root, data, sender_code, limits):
    candidates = _candidates(root, sender_code)
    try:
        return xmldsig.verify(data, candidates, limits)
    except PackageError as exc:
        raise _from_package_error(exc) from None


def _bytes(element):
    return etree.tostring(element, xml_declaration=True, encoding='utf-8')


def refusal(root, code, message, sha256, **facts):
    return audit.append(root, CHAIN, 'package_refused', ACTOR, code=code, reason=message, package_sha256=sha256,
                 **{k: v for k, v in facts.items() if v})


# Routes from the world outside this system (the national axis, official email): what is merely
# non-standard there is taken in for the clerk's origin check (issue 16); between instances of this
# system (the HTTP endpoint) and inside one, every package must carry a verified envelope signature.
TOLERANT_ROUTES = ('email', 'axis')
MAY_WAIT_FOR_CLERK = ('sender_unknown', 'sender_has_no_certificate', 'unsigned', 'malformed_signature',
                      'wrong_reference')


def _origin_deviation(exc, parsed):
    """The deviation a signature or sender problem becomes when the clerk checks the origin."""
    if exc.code == 'unsigned' and edxml.nonstandard_signature(parsed) is not None:
        return edxml.Deviation('signature_nonstandard', 'edXML:Signature')
    return edxml.Deviation(exc.code, str(getattr(exc, 'detail', '') or exc.facts.get('sender', ''))
                           if isinstance(exc, Refused) else str(getattr(exc, 'detail', '') or ''))


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
            candidates = _candidates(root, sender)
        except Refused as exc:
            if not tolerant:
                raise
            origin.append(_origin_deviation(exc, parsed))
        try:
            xmldsig.check_shape(parsed)             # signed at all, and in the form we verify
        except xmldsig.SignatureError as exc:
            if not tolerant or exc.code not in MAY_WAIT_FOR_CLERK:
                raise
            origin.append(_origin_deviation(exc, parsed))
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
        raise _from_package_error(exc) from None
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


class Unlisted:
    """A sender not in the directory, as the route back to it: the way its package came (the
    axis knows it by its code; by email, the address its package gives)."""

    def __init__(self, code, route, address):
        self.code, self.route, self.address = code, route, address


def route_back(root, exchange):
    """The sender of a document taken in (``doc.exchange``) as a status goes back to it: its
    directory entry, else (issue 16) the route its package came by, or None."""
    sender = root['bodies'].get(exchange['sender'])
    if sender is not None:
        return sender
    if exchange.get('route') == 'axis':
        return Unlisted(exchange['sender'], 'axis', exchange['sender'])
    if exchange.get('route') == 'email' and exchange.get('sender_email'):
        return Unlisted(exchange['sender'], 'email', exchange['sender_email'])
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
    from .recall_receive import receive_recall
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


def signed_part(data, limits):
    """What the receiving path should verify: a SOAP envelope whose ``Status`` carries its own
    signature gives that ``Status`` alone (as it was signed); anything else is returned as is."""
    try:
        root = parse_xml(data, limits)
    except PackageError:
        return data
    if etree.QName(root) != etree.QName(edxml.SOAP_ENV, 'Envelope'):
        return data
    signed = [el for el in root.iter(f'{{{edxml.NS}}}Status')
              if next(el.iter(f'{{{xmldsig.DS}}}Signature'), None) is not None]
    if len(signed) != 1:
        return data
    # a deep copy keeps the element's own namespace declarations, not the envelope's
    return etree.tostring(copy.deepcopy(signed[0]), xml_declaration=True, encoding='utf-8')


_REFUSED_SHA = re.compile(r'SHA-256 ([0-9a-f]{64})')


def _refusal_of_other_bytes(status, delivery):
    """The SHA-256 a refusal at intake names (``queue_refusal``) when it is not that of the bytes
    this delivery handed over: a forged package in our name was refused, not ours."""
    named = _REFUSED_SHA.search(status.description or '') if status.status_code == '02' else None
    sent = (delivery.receipt or {}).get('sha256') if isinstance(delivery.receipt, dict) else None
    return named[1] if named and sent and named[1] != sent else None


def receive_status(root, data, settings, route='hosted'):
    """Apply a status message to the sender's delivery row; return what was recorded, with the
    DocumentId, the reporting body and the sender it is about (what a receipt names)."""
    limits = limits_of(settings)
    data = signed_part(bytes(data), limits)       # the government SDK's SOAP envelope, unwrapped
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        first = edxml.decode_status(data, limits, organ_id_pattern=settings.organ_id_pattern)
    except PackageError as exc:
        raise _from_package_error(exc) from None
    reporter = first.status.from_organ.organ_id
    origin = None
    try:
        verified = _verified(root, data, reporter, limits)
    except Refused as exc:
        if route not in TOLERANT_ROUTES or exc.code not in MAY_WAIT_FOR_CLERK:
            raise
        # the SDK's status: unsigned, or its own Signature element; applied, marked unverified
        parsed = parse_xml(data, limits)
        origin = _origin_deviation(exc, parsed).code
        status = first.status
    else:
        try:
            status, _deviations = edxml.decode_status(_bytes(verified.element), limits,
                                                      organ_id_pattern=settings.organ_id_pattern)
        except PackageError as exc:
            raise _from_package_error(exc) from None
    document_id = status.response_for.document_id
    delivery = deliveries.find(root, document_id, reporter)
    if delivery is None:
        raise Refused('status_unknown_document',
                      f'Thông điệp trạng thái {status.status_code} của cơ quan {reporter} cho văn bản {document_id}: '
                      'không ai ở đây chờ trạng thái này (văn bản chưa từng được gửi cho cơ quan đó)',
                      f'a status nobody here is waiting for: document {document_id} was never sent to {reporter}',
                      vouched=origin is None, sender=reporter, document_id=document_id)
    entry = {'code': status.status_code, 'at': clock.iso(status.timestamp or clock.now()),
             'description': status.description, 'staff': status.staff.staff, 'sha256': sha256}
    if origin:
        entry['unverified'] = origin        # shown beside the status: its origin is not proven
    applied = dict(entry, document_id=document_id, reporter=reporter, sender=delivery.sender)
    if any(s.get('sha256') == sha256 for s in delivery.statuses):
        return applied                                 # the same message twice: once is enough
    delivery.statuses.append(entry)
    refused_other = _refusal_of_other_bytes(status, delivery)
    if refused_other:       # someone else's package in our name was refused: ours stands
        entry['other_package'] = refused_other
    elif status.status_code == '02':
        delivery.state = deliveries.DECLINED
    doc = root['bodies'][delivery.sender].documents.get(delivery.document)
    if doc is not None:
        audit.append(root, doc.chain_id, 'status_received', ACTOR, receiver=reporter,
                     code=status.status_code, at=entry['at'], description=status.description,
                     staff=status.staff.staff)
    return applied

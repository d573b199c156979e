"""The sending side: deliveries queued with the sending transition, and signed packages.

``queue_deliveries`` runs inside the transition's transaction: the deliveries exist exactly when
the document is sent. What cannot go is said at once, before anything is written: an unknown
receiver, a closed one, a Mật document to a body with no registered encryption certificate or
by a route that may not carry it (email, the national axis: Art. 3.8).

A document of an Art. 8 category (``paper_category``) goes electronically AND on paper: each
receiver gets, beside its electronic delivery, a paper row (route ``paper``) that no worker
carries; it waits on the sending clerk's desk until the clerk records the paper sent.
"""
from lxml import etree

from ..errors import Conflict
from ..i18n import _
from ..services import secrecy as at_rest
from ..signing import cms
from . import deliveries, edxml, mapping
from .safexml import PackageError
from ..schemas.document import DocumentSchema
from .. import clock
from .xmldsig import sign

SECRET_ROUTES = ('hosted', 'instance')


def queue_deliveries(root, doc, codes=None):
    """One delivery per receiver in ``codes`` (default ``doc.send_to``), and for an Art. 8
    document one paper row each as well; returns them, electronic ones first."""
    bodies = root['bodies']
    document_id = doc.document_id or mapping.document_id_of(doc)
    planned = []
    for code in (doc.send_to or ()) if codes is None else codes:
        receiver = bodies.get(code)
        if receiver is None or not receiver.is_open():
            raise Conflict('receiver_unknown', _(
                'receiver_unknown', default='Cơ quan nhận ${code} không có trong danh bạ hoặc đã ngừng hoạt động',
                mapping={'code': code}))
        if at_rest.is_secret(doc):
            if receiver.route not in SECRET_ROUTES:
                raise Conflict('no_route_for_secret', _(
                    'no_route_for_secret',
                    default='Văn bản Mật không được gửi tới ${code} qua ${route}: chỉ qua hệ thống được bảo vệ',
                    mapping={'code': code, 'route': receiver.route}))
            if mapping.encryption_certificate(receiver) is None:
                raise Conflict('receiver_has_no_encryption_certificate', _(
                    'receiver_has_no_encryption_certificate',
                    default='Cơ quan nhận ${code} chưa đăng ký chứng thư mã hóa: không gửi được văn bản Mật',
                    mapping={'code': code}))
        planned.append(receiver)
    doc.document_id = document_id
    if planned:
        check_sendable(root, doc, planned[0])
    rank = deliveries.rank_of(doc.urgency)
    queued = [deliveries.add(root, deliveries.Delivery(
        doc.body_code, doc.__name__, document_id, r.code, r.name, r.route, rank)) for r in planned]
    category = getattr(doc, 'paper_category', None)
    if category:
        for r in planned:
            paper = deliveries.Delivery(doc.body_code, doc.__name__, document_id, r.code, r.name,
                                        deliveries.PAPER_ROUTE, rank)
            paper.paper_category = category
            queued.append(deliveries.add(root, paper))
    return queued


# edXML element -> the document field that fills it, for a header that does not validate
ELEMENT_FIELDS = {'FullName': 'signer_name', 'Position': 'signer_position', 'Competence': 'signer_competence',
                  'CodeNumber': 'number_symbol', 'CodeNotation': 'number_symbol',
                  'PromulgationDate': 'issued_date', 'Place': 'place', 'Subject': 'abstract',
                  'Content': 'abstract', 'Type': 'doc_type', 'TypeName': 'doc_type'}


def check_sendable(root, doc, receiver):
    """The package header the worker will build, checked against the schema now (files aside):
    a document the worker could not send (no signer named...) is refused at *Gửi*, naming the
    field, rather than failing later in the background."""
    from pyramid.threadlocal import get_current_registry
    settings = get_current_registry().archive_settings
    header = mapping.package_for(root, doc, receiver, settings, 'exchange', with_files=False)
    header.attachments = [edxml.Attachment('1', 'main.pdf', '', 'application/pdf', b'%PDF-')]  # files aside
    try:
        edxml.validate(edxml.encode_package(header))
    except PackageError as exc:
        element = next((name for name in ELEMENT_FIELDS if f"'edXML:{name}'" in (exc.detail or '')), None)
        field = ELEMENT_FIELDS.get(element, element or '?')
        node = DocumentSchema().get(field)
        title = node.title.default if node is not None and hasattr(node.title, 'default') else field
        raise Conflict('not_sendable', _(
            'not_sendable', default='Văn bản chưa đủ thông tin để gửi điện tử: cần ghi "${title}" (${field})',
            mapping={'title': title, 'field': field})) from None


def queue_updates(root, doc, data, actor):
    """Correct a sent document (edXML update, type 2): the corrected abstract is applied here and
    goes to every receiver it reached; receivers added get the document itself. Journal data."""
    changed = {}
    if data.get('abstract') and data['abstract'] != doc.abstract:
        changed['abstract'] = [doc.abstract, data['abstract']]
        doc.abstract = data['abstract']
        doc.record_revision(actor, ['abstract'])
    updated = deliveries.follow_up(root, doc.body_code, doc.__name__, 'update', data['reason'])
    added = list(data.get('add_receivers') or ())
    if added:
        queue_deliveries(root, doc, added)
        doc.send_to = list(doc.send_to or ()) + added
    return {'updated_for': updated, 'added_receivers': added, 'changed': changed}


FORWARD = 'forward'


def forward_document_id(doc, on):
    """The DocumentId of ``doc`` forwarded by its body on the day ``on``: the forwarder's own
    (a DocumentId belongs to the body that sends the package), with the document's number."""
    number, notation = edxml.split_number_symbol(doc.number_symbol or '') or ('', '')
    return edxml.document_id(doc.body_code, on, number, notation)


def queue_forward(root, doc, code, note):
    """*Chuyển tiếp cho cơ quan khác*: the received ``doc`` goes on to body ``code`` as a new
    package from this body, with the forwarding ``note``: one delivery (kind ``forward``) in the
    forwarding transaction, carried by the worker like any other; the receiver's statuses come
    back on it. Refused at once like a sending: an unknown or closed body, a Mật document by a
    route that may not carry it or to a body with no encryption certificate."""
    receiver = root['bodies'].get(code)
    if receiver is None or not receiver.is_open():
        raise Conflict('receiver_unknown', _(
            'receiver_unknown', default='Cơ quan nhận ${code} không có trong danh bạ hoặc đã ngừng hoạt động',
            mapping={'code': code}))
    if at_rest.is_secret(doc) and (receiver.route not in SECRET_ROUTES or mapping.encryption_certificate(receiver) is None):
        raise Conflict('no_route_for_secret', _(
            'no_route_for_secret',
            default='Văn bản Mật không được gửi tới ${code} qua ${route}: chỉ qua hệ thống được bảo vệ',
            mapping={'code': code, 'route': receiver.route}))
    delivery = deliveries.Delivery(doc.body_code, doc.__name__, forward_document_id(doc, clock.today()),
                                   receiver.code, receiver.name, receiver.route, deliveries.rank_of(doc.urgency))
    delivery.kind, delivery.reason = FORWARD, note
    return deliveries.add(root, delivery)


def signed_bytes(settings, body_code, element):
    """Sign the package or status ``element`` with the body's organisation key; its bytes."""
    store = settings.keystore
    key_id = f'org-sign:{body_code}'
    sign(element, lambda data: cms.sign_bytes(store, key_id, data), store.certificate(key_id),
         store.chain(key_id))
    edxml.validate(element)
    return etree.tostring(element, xml_declaration=True, encoding='utf-8')


def package_bytes(root, doc, receiver, settings, actor):
    return signed_bytes(settings, doc.body_code,
                        edxml.encode_package(mapping.package_for(root, doc, receiver, settings, actor)))

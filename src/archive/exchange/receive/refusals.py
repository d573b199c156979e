"""A refusal after the fact: who the refused package says it is from, the refusal counted and
journaled (in full when vouched), and the signed 02 that goes back from email and axis intake."""
from ... import audit, clock, outbox, refused
from ...reports import counters
from .. import edxml, mapping, outgoing
from ..channels import STATUS_ROUTES
from ..safexml import PackageError, parse_xml
from .common import ACTOR, CHAIN, System, limits_of
from .origin import route_back

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


def refusal(root, code, message, sha256, **facts):
    return audit.append(root, CHAIN, 'package_refused', ACTOR, code=code, reason=message, package_sha256=sha256,
                        **{k: v for k, v in facts.items() if v})

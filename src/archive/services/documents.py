"""Creating and changing documents, the same for the form, the API and the scripts."""
import hashlib
import json

import colander

from .. import audit, clock, search
from ..db import run_apart
from ..errors import Conflict, Forbidden, field_errors, merge, single
from ..i18n import _
from ..reports import counters
from ..resources.documents import Document
from ..resources.files import MAIN, clean_filename, ingest
from ..schemas.document import TOP_SECRET_CODE, form_problems
from ..schemas.vocab import REFUSED_CLASSIFICATIONS
from ..workflow.states import initialize, state_data
from . import readers, secrecy
from .certificates import check_origin, origin_status
from ..exchange.edxml import deviations
from .legal import legal_status


class Upload:
    """A file as a channel received it: the field it came in, its name and a stream."""

    def __init__(self, field, filename, stream, role):
        self.field = field
        self.filename = filename
        self.stream = stream
        self.role = role


def is_refusal(errors):
    return any(e['code'] == TOP_SECRET_CODE for e in errors)


def refusal_record(cstruct, channel, actor):
    """What is kept of a Tối mật / Tuyệt mật submission: who, how, why, and a hash. No content."""
    raw = json.dumps(cstruct, ensure_ascii=False, sort_keys=True, default=str).encode('utf-8')
    level = cstruct.get('classification') if isinstance(cstruct, dict) else None
    return dict(channel=channel, actor=actor,
                classification=level if level in REFUSED_CLASSIFICATIONS else None,
                reason='Tối mật/Tuyệt mật không được đưa vào hệ thống (Điều 5.1)',
                payload_sha256=hashlib.sha256(raw).hexdigest())


def record_refusal(registry, body_code, cstruct, channel, actor):
    """Journal a refused Tối mật/Tuyệt mật submission in a transaction of its own:
    the caller's own transaction aborts, so nothing of the document is stored."""
    record = refusal_record(cstruct, channel, actor)
    actor = record.pop('actor')
    run_apart(registry, lambda root: audit.append(root, f'body:{body_code}', 'refused_at_entry', actor, **record))


def guard(registry, body_code, cstruct, channel, actor, action):
    """Run ``action()``; if it refuses a top-secret classification, journal the refusal."""
    try:
        return action()
    except colander.Invalid as exc:
        if is_refusal(field_errors(exc)):
            record_refusal(registry, body_code, cstruct, channel, actor)
        raise


def _check_context(root, body, appstruct, settings):
    """Checks that need the database: the unit exists, named people belong to the body."""
    problems = []
    unit = appstruct.get('holder_unit')
    if unit and unit not in body.units:
        problems.append(single('holder_unit', _(
            'unit_unknown', default='Đơn vị "${unit}" không thuộc cơ quan này', mapping={'unit': unit})))
    replaced = appstruct.get('replaces')
    if replaced:
        earlier = body.documents.get(replaced)
        if earlier is None or earlier.direction != 'outgoing' or not earlier.document_id \
                or appstruct.get('direction') != 'outgoing':
            problems.append(single('replaces', _(
                'replaces_unknown', default='"${id}" không phải văn bản đi đã gửi của cơ quan này',
                mapping={'id': replaced})))
    problems.extend(readers.person_problems(root, body.code, appstruct.get('named_people') or ()))
    # a receiver's code: of the configured form, or another system's code that the directory knows
    odd = [code for code in appstruct.get('send_to') or () if code not in root['bodies']
           and not settings.organ_id_pattern.match(code)]
    if odd:
        problems.append(single('send_to', _('organ_id_malformed', default='Mã định danh "${value}" không đúng '
                                                                         'dạng (ví dụ 000.00.31.H29)',
                                            mapping={'value': odd[0]})))
    return problems


def _ingest_all(uploads, settings, actor, body_code, key=None):
    """Store the uploads; with ``key`` (a Mật document) each sealed, its name too."""
    files, problems = [], []
    mains = [u for u in uploads if u.role == MAIN]
    if len(mains) > 1:
        problems.append(single(mains[1].field, _('main_file_twice', default='Chỉ được một tệp văn bản chính')))
    seal = secrecy.sealer(key, body_code) if key is not None else None
    for upload in uploads:
        try:
            f = ingest(upload.field, upload.filename, upload.stream, upload.role, settings, actor, sealer=seal,
                       any_type=getattr(upload, 'any_type', False))
        except colander.Invalid as exc:
            problems.append(exc)
            continue
        if key is not None:
            secrecy.seal_name(f, clean_filename(upload.filename), key, body_code)
        files.append(f)
    return files, problems


def validate(root, body, cstruct, uploads, settings, actor, key_for=None, as_written=False):
    """Deserialize and check everything; return (appstruct, files) or raise ``colander.Invalid``.

    Files of a Mật document are sealed as they are read, with the key ``key_for()`` gives.
    ``as_written``: the document came from another system by exchange; its number and symbol
    and its issuer's code are kept in that system's form (the exchange flags them)."""
    problems = []
    appstruct = None
    schema = settings.document_schema()
    try:
        appstruct = schema.deserialize(cstruct)
    except colander.Invalid as exc:
        problems.append(exc)
    if not as_written:          # our own forms, said with the other errors of the same input
        flagged = {e['field'] for p in problems for e in field_errors(p)}
        values = appstruct if appstruct is not None else {
            k: v for k, v in (cstruct or {}).items() if isinstance(v, str) and k not in flagged}
        problems.extend(form_problems(schema, values, settings))
    key = None
    if appstruct is not None:
        problems.extend(_check_context(root, body, appstruct, settings))
        if uploads and secrecy.is_secret(appstruct.get('classification')):
            key = key_for()
    files, file_problems = _ingest_all(uploads, settings, actor, body.code, key)
    problems.extend(file_problems)
    if problems:
        raise merge(problems)
    return appstruct, files


SAME_LETTER = 'same_letter'


def _same_letter(body, appstruct, confirmed):
    """The documents this incoming one repeats (same issuer, number and symbol, date of issue).
    Unless ``confirmed``, finding one refuses the intake with a warning naming it."""
    found = body.documents.same_letter(appstruct.get('organ_id'), appstruct.get('number_symbol'),
                                       appstruct.get('issued_date'))
    if found and not confirmed:
        first = found[0]
        raise single('number_symbol', _(
            SAME_LETTER, default='Văn bản này đã được tiếp nhận: ${number_symbol} của ${sender}, ngày ban hành '
                                 '${date}, số đến ${register_number}. Nếu đúng là nhận thêm một lần, đánh dấu '
                                 '"Vẫn tiếp nhận" rồi lưu lại',
            mapping={'number_symbol': first.number_symbol, 'sender': first.sender or first.organ_id,
                     'date': clock.display(first.issued_date) or '—',
                     'register_number': first.register_number or '—'}))
    return [d.__name__ for d in found]


def create(root, body, cstruct, uploads, settings, actor, may_take_in=True, by_exchange=False,
           same_letter_confirmed=None):
    """Create a document in ``body``; raises ``colander.Invalid`` or ``Conflict``.

    ``may_take_in``: whether the actor may enter incoming documents (the clerk's intake);
    others draft outgoing documents only. ``by_exchange``: the receiving path takes it in, as
    written by the other system (``validate``'s ``as_written``), and counts it as received when it
    journals how it came. ``same_letter_confirmed``: for a person's intake (pages, API), whether
    they confirmed taking in a letter already taken in (``False``: such a letter is refused with a
    warning; ``True``: taken in, the repetition journaled); ``None`` (the receiving path, which
    knows a package by its identity): not asked.
    """
    if not body.is_open():
        raise Conflict('body_closed', _('body_closed', default='Cơ quan đã ngừng hoạt động: không tạo văn bản mới'))
    sealing = {}

    def key_for():
        sealing['key'], sealing['record'] = secrecy.new_key(body.code, settings)
        return sealing['key']
    appstruct, files = validate(root, body, cstruct, uploads, settings, actor, key_for, as_written=by_exchange)
    if appstruct['direction'] == 'incoming' and not may_take_in:
        raise Forbidden(_('intake_is_clerks', default='Chỉ văn thư tiếp nhận văn bản đến'))
    if appstruct['direction'] == 'outgoing' and not appstruct.get('sender'):
        appstruct['sender'] = body.name          # an outgoing document's issuer is this body
    if appstruct['direction'] == 'incoming' and not appstruct.get('sender') \
            and appstruct.get('organ_id') in root['bodies']:
        appstruct['sender'] = root['bodies'][appstruct['organ_id']].name   # picked from the directory
    repeats = []
    if appstruct['direction'] == 'incoming' and same_letter_confirmed is not None:
        repeats = _same_letter(body, appstruct, same_letter_confirmed)
    documents = body.documents
    doc = Document(body.code, actor)
    if sealing:
        doc.secrecy = sealing['record']
    name = documents.new_name()
    changed = doc.apply(appstruct, settings.document_types)
    initialize(doc)
    for f in files:
        doc.add_file(f)
    documents.add(name, doc)
    documents.index(doc)
    documents.index_state(doc)
    search.enqueue(root, doc)
    doc.record_revision(actor, changed)
    seq = audit.append(root, doc.chain_id, 'created', actor, body=body.code,
                       fields=changed, files=[[f.__name__, f.filename, f.sha256] for f in files],
                       **({'same_letter_as': repeats} if repeats else {}))
    counters.count(root, doc, doc.chain_id, seq, by_exchange)
    # The origin check (Art. 10): the main file's signatures, once, on intake; without a
    # main file (paper, entered by hand) the document stays 'not_verified'.
    check_origin(root, doc, settings, actor)
    return doc


def _readers_asked(settings, cstruct):
    """The ``named_people`` the input asks for, or None when it does not say (or says it badly:
    the schema reports that)."""
    if cstruct.get(readers.FIELD) is None:
        return None
    try:
        return settings.document_schema()[readers.FIELD].deserialize(cstruct[readers.FIELD]) or []
    except colander.Invalid:
        return None


def editable(doc):
    """Whether a person may still rewrite ``doc`` with *Sửa*: the states ``workflows/*.zcml`` mark
    ``editable`` (an incoming document until it is registered, an outgoing one until it is
    signed). After that the record is fixed: an incoming document's register row stands, a sent
    one reaches its receivers only through *Cập nhật, đính chính* (with a reason, sent as an
    update). An exchange update received is applied by the receiving path, not through this gate."""
    return state_data(doc).get('editable') == 'true'


def check_editable(doc):
    """Raise ``Conflict`` when ``doc`` may no longer be rewritten with *Sửa*."""
    if editable(doc):
        return
    if doc.direction == 'incoming':
        message = _('document_fixed_incoming', default='Văn bản đến đã vào sổ: không sửa được nữa; '
                                                       'thông tin văn bản giữ như khi vào sổ')
    else:
        message = _('document_fixed_outgoing', default='Văn bản đi đã ký số: không sửa được nữa; '
                                                       'thay đổi sau khi gửi dùng "Cập nhật, đính chính" và ghi lý do')
    raise Conflict('document_fixed', message)


def update(root, doc, cstruct, uploads, settings, actor):
    """Change fields (those given; the rest keep their values) and add files.

    On a document that is already Mật, naming more people widens who reads it: decided by
    ``readers`` (the body's clerk or a leader, with ``readers_reason``), before anything else."""
    body = doc.__parent__.__parent__
    cstruct = dict(cstruct)
    reason = cstruct.pop(readers.REASON_FIELD, None)
    widening = None
    if secrecy.is_secret(doc):
        wanted = _readers_asked(settings, cstruct)
        if wanted is not None and readers.check(root, doc, root['users'].get(actor), wanted, reason):
            widening = wanted
    current = settings.document_schema().serialize(
        {k: (colander.null if v is None else v) for k, v in doc.values().items()})
    merged = {**{k: v for k, v in current.items() if v is not colander.null}, **cstruct}
    if doc.main_file is not None and any(u.role == MAIN for u in uploads):
        raise single('main_file', _('main_file_exists', default='Văn bản đã có tệp văn bản chính; '
                                                                'tệp đã lưu không bị thay thế'))

    def key_for():
        if secrecy.is_secret(doc) and getattr(doc, 'secrecy', None):
            return secrecy.content_key(doc, settings)
        if secrecy.is_secret(doc):
            key, doc.secrecy = secrecy.new_key(doc.body_code, settings)
            return key
        return secrecy.seal_existing(root, doc, settings, actor)     # raised to Mật by this change
    appstruct, files = validate(root, body, merged, uploads, settings, actor, key_for,
                                as_written=bool(getattr(doc, 'exchange', None)))
    if appstruct.get('classification') != doc.classification and doc.classification == 'mat':
        raise Conflict('classification_downgrade', _(
            'classification_downgrade', default='Không hạ độ mật của văn bản Mật bằng sửa đổi thông thường'))
    if secrecy.is_secret(appstruct.get('classification')) and not getattr(doc, 'secrecy', None) \
            and doc.files:
        secrecy.seal_existing(root, doc, settings, actor)        # raised to Mật, no new files
    if widening is not None:
        readers.widen(root, doc, root['users'].get(actor), widening, reason)
    old_key = doc.sort_key()
    changed = doc.apply(appstruct, settings.document_types)
    for f in files:
        doc.add_file(f)
    if not changed and not files:
        return doc, []
    body.documents.unindex(old_key)
    body.documents.index(doc)
    body.documents.index_state(doc, doc.state)
    search.enqueue(root, doc)
    doc.record_revision(actor, changed)
    audit.append(root, doc.chain_id, 'changed', actor, fields=changed,
                 files=[[f.__name__, f.filename, f.sha256] for f in files])
    if any(f.role == MAIN for f in files):
        check_origin(root, doc, settings, actor)
    return doc, changed


def note_download(root, doc, f, actor):
    audit.append(root, doc.chain_id, 'file_downloaded', actor, file=f.__name__,
                 filename=f.filename, sha256=f.sha256)


def as_json(doc):
    """The document as the API shows it (times ISO 8601 +07:00)."""
    values = {}
    for name, value in doc.values().items():
        if hasattr(value, 'isoformat'):
            value = clock.iso(value)
        elif isinstance(value, (list, tuple)):
            value = list(value)
        values[name] = value
    parsed = doc.parsed
    legal = legal_status(doc)
    return {
        'id': doc.__name__,
        'body': doc.body_code,
        **values,
        'status': doc.state,
        'register_number': doc.register_number,
        'register_series': doc.register_series,
        'origin_verdict': origin_status(doc),
        'origin_checked_at': clock.iso(doc.origin_checked_at),
        'signature': doc.origin_verdict if isinstance(doc.origin_verdict, dict) else None,
        'forwarded': (doc.exchange or {}).get('forwarded'),
        'instruction': doc.instruction,
        'main_processor': doc.main_processor,
        'co_processors': list(doc.co_processors),
        'info_units': list(doc.info_units),
        'signed_at': clock.iso(doc.signed_at),
        'reply': doc.reply[1] if doc.reply else None,
        'number': parsed.number if parsed else None,
        'type_abbr': parsed.type_abbr if parsed else None,
        'issuer_symbol': parsed.issuer if parsed else None,
        'symbol_form': parsed.form if parsed else None,
        'legal_value': legal.value,
        'legal_code': legal.code,
        'created_at': clock.iso(doc.created_at),
        'created_by': doc.created_by,
        'modified_at': clock.iso(doc.modified_at),
        'revision': len(doc.revisions),
        'files': [file_json(f) for f in doc.file_list()],
        'exchange': exchange_json(doc),
    }


def exchange_json(doc):
    """What the exchange says of a document taken in from another system: its sender and route,
    the clerk's origin check (``pending``, ``accepted`` or None when not needed) and every
    deviation in plain Vietnamese (``code``, ``message``, ``detail``: what the sender wrote); when
    the sender said a paper copy follows, its arrival as the clerk recorded it (or None)."""
    ex = getattr(doc, 'exchange', None)
    if not ex:
        return None
    return {'document_id': ex.get('document_id'), 'sender': ex.get('sender'), 'sender_name': ex.get('sender_name'),
            'route': ex.get('route'), 'origin_check': ex.get('origin_check'), 'type_name': ex.get('type_name'),
            'sent_at': ex.get('sent_at'), 'paper_follows': bool(ex.get('paper_follows')),
            'paper_arrived': paper_arrived_json(ex.get('paper_arrived')),
            'deviations': [dict(d, message=d['message'].default if hasattr(d['message'], 'default') else d['message'])
                           for d in deviations.described(ex.get('deviations') or ())]}


def paper_arrived_json(record):
    """The receiving clerk's record of the paper copy's arrival (Art. 8, ``services.paper``), or None."""
    if not record:
        return None
    return {'at': clock.iso(record['at']), 'received_by': record['received_by'], 'recorded_by': record['recorded_by'],
            'recorded_at': clock.iso(record['recorded_at']), 'note': record.get('note')}


def file_json(f):
    return {'name': f.__name__, 'filename': f.filename, 'role': f.role, 'media_type': f.media_type,
            'size': f.size, 'sha256': f.sha256, 'stored_sha256': f.stored_sha256 or f.sha256,
            'encrypted': f.encrypted, 'unlisted': f.unlisted, 'uploaded_at': clock.iso(f.uploaded_at),
            'uploaded_by': f.uploaded_by}

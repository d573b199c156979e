"""A body's document list, a document's page, its files and revisions, the create/edit form,
what the sending clerk records on a delivery row (paper sent, a mailbox's statuses), and the
receiving clerk's record of a paper copy arrived (Art. 8)."""
import itertools

import colander
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.renderers import render_to_response
from pyramid.response import FileResponse
from pyramid.view import view_config

from .. import audit, clock
from ..disposition import content_disposition
from .. import security as S
from ..i18n import Size, _
from ..resources.bodies import Body
from ..resources.documents import Document, Documents
from ..exchange import deliveries
from .. import errors
from ..errors import Conflict, InputError, Unknown, field_errors, translated
from ..exchange.edxml import STATUS_CODES
from ..resources.files import File, too_large
from ..resources import access
from ..resources.root import app_root
from ..schemas.delivery import PaperArrivedSchema, PaperSentSchema, StatusRecordSchema
from ..schemas.document import document_schema
from ..services import documents as svc
from ..services import lists, paper, readers
from ..services.lists import PAGE_SIZE
from ..search import FACETS
from ..search.filters import active, read_filters
from . import flash
from .filter_form import filter_fields, page_errors, without_empty_fields
from .workflow import action_forms
from . import document_forms, held_uploads
from .http import may_be_framed
from .forms import add_csrf, file_node, posted, put_errors, render_submitted, show_errors, use_pickers
from ..services.desk import running_states, sort_key
from ..services import secrecy

def visible_page(request, documents, start, size=PAGE_SIZE, filters=None):
    """One page of the documents this user may see (and the filters let through), newest first:
    ``services/lists.py``."""
    return lists.visible_page(S.principals_of(request.identity), documents, start, size, filters)


LIST_PARAMS = ('start', 'limit')       # beside the filters (search/filters.py)
URGENT_PINNED = 20


def urgent_open(request, body, limit=URGENT_PINNED):
    """Urgent documents still being handled rise to the top of the body's list: the most
    urgent and oldest ``limit`` of them (the desk lists them all)."""
    found = []
    for direction, state in running_states(request.registry):
        taken = 0
        for doc in body.documents.in_state(direction, state, urgent_only=True):
            if taken == limit:
                break
            if access.user_may_see(request.identity, doc):
                found.append(doc)
                taken += 1
    return sorted(found, key=sort_key)[:limit]


@view_config(context=Body, permission=S.VIEW_BODIES, renderer='archive:templates/body.pt')
def body_view(context, request):
    cleaned = without_empty_fields(request)
    if cleaned is not None:
        return cleaned
    try:
        start = max(0, int(request.params.get('start', 0)))
    except ValueError:
        start = 0
    docs, more, urgent, errors, filters = [], False, [], [], None
    can_list = request.has_permission(S.LIST_DOCUMENTS, context)
    if can_list:
        try:
            filters = read_filters(request.GET, LIST_PARAMS)
        except InputError as exc:
            errors = page_errors(request, exc)
        else:
            docs, more = visible_page(request, context.documents, start, filters=filters)
        urgent = urgent_open(request, context) if not active(filters) else []
    bodies = app_root(request)['bodies']
    query = [(k, v) for k, v in request.GET.items() if k != 'start']
    # "« Mới hơn" from a page past the last (a bookmark of a list that now holds fewer) leads to
    # the first page, not one empty page back: the list does not count, so the last is not known
    newer = 0 if start and not docs else max(0, start - PAGE_SIZE)
    return {'body': context, 'docs': docs, 'start': start, 'newer': newer, 'more': more, 'page_size': PAGE_SIZE,
            'urgent': urgent, 'errors': errors, 'query': query,
            'filters': filter_fields(request, request.GET, bodies, body=context,
                                     names=[n for n in FACETS if n != 'body']),
            'can_list': can_list, 'can_create': request.has_permission(S.CREATE_DOCUMENT, context),
            'bodies': app_root(request)['bodies']}


def _document_form(request, secret=False, same_letter=False, direction=None):
    """The document's form; on a Mật document one field more, the reason for naming more readers;
    after the warning that the letter was taken in already, the box that confirms taking it again."""
    settings = request.registry.archive_settings
    schema = use_pickers(document_schema(settings))
    if same_letter:
        import deform.widget
        schema.add(colander.SchemaNode(
            colander.Boolean(), name=CONFIRM_SAME_LETTER, missing=False, widget=deform.widget.CheckboxWidget(),
            title=_('f_confirm_duplicate', default='Vẫn tiếp nhận (văn bản này đã được tiếp nhận trước đó)')))
    if secret:
        schema.add(colander.SchemaNode(
            colander.String(), name=readers.REASON_FIELD, missing=colander.null,
            title=_('f_readers_reason', default='Lý do thêm người được xem (văn bản Mật)'),
            description=_('d_readers_reason', default='Chỉ văn thư hoặc lãnh đạo cơ quan thêm người xem, '
                                                      'và phải ghi lý do')))
    limit = _('d_upload_limit', default='Mỗi tệp tối đa ${limit}', mapping={'limit': Size(settings.max_upload_bytes)})
    check = (settings.max_upload_bytes, request.localizer.translate(too_large('%s', settings.max_upload_bytes)))
    schema.add(file_node('main_file', _('f_main_file', default='Tệp văn bản chính (PDF)'), description=limit,
                         limit=check))
    schema.add(file_node('attachments', _('f_attachments', default='Tệp đính kèm'), multiple=True,
                         description=limit, limit=check))
    schema.add(held_uploads.node())         # the files held after an error (shown when there are any)
    add_csrf(schema, request)
    return document_forms.make(schema, direction, request, _('save', default='Lưu'))


def _uploads(request):
    uploads = []
    main = request.POST.get('main_file')
    if getattr(main, 'file', None) is not None and main.filename:
        uploads.append(svc.Upload('main_file', main.filename, main.file, 'main'))
    for item in request.POST.getall('attachments'):
        if getattr(item, 'file', None) is not None and item.filename:
            uploads.append(svc.Upload('attachments', item.filename, item.file, 'attachment'))
    return uploads


CONFIRM_SAME_LETTER = 'confirm_duplicate'


def _cstruct(request, form):
    """The posted fields, as the schema expects them (files are read apart)."""
    return {k: v for k, v in posted(request, form.schema).items()
            if k not in ('main_file', 'attachments', CONFIRM_SAME_LETTER)}


def submit_document(request, form, action, body_code, channel='web', secret=False):
    """Run ``action(cstruct, uploads)``; on bad input put the errors on the form, and hold the
    files chosen (never a Mật document's: ``secret``, or a form not saying "not secret") so that
    the form shows them again (``held_uploads``)."""
    cstruct = _cstruct(request, form)
    held = held_uploads.Held(request)
    uploads = held.uploads(_uploads(request))
    try:
        result = svc.guard(request.registry, body_code, cstruct, channel, request.authenticated_userid,
                           lambda: action(cstruct, uploads))
    except colander.Invalid as exc:
        errors = show_errors(request, form, exc)
        widget = form[held_uploads.FIELD].widget
        widget.files = held.keep(uploads, may_hold=not secret and cstruct.get('classification') == 'thuong',
                                 refused_fields={e['field'] for e in errors})
        widget.not_held = held.not_held
        return None, errors
    held.done(uploads)
    return result, None


def _new_defaults(request, body):
    """What a clerk would otherwise type: for incoming, the time it arrived (now); for
    outgoing, this body as the issuer."""
    if request.params.get('direction') == 'outgoing':
        return {'direction': 'outgoing', 'organ_id': body.code, 'sender': body.name}
    return {'direction': 'incoming', 'received_at': clock.now(), 'channel': 'paper'}


@view_config(context=Documents, name='new', permission=S.CREATE_DOCUMENT,
             renderer='archive:templates/document_form.pt')
def create_view(context, request):
    body = context.__parent__
    confirmed = request.POST.get(CONFIRM_SAME_LETTER) == 'true'
    direction = request.params.get('direction')
    form = _document_form(request, same_letter=confirmed, direction=direction)
    errors = []
    if request.method == 'POST':
        root = app_root(request)
        settings = request.registry.archive_settings
        doc, errors = submit_document(
            request, form,
            lambda cstruct, uploads: svc.create(root, body, cstruct, uploads, settings, request.authenticated_userid,
                                                may_take_in=request.has_permission(S.CREATE_INCOMING, body),
                                                same_letter_confirmed=confirmed),
            body.code)
        if doc is not None:
            flash.confirm(request, _('flash_created', default='Đã lưu văn bản mới'))
            return HTTPSeeOther(request.resource_url(doc))
        if not confirmed and any(e['code'] == svc.SAME_LETTER for e in errors):
            held = form[held_uploads.FIELD].widget
            form = _document_form(request, same_letter=True, direction=direction)   # the box to confirm it
            form[held_uploads.FIELD].widget = held
            put_errors(form, errors)
        rendered = render_submitted(form, _cstruct(request, form))
    else:
        rendered = form.render(_new_defaults(request, body))
    return {'body': body, 'form': rendered, 'errors': errors, 'doc': None, 'direction': direction,
            'directory': document_forms.directory(request), 'directory_id': document_forms.BODIES_LIST}


def _keep_seconds(doc, cstruct):
    """The pickers show times to the minute: a time posted back unchanged keeps its stored
    seconds (else each save would record the field as changed when nobody changed it)."""
    for name in ('received_at', 'sent_at', 'urgency_deadline'):
        stored = getattr(doc, name, None)
        if stored is not None and cstruct.get(name) == clock.iso(
                clock.to_vn(stored).replace(second=0, microsecond=0)):
            cstruct[name] = clock.iso(stored)
    return cstruct


@view_config(context=Document, name='edit', permission=S.EDIT,
             renderer='archive:templates/document_form.pt')
def edit_view(context, request):
    svc.check_editable(context)           # registered / signed: refused, the page says why (409)
    body = context.__parent__.__parent__
    form = _document_form(request, secret=context.classification == 'mat', direction=context.direction)
    errors = []
    settings = request.registry.archive_settings
    if request.method == 'POST':
        root = app_root(request)
        doc, errors = submit_document(
            request, form,
            lambda cstruct, uploads: svc.update(root, context, _keep_seconds(context, cstruct), uploads, settings,
                                                request.authenticated_userid)[0],
            body.code, secret=context.classification == 'mat')
        if doc is not None:
            flash.confirm(request, _('flash_saved', default='Đã lưu các thay đổi'))
            return HTTPSeeOther(request.resource_url(doc))
        rendered = render_submitted(form, _cstruct(request, form))
    else:
        rendered = form.render({k: (colander.null if v is None else v) for k, v in context.values().items()})
    return {'body': body, 'form': rendered, 'errors': errors, 'doc': context, 'direction': context.direction,
            'directory': document_forms.directory(request), 'directory_id': document_forms.BODIES_LIST}


@view_config(context=Document, permission=S.VIEW, renderer='archive:templates/document.pt')
def document_view(context, request):
    root = app_root(request)
    rows = deliveries.of_document(root, context.body_code, context.__name__)
    return {'doc': context, 'body': context.__parent__.__parent__,
            'history': audit.entries(root, context.chain_id),
            'revisions': list(context.revisions.values()),
            'can_edit': svc.editable(context) and request.has_permission(S.EDIT, context),
            'actions': action_forms(request, context),
            'users': root['users'],
            'deliveries': rows,
            'delivery_forms': delivery_forms(request, context, rows),
            'record_errors': [],
            'paper_arrival_form': paper_arrival_form(request, context),
            'paper_arrival_errors': [],
            'paper_categories': request.registry.archive_settings.paper_also_categories,
            'status_names': STATUS_CODES,
            # the PDFs shown in the page; the main one at once unless Mật (a read of it is journaled)
            'viewable': {f.__name__ for f in context.file_list() if viewable(f)},
            'shown': next((f for f in context.file_list() if f.role == 'main' and viewable(f) and not f.encrypted),
                          None)}


# kind -> (schema, button title, recording function): one form each on a delivery row
RECORDS = {
    'paper': (PaperSentSchema, _('record_paper_sent', default='Ghi nhận đã gửi bản giấy'),
              paper.record_paper_sent),
    'status': (StatusRecordSchema, _('record_status', default='Ghi nhận trạng thái'), paper.record_status),
}
FORM_COUNTER_BASE = 100000        # field ids apart from the action forms' (0, 100, 200, ...)


def delivery_forms(request, doc, rows, failed=None):
    """``{delivery id: [form item]}`` for the sending body's clerk or leader: "Ghi nhận đã gửi bản
    giấy" on each row that needs paper, "Ghi nhận trạng thái" on each mailbox row the person got.

    ``failed`` is ``(delivery id, kind, posted values, errors)`` of a refused attempt: that form is
    shown again, open, with what was typed and the message beside each field."""
    import deform
    if not paper.may_record(request.identity, doc):
        return {}
    translate = request.localizer.translate
    now = {'sent_at': clock.now(), 'at': clock.now()}
    out = {}
    for n, d in enumerate(rows):
        for k, (kind, ok) in enumerate((('paper', d.needs_paper), ('status', paper.may_record_status(d)))):
            if not ok:
                continue
            schema_class, title, _record = RECORDS[kind]
            schema = add_csrf(schema_class().bind(), request)
            schema.add(colander.SchemaNode(colander.String(), name='delivery', missing=colander.null,
                                           widget=deform.widget.HiddenWidget()))
            form = deform.Form(schema, buttons=(deform.Button('submit', title=translate(title)),),
                               formid=f'{kind}-{d.id}', action=request.resource_url(doc, f'record-{kind}'),
                               counter=itertools.count(FORM_COUNTER_BASE + (2 * n + k) * 100))
            item = {'kind': kind, 'title': title, 'open': False, 'errors': []}
            if failed is not None and failed[:2] == (d.id, kind):
                item.update(open=True, errors=put_errors(form, failed[3]))
                item['form'] = render_submitted(form, dict(failed[2], delivery=d.id))
            else:
                item['form'] = form.render({**now, 'delivery': d.id})
            out.setdefault(d.id, []).append(item)
    return out


def _record(context, request, kind):
    """Record ``kind`` on a delivery row; on a refusal show the page again with the reason
    (400 bad input, 409 the row does not allow it), nothing written."""
    schema_class, _title, record = RECORDS[kind]
    delivery_id = request.POST.get('delivery', '')
    cstruct = posted(request, schema_class())
    translate = request.localizer.translate
    try:
        record(app_root(request), context, delivery_id, cstruct, request.identity)
    except colander.Invalid as exc:
        errors, status = field_errors(exc, translate), 400
    except Unknown:
        raise                   # no such row: the 404 page
    except Conflict as exc:
        errors, status = translated(exc.errors, translate), 409
    else:
        flash.confirm(request, _('flash_recorded', default='Đã ghi nhận'))
        return HTTPSeeOther(request.resource_url(context))
    page = document_view(context, request)
    page['delivery_forms'] = delivery_forms(request, context, page['deliveries'],
                                            failed=(delivery_id, kind, cstruct, errors))
    if not any(i['open'] for items in page['delivery_forms'].values() for i in items):
        page['record_errors'] = errors        # no form to show them on (the row no longer allows it)
    request.response.status = status
    return render_to_response('archive:templates/document.pt', page, request=request, response=request.response)


@view_config(context=Document, name='record-paper', request_method='POST', permission=S.VIEW)
def record_paper_view(context, request):
    return _record(context, request, 'paper')


@view_config(context=Document, name='record-status', request_method='POST', permission=S.VIEW)
def record_status_view(context, request):
    return _record(context, request, 'status')


RECORD_PAPER_ARRIVED = _('record_paper_arrived', default='Ghi nhận bản giấy đến')
PAPER_ARRIVAL_COUNTER = 90000       # field ids apart from the action forms' and the delivery rows' forms


def paper_arrival_form(request, doc, failed=None):
    """"Ghi nhận bản giấy đến" for the receiving clerk while the paper copy is awaited (Art. 8),
    or None. ``failed`` is ``(posted values, errors)`` of a refused attempt: shown again, open."""
    import deform
    if not (paper.may_record_arrival(request.identity, doc) and paper.paper_awaited(doc)):
        return None
    schema = add_csrf(PaperArrivedSchema().bind(), request)
    form = deform.Form(schema, buttons=(deform.Button('submit', title=request.localizer.translate(RECORD_PAPER_ARRIVED)),),
                       formid='paper-arrival', action=request.resource_url(doc, 'record-paper-arrival'),
                       counter=itertools.count(PAPER_ARRIVAL_COUNTER))
    item = {'title': RECORD_PAPER_ARRIVED, 'open': False, 'errors': []}
    if failed is not None:
        item.update(open=True, errors=put_errors(form, failed[1]))
        item['form'] = render_submitted(form, failed[0])
    else:
        item['form'] = form.render({'arrived_at': clock.now()})
    return item


@view_config(context=Document, name='record-paper-arrival', request_method='POST', permission=S.VIEW)
def record_paper_arrival_view(context, request):
    """Record the paper copy arrived; on a refusal show the page again with the reason (400 bad
    input beside the fields, 409 the document does not allow it), nothing written."""
    cstruct = posted(request, PaperArrivedSchema())
    translate = request.localizer.translate
    try:
        paper.record_paper_arrived(app_root(request), context, cstruct, request.identity)
    except colander.Invalid as exc:
        errors, status = field_errors(exc, translate), 400
    except Conflict as exc:
        errors, status = translated(exc.errors, translate), 409
    else:
        return HTTPSeeOther(request.resource_url(context, anchor='exchange'))
    page = document_view(context, request)
    page['paper_arrival_form'] = paper_arrival_form(request, context, failed=(cstruct, errors))
    if page['paper_arrival_form'] is None:
        page['paper_arrival_errors'] = errors       # no form to show them on (nothing awaited)
    request.response.status = status
    return render_to_response('archive:templates/document.pt', page, request=request, response=request.response)


@view_config(context=Document, name='revision', permission=S.VIEW,
             renderer='archive:templates/revision.pt')
def revision_view(context, request):
    try:
        revision = context.revisions[int(request.params.get('n', ''))]
    except (ValueError, KeyError):
        from pyramid.httpexceptions import HTTPNotFound
        raise HTTPNotFound()
    return {'doc': context, 'revision': revision, 'body': context.__parent__.__parent__}


def file_response(request, f, disposition='attachment'):
    """Serve a committed blob, journal the download, ETag from the stored file's hash.

    A sealed (Mật) file is opened in memory for the reader, and each reading journaled
    (``secret_file_read``, purpose ``view`` or ``download``: who read secret content, Art. 15);
    a damaged one answers 500 with the reason rather than partial content. ``disposition``
    ``inline``: shown in the page's viewer (``file_inline``); an ordinary file shown there is
    not a download and is not journaled (the page is viewed on every visit: a "Tải tệp" row each
    time filled the history), as viewing the page itself is not."""
    doc = f.__parent__
    filename = f.filename
    if f.encrypted:
        from pyramid.response import Response
        body = b''
        settings = request.registry.archive_settings
        if request.method != 'HEAD':
            body = secrecy.read(app_root(request), doc, f, settings, request.authenticated_userid,
                                'view' if disposition == 'inline' else 'download')
        filename = secrecy.original_name(doc, f, settings)
        response = Response(body=body, content_type=f.media_type, request=request)
        response.headers['Cache-Control'] = 'no-store'
    else:
        if request.method != 'HEAD' and disposition == 'attachment':
            svc.note_download(app_root(request), doc, f, request.authenticated_userid)
        # a type not on the list (taken in by exchange) is offered as bytes, never shown inline
        response = FileResponse(f.committed(), request=request,
                                content_type='application/octet-stream' if f.unlisted else f.media_type)
    response.content_disposition = content_disposition(filename, disposition)
    response.etag = f.stored_sha256 or f.sha256
    response.headers['X-Content-Type-Options'] = 'nosniff'
    return response


@view_config(context=File, permission=S.VIEW)
def file_view(context, request):
    return file_response(request, context)


def viewable(f):
    """A PDF of the document's own (main or attachment, of a listed type): shown in the page."""
    return f.media_type == 'application/pdf' and not f.unlisted and f.role in ('main', 'attachment')


@view_config(context=File, name='inline', permission=S.VIEW)
def file_inline(context, request):
    """The PDF shown in the browser's own viewer inside the document page (the only answer the
    site's pages may frame); anything else is not shown inline (404). Who may see it is decided
    as for the download; only a Mật file's reading is journaled (``file_response``)."""
    if not viewable(context):
        raise errors.Unknown('file_not_viewable', _('file_not_viewable', default='Tệp này không xem được trong trang'))
    return may_be_framed(file_response(request, context, 'inline'))

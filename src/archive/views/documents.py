"""A body's document list, a document's page, its files and revisions, the create/edit form."""
import colander
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.response import FileResponse
from pyramid.view import view_config

from .. import audit
from .. import security as S
from ..i18n import _
from ..resources.bodies import Body
from ..resources.documents import Document, Documents
from ..exchange import deliveries
from ..exchange.edxml import STATUS_CODES
from ..resources.files import File
from ..resources.root import app_root
from ..schemas.document import document_schema
from ..services import documents as svc
from .workflow import action_forms
from .forms import file_node, make_form, posted, render_submitted, show_errors

PAGE_SIZE = 50


def reads_whole_body(request, body):
    """Clerks, leaders and archivists of a body see all of its documents but the Mật ones."""
    user = request.identity
    return user is not None and user.body_code == body.code and any(
        user.has_role(r) for r in (S.CLERK, S.LEADER, S.ARCHIVIST))


def visible_page(request, documents, start, size=PAGE_SIZE):
    """One page of the documents this user may see, newest first.

    For those who read the whole body only the Mật documents are loaded to check access
    while skipping to ``start``; for the others each document is checked.
    """
    out = []
    skipped = 0
    whole = reads_whole_body(request, documents.__parent__)
    for name in documents.newest_first():
        if whole and name not in documents.secret:
            if skipped < start:
                skipped += 1
                continue
            doc = documents[name]
        else:
            doc = documents[name]
            if not request.has_permission(S.VIEW, doc):
                continue
        if skipped < start:
            skipped += 1
            continue
        out.append(doc)
        if len(out) > size:
            break
    return out[:size], len(out) > size


URGENT_PINNED = 20


def urgent_open(request, body, limit=URGENT_PINNED):
    """Urgent documents still being handled rise to the top of the body's list: the most
    urgent and oldest ``limit`` of them (the desk lists them all)."""
    from ..services.desk import running_states, sort_key
    found = []
    for direction, state in running_states(request):
        taken = 0
        for doc in body.documents.in_state(direction, state, urgent_only=True):
            if taken == limit:
                break
            if request.has_permission(S.VIEW, doc):
                found.append(doc)
                taken += 1
    return sorted(found, key=sort_key)[:limit]


@view_config(context=Body, permission=S.VIEW_BODIES, renderer='archive:templates/body.pt')
def body_view(context, request):
    try:
        start = max(0, int(request.params.get('start', 0)))
    except ValueError:
        start = 0
    docs, more, urgent = [], False, []
    can_list = request.has_permission(S.LIST_DOCUMENTS, context)
    if can_list:
        docs, more = visible_page(request, context.documents, start)
        urgent = urgent_open(request, context)
    return {'body': context, 'docs': docs, 'start': start, 'more': more, 'page_size': PAGE_SIZE,
            'urgent': urgent,
            'can_list': can_list, 'can_create': request.has_permission(S.CREATE_DOCUMENT, context),
            'bodies': app_root(request)['bodies']}


def _document_form(request):
    settings = request.registry.archive_settings
    schema = document_schema(settings)
    schema.add(file_node('main_file', _('f_main_file', default='Tệp văn bản chính (PDF)')))
    schema.add(file_node('attachments', _('f_attachments', default='Tệp đính kèm'), multiple=True))
    return make_form(request, schema, _('save', default='Lưu'), 'document')


def _uploads(request):
    uploads = []
    main = request.POST.get('main_file')
    if getattr(main, 'file', None) is not None and main.filename:
        uploads.append(svc.Upload('main_file', main.filename, main.file, 'main'))
    for item in request.POST.getall('attachments'):
        if getattr(item, 'file', None) is not None and item.filename:
            uploads.append(svc.Upload('attachments', item.filename, item.file, 'attachment'))
    return uploads


def _cstruct(request, form):
    """The posted fields, as the schema expects them (files are read apart)."""
    return {k: v for k, v in posted(request, form.schema).items() if k not in ('main_file', 'attachments')}


def submit_document(request, form, action, body_code, channel='web'):
    """Run ``action(cstruct, uploads)``; on bad input put the errors on the form."""
    cstruct = _cstruct(request, form)
    try:
        return svc.guard(request.registry, body_code, cstruct, channel, request.authenticated_userid,
                         lambda: action(cstruct, _uploads(request))), None
    except colander.Invalid as exc:
        return None, show_errors(request, form, exc)


def _new_defaults(request, body):
    """What a clerk would otherwise type: for incoming, the time it arrived (now); for
    outgoing, this body as the issuer."""
    from .. import clock
    if request.params.get('direction') == 'outgoing':
        return {'direction': 'outgoing', 'organ_id': body.code, 'sender': body.name}
    return {'direction': 'incoming', 'received_at': clock.now(), 'channel': 'paper'}


@view_config(context=Documents, name='new', permission=S.CREATE_DOCUMENT,
             renderer='archive:templates/document_form.pt')
def create_view(context, request):
    body = context.__parent__
    form = _document_form(request)
    errors = []
    if request.method == 'POST':
        root = app_root(request)
        settings = request.registry.archive_settings
        doc, errors = submit_document(
            request, form,
            lambda cstruct, uploads: svc.create(root, body, cstruct, uploads, settings, request.authenticated_userid,
                                                may_take_in=request.has_permission(S.CREATE_INCOMING, body)),
            body.code)
        if doc is not None:
            return HTTPSeeOther(request.resource_url(doc))
        rendered = render_submitted(form, _cstruct(request, form))
    else:
        rendered = form.render(_new_defaults(request, body))
    return {'body': body, 'form': rendered, 'errors': errors, 'doc': None}


@view_config(context=Document, name='edit', permission=S.EDIT,
             renderer='archive:templates/document_form.pt')
def edit_view(context, request):
    body = context.__parent__.__parent__
    form = _document_form(request)
    errors = []
    settings = request.registry.archive_settings
    if request.method == 'POST':
        root = app_root(request)
        doc, errors = submit_document(
            request, form,
            lambda cstruct, uploads: svc.update(root, context, cstruct, uploads, settings,
                                                request.authenticated_userid)[0],
            body.code)
        if doc is not None:
            return HTTPSeeOther(request.resource_url(doc))
        rendered = render_submitted(form, _cstruct(request, form))
    else:
        rendered = form.render({k: (colander.null if v is None else v) for k, v in context.values().items()})
    return {'body': body, 'form': rendered, 'errors': errors, 'doc': context}


@view_config(context=Document, permission=S.VIEW, renderer='archive:templates/document.pt')
def document_view(context, request):
    root = app_root(request)
    return {'doc': context, 'body': context.__parent__.__parent__,
            'history': audit.entries(root, context.chain_id),
            'revisions': list(context.revisions.values()),
            'can_edit': request.has_permission(S.EDIT, context),
            'actions': action_forms(request, context),
            'users': root['users'],
            'deliveries': deliveries.of_document(root, context.body_code, context.__name__),
            'status_names': STATUS_CODES}


@view_config(context=Document, name='revision', permission=S.VIEW,
             renderer='archive:templates/revision.pt')
def revision_view(context, request):
    try:
        revision = context.revisions[int(request.params.get('n', ''))]
    except (ValueError, KeyError):
        from pyramid.httpexceptions import HTTPNotFound
        raise HTTPNotFound()
    return {'doc': context, 'revision': revision, 'body': context.__parent__.__parent__}


def file_response(request, f):
    """Serve a committed blob, journal the download, ETag from the stored file's hash.

    A sealed (Mật) file is opened in memory for the reader, and the reading journaled; a
    damaged one answers 500 with the reason rather than partial content."""
    doc = f.__parent__
    if f.encrypted:
        from pyramid.response import Response

        from ..services import secrecy
        body = b''
        if request.method != 'HEAD':
            body = secrecy.read(app_root(request), doc, f, request.registry.archive_settings,
                                request.authenticated_userid, 'download')
        response = Response(body=body, content_type=f.media_type, request=request)
        response.headers['Cache-Control'] = 'no-store'
    else:
        if request.method != 'HEAD':
            svc.note_download(app_root(request), doc, f, request.authenticated_userid)
        response = FileResponse(f.committed(), request=request, content_type=f.media_type)
    response.content_disposition = _disposition(f.filename)
    response.etag = f.stored_sha256 or f.sha256
    response.headers['X-Content-Type-Options'] = 'nosniff'
    return response


def _disposition(filename):
    from urllib.parse import quote
    ascii_name = filename.encode('ascii', 'replace').decode('ascii').replace('"', '_').replace('?', '_')
    return f'attachment; filename="{ascii_name}"; filename*=UTF-8\'\'{quote(filename)}'


@view_config(context=File, permission=S.VIEW)
def file_view(context, request):
    return file_response(request, context)

"""Pages: a body's records (file plan, files), a file, appraisal, disposition batches, and the box on
a document's page that files it. Files and batches are reached as ``records/file/<name>`` and
``records/batch/<name>[/<action>]``, so that an unknown one is answered with its own code, as in
the API (``file_unknown``, ``batch_unknown``)."""
import datetime as dt
import os

from pyramid.httpexceptions import HTTPForbidden, HTTPSeeOther
from pyramid.renderers import render_to_response
from pyramid.response import FileResponse
from pyramid.view import view_config

from .. import audit, clock
from .. import security as S
from ..archival import batch_actions
from ..archival import batches as B
from ..archival import files as F
from ..archival import export_jobs
from ..archival import retention
from ..disposition import content_disposition
from ..errors import Conflict, InputError, Unknown, translated
from ..i18n import _
from ..resources.documents import Document
from ..resources.records import Records
from ..resources.root import app_root
from ..api.files import document_rows, receipt_upload, visible_files
from . import flash
from .errors import FORBIDDEN_PAGE, status_title
from .transfer_outcome import outcome

TEMPLATE = 'archive:templates/records_{}.pt'
REFRESH_SECONDS = 5            # a batch page refreshes itself while its export runs


def _refused(request, exc, back):
    """A refusal shown as a page: headed in words as every error page (a 403 saying the user is
    not allowed), then each error, the way back."""
    t = request.localizer.translate
    errors, status = translated(exc.errors, t), exc.status
    request.response.status = status
    title = status_title(status)
    return render_to_response(TEMPLATE.format('refused'), {
        'errors': errors, 'back': back, 'status': status, 'title': t(title), 'forbidden': t(FORBIDDEN_PAGE)},
        request=request, response=request.response)


def _run(request, back, fn):
    """Run a change; on success go to what it returns (a URL), on a refusal show why."""
    try:
        return HTTPSeeOther(fn())
    except (InputError, Conflict) as exc:      # nothing kept: pyramid_tm aborts a 4xx answer
        return _refused(request, exc, back)


def _year(request):
    try:
        return int(request.params.get('year') or clock.today().year)
    except ValueError:
        return clock.today().year


def file_url(request, f):
    return request.resource_url(f.__parent__, 'file', f.__name__)


def batch_url(request, b):
    return request.resource_url(b.__parent__, 'batch', b.__name__)


@view_config(context=Records, permission=S.VIEW_FILES, renderer=TEMPLATE.format('index'))
def records_view(context, request):
    settings = request.registry.archive_settings
    year = _year(request)
    return {'records': context, 'body': context.__parent__, 'year': year, 'plan': context.plan(year),
            'files': visible_files(request, context), 'states': F.STATES,
            'retention': retention, 'periods': retention.choices(settings),
            'can_plan': request.has_permission(S.MANAGE_FILES, context),
            'can_open': request.has_permission(S.FILE_DOCUMENTS, context),
            'can_select': bool(request.has_permission(S.MANAGE_BATCHES, context)),      # makes batches
            'can_batch': request.has_permission(S.MANAGE_BATCHES, context)
            or request.has_permission(S.APPROVE_BATCHES, context),
            'batches': sorted(context.batches.values(), key=lambda b: -int(b.__name__)),
            'batch_states': B.STATES, 'kinds': B.KINDS}


@view_config(context=Records, name='plan', request_method='POST', permission=S.MANAGE_FILES)
def plan_view(context, request):
    back = request.resource_url(context)
    values = {k: request.POST.get(k) for k in ('year', 'code', 'title', 'unit_code', 'retention')}

    def change():
        F.set_plan_entry(app_root(request), context.__parent__, values, request.registry.archive_settings,
                         request.authenticated_userid)
        return request.resource_url(context, query={'year': values['year']})
    return _run(request, back, change)


@view_config(context=Records, name='open', request_method='POST', permission=S.FILE_DOCUMENTS)
def open_view(context, request):
    values = {k: request.POST.get(k) for k in ('year', 'plan_entry', 'title', 'responsible')}
    return _run(request, request.resource_url(context), lambda: file_url(
        request, F.open_file(app_root(request), context.__parent__, values, request.identity)))


def _file_of(request, context):
    name = request.subpath[0] if request.subpath else ''
    f = F.get_file(context, name)
    if not request.has_permission(S.VIEW_FILES, f):
        raise Unknown('file_unknown', _('file_unknown', default='Không có hồ sơ "${name}"',
                                            mapping={'name': name}))
    return f


@view_config(context=Records, name='file', permission=S.VIEW_FILES)
def file_view(context, request):
    f = _file_of(request, context)
    action = request.subpath[1] if len(request.subpath) > 1 else None
    if action is None:
        return render_to_response(TEMPLATE.format('file'), {
            'f': f, 'records': context, 'body': context.__parent__, 'rows': document_rows(request, f),
            'no_pages': sum(1 for doc in F.documents_of(f) if not doc.pages),    # the page sum leaves them out
            'states': F.STATES, 'retention': retention,
            'retention_basis': retention.basis_label(
                f.retention_basis if f.state != F.OPEN else {'source': 'plan_entry', 'plan_entry': f.plan_entry},
                request.registry.archive_settings),
            'can_close': f.state == F.OPEN and F.may_close(request.identity, f,
                                                           request.has_permission(S.MANAGE_FILES, context)),
            'can_keep': f.state == F.CLOSED and request.has_permission(S.MANAGE_BATCHES, context)},
            request=request)
    if request.method != 'POST':
        raise HTTPForbidden()
    back = file_url(request, f)

    def close():
        if request.POST.get('confirm') != '1':        # closing is for good: the page asks it ticked
            raise InputError([{'field': 'confirm', 'code': 'file_close_unconfirmed', 'message': _(
                'file_close_unconfirmed', default='Đánh dấu ô xác nhận trước khi đóng hồ sơ: hồ sơ đã đóng '
                'thì không lập thêm văn bản vào được')}])
        F.close_file(app_root(request), f, request.identity, request.registry.archive_settings,
                     manage=request.has_permission(S.MANAGE_FILES, context))
        flash.confirm(request, _('flash_file_closed', default='Đã đóng hồ sơ ${code} · ${title} (${year})',
                                 mapping={'code': f.code, 'title': f.title, 'year': f.year}))
        return back

    def keep():
        F.keep_file(app_root(request), f, request.POST.get('reason'), request.identity)
        return back
    if action == 'close':
        return _run(request, back, close)
    if action == 'keep' and request.has_permission(S.MANAGE_BATCHES, context):
        return _run(request, back, keep)
    raise HTTPForbidden()


@view_config(context=Records, name='appraisal', permission=S.VIEW_FILES, renderer=TEMPLATE.format('appraisal'))
def appraisal_view(context, request):
    settings = request.registry.archive_settings
    due = [f for f in F.due_for_appraisal(context, clock.today(), settings.appraisal_horizon_days)
           if request.has_permission(S.VIEW_FILES, f)]
    return {'records': context, 'body': context.__parent__, 'due': due, 'retention': retention,
            'until': clock.today() + dt.timedelta(days=settings.appraisal_horizon_days), 'today': clock.today(),
            'can_batch': request.has_permission(S.MANAGE_BATCHES, context)}


@view_config(context=Records, name='select', permission=S.MANAGE_BATCHES, renderer=TEMPLATE.format('select'))
def select_view(context, request):
    """The archivist's selection: by year, plan entry, retention due; the list to review."""
    settings = request.registry.archive_settings
    kind = request.params.get('kind') if request.params.get('kind') in B.KINDS else B.TRANSFER
    year = request.params.get('year')
    year = int(year) if year and year.isdigit() else None
    due = request.params.get('due') == '1' or kind == B.DESTROY
    due_by = clock.today() + dt.timedelta(days=settings.appraisal_horizon_days) if due else None
    plan_entry = request.params.get('plan_entry') or None
    chosen = B.select(context, year=year, plan_entry=plan_entry, due_by=due_by, kind=kind)
    return {'records': context, 'body': context.__parent__, 'kind': kind, 'kinds': B.KINDS, 'year': year or '',
            'plan_entry': plan_entry or '', 'due': due, 'files': chosen, 'retention': retention,
            'criteria': {'year': year, 'plan_entry': plan_entry, 'due': due}}


@view_config(context=Records, name='new-batch', request_method='POST', permission=S.MANAGE_BATCHES)
def new_batch_view(context, request):
    values = {'kind': request.POST.get('kind'), 'files': request.POST.getall('files'),
              'title': request.POST.get('title') or None,
              'criteria': {k: request.POST.get(k) or None for k in ('year', 'plan_entry', 'due')}}
    return _run(request, request.resource_url(context, 'select'), lambda: batch_url(
        request, B.create(app_root(request), context.__parent__, values, request.registry.archive_settings,
                          request.authenticated_userid)))


@view_config(context=Records, name='batch', permission=S.VIEW_FILES)
def batch_view(context, request):
    if not (request.has_permission(S.MANAGE_BATCHES, context) or request.has_permission(S.APPROVE_BATCHES, context)):
        raise HTTPForbidden()
    name = request.subpath[0] if request.subpath else ''
    batch = B.get_batch(context, name)
    action = request.subpath[1] if len(request.subpath) > 1 else None
    if action is None:
        actions = [a for a in B.available(batch) if request.has_permission(B.ACTIONS[a], context)]
        response = render_to_response(TEMPLATE.format('batch'), {
            'batch': batch, 'records': context, 'body': context.__parent__, 'files': batch.files(),
            'actions': actions, 'titles': B.ACTION_TITLES, 'states': B.STATES, 'kinds': B.KINDS,
            'file_states': F.STATES, 'retention': retention, 'today': clock.today(),
            'job': export_jobs.job_of(batch), 'job_states': export_jobs.STATES,
            'outcome': outcome(batch, context.__parent__, request.has_permission(S.MANAGE_BATCHES, context))},
            request=request)
        if export_jobs.active(batch):
            response.headers['Refresh'] = str(REFRESH_SECONDS)    # the export's progress, without script
        return response
    if action == 'package':
        return _package(request, context, batch)
    if action in ('protocol', 'receipt'):
        stored = batch.protocol if action == 'protocol' else batch.receipt
        if stored is None:
            raise Unknown('file_unknown', _('file_unknown', default='Không có hồ sơ "${name}"',
                                                mapping={'name': action}))
        response = FileResponse(stored.committed(), request=request, content_type=stored.media_type)
        response.content_disposition = content_disposition(stored.filename)
        return response
    if request.method != 'POST':
        raise HTTPForbidden()
    if action not in B.ACTIONS:
        raise B.unknown_action(action)
    if not request.has_permission(B.ACTIONS[action], context):
        raise HTTPForbidden()
    back = batch_url(request, batch)
    values = {k: v for k, v in request.POST.items() if isinstance(v, str)}

    def take():
        receipt = receipt_upload(request) if action == 'confirm' else None
        batch_actions.act(app_root(request), batch, action, values, request.identity, request.registry.archive_settings,
              receipt=receipt)
        return back
    return _run(request, back, take)


def _package(request, records, batch):
    """The exported transfer package, streamed from where the export wrote it, to the body's
    archivists (the leader approves batches, but does not take packages away)."""
    if not request.has_permission(S.MANAGE_BATCHES, records):
        raise HTTPForbidden()
    path = (batch.exported or {}).get('path')
    if not path or not os.path.isfile(path):
        raise Unknown('package_unknown', _('package_unknown', default='Lô ${name} chưa có gói nộp lưu để tải về',
                                           mapping={'name': batch.__name__}))
    response = FileResponse(path, request=request, content_type='application/zip')
    response.content_disposition = content_disposition(os.path.basename(path))
    audit.append(app_root(request), batch.chain_id, 'batch_package_taken', request.authenticated_userid,
                 package=batch.package_id)          # who took the archive's copy away, like a file's download
    return response


# -- the box on a document's page ------------------------------------------------------------

def document_box(request, doc):
    """What the document page shows of records: the file the document is in, or (to those who may
    file it) a form with the open files of its body."""
    records = F.records_of(app_root(request)['bodies'][doc.body_code])
    if records is None:
        return None
    f = records.file_of(doc.__name__)
    may_file = request.has_permission(S.FILE_DOCUMENTS, records)
    if f is None and not may_file:
        return None
    refusal = F.not_fileable(doc) if f is None else None       # its state keeps it out: say why, no form
    choices = [] if f is not None or refusal is not None else sorted(
        (x for x in records.open_files() if request.has_permission(S.VIEW_FILES, x)), key=lambda x: (-x.year, x.code))
    return {'file': f, 'file_url': file_url(request, f) if f is not None and request.has_permission(
        S.VIEW_FILES, f) else None, 'choices': choices, 'may_file': may_file and f is None and refusal is None,
            'not_fileable': request.localizer.translate(refusal.message) if refusal is not None and may_file else None,
            'records_url': request.resource_url(records)}     # where files are opened (no open one: a hint)


@view_config(context=Document, name='file-into', request_method='POST', permission=S.VIEW)
def file_into_view(context, request):
    root = app_root(request)
    records = F.records_of(root['bodies'][context.body_code])
    if records is None or not request.has_permission(S.FILE_DOCUMENTS, records):
        raise HTTPForbidden()
    back = request.resource_url(context)

    def file_it():
        f = F.file_document(root, context, request.POST.get('file'), request.identity,
                            lambda f: request.has_permission(S.VIEW_FILES, f))
        flash.confirm(request, _('flash_filed', default='Đã lập văn bản vào hồ sơ ${code} · ${title} (${year})',
                                 mapping={'code': f.code, 'title': f.title, 'year': f.year}))
        return back
    return _run(request, back, file_it)

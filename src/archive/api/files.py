"""API: a body's file plan, records files (hồ sơ), appraisal, and disposition batches."""
import datetime as dt

from pyramid.httpexceptions import HTTPForbidden
from pyramid.view import view_config

from .. import clock
from .. import security as S
from ..archival import batch_actions
from ..archival import batches as B
from ..archival import files as F
from ..errors import InputError, Unknown
from ..i18n import _
from ..resources import access
from ..resources.records import Records
from ..resources.root import app_root
from .common import json_input
from ..resources.files import ingest


def _need(request, permission, context):
    if not request.has_permission(permission, context):
        raise HTTPForbidden()


def _year_param(request):
    raw = request.params.get('year')
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise InputError([{'field': 'year', 'code': 'year_invalid',
                           'message': _('year_invalid', default='Năm không hợp lệ')}]) from None


def visible_files(request, records):
    return [f for f in records.files_newest_first() if request.has_permission(S.VIEW_FILES, f)]


def document_rows(request, f):
    """The file's documents; what a Mật document says only for those who may read it."""
    documents = f.__parent__.__parent__.documents
    rows = []
    for name in f.document_names:
        doc = documents.get(name)
        if doc is None:
            continue
        if access.user_may_see(request.identity, doc):
            rows.append({'id': name, 'number_symbol': doc.number_symbol, 'abstract': doc.abstract,
                         'doc_type': doc.doc_type, 'pages': doc.pages, 'secret': doc.classification == 'mat',
                         'destroyed': getattr(doc, 'destroyed_at', None) is not None})
        else:
            rows.append({'id': name, 'number_symbol': None, 'abstract': None, 'doc_type': None, 'pages': None,
                         'secret': doc.classification == 'mat',
                         'destroyed': getattr(doc, 'destroyed_at', None) is not None})
    return rows


def file_detail(request, f):
    return dict(F.as_json(f), document_rows=document_rows(request, f))


def _file(request, context):
    f = F.get_file(context, request.matchdict['file'])
    if not request.has_permission(S.VIEW_FILES, f):
        raise Unknown('file_unknown', _('file_unknown', default='Không có hồ sơ "${name}"',
                                          mapping={'name': request.matchdict['file']}))
    return f


@view_config(route_name='api.file_plan', context=Records, renderer='json', request_method='GET',
             permission=S.VIEW_FILES)
def get_plan(context, request):
    year = _year_param(request) or clock.today().year
    return {'year': year, 'retention_periods': list(request.registry.archive_settings.retention_periods),
            'items': [F.entry_json(e) for e in context.plan(year)]}


@view_config(route_name='api.file_plan', context=Records, renderer='json', request_method='POST',
             permission=S.MANAGE_FILES)
def set_plan_entry(context, request):
    entry = F.set_plan_entry(app_root(request), context.__parent__, json_input(request),
                             request.registry.archive_settings, request.authenticated_userid)
    request.response.status = 201
    return F.entry_json(entry)


@view_config(route_name='api.records_files', context=Records, renderer='json', request_method='GET',
             permission=S.VIEW_FILES)
def list_files(context, request):
    year = _year_param(request)
    state = request.params.get('state')
    items = [F.as_json(f) for f in visible_files(request, context)
             if (year is None or f.year == year) and (not state or f.state == state)]
    return {'items': items}


@view_config(route_name='api.records_files', context=Records, renderer='json', request_method='POST',
             permission=S.FILE_DOCUMENTS)
def open_file(context, request):
    f = F.open_file(app_root(request), context.__parent__, json_input(request), request.identity)
    request.response.status = 201
    return file_detail(request, f)


@view_config(route_name='api.records_file', context=Records, renderer='json', request_method='GET',
             permission=S.VIEW_FILES)
def get_file(context, request):
    return file_detail(request, _file(request, context))


@view_config(route_name='api.records_file_action', context=Records, renderer='json', request_method='POST',
             permission=S.VIEW_FILES)
def file_action(context, request):
    f = _file(request, context)
    action = request.matchdict['action']
    data = json_input(request) if request.body else {}
    manage = request.has_permission(S.MANAGE_FILES, context)
    if action == 'close':
        F.close_file(app_root(request), f, request.identity, request.registry.archive_settings, manage=manage)
    elif action == 'keep':
        _need(request, S.MANAGE_BATCHES, context)
        F.keep_file(app_root(request), f, data.get('reason'), request.identity)
    else:
        raise Unknown('file_action_unknown', _('file_action_unknown', default='Không có thao tác "${action}"',
                                                 mapping={'action': action}))
    return file_detail(request, f)


@view_config(route_name='api.document_records_file', renderer='json', request_method='GET', permission=S.VIEW)
def document_file(context, request):
    """The file a document belongs to (null when none)."""
    records = F.records_of(app_root(request)['bodies'][context.body_code])
    f = records.file_of(context.__name__) if records is not None else None
    return {'file': F.as_json(f) if f is not None and request.has_permission(S.VIEW_FILES, f) else None}


@view_config(route_name='api.document_records_file', renderer='json', request_method='POST', permission=S.VIEW)
def file_document(context, request):
    """Put the document into an open file of its body (``{"file": name}``)."""
    root = app_root(request)
    records = F.records_of(root['bodies'][context.body_code])
    if records is None or not request.has_permission(S.FILE_DOCUMENTS, records):
        raise HTTPForbidden()
    data = json_input(request)
    f = F.file_document(root, context, data.get('file'), request.identity,
                        lambda f: request.has_permission(S.VIEW_FILES, f))
    return {'file': F.as_json(f)}


@view_config(route_name='api.appraisal', context=Records, renderer='json', request_method='GET',
             permission=S.VIEW_FILES)
def appraisal(context, request):
    settings = request.registry.archive_settings
    return {'items': [F.as_json(f) for f in F.due_for_appraisal(context, clock.today(), settings.appraisal_horizon_days)
                      if request.has_permission(S.VIEW_FILES, f)]}


@view_config(route_name='api.batches', context=Records, renderer='json', request_method='GET',
             permission=S.VIEW_FILES)
def list_batches(context, request):
    if not (request.has_permission(S.MANAGE_BATCHES, context) or request.has_permission(S.APPROVE_BATCHES, context)):
        raise HTTPForbidden()
    return {'items': [B.as_json(b) for b in sorted(context.batches.values(), key=lambda b: int(b.__name__))]}


def selection(records, data, settings):
    """The files named (``files``), or those the criteria select (``year``, ``plan_entry``, ``due``)."""
    if 'files' in data:
        return data
    kind = data.get('kind', B.TRANSFER)
    year = data.get('year')
    if year is not None:
        year = F.parse_year(year)
    due = data.get('due')
    due_by = clock.today() + dt.timedelta(days=settings.appraisal_horizon_days) if due is True else None
    plan_entry = data.get('plan_entry') if isinstance(data.get('plan_entry'), str) else None
    chosen = B.select(records, year=year, plan_entry=plan_entry, due_by=due_by, kind=kind)
    return dict(data, files=[f.__name__ for f in chosen],
                criteria={'year': year, 'plan_entry': plan_entry, 'due': due is True})


@view_config(route_name='api.batches', context=Records, renderer='json', request_method='POST',
             permission=S.MANAGE_BATCHES)
def create_batch(context, request):
    settings = request.registry.archive_settings
    data = selection(context, json_input(request), settings)
    batch = B.create(app_root(request), context.__parent__, data, settings, request.authenticated_userid)
    request.response.status = 201
    return B.as_json(batch)


@view_config(route_name='api.batch', context=Records, renderer='json', request_method='GET',
             permission=S.VIEW_FILES)
def get_batch(context, request):
    batch = B.get_batch(context, request.matchdict['batch'])
    return dict(B.as_json(batch), actions=[a for a in B.available(batch)
                                           if request.has_permission(B.ACTIONS[a], context)])


def receipt_upload(request):
    """The archive's receipt uploaded with a confirmation, stored as a file (or None)."""
    item = request.POST.get('receipt') if request.content_type == 'multipart/form-data' else None
    if getattr(item, 'file', None) is None or not item.filename:
        return None
    f = ingest('receipt', item.filename, item.file, 'attachment', request.registry.archive_settings,
               request.authenticated_userid)
    f.role = 'receipt'
    return f


def action_input(request):
    if request.content_type == 'multipart/form-data':
        return {k: v for k, v in request.POST.items() if isinstance(v, str)}
    return json_input(request) if request.body else {}


@view_config(route_name='api.batch_action', context=Records, renderer='json', request_method='POST',
             permission=S.VIEW_FILES)
def batch_action(context, request):
    batch = B.get_batch(context, request.matchdict['batch'])
    action = request.matchdict['action']
    if action not in B.ACTIONS:
        raise B.unknown_action(action)
    _need(request, B.ACTIONS[action], context)
    values = action_input(request)
    receipt = receipt_upload(request) if action == 'confirm' else None
    batch_actions.act(app_root(request), batch, action, values, request.identity, request.registry.archive_settings,
          receipt=receipt)
    return B.as_json(batch)

"""API: a body's documents, a document, its files, revisions and history, its delivery rows and
what the sending clerk records on them (paper sent, a mailbox's statuses), and the receiving
clerk's record of a paper copy arrived."""
import re

from pyramid.httpexceptions import HTTPNotFound
from pyramid.view import view_config

from .. import audit, clock
from .. import security as S
from ..errors import InputError, single
from ..i18n import _
from ..resources.root import app_root
from ..services import documents as svc
from ..search.filters import read_filters
from ..views.documents import LIST_PARAMS, PAGE_SIZE, file_response, visible_page
from .common import json_input, metadata_input
from ..exchange import deliveries
from ..services import paper


def _uploads(request):
    if request.content_type != 'multipart/form-data':
        return []
    uploads = []
    for field, role in (('main_file', 'main'), ('attachments', 'attachment')):
        for item in request.POST.getall(field):
            if getattr(item, 'file', None) is not None:
                uploads.append(svc.Upload(field, item.filename, item.file, role))
    return uploads


def _int_param(request, name, default, lo, hi):
    """A paging parameter: absent, its default; else a whole number from ``lo`` to ``hi``, or 400
    (never silently another page than the one asked for)."""
    raw = request.GET.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r'[0-9]{1,10}', raw) or not lo <= int(raw) <= hi:
        raise InputError([{'field': name, 'code': 'paging_invalid', 'message': _(
            'paging_invalid', default='Phải là số nguyên từ ${lo} đến ${hi}', mapping={'lo': lo, 'hi': hi})}])
    return int(raw)


@view_config(route_name='api.documents', renderer='json', request_method='GET', permission=S.LIST_DOCUMENTS)
def list_documents(context, request):
    start = _int_param(request, 'start', 0, 0, 10**9)
    limit = _int_param(request, 'limit', PAGE_SIZE, 1, 200)
    filters = read_filters(request.GET, LIST_PARAMS)
    docs, more = visible_page(request, context, start, limit, filters)
    return {'items': [svc.as_json(d) for d in docs], 'start': start, 'limit': limit, 'more': more}


@view_config(route_name='api.documents', renderer='json', request_method='POST', permission=S.CREATE_DOCUMENT)
def create_document(context, request):
    body = context.__parent__
    cstruct = metadata_input(request)
    root = app_root(request)
    settings = request.registry.archive_settings
    actor = request.authenticated_userid
    doc = svc.guard(request.registry, body.code, cstruct, 'api', actor,
                    lambda: svc.create(root, body, cstruct, _uploads(request), settings, actor,
                                       may_take_in=request.has_permission(S.CREATE_INCOMING, body),
                                       same_letter_confirmed=request.params.get('confirm_duplicate') == 'true'))
    request.response.status = 201
    request.response.location = request.route_url('api.document', code=body.code, id=doc.__name__)
    return svc.as_json(doc)


@view_config(route_name='api.document', renderer='json', request_method='GET', permission=S.VIEW)
def get_document(context, request):
    return svc.as_json(context)


@view_config(route_name='api.document', renderer='json', request_method='PATCH', permission=S.EDIT)
def change_document(context, request):
    svc.check_editable(context)
    cstruct = metadata_input(request)
    actor = request.authenticated_userid
    doc, changed = svc.guard(
        request.registry, context.body_code, cstruct, 'api', actor,
        lambda: svc.update(app_root(request), context, cstruct, _uploads(request),
                           request.registry.archive_settings, actor))
    return dict(svc.as_json(doc), changed=changed)


@view_config(route_name='api.files', renderer='json', request_method='POST', permission=S.EDIT)
def add_files(context, request):
    svc.check_editable(context)
    uploads = _uploads(request)
    if not uploads:
        raise single('attachments', _('files_missing', default='Không có tệp nào trong yêu cầu '
                                                               '(multipart: main_file hoặc attachments)'))
    svc.update(app_root(request), context, {}, uploads, request.registry.archive_settings,
               request.authenticated_userid)
    request.response.status = 201
    return {'files': [svc.file_json(f) for f in context.file_list()]}


@view_config(route_name='api.file', request_method='GET', permission=S.VIEW)
def get_file(context, request):
    return file_response(request, context)


@view_config(route_name='api.revisions', renderer='json', request_method='GET', permission=S.VIEW)
def list_revisions(context, request):
    return {'items': [revision_json(r) for r in context.revisions.values()]}


@view_config(route_name='api.revision', renderer='json', request_method='GET', permission=S.VIEW)
def get_revision(context, request):
    try:
        revision = context.revisions[int(request.matchdict['n'])]
    except (ValueError, KeyError):
        raise HTTPNotFound()
    return dict(revision_json(revision), values={
        k: (clock.iso(v) if hasattr(v, 'isoformat') else (list(v) if isinstance(v, tuple) else v))
        for k, v in revision.values.items()})


@view_config(route_name='api.history', renderer='json', request_method='GET', permission=S.VIEW)
def history(context, request):
    return {'items': audit.entries(app_root(request), context.chain_id)}


@view_config(route_name='api.deliveries', renderer='json', request_method='GET', permission=S.VIEW)
def list_deliveries(context, request):
    """The sent document's receivers, one row each: route, attempts, state, every status back."""
    return {'items': [delivery_json(d) for d in
                      deliveries.of_document(app_root(request), context.body_code, context.__name__)]}


@view_config(route_name='api.delivery_paper', renderer='json', request_method='POST', permission=S.VIEW)
def record_paper_sent(context, request):
    """The sending clerk records the paper copy of a delivery row sent (Art. 7.4, 8)."""
    delivery = paper.record_paper_sent(app_root(request), context, request.matchdict['delivery'],
                                       json_input(request), request.identity)
    return delivery_json(delivery)


@view_config(route_name='api.delivery_statuses', renderer='json', request_method='POST', permission=S.VIEW)
def record_status(context, request):
    """The sending clerk records a status a mailbox's person reported (Art. 6.4)."""
    root = app_root(request)
    paper.record_status(root, context, request.matchdict['delivery'], json_input(request), request.identity)
    request.response.status = 201
    return delivery_json(paper.delivery_of(root, context, request.matchdict['delivery']))


@view_config(route_name='api.paper_arrival', renderer='json', request_method='POST', permission=S.VIEW)
def record_paper_arrived(context, request):
    """The receiving clerk records the paper copy of a document taken in arrived (Art. 8)."""
    paper.record_paper_arrived(app_root(request), context, json_input(request), request.identity)
    return svc.as_json(context)


def delivery_json(d):
    return {'id': d.id, 'receiver': d.receiver, 'receiver_name': d.receiver_name, 'route': d.route,
            'state': d.state, 'attempts': d.attempts, 'queued_at': clock.iso(d.queued_at),
            'delivered_at': clock.iso(d.delivered_at), 'next_attempt_at': clock.iso(d.next_attempt_at),
            'last_error': d.last_error, 'document_id': d.document_id,
            'errors': [{'attempt': e['attempt'], 'at': e['at'], 'error': e['error']} for e in d.errors],
            'paper_category': d.paper_category, 'paper_needed_at': clock.iso(d.paper_needed_at),
            'paper_sent_at': clock.iso(d.paper_sent_at), 'paper_sent_by': d.paper_sent_by,
            'paper_means': d.paper_means, 'paper_means_other': d.paper_means_other, 'paper_note': d.paper_note,
            'statuses': [{'code': s['code'], 'at': s['at'], 'description': s.get('description') or '',
                          'staff': s.get('staff') or '', 'recorded_by': s.get('recorded_by')}
                         for s in d.statuses]}


def revision_json(r):
    return {'number': r.number, 'at': clock.iso(r.at), 'actor': r.actor, 'changed': list(r.changed),
            'files': [{'name': n, 'filename': fn, 'sha256': sha} for n, fn, sha in r.files]}

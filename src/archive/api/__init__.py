"""The JSON API under /api/v1, described route by route in ``openapi.yaml`` beside this file (package
data, served at ``GET /api/v1/openapi.yaml``: ``api/openapi.py``)."""

PREFIX = '/api/v1'
BODY = '/bodies/{code}'
DOC = BODY + '/documents/{id}'


def includeme(config):
    def route(name, pattern, traverse=None):
        config.add_route(name, PREFIX + pattern, traverse=traverse, no_dot_segments=True)
    route('api.openapi', '/openapi.yaml')          # this API's description (api/openapi.py)
    route('api.me', '/me')
    route('api.bodies', '/bodies', traverse='/bodies')
    route('api.body', BODY, traverse=BODY)
    route('api.units', BODY + '/units', traverse=BODY)
    route('api.certificates', BODY + '/certificates', traverse=BODY)
    route('api.seal', BODY + '/seal', traverse=BODY)                   # the seal (issue 17, the issued PDF)
    route('api.documents', BODY + '/documents', traverse=BODY + '/documents')
    route('api.document', DOC, traverse=DOC)
    route('api.files', DOC + '/files', traverse=DOC)
    route('api.file', DOC + '/files/{name}', traverse=DOC + '/{name}')
    route('api.revisions', DOC + '/revisions', traverse=DOC)
    route('api.revision', DOC + '/revisions/{n}', traverse=DOC)
    route('api.history', DOC + '/history', traverse=DOC)
    route('api.deliveries', DOC + '/deliveries', traverse=DOC)
    route('api.delivery_paper', DOC + '/deliveries/{delivery}/paper', traverse=DOC)
    route('api.delivery_statuses', DOC + '/deliveries/{delivery}/statuses', traverse=DOC)
    route('api.paper_arrival', DOC + '/paper-arrival', traverse=DOC)      # the receiver's paper copy (Art. 8)
    route('api.transitions', DOC + '/transitions', traverse=DOC)
    route('api.transition', DOC + '/transitions/{action}', traverse=DOC)
    route('api.registers', BODY + '/registers/{kind}', traverse=BODY)
    route('api.register_void', BODY + '/registers/{kind}/void', traverse=BODY)
    route('api.desk', '/desk')
    # records files, retention and disposition (api/files.py)
    records = BODY + '/records'
    route('api.file_plan', BODY + '/file-plan', traverse=records)
    route('api.records_files', BODY + '/files', traverse=records)
    route('api.records_file', BODY + '/files/{file}', traverse=records)
    route('api.records_file_action', BODY + '/files/{file}/{action}', traverse=records)
    route('api.document_records_file', DOC + '/records-file', traverse=DOC)
    route('api.appraisal', BODY + '/appraisal', traverse=records)
    route('api.batches', BODY + '/batches', traverse=records)
    route('api.batch', BODY + '/batches/{batch}', traverse=records)
    route('api.batch_action', BODY + '/batches/{batch}/{action}', traverse=records)
    route('api.search', '/search')          # search/ (api/search.py)
    route('api.users', '/users', traverse='/users')
    route('api.user', '/users/{login}', traverse='/users/{login}')
    # administrators' account and unit changes (api/directory.py, services/accounts.py)
    route('api.user_roles', '/users/{login}/roles', traverse='/users/{login}')
    route('api.user_unit', '/users/{login}/unit', traverse='/users/{login}')
    route('api.unit', BODY + '/units/{unit}', traverse=BODY)
    route('api.security_events', '/security-events')             # monitoring: context the root
    route('api.backups', '/backups')                 # context: the root (administrators)
    # statistics (api/stats.py)
    route('api.stats', '/stats')
    route('api.reports_quarterly', '/reports/quarterly')

"""What an archivist or a leader does to a batch (the pages and the API take the same steps):
each action to the module that holds it, above ``batches`` — the export a job for the worker
(``export_jobs``), destruction its own part (``destruction``)."""
from . import batches as B
from . import destruction, export_jobs


def act(root, batch, action, values, user, settings, receipt=None):
    """Take ``action`` on the batch (the caller has checked ``ACTIONS[action]``)."""
    if action == 'submit':
        return B.submit(root, batch, user)
    if action == 'approve':
        return B.approve(root, batch, user, settings)
    if action == 'return':
        return B.send_back(root, batch, user, values.get('reason'))
    if action == 'export':          # a job the worker does (a big batch must not hold a request)
        return export_jobs.request(root, batch, settings, user, bag=values.get('bag') in (True, 'true', '1', 'on'))
    if action == 'confirm':
        return B.confirm(root, batch, values, user, receipt=receipt)
    if action == 'destroy':
        return destruction.destroy(root, batch, user, settings)
    raise B.unknown_action(action)

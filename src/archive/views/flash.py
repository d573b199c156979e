"""The confirmation a person sees on the page an action leads to ("Đã vào sổ, số đến 12"): kept
in their session, translated when written, shown once by ``templates/layout.pt``."""
import datetime as dt

from .. import clock
from ..i18n import _, counted
from ..services import notify
from ..resources.root import app_root
from ..services.desk import desk_for


def confirm(request, message):
    request.session.flash(request.localizer.translate(message))


def action_done(request, doc, title, gave_number=False):
    """After a workflow action: its title, and the number it gave if it gave one (``gave_number``:
    the document's number changed with the action)."""
    translate = request.localizer.translate
    if gave_number and doc.register_number:
        message = _('flash_action_numbered', default='Đã thực hiện "${action}": số ${number}',
                    mapping={'action': translate(title), 'number': doc.number_symbol if doc.direction == 'outgoing'
                             else doc.register_number})
    else:
        message = _('flash_action_done', default='Đã thực hiện "${action}"', mapping={'action': translate(title)})
    confirm(request, message)


SHOWN_NOTICES = 5        # notices shown one by one after login; the rest are counted
TOLD = 'told'            # their queue in the session (``templates/layout.pt`` shows it apart)


def tell(request, message):
    request.session.flash(request.localizer.translate(message), TOLD)


def tell_after_login(request, root, login):
    """After login: what was assigned to this person since they last logged in, one message a
    document (a Mật one by its number only), the notices then read (``services/notify.py``)."""
    items = notify.seen_after_login(root, login)
    for item in items[:SHOWN_NOTICES]:
        mapping = {'doc': notify.line_of(item['doc'])}
        if item['notice'].get('role') == 'main':
            tell(request, _('notice_assigned_main', default='Bạn được giao chủ trì xử lý: ${doc}', mapping=mapping))
        else:
            tell(request, _('notice_assigned_co', default='Bạn được giao phối hợp xử lý: ${doc}', mapping=mapping))
    if len(items) > SHOWN_NOTICES:
        tell(request, _('notice_assigned_more', default='và ${count} văn bản khác được giao cho bạn',
                        mapping={'count': len(items) - SHOWN_NOTICES}))


GREET = 'greet'          # the query parameter login adds to the page it leads to


def after_login(url):
    """The page login leads to, marked to greet (nothing is stored for it: the pages after a
    login stay read-only)."""
    return url + ('&' if '?' in url else '?') + GREET + '=1'


def greeting(request):
    """On the page login led to: the urgent documents waiting on my desk and those due tomorrow
    (Art. 6.3: urgent ones are presented at once); '' when none or on any other page."""
    try:
        asked = request.GET.get(GREET) == '1'
    except UnicodeDecodeError:      # the error page of a query that is not UTF-8 greets nobody
        return ''
    if not asked or request.identity is None:
        return ''
    desk = desk_for(app_root(request), request.identity, request.registry)
    urgent = {it['doc'].__name__ for q in desk['queues'] for it in q['items'] if it['doc'].urgent}
    tomorrow = clock.today() + dt.timedelta(days=1)
    due = {it['doc'].__name__ for it in desk['due_soon'] if it['doc'].deadline == tomorrow}
    if not (urgent or due):
        return ''
    return request.localizer.translate(_(
        'greet_urgent', default='Đang chờ xử lý: ${urgent}, ${due}',
        mapping={'urgent': counted('urgent_documents', len(urgent)), 'due': counted('due_tomorrow', len(due))}))

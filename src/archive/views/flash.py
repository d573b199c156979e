"""The confirmation a person sees on the page an action leads to ("Đã vào sổ, số đến 12"): kept
in their session, translated when written, shown once by ``templates/layout.pt``."""
from ..i18n import _


def confirm(request, message):
    request.session.flash(request.localizer.translate(message))


def action_done(request, doc, title):
    """After a workflow action: its title, and the number it gave if it gave one."""
    translate = request.localizer.translate
    if doc.register_number and doc.state in ('registered', 'numbered'):
        message = _('flash_action_numbered', default='Đã thực hiện "${action}": số ${number}',
                    mapping={'action': translate(title), 'number': doc.number_symbol if doc.state == 'numbered'
                             else doc.register_number})
    else:
        message = _('flash_action_done', default='Đã thực hiện "${action}"', mapping={'action': translate(title)})
    confirm(request, message)

"""The workflows' state and action titles as messages, so that the pages show them in the
reader's language: ``workflows/*.zcml`` names the states and gives their Vietnamese titles (the
defaults), ``tools/extract_messages.py`` reads them from there into the catalog as
``wf_<type>_state_<name>`` and ``wf_<type>_<transition>``, the English catalog translates them.
No state is named in Python."""
from ..i18n import _ as message     # ids built from the ZCML: the extractor reads them there
from .states import state_data, transitions_of


def state_title(doc, registry=None):
    """The document's state, as a message."""
    title = state_data(doc, registry).get('title')
    if not title:
        return doc.state or ''
    return message(f'wf_{doc.direction}_state_{doc.state}', default=title)


def transition_title(doc, action, registry, transition=None):
    """An action's title as a message: of the named transition, else of the one that leaves the
    document's state, else of any with that action; ``None`` for an action of no workflow."""
    found = [t for t in transitions_of(doc, registry) if t.get('action', t['name']) == action]
    if transition is not None:
        found = [t for t in found if t['name'] == transition] or found
    found.sort(key=lambda t: t['from_state'] != doc.state)
    for t in found:
        if t.get('title'):
            return message(f"wf_{doc.direction}_{t['name']}", default=t['title'])
    return None

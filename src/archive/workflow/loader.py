"""Loading workflows/*.zcml (repoze.workflow) into this application's registry.

The folder comes from the ``archive.workflows_dir`` setting, so an installed
package finds it and a test can point at a modified copy.
"""
import glob
import os

import repoze.workflow
from repoze.workflow.interfaces import IWorkflowList
from zope.configuration import xmlconfig
from zope.configuration.config import ConfigurationMachine
from zope.interface import providedBy

from ..registers import parse_rules
from ..resources.documents import Document

TYPES = ('incoming', 'outgoing')


def load_workflows(config):
    folder = config.registry.archive_settings.workflows_dir
    files = sorted(glob.glob(os.path.join(folder, '*.zcml')))
    if not files:
        raise ValueError(f'archive.workflows_dir: no workflow files in {folder!r}')
    context = ConfigurationMachine()
    xmlconfig.registerCommonDirectives(context)
    xmlconfig.file('meta.zcml', package=repoze.workflow, context=context, execute=False)
    for path in files:
        xmlconfig.include(context, path)
    # Actions register into the site manager, which hook_zca made this app's registry.
    config.begin()
    try:
        context.execute_actions()
    finally:
        config.end()
    found = {}
    for direction in TYPES:
        # repoze.workflow registers a class under providedBy(cls), and looks it up the same way.
        wf_list = config.registry.adapters.lookup((providedBy(Document),), IWorkflowList, name=direction)
        if not wf_list:
            raise ValueError(f'no workflow of type {direction!r} in {folder}')
        found[direction] = wf_list[0]['workflow']
    config.registry.archive_workflows = found


def includeme(config):
    config.hook_zca()
    load_workflows(config)
    config.registry.archive_numbering = parse_rules(config.registry.archive_settings.numbering)

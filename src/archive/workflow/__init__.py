"""Lifecycles as data: workflows/*.zcml loaded at start-up, one function fires transitions."""
from .loader import load_workflows


def includeme(config):
    from ..registers import parse_rules
    config.hook_zca()
    load_workflows(config)
    config.registry.archive_numbering = parse_rules(config.registry.settings.get('archive.numbering'))

"""Translation strings of the 'archive' domain.

Message ids are stable codes; the default text is Vietnamese, the language of the
product. Other languages (English first) come from ``locale/<lang>/LC_MESSAGES``.
"""
from pyramid.i18n import TranslationStringFactory

_ = TranslationStringFactory('archive')

LOCALES = ('vi', 'en')


def includeme(config):
    config.add_translation_dirs('archive:locale/', 'colander:locale/', 'deform:locale/')

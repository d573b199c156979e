"""Translations of the 'archive' domain (``<lang>/LC_MESSAGES/archive.po`` and ``.mo``).

Pyramid finds this folder as ``archive:locale/`` and looks only at ``<lang>/LC_MESSAGES``;
the catalogs are kept in step with the sources by ``tools/extract_messages.py`` (a development
tool outside the package).
"""

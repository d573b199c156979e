"""Translations of the 'archive' domain (``<lang>/LC_MESSAGES/archive.po`` and ``.mo``).

Pyramid finds this folder as ``archive:locale/`` and looks only at ``<lang>/LC_MESSAGES``;
this file only makes ``python -m archive.locale.extract`` importable.
"""

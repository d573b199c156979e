"""Colander schemas: one per content type, used by the forms, the API and the packages."""

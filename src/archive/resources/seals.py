"""A body's seal image (con dấu), shown as the appearance of its organisation signature on the
documents it issues; kept apart from the body so that loading a body never loads the image."""
import hashlib

from persistent import Persistent


class Seal(Persistent):
    """The PNG as uploaded (checked by ``services.seals``), its size in pixels and who put it."""

    def __init__(self, png, width, height, uploaded_at, uploaded_by):
        self.png = bytes(png)
        self.width = width
        self.height = height
        self.sha256 = hashlib.sha256(self.png).hexdigest()
        self.uploaded_at = uploaded_at
        self.uploaded_by = uploaded_by

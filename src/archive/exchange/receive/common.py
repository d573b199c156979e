"""What every part of the receiving path shares: the journal's chain and actor, the staff named
in what it sends by itself, the limits one package may cost, and refusals marked vouched."""
import contextlib

from ..channels import Refused
from ..safexml import Limits

CHAIN = 'exchange'
ACTOR = 'exchange'                  # the journal's actor for what arrives by exchange


@contextlib.contextmanager
def vouched(yes=True):
    """A ``Refused`` raised inside is marked ``vouched`` (when ``yes``)."""
    try:
        yield
    except Refused as exc:
        exc.vouched = exc.vouched or yes
        raise


class System:
    """The staff named in a status the receiving path sends by itself."""
    login = ACTOR
    full_name = 'Hệ thống tiếp nhận văn bản điện tử'


def from_package_error(exc):
    return Refused(exc.code, exc.message, getattr(exc, 'message_en', ''))


def limits_of(settings):
    """What one package may cost, from the settings: the package as received, one attachment
    zipped (the upload limit) and unzipped, all of them unzipped, and the compression ratio."""
    return Limits(max_package_bytes=settings.exchange_max_package_bytes,
                  max_attachment_bytes=settings.max_upload_bytes,
                  max_unzipped_bytes=settings.exchange_max_unzipped_bytes,
                  max_total_unzipped_bytes=settings.exchange_max_total_unzipped_bytes,
                  max_ratio=settings.exchange_max_ratio, max_attachments=16)

"""Transfer packages for the archive (issue 14, items 6 and 7): an E-ARK SIP of records files,
written streamed and resumable (``write_package``), and checked before anything is marked
(``validate``: eark-validator, bagit, and our own checks)."""
from .bag import make_bag
from .package import Report, TransferError, package_exists, write_package
from .validation import validate

__all__ = ['write_package', 'validate', 'make_bag', 'package_exists', 'Report', 'TransferError']

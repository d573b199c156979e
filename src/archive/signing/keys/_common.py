"""Private helpers both key stores use."""
from __future__ import annotations

from . import DecryptionFailed


def _decryption_failed(key_id):
    return DecryptionFailed(f'Không giải mã được bằng khóa {key_id} (dữ liệu hỏng hoặc mã hóa cho khóa khác)',
                            f'cannot decrypt with key {key_id} (damaged, or encrypted for another key)')

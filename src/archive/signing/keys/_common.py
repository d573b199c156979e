"""Private helpers both key stores (and ``open_keystore``) use."""
from __future__ import annotations

from .errors import DecryptionFailed


def _decryption_failed(key_id):
    return DecryptionFailed(f'Không giải mã được bằng khóa {key_id} (dữ liệu hỏng hoặc mã hóa cho khóa khác)',
                            f'cannot decrypt with key {key_id} (damaged, or encrypted for another key)')


def _setting(settings, key):
    value = settings.get(key)
    return value.strip() if isinstance(value, str) else value

"""The cost of stretching secrets is a setting: production keeps argon2-cffi's and scrypt's strong
defaults, the tests set them cheap (tests/conftest.py TEST_COSTS)."""
import pytest

from archive import settings as archive_settings
from archive.resources import users

SECRET = {'archive.secret': 's' * 40}


def test_defaults_are_the_strong_costs():
    loaded = archive_settings.load(dict(SECRET))
    assert (loaded.keystore_scrypt_n, loaded.password_time_cost, loaded.password_memory_kib) == \
        (2 ** 15, 3, 65536)


def test_costs_are_read_from_the_settings():
    loaded = archive_settings.load({**SECRET, 'archive.keystore_scrypt_n': '16',
                                    'archive.password_time_cost': '1', 'archive.password_memory_kib': '1024'})
    assert (loaded.keystore_scrypt_n, loaded.password_time_cost, loaded.password_memory_kib) == (16, 1, 1024)


@pytest.mark.parametrize('name, value', [
    ('archive.keystore_scrypt_n', '1000'),          # not a power of two
    ('archive.keystore_scrypt_n', '1'),
    ('archive.keystore_scrypt_n', 'many'),
    ('archive.password_time_cost', '0'),
    ('archive.password_memory_kib', '8'),           # argon2 needs 8 KiB a lane, 4 lanes
])
def test_bad_costs_stop_the_start_naming_the_setting(name, value):
    with pytest.raises(ValueError) as err:
        archive_settings.load({**SECRET, name: value})
    assert str(err.value).startswith(name)


def test_password_hashes_carry_the_configured_cost_and_older_ones_still_verify():
    strong = users.User('a', 'A', '000.00.01.H01', ['clerk'])
    users.configure_hasher(3, 65536)
    try:
        strong.set_password('mật khẩu một')
        assert strong.password_hash.startswith('$argon2id$v=19$m=65536,t=3,')
        users.configure_hasher(1, 1024)
        cheap = users.User('b', 'B', '000.00.01.H01', ['clerk'])
        cheap.set_password('mật khẩu hai')
        assert cheap.password_hash.startswith('$argon2id$v=19$m=1024,t=1,')
        assert cheap.check_password('mật khẩu hai') and not cheap.check_password('sai')
        # a hash made with other parameters verifies, and is rehashed with today's at that login
        assert strong.check_password('mật khẩu một')
        assert strong.password_hash.startswith('$argon2id$v=19$m=1024,t=1,')
    finally:
        users.configure_hasher(1, 1024)     # what the tests' apps set (TEST_COSTS)


def test_the_app_applies_the_costs_it_is_given(file_app):
    """main() hands the settings to the password hasher and the key store: the demo seed's
    password hashes and keys carry the tests' cheap costs."""
    import json
    import os

    from ..conftest import open_root
    conn, root = open_root(file_app)
    try:
        assert root['users']['vanthu'].password_hash.startswith('$argon2id$v=19$m=1024,t=1,')
    finally:
        conn.close()
    store = file_app.registry.archive_keystore
    with open(os.path.join(store.folder, 'index.json'), encoding='utf-8') as f:
        entries = [e for gens in json.load(f)['keys'].values() for e in gens]
    assert entries and {e['scrypt_n'] for e in entries} == {16}

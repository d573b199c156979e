"""The ``archive.*`` settings are read once, by ``settings.load``, into one typed object
(``registry.archive_settings``); the rest of the code reads that object, never the .ini's mapping."""
import pathlib
import re

import pytest

from archive import settings as archive_settings

SECRET = {'archive.secret': 's' * 40}
SRC = pathlib.Path(archive_settings.__file__).parent

# A raw read of an archive.* key: settings.get('archive.x'), settings['archive.x'], _setting(s, 'archive.x')
RAW_READ = re.compile(r"""(\.get\(|\[|_setting\(\s*\w+\s*,)\s*f?['"]archive\.\w""")
# The readers of their own options, each called from one place (say why before adding one):
READERS = {
    'settings.py': 'the one place',
    # Calendar.from_settings: called only by settings.load (ArchiveSettings.calendar)
    'calendar.py': 'Calendar.from_settings',
    # open_keystore / passphrase_from_settings: the key store reads its options itself, for main()
    # and for archive-keys, which opens the store without the app
    'signing/keys/__init__.py': 'open_keystore',
    'signing/keys/software.py': 'passphrase_from_settings',
}


def raw_reads(root):
    found = []
    for path in sorted(root.rglob('*.py')):
        name = path.relative_to(root).as_posix()
        for number, line in enumerate(path.read_text(encoding='utf-8').splitlines(), 1):
            if RAW_READ.search(line) and name not in READERS:
                found.append(f'{name}:{number}: {line.strip()}')
    return found


def test_no_archive_setting_is_read_raw_outside_settings_py():
    assert raw_reads(SRC) == []


def test_the_check_sees_a_raw_read(tmp_path):
    """The pattern catches the forms the code used to read settings with."""
    (tmp_path / 'mod.py').write_text(
        "a = registry.settings.get('archive.pack_days', 7)\n"
        "b = s['archive.smtp_user']\n"
        "c = _setting(settings, 'archive.keystore')\n"
        "d = registry.archive_settings.pack_days\n"
        "e = settings.get('zodbconn.uri')\n", encoding='utf-8')
    assert [r.split(':')[1] for r in raw_reads(tmp_path)] == ['1', '2', '3']


def test_the_defaults_when_the_ini_says_nothing():
    s = archive_settings.load(dict(SECRET))
    assert (s.urgent_handling_minutes, s.instance_key, s.root_key, s.numbering) == (60, 'instance:local', 'archive', '')
    assert (s.background, s.exchange_worker, s.journal_checkpoint_minutes, s.journal_export_dir) == (False, True, 60, '')
    assert (s.pack_interval_hours, s.pack_days, s.exchange_poll_seconds) == (24, 7, 2)
    assert (s.delivery_lease_seconds, s.delivery_retry_seconds, s.delivery_retry_cap_seconds,
            s.delivery_max_attempts) == (300, 30, 3600, 8)
    assert s.mail == archive_settings.MailSettings(smtp_port=25, smtp_timeout=30.0, mailbox_max_bytes=10 * 1024 * 1024)
    assert (s.axis.mode, s.axis.timeout, s.axis.done_dir, s.axis.rejected_dir) == ('', 30.0, 'processed', 'rejected')
    assert (s.keystore_kind, s.keystore_passphrase_file, s.template_cache_dir) == ('', '', '')
    assert (s.notify.mail, s.notify.digest_hour) == (False, 7)
    assert s.search_engine == 'tantivy'


def test_values_are_read_under_their_ini_names(tmp_path):
    s = archive_settings.load({
        **SECRET, 'archive.urgent_handling_minutes': '15', 'archive.background': 'true',
        'archive.exchange_worker': 'false', 'archive.pack_interval_hours': '0', 'archive.pack_days': '1.5',
        'archive.delivery_max_attempts': '3', 'archive.delivery_lease_seconds': '20',
        'archive.instance_key': 'instance:b', 'archive.keystore': ' Software ',
        'archive.smtp_host': ' mail.example ', 'archive.smtp_port': '587', 'archive.smtp_starttls': 'true',
        'archive.mail_from': 'vptu@example.org', 'archive.mail_max_bytes': '4000',
        'archive.axis_mode': 'Folder', 'archive.axis_in_dir': str(tmp_path / 'in'),
        'archive.axis_url': 'https://axis.example/api/', 'archive.axis_timeout': '2.5',
        'archive.notify_mail': 'true', 'archive.digest_hour': '0',
        'archive.search_engine': ' Whoosh ',
    })
    assert (s.notify.mail, s.notify.digest_hour) == (True, 0)
    assert (s.urgent_handling_minutes, s.background, s.exchange_worker, s.pack_interval_hours, s.pack_days) == \
        (15, True, False, 0, 1.5)
    assert (s.delivery_max_attempts, s.delivery_lease_seconds, s.instance_key, s.keystore_kind) == \
        (3, 20, 'instance:b', 'software')
    assert (s.mail.smtp_host, s.mail.smtp_port, s.mail.smtp_starttls, s.mail.mail_from, s.mail.max_bytes) == \
        ('mail.example', 587, True, 'vptu@example.org', 4000)
    assert (s.axis.mode, s.axis.url, s.axis.timeout) == ('folder', 'https://axis.example/api', 2.5)
    assert (s.axis.done_dir, s.axis.rejected_dir) == (str(tmp_path / 'processed'), str(tmp_path / 'rejected'))
    assert s.search_engine == 'whoosh'


@pytest.mark.parametrize('name, value', [
    ('archive.urgent_handling_minutes', 'an hour'),
    ('archive.urgent_handling_minutes', '-5'),
    ('archive.background', 'maybe'),
    ('archive.exchange_worker', 'ture'),
    ('archive.pack_days', '-1'),
    ('archive.pack_interval_hours', 'daily'),
    ('archive.exchange_poll_seconds', '0'),
    ('archive.delivery_lease_seconds', 'nan'),
    ('archive.delivery_max_attempts', '0'),
    ('archive.smtp_port', '0'),
    ('archive.smtp_starttls', 'sometimes'),
    ('archive.smtp_timeout', 'slow'),
    ('archive.mail_max_bytes', '-1'),
    ('archive.mailbox_max_bytes', 'ten MB'),
    ('archive.axis_mode', 'ftp'),
    ('archive.axis_timeout', '0'),
    ('archive.notify_mail', 'daily'),
    ('archive.digest_hour', '24'),
    ('archive.digest_hour', 'seven'),
    ('archive.search_engine', 'lucene'),
    ('archive.search_estimate_above', '-1'),
    ('archive.search_estimate_above', 'many'),
    ('archive.export_workers', '0'),
    ('archive.export_workers', 'two'),
    ('archive.document_types', 'QĐi Quy định\nQyĐ Quy định'),            # two types of one name
    ('archive.document_types', 'QĐi Quy định\nQyĐ quy  định'),           # ... whatever its case and spaces
    ('archive.document_types', 'CV Công văn\nCV Công văn hành chính'),    # one abbreviation twice
])
def test_a_bad_value_stops_the_start_naming_the_setting(name, value):
    with pytest.raises(ValueError) as err:
        archive_settings.load({**SECRET, name: value})
    assert str(err.value).startswith(name)


def test_the_archive_certificate_is_read_and_checked_at_the_start(tmp_path):
    """archive.transfer_certificate: a PEM path, read at the start; a file that cannot be read, that
    holds no certificate, or a certificate without an RSA key stops the start naming the setting."""
    from cryptography.hazmat.primitives.serialization import Encoding

    from archive.signing import ca
    authority = ca.make_ca('Lưu trữ lịch sử (TEST ONLY)', algorithm='ec-p256')
    certificate = ca.issue(authority, ca.new_private_key('rsa2048').public_key(), 'C=VN,O=Luu tru,CN=Luu tru',
                           ca.ENCRYPTION)
    good = tmp_path / 'luu-tru.pem'
    good.write_bytes(certificate.public_bytes(Encoding.PEM))
    assert archive_settings.load(SECRET).transfer_certificate is None
    loaded = archive_settings.load({**SECRET, 'archive.transfer_certificate': str(good)}).transfer_certificate
    assert loaded == certificate
    text = tmp_path / 'notes.pem'
    text.write_text('không phải chứng thư')
    ec_only = tmp_path / 'ec.pem'
    ec_only.write_bytes(authority.certificate.public_bytes(Encoding.PEM))
    for path, says in ((tmp_path / 'missing.pem', 'cannot read'), (tmp_path, 'cannot read'),
                       (text, 'no certificate'), (ec_only, 'RSA')):
        with pytest.raises(ValueError) as err:
            archive_settings.load({**SECRET, 'archive.transfer_certificate': str(path)})
        assert str(err.value).startswith('archive.transfer_certificate') and says in str(err.value), path


@pytest.mark.parametrize('ini', ['development.ini', 'production.ini'])
def test_the_shipped_document_types_name_each_type_once(ini):
    """Both "QĐi" and "QyĐ" were listed as "Quy định": the form's list showed two alike. The state
    one is named for what it is, and the start refuses two types of one name (above)."""
    import configparser
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(pathlib.Path(__file__).resolve().parents[2] / ini, encoding='utf-8')
    types = archive_settings.load({**SECRET, 'archive.document_types': parser['app:main']['archive.document_types']}
                                  ).document_types
    assert types['QĐi'] == 'Quy định' and types['QyĐ'] == 'Quy định (văn bản nhà nước)'
    assert len(set(types.values())) == len(types)

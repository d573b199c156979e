"""Traffic nobody vouched for does not grow the database with its volume: refused packages and
failed logins are counted per hour, source and reason (``archive.refused``), the first
journaled; a package from a known sender to a body hosted here is still journaled in full.
Measured on the real FileStorage: Data.fs bytes before and after."""
import os
import time

from archive import audit, refused
from archive.db import flush_refused
from archive.exchange import receive
from archive.views.auth import record_failure

from .test_exchange_bad_input import NS, package, sent  # noqa: F401
from .test_exchange_endpoint import PACKAGES, XML
from .test_exchange_local import Session, exchange_app  # noqa: F401
from ..conftest import client

# What 1,000 refusals from one source may add, by the design: one record created (a few
# objects, ~2 KB), one journal entry (a chain bucket, at most ~15 KB), the counts written at
# most once per refusal_flush_seconds (the test lasts less) and once at the end (~0.5 KB).
BOUND = 100 * 1024


def data_fs(tmp_path):
    return os.path.getsize(tmp_path / 'Data.fs')


def records(app, reason=None):
    with Session(app) as root:
        return [r for r in refused.rows(root) if reason is None or r['reason'] == reason]


def refused_entries(app):
    with Session(app) as root:
        return [e for e in audit.entries(root, receive.CHAIN) if e['action'] == 'package_refused']


def test_a_thousand_refused_packages_from_one_source_are_one_counted_record(exchange_app, tmp_path):
    app = exchange_app
    journaled = len(refused_entries(app))
    before = data_fs(tmp_path)
    for n in range(1000):
        data = b'<edXML:edXML xmlns:edXML="' + NS + b'"><unclosed n="%d">' % n
        try:
            receive.accept(app.registry, data, 'instance', source='203.0.113.7')
        except receive.Refused as exc:
            assert exc.code == 'malformed_xml'
    flush_refused(app.registry, force=True)
    grown = data_fs(tmp_path) - before
    assert grown < BOUND, grown
    [record] = records(app)
    assert (record['source'], record['reason'], record['count'], record['route']) == \
        ('203.0.113.7', 'malformed_xml', 1000, 'instance')
    assert record['first'] <= record['last'] and record['hour'] == record['first'][:13]
    entries = refused_entries(app)[journaled:]
    assert len(entries) == 1 and entries[0]['details']['source'] == '203.0.113.7'   # the first, in full


def test_a_thousand_failed_logins_from_one_address_are_one_counted_record(file_app, tmp_path):
    app = file_app
    before = data_fs(tmp_path)
    for n in range(1000):
        record_failure(app.registry, f'khongco{n}', '198.51.100.4', time.time())
    flush_refused(app.registry, force=True)
    grown = data_fs(tmp_path) - before
    assert grown < BOUND, grown
    [record] = records(app, 'login_failed')
    assert (record['source'], record['count'], record['route']) == ('198.51.100.4', 1000, 'login')
    with Session(app) as root:
        assert not any(chain.startswith('user:khongco') for chain in root.journal.chains)
    there = client(app)
    there.extra_environ['REMOTE_ADDR'] = '198.51.100.4'
    there.login('lanhdao', 'demo-mat-khau-2026', status=429)              # the address lockout still holds


def test_failed_logins_to_an_account_are_journaled_on_it_and_counted(file_app):
    app = file_app
    for _ in range(3):
        record_failure(app.registry, 'vanthu', '198.51.100.5', time.time())
    with Session(app) as root:
        failures = [e for e in audit.entries(root, 'user:vanthu') if e['action'] == 'login_failed']
        assert [e['details']['address'] for e in failures] == ['198.51.100.5'] * 3
    assert records(app, 'login_failed')[0]['count'] == 3


def test_a_package_from_a_known_sender_to_a_body_here_is_journaled_in_full(exchange_app, sent):
    """Signed by its sender, addressed to a body hosted here, refused (Tối mật): each refusal in
    full in the journal, with its sender and DocumentId, as well as counted."""
    app = exchange_app
    journaled = len(refused_entries(app))
    for n in range(3):
        data = package(app, sent['id'], classification='toi_mat', subject=f'Lần {n}')
        try:
            receive.accept(app.registry, data, 'instance', source='203.0.113.8')
        except receive.Refused as exc:
            assert exc.code == 'classification_refused' and exc.vouched
    entries = refused_entries(app)[journaled:]
    assert len(entries) == 3 and len({e['details']['package_sha256'] for e in entries}) == 3
    assert all(e['details']['sender'] and e['details']['document_id'] for e in entries)
    flush_refused(app.registry, force=True)
    assert records(app, 'classification_refused')[0]['count'] == 3


def test_the_endpoint_counts_by_the_clients_address(exchange_app):
    app = exchange_app
    web = client(app)
    web.extra_environ['REMOTE_ADDR'] = '2001:db8:1:2:3:4:5:6'
    for _ in range(3):
        web.post(PACKAGES, b'<not-closed>', headers=XML, status=400)
    flush_refused(app.registry, force=True)
    [record] = records(app, 'malformed_xml')
    assert (record['source'], record['count']) == ('2001:db8:1:2::/64', 3)


def test_sources_past_the_hours_cap_share_one_record_per_reason(exchange_app):
    app = exchange_app
    app.registry.archive_settings.refusal_records_per_hour = 3
    for n in range(6):
        try:
            receive.accept(app.registry, b'<x', 'instance', source=f'192.0.2.{n}')
        except receive.Refused:
            pass
    flush_refused(app.registry, force=True)
    rows = records(app, 'malformed_xml')
    assert len(rows) == 4
    assert {r['source'] for r in rows} == {'192.0.2.0', '192.0.2.1', '192.0.2.2', refused.OTHERS}
    assert sum(r['count'] for r in rows) == 6

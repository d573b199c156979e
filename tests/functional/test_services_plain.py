"""Services take plain values (the root, the acting user, the registry) and refuse with the
project's own errors (``errors.Forbidden``, ``errors.Unknown``); only the web layer knows the
request and HTTP, and translates (#12 item 2). The answers the pages and the API give are tested
where each refusal is (``test_exchange_paper.py``, ``test_secret_readers.py``, ``test_registers.py``)."""
import pathlib
import re

import pytest
import transaction

import archive.services
from archive import errors
from archive.services import desk, paper, registers

from ..conftest import HOST_CODE, open_root

SERVICES = pathlib.Path(archive.services.__file__).parent
# A request, or HTTP: the web layer's words.
WEB = re.compile(r'request|HTTPForbidden|HTTPNotFound|pyramid\.httpexceptions|pyramid\.response')


def web_words(folder):
    return [f'{path.name}:{number}: {line.strip()}' for path in sorted(folder.rglob('*.py'))
            for number, line in enumerate(path.read_text(encoding='utf-8').splitlines(), 1)
            if WEB.search(line)]


def test_no_service_knows_the_request_or_http():
    assert web_words(SERVICES) == []


def test_the_check_sees_the_web_in_a_service(tmp_path):
    (tmp_path / 'svc.py').write_text(
        'from pyramid.httpexceptions import HTTPForbidden\n'
        'def f(request, doc):\n'
        '    return doc\n'
        'def g(root, user, doc):\n'
        '    return doc\n', encoding='utf-8')
    assert [w.split(':')[1] for w in web_words(tmp_path)] == ['1', '2']


@pytest.fixture
def root(app):
    conn, root = open_root(app)
    yield root
    conn.transaction_manager.abort()
    conn.close()


def test_services_refuse_with_the_projects_errors(app, root):
    body = root['bodies'][HOST_CODE]
    processor, clerk = root['users']['chuyenvien'], root['users']['vanthu']
    doc = next(iter(body.documents.values()))
    with pytest.raises(errors.Forbidden):              # only the receiving body's clerk records it
        paper.record_paper_arrived(root, doc, {}, processor)
    with pytest.raises(errors.Unknown) as unknown:     # no such delivery row of this document
        paper.record_paper_sent(root, doc, 'f' * 32, {'means': 'post'}, clerk)
    assert unknown.value.code == 'not_found' and unknown.value.status == 404
    with pytest.raises(errors.Unknown):                # not a register
        registers.register_table(root, clerk, app.registry, body, 'nonsense')
    transaction.abort()


def test_a_desk_and_a_register_from_plain_values(app, root):
    """What the pages and the API show, built from the root, the user and the registry."""
    body = root['bodies'][HOST_CODE]
    clerk = root['users']['vanthu']
    mine = desk.desk_for(root, clerk, app.registry)
    assert mine['queues'] and desk.waiting_count(root, clerk, app.registry) == sum(
        len(q['items']) for q in mine['queues'])
    table = registers.register_table(root, clerk, app.registry, body, 'incoming')
    data, media_type, name = registers.export(table, 'incoming', 'csv')
    assert media_type.startswith('text/csv') and name.startswith('incoming-') and data
    with pytest.raises(errors.InputError):
        registers.export(table, 'incoming', 'doc')

"""One bad item never blocks the others (issue 16, item 7): a delivery that cannot be signed (its
sender, Ban Dân vận of the demo, has no key) is queued first; the healthy one queued after it
goes in the same round, on this instance and by official email (a real SMTP server); the bad one
keeps its reason, waits for its own next try (listed on the operations page) and is tried again
when due. Status messages: ``test_exchange_outbox.py::test_a_status_that_cannot_be_signed_holds_back_none_behind_it``."""
import datetime as dt

import pytest

from archive import clock
from archive.exchange import outgoing, worker

from ..conftest import HOST_CODE, client
from .test_exchange_email import sender, smtp  # noqa: F401 (fixtures)
from .test_exchange_local import BTC, BTG, Session, exchange_app, received, send  # noqa: F401 (a fixture)

BDV = '000.00.05.H01'           # Ban Dân vận: a body of the demo with no key in the key store


def poisoned_forward(app, to):
    """A document the office sent to BDV (hosted: taken in), forwarded by BDV to ``to``: BDV cannot
    sign the package. Its delivery id."""
    sent = send(app, [BDV], abstract='Gửi Ban Dân vận')
    worker.run_round(app.registry)
    with Session(app) as root:
        document_id = root['bodies'][HOST_CODE].documents[sent['id']].document_id
        [doc] = received(root, BDV, document_id)
        return outgoing.queue_forward(root, doc, to, 'Chuyển tiếp thử').id


def row(app, delivery_id):
    with Session(app) as root:
        d = root.exchange.deliveries[delivery_id]
        return d.state, d.attempts, d.last_error, d.next_attempt_at


def healthy_row(app, doc_id):
    with Session(app) as root:
        [d] = [d for d in root.exchange.deliveries.values() if d.document == doc_id]
        return d.state, d.attempts


@pytest.mark.parametrize('route', ['hosted', 'email'])
def test_a_delivery_that_cannot_be_signed_holds_back_none_behind_it(request, route):
    app = request.getfixturevalue('exchange_app') if route == 'hosted' else request.getfixturevalue('sender').a
    to = BTG if route == 'hosted' else BTC          # BTC is reached by email in ``sender``
    bad = poisoned_forward(app, to)
    healthy = send(app, [to], abstract='Văn bản lành')

    worker.run_round(app.registry)
    assert healthy_row(app, healthy['id']) == ('delivered', 1)
    state, attempts, error, next_at = row(app, bad)
    assert (state, attempts) == ('pending', 1) and BDV in error
    assert next_at is not None                      # its own next try (seconds ahead; 0.05 s by email here)
    admin = client(app, 'quantri')
    page = admin.get('/admin/exchange')
    assert f'data-failure="{bad}" data-state="pending"' in page.text and clock.iso(next_at) in page.text

    clock.set_now(next_at + dt.timedelta(seconds=1))
    try:                                            # when due it is tried again, once
        worker.run_round(app.registry)
    finally:
        clock.set_now(None)
    assert row(app, bad)[:2] == ('pending', 2)

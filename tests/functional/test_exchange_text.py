"""Text that comes by the exchange meets the same field check as the form and the API: a
bidirectional override in a received package's metadata is refused naming the field; a line
break inside a one-line field (XML laid out over lines) is a space, not a refusal."""
import pytest

from archive.exchange import edxml, receive

from .test_exchange_bad_input import package
from .test_exchange_local import BTG, Session, exchange_app, send  # noqa: F401


@pytest.fixture
def sent(exchange_app):
    return send(exchange_app, [BTG], abstract='Văn bản thử chữ lạ')


def test_a_bidi_override_in_a_received_subject_is_refused(exchange_app, sent):
    data = package(exchange_app, sent['id'], subject='Về việc \u202eđảo chiều')
    with pytest.raises(receive.Refused) as info:
        receive.accept(exchange_app.registry, data, 'test')
    assert info.value.code == 'fields_invalid' and 'abstract: bidi_control' in info.value.message_vi


def test_a_line_break_in_a_received_one_line_field_is_a_space(exchange_app, sent):
    data = package(exchange_app, sent['id'], from_organ=edxml.Organ('000.00.01.H01', 'Văn phòng\n  Thành ủy'),
                   promulgation_place='Hà\r\nNội')
    entry = receive.accept(exchange_app.registry, data, 'test')
    with Session(exchange_app) as root:
        doc = root['bodies'][BTG].documents[entry['receivers'][0]['document']]
        assert (doc.sender, doc.place) == ('Văn phòng Thành ủy', 'Hà Nội')

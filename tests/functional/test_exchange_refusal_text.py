"""A signed refusal carries no text a sender chose beyond one escaped, length-capped field: a
hostile value (long, control and bidirectional characters, markup) in the package comes back
quoted in the reason only, in what is signed as in the answer."""
import re

from archive.exchange import receipts
from archive.services.certificates import trust_roots
from archive.signing.keys import fingerprint

from .test_exchange_bad_input import package, sent  # noqa: F401
from .test_exchange_endpoint import PACKAGES, XML, app, web  # noqa: F401
from .test_exchange_local import Session, exchange_app  # noqa: F401

HOSTILE = ('<script>alert("x")</script>&amp;\u202e\u0085\u2028\t\r\n'
           + 'Ä' * 3000 + '<b>end</b>')


def hostile_sender(data):
    """The package's sender code replaced by the hostile value (XML-escaped, so it parses)."""
    value = (HOSTILE.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
             .replace('\r', '&#13;').replace('\t', '&#9;').replace('\n', '&#10;'))
    return re.sub(rb'(<edXML:From>\s*<edXML:OrganId>)[^<]*', lambda m: m.group(1) + value.encode('utf-8'),
                  data, count=1)


def test_a_hostile_value_comes_back_escaped_and_capped_in_the_signed_refusal(app, web, sent):
    data = hostile_sender(package(app, sent['id']))
    res = web.post(PACKAGES, data, headers=XML, status=400)
    assert res.json['error'] == 'sender_unknown'
    with Session(app) as root:
        roots = trust_roots(root, app.registry.archive_settings)
    instance = fingerprint(app.registry.archive_keystore.certificate(receipts.INSTANCE_KEY))
    refusal = receipts.check_receipt(res.json, roots, [instance], part='refusal')     # signed as sent
    assert set(refusal) == {'code', 'message', 'sha256', 'refused_at', 'signed_by'}
    for text in (refusal['message'], res.json['message']):
        assert len(text) <= receipts.MESSAGE_CHARS
        assert not re.search('[<>"\u202e\u0085\u2028\t\r\n]', text), text[:200]
        assert '&lt;script&gt;' in text and '\\u202e' in text and '\\u0085' in text and '\\u000a' in text
        assert text.endswith('…')
    assert refusal['code'] == 'sender_unknown'


def test_quoted_keeps_an_ordinary_reason_as_it_is():
    reason = 'Cơ quan gửi 000.00.09.H01 không có trong danh bạ'
    assert receipts.quoted(reason) == reason
    assert receipts.quoted('x' * 10, limit=5) == 'xxxx…'

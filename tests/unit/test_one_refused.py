"""One ``Refused`` for a refusal either way (#12 item 2): what the receiving path refuses here and
what the other side refused of what a channel carried were two exceptions of the same name."""
import pathlib
import re

import archive.exchange
from archive.exchange import channels, receive


def test_one_refused_class_in_the_exchange():
    folder = pathlib.Path(archive.exchange.__file__).parent
    defined = [p.relative_to(folder).as_posix() for p in sorted(folder.rglob('*.py'))
               if re.search(r'^class Refused\b', p.read_text(encoding='utf-8'), re.M)]
    assert defined == ['channels/__init__.py']
    assert receive.Refused is channels.Refused


def test_a_refusal_carries_what_either_side_needs():
    here = receive.Refused('wrong_address', 'Sai địa chỉ', 'Wrong address', receiver='000.00.00.G01')
    assert (here.code, here.message_vi, here.message_en, here.facts, here.vouched, here.answer) == (
        'wrong_address', 'Sai địa chỉ', 'Wrong address', {'receiver': '000.00.00.G01'}, False, None)
    there = channels.Refused('signature_invalid', 'Chữ ký không hợp lệ', answer={'signature': 'c2ln'})
    assert there.answer == {'signature': 'c2ln'} and str(there) == 'signature_invalid: Chữ ký không hợp lệ'

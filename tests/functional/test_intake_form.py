"""The intake form as a clerk meets it (#17 item 1): dates and times picked, never a time zone typed."""
import re

from ..conftest import HOST_CODE
from ..helpers import incoming

API = f'/api/v1/bodies/{HOST_CODE}/documents'


def test_dates_are_picked_and_times_stored_in_vietnam_time(clerk):
    page = clerk.get(f'/bodies/{HOST_CODE}/documents/new?direction=incoming')
    assert page.html.find('input', attrs={'name': 'issued_date'})['type'] == 'date'
    received = page.html.find('input', attrs={'name': 'received_at'})
    assert received['type'] == 'datetime-local' and re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d', received['value'])
    form = page.forms['document']
    for name, value in incoming().items():
        if name in form.fields and name != 'received_at':
            form[name].force_value(value)
    form['received_at'] = '2026-11-24T09:30'
    doc_url = form.submit('submit', status=303).location
    doc = clerk.get(f"{API}/{doc_url.rstrip('/').rsplit('/', 1)[1]}").json
    assert doc['received_at'] == '2026-11-24T09:30:00+07:00' and doc['issued_date'] == '2026-11-20'
    edit = clerk.get(doc_url + 'edit').forms['document']
    assert edit['received_at'].value == '2026-11-24T09:30'

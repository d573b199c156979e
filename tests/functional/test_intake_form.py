"""The intake form as a clerk meets it (#17 item 1): dates and times picked, never a time zone typed."""
import re

from archive.i18n import size_text

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


def visible_names(form_tag, inside_more):
    return [el['name'] for el in form_tag.select('input, select, textarea')
            if el.get('type') != 'hidden' and el.get('name') and not el['name'].startswith('_')
            and (el.find_parent('details', class_='more') is not None) == inside_more]


def test_intake_and_drafting_are_separate_forms_in_reading_order(clerk):
    intake = clerk.get(f'/bodies/{HOST_CODE}/documents/new?direction=incoming')
    form = intake.html.find('form', id='document')
    assert intake.html.h1.text == 'Tiếp nhận văn bản đến'
    assert visible_names(form, False) == ['organ_id', 'sender', 'number_symbol', 'issued_date', 'doc_type',
                                          'abstract', 'urgency', 'classification', 'signer_name',
                                          'main_file', 'attachments']
    assert 'received_at' in visible_names(form, True) and 'send_to' not in str(form)
    organ = form.find('input', attrs={'name': 'organ_id'})
    options = intake.html.find('datalist', id=organ['list']).find_all('option')
    assert ('000.00.02.H01', 'Ban Tổ chức Thành ủy') in [(o['value'], o['label']) for o in options]

    draft = clerk.get(f'/bodies/{HOST_CODE}/documents/new?direction=outgoing')
    form = draft.html.find('form', id='document')
    assert draft.html.h1.text == 'Soạn văn bản đi'
    shown = visible_names(form, False)
    assert shown[:2] == ['doc_type', 'abstract'] and 'organ_id' not in shown and 'number_symbol' not in str(form)
    receivers = form.find('select', attrs={'name': 'send_to'})
    assert receivers.has_attr('multiple') and receivers.find('option', value='000.00.02.H01').text == 'Ban Tổ chức Thành ủy'


def test_the_issuer_picked_by_code_gives_its_name(clerk):
    form = clerk.get(f'/bodies/{HOST_CODE}/documents/new?direction=incoming').forms['document']
    for name, value in incoming(sender=None).items():
        if name in form.fields:
            form[name].force_value(value)
    form['sender'] = ''
    doc_url = form.submit('submit', status=303).location
    doc = clerk.get(f"{API}/{doc_url.rstrip('/').rsplit('/', 1)[1]}").json
    assert doc['organ_id'] == '000.00.02.H01' and doc['sender'] == 'Ban Tổ chức Thành ủy'


def test_receivers_without_scripts_are_a_multi_select_of_several_bodies(clerk):
    """The type-ahead (static/archive.js) is built over the multi-select, which is what is sent:
    without scripts the clerk picks several bodies in it, and the draft goes to each."""
    page = clerk.get(f'/bodies/{HOST_CODE}/documents/new?direction=outgoing')
    receivers = page.html.find('select', attrs={'name': 'send_to'})
    assert receivers.has_attr('data-typeahead') and receivers['data-remove'] == 'Bỏ'
    form = page.forms['document']
    form['doc_type'] = 'TTr'
    form['abstract'] = 'Tờ trình gửi hai ban'
    form['signer_name'] = 'Trần Văn Lãnh Đạo'
    form['send_to'] = ['000.00.02.H01', '000.00.03.H01']
    doc_url = form.submit('submit', status=303).location
    doc = clerk.get(f"{API}/{doc_url.rstrip('/').rsplit('/', 1)[1]}").json
    assert sorted(doc['send_to']) == ['000.00.02.H01', '000.00.03.H01']


def test_a_picked_date_carries_no_machine_format_hint(clerk):
    """Under the date pickers the form said "YYYY-MM-DD" and "ISO 8601 có múi giờ, ví dụ
    2026-11-24T09:30:00+07:00": the API's hints, not a clerk's. The API's description keeps them."""
    for direction in ('incoming', 'outgoing'):
        text = clerk.get(f'/bodies/{HOST_CODE}/documents/new?direction={direction}').html.select_one('main').get_text()
        assert 'YYYY-MM-DD' not in text and 'ISO 8601' not in text, direction
    from archive.schemas.document import DocumentSchema
    assert DocumentSchema()['issued_date'].description is not None       # the schema, for the API, unchanged


def test_a_refused_form_names_each_field_in_error_at_its_top(clerk):
    """Three "Bắt buộc phải nhập" down the form said nothing at its top: the summary names each
    field and links to it, in the reader's language."""
    for locale, names in (('vi', ['Mã định danh cơ quan ban hành', 'Loại văn bản', 'Trích yếu nội dung']),
                          ('en', ['Issuing body identifier', 'Document type', 'Abstract'])):
        page = clerk.get(f'/bodies/{HOST_CODE}/documents/new?direction=incoming&_LOCALE_={locale}')
        refused = page.forms['document'].submit('submit', status=400).html
        items = refused.select('div.alert ul.error-fields li')
        assert [li['data-field'] for li in items] == ['organ_id', 'doc_type', 'abstract']
        assert [li.a.get_text() for li in items] == names
        for li in items:
            assert refused.find(id=li.a['href'][1:])['name'] == li['data-field']


def test_the_file_fields_carry_the_upload_limit_for_the_pages_script(clerk, app):
    limit = app.registry.archive_settings.max_upload_bytes
    page = clerk.get(f'/bodies/{HOST_CODE}/documents/new?direction=incoming')
    for name in ('main_file', 'attachments'):
        field = page.html.find('input', attrs={'name': name})
        assert field['data-max-bytes'] == str(limit)
        assert field['data-too-large'] == f'Tệp "%s" vượt quá giới hạn {size_text(limit)}'   # the server's words

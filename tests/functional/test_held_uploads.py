"""After a form error the chosen files are kept (#17 item 1): held on the server for the session,
named on the page again with "Bỏ tệp này", used by the corrected submission; never a Mật file;
an abandoned one expires."""
import os
import time

import pytest
from webtest import Upload

from ..conftest import HOST_CODE, base_settings, client, close_app, file_uri, make_app
from ..helpers import incoming, pdf

API = f'/api/v1/bodies/{HOST_CODE}/documents'
NEW = f'/bodies/{HOST_CODE}/documents/new?direction=incoming'


@pytest.fixture
def held_app(tmp_path):
    app = make_app(base_settings(tmp_path, file_uri(tmp_path), **{
        'archive.upload_hold_dir': str(tmp_path / 'held'), 'archive.upload_hold_minutes': '30'}))
    yield app
    close_app(app)


def held_files(tmp_path):
    """Every file held, in every session's folder."""
    root = tmp_path / 'held'
    return sorted(p.name for p in root.rglob('*') if p.is_file()) if root.exists() else []


def refused_intake(clerk, **over):
    """The intake form with a main file and an attachment, the abstract left empty: 400."""
    form = clerk.get(NEW).forms['document']
    for name, value in incoming(abstract='', **over).items():
        if name in form.fields:
            form[name].force_value(value)
    form['main_file'] = Upload('to-trinh.pdf', pdf('Noi dung to trinh'), 'application/pdf')
    form['attachments'] = [Upload('phu-luc.pdf', pdf('Phu luc kem theo'), 'application/pdf')]
    return form.submit('submit', status=400)


def kept(page):
    return [p.select_one('.file-name').text for p in page.html.select('fieldset.held-files p.held-file')]


def saved_files(clerk, page):
    doc_id = page.location.rstrip('/').rsplit('/', 1)[1]
    doc = clerk.get(f'{API}/{doc_id}').json
    return {f['filename']: clerk.get(f"{API}/{doc_id}/files/{f['name']}").body for f in doc['files']}


def test_the_chosen_files_are_kept_after_an_error_and_stored_by_the_corrected_submission(held_app, tmp_path):
    clerk = client(held_app, 'vanthu')
    refused = refused_intake(clerk)
    [error] = refused.html.select('ul.errors li')
    assert error['data-field'] == 'abstract'
    assert kept(refused) == ['to-trinh.pdf', 'phu-luc.pdf']
    assert len(held_files(tmp_path)) == 4                       # each file and its record
    form = refused.forms['document']
    form['abstract'] = 'Tờ trình về công tác cán bộ'
    saved = form.submit('submit', status=303)
    assert saved_files(clerk, saved) == {'to-trinh.pdf': pdf('Noi dung to trinh'),
                                         'phu-luc.pdf': pdf('Phu luc kem theo')}
    assert held_files(tmp_path) == []                           # gone once the document is saved


def test_a_kept_file_can_be_removed_and_a_new_main_file_replaces_the_kept_one(held_app, tmp_path):
    clerk = client(held_app, 'vanthu')
    form = refused_intake(clerk).forms['document']
    form['abstract'] = 'Tờ trình về công tác cán bộ'
    tokens = dict(zip(('main', 'attachment'), [f.value for f in form.fields['held']]))
    [drop] = [f for f in form.fields['drop_held'] if f._value == tokens['attachment']]
    drop.checked = True
    form['main_file'] = Upload('ban-moi.pdf', pdf('Ban moi'), 'application/pdf')
    saved = form.submit('submit', status=303)
    assert saved_files(clerk, saved) == {'ban-moi.pdf': pdf('Ban moi')}
    assert held_files(tmp_path) == []


def test_another_session_cannot_use_a_held_file(held_app, tmp_path):
    clerk, other = client(held_app, 'vanthu'), client(held_app, 'vanthu')
    token = refused_intake(clerk).forms['document'].fields['held'][0].value
    form = other.get(NEW).forms['document']
    for name, value in incoming().items():
        if name in form.fields:
            form[name].force_value(value)
    fields = [(k, v) for k, v in form.submit_fields('submit') if isinstance(v, str)] + [('held', token)]
    saved = other.post(NEW, fields, status=303)                 # its own form, naming the first one's file
    assert saved_files(other, saved) == {}
    assert len(held_files(tmp_path)) == 4                       # still the first session's


def test_a_secret_documents_files_are_never_held(held_app, tmp_path):
    clerk = client(held_app, 'vanthu')
    refused = refused_intake(clerk, classification='mat', named_people=['lanhdao'])
    assert kept(refused) == [] and held_files(tmp_path) == []
    [note] = refused.html.select('fieldset.held-files p[data-code=files_not_held]')
    assert 'to-trinh.pdf' in note.text and 'phu-luc.pdf' in note.text      # choose them again


def test_an_abandoned_held_file_expires(held_app, tmp_path):
    clerk = client(held_app, 'vanthu')
    form = refused_intake(clerk).forms['document']
    assert len(held_files(tmp_path)) == 4
    hour_ago = time.time() - 3600                               # older than upload_hold_minutes (30)
    for path in (tmp_path / 'held').rglob('*'):
        if path.is_file():
            os.utime(path, (hour_ago, hour_ago))
    refused_intake(client(held_app, 'lanhdao'), classification='mat')     # any later form sweeps
    assert held_files(tmp_path) == []
    form['abstract'] = 'Tờ trình về công tác cán bộ'
    saved = form.submit('submit', status=303)                   # the form still names them: nothing used
    assert saved_files(clerk, saved) == {}


def test_what_is_over_the_sessions_limit_is_not_held_and_the_page_says_so(tmp_path):
    limit = len(pdf('Noi dung to trinh')) + 10                 # room for the main file only
    app = make_app(base_settings(tmp_path, file_uri(tmp_path), **{
        'archive.upload_hold_dir': str(tmp_path / 'held'), 'archive.upload_hold_bytes': str(limit)}))
    try:
        refused = refused_intake(client(app, 'vanthu'))
        assert kept(refused) == ['to-trinh.pdf'] and len(held_files(tmp_path)) == 2
        [note] = refused.html.select('fieldset.held-files p[data-code=files_not_held]')
        assert 'phu-luc.pdf' in note.text
    finally:
        close_app(app)

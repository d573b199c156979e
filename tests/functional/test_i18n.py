"""Pages are Vietnamese by default and English with ``?_LOCALE_=en``.

English comes from src/archive/locale/en/LC_MESSAGES/archive.mo: the page frame
(layout.pt), the page's own texts, deform's field titles and descriptions (our schemas'
translation strings), the select options (vocabularies) and the field errors.
"""
import re

from bs4 import BeautifulSoup

from ..conftest import HOST_CODE

NEW = f'/bodies/{HOST_CODE}/documents/new'

FRAME_VI = ['Hệ thống văn bản điện tử', 'Giờ Việt Nam (UTC+07:00)']
FRAME_EN = ['Electronic Document System', 'Vietnam time (UTC+07:00)']
NAV_VI = ['Cơ quan, đơn vị', 'Đăng xuất']
NAV_EN = ['Bodies and units', 'Log out']


def page(res):
    return BeautifulSoup(res.text, 'html.parser')


def text(node):
    return ' '.join(node.get_text(' ').split())


def texts(soup, selector):
    return [text(n) for n in soup.select(selector)]


def lang(soup):
    return soup.find('html')['lang']


def assert_all_in(wanted, haystack):
    missing = [w for w in wanted if w not in haystack]
    assert not missing, (missing, haystack)


def assert_none_in(unwanted, haystack):
    found = [w for w in unwanted if w in haystack]
    assert not found, (found, haystack)


def frame(soup):
    """The texts of the page frame: title, header, footer."""
    return ' | '.join([text(soup.title), text(soup.select_one('header')), text(soup.select_one('footer'))])


# --- login (anonymous) ----------------------------------------------------------------------

def test_login_page_is_vietnamese_by_default(anon):
    soup = page(anon.get('/login'))
    assert lang(soup) == 'vi'
    assert text(soup.title) == 'Đăng nhập · Hệ thống văn bản điện tử'
    assert texts(soup, 'main h1') == ['Đăng nhập']
    assert texts(soup, 'main label') == ['Tên đăng nhập', 'Mật khẩu']
    assert texts(soup, 'main button') == ['Đăng nhập']
    assert_all_in(FRAME_VI, frame(soup))


def test_login_page_in_english(anon):
    soup = page(anon.get('/login?_LOCALE_=en'))
    assert lang(soup) == 'en'
    assert text(soup.title) == 'Log in · Electronic Document System'
    assert texts(soup, 'main h1') == ['Log in']
    assert texts(soup, 'main label') == ['Username', 'Password']
    assert texts(soup, 'main button') == ['Log in']
    assert_all_in(FRAME_EN, frame(soup))
    assert_none_in(FRAME_VI + ['Đăng nhập', 'Mật khẩu'], soup.get_text())


def test_failed_login_message_in_both_languages(anon):
    for suffix, message in (('', 'Tên đăng nhập hoặc mật khẩu không đúng'),
                            ('?_LOCALE_=en', 'Incorrect username or password')):
        form = anon.get('/login' + suffix).forms[0]
        form.action = '/login' + suffix
        form['login'] = 'vanthu'
        form['password'] = 'wrong-password'
        soup = page(form.submit(status=401))
        assert texts(soup, 'main p.error') == [message]


# --- bodies and a body (logged in) ----------------------------------------------------------

def test_bodies_page_vietnamese_and_english(clerk):
    soup = page(clerk.get('/bodies/'))
    assert lang(soup) == 'vi'
    assert_all_in(FRAME_VI + NAV_VI, frame(soup))
    assert texts(soup, 'main h1') == ['Cơ quan, đơn vị']
    assert_all_in(['Tên cơ quan', 'Mã định danh', 'Ký hiệu', 'Loại cơ quan', 'Cách liên lạc', 'Hiệu lực'],
                  texts(soup, 'main th'))
    assert 'Cơ quan đảng' in texts(soup, 'main td')

    soup = page(clerk.get('/bodies/?_LOCALE_=en'))
    assert lang(soup) == 'en'
    assert_all_in(FRAME_EN + NAV_EN, frame(soup))
    assert_none_in(FRAME_VI + NAV_VI, frame(soup))
    assert texts(soup, 'main h1') == ['Bodies and units']
    assert_all_in(['Name of body', 'Identifier', 'Abbreviation', 'Kind of body', 'Delivery route', 'Validity'],
                  texts(soup, 'main th'))
    cells = texts(soup, 'main td')
    assert 'Party body' in cells and 'Cơ quan đảng' not in cells
    assert 'Văn phòng Thành ủy' in cells        # names are data: never translated


def test_body_page_vietnamese_and_english(clerk):
    soup = page(clerk.get(f'/bodies/{HOST_CODE}/'))
    assert lang(soup) == 'vi'
    assert_all_in(FRAME_VI + NAV_VI, frame(soup))
    assert_all_in(['Tiếp nhận văn bản đến', 'Soạn văn bản đi'], texts(soup, 'main a.button'))
    assert 'Văn bản' in texts(soup, 'main h2')
    assert_all_in(['Đến/đi', 'Số và ký hiệu', 'Ngày', 'Loại văn bản', 'Trích yếu nội dung', 'Độ khẩn',
                   'Cơ quan ban hành / nơi gửi'], texts(soup, 'main table.documents th'))
    assert 'Văn bản đến' in texts(soup, 'main table.documents td')
    assert_all_in(['Cấp trên', 'Đơn vị trực thuộc'], texts(soup, 'main p span'))

    soup = page(clerk.get(f'/bodies/{HOST_CODE}/?_LOCALE_=en'))
    assert lang(soup) == 'en'
    assert_all_in(FRAME_EN + NAV_EN, frame(soup))
    assert text(soup.title) == 'Văn phòng Thành ủy · Electronic Document System'
    assert_all_in(['Take in an incoming document', 'Draft outgoing document'], texts(soup, 'main a.button'))
    assert 'Documents' in texts(soup, 'main h2')
    headers = texts(soup, 'main table.documents th')
    assert_all_in(['In/out', 'Number and symbol', 'Date', 'Document type', 'Abstract', 'Urgency',
                   'Issuing body / sender'], headers)
    assert not any(re.search(r'[À-ỹĐđ]', h) for h in headers), headers
    cells = texts(soup, 'main table.documents td')
    assert 'Incoming document' in cells and 'Văn bản đến' not in cells
    assert_all_in(['Parent body', 'Subordinate units'], texts(soup, 'main p span'))


# --- the new-document form --------------------------------------------------------------------

FORM_VI = {
    'direction': 'Văn bản đến / đi', 'organ_id': 'Mã định danh cơ quan ban hành',
    'sender': 'Cơ quan ban hành / nơi gửi', 'number_symbol': 'Số và ký hiệu',
    'issued_date': 'Ngày ban hành', 'doc_type': 'Loại văn bản', 'abstract': 'Trích yếu nội dung',
    'urgency': 'Độ khẩn', 'classification': 'Độ mật', 'signer_name': 'Người ký',
    'receivers': 'Nơi nhận', 'deadline': 'Hạn xử lý', 'main_file': 'Tệp văn bản chính (PDF)',
}
FORM_EN = {
    'direction': 'Incoming / outgoing', 'organ_id': 'Issuing body identifier',
    'sender': 'Issuing body / sender', 'number_symbol': 'Number and symbol',
    'issued_date': 'Date of issue', 'doc_type': 'Document type', 'abstract': 'Abstract',
    'urgency': 'Urgency', 'classification': 'Security classification', 'signer_name': 'Signatory',
    'receivers': 'Recipients', 'deadline': 'Processing deadline', 'main_file': 'Main document file (PDF)',
}


def labels(soup):
    """Field name -> the text of its label."""
    out = {}
    for label in soup.select('form#document label[for]'):
        field = soup.find(id=label['for'])
        if field is not None and field.get('name'):
            out[field['name']] = text(label)
    return out


def options(soup, name):
    return texts(soup, f'form#document select[name="{name}"] option')


def test_new_document_form_vietnamese_by_default(clerk):
    soup = page(clerk.get(NEW))
    assert lang(soup) == 'vi'
    assert_all_in(FRAME_VI + NAV_VI, frame(soup))
    assert texts(soup, 'main h1') == ['Văn bản mới']
    got = labels(soup)
    assert {k: got.get(k) for k in FORM_VI} == FORM_VI
    assert options(soup, 'direction') == ['Văn bản đến', 'Văn bản đi']
    assert 'Hỏa tốc' in options(soup, 'urgency')
    assert options(soup, 'classification')[:2] == ['Không mật', 'Mật']
    assert 'Ví dụ 917-TTr/VPTU hoặc 15/QĐ-BNV' in texts(soup, 'form#document .form-text')
    assert texts(soup, 'form#document button[type=submit]') == ['Lưu']


def test_new_document_form_in_english(clerk):
    soup = page(clerk.get(NEW + '?_LOCALE_=en'))
    assert lang(soup) == 'en'
    assert_all_in(FRAME_EN + NAV_EN, frame(soup))
    assert texts(soup, 'main h1') == ['New document']
    got = labels(soup)
    assert {k: got.get(k) for k in FORM_EN} == FORM_EN
    assert options(soup, 'direction') == ['Incoming document', 'Outgoing document']
    assert 'Flash' in options(soup, 'urgency')
    assert options(soup, 'classification')[:2] == ['Unclassified', 'Confidential']
    assert 'E.g. 917-TTr/VPTU or 15/QĐ-BNV' in texts(soup, 'form#document .form-text')
    assert texts(soup, 'form#document button[type=submit]') == ['Save']
    assert_none_in(list(FORM_VI.values()), ' | '.join(got.values()))


def post_bad_form(client, suffix):
    form = client.get(NEW + suffix).forms['document']
    form.action = NEW + suffix
    form['organ_id'] = 'bad'
    form['abstract'] = ''
    return page(form.submit(status=400))


def field_errors(soup):
    """data-code -> message, from the error summary above the form."""
    return {li['data-code']: text(li) for li in soup.select('main ul.errors li')}


def test_field_errors_vietnamese_by_default(clerk):
    soup = post_bad_form(clerk, '')
    assert lang(soup) == 'vi'
    errors = field_errors(soup)
    assert errors['organ_id_malformed'] == 'Mã định danh "bad" không đúng dạng (ví dụ 000.00.31.H29)'
    assert errors['required'] == 'Bắt buộc phải nhập'
    feedback = texts(soup, 'form#document .invalid-feedback')
    assert 'Mã định danh "bad" không đúng dạng (ví dụ 000.00.31.H29)' in feedback


def test_field_errors_in_english(clerk):
    soup = post_bad_form(clerk, '?_LOCALE_=en')
    assert lang(soup) == 'en'
    assert_all_in(FRAME_EN + NAV_EN, frame(soup))
    errors = field_errors(soup)
    assert errors['organ_id_malformed'] == 'The identifier "bad" is malformed (e.g. 000.00.31.H29)'
    assert errors['required'] == 'Required'
    feedback = texts(soup, 'form#document .invalid-feedback')
    assert 'The identifier "bad" is malformed (e.g. 000.00.31.H29)' in feedback
    assert not re.search(r'[À-ỹĐđ]', ' '.join(feedback + list(errors.values())))

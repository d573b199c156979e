"""Both lifecycles walked in a real browser: Playwright driving Debian's Chromium against the app
served by waitress on loopback (a FileStorage made by the conftest helpers), at desktop and
phone size. On each page visited axe-core (bundled by ``axe-playwright-python``) must find no
serious or critical violation, none may show an internal code (``(den, 2026)``, ``valid (valid)``,
a journal code), and at phone size the page must not scroll sideways; each desk is
kept as a screenshot under ``var/test/screenshots/``.

One server and one browser for the module (a browser launch is the costly part); each person is
a browser context of their own (their own cookies). Bodies hosted on one instance exchange for
real: the demo office sends to Ban Tổ chức, whose people take it in, assign and complete it, and
the office sees 06 on its delivery row."""
import hashlib
import os
import re
import shutil
import threading

import pytest

from archive.exchange import worker

from ..conftest import HERE, HOST_CODE, PASSWORD, base_settings, client, close_app, file_uri, make_app
from ..functional.test_exchange_local import BTC, BTG, Session, enrol, send
from ..functional.test_page_words import INTERNAL
from ..helpers import pdf

pytestmark = pytest.mark.slow

playwright_api = pytest.importorskip('playwright.sync_api')
axe_module = pytest.importorskip('axe_playwright_python.sync_playwright')

CHROMIUM = os.environ.get('ARCHIVE_CHROMIUM', '/usr/bin/chromium')
FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync']
SCREENSHOTS = os.path.join(HERE, 'var', 'test', 'screenshots')
DESKTOP = {'width': 1366, 'height': 768}
PHONE = {'width': 390, 'height': 844}
SIZES = {'desktop': DESKTOP, 'phone': PHONE}
CSRF_VALUE = re.compile(r'(?<=name="csrf_token" value=")[^"]*')
# Our pages' only frame is the PDF viewer (Chromium's, not ours): axe checks the frame element in
# our page (its title) but does not go into it, where it waited ~0.5 s for an answer on every
# document page.
AXE_OPTIONS = {'resultTypes': ['violations'], 'iframes': False}
JUDGED = set()          # (size, markup digest) of the pages axe has judged (Person._unseen)
# the innermost elements reaching past the screen's right edge (to name them when a page does)
WIDER_THAN_SCREEN = """[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth
               && ![...e.children].some(c => c.getBoundingClientRect().right > window.innerWidth))
  .slice(0, 5).map(e => e.tagName + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : ''))"""


def apart(fn, *args, **kw):
    """``fn`` run in a thread of its own: Playwright's sync API keeps an asyncio loop running in
    this one, and the app's signing and verifying (pyhanko) start loops of their own."""
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args, **kw).result()


@pytest.fixture(scope='module')
def served(tmp_path_factory):
    """The app with Ban Tổ chức enrolled for the exchange (keys, a leader and a processor),
    served by waitress on a free loopback port; yields ``(app, base URL)``."""
    import waitress
    from archive.services import directory
    from archive.signing import ca
    folder = tmp_path_factory.mktemp('browser')
    app = make_app(base_settings(folder, file_uri(folder)))
    authority = ca.make_ca('CA trao đổi (TEST)', algorithm='ec-p256')
    with Session(app) as root:
        for code in (BTC, BTG):          # the draft goes to both, picked by typing
            enrol(root, app.registry.archive_keystore, authority, code)
        settings = app.registry.archive_settings
        for login, role in (('lanhdao.btc', 'leader'), ('chuyenvien.btc', 'processor')):
            directory.add_user(root, {'login': login, 'full_name': f'{role.capitalize()} Ban Tổ chức',
                                      'body_code': BTC, 'roles': [role], 'password': PASSWORD}, settings, 'test')
    server = waitress.create_server(app, host='127.0.0.1', port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield app, f'http://127.0.0.1:{server.effective_port}'
    server.close()
    thread.join(10)
    close_app(app)


@pytest.fixture(scope='module')
def browser():
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    os.makedirs(SCREENSHOTS)
    if not os.path.exists(CHROMIUM):
        pytest.skip(f'Chromium is not installed at {CHROMIUM} (Debian package chromium, installed by `make`)')
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


class Person:
    """One user in a browser context of their own; ``visit`` and every page reached by a click
    are checked (axe; at phone size, nothing wider than the screen)."""

    axe = axe_module.Axe()

    def __init__(self, browser, base, login, size):
        self.base, self.login, self.size = base, login, size
        self.context = browser.new_context(viewport=SIZES[size], locale='vi-VN')
        # 30 s, not 10: on a loaded 2-core machine a click's page (a server in another process
        # committing, rendering) was seen to take over 10 s; a wait that long is still a failure
        self.context.set_default_timeout(30000)
        self.page = self.context.new_page()
        self.checked = []
        self.page.goto(base + '/login')
        self.check()
        self.page.fill('#login', login)
        self.page.fill('#password', PASSWORD)
        self.page.click('form[action$="/login"] button[type=submit]')
        self.page.wait_for_load_state()
        self.check()

    def visit(self, path):
        self.page.goto(self.base + path)
        self.check()

    def check(self):
        """No serious or critical accessibility violation; at phone size no sideways scrolling."""
        page = self.page
        if self._unseen(page):
            results = self.axe.run(page, options=AXE_OPTIONS)
            bad = [(v['id'], v['impact'], [n['target'] for n in v['nodes']][:3])
                   for v in results.response['violations'] if v['impact'] in ('serious', 'critical')]
            assert bad == [], f'{page.url}: {bad}'
        shown = page.inner_text('main')
        assert INTERNAL.search(shown) is None, f'{page.url} shows an internal code: {INTERNAL.search(shown)[0]}'
        if self.size == 'phone':
            width = page.evaluate('document.documentElement.scrollWidth')
            wide = page.evaluate(WIDER_THAN_SCREEN) if width > PHONE['width'] else []
            assert width <= PHONE['width'], f'{page.url} scrolls sideways at phone size: {width}px wide: {wide}'
        self.checked.append(page.url)

    def _unseen(self, page):
        """Whether axe has not yet judged this very page at this size in this module: the same
        markup (a CSRF token apart) at the same size gets the same verdict, and the walks pass
        the login page and some others again and again (axe takes ~0.6 s a page)."""
        markup = CSRF_VALUE.sub('', page.content())
        key = (self.size, hashlib.sha256(markup.encode()).hexdigest())
        if key in JUDGED:
            return False
        JUDGED.add(key)
        return True

    def desk(self):
        self.visit('/desk')
        self.page.screenshot(path=os.path.join(SCREENSHOTS, f'desk-{self.login}-{self.size}.png'), full_page=True)

    def open_document(self, text):
        with self.page.expect_navigation():
            self.page.get_by_role('link', name=text).first.click()
        self.page.wait_for_load_state()
        self.check()

    def act(self, action, fill=None):
        """Open the action's form on the document page, fill it, submit it; the next page checked."""
        form = self.page.locator(f'form#action-{action}')
        self.page.locator('details.action', has=form).locator('summary').click()
        if fill:
            fill(form)
        # waited for as a navigation: wait_for_load_state alone can return at once, on the page
        # still shown, and the next step then clicked a page about to be replaced (seen under load)
        with self.page.expect_navigation():
            form.locator('button[type=submit]').click()
        self.page.wait_for_load_state()
        self.check()
        assert self.page.locator('p.flash').count() == 1, f'{action}: no confirmation on {self.page.url}'

    def state(self):
        return self.page.locator('table.fields tr').first.locator('td').inner_text().strip()

    def close(self):
        self.context.close()


def draft_reply(app):
    """The processor's reply, numbered by Ban Tổ chức (over the API: the drafting form is walked
    below); its number and symbol, by which the processor names it on *Hoàn thành*."""
    api = f'/api/v1/bodies/{BTC}/documents'
    processor, leader, clerk = (client(app, login) for login in ('chuyenvien.btc', 'lanhdao.btc', 'vanthu.btc'))
    doc = processor.post_json(api, {'direction': 'outgoing', 'organ_id': BTC, 'doc_type': 'CV',
                                    'abstract': 'Trả lời công văn', 'signer_name': 'Lãnh đạo Ban Tổ chức'},
                              headers={'X-CSRF-Token': processor.csrf}, status=201).json
    for who, action in ((processor, 'submit'), (leader, 'approve'), (clerk, 'number')):
        doc = who.post_json(f"{api}/{doc['id']}/transitions/{action}", {}, headers={'X-CSRF-Token': who.csrf}).json
    return doc['number_symbol']


@pytest.mark.parametrize('size', ['desktop', 'phone'])
def test_an_urgent_document_taken_in_assigned_and_completed_and_the_sender_sees_06(served, browser, size):
    app, base = served
    abstract = f'Công văn khẩn về công tác cán bộ ({size})'
    sent = apart(send, app, [BTC], abstract=abstract, urgency='khan')
    apart(worker.run_round, app.registry)                      # delivered to Ban Tổ chức: "arrived" there

    clerk = Person(browser, base, 'vanthu.btc', size)
    clerk.desk()
    clerk.open_document(abstract)
    assert clerk.page.locator('h1 .badge.urgent').count() == 1
    clerk.act('register')
    assert clerk.state() == 'Đã tiếp nhận'
    clerk.close()

    leader = Person(browser, base, 'lanhdao.btc', size)
    leader.desk()
    leader.open_document(abstract)
    leader.act('assign', lambda f: (f.locator('[name=instruction]').fill('Đề nghị chuyên viên tham mưu'),
                                    f.locator('select[name=main_processor]').select_option('chuyenvien.btc')))
    assert leader.state() == 'Đã chuyển xử lý'
    leader.close()

    reply = apart(draft_reply, app)
    processor = Person(browser, base, 'chuyenvien.btc', size)
    processor.desk()
    processor.open_document(abstract)
    processor.act('start')
    assert processor.state() == 'Đang xử lý'
    processor.act('complete', lambda f: (
        f.locator('input[name=reply]').fill(reply),
        f.locator('[name=note]').fill('Đã tham mưu trả lời')))
    assert processor.state() == 'Đã hoàn thành'
    processor.close()

    apart(worker.run_round, app.registry)                # the statuses back to the office
    sender = Person(browser, base, 'vanthu', size)
    sender.visit(f"/bodies/{sent['organ_id']}/documents/{sent['id']}")
    row = sender.page.locator(f'tr[data-delivery="{BTC}"]')
    assert '06' in row.inner_text()
    sender.close()


@pytest.mark.parametrize('size', ['desktop', 'phone'])
def test_a_draft_approved_numbered_signed_and_sent(served, browser, size, tmp_path):
    app, base = served
    abstract = f'Tờ trình kế hoạch công tác ({size})'
    main = tmp_path / 'to-trinh.pdf'
    main.write_bytes(pdf(abstract))
    clerk = Person(browser, base, 'vanthu', size)
    clerk.desk()
    clerk.visit('/bodies/000.00.01.H01/documents/new?direction=outgoing')
    page = clerk.page
    page.select_option('select[name=doc_type]', 'TTr')
    page.fill('textarea[name=abstract]', abstract)
    page.fill('input[name=signer_name]', 'Trần Văn Lãnh Đạo')
    pick_receivers(clerk)
    page.click('details.more summary')                          # the rest of the fields, folded
    page.fill('input[name=holder_unit]', 'TH')
    page.set_input_files('input[name=main_file]', str(main))
    with page.expect_navigation():
        page.locator('form#document button[type=submit]').click()
    page.wait_for_load_state()
    clerk.check()
    assert page.locator('p.flash').inner_text() == 'Đã lưu văn bản mới'
    assert clerk.state() == 'Dự thảo'
    # the main PDF shown in the page by the browser's own viewer, served inline, framed by us only;
    # on a phone not loaded with the page but on its button
    if size == 'phone':
        assert page.locator('iframe#pdf-view').get_attribute('src') is None
        page.locator('[data-pdf-load] button').click()
        assert page.locator('[data-pdf-load]').is_hidden()
        # the viewer loading in the page moves what is below it: the next click waits for it
        # (an action's fold once stayed shut after its click here, on a phone, in a full run)
        page.locator('iframe#pdf-view').element_handle().content_frame().wait_for_load_state()
    src = page.locator('iframe#pdf-view').get_attribute('src')
    assert src.endswith('/1/inline') and (size == 'phone' or page.frame(name='pdf-view').url == src)
    shown = clerk.context.request.get(src)
    assert shown.status == 200 and shown.body() == pdf(abstract)
    assert shown.headers['content-type'] == 'application/pdf'
    assert shown.headers['content-disposition'].startswith('inline;')
    assert "frame-ancestors 'self'" in shown.headers['content-security-policy']
    assert shown.headers['x-frame-options'] == 'SAMEORIGIN'
    clerk.act('submit')
    assert clerk.state() == 'Trình ký'
    doc_url = page.url

    leader = Person(browser, base, 'lanhdao', size)
    leader.desk()
    leader.page.goto(doc_url)
    leader.check()
    leader.act('approve')
    assert leader.state() == 'Đã duyệt'
    leader.close()

    page.goto(doc_url)
    clerk.check()
    clerk.act('number')
    assert clerk.state() == 'Đã cấp số'
    clerk.act('sign')
    assert clerk.state() == 'Đã ký số'
    clerk.act('send')
    assert clerk.state() == 'Đã gửi'
    assert page.locator(f'tr[data-delivery="{BTC}"]').count() == 1
    assert page.locator(f'tr[data-delivery="{BTG}"]').count() == 1
    clerk.close()


def pick_receivers(clerk):
    """The receivers picked by typing part of a name or a code (static/archive.js): Ban Tổ chức by
    its name typed without diacritics and Enter, Ban Tuyên giáo by its code and a click, a third
    picked with the arrow keys and removed with its button; the chips and the (hidden) select
    then hold the two."""
    page = clerk.page
    box = page.get_by_role('combobox', name='Gửi điện tử đến')
    assert page.locator('select[name=send_to]').is_hidden()
    box.fill('to chuc')
    offers = page.locator('[role=listbox] [role=option]')
    assert offers.first.inner_text().startswith('Ban Tổ chức Thành ủy')
    box.press('Enter')
    box.fill('000.00.03')
    assert offers.count() == 1
    offers.first.click()
    box.fill('dan van')
    box.press('ArrowDown')
    box.press('Enter')
    chips = page.locator('.typeahead .chips li')
    assert chips.count() == 3
    clerk.check()                           # axe with the chips and the offers' box
    page.get_by_role('button', name='Bỏ Ban Dân vận Thành ủy').click()
    names = page.locator('.typeahead .chips li span').all_inner_texts()
    assert sorted(names) == ['Ban Tuyên giáo Thành ủy', 'Ban Tổ chức Thành ủy']
    box.fill('ban')                         # the offers open, as axe sees them
    assert offers.count() == 2 and page.locator('[role=listbox]').is_visible()   # the two not chosen
    clerk.check()
    box.press('Escape')
    assert page.locator('[role=listbox]').is_hidden()
    box.fill('')
    chosen = page.eval_on_selector('select[name=send_to]',
                                   'select => [...select.selectedOptions].map(o => o.value)')
    assert sorted(chosen) == [BTC, BTG]


@pytest.mark.parametrize('size', ['desktop', 'phone'])
def test_a_paper_letter_taken_in_and_registered_and_the_same_letter_again_needs_a_confirmation(
        served, browser, size):
    """The clerk's intake of a paper letter, counted: from the desk, 3 clicks to the saved
    document (Văn bản, Tiếp nhận văn bản đến, Lưu) and 6 fields (the issuer picked from the
    directory by its name, number and symbol, date, type, abstract, urgency); 2 more to register."""
    _app, base = served
    clerk = Person(browser, base, 'vanthu', size)
    page = clerk.page
    number = '45-CV/BTGTU' if size == 'desktop' else '46-CV/BTGTU'
    clerk.desk()
    if size == 'phone':
        assert not page.get_by_role('link', name='Văn bản', exact=True).is_visible()   # the header folded
        assert page.locator('header.top .search-box input').is_visible()              # the search box not
        page.click('header.top .menu-toggle')
    else:                   # at 1280 px the header is one line: links, search box, name, languages
        page.set_viewport_size({'width': 1280, 'height': 768})
        tops = page.evaluate("""[...document.querySelectorAll('header.top nav a, header.top .search-box, '
                                + 'header.top .who, header.top .lang')].map(e => Math.round(e.getBoundingClientRect().top / 10))""")
        assert len(set(tops)) == 1, tops
        page.set_viewport_size(DESKTOP)
    page.get_by_role('link', name='Văn bản', exact=True).click()
    page.wait_for_load_state()
    clerk.check()
    page.get_by_role('link', name='Tiếp nhận văn bản đến').click()
    page.wait_for_load_state()
    clerk.check()
    assert page.locator('main h1').inner_text() == 'Tiếp nhận văn bản đến'
    assert page.locator(f'datalist#bodies-directory option[value="{BTG}"]').count() == 1
    fields = page.locator('form#document').locator('input:visible, select:visible, textarea:visible')
    assert fields.count() == 11                                 # the rest folded under "more"

    def fill():
        page.fill('input[name=organ_id]', BTG)                   # what picking "Ban Tuyên giáo" puts there
        page.fill('input[name=number_symbol]', number)
        page.fill('input[name=issued_date]', '2026-11-20')       # the date picker's value
        page.select_option('select[name=doc_type]', 'CV')
        page.fill('textarea[name=abstract]', 'Về việc tổ chức hội nghị')
        page.select_option('select[name=urgency]', 'khan')
        with page.expect_navigation():
            page.locator('form#document button[type=submit]').click()
        page.wait_for_load_state()
        clerk.check()
    fill()
    assert page.locator('p.flash').inner_text() == 'Đã lưu văn bản mới'
    assert 'Ban Tuyên giáo' in page.locator('table.fields').inner_text()     # the sender from the directory
    clerk.act('register')
    assert clerk.state() == 'Đã tiếp nhận'

    page.goto(base + '/bodies/000.00.01.H01/documents/new?direction=incoming')
    fill()                                                      # the same letter again
    warning = page.locator('ul.errors li[data-code="same_letter"]')
    assert warning.count() == 1 and number in warning.inner_text()
    assert page.input_value('textarea[name=abstract]') == 'Về việc tổ chức hội nghị'   # nothing lost
    page.check('input[name=confirm_duplicate]')
    with page.expect_navigation():
        page.locator('form#document button[type=submit]').click()
    page.wait_for_load_state()
    clerk.check()
    assert page.locator('p.flash').inner_text() == 'Đã lưu văn bản mới'
    clerk.close()



def test_without_scripts_the_receivers_are_the_multi_select(served, browser):
    """With scripts off the drafting form's receivers stay the multi-select it is built over:
    several bodies picked there, no type-ahead."""
    _app, base = served
    context = browser.new_context(viewport=DESKTOP, locale='vi-VN', java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(base + '/login')
        page.fill('#login', 'vanthu')
        page.fill('#password', PASSWORD)
        page.click('form[action$="/login"] button[type=submit]')
        page.wait_for_load_state()
        page.goto(base + f'/bodies/{HOST_CODE}/documents/new?direction=outgoing')
        receivers = page.locator('select[name=send_to]')
        assert receivers.is_visible() and page.locator('.typeahead, input[role=combobox]').count() == 0
        assert sorted(receivers.select_option([BTC, BTG])) == [BTC, BTG]
    finally:
        context.close()

# the pages the search, statistics, records, monitoring and backup parts added, by who uses them
NEW_PAGES = {
    'vanthu': ['/search?q=c%C3%B4ng+v%C4%83n', '/search?q=bao+cao&sort=date', '/stats',
               '/stats/documents?metric=received&subtree=1',                  # the documents behind a figure
               f'/bodies/{HOST_CODE}/records',
               f'/bodies/{HOST_CODE}?urgency=normal&date_from=2026-01-01',          # the list's filters
               f'/bodies/{HOST_CODE}/registers?kind=incoming&doc_type=CV',
               '/me',                                                         # one's notifications
               f'/bodies/{HOST_CODE}/seal'],                                  # the seal for the issued PDF
    'luutru': ['/desk', f'/bodies/{HOST_CODE}/records', f'/bodies/{HOST_CODE}/records/appraisal',
               f'/bodies/{HOST_CODE}/records/select'],
    'quantri': ['/admin/security', '/admin/backups', '/admin/exchange',
                # accounts and units (views/accounts.py, views/units.py)
                '/users/', '/users/new', '/users/chuyenvien', '/users/chuyenvien/password',
                f'/bodies/{HOST_CODE}/', f'/bodies/{HOST_CODE}/admin',
                '/admin/security?kind=account&action=roles_changed', '/password'],
}


@pytest.mark.parametrize('size', ['desktop', 'phone'])
def test_the_search_statistics_records_and_admin_pages_pass_the_same_checks(served, browser, size):
    """Each page the other parts added, opened by the person who uses it: no serious or critical
    axe violation, no internal code, nothing wider than a phone's screen."""
    _app, base = served
    for login, paths in NEW_PAGES.items():
        person = Person(browser, base, login, size)
        try:
            for path in paths:
                person.visit(path)
        finally:
            person.close()


def test_the_search_page_has_its_filters_beside_the_hits_and_one_box(served, browser):
    """At desktop size the facet panel stands left of the hits (it stacked above them, unstyled);
    the page has one search box, and its button sends what was typed there, and only that; on a
    phone the hits come before the panel, and a list's cards name each value by its column."""
    from archive import search
    app, base = served
    search.apply_pending(app.registry)          # the index current now (the indexer thread's step)
    person = Person(browser, base, 'vanthu', 'desktop')
    page = person.page
    try:
        person.visit('/search?q=c%C3%B4ng+v%C4%83n')
        panel, hits = page.locator('aside.facets').bounding_box(), page.locator('section.hits').bounding_box()
        assert panel['x'] + panel['width'] <= hits['x'] and abs(panel['y'] - hits['y']) < 5, (panel, hits)
        assert page.locator('input[name=q]').count() == 1
        page.fill('input[name=q]', 'cong van')
        page.click('form.search-page .search-bar button[type=submit]')
        page.wait_for_load_state()
        person.check()
        assert 'q=cong+van' in page.url and page.locator('ol.hits li').count() >= 1
        assert not re.search(r'=(&|$)', page.url), page.url          # only what was asked, no empty field
    finally:
        person.close()
    # on a phone the hits come first, the filters after them, a link at the total leading there
    person = Person(browser, base, 'vanthu', 'phone')
    page = person.page
    try:
        person.visit('/search?q=c%C3%B4ng+v%C4%83n')
        panel, hits = page.locator('aside.facets').bounding_box(), page.locator('section.hits').bounding_box()
        assert hits['y'] + hits['height'] <= panel['y'], (panel, hits)
        page.click('a.to-filters')
        assert page.url.endswith('#filters') and page.locator('aside.facets').is_visible()
        # a list read as cards names each value by its column (the headers are not seen on a phone)
        person.visit(f'/bodies/{HOST_CODE}/')
        cell = page.locator('table.list tbody tr td[data-title]').nth(1)
        title = cell.get_attribute('data-title')
        assert title and page.locator('table.list thead th').nth(1).inner_text().strip() == title
        before = cell.evaluate("e => getComputedStyle(e, '::before').content")
        assert before == f'"{title}: "', before
    finally:
        person.close()


def test_on_a_phone_the_records_forms_stack_and_an_empty_field_shows_a_dash(served, browser):
    """The file plan's form wrapped its labels and fields mid-line at 390 px: each label now stands
    above its field, the field as wide as the form; a document's empty fields show a dash."""
    _app, base = served
    person = Person(browser, base, 'luutru', 'phone')
    page = person.page
    try:
        person.visit(f'/bodies/{HOST_CODE}/records/')
        form = page.locator('form#plan-entry').bounding_box()
        label = page.locator('form#plan-entry label').nth(3).bounding_box()        # Thời hạn bảo quản
        field = page.locator('form#plan-entry select[name=retention]').bounding_box()
        assert label['y'] + label['height'] <= field['y'] + 1, (label, field)
        assert field['width'] >= form['width'] - 2, (field, form)
    finally:
        person.close()
    person = Person(browser, base, 'vanthu', 'phone')
    page = person.page
    try:
        person.visit(f'/bodies/{HOST_CODE}/')
        person.open_document('245-HD/BTCTU')
        empty = page.locator('table.fields td:empty').first
        assert empty.evaluate("e => getComputedStyle(e, '::after').content") == '"—"'
        person.visit('/desk')                        # in a list's card: its label, then the dash
        cell = page.locator('table.list td:empty[data-title]').first
        assert cell.evaluate("e => getComputedStyle(e, '::before').content") == f'"{cell.get_attribute("data-title")}: "'
        assert cell.evaluate("e => getComputedStyle(e, '::after').content") == '"—"'
    finally:
        person.close()


@pytest.mark.parametrize('size', ['desktop', 'phone'])
def test_on_a_phone_the_filters_fold_and_the_pdf_waits_for_its_button(served, browser, size):
    """A list's filters took a phone's screen before the list, and the document page loaded its PDF
    (megabytes) with the page: on a phone the filters are folded unless one is in use, and the PDF
    loads on its button; a wide screen sees both as before."""
    _app, base = served
    person = Person(browser, base, 'vanthu', size)
    page = person.page
    phone = size == 'phone'
    try:
        person.visit(f'/bodies/{HOST_CODE}/')
        fold = page.locator('details.filters-fold')
        assert fold.evaluate('d => d.open') is (not phone)
        assert page.locator('fieldset.filters select').first.is_visible() is (not phone)
        if phone:
            fold.locator('summary').click()
            assert page.locator('fieldset.filters select').first.is_visible()
        # its title said once: the fold's on a phone, the fieldset's legend on a wide screen (on a
        # phone the legend is left to screen readers: a 1 px box)
        assert fold.locator('summary').is_visible() is phone
        legend = fold.locator('fieldset.filters legend').evaluate('l => l.getBoundingClientRect().width')
        assert (legend > 1) is (not phone), legend
        if phone:
            person.visit(f'/bodies/{HOST_CODE}/?urgency=normal')      # a filter in use: left open
            assert page.locator('details.filters-fold').evaluate('d => d.open')
        person.visit(f'/bodies/{HOST_CODE}/')
        person.open_document('245-HD/BTCTU')
        frame = page.locator('iframe#pdf-view')
        if phone:
            assert frame.get_attribute('src') is None and page.locator('[data-pdf-load] button').is_visible()
            page.locator('[data-pdf-load] button').click()
        assert frame.get_attribute('src') == frame.get_attribute('data-src')
        assert page.locator('[data-pdf-load]').is_hidden()
        # the statistics: on a phone each chart's narrow copy, its words about 14 px on the screen
        person.visit('/stats')
        shown, hidden = ('.chart-narrow', '.chart-wide') if phone else ('.chart-wide', '.chart-narrow')
        assert page.locator(f'div.charts {shown} svg').first.is_visible()
        assert not page.locator(f'div.charts {hidden} svg').first.is_visible()
        if phone:
            px = page.locator('div.charts .chart-narrow svg').first.evaluate(
                "s => s.getBoundingClientRect().width / s.viewBox.baseVal.width * "
                "parseFloat(s.querySelector('text').getAttribute('font-size'))")
            assert 12 <= px <= 14.5, px
    finally:
        person.close()


@pytest.mark.parametrize('size', ['desktop', 'phone'])
def test_an_administrator_adds_a_unit_and_an_account_changes_its_roles_and_sees_the_change(served, browser, size):
    """The city administrator adds a unit on the body's administration page, an account in it, gives
    it one more role, and finds the role change on the security monitoring page; each page checked."""
    _app, base = served
    admin = Person(browser, base, 'quantri', size)
    page = admin.page
    unit, login = f'P{size[:2].upper()}', f'moi.{size}'
    try:
        admin.visit(f'/bodies/{HOST_CODE}/')
        page.get_by_role('link', name='Quản trị cơ quan').click()
        page.wait_for_load_state()
        admin.check()
        form = page.locator('form[action$="/unit-add"]')
        form.locator('input[name=code]').fill(unit)
        form.locator('input[name=name]').fill(f'Phòng thử {size}')
        form.locator('button[type=submit]').click()
        page.wait_for_load_state()
        admin.check()
        assert page.locator('p.flash').count() == 1 and page.locator(f'tr[data-unit="{unit}"]').count() == 1
        admin.visit('/users/new')
        page.fill('input[name=login]', login)
        page.fill('input[name=full_name]', f'Người Mới {size}')
        page.select_option('select[name=body_code]', HOST_CODE)
        page.select_option('select[name=unit_code]', unit)
        page.check('input[type=checkbox][value=clerk]')
        page.fill('input[name=password]', 'mot-cum-tu-rat-dai-2026')
        page.locator('form#admin button[type=submit]').click()
        page.wait_for_load_state()
        admin.check()
        assert page.locator('p.flash').count() == 1 and f'({login})' in page.inner_text('h1')
        form = page.locator('form[action$="/roles"]')
        form.locator('input[value=leader]').check()
        form.locator('button[type=submit]').click()
        page.wait_for_load_state()
        admin.check()
        assert page.locator('[data-roles]').get_attribute('data-roles') == 'clerk leader'
        admin.visit(f'/admin/security?kind=account&action=roles_changed&account={login}')
        assert page.locator('tr[data-kind="account"]').count() == 1
        assert 'Văn thư → Văn thư, Lãnh đạo' in page.locator('tr[data-kind="account"]').inner_text()
    finally:
        admin.close()


def test_a_file_over_the_limit_is_refused_as_it_is_picked(served, browser, tmp_path):
    """The script refuses a file over the input's data-max-bytes with the server's own words, and
    the form is not sent (the limit is lowered in the page to 100 bytes: a 50 MB file is not made
    for a test; the attribute's value from the settings is checked in test_intake_form)."""
    app, base = served
    big = tmp_path / 'cong-van-lon.pdf'
    big.write_bytes(pdf('Công văn lớn'))
    clerk = Person(browser, base, 'vanthu', 'desktop')
    clerk.visit('/bodies/000.00.01.H01/documents/new?direction=incoming')
    page = clerk.page
    field = page.locator('input[name=main_file]')
    field.evaluate("e => e.setAttribute('data-max-bytes', '100')")
    field.set_input_files(str(big))
    message = field.evaluate('e => e.validationMessage')
    assert message.startswith('Tệp "cong-van-lon.pdf" vượt quá giới hạn'), message
    url = page.url
    page.locator('form#document button[type=submit]').click()
    assert page.url == url and page.locator('div.alert').count() == 0       # not sent
    small = tmp_path / 'cong-van.pdf'
    small.write_bytes(big.read_bytes()[:100])
    field.set_input_files(str(small))                                        # one within the limit: allowed
    assert field.evaluate('e => e.validationMessage') == ''
    clerk.close()

"""Vietnamese catalogs for deform's and colander's own messages.

deform and colander ship no ``vi`` catalog, so their strings ("Required", "There was a
problem with your submission", ...) would stay English on Vietnamese pages. The app keeps
``vi/LC_MESSAGES/deform.po``/``colander.po`` (and the compiled ``.mo``) in ``archive:locale``;
Pyramid takes the domain from the ``.mo`` file name, whatever translation directory it is in.

When a test here fails after upgrading deform or colander: add the new msgids (from
``<package>/locale/<package>.pot``) to the ``.po``, translate them, and compile with
``babel.messages.pofile.read_po`` + ``babel.messages.mofile.write_mo``.
"""
import glob
import io
import os
import re
from collections import Counter

import colander
import deform
import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from pyramid.config import Configurator
from pyramid.i18n import TranslationString, make_localizer
from pyramid.interfaces import ITranslationDirectories
from pyramid.path import AssetResolver
from pyramid.request import Request

DOMAINS = ('deform', 'colander')
PLACEHOLDER = re.compile(r'\$\{[^}]*\}')
resolve = AssetResolver('archive').resolve
ARCHIVE_LOCALE = resolve('archive:locale/').abspath()
VI = os.path.join(ARCHIVE_LOCALE, 'vi', 'LC_MESSAGES')
# the app's order: config.add_translation_dirs('archive:locale/', 'colander:locale/', 'deform:locale/')
DIRS = [resolve(spec).abspath() for spec in ('archive:locale/', 'colander:locale/', 'deform:locale/')]


def package_msgids(domain):
    """Every msgid of the package's own catalogs: its .pot, plus any shipped .po (for safety)."""
    folder = resolve(f'{domain}:locale/').abspath()
    paths = glob.glob(os.path.join(folder, f'{domain}.pot'))
    paths += glob.glob(os.path.join(folder, '*', 'LC_MESSAGES', f'{domain}.po'))
    assert paths, f'no catalog of {domain} found in {folder}'
    ids = set()
    for path in paths:
        with open(path, 'rb') as f:
            ids |= {m.id for m in read_po(f, domain=domain) if m.id}
    return ids


def vi_po(domain):
    with open(os.path.join(VI, f'{domain}.po'), 'rb') as f:
        return read_po(f, locale='vi', domain=domain)


@pytest.fixture(scope='module')
def localizer():
    return make_localizer('vi', DIRS)


@pytest.mark.parametrize('domain', DOMAINS)
def test_every_msgid_has_a_vietnamese_translation(domain):
    wanted = package_msgids(domain)
    catalog = vi_po(domain)
    vietnamese = {m.id: m for m in catalog if m.id}
    assert len(wanted) >= {'deform': 20, 'colander': 30}[domain]
    missing = sorted(wanted - set(vietnamese))
    assert not missing, f'not in vi/LC_MESSAGES/{domain}.po: {missing}'
    empty = sorted(i for i in wanted if not vietnamese[i].string or not vietnamese[i].string.strip())
    assert not empty, f'untranslated in vi/LC_MESSAGES/{domain}.po: {empty}'
    fuzzy = sorted(i for i in wanted if vietnamese[i].fuzzy)
    assert not fuzzy, f'fuzzy (ignored when compiled) in {domain}.po: {fuzzy}'
    # translationstring treats a translation equal to its msgid as untranslated
    same = sorted(i for i in wanted if vietnamese[i].string == i and i != 'language-code')
    assert not same, f'still English in {domain}.po: {same}'


@pytest.mark.parametrize('domain', DOMAINS)
def test_translations_keep_every_placeholder(domain):
    wrong = [(m.id, m.string) for m in vi_po(domain)
             if m.id and Counter(PLACEHOLDER.findall(m.id)) != Counter(PLACEHOLDER.findall(m.string))]
    assert not wrong, f'placeholders differ in {domain}.po: {wrong}'


@pytest.mark.parametrize('domain', DOMAINS)
def test_mo_is_the_po_compiled(domain):
    source = vi_po(domain)
    out = io.BytesIO()
    write_mo(out, source)
    out.seek(0)
    expected = {m.id: m.string for m in read_mo(out) if m.id}
    with open(os.path.join(VI, f'{domain}.mo'), 'rb') as f:
        actual = {m.id: m.string for m in read_mo(f) if m.id}
    assert expected == {m.id: m.string for m in source if m.id and m.string and not m.fuzzy}
    stale = sorted(k for k in expected.keys() | actual.keys() if expected.get(k) != actual.get(k))
    assert not stale, f'vi/LC_MESSAGES/{domain}.mo is out of date with {domain}.po for {stale}'


def test_the_app_registers_the_three_directories_in_this_order():
    config = Configurator(settings={'pyramid.default_locale_name': 'vi'})
    config.include('archive.i18n')
    config.commit()
    assert config.registry.getUtility(ITranslationDirectories) == DIRS


def test_pyramid_translates_colander_and_deform_messages(localizer):
    assert localizer.translate(TranslationString('Required', domain='colander')) == 'Bắt buộc phải nhập'
    assert localizer.translate(TranslationString(
        '"${val}" is not a number', domain='colander', mapping={'val': 'abc'})) == '"abc" không phải là số'
    assert localizer.translate(TranslationString(
        'There was a problem with your submission', domain='deform')) == 'Dữ liệu gửi lên có lỗi'
    assert localizer.translate(TranslationString(
        'Errors have been highlighted below', domain='deform')) == 'Các lỗi được đánh dấu bên dưới'
    assert localizer.translate(TranslationString(
        'Add ${subitem_title}', domain='deform', mapping={'subitem_title': 'tệp'})) == 'Thêm tệp'
    # the domains stay apart: a deform-only msgid is not translated in the colander domain
    assert localizer.translate(TranslationString('Remove', domain='colander')) == 'Remove'


def test_every_msgid_is_translated_at_run_time(localizer):
    for domain in DOMAINS:
        catalog = {m.id: m.string for m in vi_po(domain) if m.id}
        for msgid in package_msgids(domain):
            mapping = {name[2:-1]: name for name in PLACEHOLDER.findall(msgid)}
            got = localizer.translate(TranslationString(msgid, domain=domain, mapping=mapping))
            assert got == catalog[msgid], (domain, msgid, got)


def test_other_languages_are_untouched():
    english = make_localizer('en', DIRS)
    assert english.translate(TranslationString('Required', domain='colander')) == 'Required'
    french = make_localizer('fr', DIRS)
    assert french.translate(TranslationString('Required', domain='colander')) == 'Requis'


def test_a_request_of_the_app_gets_the_vietnamese_messages():
    config = Configurator(settings={'pyramid.default_locale_name': 'vi'})
    config.include('archive.i18n')
    config.commit()
    request = Request.blank('/')
    request.registry = config.registry
    assert request.locale_name == 'vi'
    assert request.localizer.translate(TranslationString('Invalid date', domain='colander')) == \
        'Ngày tháng không hợp lệ'


def test_a_deform_form_renders_its_errors_in_vietnamese():
    from archive.views import _deform_translator

    config = Configurator(settings={'pyramid.default_locale_name': 'vi'})
    config.include('archive.i18n')
    config.commit()
    request = Request.blank('/')
    request.registry = config.registry
    config.begin(request)
    try:
        renderer = deform.ZPTRendererFactory([resolve('deform:templates/').abspath()],
                                             translator=_deform_translator)

        class Schema(colander.MappingSchema):
            name = colander.SchemaNode(colander.String(), title='Tên')

        form = deform.Form(Schema(), renderer=renderer)
        with pytest.raises(deform.ValidationFailure) as failure:
            form.validate([('name', '')])
        html = failure.value.render()
    finally:
        config.end()
    assert 'Dữ liệu gửi lên có lỗi' in html
    assert 'Các lỗi được đánh dấu bên dưới' in html
    assert 'Bắt buộc phải nhập' in html
    assert 'There was a problem' not in html and '>Required<' not in html


def test_a_later_directory_wins_for_the_same_domain(tmp_path):
    # Pyramid merges the directories in list order, later ones overriding earlier ones for the
    # same domain. Today nothing after archive:locale has a vi catalog; should colander or deform
    # ship one, its translations would replace ours (ids it leaves untranslated keep ours).
    later = tmp_path / 'vi' / 'LC_MESSAGES'
    later.mkdir(parents=True)
    catalog = Catalog(locale='vi', domain='colander')
    catalog.add('Required', 'Bắt buộc')
    with open(later / 'colander.mo', 'wb') as f:
        write_mo(f, catalog)
    assert make_localizer('vi', DIRS + [str(tmp_path)]).translate(
        TranslationString('Required', domain='colander')) == 'Bắt buộc'
    assert make_localizer('vi', [str(tmp_path)] + DIRS).translate(
        TranslationString('Required', domain='colander')) == 'Bắt buộc phải nhập'
    assert make_localizer('vi', DIRS + [str(tmp_path)]).translate(
        TranslationString('Invalid date', domain='colander')) == 'Ngày tháng không hợp lệ'

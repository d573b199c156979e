"""The English catalog covers every message id in use, and archive.mo is archive.po compiled.

When a test here fails after adding or changing a string, run
``.venv/bin/python tools/extract_messages.py``, translate the new ids in
``src/archive/locale/en/LC_MESSAGES/archive.po`` and run it again (it compiles the .mo).
"""
import importlib.util
import io
import re
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from pyramid.i18n import TranslationString, make_localizer
from pyramid.path import AssetResolver


def _load_extractor():
    """``tools/extract_messages.py``: a development tool, not part of the installed package."""
    path = Path(__file__).resolve().parents[2] / 'tools' / 'extract_messages.py'
    spec = importlib.util.spec_from_file_location('extract_messages', path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module                 # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


extract = _load_extractor()
PO = extract.HERE / 'en' / 'LC_MESSAGES' / 'archive.po'
MO = PO.with_suffix('.mo')
PLACEHOLDER = re.compile(r'\$\{[^}]*\}')
FIX = 'run `.venv/bin/python tools/extract_messages.py`, translate in archive.po, run it again'

# Ids known to be used with two different Vietnamese defaults; the English covers both.
# Remove an id once its uses agree (types.py: datetime_invalid, short and long default).
KNOWN_DEFAULT_CONFLICTS = {'datetime_invalid'}


@pytest.fixture(scope='module')
def extracted():
    return extract.collect()


@pytest.fixture(scope='module')
def used(extracted):
    return extracted[0]


@pytest.fixture(scope='module')
def catalog():
    with open(PO, 'rb') as f:
        return read_po(f, locale='en', domain='archive')


def _key(msgid):
    """A message's id; a plural message's is its singular id (``i18n.plural``)."""
    return msgid[0] if isinstance(msgid, (list, tuple)) else msgid


def _forms(message):
    """A translation's forms: one, or one for each plural form."""
    return list(message.string) if isinstance(message.string, (list, tuple)) else [message.string]


@pytest.fixture(scope='module')
def english(catalog):
    return {_key(m.id): m for m in catalog if m.id}


def test_extractor_finds_ids_of_every_kind(used):
    expected = {
        'nav_bodies': 'templates/layout.pt',             # i18n:translate
        'f_abstract': 'schemas/document.py',             # _('id', default=...)
        'organ_id_malformed': 'schemas/document.py',     # multi-line _(...) with a mapping
        'direction_unknown': 'schemas/document.py',      # one_of(choices, 'id', 'default')
        'symbol_malformed': 'schemas/directory.py',      # _pattern(regex, 'id', 'default')
        'classification_refused': 'schemas/document.py',  # _(CONSTANT, default=...)
        'role_clerk': 'security.py',
    }
    for msgid, where in expected.items():
        assert msgid in used, msgid
        assert any(o.path.endswith(where) for o in used[msgid]), (msgid, used[msgid])
    assert {o.default for o in used['f_abstract']} == {'Trích yếu nội dung'}
    assert {o.default for o in used['login']} == {'Đăng nhập'}
    assert len(used) >= 150


def test_every_id_in_use_is_in_the_english_catalog(used, english):
    missing = sorted(set(used) - set(english))
    assert not missing, f'not in en/archive.po: {missing}; {FIX}'


def test_every_id_in_use_is_translated(used, english):
    untranslated = sorted(i for i in used if i in english and (not all(_forms(english[i])) or english[i].fuzzy))
    assert not untranslated, f'untranslated or fuzzy in en/archive.po: {untranslated}'


def test_no_translation_equals_its_id(english):
    # translationstring treats a translation equal to the id as "not translated" and shows
    # the Vietnamese default instead (msgid "closed" -> msgstr "closed" would stay "đã đóng").
    same = sorted(i for i, m in english.items() if i in _forms(m))
    assert not same, f'translation identical to the id is ignored at run time: {same}'


def test_translations_keep_the_placeholders(used, english):
    wrong = []
    for msgid, occurrences in used.items():
        message = english.get(msgid)
        if message is None or not message.string:
            continue
        wanted = {frozenset(PLACEHOLDER.findall(o.default)) for o in occurrences if o.default}
        for form in _forms(message):
            got = frozenset(PLACEHOLDER.findall(form))
            if wanted and got not in wanted:
                wrong.append((msgid, sorted(got), [sorted(w) for w in wanted]))
    assert not wrong, f'placeholders differ from the Vietnamese default: {wrong}'


def test_mo_is_the_po_compiled():
    with open(PO, 'rb') as f:
        source = read_po(f, locale='en', domain='archive')
    out = io.BytesIO()
    write_mo(out, source)
    out.seek(0)
    expected = {_key(m.id): tuple(_forms(m)) for m in read_mo(out) if m.id}
    with open(MO, 'rb') as f:
        actual = {_key(m.id): tuple(_forms(m)) for m in read_mo(f) if m.id}
    stale = sorted(k for k in expected.keys() | actual.keys() if expected.get(k) != actual.get(k))
    assert not stale, f'archive.mo is out of date with archive.po for {stale[:20]}; {FIX}'


def test_templates_and_python_are_extractable(extracted):
    _messages, problems = extracted
    serious = [str(p) for p in problems
               if 'different defaults' not in p.text or not any(f"'{i}'" in p.text for i in KNOWN_DEFAULT_CONFLICTS)]
    assert not serious, 'i18n problems:\n' + '\n'.join(serious)


def test_pyramid_finds_the_catalog_at_archive_locale():
    # the folder is a package (for the extractor) and still a translation directory
    folder = AssetResolver('archive').resolve('archive:locale/').abspath()
    localizer = make_localizer('en', [folder])
    assert localizer.translate(TranslationString('f_abstract', domain='archive',
                                                 default='Trích yếu nội dung')) == 'Abstract'
    assert localizer.translate(TranslationString(
        'organ_id_malformed', domain='archive', default='Mã định danh "${value}" không đúng dạng',
        mapping={'value': '12'})) == 'The identifier "12" is malformed (e.g. 000.00.31.H29)'
    vietnamese = make_localizer('vi', [folder])
    assert vietnamese.translate(TranslationString('f_abstract', domain='archive',
                                                  default='Trích yếu nội dung')) == 'Trích yếu nội dung'


def test_a_message_with_a_count_has_a_plural_and_english_both_forms(used, english, tmp_path):
    """``plural('id', n, default=...)`` is extracted as a plural message (``msgid_plural
    "id_plural"``), and English says "1 original file" and "2 original files"; Vietnamese, with
    one form, the default."""
    source = tmp_path / 'counted.py'
    source.write_text("from archive.i18n import plural\n"
                      "m = plural('count_things', 2, default='${n} thứ')\n", encoding='utf-8')
    found, problems = extract.scan_python([source])
    assert not problems and [(o.msgid, o.default, o.plural) for o in found] == [('count_things', '${n} thứ', True)]
    template = extract.template_catalog({'count_things': found})
    assert template.get('count_things').id == ('count_things', 'count_things_plural')
    assert all(o.plural for o in used['count_originals']) and english['count_originals'].pluralizable
    assert len(_forms(english['count_originals'])) == 2
    from archive.i18n import localizer, plural
    for n, en, vi in ((1, '1 original file', '1 tệp gốc'), (2, '2 original files', '2 tệp gốc'),
                      (0, '0 original files', '0 tệp gốc')):
        message = plural('count_originals', n, default='${n} tệp gốc')
        assert (localizer('en').translate(message), localizer('vi').translate(message)) == (en, vi)

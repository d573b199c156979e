"""One way to localise a message in Python code (#12 item 2): a translation string rendered by a
Pyramid localizer over the project's catalogs — the request's in the web layer, ``i18n.translate``
where no request is (console scripts, a reason set inside another message). The scripts' own
``interpolate()`` helpers, which showed the default text whatever the catalogs said, are gone."""
import pathlib

import colander
import pytest
from pyramid.i18n import make_localizer
from pyramid.interfaces import ITranslationDirectories

import archive
from archive import i18n
from archive.i18n import _

SRC = pathlib.Path(archive.__file__).parent
MESSAGES = [_('year_invalid', default='Năm không hợp lệ'),
            _('paper_before_sending', default='Thời gian gửi bản giấy không được trước lúc gửi văn bản (${at})',
              mapping={'at': '2026-12-03T09:00:00+07:00'}),
            colander._('Required'), 'plain text']


def test_no_module_renders_a_message_by_hand():
    found = [f'{p.relative_to(SRC)}:{n}' for p in sorted(SRC.rglob('*.py'))
             for n, line in enumerate(p.read_text(encoding='utf-8').splitlines(), 1) if '.interpolate(' in line]
    assert found == []


@pytest.mark.parametrize('locale', ['vi', 'en'])
def test_without_a_request_a_message_reads_as_the_pages_show_it(app, locale):
    pages = make_localizer(locale, app.registry.queryUtility(ITranslationDirectories))
    for message in MESSAGES:
        assert i18n.translate(message, locale) == pages.translate(message)
    assert i18n.translate(MESSAGES[0], 'en') == 'Invalid year'
    assert i18n.translate(MESSAGES[0]) == 'Năm không hợp lệ'       # Vietnamese unless asked otherwise

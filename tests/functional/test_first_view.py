"""The first view of a page after a start (#14, the pages a new user found slow: 0.8–1.0 s for
each page's first view, 2.97 s for the first document page, 0.07–0.35 s warm). The time went to
Chameleon compiling the page's templates (the document page: eight, 1.7 s of CPU); the cache
folder meant to keep them (``archive.template_cache_dir``) was never used, since Chameleon reads
its cache setting when first imported, before the server's start-up set it. Now the folder is
given to Chameleon at start-up, and ``archive-init`` compiles every template into it."""
import os
import subprocess
import sys

import pytest

from ..conftest import HERE, HOST_CODE

CACHE_AFTER_IMPORT = """
import os, sys
import archive, chameleon                # deform imports Chameleon with the schemas, as in a server
from archive import startup
from chameleon.zpt.template import PageTemplate
startup._template_cache(sys.argv[1])
PageTemplate('<p>${x}</p>')(x=1)
print(len([n for n in os.listdir(sys.argv[1]) if n.endswith('.py')]))
"""


def test_the_template_cache_folder_is_used_although_chameleon_was_imported_first(tmp_path):
    folder = tmp_path / 'templates'
    env = {k: v for k, v in os.environ.items() if k != 'CHAMELEON_CACHE'}
    env['PYTHONPATH'] = os.path.join(HERE, 'src')
    out = subprocess.run([sys.executable, '-c', CACHE_AFTER_IMPORT, str(folder)], env=env, check=True,
                         capture_output=True, text=True, timeout=120).stdout
    assert int(out.split()[-1]) == 1                 # the compiled template is kept in the folder


def cached(folder):
    return {n for n in os.listdir(folder) if n.endswith('.py')}


@pytest.mark.slow       # compiles every template once (about 6 s of CPU)
def test_archive_init_compiles_the_templates_the_pages_then_find(file_app):
    """What ``archive-init`` compiles is what the pages load: after it, showing the document page
    (with its forms), the records page and the desk compiles nothing more."""
    from chameleon.template import BaseTemplate

    from archive.views.warm import warm_templates

    from ..conftest import client
    folder = BaseTemplate.loader.path
    count = warm_templates()
    pages = sorted(n for n in os.listdir(os.path.join(HERE, 'src', 'archive', 'templates')) if n.endswith('.pt'))
    assert count > len(pages)                        # every page, and the forms' templates
    before = cached(folder)
    assert len(before) >= count                      # (files named by a digest of class, body, options)
    clerk = client(file_app, 'vanthu')
    body = clerk.get(f'/bodies/{HOST_CODE}/')
    doc = body.html.select_one('a[href*="/documents/"]')['href']
    page = clerk.get(doc)
    assert page.html.select('form')                  # the document page with its forms
    clerk.get(f'/bodies/{HOST_CODE}/records/')
    clerk.get('/desk')
    assert cached(folder) == before

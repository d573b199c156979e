"""Compiling every page and form template ahead of the first view (``archive-init``).

Chameleon compiles a template to Python the first time it is shown: about a second of CPU for a
page (the document page, eight templates with its forms: 1.7 s). With
``archive.template_cache_dir`` the compiled modules are kept on disk (``startup``), so a server
started again loads them; ``archive-init``, run before every start after an upgrade, fills that
folder, so that the first view after a deployment does not compile either. Templates are built
with the classes the pages use (pyramid_chameleon's for pages, deform's loader for forms): the
cache file's name is a digest of the class, the body and the options, so a template compiled
here is the one the page finds."""
from importlib.resources import files

from pyramid_chameleon.zpt import PyramidPageTemplateFile

from . import FORM_TEMPLATES, form_renderer

PAGES = files('archive') / 'templates'


def warm_templates():
    """Compile the pages' and the forms' templates (into the cache folder, when there is one);
    returns how many."""
    count = 0
    for path in sorted(p for p in PAGES.iterdir() if p.name.endswith('.pt')):
        PyramidPageTemplateFile(str(path), macro=None).cook_check()
        count += 1
    loader = form_renderer().loader
    names = sorted({p.name[:-3] for folder in FORM_TEMPLATES for p in folder.iterdir() if p.name.endswith('.pt')})
    for name in names:
        loader.load(name + '.pt').cook_check()
        count += 1
    return count

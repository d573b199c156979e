"""The project's own modules are imported at the top of a module, never inside a function (#12
item 1: a function-level import hides the layering; they are for heavy third-party libraries
only). Each one left says the cycle it breaks, or that its module is being split this session."""
import ast
import pathlib

import archive

SRC = pathlib.Path(archive.__file__).parent
LEFT = {
    # ensure_root -> evolve.STEPS: evolve's steps import search (its package starts the indexer,
    # which imports db.run_apart)
    ('db.py', '.evolve'),
    # views.documents imports action_forms from views.workflow; the refused action's page is
    # the document page (the "document page assembled in one module" removes it)
    ('views/workflow.py', '.documents'),
}


def inside_functions(root):
    found = set()
    for path in sorted(root.rglob('*.py')):
        for fn in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.ImportFrom) and (node.level or (node.module or '').startswith('archive')):
                    found.add((path.relative_to(root).as_posix(), '.' * node.level + (node.module or '')))
                elif isinstance(node, ast.Import) and any(a.name.startswith('archive') for a in node.names):
                    found.add((path.relative_to(root).as_posix(), node.names[0].name))
    return found


def test_our_own_modules_are_imported_at_the_top():
    assert inside_functions(SRC) - LEFT == set()


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    (tmp_path / 'mod.py').write_text('from . import clock\n\ndef f():\n    from .db import run_apart\n'
                                     '    import archive.audit\n    import json\n', encoding='utf-8')
    assert inside_functions(tmp_path) == {('mod.py', '.db'), ('mod.py', 'archive.audit')}

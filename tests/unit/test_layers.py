"""The layer order of DESIGN.md holds (``.importlinter``), and the check is not blind: the same
contracts fail on a copy of the package with one upward import added."""
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LINT = os.path.join(os.path.dirname(sys.executable), 'lint-imports')


def lint(src):
    env = dict(os.environ, PYTHONPATH=src)
    return subprocess.run([LINT, '--no-cache'], cwd=HERE, env=env, capture_output=True, text=True)


def test_the_layer_order_holds():
    result = lint(os.path.join(HERE, 'src'))
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_upward_import_breaks_it(tmp_path):
    shutil.copytree(os.path.join(HERE, 'src', 'archive'), tmp_path / 'archive',
                    ignore=shutil.ignore_patterns('__pycache__', 'locale', 'static', 'templates'))
    os.makedirs(tmp_path / 'archive' / 'locale')
    (tmp_path / 'archive' / 'locale' / '__init__.py').write_text('')
    clock = tmp_path / 'archive' / 'clock.py'
    clock.write_text(clock.read_text() + '\n\ndef _upward():\n    from .views import documents  # noqa\n')
    result = lint(str(tmp_path))
    assert result.returncode != 0
    assert 'archive.clock is not allowed to import archive.views' in result.stdout

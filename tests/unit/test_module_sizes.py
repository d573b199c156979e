"""No module over 500 lines in src/ (#12 item 4): a module you cannot read in one sitting is two."""
import pathlib

import archive

SRC = pathlib.Path(archive.__file__).parent
LIMIT = 500


def test_no_module_over_500_lines():
    over = {p.relative_to(SRC).as_posix(): n for p in sorted(SRC.rglob('*.py'))
            if (n := len(p.read_text(encoding='utf-8').splitlines())) > LIMIT}
    assert over == {}

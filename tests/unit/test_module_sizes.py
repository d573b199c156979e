"""No module over 500 lines in src/ (#12 item 4): a module you cannot read in one sitting is two."""
import pathlib

import archive

SRC = pathlib.Path(archive.__file__).parent
LIMIT = 500
# Being split by other engineers this session (archival: the archive's; settings.py: the lead's);
# the lead empties this at the merge.
BEING_SPLIT = {'archival/backup.py', 'archival/sip/package.py', 'settings.py'}


def test_no_module_over_500_lines():
    over = {p.relative_to(SRC).as_posix(): n for p in sorted(SRC.rglob('*.py'))
            if (n := len(p.read_text(encoding='utf-8').splitlines())) > LIMIT}
    assert {k: v for k, v in over.items() if k not in BEING_SPLIT} == {}

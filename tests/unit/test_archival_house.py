"""The archive end's house rules (issue 14): one block size, modules under 500 lines."""
import pathlib
import re

import archive.archival as archival
from archive.archival import backup, digest
from archive.archival.sip import package, zipjournal

FOLDER = pathlib.Path(archival.__file__).parent


def test_one_chunk_size_in_one_place():
    defined = [p.relative_to(FOLDER).as_posix() for p in FOLDER.rglob('*.py')
               if re.search(r'^CHUNK\s*=', p.read_text(encoding='utf-8'), re.M)]
    assert defined == ['digest.py']
    assert backup.CHUNK is package.CHUNK is zipjournal.CHUNK is digest.CHUNK == 1 << 20


def test_no_module_of_the_archive_end_over_500_lines():
    long = {p.relative_to(FOLDER).as_posix(): n for p in FOLDER.rglob('*.py')
            if (n := len(p.read_text(encoding='utf-8').splitlines())) > 500}
    assert long == {}

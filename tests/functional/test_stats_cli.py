"""archive-stats (#15 item 1): ``check`` finds counters that drifted from a full recount of the
journal, ``rebuild`` repairs them and proves they equal the recount. Run in-process (the script's
``main``) on a FileStorage of its own."""
import pytest

from archive.reports import recount
from archive.reports import rollups as R
from archive.scripts import stats as stats_script
from archive.scripts.common import opened, writing
from archive.services import directory
from archive.services import documents as svc

from ..conftest import HERE
from ..helpers import incoming
from .test_cli import INI

pytestmark = pytest.mark.slow   # four bootstraps of the app (about 9 s)

CODE = '000.00.02.H01'


def test_check_finds_drift_and_rebuild_repairs_it(tmp_path, capsys):
    ini = tmp_path / 'test.ini'
    ini.write_text(INI.format(var=tmp_path, here=HERE, pad='x' * 40))
    ini = str(ini)
    from archive.scripts import init
    init.main([ini])                                # archive-init first: scripts refuse a new database
    capsys.readouterr()
    with opened(ini) as session:
        root, registry = session
        with writing(session):
            body = directory.add_body(root, {'code': CODE, 'name': 'Ban Tổ chức Thành ủy', 'symbol': 'BTCTU'},
                                      registry.archive_settings, 'test')
            doc = svc.create(root, body, incoming(channel='paper'), [], registry.archive_settings, 'test')
            month = next(f'M{day[1:8]}' for p in root.stats.pending.values() for day, b, _e in p.records() if b == CODE)
            R.add(root.stats.rollups, month, CODE, R.column(('received', '', 'TTr', 'paper', False)), n=2)  # drifted
    assert doc is not None
    with pytest.raises(SystemExit) as exit_:
        stats_script.main([ini, 'check'])
    assert exit_.value.code == 1 and 'differing from a full recount: 1' in capsys.readouterr().out
    stats_script.main([ini, 'rebuild'])
    out = capsys.readouterr().out
    assert 'differing after: 0' in out and 'the counters equal a full recount' in out
    with pytest.raises(SystemExit) as exit_:
        stats_script.main([ini, 'check'])
    assert exit_.value.code == 0
    with opened(ini) as session:
        root, _registry = session
        assert recount.differences(root) == []
        assert sum(n for r in root.stats.rollups.values() for row in r.decoded().values() for c, n in row.items()
                   if R.key_of(c)[0] == 'received') == 1            # one document, in its month

"""archive-search: the search index of this server, rebuilt from ZODB.

``archive-search development.ini reindex`` writes a new index beside the one being served and
switches to it when done, with a progress line; on ZEO it runs beside the servers. On the embedded
FileStorage the server holds the database: the command then asks the server's own indexer to
rebuild (a ``REBUILD`` file in the index folder) and says so.
"""
import sys

from pyramid.paster import get_appsettings

from .. import search, startup
from ..settings import load
from .common import opened, parser


def _progress(done, total):
    share = 100 * done // total if total else 100
    print(f'\r  {done}/{total} văn bản / documents ({share} %)', end='', file=sys.stderr, flush=True)


def main(argv=None):
    p = parser('Chỉ mục tìm kiếm / the search index')
    p.add_argument('command', choices=['reindex'], help='reindex: rebuild the index from the database')
    args = p.parse_args(argv)
    try:
        with opened(args.config_uri, locked_raises=True) as session:
            _root, registry = session
            count = search.rebuild(registry, progress=_progress)
            print(file=sys.stderr)
            print(f'Đã xây dựng lại chỉ mục: {count} văn bản / index rebuilt: {count} documents '
                  f'({search.index_folder(registry)})')
    except startup.StorageLocked:        # the server holds the FileStorage: its indexer rebuilds
        folder = search.request_rebuild(load(get_appsettings(args.config_uri)),
                                        get_appsettings(args.config_uri).get('zodbconn.uri', ''))
        print(f'Máy chủ đang chạy: chỉ mục sẽ được máy chủ xây dựng lại ({folder}) / the server is '
              f'running: its indexer rebuilds the index ({folder})')


if __name__ == '__main__':
    main()

"""archive-worker: the background work as a process of its own, for ZEO or RelStorage."""
import threading

from .. import background
from ..archival import backup_schedule, export_jobs
from .common import opened, parser
from ..exchange import worker as exchange


def main(argv=None):
    p = parser('Tiến trình nền / background worker (ZEO)')
    p.add_argument('--once', action='store_true', help='run one round and exit')
    args = p.parse_args(argv)
    with opened(args.config_uri) as session:
        _root, registry = session
        if registry.settings.get('zodbconn.uri', '').startswith('file://') and not args.once:
            print('Trên FileStorage, máy chủ tự chạy việc nền / on FileStorage the server runs this itself')
            raise SystemExit(2)
        if args.once:
            print(background.checkpoint_and_export(registry) or 'checkpoint folded (no export folder set)')
            print(f'exchange: {exchange.run_round(registry)} deliveries and status messages carried')
            print(f'transfer exports: {export_jobs.run_pending(registry)} done')
            return
        thread = None
        try:
            thread = exchange.start_thread(registry)
            backup_schedule.start_thread(registry, threading.Event())      # on the storage server's host: its files
            export_jobs.start_thread(registry, threading.Event())          # transfer exports asked for
            background.run_forever(registry, threading.Event())
        except KeyboardInterrupt:
            if thread is not None:          # the worker journals its stop (availability, Art. 13.1)
                registry.archive_exchange_stop.set()
                thread.join(10)


if __name__ == '__main__':
    main()

"""``archive-transfer export|validate``: the transfer package's half of the command (issue 14,
item 9).

The records-files part owns the ``archive-transfer`` script (it chooses the batch and ``confirm``s
receipt); its ``export`` calls ``export()`` here to write the package, validate it (eark-validator,
our listing check, bagit for the bag) and print progress, and its ``validate`` calls
``validate_paths()``. ``main()`` runs ``validate`` on its own (no database needed), for packages
made elsewhere or copied back from the archive.
"""
import argparse
import sys

from ..archival import sip
from ..i18n import translate

EXIT_INVALID = 1
EXIT_REFUSED = 2


def progress_printer(out, every=100):
    """A ``progress(done, total)`` that prints a line every ``every`` documents and at the end."""
    def progress(done, total):
        if done == total or done % every == 0:
            print(f'  {done}/{total} văn bản', file=out, flush=True)
    return progress


def export(target, package_id, body, files, documents_of, *, bag=None, overwrite=False,
           allow_secret=False, archive_certificate=None, settings=None, out=None):
    """Write the package (resuming an interrupted run), validate it, bag it if ``bag`` names a
    folder; print what happened (to ``out``, standard error as it is when called). Returns
    ``(report, problems)``: nothing may be marked exported while ``problems`` is not empty.
    Raises ``sip.TransferError`` when the export is refused."""
    out = sys.stderr if out is None else out
    report = sip.write_package(target, package_id, body, files, documents_of,
                               progress=progress_printer(out), allow_secret=allow_secret,
                               archive_certificate=archive_certificate, settings=settings,
                               overwrite=overwrite)
    if report.resumed_units:
        print(f'Tiếp tục lần xuất trước: dùng lại {report.resumed_units} phần đã kiểm tra', file=out)
    problems = sip.validate(target)
    if bag and not problems:
        sip.make_bag(target, bag, body, package_id)
        problems = sip.validate(bag)
    for p in report.problems:
        print(f'  lưu ý [{p["code"]}] {p["message"]}', file=out)
    for p in problems:
        print(f'  LỖI [{p["source"]}:{p["code"]}] {p["message"]}', file=out)
    print(f'{target}: {report.documents} văn bản, {report.originals} tệp gốc, {report.bytes} byte, '
          f'sha256 {report.sha256}; ' + ('hợp lệ' if not problems else f'{len(problems)} lỗi'), file=out)
    return report, problems


def validate_paths(paths, out=None):
    """Validate each package (zip or bag), printed to ``out`` (standard output as it is when
    called); the exit status: 0 when all are valid."""
    out = sys.stdout if out is None else out
    status = 0
    for path in paths:
        problems = sip.validate(path)
        for p in problems:
            print(f'{path}: [{p["source"]}:{p["code"]}] {p["message"]}', file=out)
        print(f'{path}: ' + ('hợp lệ (valid)' if not problems else f'{len(problems)} lỗi (invalid)'), file=out)
        status = status or (EXIT_INVALID if problems else 0)
    return status


def main(argv=None):
    parser = argparse.ArgumentParser(prog='archive-transfer',
                                     description='Gói chuyển giao lưu trữ (E-ARK SIP / BagIt)')
    commands = parser.add_subparsers(dest='command', required=True)
    check = commands.add_parser('validate', help='kiểm tra gói (zip hoặc bag): eark-validator, bagit')
    check.add_argument('paths', nargs='+')
    args = parser.parse_args(argv)
    try:
        return validate_paths(args.paths)
    except sip.TransferError as exc:
        print(translate(exc.message), file=sys.stderr)
        return EXIT_REFUSED


if __name__ == '__main__':
    sys.exit(main())

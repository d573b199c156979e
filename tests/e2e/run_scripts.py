"""Several console scripts one after another in one process: ``python -m tests.e2e.run_scripts``
reads a JSON list of ``[script, arg, ...]`` on stdin and prints a JSON list of their outputs.

The end-to-end set-up runs dozens of short commands (keys, users, tokens, routes) on a stopped
instance; as processes each paid about 2 s of interpreter and import start-up, most of the
suite's slowest fixture. Here each still runs its real entry point, opening and closing the
database as it does from the shell. The first that fails stops the run, its output named."""
import contextlib
import io
import json
import sys
from importlib.metadata import entry_points


def main():
    calls = json.load(sys.stdin)
    scripts = {ep.name: ep for ep in entry_points(group='console_scripts') if ep.name.startswith('archive-')}
    outputs = []
    for argv in calls:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            try:
                code = scripts[argv[0]].load()(argv[1:])
            except SystemExit as exc:
                code = exc.code
        if code not in (None, 0):
            sys.stderr.write(f'{" ".join(argv)} exited {code}:\n{out.getvalue()}\n')
            raise SystemExit(1)
        outputs.append(out.getvalue())
    json.dump(outputs, sys.stdout)


if __name__ == '__main__':
    main()

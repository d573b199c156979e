"""Console scripts as processes, forked from one that has imported them already.

A console script started from the shell spends about 1.7 s of CPU importing the application
before its first line of work; the command-line tests start a hundred of them. Here one helper
process (``python -m tests.forked_scripts``) imports every ``archive-*`` entry point once, then
forks a child per command: the child is a process of its own, with its own standard input,
output and error (files), environment, working folder and exit status, and runs the real entry
point exactly as the console-script wrapper does (``sys.exit(main())``), so nothing it changes
(environment, logging, caches, an open database) outlives it. What is not exercised here is the
interpreter's start-up itself; the end-to-end tests start every instance's ``archive-init`` and
server (``pserve``) from the venv's binaries (``tests/e2e/instances.py``; their other commands
are forked from here too).

``run_script(script, *args, stdin=, env=, cwd=, timeout=)`` answers a
``subprocess.CompletedProcess`` like ``subprocess.run(..., capture_output=True, text=True)``."""
import atexit
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import traceback
from importlib.metadata import entry_points

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---- the helper process --------------------------------------------------------------------------

def _child(entry, argv, stdin, env, cwd, folder):
    """In the forked child: the command's own files, environment and folder; the entry point run as
    the console-script wrapper runs it; never returns."""
    code = 1
    try:
        paths = [os.path.join(folder, name) for name in ('in', 'out', 'err')]
        with open(paths[0], 'w', encoding='utf-8') as f:
            f.write(stdin or '')
        for fd, path, mode in zip((0, 1, 2), paths, (os.O_RDONLY, os.O_WRONLY | os.O_CREAT, os.O_WRONLY | os.O_CREAT)):
            opened = os.open(path, mode, 0o600)
            os.dup2(opened, fd)
            os.close(opened)
        os.environ.clear()
        os.environ.update(env)
        if cwd:
            os.chdir(cwd)
        sys.argv = argv
        try:
            result = entry()
            code = 0 if result is None else result
        except SystemExit as exc:
            code = exc.code
        if code is None:
            code = 0
        elif not isinstance(code, int):         # sys.exit('message'): said on stderr, status 1
            print(code, file=sys.stderr)
            code = 1
    except BaseException:                       # noqa: BLE001 - an uncaught error, as Python shows it
        traceback.print_exc()
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:                   # noqa: BLE001,S110 - the status still goes back
                pass
        os._exit(code if 0 <= code < 256 else 1)


def serve():
    """Read one JSON request per line, fork a child for it, answer its status once it has ended."""
    scripts = {ep.name: ep.load() for ep in entry_points(group='console_scripts')
               if ep.name.startswith('archive-')}
    requests = os.fdopen(os.dup(0), 'r', encoding='utf-8')
    answers = os.fdopen(os.dup(1), 'w', encoding='utf-8')
    for line in requests:
        call = json.loads(line)
        pid = os.fork()
        if pid == 0:
            requests.close()
            answers.close()
            _child(scripts[call['argv'][0]], call['argv'], call['stdin'], call['env'], call['cwd'],
                   call['folder'])
        _pid, status = os.waitpid(pid, 0)
        answers.write(json.dumps(os.waitstatus_to_exitcode(status)) + '\n')
        answers.flush()


# ---- the tests' side -----------------------------------------------------------------------------

class _Forks:
    """A helper process, started on first use and stopped at exit."""

    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, '-m', 'tests.forked_scripts'], cwd=HERE, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True)
        atexit.register(self.stop)

    def run(self, argv, stdin, env, cwd, timeout):
        with tempfile.TemporaryDirectory(prefix='forked-script-') as folder:
            self.proc.stdin.write(json.dumps({'argv': argv, 'stdin': stdin, 'env': env, 'cwd': cwd,
                                              'folder': folder}) + '\n')
            self.proc.stdin.flush()
            ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
            if not ready:
                self.stop()
                raise subprocess.TimeoutExpired(argv, timeout)
            answer = self.proc.stdout.readline()
            if not answer:
                raise RuntimeError(f'the forked-scripts helper ended:\n{argv}')
            outputs = []
            for name in ('out', 'err'):
                with open(os.path.join(folder, name), encoding='utf-8', errors='replace') as f:
                    outputs.append(f.read())
            return subprocess.CompletedProcess(argv, json.loads(answer), *outputs)

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)    # the helper and a child stuck past its time
        self.proc.wait()


_idle = []                      # helpers not running a command: one per command running at once
_idle_lock = threading.Lock()


def run_script(script, *args, stdin=None, env=None, cwd=None, timeout=120):
    """``script`` (``archive-users``, ...) with ``args`` in a process of its own; its status and
    output as ``subprocess.run`` would give them."""
    with _idle_lock:
        forks = _idle.pop() if _idle else None
    if forks is None or forks.proc.poll() is not None:
        forks = _Forks()
    try:
        return forks.run([script, *map(str, args)], stdin, dict(os.environ if env is None else env), cwd, timeout)
    finally:
        with _idle_lock:
            _idle.append(forks)


if __name__ == '__main__':
    serve()

"""Crash points for the end-to-end tests of "nothing lost, nothing twice".

``hit(name)`` kills this process with SIGKILL — no cleanup, no commit, as a power cut would — when
``name`` is listed in the environment variable ``ARCHIVE_FAILPOINTS`` (comma-separated). Unset,
as in every real deployment, it does nothing. The points:

* ``delivery.claimed``: a delivery is claimed (committed) and not yet carried;
* ``delivery.carried``: the other side has answered and the answer is not yet recorded;
* ``receive.before_commit``: the receiving path has taken a package in and not yet committed;
* ``status.carried``: a status message was carried to another instance, not yet marked carried.
"""
import os
import signal

ENV = 'ARCHIVE_FAILPOINTS'


def hit(name):
    armed = os.environ.get(ENV)
    if armed and name in armed.split(','):
        os.kill(os.getpid(), signal.SIGKILL)

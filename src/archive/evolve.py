"""Evolve steps: every change of stored data shape is a numbered step recorded as done.

A new database is created in the current shape, so it records every step as done.
An existing one runs the steps it has not yet run, in order, at start-up
(``archive-init`` runs them too and can show them with ``--dry-run``).
"""
import logging

log = logging.getLogger(__name__)

# (name, function(root)); append only, never reorder or rename.
STEPS = [
]


def pending(root):
    return [(name, fn) for name, fn in STEPS if name not in root.evolved]


def evolve(root, dry_run=False):
    done = []
    for name, fn in pending(root):
        log.info('evolve step %s', name)
        if not dry_run:
            fn(root)
            root.evolved.add(name)
        done.append(name)
    return done

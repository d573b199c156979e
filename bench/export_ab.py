"""A/B rounds of the transfer export: an earlier copy of the code against this one, on one database.

    nice .venv/bin/python bench/export_ab.py /tmp/B-bench/export-10000-10 --before /tmp/B-main/src --rounds 6

``FOLDER`` is a database ``bench/export.py --keep`` built (``<out>/export-<docs>-<kb>``); ``--before``
a copy of an earlier ``src`` (``cp -r /work/main/src /tmp/B-main/``). Each round runs the export
once with each code, in a fresh process (``bench/export.py``'s ``ours`` side, the same harness for
both), the order alternating from round to round; ``--bagit`` adds bagit's bag of the same files to
each round (the issue's baseline). Prints, for each side, CPU time (the process's and its
children's) and wall time as min–max and median, the load average, and the change of the medians.
Not a test: nothing is asserted. See bench/README.md.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)

CHILD = '''
import sys
sys.path[:0] = [{src!r}]
sys.path.append({project_src!r})      # bench/export.py then leaves the path as it is
sys.path.insert(1, {bench!r})
import export
sys.argv = ['export.py', '--child', {kind!r}, '--out', {folder!r}]
export.main()
'''


def run(src, kind, folder, workers=1):
    code = CHILD.format(src=src, project_src=os.path.join(PROJECT, 'src'), bench=HERE,
                        kind=kind if workers == 1 else 'ours-w2', folder=folder)
    done = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(f'{kind} with {src} failed:\n{done.stderr}')
    return json.loads(done.stdout.strip().splitlines()[-1])


def spread(values):
    return f'{min(values):6.2f}–{max(values):6.2f}, median {statistics.median(values):6.2f}'


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('folder')
    p.add_argument('--before', required=True, help='a copy of the earlier code\'s src folder')
    p.add_argument('--rounds', type=int, default=6)
    p.add_argument('--workers', type=int, default=1, choices=(1, 2))
    p.add_argument('--bagit', action='store_true', help='bagit\'s bag of the same files in each round too')
    args = p.parse_args()
    folder = os.path.abspath(args.folder)
    sides = {'before': (os.path.abspath(args.before), 'ours'), 'after': (os.path.join(PROJECT, 'src'), 'ours')}
    if args.bagit:
        sides['bagit'] = (os.path.join(PROJECT, 'src'), 'bagit')
    runs = {name: [] for name in sides}
    loads = [os.getloadavg()[0]]
    order = list(sides)
    for n in range(args.rounds):
        for name in (order if n % 2 == 0 else order[::-1]):
            src, kind = sides[name]
            runs[name].append(run(src, kind, folder, args.workers if kind == 'ours' else 1))
        loads.append(os.getloadavg()[0])
        print(f'round {n + 1}: ' + ', '.join(f'{name} {runs[name][-1]["cpu"]:.2f} s CPU' for name in order),
              flush=True)
    docs = runs['after'][0]['docs']
    print(f'{docs} documents, {args.rounds} rounds, load average (1 min) {min(loads):.1f}–{max(loads):.1f}')
    for name in order:
        cpu = [r['cpu'] for r in runs[name]]
        wall = [r['seconds'] for r in runs[name]]
        print(f'{name:7} CPU {spread(cpu)} s   wall {spread(wall)} s')
    for measure in ('cpu', 'seconds'):
        before, after = (statistics.median(r[measure] for r in runs[s]) for s in ('before', 'after'))
        paired = sorted(a[measure] / b[measure] - 1 for a, b in zip(runs['after'], runs['before']))
        line = (f'{"CPU" if measure == "cpu" else "wall"}: after/before {after / before - 1:+.1%} (medians), '
                f'round by round {paired[0]:+.1%} to {paired[-1]:+.1%}')
        if args.bagit:
            bagit = statistics.median(r[measure] for r in runs['bagit'])
            line += f'; of bagit\'s rate: before {bagit / before:.2f}, after {bagit / after:.2f} (medians)'
            best = min(r[measure] for r in runs['bagit'])
            line += f', best runs {best / min(r[measure] for r in runs["after"]):.2f}'
        print(line)


if __name__ == '__main__':
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The series report's kunit.py verdict must be able to say no: a run
without the suites, with a failed or skipped case, with cases missing or
unknown to the sources, or with results kunit.py itself found missing;
and yes to a parameterised case whose parameters changed."""

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def group(name, members, misc=None):
    """A kunit.py --json group: members maps a name to a status (a case)
    or to a dict (a parameterised case, or a suite); "misc" as kunit.py
    counts it, the results under the group, unless given."""
    subs = [group(n, m) for n, m in members.items() if isinstance(m, dict)]
    leaves = [{'name': n, 'status': m} for n, m in members.items()
              if not isinstance(m, dict)]
    tests = len(leaves) + sum(g['misc']['tests'] for g in subs)
    return {'name': name, 'sub_groups': subs, 'test_cases': leaves,
            'misc': misc or {'tests': tests, 'errors': 0}}


def result(suites, misc=None):
    """A kunit.py --json tree: {suite: {case: status or {param: status}}};
    misc: the first suite's counts, if not kunit.py's own."""
    tree = group('KUnit Test Group', suites)
    if misc:
        tree['sub_groups'][0]['misc'] = misc
    return tree


# the sources' cases of the fixtures: a plain case and a parameterised one
CASES = ['vfio_kvm_lock.a', 'vfio_kvm_lock.p']


def verdict(tree, want=CASES):
    with tempfile.TemporaryDirectory() as d:
        with open(f'{d}/kunit.json', 'w') as f:
            json.dump(tree, f)
        with open(f'{d}/cases.txt', 'w') as f:
            f.write(''.join(c + '\n' for c in want))
        return subprocess.run([sys.executable, f'{HERE}/kunit_verdict.py',
                               f'{d}/kunit.json', 'vfio_kvm', f'{d}/cases.txt'],
                              capture_output=True, text=True,
                              check=True).stdout.split()[0]


TWO = {'group': 'PASS', 'cdev': 'PASS'}
FIXTURES = [
    # (what, results, misc of the first suite, verdict)
    ('every case passed, each parameter',
     {'vfio_kvm_lock': {'a': 'PASS', 'p': TWO}}, None, 'ok'),
    ('a parameterised case with a parameter more than before',
     {'vfio_kvm_lock': {'a': 'PASS', 'p': dict(TWO, third='PASS')}}, None, 'ok'),
    ('one of ours skipped (no VM, say)',
     {'vfio_kvm_lock': {'a': 'SKIP', 'p': TWO}}, None, 'fail'),
    ('a parameter of ours skipped',
     {'vfio_kvm_lock': {'a': 'PASS', 'p': {'group': 'PASS', 'cdev': 'SKIP'}}}, None, 'fail'),
    ('all tests passed, but none of them ours',
     {'kunit-example-test': {'a': 'PASS'}}, None, 'fail'),
    ('one of ours failed',
     {'vfio_kvm_lock': {'a': 'FAIL', 'p': TWO}}, None, 'fail'),
    ('one of ours never ran',
     {'vfio_kvm_lock': {'p': TWO}}, None, 'fail'),
    ('a result of no case the sources list',
     {'vfio_kvm_lock': {'a': 'PASS', 'p': TWO, 'b': 'PASS'}}, None, 'fail'),
    ('a suite of ours the sources do not list',
     {'vfio_kvm_lock': {'a': 'PASS', 'p': TWO}, 'vfio_kvm_new': {'c': 'PASS'}}, None, 'fail'),
    ('kunit.py\'s parser found a parameter announced and never printed',
     {'vfio_kvm_lock': {'a': 'PASS', 'p': TWO}}, {'tests': 3, 'errors': 1}, 'fail'),
    ('kunit.json counts more results than it lists',
     {'vfio_kvm_lock': {'a': 'PASS', 'p': TWO}}, {'tests': 4, 'errors': 0}, 'fail'),
]


def main():
    bad = 0
    for what, suites, misc, expect in FIXTURES:
        got = verdict(result(suites, misc))
        print(f'{"ok" if got == expect else "FAIL"}   {what}: {got}, must be {expect}')
        bad += got != expect
    got = verdict(result({'vfio_kvm_lock': {'a': 'PASS', 'p': TWO}}), [])
    print(f'{"ok" if got == "fail" else "FAIL"}   no case read from the sources: {got}, must be fail')
    bad += got != 'fail'
    with tempfile.TemporaryDirectory() as d:
        with open(f'{d}/cases.txt', 'w') as f:
            f.write(''.join(c + '\n' for c in CASES))
        got = subprocess.run([sys.executable, f'{HERE}/kunit_verdict.py',
                              f'{d}/none.json', 'vfio_kvm', f'{d}/cases.txt'],
                             capture_output=True, text=True).stdout.split()[0]
    print(f'{"ok" if got == "fail" else "FAIL"}   no results file: {got}, must be fail')
    bad += got != 'fail'
    print(f'{len(FIXTURES) + 2 - bad} passed, {bad} failed')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())

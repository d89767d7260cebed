#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The series report's kunit.py verdict must be able to say no: a run
without the suites, with a failed or skipped case, or with cases missing."""

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def result(cases):
    """A kunit.py --json tree: {suite: {case: status}}."""
    return {'name': 'KUnit Test Group', 'test_cases': [], 'sub_groups': [
        {'name': suite, 'sub_groups': [], 'test_cases': [
            {'name': c, 'status': s} for c, s in cs.items()]}
        for suite, cs in cases.items()]}


def verdict(tree, want):
    with tempfile.NamedTemporaryFile('w', suffix='.json', delete=False) as f:
        json.dump(tree, f)
    try:
        return subprocess.run([sys.executable, f'{HERE}/kunit_verdict.py',
                               f.name, 'vfio_kvm', str(want)],
                              capture_output=True, text=True,
                              check=True).stdout.split()[0]
    finally:
        os.unlink(f.name)


FIXTURES = [
    # (what, results, cases expected, verdict)
    ('every case passed',
     {'vfio_kvm_lock': {'a': 'PASS', 'b': 'PASS'}}, 2, 'ok'),
    ('one of ours skipped (no VM, say)',
     {'vfio_kvm_lock': {'a': 'PASS', 'b': 'SKIP'}}, 2, 'fail'),
    ('all tests passed, but none of them ours',
     {'kunit-example-test': {'a': 'PASS'}}, 2, 'fail'),
    ('one of ours failed',
     {'vfio_kvm_lock': {'a': 'PASS', 'b': 'FAIL'}}, 2, 'fail'),
    ('one of ours never ran',
     {'vfio_kvm_lock': {'a': 'PASS'}}, 2, 'fail'),
]


def main():
    bad = 0
    for what, cases, want, expect in FIXTURES:
        got = verdict(result(cases), want)
        print(f'{"ok" if got == expect else "FAIL"}   {what}: {got}, must be {expect}')
        bad += got != expect
    with tempfile.TemporaryDirectory() as d:
        got = subprocess.run([sys.executable, f'{HERE}/kunit_verdict.py',
                              f'{d}/none.json', 'vfio_kvm', '2'],
                             capture_output=True, text=True).stdout.split()[0]
    print(f'{"ok" if got == "fail" else "FAIL"}   no results file: {got}, must be fail')
    bad += got != 'fail'
    print(f'{len(FIXTURES) + 1 - bad} passed, {bad} failed')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())

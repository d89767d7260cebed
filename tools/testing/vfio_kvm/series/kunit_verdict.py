#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The verdict on a kunit.py --json result for the series' report: the
suites whose names start with PREFIX must all be there (N cases, each
parameter one), and each must have passed: a case that skipped observed
nothing (the job's kernel gives every case what it needs, a VM included).
A run that ended, or passed, without them is not a pass.

Usage: kunit_verdict.py RESULT.json PREFIX N
Prints "ok DETAIL" or "fail DETAIL"."""

import json
import sys
from collections import Counter


def cases(node, path):
    for sub in node.get('sub_groups') or []:
        yield from cases(sub, path + [sub['name']])
    for case in node.get('test_cases') or []:
        yield '.'.join(path + [case['name']]), case['status']


def main():
    result, prefix, want = sys.argv[1], sys.argv[2], int(sys.argv[3])
    try:
        with open(result) as f:
            tree = json.load(f)
    except (OSError, ValueError) as e:
        print(f'fail no results ({e})')
        return
    every = dict(cases(tree, []))
    ours = {k: s for k, s in every.items() if k.startswith(prefix)}
    count = Counter(ours.values())
    said = ', '.join(f'{n} {s.lower()}' for s, n in sorted(count.items()))
    bad = [k for k, s in ours.items() if s != 'PASS']
    if not ours:
        print(f'fail none of the {len(every)} cases that ran is a {prefix} case: '
              'the suites were not built or not run')
    elif bad:
        print(f'fail {len(ours)} {prefix} cases: {said}; not passed: '
              + ', '.join(bad[:5]))
    elif len(ours) != want:
        print(f'fail {len(ours)} {prefix} cases ran, {want} expected: {said}')
    else:
        print(f'ok {len(ours)} {prefix} cases: {said}')


if __name__ == '__main__':
    main()

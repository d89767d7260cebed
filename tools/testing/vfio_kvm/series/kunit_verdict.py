#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The verdict on a kunit.py --json result for the series' report: the
suites whose names start with PREFIX must all be there, and each must have
passed: a case that skipped observed nothing (the job's kernel gives every
case what it needs, a VM included).  A run that ended, or passed, without
them is not a pass.

What must be there is CASES, a file of SUITE.CASE lines as the suites'
sources define them (lib.sh's vkt_suites cases): each case must have run,
a parameterised one with at least one parameter, and nothing else of
PREFIX may have.  How many results there are is kunit.json's own count
(its "misc" totals, where kunit.py writes them), held against the results
it lists, with no error of kunit.py's parser (a case or parameter the
kernel's test plan announced and never printed): a parameterised case's
parameters are its generator's to say, not the sources' text.

Usage: kunit_verdict.py RESULT.json PREFIX CASES
Prints "ok DETAIL" or "fail DETAIL"."""

import json
import sys
from collections import Counter


def cases(node, path):
    for sub in node.get('sub_groups') or []:
        yield from cases(sub, path + [sub['name']])
    for case in node.get('test_cases') or []:
        yield '.'.join(path + [case['name']]), case['status']


def totals(node, prefix):
    """kunit.json's own counts of the PREFIX suites: results, parser
    errors; None where it has no counts (kunit.py before 6.2)."""
    tests = errors = 0
    for suite in node.get('sub_groups') or []:
        if not suite['name'].startswith(prefix):
            continue
        misc = suite.get('misc')
        if not isinstance(misc, dict) or 'tests' not in misc:
            return None
        tests += misc['tests']
        errors += misc.get('errors', 0)
    return tests, errors


def of_case(key, case):
    return key == case or key.startswith(case + '.')


def main():
    result, prefix, listed = sys.argv[1], sys.argv[2], sys.argv[3]
    try:
        with open(listed) as f:
            want = [l.strip() for l in f if l.strip() and not l.startswith('#')]
    except OSError as e:
        print(f'fail no list of the sources\' cases ({e})')
        return
    if not want:
        print(f'fail no case in {listed}: the suites\' sources were not read')
        return
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
    missing = [c for c in want if not any(of_case(k, c) for k in ours)]
    unknown = [k for k in ours if not any(of_case(k, c) for c in want)]
    counted = totals(tree, prefix)
    if not ours:
        print(f'fail none of the {len(every)} cases that ran is a {prefix} case: '
              'the suites were not built or not run')
    elif bad:
        print(f'fail {len(ours)} {prefix} results: {said}; not passed: '
              + ', '.join(bad[:5]))
    elif missing:
        print(f'fail {len(missing)} of the {len(want)} cases of the sources never ran: '
              + ', '.join(missing[:5]))
    elif unknown:
        print(f'fail {len(unknown)} {prefix} results of no case of the sources: '
              + ', '.join(unknown[:5]))
    elif counted and counted[1]:
        print(f'fail kunit.py\'s parser found {counted[1]} errors in the {prefix} '
              'suites (a case or parameter announced and never printed)')
    elif counted and counted[0] != len(ours):
        print(f'fail kunit.json counts {counted[0]} {prefix} results and lists {len(ours)}')
    else:
        print(f'ok {len(ours)} {prefix} results, every one of the {len(want)} cases '
              f'of the sources: {said}')


if __name__ == '__main__':
    main()

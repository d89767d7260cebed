#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# The judge's own test: every directory of judge-tests/ is a recorded run
# (guest logs, the kernel's case list, a manifest) with the judge command
# it is given (args) and the verdict it must get (expect):
#
#	status N		the judge's exit status
#	REGEX			a line the judge must print
#	!REGEX			a line it must not print
#
# A fixture stands alone: it reads no file outside its own directory (so
# that editing one fixture changes no other's verdict).  And every patch
# expected.txt names (fix:) must exist, and every [tag] expected.txt and
# matrix.txt name must start a message of the suites.  Then the unit
# tests of the judge's parsing and matching (judge/judge_test.py), each
# counted as one.
# Prints a line per fixture and unit test and ends with "N passed, N
# failed" (matrix.sh counts that line).  Needs kunit.py's parser:
# VKT_KUNIT_DIR=<kernel tree>/tools/testing/kunit.

import contextlib
import glob
import io
import os
import re
import shlex
import sys
import unittest
from dataclasses import dataclass

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
import vkt_results  # noqa: E402


def outside(path, args):
	"""The files a fixture's args or its records (*.boots) name that are
	not in its own directory."""
	named = [a for a in args if os.path.exists(os.path.join(path, a))]
	for boots in glob.glob(os.path.join(path, '*.boots')):
		for line in open(boots):
			f = line.rstrip('\n').split('\t')
			if f[0] == 'cases' and len(f) > 1:
				named.append(f[1])
			elif f[0] in ('boot', 'hung') and len(f) > 2:
				named.append(f[2])
	home = os.path.realpath(path) + os.sep
	return sorted({n for n in named
		       if not os.path.realpath(os.path.join(path, n)).startswith(home)})


def run_fixture(path):
	with open(os.path.join(path, 'args')) as f:
		args = shlex.split(f.read())
	expect = [l.rstrip('\n') for l in open(os.path.join(path, 'expect'))
		  if l.strip() and not l.startswith('#')]
	out = io.StringIO()
	cwd = os.getcwd()
	os.chdir(path)
	try:
		with contextlib.redirect_stdout(out):
			status = vkt_results.main(args)
	except Exception as e:	# a crash of the judge is a failed fixture
		status = 'exception %r' % e
	finally:
		os.chdir(cwd)
	text = out.getvalue()
	lines = text.splitlines()
	wrong = ['reads %s, outside its directory' % n for n in outside(path, args)]
	for e in expect:
		if e.startswith('status '):
			if str(status) != e.split()[1]:
				wrong.append('exit status %s, expected %s' % (status, e.split()[1]))
		elif e.startswith('!'):
			if any(re.search(e[1:], l) for l in lines):
				wrong.append('printed /%s/' % e[1:])
		elif not any(re.search(e, l) for l in lines):
			wrong.append('did not print /%s/' % e)
	return wrong, text


@dataclass
class UnitOutcome:
	passed: bool
	name: str	# Class.test_name
	why: str	# the traceback, or why a test that did not fail did not pass


class Outcomes(unittest.TestResult):
	"""Each unit test's outcome (UnitOutcome)."""

	def __init__(self):
		super().__init__()
		self.outcomes = []

	def name(self, test):
		return test.id().replace('judge.judge_test.', '')

	def addSuccess(self, test):
		self.outcomes.append(UnitOutcome(True, self.name(test), ''))

	def addFailure(self, test, err):
		self.outcomes.append(UnitOutcome(False, self.name(test), self._exc_info_to_string(err, test)))

	def addError(self, test, err):
		self.addFailure(test, err)

	def addSkip(self, test, reason):
		self.outcomes.append(UnitOutcome(False, self.name(test), 'skipped: ' + reason))

	def addUnexpectedSuccess(self, test):
		self.outcomes.append(UnitOutcome(False, self.name(test), 'passed, but was expected to fail'))


def run_unit_tests():
	"""judge/judge_test.py's tests, each as a UnitOutcome."""
	from judge import judge_test
	result = Outcomes()
	unittest.defaultTestLoader.loadTestsFromModule(judge_test).run(result)
	return result.outcomes


def main():
	root = os.path.join(here, 'judge-tests')
	passed = failed = 0
	for name in sorted(os.listdir(root)):
		path = os.path.join(root, name)
		if not os.path.isdir(path):
			continue
		wrong, text = run_fixture(path)
		if wrong:
			failed += 1
			print('FAIL %s: %s' % (name, '; '.join(wrong)))
			print('  ' + text.replace('\n', '\n  ').rstrip())
		else:
			passed += 1
			print('ok   %s' % name)
	# every patch that expected.txt names as a known bug's fix is there
	expected = os.path.join(here, 'expected.txt')
	gone = sorted({r.fix for r in vkt_results.load_expected(expected)
		       if r.fix and not os.path.isfile(os.path.join(here, r.fix))})
	if gone:
		failed += 1
		print('FAIL expected.txt: fix: names no such patch: %s' % ', '.join(gone))
	else:
		passed += 1
		print('ok   expected.txt: every fix: names a patch')
	# every [tag] expected.txt or matrix.txt names is a check's, in the suites
	unknown = tags_unknown()
	if unknown:
		failed += 1
		print('FAIL expected.txt, matrix.txt: no check of the suites has the tag: %s' %
		      ', '.join(unknown))
	else:
		passed += 1
		print('ok   expected.txt, matrix.txt: every [tag] is a check\'s')
	for u in run_unit_tests():
		if u.passed:
			passed += 1
			print('ok   unit %s' % u.name)
		else:
			failed += 1
			said = u.why.strip().splitlines()
			print('FAIL unit %s: %s' % (u.name, next((l for l in said if re.match(
				r'^[\w.]+(Error|Exception)\b', l)), said[-1])))
			print('  ' + u.why.replace('\n', '\n  ').rstrip())
	print('%d passed, %d failed' % (passed, failed))
	return 1 if failed else 0


def tags_unknown():
	"""The tags expected.txt and matrix.txt name that no message of the
	suites' sources starts with."""
	root = os.path.join(here, '..', '..', '..')
	sources = ''
	for d in ('drivers/vfio/tests', 'tools/testing/vfio_kvm/compat/kvm-internals',
		  'tools/testing/vfio_kvm/compat/report-selftest'):
		for name in sorted(os.listdir(os.path.join(root, d))):
			if name.endswith(('.c', '.h')):
				with open(os.path.join(root, d, name)) as f:
					sources += f.read()
	named = set()
	tag = re.compile(r'(?<!\S)(%s)(?!\S)' % vkt_results.expect.TAG)
	for name in ('expected.txt', 'matrix.txt'):
		for line in open(os.path.join(here, name)):
			if not line.lstrip().startswith('#'):
				named.update(tag.findall(line))
	return sorted(t for t in named if '"' + t + ' ' not in sources)


if __name__ == '__main__':
	sys.exit(main())

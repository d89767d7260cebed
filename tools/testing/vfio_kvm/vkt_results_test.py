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
# And every patch expected.txt names (fix:) must exist, and every [tag]
# expected.txt and matrix.txt name must start a message of the suites.
# Prints a line per fixture and ends with "N passed, N failed".  Needs
# kunit.py's parser: VKT_KUNIT_DIR=<kernel tree>/tools/testing/kunit.

import contextlib
import io
import os
import re
import shlex
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
import vkt_results  # noqa: E402


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
	wrong = []
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
	gone = sorted({r[6] for r in vkt_results.load_expected(expected)
		       if r[6] and not os.path.isfile(os.path.join(here, r[6]))})
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

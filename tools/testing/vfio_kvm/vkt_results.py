#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# The judge of the vfio <-> kvm suites: every verdict of make run, make
# test, make mutants, make soak and make module-check comes from here.
#
# A run is read with kunit.py's own KTAP parser (kunit_parser.py of the
# kernel tree, which checks plans and finds crashed suites); this file adds
# only what kunit.py lacks: the list of cases that must have run, kernel
# reports that no failing case accounts for, expected outcomes with their
# reasons, and which case killed a mutant.
#
# A run record is what run.sh leaves beside RESULTS.json: RESULTS.boots,
# a manifest of the boots (the kunit.py filter glob, the boot's guest log,
# kunit.py's exit status, 124 when kunit.py stopped a hung guest; and a
# "hung" line for a boot that was stopped before KUnit started and booted
# again, which the verdict names but does not count), the kernel's name in
# expected.txt and whether lockdep was asked for (y or n), and
# RESULTS.cases, every case of the kernel's suites as the kernel lists them
# (kunit.action=list).
#
#   vkt_results.py run RECORD [EXPECTED]
#       the cases that did not pass, the cases that never ran, reports and
#       suites that failed outside their cases, lockdep that switched
#       itself off without a report in a run that asked for it; ends "N
#       passed, N failed, N skipped"; exit 0 (all passed or skipped), 1,
#       or 2 (no KTAP).  With EXPECTED (expected.txt) and a record that
#       names its kernel, a case that failed as a fail line of that
#       kernel expects says so: the known kernel bug and the patch that
#       fixes it, or what the line says; it still fails the run
#   vkt_results.py check EXPECTED RECORD KERNEL LOCKDEP
#       every case against expected.txt, each failure for its reason;
#       ends "N passed, N failed" (a check met, a check missed)
#   vkt_results.py killed BASE MUTANT KILLERS PATTERN [HISTORY...]
#       whether the mutant run MUTANT is killed: a case of KILLERS (comma
#       separated globs) failed with a message matching PATTERN (a check's
#       [tag], held literally, or a regular expression), or another
#       case that passed in BASE and never failed in HISTORY did; exit 1
#       if it survived
#   vkt_results.py rejected RECORD PATTERN
#       a run that must be rejected (a kernel patched to panic): the judge
#       fails it, names the cases that never ran and what the kernel last
#       printed matches PATTERN; exit 1 if the judge would have accepted it
#   vkt_results.py soak EXPECTED KERNEL LOCKDEP RECORD...
#       per case, in how many runs it passed, failed, skipped or never ran,
#       and the results that are not what expected.txt says; exit 1 if a
#       case had more than one outcome, did not always run, or was not as
#       expected
#   vkt_results.py modules EXPECTED GUEST.log REPEAT KERNEL LOCKDEP QEMU_RC [DEMO.log DEMO_RC]
#       the verdict of module-check.sh's guest (QEMU_RC: QEMU's exit status,
#       124 if it was stopped at its time limit, 125 after a panic), and of
#       its demonstration boot (module-check.vendor_unload in EXPECTED;
#       DEMO.log and DEMO_RC both or neither)
#   vkt_results.py modules-killed GUEST.log KILLERS PATTERN
#       whether a mutant run by module-check.sh (a distribution's
#       configuration) is killed: a case of KILLERS failed in the guest's
#       first load with a message matching PATTERN, as for killed; exit 1
#       if it survived
#   vkt_results.py history RECORD FILE
#       append each case's outcome in RECORD to FILE (for killed)
#   vkt_results.py merge RESULTS.json PART.json...
#       the boots' kunit.py JSON as one file
#   vkt_results.py coverage SRC_DIR GUEST.log...
#       every check of the suites and whether a log shows it failing
#
# kunit.py's parser is found in $VKT_KUNIT_DIR, or in the directory the
# record names.  The judge itself is in judge/, by job: ktap.py (a boot,
# read with kunit.py's parser), reports.py (kernel reports), record.py (a
# run record), expect.py (run, check, killed, rejected, history, soak,
# merge), modules.py (module-check) and coverage.py; judge_test.py is
# their unit tests, judge-tests/ recorded runs (vkt_results_test.py runs
# both).

import argparse
import os
import re
import sys

here = os.path.dirname(os.path.abspath(__file__))
if here not in sys.path:
	sys.path.insert(0, here)

from judge import coverage, expect, modules  # noqa: E402

# vkt_results_test.py reads expected.txt with it
load_expected = expect.load_expected

# Each subcommand: its one-line help, its positional arguments (name,
# argparse's nargs or None, type) and what it runs.
COMMANDS = {
	'run': ('judge a run record: the cases that did not pass or never ran, '
		'reports, problems',
		[('record', None, str), ('expected', '?', str)],
		lambda a: expect.cmd_run(a.record, a.expected)),
	'check': ('every case of a run record against expected.txt',
		  [('expected', None, str), ('record', None, str), ('kernel', None, str),
		   ('lockdep', None, str)],
		  lambda a: expect.cmd_check(a.expected, a.record, a.kernel, a.lockdep)),
	'killed': ('whether the mutant run MUTANT is killed (exit 1 if it survived)',
		   [('base', None, str), ('mutant', None, str), ('killers', None, str),
		    ('pattern', None, str), ('history', '*', str)],
		   lambda a: expect.cmd_killed(a.base, a.mutant, a.killers, a.pattern, a.history)),
	'rejected': ('whether the judge rejects a run it must (a kernel patched to panic)',
		     [('record', None, str), ('pattern', None, str)],
		     lambda a: expect.cmd_rejected(a.record, a.pattern)),
	'soak': ('each case\'s outcomes over repeated runs of one kernel',
		 [('expected', None, str), ('kernel', None, str), ('lockdep', None, str),
		  ('record', '+', str)],
		 lambda a: expect.cmd_soak(a.expected, a.kernel, a.lockdep, a.record)),
	'modules': ('the verdict of module-check.sh\'s guest (DEMO_LOG and DEMO_RC: '
		    'together or not at all)',
		    [('expected', None, str), ('log', None, str), ('repeat', None, int),
		     ('kernel', None, str), ('lockdep', None, str), ('qemu_rc', None, int),
		     ('demo_log', '?', str), ('demo_rc', '?', int)],
		    lambda a: modules.cmd_modules(a.expected, a.log, a.repeat, a.kernel,
						  a.lockdep, a.qemu_rc,
						  *([a.demo_log, a.demo_rc] if a.demo_log else []))),
	'modules-killed': ('whether a mutant run by module-check.sh is killed: a case '
			   'of KILLERS failed in the first load for PATTERN (exit 1 if not)',
			   [('log', None, str), ('killers', None, str), ('pattern', None, str)],
			   lambda a: modules.cmd_modules_killed(a.log, a.killers, a.pattern)),
	'history': ('append each case\'s outcome in RECORD to FILE (for killed)',
		    [('record', None, str), ('file', None, str)],
		    lambda a: expect.cmd_history(a.record, a.file)),
	'merge': ('the boots\' kunit.py JSON as one file',
		  [('results', None, str), ('part', '*', str)],
		  lambda a: expect.cmd_merge(a.results, a.part)),
	'coverage': ('every check of the suites and whether a log shows it failing',
		     [('src_dir', None, str), ('log', '+', str)],
		     lambda a: coverage.cmd_coverage(a.src_dir, a.log)),
}


class Parser(argparse.ArgumentParser):
	"""A usage error as one line, exit status 2."""

	def error(self, message):
		self.exit(2, '%s: error: %s (see --help)\n' % (self.prog, message))


def described():
	"""Each subcommand's description in the header of this file."""
	text, name = {}, None
	with open(os.path.abspath(__file__)) as f:
		header = f.read().split('\n\n', 1)[0].splitlines()
	for line in header:
		m = re.match(r'^#   vkt_results\.py (\S+) ', line)
		if m:
			name = m.group(1)
			text[name] = []
		elif name and line.startswith('#       '):
			text[name].append(line[8:].rstrip())
		else:
			name = None
	return {k: '\n'.join(v) for k, v in text.items()}


def parser():
	p = Parser(prog='vkt_results.py',
		   description='The judge of the vfio <-> kvm suites (see the '
			       'header of vkt_results.py).')
	sub = p.add_subparsers(dest='command', metavar='COMMAND', required=True)
	subs = {}
	full = described()
	for name, (text, args, _) in COMMANDS.items():
		s = subs[name] = sub.add_parser(name, help=text, description=full.get(name, text),
						formatter_class=argparse.RawDescriptionHelpFormatter)
		for arg, nargs, kind in args:
			s.add_argument(arg, metavar=arg.upper(), nargs=nargs, type=kind)
	return p, subs


def main(argv):
	"""The judge's exit status; 2 on a usage error (as an int, not
	SystemExit: vkt_results_test.py calls this in-process)."""
	argv = list(argv)
	# Everything after the subcommand is an argument, even one that
	# begins with "-" (a PATTERN may), but for the subcommand's --help.
	if argv and argv[0] in COMMANDS and not {'-h', '--help'} & set(argv[1:]):
		argv[1:1] = ['--']
	p, subs = parser()
	try:
		args = p.parse_args(argv)
		if args.command == 'modules' and (args.demo_log is None) != (args.demo_rc is None):
			subs['modules'].error('DEMO_LOG and DEMO_RC go together')
	except SystemExit as e:
		return e.code if isinstance(e.code, int) else 2
	return COMMANDS[args.command][2](args)


if __name__ == '__main__':
	sys.exit(main(sys.argv[1:]))

# SPDX-License-Identifier: GPL-2.0
#
# The judge's reading of a boot: its guest log read with kunit.py's own
# KTAP parser (kunit_parser.py of the kernel tree, which checks plans and
# finds crashed suites), and what kunit.py lacks: the cases that must have
# run, kernel reports that no failing case accounts for, suites that failed
# outside their cases.
#
# kunit.py's parser is loaded at run time (load_kunit_parser) and kept
# here: other modules use it as ktap.kunit_parser, never a copy of it.

import fnmatch
import inspect
import io
import os
import re
import sys
from dataclasses import dataclass
from typing import Any

from .reports import find_reports, last_words, lockdep_switched_off

# What printk puts before a line: its time, "[    1.234567]", and with
# CONFIG_PRINTK_CALLER its caller, "[   T72]" (a task) or "[     C1]" (a CPU).
PREFIX = re.compile(r'^(\[\s*\d+\.\d+\](\[\s*[TC]\d+\])?|\[\s*[TC]\d+\])\s?')
# A failed check's first line: KUnit's own expectations and assertions,
# and a failure the kernel hands the running case through KUnit's hook
# (kunit_fail_current_test(): "# case: file.c:line: message", as UBSAN's
# reports do).
FAILED = re.compile(r'(EXPECTATION|ASSERTION) FAILED|^# \S+: \S+\.[ch]:\d+: ')
SAID_SKIP = re.compile(r'^# \S+: SKIP (.*)$')
TOTALS = re.compile(r'^# \S+: pass:\d+ fail:\d+')

kunit_parser = None
kunit_printer_to_sink = None
kunit_sink = io.StringIO()


def load_kunit_parser(kdir):
	"""kunit.py's KTAP parser, with its progress output kept aside."""
	global kunit_parser
	if kunit_parser is not None:
		return
	kdir = os.environ.get('VKT_KUNIT_DIR') or kdir
	if not kdir or not os.path.exists(os.path.join(kdir, 'kunit_parser.py')):
		raise SystemExit('vkt_results.py: no kunit_parser.py in %r: set VKT_KUNIT_DIR '
				 'to a kernel tree\'s tools/testing/kunit' % kdir)
	sys.path.insert(0, kdir)
	import kunit_parser as kp
	import kunit_printer
	global kunit_printer_to_sink
	kunit_printer_to_sink = kunit_printer.Printer(output=kunit_sink)
	# up to 6.12 the parser prints to kunit_printer's stdout; since 7.x
	# it is given the printer
	kp.stdout = kunit_printer_to_sink
	kunit_parser = kp


def clean(raw):
	return PREFIX.sub('', raw, count=1).rstrip()


def read_lines(path):
	try:
		with open(path, errors='replace') as f:
			return [clean(l) for l in f.read().splitlines()]
	except OSError:
		return []


@dataclass(frozen=True)
class CheckLine:
	"""A line of a failed check: its indentation relative to the
	"FAILED" line, and its text."""
	depth: int
	text: str


class Leaf:
	"""A case, or a parameter of a case, with its result."""

	def __init__(self, name, status, log, boot=0):
		self.name = name
		self.status = status	# PASS, FAIL, SKIP, MISSING
		self.log = [l.rstrip() for l in log]
		self.boot = boot
		self.reason = ''	# a skip's reason; the last words of a missing case

	def blocks(self):
		"""The failed checks, each as its lines (CheckLine).  KUnit
		prints a check's values deeper than the "FAILED" line, and its
		message at the left margin."""
		blocks, cur, indent = [], None, 0
		for line in self.log:
			text = line.strip()
			depth = len(line) - len(line.lstrip())
			if FAILED.search(text):
				cur = [CheckLine(0, re.sub(r'^# \S+: ', '', text))]
				blocks.append(cur)
				indent = depth
			elif cur is not None and text.startswith('# '):
				cur = None
			elif cur is not None and text:
				cur.append(CheckLine(depth - indent, text))
		return blocks

	def failures(self):
		"""The failed checks' messages, one string per check."""
		return ['\n'.join(l.text for l in b) for b in self.blocks()]

	def text(self):
		"""What a pattern of expected.txt or matrix.txt is matched with."""
		if self.status == 'SKIP':
			return self.reason
		if self.status == 'MISSING':
			return self.reason
		return '\n'.join(self.failures())

	def why(self):
		"""One line: the skip reason, the message of the first failed
		check (after its Expected lines), or what the kernel printed
		last."""
		if self.status in ('SKIP', 'MISSING'):
			return self.reason
		for block in self.blocks():
			msg = [l.text for l in block[1:]
			       if l.depth <= 0 and not l.text.startswith('Expected ')]
			return msg[0] if msg else block[-1].text
		return self.log[0].strip() if self.log else ''


def glob_matches(glob, case):
	"""kunit's filter_glob: "suite" or "suite.case", each a glob."""
	if not glob or glob == '*':
		return True
	suite, _, test = glob.partition('.')
	s, _, c = case.partition('.')
	return fnmatch.fnmatchcase(s, suite) and (not test or fnmatch.fnmatchcase(c, test))


class Run:
	"""The judged results of one run: its boots, leaves and problems."""

	def __init__(self):
		self.leaves = []
		self.missing = []	# Leaf, status MISSING, one per case
		self.problems = []	# what fails the run outside a case's result
		self.reports = []	# unaccounted kernel reports
		self.notes = []		# boots that hung before KUnit and were redone
		self.seen_ktap = False
		self.kernel = None	# its name in expected.txt, if the record says
		self.lockdep = None	# y or n: whether lockdep was asked for
		self.version = None	# "Linux version X" of its first boot

	def all(self):
		return self.leaves + self.missing

	def failed(self):
		return [l for l in self.leaves if l.status == 'FAIL']

	def ok(self):
		return self.seen_ktap and not self.failed() and not self.missing \
		       and not self.problems and not self.reports


KTAP_LINE = re.compile(r'^\s*(KTAP version \d+|TAP version \d+|# Subtest: |1\.\.\d+|'
		       r'(not )?ok \d+ )')


REPLAY = '** replaying previous printk message **'


def drop_replayed(lines):
	"""A console cut off in the middle of a message prints what it had of
	it, then "** replaying previous printk message **" and the message
	whole (7.3: "    # Subtest: kunit", the marker, "    # Subtest:
	kunit_reports_lockdep").  The cut line would read as a subtest of its
	own: drop it with the marker."""
	out = []
	for line in lines:
		if line.strip() == REPLAY:
			if out and out[-1].strip():
				out.pop()
			continue
		out.append(line)
	return out


def mend_headers(lines):
	"""KUnit prints a subtest's "KTAP version 1" and "# Subtest: name" in
	two printk records, and another CPU's line can fall between them
	("input: AT Raw Set 2 keyboard ..." did, on 6.1), which kunit.py then
	misreads as a subtest without a header: numbers shift and the rest of
	the suite goes missing.  Move such lines before the header."""
	out = list(lines)
	for i, line in enumerate(out):
		if not re.match(r'^\s*KTAP version \d+$', line):
			continue
		for j in range(i + 1, min(i + 6, len(out))):
			if KTAP_LINE.match(out[j]):
				if out[j].strip().startswith('# Subtest: ') and j > i + 1:
					out[i:j] = out[i + 1:j] + [line]
				break
	return out


def drop_empty_run(lines):
	"""A kernel whose suites are all modules prints, at boot, a KUnit run
	of no suites ("KTAP version 1", "1..0"), and each module that it loads
	a run of its own: kunit.py would read the empty one and stop.  Drop
	it when another run follows."""
	tops = [i for i, l in enumerate(lines) if re.match(r'^KTAP version \d+$', l)]
	if len(tops) > 1 and tops[0] + 1 < len(lines) and lines[tops[0] + 1] == '1..0':
		return lines[:tops[0]] + lines[tops[0] + 2:]
	return lines


def parse_ktap(lines):
	"""kunit.py's parse of a KTAP stream, and the errors it found."""
	kunit_sink.seek(0)
	kunit_sink.truncate()
	if 'printer' in inspect.signature(kunit_parser.parse_run_tests).parameters:
		test = kunit_parser.parse_run_tests(mend_headers(drop_empty_run(drop_replayed(lines))),
						    kunit_printer_to_sink)
	else:
		test = kunit_parser.parse_run_tests(mend_headers(drop_empty_run(drop_replayed(lines))))
	errors = []
	for line in kunit_sink.getvalue().splitlines():
		m = re.search(r'\[ERROR\] Test: (.*)$', line)
		if m:
			errors.append(m.group(1))
	return test, errors


@dataclass(frozen=True)
class Crashed:
	"""A test of kunit.py's tree that crashed or has no name, and the
	name of its parent ("suite.")."""
	prefix: str
	test: Any	# kunit_parser.Test


def walk(test, boot, prefix=''):
	"""Leaves of kunit.py's test tree, and crashed tests (no name)."""
	S = kunit_parser.TestStatus
	leaves, crashed = [], []
	for sub in test.subtests:
		name = prefix + sub.name
		if sub.subtests and sub.expected_count is None:
			# parameters come without a plan, and kunit.py gives
			# what the first printed before its result to the case
			# (before the case's "# name: pass:..." line)
			head = next((i for i, l in enumerate(sub.log)
				     if TOTALS.match(l.strip())), len(sub.log))
			sub.subtests[0].log[:0] = sub.log[:head]
		if sub.subtests:
			l, c = walk(sub, boot, name + '.')
			leaves += l
			crashed += c
			if sub.status == S.TEST_CRASHED:
				crashed.append(Crashed(prefix, sub))
			continue
		# a case with a header but neither parameters nor a result
		# line ran into the end of the output: kunit.py says NO_TESTS
		if not sub.name or sub.status in (S.TEST_CRASHED, S.NO_TESTS):
			crashed.append(Crashed(prefix, sub))
			continue
		status = {S.SUCCESS: 'PASS', S.SKIPPED: 'SKIP'}.get(sub.status, 'FAIL')
		leaf = Leaf(name, status, sub.log, boot)
		said = [m.group(1) for m in (SAID_SKIP.match(l.strip()) for l in sub.log) if m]
		if said:
			# 6.1 prints a skipped parameter as "ok": the suites
			# say "SKIP reason" in a line of their own
			if status == 'PASS':
				leaf.status = 'SKIP'
			leaf.reason = said[0]
		if leaf.status == 'SKIP' and not leaf.reason and hasattr(sub, 'skip_reason'):
			# kunit.py keeps the reason of "ok N name # SKIP reason"
			leaf.reason = sub.skip_reason.strip()
		leaves.append(leaf)
	return leaves, crashed


def parser_keeps_skip_reason():
	"""Whether kunit.py's parser keeps a skip's reason (Test.skip_reason:
	7.3's does, 6.12's and 6.1's do not): walk() then takes it there."""
	return hasattr(kunit_parser.Test(), 'skip_reason')


def skip_reasons(lines, leaves):
	"""The reasons of "ok N name # SKIP reason", for a kunit.py that does
	not keep them: the n-th skipped leaf of a name has the n-th such line."""
	said = {}
	for line in lines:
		m = re.match(r'^\s*ok \d+ (- )?(\S+) # SKIP ?(.*)$', line)
		if m:
			said.setdefault(m.group(2), []).append(m.group(3).strip())
	for leaf in leaves:
		if leaf.status == 'SKIP' and not leaf.reason:
			reasons = said.get(leaf.name.rsplit('.', 1)[-1])
			if reasons:
				leaf.reason = reasons.pop(0)


def judge_boot(run, lines, glob, cases, boot, rc=0, lockdep=None):
	"""Add one boot's results to @run; @lockdep: y if the run asked for
	lockdep, which must then have stayed on through the cases."""
	test, errors = parse_ktap(lines)
	S = kunit_parser.TestStatus
	words = last_words(lines)
	want = [c for c in cases if glob_matches(glob, c)] if cases is not None else []
	if test.status == S.FAILURE_TO_PARSE_TESTS:
		run.problems.append('boot %d%s: no KTAP output: %s (%s)' %
				    (boot, ' (' + glob + ')' if glob else '',
				     'the guest hung before KUnit started and was stopped at its time limit'
				     if rc == 124 else 'the kernel did not boot or KUnit did not run',
				     words))
		for case in want:
			m = Leaf(case, 'MISSING', [], boot)
			m.reason = 'never ran: the boot printed no KTAP; the kernel printed last: ' + words
			run.missing.append(m)
		return
	run.seen_ktap = True
	if cases is not None and not want:
		run.problems.append('boot %d%s: the filter selects none of the kernel\'s cases' %
				    (boot, ' (' + glob + ')' if glob else ''))
	leaves, crashed = walk(test, boot)
	if not parser_keeps_skip_reason():
		skip_reasons(lines, leaves)
	run.leaves += leaves

	# every case the kernel lists must have printed its result
	done = set()
	for suite in test.subtests:
		for case in suite.subtests:
			if case.name and case.status not in (S.TEST_CRASHED, S.NO_TESTS):
				done.add(suite.name + '.' + case.name)
	for case in want:
		if case not in done:
			m = Leaf(case, 'MISSING', [], boot)
			m.reason = 'never printed a result; the kernel printed last: ' + words
			run.missing.append(m)
	if cases is None and crashed:
		for c in crashed:
			m = Leaf(c.prefix + '?', 'MISSING', c.test.log, boot)
			m.reason = 'a case of %s never printed its result: %s' % (c.prefix.rstrip('.'), words)
			run.missing.append(m)

	# suites that failed outside their cases: a suite_init that failed,
	# or a suite whose result says "not ok" with no failed case
	suite = None
	for line in lines:
		m = re.match(r'^ {4}# Subtest: (\S+)$', line)
		if m:
			suite = m.group(1)
		elif suite and re.match(r'^ {4}# (\S+: )?failed to initialize', line):
			run.problems.append('suite %s failed outside its cases: %s' % (suite, line.strip()))
		m = re.match(r'^not ok \d+ (\S+)$', line)
		if m and not any(l.status == 'FAIL' and l.name.startswith(m.group(1) + '.')
				 for l in leaves) and not any(
				 c.startswith(m.group(1) + '.') for c in want if c not in done):
			run.problems.append('suite %s failed outside its cases (suite_init or suite_exit)' %
					    m.group(1))
	for err in errors:
		if 'missing expected subtest' in err or 'missing subtest result' in err:
			continue	# named as missing cases
		if "0 tests run" in err and (want == [] or any(
				m.name.endswith('.' + err.split(':')[0]) for m in run.missing)):
			continue
		run.problems.append('kunit.py: ' + err)
	if rc == 124:
		run.problems.append('boot %d%s: the guest hung%s and was stopped at its time limit; the kernel printed last: %s' %
				    (boot, ' (' + glob + ')' if glob else '',
				     '' if test.subtests else ' before any suite started', words))
	elif rc not in (0, 1):
		run.problems.append('boot %d%s: kunit.py exited with status %d: %s' %
				    (boot, ' (' + glob + ')' if glob else '', rc, words))

	# kernel reports: each must be accounted for by a case that failed
	# naming it, or be a deliberate one of the self-tests
	claimed = '\n'.join('\n'.join(l.failures()) for l in leaves if l.status == 'FAIL')
	crash_logs = set()
	for c in crashed:
		crash_logs.update(l.strip() for l in c.test.log)
	reports = find_reports(lines, boot)
	# lockdep that switched itself off without a report checked no lock
	# order from there on: its cases skip ("debug_locks=0"), which must
	# not pass as a run that checked it
	off = lockdep_switched_off(lines, reports) if lockdep == 'y' else None
	if off:
		run.problems.append('boot %d%s: lockdep switched itself off %s, with no lockdep report: %s; '
				    'no lock order was checked after it' %
				    (boot, ' (' + glob + ')' if glob else '', off.when,
				     ', '.join('"%s"' % l for l in off.said)))
	for rep in reports:
		if rep.exempt() or (off and rep.index == off.index):
			continue
		head = rep.headline[:60]
		if head in claimed or rep.headline in crash_logs:
			continue
		before = [l.strip() for l in lines[:rep.index]
			  if re.match(r'^\s*(not )?ok \d+ ', l) or re.match(r'^\s*# Subtest: ', l)]
		rep.where = before[-1] if before else 'before the first KTAP line (boot)'
		run.reports.append(rep)

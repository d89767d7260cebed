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
#       separated globs) failed with a message matching PATTERN, or another
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
#       its demonstration boot (module-check.vendor_unload in EXPECTED)
#   vkt_results.py history RECORD FILE
#       append each case's outcome in RECORD to FILE (for killed)
#   vkt_results.py merge RESULTS.json PART.json...
#       the boots' kunit.py JSON as one file
#   vkt_results.py coverage SRC_DIR GUEST.log...
#       every check of the suites and whether a log shows it failing
#
# kunit.py's parser is found in $VKT_KUNIT_DIR, or in the directory the
# record names.

import fnmatch
import inspect
import io
import os
import re
import sys

# The tree this file is in: a patch that expected.txt names is printed
# from there, as make is run.
REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..'))

# What printk puts before a line: its time, "[    1.234567]", and with
# CONFIG_PRINTK_CALLER its caller, "[   T72]" (a task) or "[     C1]" (a CPU).
PREFIX = re.compile(r'^(\[\s*\d+\.\d+\](\[\s*[TC]\d+\])?|\[\s*[TC]\d+\])\s?')

# How the lines a kernel prints when something is wrong begin: lockdep and
# WARN (WARNING:), BUG: (sleeping in atomic context among them), refcount_t
# warnings, oopses and panics.
REPORTS = ('WARNING:', 'BUG:', 'Oops', 'general protection fault',
	   'Kernel panic', 'refcount_t:', 'INFO: task ')
# A WARN's own line, as 6.x and 7.x print it.
WARN_LINE = re.compile(r'WARNING: (CPU: |.*, CPU#\d+: )')
# A report's lines end at the next report or at the end of its trace.
REPORT_END = re.compile(r'---\[ end (trace|Kernel panic)')
# The deliberate reports of the report capture's self-tests, by name:
# their functions, their module, their lock classes.
SELFTEST_NAMES = re.compile(r'\bkunit_reports_(test\w*|warn|refcount|abba)\b')
FAILED = re.compile(r'(EXPECTATION|ASSERTION) FAILED')
SAID_SKIP = re.compile(r'^# \S+: SKIP (.*)$')
TOTALS = re.compile(r'^# \S+: pass:\d+ fail:\d+')
# What QEMU itself writes to the guest's console log.
QEMU_LINE = re.compile(r'^qemu-system-\S+: ')
PANIC = re.compile(r'Kernel panic - not syncing.*|BUG: .*|Oops: .*|'
		   r'general protection fault.*|WARNING: .*')
# Lockdep switching itself off with no report of its own: a taint that
# makes lock debugging unreliable (a proprietary or forced module load;
# add_taint(..., LOCKDEP_NOW_UNRELIABLE)), lockdep out of its tables
# (kernel/locking/lockdep.c: "BUG: MAX_LOCKDEP_CHAINS too low!" and the
# like, each followed by the last line here; both KERN_DEBUG), or another
# of its own limits ("INFO: trying to register non-static key.").
LOCKDEP_OFF = re.compile(r'^(Disabling lock debugging due to kernel taint|'
			 r'BUG: MAX_\w+ too low!|'
			 r'turning off the locking correctness validator\.)$')

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


class Leaf:
	"""A case, or a parameter of a case, with its result."""

	def __init__(self, name, status, log, boot=0):
		self.name = name
		self.status = status	# PASS, FAIL, SKIP, MISSING
		self.log = [l.rstrip() for l in log]
		self.boot = boot
		self.reason = ''	# a skip's reason; the last words of a missing case

	def blocks(self):
		"""The failed checks, each as its lines: (indentation relative
		to the "FAILED" line, text).  KUnit prints a check's values
		deeper than that line, and its message at the left margin."""
		blocks, cur, indent = [], None, 0
		for line in self.log:
			text = line.strip()
			depth = len(line) - len(line.lstrip())
			if FAILED.search(text):
				cur = [(0, re.sub(r'^# \S+: ', '', text))]
				blocks.append(cur)
				indent = depth
			elif cur is not None and text.startswith('# '):
				cur = None
			elif cur is not None and text:
				cur.append((depth - indent, text))
		return blocks

	def failures(self):
		"""The failed checks' messages, one string per check."""
		return ['\n'.join(t for _, t in b) for b in self.blocks()]

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
			msg = [t for d, t in block[1:] if d <= 0 and not t.startswith('Expected ')]
			return msg[0] if msg else block[-1][1]
		return self.log[0].strip() if self.log else ''


class Report:
	def __init__(self, boot, index, lines):
		self.boot = boot
		self.index = index
		self.headline = lines[0].strip()
		self.lines = lines
		self.where = ''		# the KTAP line before it

	def exempt(self):
		return any(SELFTEST_NAMES.search(l) for l in self.lines)


def find_reports(lines, boot=0):
	"""The kernel reports in a guest log, each with its following lines."""
	found = []
	for i, line in enumerate(lines):
		if not line.strip().startswith(REPORTS):
			continue
		block = [line]
		for nxt in lines[i + 1:i + 80]:
			# a WARN's own message ("refcount_t: underflow; ...")
			# comes before its "WARNING: CPU:" line ("WARNING:
			# file:line at func, CPU#1:" since 7.x), and is one
			# report with it
			if nxt.strip().startswith(REPORTS) and not (
					len(block) == 1 and WARN_LINE.match(nxt)):
				break
			block.append(nxt)
			if REPORT_END.search(nxt):
				break
		found.append(Report(boot, i, block))
	return found


def last_words(lines):
	"""What the kernel printed last: its last report, else its last line
	(not QEMU's own, such as that it was terminated)."""
	for line in reversed(lines[-400:]):
		m = PANIC.match(line.strip())
		if m:
			return m.group(0)[:160]
	rest = [l.strip() for l in lines if l.strip() and not QEMU_LINE.match(l)]
	return ('its last line: ' + rest[-1][:140]) if rest else 'nothing'


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
		test = kunit_parser.parse_run_tests(mend_headers(drop_empty_run(lines)),
						    kunit_printer_to_sink)
	else:
		test = kunit_parser.parse_run_tests(mend_headers(drop_empty_run(lines)))
	errors = []
	for line in kunit_sink.getvalue().splitlines():
		m = re.search(r'\[ERROR\] Test: (.*)$', line)
		if m:
			errors.append(m.group(1))
	return test, errors


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
				crashed.append((prefix, sub))
			continue
		# a case with a header but neither parameters nor a result
		# line ran into the end of the output: kunit.py says NO_TESTS
		if not sub.name or sub.status in (S.TEST_CRASHED, S.NO_TESTS):
			crashed.append((prefix, sub))
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
		leaves.append(leaf)
	return leaves, crashed


def skip_reasons(lines, leaves):
	"""The reasons of "ok N name # SKIP reason", which kunit.py does not
	keep: the n-th skipped leaf of a name has the n-th such line."""
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


def lockdep_switched_off(lines, reports):
	"""Where lockdep switched itself off without a report of its own,
	before or during the cases: (index, the lines that say so, the case
	that was running or "before the first case"), or None.  A line after
	a kernel report is that report's doing (a lockdep report turns
	lockdep off, an oops taints the kernel); one after the last case
	result switched off nothing that was still to be checked."""
	for i, line in enumerate(lines):
		if not LOCKDEP_OFF.match(line.strip()):
			continue
		if any(r.index < i and not LOCKDEP_OFF.match(r.headline) for r in reports):
			return None
		said = [line.strip()]
		if said[0].startswith('turning off'):
			# what made lockdep give up is a few lines above
			why = [l.strip() for l in lines[max(0, i - 4):i]
			       if l.strip().startswith(('BUG: ', 'INFO: '))]
			said[:0] = why[-1:]
		elif i + 1 < len(lines) and lines[i + 1].strip().startswith('turning off'):
			said.append(lines[i + 1].strip())
		if not any(re.match(r'^ {4}# Subtest: ', l) for l in lines[:i]):
			return i, said, 'before the first case'
		param = None
		for j in range(i + 1, len(lines)):
			m = re.match(r'^( {4}| {8})(not )?ok \d+ (- )?(\S+)', lines[j])
			if not m:
				continue
			if len(m.group(1)) == 8:
				param = param or m.group(4)
				continue
			suite = [re.match(r'^ {4}# Subtest: (\S+)', l).group(1) for l in lines[:j]
				 if re.match(r'^ {4}# Subtest: ', l)][-1]
			return i, said, 'during %s.%s%s' % (suite, m.group(4),
							  '.' + param if param else '')
		return None
	return None


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
		for prefix, sub in crashed:
			m = Leaf(prefix + '?', 'MISSING', sub.log, boot)
			m.reason = 'a case of %s never printed its result: %s' % (prefix.rstrip('.'), words)
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
	for _, sub in crashed:
		crash_logs.update(l.strip() for l in sub.log)
	reports = find_reports(lines, boot)
	# lockdep that switched itself off without a report checked no lock
	# order from there on: its cases skip ("debug_locks=0"), which must
	# not pass as a run that checked it
	off = lockdep_switched_off(lines, reports) if lockdep == 'y' else None
	if off:
		run.problems.append('boot %d%s: lockdep switched itself off %s, with no lockdep report: %s; '
				    'no lock order was checked after it' %
				    (boot, ' (' + glob + ')' if glob else '', off[2],
				     ', '.join('"%s"' % l for l in off[1])))
	for rep in reports:
		if rep.exempt() or (off and rep.index == off[0]):
			continue
		head = rep.headline[:60]
		if head in claimed or rep.headline in crash_logs:
			continue
		before = [l.strip() for l in lines[:rep.index]
			  if re.match(r'^\s*(not )?ok \d+ ', l) or re.match(r'^\s*# Subtest: ', l)]
		rep.where = before[-1] if before else 'before the first KTAP line (boot)'
		run.reports.append(rep)


def read_record(path):
	"""The manifest run.sh wrote: (kunit dir, case list, boots, hung
	boots, what was run): a hung boot is (index of the boot that redid
	it, glob, log); what was run is the kernel's name in expected.txt
	and the lockdep setting asked for ("kernel" and "lockdep" lines,
	None in a record written before they were)."""
	for ext in ('.json', '.boots'):
		if path.endswith(ext):
			path = path[:-len(ext)]
	kdir, cases, boots, hung = None, None, [], []
	asked = {'kernel': None, 'lockdep': None}
	base = os.path.dirname(path + '.boots')
	for line in open(path + '.boots'):
		f = line.rstrip('\n').split('\t')
		if f[0] == 'kunit':
			kdir = f[1]
		elif f[0] == 'cases':
			p = os.path.join(base, f[1])
			cases = [l.strip() for l in open(p) if l.strip()] if os.path.exists(p) else None
		elif f[0] == 'boot':
			boots.append((f[1] if f[1] != '*' else '', os.path.join(base, f[2]),
				      int(f[3]) if len(f) > 3 and f[3] else 0))
		elif f[0] == 'hung':
			hung.append((len(boots), f[1], os.path.join(base, f[2])))
		elif f[0] in asked and len(f) > 1 and f[1]:
			asked[f[0]] = f[1]
	return kdir, cases, boots, hung, asked


def judge_record(path, lockdep=None):
	"""@lockdep: whether the run asked for lockdep (y or n), if the
	caller knows better than the record."""
	kdir, cases, boots, hung, asked = read_record(path)
	load_kunit_parser(kdir)
	run = Run()
	run.kernel = asked['kernel']
	run.lockdep = lockdep or asked['lockdep']
	if cases is None:
		run.problems.append('no list of the kernel\'s cases (kunit.action=list): cases that never ran cannot be named')
	for i, (glob, log, rc) in enumerate(boots):
		lines = read_lines(log)
		judge_boot(run, lines, glob, cases, i, rc, run.lockdep)
		run.version = run.version or next((l.split()[2] for l in lines
						   if l.startswith('Linux version ')
						   and len(l.split()) > 2), None)
	for i, glob, log in hung:
		run.notes.append('boot %d (%s) was booted twice: the first guest hung before KUnit '
				 'started and was stopped (%s)' % (i, glob or '*', last_words(read_lines(log))))
	if not boots:
		run.problems.append('no boot')
	return run


def print_problems(run):
	for n in run.notes:
		print('NOTE  ' + n)
	said = None
	for m in run.missing:
		if m.reason != said:
			print('MISSING in boot %d, these cases %s:' % (m.boot, m.reason))
			said = m.reason
		print('MISSING %s' % m.name)
	for p in run.problems:
		print('FAIL  ' + p)
	for r in run.reports:
		print('FAIL  kernel report outside any failing case (boot %d, after "%s"): %s' %
		      (r.boot, r.where[:80], r.headline[:160]))


def known_failure(rows, run, case, expected):
	"""What expected.txt knows of a case that failed, as make run says
	it before the case's name: the kernel bug and the patch that fixes it
	(a fail line with fix:), or the line's why; '' if no fail (or any)
	line of the run's kernel expects this failure, for this reason."""
	if rows is None or not run.kernel:
		return ''
	row = expected_row(rows, run.kernel, run.lockdep or '*', case.name)
	if row is None:
		return ''
	want, pattern, why, fix = row[3:7]
	where = run.version or run.kernel
	if want == 'any':
		return '(may fail on %s: %s) ' % (where, why)
	if want != 'fail' or not meets(case, want, pattern)[0]:
		return ''
	if fix:
		patch = os.path.relpath(os.path.join(os.path.dirname(os.path.abspath(expected)), fix),
					REPO)
		return '(known kernel bug in %s, fixed by %s) ' % (where, patch)
	return '(expected on %s: %s) ' % (where, why)


def cmd_run(record, expected=None):
	run = judge_record(record)
	rows = load_expected(expected) if expected else None
	known = 0
	for c in run.leaves:
		if c.status != 'PASS':
			said = known_failure(rows, run, c, expected) if c.status == 'FAIL' else ''
			known += bool(said)
			print('%-5s %s%s: %s' % (c.status, said, c.name, c.why()[:300]))
	print_problems(run)
	if known:
		print('NOTE  expected.txt expects %d of these failures on %s: make run fails '
		      'all the same, make test counts them as met' % (known, run.kernel))
	passed = sum(1 for c in run.leaves if c.status == 'PASS')
	skipped = sum(1 for c in run.leaves if c.status == 'SKIP')
	failed = len(run.failed()) + len(run.missing) + len(run.problems) + len(run.reports)
	print('%d passed, %d failed, %d skipped' % (passed, failed, skipped))
	if not run.seen_ktap:
		return 2
	return 0 if run.ok() else 1


def load_expected(path):
	"""expected.txt: kernel lockdep case outcome [/pattern/] [fix:PATCH] why."""
	rows = []
	for line in open(path):
		if line.lstrip().startswith('#') or not line.strip():
			continue
		f = line.split(None, 4)
		rest = f[4] if len(f) > 4 else ''
		pattern = fix = None
		m = re.match(r'/(.*?)/(?:\s+|$)(.*)$', rest)
		if m:
			pattern, rest = re.compile(m.group(1)), m.group(2)
		m = re.match(r'fix:(\S+)(?:\s+|$)(.*)$', rest)
		if m:
			fix, rest = m.group(1), m.group(2)
		rows.append((f[0], f[1], f[2], f[3], pattern, rest.strip(), fix))
	return rows


def expected_row(rows, kernel, lockdep, name):
	"""The first line of expected.txt for a case, or None."""
	for row in rows:
		k, l, glob = row[:3]
		if fnmatch.fnmatchcase(kernel, k) and fnmatch.fnmatchcase(lockdep, l) and \
		   fnmatch.fnmatchcase(name, glob):
			return row
	return None


def expected_for(rows, kernel, lockdep, name):
	row = expected_row(rows, kernel, lockdep, name)
	return row[3:6] if row else ('pass', None, '')


def meets(case, outcome, pattern):
	"""Whether @case met its expectation, and if not why."""
	return outcome_met(case.status.lower(), case.text(), outcome, pattern)


def outcome_met(got, text, outcome, pattern):
	"""Whether an outcome (pass, fail, skip, missing) met the expected
	one, @text being what @pattern must match (for missing: why), and if
	not why."""
	if got == 'missing':
		return False, 'never ran (%s)' % text
	if outcome == 'any':
		return True, ''
	if got != outcome:
		return False, ''
	if pattern and not pattern.search(text):
		return False, 'failed for another reason: ' if got == 'fail' else \
			'skipped for another reason: '
	return True, ''


def cmd_check(expected, record, kernel, lockdep):
	rows = load_expected(expected)
	run = judge_record(record, lockdep)
	met = missed = 0
	for c in run.all():
		want, pattern, reason = expected_for(rows, kernel, lockdep, c.name)
		ok, why = meets(c, want, pattern)
		met += ok
		missed += not ok
		detail = c.why() if c.status != 'PASS' else ''
		m = pattern.search(c.text()) if ok and pattern else None
		if m:
			# the reason it met: what the pattern matched
			detail = excerpt(c.text(), m, 120)
		if not ok and why:
			detail = why + (detail if not why.startswith('never') else '')
		print('  %-58s %-4s %-7s %s%s' % (c.name, want, c.status.lower(),
						 '' if ok else 'MISS: ',
						 (detail or reason)[:200]))
	for p in run.problems:
		print('  %-58s %-4s %-7s MISS: %s' % ('(run)', '-', 'fail', p[:200]))
		missed += 1
	for n in run.notes:
		print('  %-58s %-4s %-7s NOTE: %s' % ('(run)', '-', 'again', n[:200]))
	for r in run.reports:
		print('  %-58s %-4s %-7s MISS: kernel report outside any failing case, after "%s": %s' %
		      ('(run)', '-', 'report', r.where[:60], r.headline[:120]))
		missed += 1
	print('%d passed, %d failed' % (met, missed))
	return 1 if missed else 0


def read_history(paths):
	"""Cases that failed or never ran in any recorded run."""
	bad = set()
	for p in paths:
		try:
			for line in open(p):
				f = line.split()
				if len(f) >= 2 and f[1] in ('FAIL', 'MISSING'):
					bad.add(f[0])
		except OSError:
			pass
	return bad


def excerpt(text, m, width=160):
	"""The part of a message a pattern matched, with what leads to it."""
	line_start = text.rfind('\n', 0, m.start()) + 1
	start = max(line_start, m.end() - width)
	return ('...' if start > line_start else '') + text[start:m.end()]


def cmd_killed(base, mutant, killers, pattern, history):
	globs = [g for g in killers.split(',') if g and g != '-']
	pat = re.compile(pattern) if pattern else None
	base_run = judge_record(base)
	passed = {c.name for c in base_run.leaves if c.status == 'PASS'}
	flaky = read_history(history)
	run = judge_record(mutant)
	named_wrong = None
	for c in run.all():
		if c.status not in ('FAIL', 'MISSING'):
			continue
		if any(fnmatch.fnmatchcase(c.name, g) for g in globs):
			m = pat.search(c.text()) if pat else None
			if m or not pat:
				print('killed by %s: %s' % (c.name, excerpt(c.text(), m) if m else c.why()[:160]))
				return 0
			named_wrong = named_wrong or c
	for c in run.all():
		if any(fnmatch.fnmatchcase(c.name, g) for g in globs):
			continue
		ran = c.name in passed or any(p.startswith(c.name + '.') for p in passed)
		if c.status in ('FAIL', 'MISSING') and ran and c.name not in flaky:
			print('killed by %s (not a named killer; it never failed on the base kernel): %s' %
			      (c.name, c.why()[:140]))
			return 0
	if named_wrong:
		print('survived: %s failed for another reason: %s' % (named_wrong.name, named_wrong.why()[:140]))
	elif not run.seen_ktap:
		print('survived: no KTAP output (%s)' % '; '.join(run.problems)[:160])
	else:
		print('survived: no case of %s failed%s' % (killers, ' matching /%s/' % pattern if pattern else ''))
	return 1


def cmd_rejected(record, pattern):
	run = judge_record(record)
	print_problems(run)
	words = ' '.join([m.reason for m in run.missing] + run.problems +
			 [r.headline for r in run.reports])
	if run.ok():
		print('accepted: the judge passed a run it must reject')
		return 1
	if not run.missing:
		print('rejected, but no case is named as never run')
		return 1
	if not re.search(pattern, words):
		print('rejected, but not naming /%s/' % pattern)
		return 1
	print('rejected: %d cases never ran, the kernel printed last: %s' %
	      (len(run.missing), last_words_of(run)))
	return 0


def last_words_of(run):
	return run.missing[0].reason.split(': ', 1)[-1] if run.missing else ''


def cmd_history(record, path):
	run = judge_record(record)
	with open(path, 'a') as f:
		for c in run.all():
			f.write('%s %s\n' % (c.name, c.status))
	return 0


def cmd_soak(expected, kernel, lockdep, records):
	"""Each case's outcomes over repeated runs of one kernel, and the
	results that are not what expected.txt says."""
	rows = load_expected(expected)
	table = {}
	order = []
	unexpected = bad_runs = 0
	for rec in records:
		run = judge_record(rec, lockdep)
		misses = [c for c in run.all()
			  if not meets(c, *expected_for(rows, kernel, lockdep, c.name)[:2])[0]]
		misses += run.problems + run.reports
		unexpected += len(misses)
		bad_runs += bool(misses)
		for c in run.all():
			if c.name not in table:
				table[c.name] = {'PASS': 0, 'FAIL': 0, 'SKIP': 0, 'MISSING': 0}
				order.append(c.name)
			table[c.name][c.status] += 1
		for p in run.problems + ['report: ' + r.headline for r in run.reports]:
			print('  %s: %s' % (rec, p[:160]))
	print('  %-58s %5s %5s %5s %7s' % ('case', 'pass', 'fail', 'skip', 'missing'))
	# a case expected.txt calls unpredictable ("any") may vary
	anyway = {n for n in order if expected_for(rows, kernel, lockdep, n)[0] == 'any'}
	for name in order:
		t = table[name]
		print('  %-58s %5d %5d %5d %7d%s' % (name, t['PASS'], t['FAIL'], t['SKIP'], t['MISSING'],
						    '' if max(t.values()) == len(records) else
						    '  (any)' if name in anyway else '  FLAKY'))
	flaky = sum(1 for n in order if max(table[n].values()) != len(records) and n not in anyway)
	missing = sum(1 for n in order if table[n]['MISSING'])
	print('%d runs, %d cases, %d with more than one outcome, %d that did not always run, '
	      '%d results not as expected.txt says (in %d runs)' %
	      (len(records), len(order), flaky, missing, unexpected, bad_runs))
	return 1 if flaky or missing or unexpected else 0


def cmd_merge(out, parts):
	"""kunit.py's JSON of each boot, as one document."""
	import json
	merged = None
	for p in parts:
		try:
			with open(p) as f:
				group = json.load(f)
		except (OSError, ValueError):
			continue
		if merged is None:
			merged = group
		else:
			merged['sub_groups'] += group.get('sub_groups', [])
			merged['test_cases'] += group.get('test_cases', [])
	if merged is not None:
		with open(out, 'w') as f:
			json.dump(merged, f, indent=4)
	return 0


# ---- module-check ---------------------------------------------------------

def section(lines, begin, end):
	try:
		i = lines.index(begin)
		return lines[i + 1:lines.index(end, i)]
	except ValueError:
		return None


# The functions that allocate on behalf of their caller, in a kmemleak
# backtrace: the first frame after them is who allocated.
ALLOCATORS = re.compile(r'^(kmemleak_(?!test)\w+|_{0,2}k[mvz]\w*alloc\w*|kmem_cache_\w+|'
			r'slab_\w+|__slab_\w+|kvmalloc\w*|__kvmalloc\w*|'
			r'kvzalloc\w*|kzalloc\w*|krealloc\w*|__alloc_\w+|'
			r'alloc_pages\w*|__vmalloc\w*|vmalloc\w*|vzalloc\w*)$')
SUITE_SYMBOLS = re.compile(r'^(vkt_|vfio_kvm_|kunit_thread_|kunit_reports_)')


def leak_origins(lines):
	"""Each kmemleak object, and the first frame above the allocator."""
	origins, block = [], []
	for line in lines + ['unreferenced object (end)']:
		if line.startswith('unreferenced object'):
			# "[<addr>] func+0x1/0x2" (6.1), "func+0x1/0x2 [mod]" (6.12),
			# or an address where the symbol is gone
			trace = block[next((i for i, l in enumerate(block)
					    if l.startswith('backtrace')), len(block)):]
			frames = [m.group(1) for m in
				  (re.match(r'(?:\[<\w+>\]\s+)?(\w+)', l) for l in trace[1:])
				  if m]
			frames = [f for f in frames if not ALLOCATORS.match(f)]
			# (lines before the first object are the kernel's own,
			# such as "kmemleak: 1 new suspected memory leaks")
			if block and block[0].startswith('unreferenced object'):
				origins.append((block[0], frames[0] if frames else '?'))
			block = []
		block.append(line.strip())
	return origins


# The suites each load must leave results of: as module-check.init says
# ("vkt: suites ..."), or, in a log from before it said, these three.
SUITES = ('vfio_kvm_lock', 'vfio_kvm_ref', 'vfio_kvm_race')


def module_suites(lines):
	for line in lines:
		if line.startswith('vkt: suites '):
			return tuple(line.split()[2:])
	return SUITES


def drop_headless_params(lines):
	"""6.1's debugfs results keep only the last parameter of a case, with
	no "# Subtest:" header (the case's log is reset for each parameter):
	drop such a parameter's result line, and judge the case by its own."""
	out, open_case = [], False
	for line in lines:
		if re.match(r'^ {8}# Subtest: ', line):
			open_case = True
		elif re.match(r'^ {4}(not )?ok \d+ ', line):
			open_case = False
		elif re.match(r'^ {8}(not )?ok \d+ ', line) and not open_case:
			continue
		out.append(line)
	return out


def module_results(lines, run_no, rows, kernel, lockdep, run):
	"""One load's debugfs results: each suite's KTAP, complete."""
	bad = []
	for suite in module_suites(lines):
		text = section(lines, 'vkt: results %d %s begin' % (run_no, suite),
			       'vkt: results %d %s end' % (run_no, suite))
		if text is None or any(l.startswith('vkt: no results file') for l in text):
			bad.append('load %d: no results for %s in debugfs' % (run_no, suite))
			continue
		sub = Run()
		judge_boot(sub, drop_headless_params(text), '', None, run_no)
		if not sub.seen_ktap:
			bad.append('load %d: %s: no KTAP in its results' % (run_no, suite))
			continue
		for c in sub.leaves:
			want, pattern, _ = expected_for(rows, kernel, lockdep, c.name)
			ok, why = meets(c, want, pattern)
			if not ok:
				bad.append('load %d: %s %s, expected %s: %s%s' %
					   (run_no, c.name, c.status, want, why, c.why()[:80]))
		for m in sub.missing:
			bad.append('load %d: %s' % (run_no, m.reason))
		bad += ['load %d: %s' % (run_no, p) for p in sub.problems]
		run.leaves += sub.leaves
	return bad


DEMO = 'module-check.vendor_unload'


def vendor_unload(lines, qemu_rc):
	"""The demonstration boot: the case about the vendor module held a VM
	only VFIO kept, and the guest tried to unload the vendor module
	meanwhile.  Its outcome as a case's: PASS (every unload refused, every
	hold ended cleanly), FAIL (what the kernel did instead), SKIP (the
	case's reason) or MISSING (no hold), with what it is judged by."""
	rmmods = [m for m in (re.match(r'^vkt: demo rmmod (\S+): status (\d+) ?(.*)$', l)
			      for l in lines) if m]
	reports = [r for r in find_reports(lines) if not r.exempt()]
	heads = '; '.join(list(dict.fromkeys(r.headline[:100] for r in reports))[:3])
	sub = Run()
	text = section(lines, 'vkt: results demo vfio_kvm_ref begin',
		       'vkt: results demo vfio_kvm_ref end')
	if text:
		judge_boot(sub, drop_headless_params(text), '', None, 0)
	unloaded = [m.group(1) for m in rmmods if m.group(2) == '0']
	if unloaded:
		return 'FAIL', '%s was unloaded while VFIO alone held a VM; the device\'s last close then: %s' % (
			unloaded[0], heads or 'no report')
	if not rmmods:
		if sub.leaves and all(c.status == 'SKIP' for c in sub.leaves):
			return 'SKIP', sub.leaves[0].reason
		return 'MISSING', 'the case never held a VM for the unload (the kernel printed last: %s)' % \
			last_words(lines)
	refused = '%d unloads of %s refused while VFIO alone held a VM (%s)' % (
		len(rmmods), rmmods[0].group(1), rmmods[0].group(3)[:60])
	bad = ['%s %s: %s' % (c.name, c.status, c.why()[:80]) for c in sub.leaves
	       if c.status != 'PASS']
	if reports:
		bad.append('the kernel reported ' + heads)
	if len(sub.leaves) != len(rmmods):
		bad.append('%d holds for %d case results' % (len(rmmods), len(sub.leaves)))
	if 'vkt: demo end' not in lines or qemu_rc != 0:
		bad.append('the boot did not end cleanly (QEMU exit status %d; the kernel printed last: %s)' %
			   (qemu_rc, last_words(lines)))
	if bad:
		return 'FAIL', refused + ', but ' + '; '.join(bad)
	return 'PASS', refused + '; the last closes destroyed the VMs cleanly'


def cmd_modules(expected, log, repeat, kernel, lockdep, qemu_rc,
		demo_log=None, demo_rc=0):
	load_kunit_parser(None)
	lines = read_lines(log)
	rows = load_expected(expected)
	checks = []
	if demo_log:
		got, detail = vendor_unload(read_lines(demo_log), demo_rc)
		want, pattern, _ = expected_for(rows, kernel, lockdep, DEMO)
		ok, why = outcome_met(got.lower(), detail, want, pattern)
		checks.append(('%s (its own boot): %s, expected %s:' % (DEMO, got.lower(), want),
			       ok, (why if 'another reason' in why else '') + detail))
	for line in lines:
		m = re.match(r'^vkt: check (.*): (PASS|FAIL) ?(.*)$', line)
		if m:
			checks.append((m.group(1), m.group(2) == 'PASS', m.group(3)))

	loads = 0
	misses = []
	run = Run()
	for n in range(repeat + 1):
		if 'vkt: load %d' % n not in lines:
			continue
		loads += 1
		misses += module_results(lines, n, rows, kernel, lockdep, run)
		if n == 0:
			print('first load:')
			for c in run.leaves:
				print('    %-4s %s' % (c.status, c.name))
	checks.append(('%d loads, every suite\'s results complete and every case as expected.txt says' %
		       (repeat + 1), loads == repeat + 1 and not misses,
		       '(%d loads ran, %d case results, %d problems%s)' %
		       (loads, len(run.leaves), len(misses), '; ' + misses[0] if misses else '')))

	# the sample's leaks were reported and cleared before the first load:
	# what kmemleak finds at the end leaked while the suite was loaded
	sample = section(lines, 'vkt: kmemleak sample begin', 'vkt: kmemleak sample end')
	if sample is not None:
		named = sum(1 for l in sample if 'kmemleak_test_init' in l)
		objects = len(leak_origins(sample))
		checks.append(('kmemleak reports the leaks of its sample module, loaded before the suite',
			       objects > 0,
			       '(%d unreferenced objects, %d backtraces through kmemleak_test_init)' %
			       (objects, named)))
	leaks = section(lines, 'vkt: kmemleak begin', 'vkt: kmemleak end')
	if leaks is not None:
		every = [o + ' from ' + f for o, f in leak_origins(leaks)]
		# the sample's deliberate leaks, allocated before the suite was
		# loaded, that kmemleak found only late (7.3 reports some of
		# them only after more scans): named, not counted
		late = [e for e in every if e.endswith(' from kmemleak_test_init')]
		every = [e for e in every if e not in late]
		ours = [e for e in every if SUITE_SYMBOLS.match(e.rsplit(' from ', 1)[1])]
		checks.append(('kmemleak: nothing leaked while the suite was loaded and unloaded',
			       not every,
			       '(%d unreferenced objects, %d allocated by the suite%s%s)' %
			       (len(every), len(ours),
				': ' + (ours or every)[0] if every else '',
				'; and %d of the sample module\'s, found late' % len(late)
				if late else '')))
	# every report in the whole log, but the self-tests' deliberate ones
	reports = [r for r in find_reports(lines) if not r.exempt()]
	heads = list(dict.fromkeys(re.sub(r'\[#\d+\]|[0-9a-f]{8,}', '', r.headline)[:100]
				   for r in reports))
	checks.append(('no WARN, BUG, oops, panic or lockdep report in the guest log',
		       not reports, '; '.join(heads[:3]) +
		       (' (%d reports)' % len(reports) if reports else '')))
	# the report capture's self-tests, loaded last as a module: all pass
	text = section(lines, 'vkt: self-tests begin', 'vkt: self-tests end')
	if text is not None:
		cases, bad = [], []
		for suite in ('kunit_reports_lockdep', 'kunit_reports'):
			part = section(text, 'vkt: results self %s begin' % suite,
				       'vkt: results self %s end' % suite) or []
			sub = Run()
			judge_boot(sub, part, '', None, 0)
			cases += sub.leaves
			bad += ['%s: %s' % (m.name, m.reason) for m in sub.missing] + sub.problems
			# without lockdep the ABBA has nothing to observe and skips
			bad += ['%s %s: %s' % (c.name, c.status, c.why()[:80]) for c in sub.leaves
				if c.status != 'PASS' and not (c.status == 'SKIP' and lockdep == 'n')]
		checks.append(('the report capture\'s self-tests pass as a module',
			       cases and not bad,
			       '(%d of %d passed%s)' % (len(cases) - len(bad), len(cases),
						    '; ' + bad[0] if bad else '')))
	ended = 'vkt: done' in lines and qemu_rc == 0
	checks.append(('the guest ran to its end and QEMU exited cleanly', ended,
		       '' if ended else '(%s; the kernel printed last: %s)' %
		       ({124: 'QEMU stopped: the guest did not end within its time',
			 125: 'QEMU stopped: the guest panicked and did not end'}.get(
			       qemu_rc, 'QEMU exit status %d' % qemu_rc),
			last_words(lines))))
	for name, ok, detail in checks:
		print('  %-4s %s %s' % ('ok' if ok else 'FAIL', name, detail))
	passed = sum(1 for c in checks if c[1])
	print('%d passed, %d failed' % (passed, len(checks) - passed))
	return 0 if passed == len(checks) else 1


# ---- coverage -------------------------------------------------------------

CHECK = re.compile(r'\bKUNIT_(EXPECT|ASSERT)_\w+\(|\bKUNIT_FAIL(_AND_ABORT)?\(|\bVKT_(EXPECT_USERS|EXPECT_MOCK_OK|ASSERT_VFIO_HOLDS_REF)\(')
# Checks that only guard a case's setup (an attach, an allocation, a
# thread): they fail when the test cannot run, not when the kernel is wrong.
SETUP = re.compile(r'vkt_vm_attach\(|vkt_vm_detach\(|vkt_vm_add_file\(|'
		   r'IS_ERR\((thread|opener|second)\)|ASSERT_NOT_NULL\(test, (w|r|iommu_group)\)|'
		   r'kthread_run|IS_ERR\(file\)\);$')
FAILED_AT = re.compile(r'(?:EXPECTATION|ASSERTION) FAILED at \S*?([\w.]+\.c):(\d+)')


def cmd_coverage(src, logs):
	import glob
	sites = []
	# the environment's one check: the deadline of every call of a case
	env_checks = {'vfio_kvm_call.c': 'long vkt_call('}
	for path in sorted(glob.glob(os.path.join(src, '*_kunit.c'))) + \
		    [os.path.join(src, f) for f in sorted(env_checks)]:
		name = os.path.basename(path)
		in_report = False
		for n, line in enumerate(open(path), 1):
			if name in env_checks:
				if line.startswith(env_checks[name]):
					in_report = True
				elif line.startswith('}'):
					in_report = False
				if not in_report:
					continue
			text = line.strip()
			if CHECK.search(line) and not text.startswith(('#define', '*', '/*')) \
			   and not text.endswith('\\'):
				sites.append((name, n, text))
	failed = {}
	for log in logs:
		try:
			text = open(log, errors='replace').read()
		except OSError:
			continue
		for m in FAILED_AT.finditer(text):
			key = (m.group(1), int(m.group(2)))
			failed.setdefault(key, set()).add(os.path.basename(log).rsplit('.', 1)[0])
	checks = [s for s in sites if not SETUP.search(s[2])]
	never = [s for s in checks if (s[0], s[1]) not in failed]
	for name, n, line in sites:
		who = failed.get((name, n))
		kind = 'ok' if who else 'setup' if SETUP.search(line) else 'NEVER'
		print('  %-5s %s:%d %s%s' % (kind, name, n, line[:60],
					       ' (' + ', '.join(sorted(who))[:70] + ')' if who else ''))
	print('%d of %d checks shown failing (%d setup guards not counted); never: %d' %
	      (len(checks) - len(never), len(checks), len(sites) - len(checks), len(never)))
	return 0


def main(argv):
	cmd, args = (argv[0], argv[1:]) if argv else ('', [])
	if cmd == 'run' and len(args) in (1, 2):
		return cmd_run(*args)
	if cmd == 'check' and len(args) == 4:
		return cmd_check(*args)
	if cmd == 'killed' and len(args) >= 4:
		return cmd_killed(args[0], args[1], args[2], args[3], args[4:])
	if cmd == 'rejected' and len(args) == 2:
		return cmd_rejected(*args)
	if cmd == 'history' and len(args) == 2:
		return cmd_history(*args)
	if cmd == 'soak' and len(args) >= 4:
		return cmd_soak(args[0], args[1], args[2], args[3:])
	if cmd == 'modules' and len(args) in (6, 8):
		return cmd_modules(args[0], args[1], int(args[2]), args[3], args[4], int(args[5]),
				   *(args[6:7] + [int(a) for a in args[7:]]))
	if cmd == 'merge' and args:
		return cmd_merge(args[0], args[1:])
	if cmd == 'coverage' and len(args) >= 2:
		return cmd_coverage(args[0], args[1:])
	print('usage: see the header of ' + sys.argv[0], file=sys.stderr)
	return 2


if __name__ == '__main__':
	sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Results of the vfio <-> kvm suites: read the KTAP in a guest log, merge
# kunit.py's JSON, find kernel reports, and hold results against the
# expected-outcome table.
#
#   vkt_results.py run RESULTS.json GUEST.log PART.json...
#       merge the boots' JSON into RESULTS.json, print the cases that did
#       not pass and any kernel report, end with "N passed, N failed,
#       N skipped"; exit 0, 1 (a case failed, or a kernel report), 2 (no
#       KTAP: the guest did not boot or the suites did not run)
#   vkt_results.py check EXPECTED GUEST.log KERNEL LOCKDEP
#       one line per case: expected and actual outcome; exit 1 on a miss;
#       ends with "N passed, N failed"
#   vkt_results.py modules EXPECTED GUEST.log REPEAT KERNEL LOCKDEP
#       the checks module-check.sh's guest printed ("vkt: check ..."), every
#       load's cases against expected.txt, kmemleak objects the suite
#       allocated, kernel reports; ends with "N passed, N failed"
#   vkt_results.py coverage SRC_DIR GUEST.log...
#       every check of the suites (KUNIT_EXPECT/ASSERT/FAIL in *_kunit.c,
#       and the mock contract and deadlock reports) and whether one of the
#       logs shows it failing: a check that never failed anywhere is listed
#   vkt_results.py killed BASE.log MUTANT.log
#       the first case that passed in BASE.log and did not in MUTANT.log,
#       with its message; nothing if there is none

import fnmatch
import json
import re
import sys

RESULT = re.compile(r'^(not ok|ok) \d+ (\S+)(?:\s+#\s*(\S+)\s*(.*))?$')
SUBTEST = re.compile(r'^# Subtest: (\S+)$')
PREFIX = re.compile(r'^(\[\s*\d+\.\d+\]\s)?')
KTAP = re.compile(r'K?TAP version \d+')
SAID_SKIP = re.compile(r'^\S+: SKIP (.*)$')

# How the lines a kernel prints when something is wrong begin: lockdep and
# WARN (WARNING:), BUG: (sleeping in atomic context among them), refcount_t
# warnings, oopses and panics.
REPORTS = ('WARNING:', 'BUG:', 'Oops', 'general protection fault',
	   'Kernel panic', 'refcount_t:')


class Case:
	def __init__(self, name, status, reason, diag):
		self.name = name
		self.status = status	# PASS, FAIL, SKIP, CRASH
		self.reason = reason
		self.diag = diag

	def why(self):
		"""The skip reason, or the message of the first failed check."""
		if self.status == 'SKIP':
			return self.reason
		failed = False
		for line in self.diag:
			if 'EXPECTATION FAILED' in line or 'ASSERTION FAILED' in line:
				failed = True
			elif failed and line and not line.startswith(('Expected ', ' ')):
				return line
		return self.diag[0] if self.diag else ''


def parse_log(path):
	"""Leaf cases ("suite.case" or "suite.case.param") of a guest log."""
	cases, stack, diag, seen_ktap = [], [], [], False
	try:
		lines = open(path, errors='replace').read().splitlines()
	except OSError:
		return [], False
	for raw in lines:
		line = PREFIX.sub('', raw, count=1).rstrip()
		indent = len(line) - len(line.lstrip(' '))
		text = line.strip()
		if KTAP.match(text):
			seen_ktap = True
			if indent == 0:		# a new boot
				stack, diag = [], []
			continue
		# "# Subtest: name" is printed at the indentation of the group's
		# cases, its result line four columns to the left
		m = SUBTEST.match(text)
		if m:
			stack = [s for s in stack if s[0] < indent]
			stack.append((indent, m.group(1)))
			diag = []
			continue
		m = RESULT.match(text)
		if m:
			ok, name, directive, reason = m.groups()
			if stack and stack[-1] == (indent + 4, name):
				stack.pop()
				diag = []
				continue
			parents = [s[1] for s in stack if s[0] <= indent]
			status = 'PASS' if ok == 'ok' else 'FAIL'
			if directive and directive.upper() == 'SKIP':
				status = 'SKIP'
			# 6.1 prints a skipped parameter as "ok": the suites say
			# "SKIP reason" in a line of their own
			said = [m.group(1) for m in map(SAID_SKIP.match, diag) if m]
			if status == 'PASS' and said:
				status, reason = 'SKIP', said[0]
			cases.append(Case('.'.join(parents + [name]), status,
					  reason or '', diag))
			diag = []
			continue
		if not seen_ktap:
			continue
		if text.startswith('# '):
			diag.append(re.sub(r'^\S+: (?=(EXPECTATION|ASSERTION) FAILED)', '', text[2:]))
		elif diag and text:
			# a check's "Expected" lines and its message
			diag.append(line if indent > 4 else text)
	# suites still open: a crash or a hang cut them off
	crashed = [s[1] for s in stack]
	if crashed:
		cases.append(Case('.'.join(crashed) + '.*', 'CRASH',
				  'the guest stopped before this suite ended', diag))
	return cases, seen_ktap


def kernel_reports(path, until=None):
	"""The reports in a guest log, up to the line @until if there is one."""
	try:
		lines = open(path, errors='replace').read().splitlines()
	except OSError:
		return []
	lines = [PREFIX.sub('', raw, count=1).strip() for raw in lines]
	if until in lines:
		lines = lines[:lines.index(until)]
	return [line for line in lines if line.startswith(REPORTS)]


def summary(cases):
	n = {s: sum(1 for c in cases if c.status == s) for s in ('PASS', 'FAIL', 'SKIP', 'CRASH')}
	return n['PASS'], n['FAIL'] + n['CRASH'], n['SKIP']


def merge_json(out, parts):
	merged = None
	for p in parts:
		try:
			group = json.load(open(p))
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


def cmd_run(results, log, parts):
	merge_json(results, parts)
	cases, seen_ktap = parse_log(log)
	reports = kernel_reports(log)
	for c in cases:
		if c.status in ('FAIL', 'CRASH', 'SKIP'):
			print('%-5s %s: %s' % (c.status, c.name, c.why()))
	if reports:
		print('kernel reports in the guest log:')
		for r in reports:
			print('  ' + r)
	print('results: %s, guest log: %s' % (results, log))
	if not seen_ktap:
		print('no KTAP output: the guest did not boot or the suites did not run')
		print('0 passed, 1 failed')
		return 2
	passed, failed, skipped = summary(cases)
	print('%d passed, %d failed, %d skipped' % (passed, failed, skipped))
	return 1 if failed or reports else 0


def load_expected(path):
	rows = []
	for line in open(path):
		line = line.split('#', 1)[0].strip() if not line.lstrip().startswith('#') else ''
		if not line:
			continue
		f = line.split(None, 4)
		rows.append((f[0], f[1], f[2], f[3], f[4] if len(f) > 4 else ''))
	return rows


def expected_for(rows, kernel, lockdep, name):
	for k, l, pattern, outcome, reason in rows:
		if fnmatch.fnmatch(kernel, k) and fnmatch.fnmatch(lockdep, l) and \
		   fnmatch.fnmatch(name, pattern):
			return outcome, reason
	return 'pass', ''


def cmd_check(expected, log, kernel, lockdep):
	rows = load_expected(expected)
	cases, seen_ktap = parse_log(log)
	met = missed = 0
	if not seen_ktap:
		print('  %-58s %-6s %-6s %s' % ('(boot)', 'pass', 'none', 'MISS: no KTAP output'))
		print('0 passed, 1 failed')
		return 1
	for c in cases:
		want, reason = expected_for(rows, kernel, lockdep, c.name)
		got = c.status.lower()
		ok = want == 'any' or want == got
		met += ok
		missed += not ok
		detail = c.why() if got != 'pass' else ''
		print('  %-58s %-6s %-6s %s%s' % (c.name, want, got, '' if ok else 'MISS: ',
						    (detail or reason)[:150]))
	print('%d passed, %d failed' % (met, missed))
	return 1 if missed else 0


def cmd_killed(base, mutant):
	passed = {c.name for c in parse_log(base)[0] if c.status == 'PASS'}
	cases, _ = parse_log(mutant)
	for c in cases:
		if c.status == 'CRASH' or (c.status == 'FAIL' and c.name in passed):
			print('%s: %s' % (c.name, c.why()[:100]))
			return 0
	return 0


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
			if block:
				origins.append((block[0], frames[0] if frames else '?'))
			block = []
		block.append(line.strip())
	return origins


def suite_leaks(lines):
	"""kmemleak objects the suite's own code allocated."""
	return [o + ' from ' + f for o, f in leak_origins(lines)
		if SUITE_SYMBOLS.match(f)]


def section(lines, begin, end):
	try:
		i = lines.index(begin)
		return lines[i + 1:lines.index(end, i)]
	except ValueError:
		return None


def cmd_modules(expected, log, repeat, kernel, lockdep):
	try:
		lines = [PREFIX.sub('', l, count=1).rstrip()
			 for l in open(log, errors='replace').read().splitlines()]
	except OSError:
		lines = []
	rows = load_expected(expected)
	checks = []
	for line in lines:
		m = re.match(r'^vkt: check (.*): (PASS|FAIL) ?(.*)$', line)
		if m:
			checks.append((m.group(1), m.group(2) == 'PASS', m.group(3)))

	runs = met = 0
	misses = []
	for run in range(repeat + 1):
		text = section(lines, 'vkt: run %d begin' % run, 'vkt: run %d end' % run)
		if text is None:
			continue
		runs += 1
		path = log + '.run%d' % run
		with open(path, 'w') as f:
			f.write('KTAP version 1\n' + '\n'.join(text) + '\n')
		cases, _ = parse_log(path)
		for c in cases:
			want, _ = expected_for(rows, kernel, lockdep, c.name)
			if want in ('any', c.status.lower()):
				met += 1
			else:
				misses.append('run %d: %s %s, expected %s: %s' %
					      (run, c.name, c.status, want, c.why()[:80]))
		if run == 0:
			print('first load:')
			for c in cases:
				print('    %-4s %s' % (c.status, c.name))
	checks.append(('%d loads, every case as expected.txt says in each' % (repeat + 1),
		       runs == repeat + 1 and not misses,
		       '(%d loads ran, %d case results as expected, %d not%s)' %
		       (runs, met, len(misses), '; ' + misses[0] if misses else '')))

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
		ours = suite_leaks(leaks)
		every = [o + ' from ' + f for o, f in leak_origins(leaks)]
		checks.append(('kmemleak: nothing leaked while the suite was loaded and unloaded',
			       not every,
			       '(%d unreferenced objects, %d allocated by the suite%s)' %
			       (len(every), len(ours),
				': ' + (ours or every)[0] if every else '')))
	reports = kernel_reports(log, 'vkt: deliberate reports from here')
	checks.append(('no WARN, BUG or lockdep report in the guest log', not reports,
		       '; '.join(reports[:3])))
	# the report capture's self-tests, loaded last as a module: all pass
	text = section(lines, 'vkt: self-tests begin', 'vkt: self-tests end')
	if text is not None:
		path = log + '.selftests'
		with open(path, 'w') as f:
			f.write('KTAP version 1\n' + '\n'.join(text) + '\n')
		cases, _ = parse_log(path)
		# without lockdep the ABBA has nothing to observe and skips
		bad = [c for c in cases if c.status != 'PASS' and
		       not (c.status == 'SKIP' and lockdep == 'n')]
		checks.append(('the report capture\'s self-tests pass as a module',
			       cases and not bad,
			       '(%d of %d passed%s)' % (len(cases) - len(bad), len(cases),
						    '; ' + bad[0].name + ' ' + bad[0].status + ': ' +
						    bad[0].why()[:80] if bad else '')))
	checks.append(('the guest ran to its end', 'vkt: done' in lines, ''))
	for name, ok, detail in checks:
		print('  %-4s %s %s' % ('ok' if ok else 'FAIL', name, detail))
	passed = sum(1 for c in checks if c[1])
	print('%d passed, %d failed' % (passed, len(checks) - passed))
	return 0 if passed == len(checks) else 1


CHECK = re.compile(r'\bKUNIT_(EXPECT|ASSERT)_\w+\(|\bKUNIT_FAIL(_AND_ABORT)?\(|\bKUNIT_EXPECT_USERS\(|\bKUNIT_ASSERT_VFIO_HOLDS_REF\(')
# Checks that only guard a case's setup (an attach, an allocation, a
# thread): they fail when the test cannot run, not when the kernel is wrong.
SETUP = re.compile(r'vkt_vm_attach\(|vkt_vm_detach\(|vkt_vm_add_file\(|'
		   r'IS_ERR\((thread|opener|second)\)|ASSERT_NOT_NULL\(test, (w|r|iommu_group)\)|'
		   r'kthread_run|IS_ERR\(file\)\);$')
FAILED_AT = re.compile(r'(?:EXPECTATION|ASSERTION) FAILED at \S*?([\w.]+\.c):(\d+)')


def cmd_coverage(src, logs):
	import glob
	import os
	sites = []
	for path in sorted(glob.glob(os.path.join(src, '*_kunit.c'))) + \
		    [os.path.join(src, 'vfio_kvm_env.c')]:
		name = os.path.basename(path)
		in_report = False
		for n, line in enumerate(open(path), 1):
			if name == 'vfio_kvm_env.c':
				# the env's checks: what the mocks saw, and
				# the deadline of every call of a case
				if line.startswith(('static void vkt_dev_report(',
						    'static long vkt_call(')):
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
	if len(argv) >= 3 and argv[0] == 'coverage':
		return cmd_coverage(argv[1], argv[2:])
	if len(argv) == 6 and argv[0] == 'modules':
		return cmd_modules(argv[1], argv[2], int(argv[3]), argv[4], argv[5])
	if len(argv) == 3 and argv[0] == 'killed':
		return cmd_killed(argv[1], argv[2])
	if len(argv) >= 3 and argv[0] == 'run':
		return cmd_run(argv[1], argv[2], argv[3:])
	if len(argv) == 5 and argv[0] == 'check':
		return cmd_check(*argv[1:])
	print(__doc__ or 'usage: see the header of ' + sys.argv[0], file=sys.stderr)
	return 2


if __name__ == '__main__':
	sys.exit(main(sys.argv[1:]))

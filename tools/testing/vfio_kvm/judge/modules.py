# SPDX-License-Identifier: GPL-2.0
#
# The verdict of module-check.sh's guest: the suites loaded and unloaded as
# modules, kmemleak, the report capture's self-tests, and the demonstration
# boot that unloads the vendor module while VFIO holds a VM.

import fnmatch
import re
from dataclasses import dataclass

from .expect import excerpt, expected_for, load_expected, matcher, meets, outcome_met
from .ktap import Run, judge_boot, load_kunit_parser, read_lines
from .reports import find_reports, last_words


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


@dataclass(frozen=True)
class Leak:
	"""A kmemleak object: its "unreferenced object ..." line and who
	allocated it (the first frame above the allocator, ? if none)."""
	object: str
	origin: str


def leak_origins(lines):
	"""Each kmemleak object (a Leak), and the first frame above the
	allocator."""
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
				origins.append(Leak(block[0], frames[0] if frames else '?'))
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
			row = expected_for(rows, kernel, lockdep, c.name)
			want, pattern = row.outcome, row.pattern
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
	# the demonstration's suite, as the guest names it
	demo = next((m.group(1) for m in (re.match(r'^vkt: results demo (\S+) begin$', l)
					   for l in lines) if m), None)
	text = demo and section(lines, 'vkt: results demo %s begin' % demo,
				'vkt: results demo %s end' % demo)
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


# What module-check.init prints once its lines go to ttyS1, which
# vkt_boot_modules keeps in <log>-init.log.
TTYS1 = "vkt: the init's lines follow on ttyS1"


def init_lines(log, lines):
	"""The init's lines: the console's, then, once the init says they
	follow on ttyS1, that port's, where no line of the kernel's falls
	between or inside them.  A log from before ttyS1 has them all."""
	if TTYS1 not in lines:
		return lines
	return lines + read_lines(init_log(log))


def init_log(log):
	return re.sub(r'\.log$', '', log) + '-init.log'


@dataclass
class Check:
	"""A line of module-check's verdict: "ok NAME DETAIL" or "FAIL NAME
	DETAIL"."""
	name: str
	ok: bool
	detail: str


def cmd_modules(expected, log, repeat, kernel, lockdep, qemu_rc,
		demo_log=None, demo_rc=0):
	load_kunit_parser(None)
	# the kernel's reports are on the console; the init's lines, its
	# checks and the suites' results it read from debugfs, may not be
	console = read_lines(log)
	lines = init_lines(log, console)
	rows = load_expected(expected)
	checks = []
	if TTYS1 in console:
		kept = len(lines) - len(console)
		checks.append(Check('the init\'s lines on ttyS1 are in %s' % init_log(log).split('/')[-1],
				    kept > 0, '(%d lines)' % kept))
	if demo_log:
		got, detail = vendor_unload(read_lines(demo_log), demo_rc)
		row = expected_for(rows, kernel, lockdep, DEMO)
		want, pattern = row.outcome, row.pattern
		ok, why = outcome_met(got.lower(), detail, want, pattern)
		checks.append(Check('%s (its own boot): %s, expected %s:' % (DEMO, got.lower(), want),
				    ok, (why if 'another reason' in why else '') + detail))
	for line in lines:
		m = re.match(r'^vkt: check (.*): (PASS|FAIL) ?(.*)$', line)
		if m:
			checks.append(Check(m.group(1), m.group(2) == 'PASS', m.group(3)))

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
				print(('    %-4s %s %s' % (c.status, c.name,
							c.why()[:120] if c.status != 'PASS' else '')).rstrip())
	checks.append(Check('%d loads, every suite\'s results complete and every case as expected.txt says' %
			    (repeat + 1), loads == repeat + 1 and not misses,
			    '(%d loads ran, %d case results, %d problems%s)' %
			    (loads, len(run.leaves), len(misses), '; ' + misses[0] if misses else '')))

	# the sample's leaks were reported and cleared before the first load:
	# what kmemleak finds at the end leaked while the suite was loaded
	leaks = section(lines, 'vkt: kmemleak begin', 'vkt: kmemleak end')
	every = [leak.object + ' from ' + leak.origin for leak in leak_origins(leaks or [])]
	# the sample's deliberate leaks, allocated before the suite was
	# loaded, that kmemleak found only late (7.3 reports some of them
	# only after more scans; Fedora's kernel-debug, KASAN on one TCG
	# thread, at times none before the end): named, not counted
	late = [e for e in every if e.endswith(' from kmemleak_test_init')]
	every = [e for e in every if e not in late]
	sample = section(lines, 'vkt: kmemleak sample begin', 'vkt: kmemleak sample end')
	if sample is not None:
		named = sum(1 for l in sample if 'kmemleak_test_init' in l)
		objects = len(leak_origins(sample))
		checks.append(Check('kmemleak reports the leaks of its sample module, loaded before the suite',
				    objects > 0 or bool(late),
				    '(%d unreferenced objects, %d backtraces through kmemleak_test_init%s)' %
				    (objects, named, '; %d of them found only late, at the end' % len(late)
				     if not objects and late else '')))
	if leaks is not None:
		ours = [e for e in every if SUITE_SYMBOLS.match(e.rsplit(' from ', 1)[1])]
		checks.append(Check('kmemleak: nothing leaked while the suite was loaded and unloaded',
				    not every,
				    '(%d unreferenced objects, %d allocated by the suite%s%s)' %
				    (len(every), len(ours),
				     ': ' + (ours or every)[0] if every else '',
				     '; and %d of the sample module\'s, found late' % len(late)
				     if late else '')))
	# every report in the whole log, but the self-tests' deliberate ones
	reports = [r for r in find_reports(console) if not r.exempt()]
	heads = list(dict.fromkeys(re.sub(r'\[#\d+\]|[0-9a-f]{8,}', '', r.headline)[:100]
				   for r in reports))
	checks.append(Check('no WARN, BUG, oops, panic or lockdep report in the guest log',
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
		checks.append(Check('the report capture\'s self-tests pass as a module',
				    bool(cases) and not bad,
				    '(%d of %d passed%s)' % (len(cases) - len(bad), len(cases),
							 '; ' + bad[0] if bad else '')))
	ended = 'vkt: done' in lines and qemu_rc == 0
	checks.append(Check('the guest ran to its end and QEMU exited cleanly', ended,
			    '' if ended else '(%s; the kernel printed last: %s)' %
			    ({124: 'QEMU stopped: the guest did not end within its time',
			      125: 'QEMU stopped: the guest panicked and did not end'}.get(
				    qemu_rc, 'QEMU exit status %d' % qemu_rc),
			     last_words(console))))
	for c in checks:
		print('  %-4s %s %s' % ('ok' if c.ok else 'FAIL', c.name, c.detail))
	passed = sum(1 for c in checks if c.ok)
	print('%d passed, %d failed' % (passed, len(checks) - passed))
	return 0 if passed == len(checks) else 1


def cmd_modules_killed(log, killers, pattern):
	"""Whether a mutant run by module-check.sh (a distribution's
	configuration) is killed: a case of KILLERS (comma separated globs)
	failed in the guest's first load, its messages matching PATTERN (as a
	killed line's: [tag] or a regular expression).  Its other checks do
	not count: a kernel report turns lockdep off for the loads after."""
	load_kunit_parser(None)
	globs = [g for g in killers.split(',') if g]
	pat = matcher(pattern)
	run = Run()
	module_results(init_lines(log, read_lines(log)), 0, [], '-', 'y', run)
	for c in run.leaves:
		if c.status == 'FAIL' and any(fnmatch.fnmatchcase(c.name, g) for g in globs):
			m = pat.search(c.text())
			if m:
				print('killed by %s: %s' % (c.name, excerpt(c.text(), m)))
				return 0
	if not run.leaves:
		print('survived: no result of the first load in %s' % log)
	else:
		print('survived: no case of %s failed in the first load matching %s' %
		      (killers, pattern))
	return 1

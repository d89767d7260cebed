# SPDX-License-Identifier: GPL-2.0
#
# Expectations (expected.txt), mutants and soak: the verdicts of make run,
# make test, make mutants and make soak, and the merged kunit.py JSON.

import fnmatch
import os
import re
from dataclasses import dataclass
from typing import List, Optional

from .record import judge_record, print_problems

# The tree this file is in: a patch that expected.txt names is printed
# from there, as make is run.
REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
				    '..', '..', '..', '..'))


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
	want, pattern, why, fix = row.outcome, row.pattern, row.why, row.fix
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


TAG = r'\[[a-z0-9]+(?:-[a-z0-9]+)*\]'


def matcher(pattern):
	"""What a reason of expected.txt or a killer's pattern of matrix.txt
	is matched with: "[tag]", a check's tag, literally; "/re/" or a bare
	re, a regular expression.  Its search() gives a match or None."""
	if re.fullmatch(TAG, pattern):
		return re.compile(re.escape(pattern))
	if len(pattern) > 1 and pattern.startswith('/') and pattern.endswith('/'):
		pattern = pattern[1:-1]
	return re.compile(pattern)


@dataclass(frozen=True)
class ExpectedRow:
	"""A line of expected.txt: kernel lockdep case outcome [/pattern/]
	[fix:PATCH] why."""
	kernel: str			# a glob of the kernel's name
	lockdep: str			# a glob of y or n
	case: str			# a glob of the case's name
	outcome: str			# pass, fail, skip or any
	pattern: Optional[re.Pattern]	# what the failure or skip must say
	why: str
	fix: Optional[str]		# the patch, relative to expected.txt


def load_expected(path) -> List[ExpectedRow]:
	"""expected.txt: kernel lockdep case outcome [/pattern/|[tag]] [fix:PATCH] why."""
	rows = []
	for line in open(path):
		if line.lstrip().startswith('#') or not line.strip():
			continue
		f = line.split(None, 4)
		rest = f[4] if len(f) > 4 else ''
		pattern = fix = None
		m = re.match(r'(/.*?/|%s)(?:\s+|$)(.*)$' % TAG, rest)
		if m:
			pattern, rest = matcher(m.group(1)), m.group(2)
		m = re.match(r'fix:(\S+)(?:\s+|$)(.*)$', rest)
		if m:
			fix, rest = m.group(1), m.group(2)
		rows.append(ExpectedRow(f[0], f[1], f[2], f[3], pattern, rest.strip(), fix))
	return rows


def expected_row(rows, kernel, lockdep, name) -> Optional[ExpectedRow]:
	"""The first line of expected.txt for a case, or None."""
	for row in rows:
		if fnmatch.fnmatchcase(kernel, row.kernel) and \
		   fnmatch.fnmatchcase(lockdep, row.lockdep) and \
		   fnmatch.fnmatchcase(name, row.case):
			return row
	return None


def expected_for(rows, kernel, lockdep, name) -> ExpectedRow:
	"""The line of expected.txt for a case; a case no line names must
	pass."""
	row = expected_row(rows, kernel, lockdep, name)
	return row or ExpectedRow(kernel, lockdep, name, 'pass', None, '', None)


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
		row = expected_for(rows, kernel, lockdep, c.name)
		want, pattern, reason = row.outcome, row.pattern, row.why
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
	pat = matcher(pattern) if pattern else None
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
		print('survived: no case of %s failed%s' % (killers, ' matching %s' % pattern if pattern else ''))
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
		expects = [expected_for(rows, kernel, lockdep, c.name) for c in run.all()]
		misses = [c for c, e in zip(run.all(), expects)
			  if not meets(c, e.outcome, e.pattern)[0]]
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
	anyway = {n for n in order if expected_for(rows, kernel, lockdep, n).outcome == 'any'}
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

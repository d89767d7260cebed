# SPDX-License-Identifier: GPL-2.0
#
# A run record, as run.sh writes it (RESULTS.boots: see vkt_results.py),
# judged boot by boot, and what fails it outside its cases' results.

import os

from .ktap import Run, judge_boot, load_kunit_parser, read_lines
from .reports import last_words

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

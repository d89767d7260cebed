# SPDX-License-Identifier: GPL-2.0
#
# A run record, as run.sh writes it (RESULTS.boots: see vkt_results.py),
# judged boot by boot, and what fails it outside its cases' results.

import os
from dataclasses import dataclass, field
from typing import List, Optional

from .ktap import Run, judge_boot, load_kunit_parser, read_lines
from .reports import last_words


@dataclass
class Boot:
	"""A "boot" line of the manifest."""
	glob: str	# kunit.py's filter glob, '' for every case
	log: str	# the boot's guest log
	rc: int = 0	# kunit.py's exit status; 124 if it stopped a hung guest


@dataclass
class HungBoot:
	"""A "hung" line: a boot stopped before KUnit started, and booted
	again."""
	redone_by: int	# the index of the boot that redid it
	glob: str
	log: str


@dataclass
class Record:
	"""The manifest run.sh wrote (RESULTS.boots)."""
	kunit_dir: Optional[str] = None
	cases: Optional[List[str]] = None	# the kernel's cases; None if
						# the record has no list
	boots: List[Boot] = field(default_factory=list)
	hung: List[HungBoot] = field(default_factory=list)
	kernel: Optional[str] = None	# its name in expected.txt
	lockdep: Optional[str] = None	# y or n, as asked for


def read_record(path) -> Record:
	"""The manifest run.sh wrote: the kunit dir, the case list, the
	boots, the hung boots and what was run: the kernel's name in
	expected.txt and the lockdep setting asked for ("kernel" and
	"lockdep" lines, None in a record written before they were)."""
	for ext in ('.json', '.boots'):
		if path.endswith(ext):
			path = path[:-len(ext)]
	rec = Record()
	base = os.path.dirname(path + '.boots')
	for line in open(path + '.boots'):
		f = line.rstrip('\n').split('\t')
		if f[0] == 'kunit':
			rec.kunit_dir = f[1]
		elif f[0] == 'cases':
			p = os.path.join(base, f[1])
			rec.cases = [l.strip() for l in open(p) if l.strip()] if os.path.exists(p) else None
		elif f[0] == 'boot':
			rec.boots.append(Boot(f[1] if f[1] != '*' else '', os.path.join(base, f[2]),
					      int(f[3]) if len(f) > 3 and f[3] else 0))
		elif f[0] == 'hung':
			rec.hung.append(HungBoot(len(rec.boots), f[1], os.path.join(base, f[2])))
		elif f[0] in ('kernel', 'lockdep') and len(f) > 1 and f[1]:
			setattr(rec, f[0], f[1])
	return rec


def judge_record(path, lockdep=None):
	"""@lockdep: whether the run asked for lockdep (y or n), if the
	caller knows better than the record."""
	rec = read_record(path)
	load_kunit_parser(rec.kunit_dir)
	run = Run()
	run.kernel = rec.kernel
	run.lockdep = lockdep or rec.lockdep
	if rec.cases is None:
		run.problems.append('no list of the kernel\'s cases (kunit.action=list): cases that never ran cannot be named')
	for i, boot in enumerate(rec.boots):
		lines = read_lines(boot.log)
		judge_boot(run, lines, boot.glob, rec.cases, i, boot.rc, run.lockdep)
		run.version = run.version or next((l.split()[2] for l in lines
						   if l.startswith('Linux version ')
						   and len(l.split()) > 2), None)
	for h in rec.hung:
		run.notes.append('boot %d (%s) was booted twice: the first guest hung before KUnit '
				 'started and was stopped (%s)' % (h.redone_by, h.glob or '*',
								  last_words(read_lines(h.log))))
	if not rec.boots:
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

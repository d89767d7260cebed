# SPDX-License-Identifier: GPL-2.0
#
# Every check of the suites, and whether a guest log shows it failing.

import os
import re
from dataclasses import dataclass


CHECK = re.compile(r'\bKUNIT_(EXPECT|ASSERT)_\w+\(|\bKUNIT_FAIL(_AND_ABORT)?\(|\bVKT_(EXPECT_USERS|EXPECT_MOCK_OK|ASSERT_VFIO_HOLDS_REF)\(')
# Checks that only guard a case's setup (an attach, an allocation, a
# thread): they fail when the test cannot run, not when the kernel is wrong.
SETUP = re.compile(r'vkt_vm_attach\(|vkt_vm_detach\(|vkt_vm_add_file\(|'
		   r'IS_ERR\((thread|opener|second)\)|NOT_ERR_OR_NULL\(test, (thread|opener|second|pdev|file)\)|ASSERT_NOT_NULL\(test, (w|r|iommu_group)\)|'
		   r'kthread_run|IS_ERR\(file\)\);$')
FAILED_AT = re.compile(r'(?:EXPECTATION|ASSERTION) FAILED at \S*?([\w.]+\.c):(\d+)')


@dataclass(frozen=True)
class Site:
	"""A check in the suites' source: its file's name, line and text."""
	file: str
	line: int
	text: str


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
				sites.append(Site(name, n, text))
	failed = {}
	for log in logs:
		try:
			text = open(log, errors='replace').read()
		except OSError:
			continue
		for m in FAILED_AT.finditer(text):
			key = (m.group(1), int(m.group(2)))
			failed.setdefault(key, set()).add(os.path.basename(log).rsplit('.', 1)[0])
	checks = [s for s in sites if not SETUP.search(s.text)]
	never = [s for s in checks if (s.file, s.line) not in failed]
	for s in sites:
		who = failed.get((s.file, s.line))
		kind = 'ok' if who else 'setup' if SETUP.search(s.text) else 'NEVER'
		print('  %-5s %s:%d %s%s' % (kind, s.file, s.line, s.text[:60],
					       ' (' + ', '.join(sorted(who))[:70] + ')' if who else ''))
	print('%d of %d checks shown failing (%d setup guards not counted); never: %d' %
	      (len(checks) - len(never), len(checks), len(sites) - len(checks), len(never)))
	return 0

# SPDX-License-Identifier: GPL-2.0
#
# The judge's reading of kernel reports in a guest log: WARN, BUG, oopses,
# panics and lockdep's, what the kernel printed last, and lockdep that
# switched itself off without a report.

import re
from dataclasses import dataclass
from typing import List

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
# What QEMU itself writes to the guest's console log.
QEMU_LINE = re.compile(r'^qemu-system-\S+: ')
# QEMU stopping a guest the host's KVM could not run: no report of the
# guest kernel, and no verdict on it
KVM_ERROR = re.compile(r'^KVM internal error\. Suberror: \d+')
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
	(not QEMU's own, such as that it was terminated); or that QEMU
	stopped the guest because the host's KVM could not run it."""
	for line in lines:
		m = KVM_ERROR.match(line.strip())
		if m:
			return ('QEMU stopped the guest: "%s", the host\'s KVM could not '
				'run it (not the guest kernel; VKT_QEMU_ACCEL=tcg runs it '
				'under TCG)' % m.group(0))
	for line in reversed(lines[-400:]):
		m = PANIC.match(line.strip())
		if m:
			return m.group(0)[:160]
	rest = [l.strip() for l in lines if l.strip() and not QEMU_LINE.match(l)]
	return ('its last line: ' + rest[-1][:140]) if rest else 'nothing'


@dataclass(frozen=True)
class LockdepOff:
	"""Where lockdep switched itself off without a report of its own."""
	index: int		# of its line in the log
	said: List[str]		# the lines that say so
	when: str		# "during <the case that was running>", or
				# "before the first case"


def lockdep_switched_off(lines, reports):
	"""Where lockdep switched itself off without a report of its own,
	before or during the cases (a LockdepOff), or None.  A line after
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
			return LockdepOff(i, said, 'before the first case')
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
			return LockdepOff(i, said, 'during %s.%s%s' % (suite, m.group(4),
								     '.' + param if param else ''))
		return None
	return None

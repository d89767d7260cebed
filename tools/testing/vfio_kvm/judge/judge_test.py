#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Unit tests of the judge's parsing and matching, each on a few lines
# written here, as kunit_tool_test.py tests kunit.py's parser; the
# recorded runs of judge-tests/ test it whole.  vkt_results_test.py runs
# these too.  Alone:
#
#	VKT_KUNIT_DIR=<kernel tree>/tools/testing/kunit \
#		python3 tools/testing/vfio_kvm/judge/judge_test.py
#
# (the tests of judge_boot and of what uses it need kunit.py's parser).

import contextlib
import io
import os
import re
import sys
import tempfile
import textwrap
import unittest
import warnings

here = os.path.dirname(os.path.abspath(__file__))
if os.path.dirname(here) not in sys.path:
	sys.path.insert(0, os.path.dirname(here))

from judge import coverage, expect, ktap, modules, record, reports  # noqa: E402
from judge.ktap import Leaf, Run  # noqa: E402


def lines_of(text):
	"""A log written in a test: its lines, the common indentation gone."""
	return textwrap.dedent(text).strip('\n').splitlines()


class TempDir(unittest.TestCase):
	"""A test with a directory of its own, for the judge's files."""

	def setUp(self):
		# the judge lets the garbage collector close what it read
		warnings.simplefilter('ignore', ResourceWarning)
		self._tmp = tempfile.TemporaryDirectory()
		self.dir = self._tmp.name

	def tearDown(self):
		self._tmp.cleanup()

	def write(self, name, text):
		path = os.path.join(self.dir, name)
		with open(path, 'w') as f:
			f.write(textwrap.dedent(text).lstrip('\n'))
		return path


class WithParser(unittest.TestCase):
	"""A test that needs kunit.py's KTAP parser ($VKT_KUNIT_DIR)."""

	@classmethod
	def setUpClass(cls):
		try:
			ktap.load_kunit_parser(None)
		except SystemExit as e:
			raise RuntimeError(str(e)) from None


# A suite of two cases, the second failing, as a 7.x kernel prints it
# (after clean(): no printk prefix).
KTAP_ONE_FAILS = '''
	KTAP version 1
	1..1
	    KTAP version 1
	    # Subtest: suite_a
	    1..2
	    ok 1 case_one
	    # case_two: EXPECTATION FAILED at drivers/vfio/tests/a.c:10
	    Expected x == y, but
	        x == 1
	        y == 2
	    device->kvm has users_count 2
	    not ok 2 case_two
	# suite_a: pass:1 fail:1 skip:0 total:2
	# Totals: pass:1 fail:1 skip:0 total:2
	not ok 1 suite_a
'''

KTAP_ALL_PASS = '''
	KTAP version 1
	1..1
	    KTAP version 1
	    # Subtest: suite_a
	    1..2
	    ok 1 case_one
	    ok 2 case_two
	# suite_a: pass:2 fail:0 skip:0 total:2
	# Totals: pass:2 fail:0 skip:0 total:2
	ok 1 suite_a
'''


class PrintkPrefixTest(unittest.TestCase):

	def test_time(self):
		self.assertEqual(ktap.clean('[    1.234567] KTAP version 1'), 'KTAP version 1')

	def test_time_and_caller(self):
		self.assertEqual(ktap.clean('[    1.234567][   T72]     ok 1 case'), '    ok 1 case')
		self.assertEqual(ktap.clean('[   12.000001][     C1] BUG: x'), 'BUG: x')

	def test_caller_only(self):
		self.assertEqual(ktap.clean('[   T72]     # Subtest: s'), '    # Subtest: s')

	def test_indentation_kept_trailing_space_dropped(self):
		self.assertEqual(ktap.clean('        ok 1 group   '), '        ok 1 group')

	def test_read_lines_of_a_missing_file(self):
		self.assertEqual(ktap.read_lines('/nonexistent/guest.log'), [])


class KtapMendingTest(unittest.TestCase):

	def test_drop_replayed(self):
		got = ktap.drop_replayed(['    # Subtest: kunit',
					  '** replaying previous printk message **',
					  '    # Subtest: kunit_reports_lockdep', '    1..1'])
		self.assertEqual(got, ['    # Subtest: kunit_reports_lockdep', '    1..1'])

	def test_drop_replayed_after_an_empty_line(self):
		# an empty line before the marker is not the cut message
		got = ktap.drop_replayed(['a', '', '** replaying previous printk message **', 'b'])
		self.assertEqual(got, ['a', '', 'b'])

	def test_mend_headers_moves_a_line_out_of_a_header(self):
		got = ktap.mend_headers(['    KTAP version 1',
					 'input: AT Raw Set 2 keyboard as /devices/x',
					 '    # Subtest: suite_a',
					 '    1..1'])
		self.assertEqual(got, ['input: AT Raw Set 2 keyboard as /devices/x',
				       '    KTAP version 1',
				       '    # Subtest: suite_a',
				       '    1..1'])

	def test_mend_headers_leaves_a_header_whole(self):
		whole = ['    KTAP version 1', '    # Subtest: suite_a', '    1..1']
		self.assertEqual(ktap.mend_headers(whole), whole)

	def test_drop_empty_run_before_a_module_run(self):
		got = ktap.drop_empty_run(['KTAP version 1', '1..0', 'x', 'KTAP version 1', '1..1'])
		self.assertEqual(got, ['x', 'KTAP version 1', '1..1'])

	def test_drop_empty_run_alone_is_kept(self):
		lone = ['KTAP version 1', '1..0']
		self.assertEqual(ktap.drop_empty_run(lone), lone)


class GlobTest(unittest.TestCase):

	def test_every_case(self):
		self.assertTrue(ktap.glob_matches('', 'a.b'))
		self.assertTrue(ktap.glob_matches('*', 'a.b'))

	def test_suite(self):
		self.assertTrue(ktap.glob_matches('vfio_kvm_r*', 'vfio_kvm_ref.x'))
		self.assertFalse(ktap.glob_matches('vfio_kvm_r*', 'vfio_kvm_lock.x'))

	def test_suite_and_case(self):
		self.assertTrue(ktap.glob_matches('vfio_kvm_ref.*_no_vm', 'vfio_kvm_ref.vfio_kvm_ref_no_vm'))
		self.assertFalse(ktap.glob_matches('vfio_kvm_ref.*_no_vm', 'vfio_kvm_ref.vfio_kvm_ref_dying_vm'))


class LeafTest(unittest.TestCase):

	LOG = lines_of('''
		# case_two: EXPECTATION FAILED at drivers/vfio/tests/a.c:10
		Expected x == y, but
		    x == 1
		    y == 2
		device->kvm has users_count 2
		# case_two: ASSERTION FAILED at drivers/vfio/tests/a.c:20
		the VM was destroyed
		# case_two: a line of the case's own
		not counted
	''')

	def test_blocks(self):
		leaf = Leaf('suite_a.case_two', 'FAIL', self.LOG)
		self.assertEqual([[(l.depth, l.text) for l in b] for b in leaf.blocks()], [
			[(0, 'EXPECTATION FAILED at drivers/vfio/tests/a.c:10'),
			 (0, 'Expected x == y, but'), (4, 'x == 1'), (4, 'y == 2'),
			 (0, 'device->kvm has users_count 2')],
			[(0, 'ASSERTION FAILED at drivers/vfio/tests/a.c:20'),
			 (0, 'the VM was destroyed')]])

	def test_failures_and_text(self):
		leaf = Leaf('suite_a.case_two', 'FAIL', self.LOG)
		self.assertEqual(len(leaf.failures()), 2)
		self.assertIn('device->kvm has users_count 2', leaf.text())
		self.assertIn('the VM was destroyed', leaf.text())
		self.assertNotIn('not counted', leaf.text())

	def test_why_is_the_first_message_after_the_expected_lines(self):
		leaf = Leaf('suite_a.case_two', 'FAIL', self.LOG)
		self.assertEqual(leaf.why(), 'device->kvm has users_count 2')

	def test_why_without_a_message(self):
		leaf = Leaf('s.c', 'FAIL', ['# c: EXPECTATION FAILED at a.c:1', 'Expected a == b'])
		self.assertEqual(leaf.why(), 'Expected a == b')

	def test_why_without_a_failed_check(self):
		self.assertEqual(Leaf('s.c', 'FAIL', ['  Oops: 0010', 'x']).why(), 'Oops: 0010')
		self.assertEqual(Leaf('s.c', 'FAIL', []).why(), '')

	def test_skip_and_missing_say_their_reason(self):
		for status in ('SKIP', 'MISSING'):
			leaf = Leaf('s.c', status, self.LOG)
			leaf.reason = 'no device cdev path'
			self.assertEqual(leaf.text(), 'no device cdev path')
			self.assertEqual(leaf.why(), 'no device cdev path')

	def test_skip_reasons_from_result_lines(self):
		leaves = [Leaf('s.c.cdev', 'SKIP', []), Leaf('s.d.cdev', 'SKIP', []),
			  Leaf('s.c.group', 'PASS', [])]
		ktap.skip_reasons(['        ok 1 group', '        ok 2 cdev # SKIP no cdev path',
				   '        ok 2 cdev # SKIP second reason'], leaves)
		self.assertEqual([l.reason for l in leaves], ['no cdev path', 'second reason', ''])


class FindReportsTest(unittest.TestCase):

	def test_a_warn_s_message_takes_its_warning_line(self):
		# the message's report goes on through the WARNING line and its
		# trace (the WARNING line begins a report of its own too)
		log = lines_of('''
			refcount_t: underflow; use-after-free.
			WARNING: CPU: 1 PID: 57 at lib/refcount.c:28 refcount_warn_saturate+0x1/0x2
			Call Trace:
			---[ end trace 0000000000000000 ]---
			after
		''')
		found = reports.find_reports(log, boot=3)
		self.assertEqual(found[0].headline, 'refcount_t: underflow; use-after-free.')
		self.assertEqual((found[0].boot, found[0].index), (3, 0))
		self.assertEqual(found[0].lines, log[:4])
		self.assertEqual([r.index for r in found], [0, 1])

	def test_the_7x_warn_line(self):
		log = ['refcount_t: saturated; leaking memory.',
		       'WARNING: lib/refcount.c:22 at refcount_warn_saturate+0x1/0x2, CPU#0: kunit/70']
		self.assertEqual(reports.find_reports(log)[0].lines, log)

	def test_a_report_s_lines_end_at_its_trace(self):
		log = ['WARNING: CPU: 0 PID: 1 at x.c:1 f+0x1/0x2', 'Call Trace:',
		       '---[ end trace 0000000000000000 ]---', 'after']
		self.assertEqual(reports.find_reports(log)[0].lines, log[:3])

	def test_the_next_report_ends_one(self):
		log = ['BUG: sleeping function called from invalid context', 'x',
		       'Oops: 0010 [#1] PREEMPT SMP NOPTI', 'y']
		found = reports.find_reports(log)
		self.assertEqual([r.headline for r in found],
				 ['BUG: sleeping function called from invalid context',
				  'Oops: 0010 [#1] PREEMPT SMP NOPTI'])
		self.assertEqual(found[0].lines, log[:2])

	def test_no_report(self):
		self.assertEqual(reports.find_reports(['    ok 1 case', 'a WARNING: in the middle']), [])

	def test_self_test_reports_are_exempt(self):
		found = reports.find_reports(['WARNING: CPU: 0 PID: 1 at x.c:1 kunit_reports_warn+0x1/0x2'])
		self.assertTrue(found[0].exempt())
		found = reports.find_reports(['WARNING: CPU: 0 PID: 1 at x.c:1 vfio_df_close+0x1/0x2'])
		self.assertFalse(found[0].exempt())


class LastWordsTest(unittest.TestCase):

	def test_the_last_report(self):
		log = ['Oops: 0010 [#1]', 'RIP: x', 'Kernel panic - not syncing: Fatal exception', 'end']
		self.assertEqual(reports.last_words(log), 'Kernel panic - not syncing: Fatal exception')

	def test_the_last_line_but_qemu_s(self):
		log = ['    ok 1 case', 'qemu-system-x86_64: terminating on signal 15', '']
		self.assertEqual(reports.last_words(log), 'its last line: ok 1 case')

	def test_nothing(self):
		self.assertEqual(reports.last_words([]), 'nothing')

	def test_kvm_internal_error_is_not_the_guest_s(self):
		got = reports.last_words(['KVM internal error. Suberror: 1', 'extra data', 'BUG: x'])
		self.assertTrue(got.startswith('QEMU stopped the guest: "KVM internal error. Suberror: 1"'))


class LockdepSwitchedOffTest(unittest.TestCase):

	def off(self, text):
		log = lines_of(text)
		return reports.lockdep_switched_off(log, reports.find_reports(log))

	def test_a_taint_before_the_first_case(self):
		off = self.off('''
			Disabling lock debugging due to kernel taint
			    # Subtest: suite_a
			    ok 1 case_one
		''')
		self.assertEqual(off, reports.LockdepOff(0, ['Disabling lock debugging due to kernel taint'],
							 'before the first case'))

	def test_a_full_table_during_a_parameter(self):
		off = self.off('''
			    # Subtest: suite_a
			        # Subtest: case_one
			BUG: MAX_LOCKDEP_CHAINS too low!
			turning off the locking correctness validator.
			        ok 1 group
			        ok 2 cdev
			    ok 1 case_one
		''')
		self.assertEqual(off.index, 2)
		self.assertEqual(off.said, ['BUG: MAX_LOCKDEP_CHAINS too low!',
					    'turning off the locking correctness validator.'])
		self.assertEqual(off.when, 'during suite_a.case_one.group')

	def test_turning_off_names_the_limit_above_it(self):
		off = self.off('''
			    # Subtest: suite_a
			INFO: trying to register non-static key.
			turning off the locking correctness validator.
			    ok 1 case_one
		''')
		self.assertEqual(off.said, ['INFO: trying to register non-static key.',
					    'turning off the locking correctness validator.'])
		self.assertEqual(off.when, 'during suite_a.case_one')

	def test_after_a_report_it_is_the_report_s_doing(self):
		self.assertIsNone(self.off('''
			    # Subtest: suite_a
			WARNING: possible circular locking dependency detected
			Disabling lock debugging due to kernel taint
			    ok 1 case_one
		'''))

	def test_after_the_last_case(self):
		self.assertIsNone(self.off('''
			    # Subtest: suite_a
			    ok 1 case_one
			Disabling lock debugging due to kernel taint
		'''))


class ExpectedTxtTest(TempDir):

	TEXT = '''
		# kernel lockdep case outcome [/reason/] [fix:PATCH] why
		6.12 n suite_a.*            skip /lockdep is off/ nothing observes the lock order

		6.12 * suite_a.case_two     fail /users_count \\d/ fix:../patches/fixes/x.patch kernel bug: the count
		6.* * suite_a.case_three    any the race may or may not hit
		* * suite_a.case_four       fail no pattern, no fix
	'''

	def rows(self):
		return expect.load_expected(self.write('expected.txt', self.TEXT))

	def test_load(self):
		rows = self.rows()
		self.assertEqual(len(rows), 4)
		self.assertEqual(rows[1].kernel, '6.12')
		self.assertEqual(rows[1].lockdep, '*')
		self.assertEqual(rows[1].case, 'suite_a.case_two')
		self.assertEqual(rows[1].outcome, 'fail')
		self.assertEqual(rows[1].pattern.pattern, r'users_count \d')
		self.assertEqual(rows[1].fix, '../patches/fixes/x.patch')
		self.assertEqual(rows[1].why, 'kernel bug: the count')
		self.assertEqual((rows[2].pattern, rows[2].fix, rows[2].why),
				 (None, None, 'the race may or may not hit'))
		self.assertEqual((rows[3].pattern, rows[3].fix, rows[3].why),
				 (None, None, 'no pattern, no fix'))

	def test_the_first_matching_line_wins(self):
		rows = self.rows()
		self.assertEqual(expect.expected_row(rows, '6.12', 'n', 'suite_a.case_two').outcome, 'skip')
		self.assertEqual(expect.expected_row(rows, '6.12', 'y', 'suite_a.case_two').outcome, 'fail')

	def test_kernel_and_lockdep_globs(self):
		rows = self.rows()
		self.assertEqual(expect.expected_row(rows, '6.1', 'y', 'suite_a.case_three'), rows[2])
		self.assertIsNone(expect.expected_row(rows, '7.3', 'y', 'suite_a.case_three'))
		self.assertEqual(expect.expected_row(rows, '7.3', 'y', 'suite_a.case_four'), rows[3])

	def test_no_line_means_pass(self):
		row = expect.expected_for(self.rows(), '7.3', 'y', 'suite_b.case')
		self.assertEqual((row.outcome, row.pattern, row.why), ('pass', None, ''))


class OutcomeTest(unittest.TestCase):

	def test_outcome_met(self):
		pattern = re.compile('users_count')
		self.assertEqual(expect.outcome_met('pass', '', 'pass', None), (True, ''))
		self.assertEqual(expect.outcome_met('fail', 'users_count 2', 'fail', pattern), (True, ''))
		self.assertEqual(expect.outcome_met('fail', 'x', 'pass', None), (False, ''))
		self.assertEqual(expect.outcome_met('skip', 'x', 'any', None), (True, ''))

	def test_the_wrong_reason(self):
		pattern = re.compile('users_count')
		self.assertEqual(expect.outcome_met('fail', 'no VM', 'fail', pattern),
				 (False, 'failed for another reason: '))
		self.assertEqual(expect.outcome_met('skip', 'no VM', 'skip', pattern),
				 (False, 'skipped for another reason: '))

	def test_missing_never_meets(self):
		self.assertEqual(expect.outcome_met('missing', 'the kernel panicked', 'any', None),
				 (False, 'never ran (the kernel panicked)'))

	def test_meets_matches_the_failed_checks_messages(self):
		leaf = Leaf('s.c', 'FAIL', ['# c: EXPECTATION FAILED at a.c:1', 'users_count 2',
					    '# c: a line of the case', 'lockdep'])
		self.assertTrue(expect.meets(leaf, 'fail', re.compile('users_count'))[0])
		self.assertFalse(expect.meets(leaf, 'fail', re.compile('lockdep'))[0])

	def test_excerpt(self):
		text = 'first line\n' + 'a' * 200 + ' users_count 2 rest'
		m = re.search('users_count', text)
		self.assertEqual(expect.excerpt(text, m, 20), '...' + 'a' * 8 + ' users_count')
		m = re.search('first', text)
		self.assertEqual(expect.excerpt(text, m), 'first')


class KnownFailureTest(TempDir):

	def test_known_failure(self):
		path = self.write('expected.txt', '''
			6.12 * s.bug    fail /users_count/ fix:patches/fixes/x.patch kernel bug
			6.12 * s.said   fail /users_count/ the overlay's count
			6.12 * s.race   any the race
		''')
		rows = expect.load_expected(path)
		run = Run()
		run.kernel, run.version = '6.12', '6.12.117'
		log = ['# c: EXPECTATION FAILED at a.c:1', 'users_count 2']
		self.assertEqual(expect.known_failure(rows, run, Leaf('s.bug', 'FAIL', log), path),
				 '(known kernel bug in 6.12.117, fixed by %s) ' %
				 os.path.relpath(os.path.join(self.dir, 'patches/fixes/x.patch'), expect.REPO))
		self.assertEqual(expect.known_failure(rows, run, Leaf('s.said', 'FAIL', log), path),
				 '(expected on 6.12.117: the overlay\'s count) ')
		self.assertEqual(expect.known_failure(rows, run, Leaf('s.race', 'FAIL', log), path),
				 '(may fail on 6.12.117: the race) ')
		self.assertEqual(expect.known_failure(rows, run, Leaf('s.bug', 'FAIL', ['other']), path), '')
		self.assertEqual(expect.known_failure(rows, run, Leaf('s.other', 'FAIL', log), path), '')
		self.assertEqual(expect.known_failure(None, run, Leaf('s.bug', 'FAIL', log), path), '')
		run.kernel = None
		self.assertEqual(expect.known_failure(rows, run, Leaf('s.bug', 'FAIL', log), path), '')


class HistoryTest(TempDir):

	def test_read_history(self):
		a = self.write('a.txt', 's.one PASS\ns.two FAIL\n')
		b = self.write('b.txt', 's.three MISSING\ns.four SKIP\n\n')
		self.assertEqual(expect.read_history([a, b, os.path.join(self.dir, 'none')]),
				 {'s.two', 's.three'})


class RecordTest(TempDir):

	def test_read_record(self):
		self.write('rec.cases', 's.one\n\ns.two\n')
		self.write('rec.boots', '''
			kunit	/src/tools/testing/kunit
			cases	rec.cases
			kernel	modules-7.3
			lockdep	y
			hung	vfio_kvm*	rec.boot0.hung.log	124
			boot	vfio_kvm*	rec.boot0.log	124
			boot	*	rec.boot1.log
		''')
		rec = record.read_record(os.path.join(self.dir, 'rec.json'))
		self.assertEqual(rec.kunit_dir, '/src/tools/testing/kunit')
		self.assertEqual(rec.cases, ['s.one', 's.two'])
		self.assertEqual((rec.kernel, rec.lockdep), ('modules-7.3', 'y'))
		self.assertEqual(rec.boots, [
			record.Boot('vfio_kvm*', os.path.join(self.dir, 'rec.boot0.log'), 124),
			record.Boot('', os.path.join(self.dir, 'rec.boot1.log'), 0)])
		self.assertEqual(rec.hung, [
			record.HungBoot(0, 'vfio_kvm*', os.path.join(self.dir, 'rec.boot0.hung.log'))])

	def test_an_old_record(self):
		self.write('rec.boots', 'kunit\t-\ncases\tgone.cases\nboot\t*\tlog\t1\n')
		rec = record.read_record(os.path.join(self.dir, 'rec'))
		self.assertIsNone(rec.cases)
		self.assertEqual((rec.kernel, rec.lockdep), (None, None))


class JudgeBootTest(WithParser):

	def judge(self, text, cases=None, glob='', rc=0, lockdep=None):
		run = Run()
		ktap.judge_boot(run, lines_of(text), glob, cases, 0, rc, lockdep)
		return run

	def test_all_pass(self):
		run = self.judge(KTAP_ALL_PASS, ['suite_a.case_one', 'suite_a.case_two'])
		self.assertEqual([(l.name, l.status) for l in run.leaves],
				 [('suite_a.case_one', 'PASS'), ('suite_a.case_two', 'PASS')])
		self.assertTrue(run.ok())

	def test_a_failed_case(self):
		run = self.judge(KTAP_ONE_FAILS, ['suite_a.case_one', 'suite_a.case_two'])
		self.assertEqual([l.name for l in run.failed()], ['suite_a.case_two'])
		self.assertEqual(run.failed()[0].why(), 'device->kvm has users_count 2')
		self.assertEqual((run.missing, run.problems, run.reports), ([], [], []))
		self.assertFalse(run.ok())

	def test_a_case_the_kernel_lists_that_never_ran(self):
		run = self.judge(KTAP_ALL_PASS, ['suite_a.case_one', 'suite_a.case_two',
						 'suite_a.case_three', 'suite_b.case'], glob='suite_a')
		self.assertEqual([m.name for m in run.missing], ['suite_a.case_three'])
		self.assertTrue(run.missing[0].reason.startswith('never printed a result; '))

	def test_a_filter_that_selects_nothing(self):
		run = self.judge(KTAP_ALL_PASS, ['suite_a.case_one', 'suite_a.case_two'], glob='suite_b')
		self.assertIn('boot 0 (suite_b): the filter selects none of the kernel\'s cases',
			      run.problems)

	def test_no_ktap(self):
		run = self.judge('''
			Linux version 7.3.4
			Running RCU-tasks wait API self tests
		''', ['suite_a.case_one'], rc=124)
		self.assertFalse(run.seen_ktap)
		self.assertEqual(run.problems, [
			'boot 0: no KTAP output: the guest hung before KUnit started and was '
			'stopped at its time limit (its last line: Running RCU-tasks wait API self tests)'])
		self.assertEqual([m.name for m in run.missing], ['suite_a.case_one'])

	def test_a_hung_guest(self):
		run = self.judge(KTAP_ALL_PASS, rc=124)
		self.assertEqual(len(run.problems), 1)
		self.assertTrue(run.problems[0].startswith('boot 0: the guest hung and was stopped'))

	def test_a_report_between_cases_is_unaccounted(self):
		text = KTAP_ALL_PASS.replace(
			'    ok 2 case_two',
			'WARNING: CPU: 1 PID: 57 at drivers/vfio/vfio_main.c:1 vfio_df_close+0x42/0x90\n'
			'\t---[ end trace 0000000000000000 ]---\n'
			'\t    ok 2 case_two')
		run = self.judge(text)
		self.assertEqual(len(run.reports), 1)
		self.assertEqual(run.reports[0].where, 'ok 1 case_one')
		self.assertFalse(run.ok())

	def test_a_report_named_by_a_failed_case_is_accounted_for(self):
		text = KTAP_ONE_FAILS.replace(
			'    ok 1 case_one',
			'    ok 1 case_one\n'
			'\tWARNING: CPU: 1 PID: 57 at drivers/vfio/vfio_main.c:1 vfio_df_close+0x42/0x90').replace(
			'    device->kvm has users_count 2',
			'    reported WARNING: CPU: 1 PID: 57 at drivers/vfio/vfio_main.c:1 vfio_df_close+0x42/0x90')
		run = self.judge(text)
		self.assertEqual(run.reports, [])

	def test_a_report_at_boot(self):
		run = self.judge('BUG: kernel NULL pointer dereference\n' + textwrap.dedent(KTAP_ALL_PASS))
		self.assertEqual(run.reports[0].where, 'before the first KTAP line (boot)')

	def test_lockdep_switched_off(self):
		text = KTAP_ALL_PASS.replace('    ok 1 case_one',
					     'Disabling lock debugging due to kernel taint\n\t    ok 1 case_one')
		self.assertEqual(self.judge(text, lockdep='n').problems, [])
		problems = self.judge(text, lockdep='y').problems
		self.assertEqual(len(problems), 1)
		self.assertIn('lockdep switched itself off during suite_a.case_one', problems[0])

	def test_a_suite_that_failed_to_initialize(self):
		run = self.judge('''
			KTAP version 1
			1..1
			    KTAP version 1
			    # Subtest: suite_a
			    # suite_a: failed to initialize (-12)
			not ok 1 suite_a
		''')
		self.assertIn('suite suite_a failed outside its cases: # suite_a: failed to initialize (-12)',
			      run.problems)

	def test_skipped_with_a_reason(self):
		run = self.judge(KTAP_ALL_PASS.replace('ok 2 case_two', 'ok 2 case_two # SKIP no cdev path'))
		self.assertEqual([(l.status, l.reason) for l in run.leaves],
				 [('PASS', ''), ('SKIP', 'no cdev path')])


class JudgeRecordTest(WithParser, TempDir):

	def test_judge_record(self):
		self.write('rec.cases', 'suite_a.case_one\nsuite_a.case_two\n')
		self.write('rec.boot0.log', 'Linux version 7.3.4 (x)\n' + textwrap.dedent(KTAP_ONE_FAILS))
		self.write('rec.boot0.hung.log', 'Running RCU-tasks wait API self tests\n')
		self.write('rec.boots', '''
			kunit	-
			cases	rec.cases
			kernel	7.3
			lockdep	y
			hung	*	rec.boot0.hung.log	124
			boot	*	rec.boot0.log	1
		''')
		run = record.judge_record(os.path.join(self.dir, 'rec.boots'))
		self.assertEqual((run.kernel, run.lockdep, run.version), ('7.3', 'y', '7.3.4'))
		self.assertEqual([l.status for l in run.leaves], ['PASS', 'FAIL'])
		self.assertEqual(run.notes, [
			'boot 0 (*) was booted twice: the first guest hung before KUnit started and '
			'was stopped (its last line: Running RCU-tasks wait API self tests)'])
		self.assertEqual(record.judge_record(os.path.join(self.dir, 'rec'), 'n').lockdep, 'n')


class ModulesTest(unittest.TestCase):

	def test_section(self):
		lines = ['a', 'vkt: x begin', 'b', 'c', 'vkt: x end', 'd']
		self.assertEqual(modules.section(lines, 'vkt: x begin', 'vkt: x end'), ['b', 'c'])
		self.assertIsNone(modules.section(lines, 'vkt: y begin', 'vkt: y end'))
		self.assertIsNone(modules.section(['vkt: x begin', 'b'], 'vkt: x begin', 'vkt: x end'))

	def test_module_suites(self):
		self.assertEqual(modules.module_suites(['vkt: suites s_a s_b']), ('s_a', 's_b'))
		self.assertEqual(modules.module_suites([]), modules.SUITES)

	def test_drop_headless_params(self):
		lines = ['        # Subtest: case_one', '        ok 1 group', '    ok 1 case_one',
			 '        ok 2 cdev', '    ok 2 case_two']
		self.assertEqual(modules.drop_headless_params(lines),
				 ['        # Subtest: case_one', '        ok 1 group', '    ok 1 case_one',
				  '    ok 2 case_two'])

	def test_leak_origins(self):
		leaks = modules.leak_origins(lines_of('''
			kmemleak: 2 new suspected memory leaks
			unreferenced object 0xffff8880 (size 32):
			  comm "modprobe", pid 70
			  backtrace (crc 0):
			    [<ffffffff8100>] kmemleak_alloc+0x4a/0x80
			    [<ffffffff8200>] __kmalloc_cache_noprof+0x1/0x2
			    [<ffffffff8300>] vkt_env_init+0x10/0x20 [vfio_kvm_env]
			unreferenced object 0xffff8890 (size 64):
			  backtrace (crc 0):
			    kmalloc_trace+0x1/0x2
			    kmemleak_test_init+0x2/0x3 [kmemleak_test]
			unreferenced object 0xffff88a0 (size 8):
			  backtrace (crc 0):
			    [<ffffffff8100>] kmemleak_alloc+0x4a/0x80
		'''))
		self.assertEqual(leaks, [
			modules.Leak('unreferenced object 0xffff8880 (size 32):', 'vkt_env_init'),
			modules.Leak('unreferenced object 0xffff8890 (size 64):', 'kmemleak_test_init'),
			modules.Leak('unreferenced object 0xffff88a0 (size 8):', '?')])

	def test_init_log(self):
		self.assertEqual(modules.init_log('/x/guest.log'), '/x/guest-init.log')
		self.assertEqual(modules.init_lines('/nonexistent/guest.log', ['a']), ['a'])
		self.assertEqual(modules.init_lines('/nonexistent/guest.log', ['a', modules.TTYS1]),
				 ['a', modules.TTYS1])


class VendorUnloadTest(WithParser):

	RESULTS = '''
		vkt: results demo vfio_kvm_demo begin
		KTAP version 1
		1..1
		    KTAP version 1
		    # Subtest: vfio_kvm_demo
		    1..1
		    ok 1 vendor_unload
		# vfio_kvm_demo: pass:1 fail:0 skip:0 total:1
		ok 1 vfio_kvm_demo
		vkt: results demo vfio_kvm_demo end
	'''

	def test_no_hold(self):
		got, detail = modules.vendor_unload(['vkt: demo start', 'Kernel panic - not syncing: x'], 125)
		self.assertEqual(got, 'MISSING')
		self.assertIn('Kernel panic - not syncing: x', detail)

	def test_unloaded(self):
		got, detail = modules.vendor_unload(lines_of('''
			vkt: demo rmmod kvm_amd: status 0
			BUG: unable to handle page fault for address: ffffffffc0a00000
		'''), 125)
		self.assertEqual(got, 'FAIL')
		self.assertEqual(detail, 'kvm_amd was unloaded while VFIO alone held a VM; the device\'s '
				 'last close then: BUG: unable to handle page fault for address: ffffffffc0a00000')

	def test_refused(self):
		lines = lines_of(self.RESULTS) + ['vkt: demo rmmod kvm_amd: status 1 rmmod: ERROR: in use',
						  'vkt: demo end']
		got, detail = modules.vendor_unload(lines, 0)
		self.assertEqual(got, 'PASS')
		self.assertTrue(detail.startswith('1 unloads of kvm_amd refused while VFIO alone held a VM'))

	def test_refused_but_the_boot_did_not_end(self):
		lines = lines_of(self.RESULTS) + ['vkt: demo rmmod kvm_amd: status 1 in use']
		got, detail = modules.vendor_unload(lines, 124)
		self.assertEqual(got, 'FAIL')
		self.assertIn('the boot did not end cleanly (QEMU exit status 124', detail)


class CoverageTest(TempDir):

	def test_coverage(self):
		src = os.path.join(self.dir, 'src')
		os.mkdir(src)
		with open(os.path.join(src, 'a_kunit.c'), 'w') as f:
			f.write('\tKUNIT_EXPECT_EQ(test, x, 1);\n'
				'\tKUNIT_ASSERT_NOT_NULL(test, w);\n'
				'#define KUNIT_EXPECT_X(test) \\\n'
				'\tKUNIT_FAIL(test, "never");\n')
		with open(os.path.join(src, 'vfio_kvm_call.c'), 'w') as f:
			f.write('long vkt_call(void)\n{\n\tKUNIT_FAIL_AND_ABORT(ctx->test, "late");\n}\n'
				'\tKUNIT_FAIL(test, "outside vkt_call");\n')
		log = self.write('boot0.log', '# c: EXPECTATION FAILED at drivers/a_kunit.c:1\n')
		out = io.StringIO()
		with contextlib.redirect_stdout(out):
			coverage.cmd_coverage(src, [log])
		self.assertEqual(out.getvalue().splitlines(), [
			'  ok    a_kunit.c:1 KUNIT_EXPECT_EQ(test, x, 1); (boot0)',
			'  setup a_kunit.c:2 KUNIT_ASSERT_NOT_NULL(test, w);',
			'  NEVER a_kunit.c:4 KUNIT_FAIL(test, "never");',
			'  NEVER vfio_kvm_call.c:3 KUNIT_FAIL_AND_ABORT(ctx->test, "late");',
			'1 of 3 checks shown failing (1 setup guards not counted); never: 2'])


class CommandLineTest(unittest.TestCase):

	def main(self, *argv):
		import vkt_results
		err = io.StringIO()
		with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
			status = vkt_results.main(list(argv))
		return status, err.getvalue()

	def test_usage_errors_are_status_2(self):
		self.assertEqual(self.main()[0], 2)
		self.assertEqual(self.main('nonsense')[0], 2)
		self.assertEqual(self.main('run')[0], 2)
		status, err = self.main('modules', 'e', 'l', '1', 'k', 'y', '0', 'demo.log')
		self.assertEqual(status, 2)
		self.assertIn('DEMO_LOG and DEMO_RC go together', err)

	def test_every_command_is_described(self):
		import vkt_results
		self.assertEqual(set(vkt_results.described()), set(vkt_results.COMMANDS))


if __name__ == '__main__':
	unittest.main(verbosity=2)

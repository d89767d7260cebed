// SPDX-License-Identifier: GPL-2.0
/*
 * Self-tests of <kunit/reports.h>: each case makes the kernel print a
 * report on purpose and checks that it was captured with the right kind
 * and lock classes.  The deliberate reports taint the kernel and the ABBA
 * turns lockdep off for the rest of the boot: run these suites on their own
 * (CONFIG_KUNIT_REPORTS_TEST is off by default), kunit_reports_lockdep in a
 * boot of its own.
 */
#include <linux/debug_locks.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <kunit/reports.h>
#include <kunit/test.h>

/* Nothing printed, nothing captured: an ordinary line is no report. */
static void kunit_reports_clean(struct kunit *test)
{
	struct kunit_reports *reports = kunit_reports_watch(test);

	pr_info("kunit_reports_test: an ordinary line (not a WARNING: or BUG:)\n");
	KUNIT_EXPECT_EQ(test, kunit_reports_collect(reports), 0U);
	kunit_expect_no_report(test, reports, "a clean case");
}

static noinline void kunit_reports_test_warn(void)
{
	WARN(1, "kunit_reports_test: a deliberate WARN\n");
}

static void kunit_reports_warn(struct kunit *test)
{
	struct kunit_reports *reports = kunit_reports_watch(test);
	const struct kunit_report *report;

	kunit_reports_test_warn();
	KUNIT_EXPECT_REPORT(test, reports, KUNIT_REPORT_WARN);
	report = kunit_reports_find(reports, KUNIT_REPORT_WARN, NULL, 0);
	if (!report)
		return;
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(report->where, "kunit-reports-test.c"),
				  "where the WARN fired: \"%s\"", report->where);
	/* printed by this case's own task, which the log names if it can */
	if (IS_ENABLED(CONFIG_PRINTK_CALLER)) {
		char caller[sizeof(report->caller)];

		snprintf(caller, sizeof(caller), "T%d", task_pid_nr(current));
		KUNIT_EXPECT_STREQ(test, report->caller, caller);
	} else {
		KUNIT_EXPECT_STREQ(test, report->caller, "");
	}
}

static void kunit_reports_refcount(struct kunit *test)
{
	struct kunit_reports *reports = kunit_reports_watch(test);
	refcount_t count = REFCOUNT_INIT(0);

	/* underflow: refcount_t warns and saturates the private counter */
	KUNIT_EXPECT_FALSE(test, refcount_dec_and_test(&count));
	KUNIT_EXPECT_REPORT(test, reports, KUNIT_REPORT_REFCOUNT);
	kunit_reports_forget(reports);
	kunit_expect_no_report(test, reports, "after forgetting the reports");
}

static struct kunit_case kunit_reports_cases[] = {
	KUNIT_CASE(kunit_reports_clean),
	KUNIT_CASE(kunit_reports_warn),
	KUNIT_CASE(kunit_reports_refcount),
	{}
};

static struct kunit_suite kunit_reports_suite = {
	.name = "kunit_reports",
	.test_cases = kunit_reports_cases,
};

static struct lock_class_key kunit_reports_key_a, kunit_reports_key_b;

/* A deliberate ABBA on private lock classes, one order after the other. */
static void kunit_reports_abba(struct kunit *test)
{
	struct kunit_reports *reports;
	struct mutex a, b;

	if (!IS_ENABLED(CONFIG_PROVE_LOCKING))
		kunit_skip(test, "lockdep is off (CONFIG_PROVE_LOCKING=n)");
	if (!debug_locks)
		kunit_skip(test, "lockdep already reported in this boot (debug_locks=0)");

	__mutex_init(&a, "kunit_reports_test_a", &kunit_reports_key_a);
	__mutex_init(&b, "kunit_reports_test_b", &kunit_reports_key_b);
	reports = kunit_reports_watch(test);

	mutex_lock(&a);
	mutex_lock(&b);
	mutex_unlock(&b);
	mutex_unlock(&a);

	mutex_lock(&b);
	mutex_lock(&a);
	mutex_unlock(&a);
	mutex_unlock(&b);

	KUNIT_EXPECT_REPORT(test, reports, KUNIT_REPORT_CIRCULAR,
			    "kunit_reports_test_a", "kunit_reports_test_b");
}

static struct kunit_case kunit_reports_lockdep_cases[] = {
	KUNIT_CASE(kunit_reports_abba),
	{}
};

static struct kunit_suite kunit_reports_lockdep_suite = {
	.name = "kunit_reports_lockdep",
	.test_cases = kunit_reports_lockdep_cases,
};

kunit_test_suites(&kunit_reports_suite, &kunit_reports_lockdep_suite);

MODULE_DESCRIPTION("Self-tests of the KUnit kernel report capture");
MODULE_LICENSE("GPL");

// SPDX-License-Identifier: GPL-2.0
/*
 * Live self-tests of the suites' report capture (vfio_kvm_report.c): each
 * case makes the kernel print a report on purpose and checks that it was
 * captured with the right kind, place and lock classes, from printk
 * through the console tracepoint, on every kernel the runner builds.
 *
 * Not part of the suites proposed upstream: the deliberate reports taint
 * the kernel and the ABBA turns lockdep off for the rest of the boot, so
 * the runner builds this file into a module of its own
 * (CONFIG_KUNIT_REPORTS_TEST) and runs each suite in a boot of its own.
 * The suite and function names are the ones the judge knows the deliberate
 * reports by.  A self-test that did not capture its report says so with
 * the tag [report-expected] (see vfio_kvm_env.h).
 *
 * The module has its own copy of the capture, under other names: the
 * suites' module may be built in beside it.
 */
#define vkt_reports_new	vkt_selftest_reports_new
#define vkt_reports_watch	vkt_selftest_reports_watch
#define vkt_reports_describe	vkt_selftest_reports_describe
#define vkt_reports_forget	vkt_selftest_reports_forget
#define vkt_reports_feed	vkt_selftest_reports_feed
#define vkt_reports_seen	vkt_selftest_reports_seen
#include "vfio_kvm_report.c"

#include <linux/debug_locks.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <kunit/test.h>

/* Expect a report whose description has each string that follows. */
#define VKT_EXPECT_REPORT(test, reports, ...)				\
	do {								\
		const char *const __has[] = { __VA_ARGS__ };		\
									\
		vkt_expect_report(test, reports, __has,			\
				  ARRAY_SIZE(__has));			\
	} while (0)

static void vkt_expect_report(struct kunit *test, struct vkt_reports *reports,
			      const char *const *has, size_t nr)
{
	char desc[VKT_REPORT_DESC_LEN];
	unsigned int i;
	size_t j;

	for (i = 0; vkt_reports_describe(reports, i, desc, sizeof(desc)); i++) {
		for (j = 0; j < nr && strstr(desc, has[j]); j++)
			;
		if (j == nr)
			return;
	}
	KUNIT_FAIL(test,
		   "[report-expected] expected a report of %s naming %zu more things, but the kernel reported %s",
		   has[0], nr - 1, i ? "others" : "nothing");
	for (i = 0; vkt_reports_describe(reports, i, desc, sizeof(desc)); i++)
		KUNIT_FAIL(test, "the kernel reported %s", desc);
}

/* Nothing printed, nothing captured: an ordinary line is no report. */
static void kunit_reports_clean(struct kunit *test)
{
	struct vkt_reports *reports = vkt_reports_watch(test);

	pr_info("kunit_reports_test: an ordinary line (not a WARNING: or BUG:)\n");
	VKT_EXPECT_NO_REPORT(test, reports, "a clean case");
}

static noinline void kunit_reports_test_warn(void)
{
	WARN(1, "kunit_reports_test: a deliberate WARN\n");
}

static void kunit_reports_warn(struct kunit *test)
{
	struct vkt_reports *reports = vkt_reports_watch(test);

	kunit_reports_test_warn();
	/* where it fired: the file the WARN names */
	VKT_EXPECT_REPORT(test, reports, "WARN (", kbasename(__FILE__));
}

static void kunit_reports_refcount(struct kunit *test)
{
	struct vkt_reports *reports = vkt_reports_watch(test);
	refcount_t count = REFCOUNT_INIT(0);

	/* underflow: refcount_t warns and saturates the private counter */
	KUNIT_EXPECT_FALSE(test, refcount_dec_and_test(&count));
	VKT_EXPECT_REPORT(test, reports, "refcount_t warning (");
	vkt_reports_forget(reports);
	VKT_EXPECT_NO_REPORT(test, reports, "after forgetting the reports");
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
	struct vkt_reports *reports;
	struct mutex a, b;

	if (!IS_ENABLED(CONFIG_PROVE_LOCKING))
		kunit_skip(test, "lockdep is off (CONFIG_PROVE_LOCKING=n)");
	if (!debug_locks)
		kunit_skip(test, "lockdep is off in this boot (debug_locks=0)");

	__mutex_init(&a, "kunit_reports_test_a", &kunit_reports_key_a);
	__mutex_init(&b, "kunit_reports_test_b", &kunit_reports_key_b);
	reports = vkt_reports_watch(test);

	mutex_lock(&a);
	mutex_lock(&b);
	mutex_unlock(&b);
	mutex_unlock(&a);

	mutex_lock(&b);
	mutex_lock(&a);
	mutex_unlock(&a);
	mutex_unlock(&b);

	VKT_EXPECT_REPORT(test, reports,
			  "lockdep: possible circular locking dependency (",
			  "lock classes: ", "kunit_reports_test_a",
			  "kunit_reports_test_b");
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

MODULE_DESCRIPTION("Live self-tests of the vfio <-> kvm suites' report capture");
MODULE_LICENSE("GPL");

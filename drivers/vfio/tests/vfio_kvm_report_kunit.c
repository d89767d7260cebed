// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit cases for the suites' capture of kernel reports: the pieces of
 * text the console tracepoint gives, as printk() stores them, fed to the
 * capture.  Nothing is printed, lockdep stays on and the kernel is not
 * tainted: they need no VM and run wherever KUnit does.
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <kunit/test.h>

#include "vfio_kvm_report.h"

static void vkt_feed(struct vkt_reports *reports, const char *const *text,
		     size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		vkt_reports_feed(reports, text[i]);
}

static void vkt_expect_desc(struct kunit *test, struct vkt_reports *reports,
			    unsigned int i, const char *desc)
{
	char buf[VKT_REPORT_DESC_LEN];

	KUNIT_ASSERT_TRUE(test, vkt_reports_describe(reports, i, buf,
						     sizeof(buf)));
	KUNIT_EXPECT_STREQ(test, buf, desc);
}

/*
 * A lockdep cycle as printk() stores it: each lock's name is a KERN_CONT
 * piece of its line, and the locks after "other info" are not the cycle's.
 */
static void vfio_kvm_report_circular(struct kunit *test)
{
	static const char *const text[] = {
		"\n", "======================================================",
		"WARNING: possible circular locking dependency detected",
		"vkt-call/72 is trying to acquire lock:",
		"ffff888004a39a30", " (", "&group->group_lock",
		"){+.+.}-{4:4}", ", at: vfio_file_set_kvm+0x1f/0x60",
		"\nbut task is already holding lock:",
		"ffff888004a38050", " (", "&kvm->lock", "){+.+.}-{4:4}",
		", at: kvm_device_release+0x30/0x80",
		"\n-> #1", " (", "(work_completion)(&w->work)", "){+.+.}-{0:0}",
		":", "       __mutex_lock+0x9b/0xa00",
		"other info that might help us debug this:",
		" (", "&not_the_cycle->lock", "){+.+.}-{4:4}",
	};
	struct vkt_reports *reports = vkt_reports_watch(test);

	vkt_feed(reports, text, ARRAY_SIZE(text));
	vkt_expect_desc(test, reports, 0,
			"lockdep: possible circular locking dependency (\"WARNING: possible circular locking dependency detected\"), lock classes: &group->group_lock, &kvm->lock, (work_completion)(&w->work)");
	KUNIT_EXPECT_FALSE(test, vkt_reports_describe(reports, 1, NULL, 0));
	vkt_reports_forget(reports);
}

/* A WARN's headline names where it fired; ordinary lines are no report. */
static void vfio_kvm_report_warn(struct kunit *test)
{
	static const char *const text[] = {
		"vfio-kvm-mock vfio-kvm-mock.0.auto: Adding to iommu group 0",
		"------------[ cut here ]------------",
		"WARNING: drivers/vfio/vfio_main.c:473 at vfio_device_put_kvm+0x57/0x60, CPU#0: vkt-call/72",
		"Modules linked in:",
	};
	struct vkt_reports *reports = vkt_reports_watch(test);

	vkt_feed(reports, text, 2);
	KUNIT_EXPECT_FALSE(test, vkt_reports_describe(reports, 0, NULL, 0));
	vkt_feed(reports, text + 2, 2);
	vkt_expect_desc(test, reports, 0,
			"WARN (\"WARNING: drivers/vfio/vfio_main.c:473 at vfio_device_put_kvm+0x57/0x60, CPU#0: vkt-call/72\")");
	vkt_reports_forget(reports);
}

/* More reports than are kept: the case is told; forgotten, none are left. */
static void vfio_kvm_report_lost(struct kunit *test)
{
	struct vkt_reports *reports = vkt_reports_watch(test);
	unsigned int i;

	for (i = 0; i < 5; i++)
		vkt_reports_feed(reports, "BUG: KCSAN: data-race in a / b");
	vkt_expect_desc(test, reports, 3,
			"BUG (\"BUG: KCSAN: data-race in a / b\")");
	vkt_expect_desc(test, reports, 4,
			"reports not kept (more than 4, or printed while the case read them)");
	vkt_reports_forget(reports);
	KUNIT_EXPECT_FALSE(test, vkt_reports_describe(reports, 0, NULL, 0));
}

static struct kunit_case vfio_kvm_report_cases[] = {
	KUNIT_CASE(vfio_kvm_report_circular),
	KUNIT_CASE(vfio_kvm_report_warn),
	KUNIT_CASE(vfio_kvm_report_lost),
	{}
};

static struct kunit_suite vfio_kvm_report_suite = {
	.name = "vfio_kvm_report",
	.test_cases = vfio_kvm_report_cases,
};

kunit_test_suites(&vfio_kvm_report_suite);

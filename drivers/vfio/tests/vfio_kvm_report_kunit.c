// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit cases for the suites' reading of kernel reports: lines of the log as
 * the kernel prints them, fed to the parser.  Nothing is printed: lockdep
 * stays on and the kernel is not tainted, so they run with the suites,
 * KUNIT_ALL_TESTS included.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <kunit/test.h>

#include "vfio_kvm_report.h"

static struct vkt_reports *vkt_parse(struct kunit *test,
				     const char *const *lines, size_t n)
{
	struct vkt_reports *reports = vkt_reports_watch(test);
	char *line;
	size_t i;

	for (i = 0; i < n; i++) {
		line = kunit_kstrdup(test, lines[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, line);
		vkt_reports_parse_line(reports, line);
	}
	return reports;
}

static void vkt_expect_desc(struct kunit *test, struct vkt_reports *reports,
			    unsigned int i, const char *desc)
{
	char *buf = kunit_kzalloc(test, VKT_REPORT_DESC_LEN, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_TRUE(test, vkt_reports_describe(reports, i, buf,
						     VKT_REPORT_DESC_LEN));
	KUNIT_EXPECT_STREQ(test, buf, desc);
}

/*
 * A cycle: its kind, the lock classes it is about in order, and its
 * dependency chain; not the locks its task happens to hold.
 */
static void vfio_kvm_report_circular(struct kunit *test)
{
	static const char *const lines[] = {
		"[   12.345678][   T72] ======================================================",
		"[   12.345678][   T72] WARNING: possible circular locking dependency detected",
		"[   12.345678][   T72] 7.3.4 #1 Not tainted",
		"[   12.345678][   T72] vkt-call/72 is trying to acquire lock:",
		"[   12.345678][   T72] ffff888003c0a0a8 (&group->group_lock){+.+.}-{4:4}, at: vfio_file_set_kvm+0x3c/0x80",
		"[   12.345678][   T72] but task is already holding lock:",
		"[   12.345678][   T72] ffffc90000bd1050 (&kvm->lock){+.+.}-{4:4}, at: kvm_device_release+0x2e/0xa0",
		"[   12.345678][   T72] the existing dependency chain (in reverse order) is:",
		"[   12.345678][   T72] -> #1 (&kvm->lock){+.+.}-{4:4}:",
		"[   12.345678][   T72]        __mutex_lock+0xa8/0xc10",
		"[   12.345678][   T72] -> #0 (&group->group_lock){+.+.}-{4:4}:",
		"[   12.345678][   T72]        __lock_acquire+0x14d0/0x24e0",
		"[   12.345678][   T72] other info that might help us debug this:",
		"[   12.345678][   T72]  lock(&kvm->lock);",
		"[   12.345678][   T72] 2 locks held by vkt-call/72:",
		"[   12.345678][   T72]  #0: ffff888003c0b000 (&mock->driver_lock){+.+.}-{4:4}, at: vkt_mock_close_device+0x1c/0x60",
	};
	static const char *const classes[] = {
		"&kvm->lock", "&group->group_lock",
	};
	struct vkt_reports *reports = vkt_parse(test, lines, ARRAY_SIZE(lines));

	KUNIT_EXPECT_TRUE(test, vkt_reports_find(reports, VKT_REPORT_CIRCULAR,
						 classes, ARRAY_SIZE(classes)));
	vkt_expect_desc(test, reports, 0,
			"lockdep: possible circular locking dependency (\"WARNING: possible circular locking dependency detected\"), lock classes: &group->group_lock, &kvm->lock; dependency chain: #1 &kvm->lock, #0 &group->group_lock; printed by pid 72");
	KUNIT_EXPECT_FALSE(test, vkt_reports_describe(reports, 1, NULL, 0));
	KUNIT_EXPECT_FALSE(test, vkt_reports_lost(reports));
}

/* A WARN names where it fired; lockdep's "WARNING:" lines name no place. */
static void vfio_kvm_report_warn(struct kunit *test)
{
	static const char *const lines[] = {
		"[    3.000000] ------------[ cut here ]------------",
		"[    3.000000] WARNING: fs/inode.c:408 at drop_nlink+0x24/0x40, CPU#0: vkt-call/70",
		"[    3.000000] RIP: 0010:drop_nlink+0x24/0x40",
		"[    3.000000] WARNING: suspicious RCU usage",
	};
	struct vkt_reports *reports = vkt_parse(test, lines, ARRAY_SIZE(lines));

	KUNIT_EXPECT_TRUE(test, vkt_reports_find(reports, VKT_REPORT_WARN,
						 NULL, 0));
	vkt_expect_desc(test, reports, 0,
			"WARN (\"WARNING: fs/inode.c:408 at drop_nlink+0x24/0x40, CPU#0: vkt-call/70\") at fs/inode.c:408");
	vkt_expect_desc(test, reports, 1,
			"lockdep report (\"WARNING: suspicious RCU usage\")");
}

/* A refcount_t warning is one report with its WARN's place. */
static void vfio_kvm_report_refcount(struct kunit *test)
{
	static const char *const lines[] = {
		"refcount_t: underflow; use-after-free.",
		"WARNING: lib/refcount.c:28 at refcount_warn_saturate+0x9c/0x100, CPU#1: kunit_try_catch/41",
		"BUG: sleeping function called from invalid context at kernel/locking/mutex.c:580",
	};
	struct vkt_reports *reports = vkt_parse(test, lines, ARRAY_SIZE(lines));

	vkt_expect_desc(test, reports, 0,
			"refcount_t warning (\"refcount_t: underflow; use-after-free.\") at lib/refcount.c:28");
	KUNIT_EXPECT_TRUE(test, vkt_reports_find(reports,
						 VKT_REPORT_SLEEP_IN_ATOMIC,
						 NULL, 0));
	KUNIT_EXPECT_FALSE(test, vkt_reports_describe(reports, 2, NULL, 0));
}

/* Ordinary lines are no reports; what does not fit is said to be lost. */
static void vfio_kvm_report_none_and_lost(struct kunit *test)
{
	static const char *const lines[] = {
		"vfio_kvm: an ordinary line that mentions WARNING: and BUG: inside",
		"    # vfio_kvm_lock_order_lock_kvm: pass:2 fail:0 skip:0 total:2",
	};
	static const char *const many[] = {
		"BUG: one", "BUG: two", "BUG: three", "BUG: four", "BUG: five",
	};
	struct vkt_reports *reports = vkt_parse(test, lines, ARRAY_SIZE(lines));

	KUNIT_EXPECT_FALSE(test, vkt_reports_describe(reports, 0, NULL, 0));
	KUNIT_EXPECT_FALSE(test, vkt_reports_lost(reports));

	reports = vkt_parse(test, many, ARRAY_SIZE(many));
	KUNIT_EXPECT_TRUE(test, vkt_reports_describe(reports, 3, NULL, 0));
	KUNIT_EXPECT_FALSE(test, vkt_reports_describe(reports, 4, NULL, 0));
	KUNIT_EXPECT_TRUE(test, vkt_reports_lost(reports));
}

static struct kunit_case vfio_kvm_report_cases[] = {
	KUNIT_CASE(vfio_kvm_report_circular),
	KUNIT_CASE(vfio_kvm_report_warn),
	KUNIT_CASE(vfio_kvm_report_refcount),
	KUNIT_CASE(vfio_kvm_report_none_and_lost),
	{}
};

static struct kunit_suite vfio_kvm_report_suite = {
	.name = "vfio_kvm_report",
	.test_cases = vfio_kvm_report_cases,
};

kunit_test_suite(vfio_kvm_report_suite);

MODULE_DESCRIPTION("KUnit tests for the VFIO <-> KVM lock order and KVM references");
MODULE_LICENSE("GPL");

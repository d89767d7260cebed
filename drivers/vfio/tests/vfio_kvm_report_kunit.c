// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit cases for the suites' capture of kernel reports: pieces of text as
 * the console tracepoint gives them, fed to a capture that does not read
 * the console.  Nothing is printed and no VM is needed.
 */
#include <linux/kernel.h>
#include <kunit/test.h>

#include "vfio_kvm_report.h"

struct vkt_report_feed {
	const char *name;
	const char *const *text;	/* NULL-terminated */
	unsigned int first;		/* the first report described */
	const char *const *desc;	/* NULL-terminated, from @first */
};

static const struct vkt_report_feed vkt_report_feeds[] = {
	{
		/*
		 * A lockdep cycle as printk() stores it: each lock's name is
		 * a KERN_CONT piece of its line, and the locks after "other
		 * info" are not the cycle's.
		 */
		.name = "circular",
		.text = (const char *const []) {
			"\n", "======================================================",
			"WARNING: possible circular locking dependency detected",
			"vkt-call/72 is trying to acquire lock:",
			"ffff888004a39a30", " (", "&group->group_lock",
			"){+.+.}-{4:4}", ", at: vfio_file_set_kvm+0x1f/0x60",
			"\nbut task is already holding lock:",
			"ffff888004a38050", " (", "&kvm->lock", "){+.+.}-{4:4}",
			", at: kvm_device_release+0x30/0x80",
			"\n-> #1", " (", "(work_completion)(&w->work)",
			"){+.+.}-{0:0}", ":", "       __mutex_lock+0x9b/0xa00",
			"other info that might help us debug this:",
			" (", "&not_the_cycle->lock", "){+.+.}-{4:4}", NULL,
		},
		.desc = (const char *const []) {
			"lockdep: possible circular locking dependency (\"WARNING: possible circular locking dependency detected\"), lock classes: &group->group_lock, &kvm->lock, (work_completion)(&w->work)",
			NULL,
		},
	}, {
		/* A WARN's headline names where it fired; other lines are no report. */
		.name = "warn",
		.text = (const char *const []) {
			"vfio-kvm-mock vfio-kvm-mock.0.auto: Adding to iommu group 0",
			"------------[ cut here ]------------",
			"WARNING: drivers/vfio/vfio_main.c:473 at vfio_device_put_kvm+0x57/0x60, CPU#0: vkt-call/72",
			"Modules linked in:", NULL,
		},
		.desc = (const char *const []) {
			"WARN (\"WARNING: drivers/vfio/vfio_main.c:473 at vfio_device_put_kvm+0x57/0x60, CPU#0: vkt-call/72\")",
			NULL,
		},
	}, {
		/* More reports than are kept: the case is told. */
		.name = "lost",
		.text = (const char *const []) {
			"BUG: KCSAN: data-race in a / b", "BUG: KCSAN: data-race in a / b",
			"BUG: KCSAN: data-race in a / b", "BUG: KCSAN: data-race in a / b",
			"BUG: KCSAN: data-race in a / b", NULL,
		},
		.first = 3,
		.desc = (const char *const []) {
			"BUG (\"BUG: KCSAN: data-race in a / b\")",
			"reports not kept (more than 4, or printed while the case read them)",
			NULL,
		},
	},
};

static void vkt_report_feed_desc(const struct vkt_report_feed *feed,
				 char *desc)
{
	strscpy(desc, feed->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(vkt_report_feeds, vkt_report_feeds, vkt_report_feed_desc);

/* The reports the capture makes of the text; forgotten, none are left. */
static void vfio_kvm_report_capture(struct kunit *test)
{
	const struct vkt_report_feed *feed = test->param_value;
	struct vkt_reports *reports = vkt_reports_new(test);
	char buf[VKT_REPORT_DESC_LEN];
	unsigned int i;

	for (i = 0; feed->text[i]; i++)
		vkt_reports_feed(reports, feed->text[i]);
	for (i = 0; feed->desc[i]; i++) {
		KUNIT_ASSERT_TRUE(test, vkt_reports_describe(reports, feed->first + i,
							     buf, sizeof(buf)));
		KUNIT_EXPECT_STREQ(test, buf, feed->desc[i]);
	}
	KUNIT_EXPECT_FALSE(test, vkt_reports_describe(reports, feed->first + i,
						      NULL, 0));
	vkt_reports_forget(reports);
	KUNIT_EXPECT_FALSE(test, vkt_reports_describe(reports, 0, NULL, 0));
}

static struct kunit_case vfio_kvm_report_cases[] = {
	KUNIT_CASE_PARAM(vfio_kvm_report_capture, vkt_report_feeds_gen_params),
	{}
};

static struct kunit_suite vfio_kvm_report_suite = {
	.name = "vfio_kvm_report",
	.test_cases = vfio_kvm_report_cases,
};

kunit_test_suites(&vfio_kvm_report_suite);

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel reports printed while a vfio <-> kvm case runs.
 *
 * A case that exercises locking or reference counting fails when the kernel
 * reports a problem while it runs, whichever thread printed it, and says
 * what was reported: the lock classes of a cycle, where a WARN fired.
 * lockdep reports from whichever task closes a cycle, often not the case's
 * own, and has no hook: the reports are read from the printk log, by record
 * sequence number, from the case.  Nothing runs where a report is printed.
 *
 * Recognised: lockdep reports (a circular dependency, an inconsistent lock
 * state, recursive locking, a held lock freed, a bad unlock balance, any
 * other lockdep "WARNING:"), a WARN(), a BUG() (sleeping in atomic context
 * apart), a refcount_t warning and an oops.
 */
#ifndef _VFIO_KVM_REPORT_H
#define _VFIO_KVM_REPORT_H

#include <linux/slab.h>
#include <kunit/test.h>

enum vkt_report_kind {
	VKT_REPORT_NONE,
	VKT_REPORT_CIRCULAR,	/* possible circular locking dependency */
	VKT_REPORT_INCONSISTENT,	/* inconsistent lock state */
	VKT_REPORT_RECURSIVE,	/* possible recursive locking */
	VKT_REPORT_HELD_FREED,	/* held lock freed */
	VKT_REPORT_BAD_UNLOCK,	/* bad unlock balance */
	VKT_REPORT_LOCKDEP,	/* any other lockdep report */
	VKT_REPORT_SLEEP_IN_ATOMIC,	/* sleeping function called from invalid context */
	VKT_REPORT_REFCOUNT,	/* refcount_t: ... */
	VKT_REPORT_WARN,	/* WARN() */
	VKT_REPORT_BUG,		/* BUG: ..., oops */
};

struct vkt_reports;

struct vkt_reports *vkt_reports_watch(struct kunit *test);
unsigned int vkt_reports_collect(struct vkt_reports *reports);
void vkt_reports_forget(struct vkt_reports *reports);
void vkt_reports_parse_line(struct vkt_reports *reports, char *line);
bool vkt_reports_find(struct vkt_reports *reports, enum vkt_report_kind kind,
		      const char *const *classes, unsigned int nr_classes);
bool vkt_reports_describe(struct vkt_reports *reports, unsigned int i,
			  char *buf, size_t size);
bool vkt_reports_lost(struct vkt_reports *reports);
const char *vkt_report_kind_name(enum vkt_report_kind kind);

#define VKT_REPORT_DESC_LEN	512
#define VKT_REPORTS_LOST \
	"more reports than kept, or log records overwritten before they were read"

/**
 * VKT_EXPECT_NO_REPORT() - expect that the kernel reported nothing
 * @test: the case
 * @reports: from vkt_reports_watch()
 * @what: what the case did, for the failure message
 *
 * Reads the log and fails the case, at the caller's line, once for each
 * report with its kind, headline, place and lock classes.
 */
#define VKT_EXPECT_NO_REPORT(test, reports, what)			\
	do {								\
		struct kunit *__test = (test);				\
		struct vkt_reports *__reports = (reports);		\
		const char *__what = (what);				\
		char *__desc = kmalloc(VKT_REPORT_DESC_LEN, GFP_KERNEL);	\
		unsigned int __i;					\
									\
		vkt_reports_collect(__reports);				\
		for (__i = 0; vkt_reports_describe(__reports, __i, __desc,	\
				__desc ? VKT_REPORT_DESC_LEN : 0); __i++)	\
			KUNIT_FAIL(__test, "%s: the kernel reported %s",	\
				   __what, __desc ?: "a report");	\
		kfree(__desc);						\
		if (vkt_reports_lost(__reports))			\
			KUNIT_FAIL(__test, "%s: %s", __what,		\
				   VKT_REPORTS_LOST);			\
	} while (0)

#endif /* _VFIO_KVM_REPORT_H */

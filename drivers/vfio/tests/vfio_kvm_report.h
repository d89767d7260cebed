/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel reports printed while a vfio <-> kvm case runs.
 *
 * A case that exercises locking or reference counting fails when the kernel
 * reports a problem while it runs, whichever task printed it, and says what
 * was reported: the lock classes of a lockdep report, where a WARN fired.
 * lockdep reports from whichever task closes a cycle and calls no hook, so
 * the reports are caught where kfence's and kcsan's tests catch theirs, on
 * the console tracepoint.
 */
#ifndef _VFIO_KVM_REPORT_H
#define _VFIO_KVM_REPORT_H

#include <kunit/test.h>

struct vkt_reports;

struct vkt_reports *vkt_reports_watch(struct kunit *test);
bool vkt_reports_describe(struct vkt_reports *reports, unsigned int i,
			  char *buf, size_t size);
unsigned int vkt_reports_seen(struct vkt_reports *reports);
void vkt_reports_forget(struct vkt_reports *reports);
void vkt_reports_feed(struct vkt_reports *reports, const char *text);

#define VKT_REPORT_DESC_LEN	512

/**
 * VKT_EXPECT_NO_REPORT() - expect that the kernel reported nothing
 * @test: the case
 * @reports: from vkt_reports_watch()
 * @what: what the case did, for the failure message
 *
 * Fails the case, at the caller's line, once for each report with its kind,
 * headline, place and lock classes.
 */
#define VKT_EXPECT_NO_REPORT(test, reports, what)			\
	do {								\
		char __desc[VKT_REPORT_DESC_LEN];			\
		unsigned int __i;					\
									\
		for (__i = 0; vkt_reports_describe(reports, __i, __desc,	\
						   sizeof(__desc)); __i++)	\
			KUNIT_FAIL(test, "%s: the kernel reported %s",	\
				   what, __desc);			\
	} while (0)

#endif /* _VFIO_KVM_REPORT_H */

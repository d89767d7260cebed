/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel reports printed while a vfio <-> kvm case runs, whichever task
 * printed them: their kind, headline and, for lockdep, lock classes.
 */
#ifndef _VFIO_KVM_REPORT_H
#define _VFIO_KVM_REPORT_H

#include <kunit/test.h>

struct vkt_reports;

struct vkt_reports *vkt_reports_new(struct kunit *test);
struct vkt_reports *vkt_reports_watch(struct kunit *test);
bool vkt_reports_describe(struct vkt_reports *reports, unsigned int i,
			  char *buf, size_t size);
unsigned int vkt_reports_seen(struct vkt_reports *reports);
void vkt_reports_forget(struct vkt_reports *reports);
void vkt_reports_feed(struct vkt_reports *reports, const char *text);

#define VKT_REPORT_DESC_LEN	512

/*
 * Fails the case at the caller's line once per report, tagged
 * [kernel-report] (vfio_kvm_env.h): "[kernel-report] @what: the kernel
 * reported <kind> ("<headline>"), lock classes: ...".
 */
#define VKT_EXPECT_NO_REPORT(test, reports, what)			\
	do {								\
		char __desc[VKT_REPORT_DESC_LEN];			\
		unsigned int __i;					\
									\
		for (__i = 0; vkt_reports_describe(reports, __i, __desc, \
						   sizeof(__desc)); __i++) \
			KUNIT_FAIL(test,				\
				   "[kernel-report] %s: the kernel reported %s", \
				   what, __desc);			\
	} while (0)

#endif /* _VFIO_KVM_REPORT_H */

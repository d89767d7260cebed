/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel reports captured while a KUnit case runs.
 *
 * A case that exercises locking or reference counting must fail when the
 * kernel reports a problem while it runs, whichever thread printed it, and
 * the failure must say what was reported: which lock classes form a cycle,
 * where a WARN fired.  kunit_reports_watch() remembers where the kernel log
 * stood; the expectations below read the lines printed since, as printk
 * stored them (a lockdep report's lock names arrive in KERN_CONT pieces,
 * which the log has joined into lines), and recognise reports:
 *
 *	lockdep: possible circular locking dependency, inconsistent lock
 *	state, possible recursive locking, held lock freed, bad unlock balance
 *	(and any other lockdep "WARNING:" line, as KUNIT_REPORT_LOCKDEP)
 *	WARN():  "WARNING: CPU: ..."
 *	BUG():   "BUG: ...", "sleeping function called from invalid context"
 *	         apart as KUNIT_REPORT_SLEEP_IN_ATOMIC
 *	refcount_t warnings, oopses
 *
 * Nothing is done in the context that prints: reports from any thread, IRQs
 * off included, are read later from the log by the case, and with
 * CONFIG_PRINTK_CALLER say who printed them.  A report's text
 * is kept in bounded buffers; what did not fit, or log records overwritten
 * before they were read, is marked as truncated.
 */
#ifndef _KUNIT_REPORTS_H
#define _KUNIT_REPORTS_H

#include <kunit/test.h>

enum kunit_report_kind {
	KUNIT_REPORT_NONE,
	KUNIT_REPORT_CIRCULAR,		/* possible circular locking dependency */
	KUNIT_REPORT_INCONSISTENT,	/* inconsistent lock state */
	KUNIT_REPORT_RECURSIVE,		/* possible recursive locking */
	KUNIT_REPORT_HELD_FREED,	/* held lock freed */
	KUNIT_REPORT_BAD_UNLOCK,	/* bad unlock balance */
	KUNIT_REPORT_LOCKDEP,		/* any other lockdep report */
	KUNIT_REPORT_SLEEP_IN_ATOMIC,	/* sleeping function called from invalid context */
	KUNIT_REPORT_REFCOUNT,		/* refcount_t: ... */
	KUNIT_REPORT_WARN,		/* WARNING: CPU: ... */
	KUNIT_REPORT_BUG,		/* BUG: ..., oops */
};

#define KUNIT_REPORT_MAX_CLASSES	6
#define KUNIT_REPORT_CLASS_LEN		48
#define KUNIT_REPORT_HEADLINE_LEN	128
#define KUNIT_REPORT_MAX		4

struct kunit_report {
	enum kunit_report_kind kind;
	char headline[KUNIT_REPORT_HEADLINE_LEN];
	/* for a WARN, BUG or refcount report: where ("at file:line") */
	char where[KUNIT_REPORT_HEADLINE_LEN];
	/* the lock classes the report names, in the order it names them */
	char classes[KUNIT_REPORT_MAX_CLASSES][KUNIT_REPORT_CLASS_LEN];
	unsigned int nr_classes;
	/* a cycle's "existing dependency chain", as "#2 A, #1 B, #0 C" */
	char chain[KUNIT_REPORT_HEADLINE_LEN];
	/*
	 * who printed it, with CONFIG_PRINTK_CALLER: "T72" (the task of pid
	 * 72) or "C1" (CPU 1, outside task context); else empty
	 */
	char caller[12];
	bool truncated;
};

struct kunit_reports {
	struct kunit *test;
	u64 start_seq;		/* the first log record of the case */
	u64 read_seq;		/* the next record to read */
	struct kunit_report reports[KUNIT_REPORT_MAX];
	unsigned int nr;
	bool lost;		/* more reports, or records overwritten */
	bool full;		/* the lines of a report not kept */
	char line[512];		/* the record being read */
};

struct kunit_reports *kunit_reports_watch(struct kunit *test);
unsigned int kunit_reports_collect(struct kunit_reports *reports);
const struct kunit_report *kunit_reports_find(struct kunit_reports *reports,
					      enum kunit_report_kind kind,
					      const char *const *classes,
					      unsigned int nr_classes);
const char *kunit_report_kind_name(enum kunit_report_kind kind);
int kunit_report_describe(const struct kunit_report *report, char *buf,
			  size_t size);
void kunit_reports_forget(struct kunit_reports *reports);

/**
 * kunit_expect_no_report() - expect that the kernel reported nothing
 * @test: the case
 * @reports: from kunit_reports_watch()
 * @what: what the case did, for the failure message
 *
 * Fails the case with each report's kind, headline, place and lock classes.
 */
void kunit_expect_no_report(struct kunit *test, struct kunit_reports *reports,
			    const char *what);
void __kunit_expect_report(struct kunit *test, struct kunit_reports *reports,
			   enum kunit_report_kind kind,
			   const char *const *classes, unsigned int nr_classes);

/**
 * KUNIT_EXPECT_REPORT() - expect a report of a kind naming lock classes
 * @test: the case
 * @reports: from kunit_reports_watch()
 * @kind: an enum kunit_report_kind
 * @...: the lock classes it must name, as lockdep names them
 *       ("&kvm->lock"); none for any report of that kind
 */
#define KUNIT_EXPECT_REPORT(test, reports, kind, ...)			\
	do {								\
		static const char *const __classes[] = { __VA_ARGS__ };	\
		__kunit_expect_report(test, reports, kind, __classes,	\
				      ARRAY_SIZE(__classes));		\
	} while (0)

#endif /* _KUNIT_REPORTS_H */

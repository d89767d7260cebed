// SPDX-License-Identifier: GPL-2.0-only
/*
 * Kernel reports printed while a vfio <-> kvm case runs.
 *
 * lockdep reports from whichever task closes a cycle and calls no hook, so
 * the reports are caught where kfence's and kcsan's tests catch theirs, on
 * the console tracepoint.  It gives each printk() call's text as it is stored,
 * in the printing task, without its log level or trailing newline: a
 * lockdep report's lines come in pieces (KERN_CONT), which are glued
 * together here, so that "(&kvm->lock){+.+.}" reads whole wherever printk
 * split it.
 */
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <trace/events/printk.h>
#include <kunit/resource.h>

#include "vfio_kvm_report.h"

#define VKT_REPORT_MAX		4
#define VKT_REPORT_MAX_CLASSES	6

struct vkt_report {
	const char *kind;
	/* a WARN's names where it fired */
	char headline[160];
	/* the lock classes a lockdep report names, in its order */
	char classes[VKT_REPORT_MAX_CLASSES][40];
	unsigned int nr_classes;
	/* past the part of a lockdep report that names its own locks */
	bool classes_done;
};

struct vkt_reports {
	/* raw: printk() runs under raw spinlocks too */
	raw_spinlock_t lock;
	struct vkt_report reports[VKT_REPORT_MAX];
	unsigned int nr;
	bool lost;
	/* the end of the lockdep report's text, where a class name may start */
	char text[320];
};

static const struct {
	const char *prefix;
	const char *kind;
} vkt_report_kinds[] = {
	{ "WARNING: possible circular locking dependency",
	  "lockdep: possible circular locking dependency" },
	{ "WARNING: inconsistent lock state", "lockdep: inconsistent lock state" },
	{ "WARNING: possible recursive locking", "lockdep: possible recursive locking" },
	{ "WARNING: held lock freed", "lockdep: held lock freed" },
	{ "WARNING: bad unlock balance", "lockdep: bad unlock balance" },
	{ "BUG: sleeping function called from invalid context",
	  "sleeping function called from invalid context" },
	{ "BUG: ", "BUG" },
	{ "kernel BUG at ", "BUG" },
	{ "refcount_t: ", "refcount_t warning" },
	{ "UBSAN: ", "UBSAN" },
	{ "INFO: task ", "hung task" },
	{ "Oops: ", "BUG" },
	{ "general protection fault", "BUG" },
	{ "Unable to handle kernel ", "BUG" },
	{ "Internal error: Oops", "BUG" },
};

/* What kind of report @s starts, or NULL. */
static const char *vkt_report_kind(const char *s)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vkt_report_kinds); i++)
		if (str_has_prefix(s, vkt_report_kinds[i].prefix))
			return vkt_report_kinds[i].kind;
	/* WARN(), or a report of lockdep's not named above */
	return str_has_prefix(s, "WARNING: ") ? "WARN" : NULL;
}

static bool vkt_report_is_lockdep(const struct vkt_report *report)
{
	return str_has_prefix(report->kind, "lockdep");
}

/*
 * The name of the lock class that @end ("){" of "(name){usage}") closes, or
 * NULL; names may hold "(...)".
 */
static char *vkt_report_class_start(char *text, char *end)
{
	char *start;
	int depth = 0;

	for (start = end - 1; start >= text; start--) {
		if (*start == ')')
			depth++;
		else if (*start == '(' && !depth--)
			return start + 1;
	}
	return NULL;
}

/*
 * Each lock class "(name){" in @reports->text names, once; what may still
 * start one is kept.
 */
static void vkt_report_add_classes(struct vkt_reports *reports,
				   struct vkt_report *report)
{
	char *text = reports->text, *end, *start;
	unsigned int i;
	size_t keep;

	for (end = strstr(text, "){"); end; end = strstr(text, "){")) {
		start = vkt_report_class_start(text, end);
		*end = '\0';
		text = end + 2;
		if (!start)
			continue;
		for (i = 0; i < report->nr_classes; i++)
			if (!strcmp(report->classes[i], start))
				break;
		if (i == report->nr_classes && i < VKT_REPORT_MAX_CLASSES)
			strscpy(report->classes[report->nr_classes++], start,
				sizeof(report->classes[0]));
	}
	keep = min(strlen(text), sizeof(reports->text) / 2);
	memmove(reports->text, text + strlen(text) - keep, keep + 1);
}

static void vkt_report_add(struct vkt_reports *reports, const char *s,
			   size_t len)
{
	struct vkt_report *report = reports->nr ?
		&reports->reports[reports->nr - 1] : NULL;
	const char *kind = vkt_report_kind(s);
	size_t n;

	if (kind) {
		if (reports->nr == VKT_REPORT_MAX) {
			WRITE_ONCE(reports->lost, true);
			return;
		}
		report = &reports->reports[reports->nr];
		WRITE_ONCE(reports->nr, reports->nr + 1);
		report->kind = kind;
		strscpy(report->headline, s, sizeof(report->headline));
		reports->text[0] = '\0';
	}
	if (!report || !vkt_report_is_lockdep(report) || report->classes_done)
		return;
	if (str_has_prefix(s, "other info that might help us debug this") ||
	    str_has_prefix(s, "stack backtrace:")) {
		report->classes_done = true;
		return;
	}
	/* a line's pieces, glued: at most half of the text is kept */
	n = strlen(reports->text);
	memcpy(reports->text + n, s, len);
	reports->text[n + len] = '\0';
	vkt_report_add_classes(reports, report);
}

static void vkt_reports_probe(void *data, const char *text, size_t len)
{
	struct vkt_reports *reports = data;
	char line[160];
	unsigned long flags;

	/* what a report says is at the start of its lines, in a line's piece */
	while (len && (*text == '\n' || *text == ' '))
		text++, len--;
	len = min(len, sizeof(line) - 1);
	memcpy(line, text, len);
	line[len] = '\0';

	/* a report printed while the case reads its own is one too many */
	if (!raw_spin_trylock_irqsave(&reports->lock, flags)) {
		WRITE_ONCE(reports->lost, true);
		return;
	}
	vkt_report_add(reports, line, len);
	raw_spin_unlock_irqrestore(&reports->lock, flags);
}

/* The console tracepoint's text, @text, as the suite's own cases feed it. */
void vkt_reports_feed(struct vkt_reports *reports, const char *text)
{
	vkt_reports_probe(reports, text, strlen(text));
}

static void vkt_reports_unwatch(void *reports)
{
	unregister_trace_console(vkt_reports_probe, reports);
	tracepoint_synchronize_unregister();
}

/* A capture that only vkt_reports_feed() feeds: the console is not read. */
struct vkt_reports *vkt_reports_new(struct kunit *test)
{
	struct vkt_reports *reports;

	reports = kunit_kzalloc(test, sizeof(*reports), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, reports);
	raw_spin_lock_init(&reports->lock);
	return reports;
}

/* Watch the console for reports until the case ends. */
struct vkt_reports *vkt_reports_watch(struct kunit *test)
{
	struct vkt_reports *reports = vkt_reports_new(test);

	KUNIT_ASSERT_EQ_MSG(test, register_trace_console(vkt_reports_probe,
							 reports), 0,
			    "register_trace_console()");
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							vkt_reports_unwatch,
							reports), 0);
	return reports;
}

/*
 * Whether the case has seen an @i-th report, and a line about it in @buf
 * (@size 0: none).  One more than the reports kept says that more were.
 */
bool vkt_reports_describe(struct vkt_reports *reports, unsigned int i,
			  char *buf, size_t size)
{
	const struct vkt_report *report;
	unsigned long flags;
	unsigned int j;
	size_t n;
	bool seen;

	raw_spin_lock_irqsave(&reports->lock, flags);
	seen = i < reports->nr || (i == reports->nr && reports->lost);
	if (!seen || !size)
		goto out;
	if (i == reports->nr) {
		scnprintf(buf, size,
			  "reports not kept (more than %u, or printed while the case read them)",
			  VKT_REPORT_MAX);
		goto out;
	}
	report = &reports->reports[i];
	n = scnprintf(buf, size, "%s (\"%s\")", report->kind, report->headline);
	for (j = 0; j < report->nr_classes; j++)
		n += scnprintf(buf + n, size - n, "%s%s",
			       j ? ", " : ", lock classes: ",
			       report->classes[j]);
out:
	raw_spin_unlock_irqrestore(&reports->lock, flags);
	return seen;
}

/*
 * The reports seen, plus one if any were lost, without the lock: for a loop
 * that goes on until the kernel reports something (the console probe
 * counts a line printed while the lock is held as lost).
 */
unsigned int vkt_reports_seen(struct vkt_reports *reports)
{
	return READ_ONCE(reports->nr) + READ_ONCE(reports->lost);
}

/* The reports seen so far no longer count: expected, or said already. */
void vkt_reports_forget(struct vkt_reports *reports)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&reports->lock, flags);
	memset(reports->reports, 0, sizeof(reports->reports));
	WRITE_ONCE(reports->nr, 0);
	WRITE_ONCE(reports->lost, false);
	raw_spin_unlock_irqrestore(&reports->lock, flags);
}

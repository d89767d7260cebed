// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel reports printed while a vfio <-> kvm case runs: see
 * vfio_kvm_report.h.
 *
 * The reports are read from the printk log rather than caught on the
 * console tracepoint, as kfence's and kcsan's tests do: the tracepoint sees
 * each KERN_CONT piece of a lockdep report alone, without the flags that
 * tell a continuation from a new line, while the log holds the lines as
 * printk joined them.  KUnit's hooks do not fit either: they see the
 * current task's WARN only, and lockdep calls none.
 */
#include <linux/ctype.h>
#include <linux/kmsg_dump.h>
#include <linux/string.h>
#include <kunit/resource.h>

#include "vfio_kvm_report.h"

#define VKT_REPORT_MAX_CLASSES	6
#define VKT_REPORT_CLASS_LEN	48
#define VKT_REPORT_LINE_LEN	128
#define VKT_REPORT_MAX		4

struct vkt_report {
	enum vkt_report_kind kind;
	char headline[VKT_REPORT_LINE_LEN];
	/* a WARN's, BUG's or refcount_t warning's file:line, or its RIP */
	char where[VKT_REPORT_LINE_LEN];
	/* the lock classes the report names, in the order it names them */
	char classes[VKT_REPORT_MAX_CLASSES][VKT_REPORT_CLASS_LEN];
	unsigned int nr_classes;
	/* a cycle's "existing dependency chain", as "#1 A, #0 B" */
	char chain[VKT_REPORT_LINE_LEN];
	/* with CONFIG_PRINTK_CALLER: "T72" (pid 72) or "C1" (CPU 1) */
	char caller[12];
	bool truncated;
	/*
	 * Past what a lockdep report says of its own locks: the locks held,
	 * the backtrace.
	 */
	bool classes_done;
};

struct vkt_reports {
	/* the log from where the case began; read, never written */
	struct kmsg_dump_iter iter;
	struct vkt_report reports[VKT_REPORT_MAX];
	unsigned int nr;
	bool lost;		/* more reports, or records overwritten */
	bool full;		/* the lines of the report being read not kept */
	char line[512];		/* the record being read */
};

static const struct {
	const char *prefix;
	enum vkt_report_kind kind;
} vkt_report_headlines[] = {
	{ "WARNING: possible circular locking dependency", VKT_REPORT_CIRCULAR },
	{ "WARNING: inconsistent lock state", VKT_REPORT_INCONSISTENT },
	{ "WARNING: possible recursive locking", VKT_REPORT_RECURSIVE },
	{ "WARNING: held lock freed", VKT_REPORT_HELD_FREED },
	{ "WARNING: bad unlock balance", VKT_REPORT_BAD_UNLOCK },
	{ "WARNING: ", VKT_REPORT_LOCKDEP },
	{ "BUG: sleeping function called from invalid context", VKT_REPORT_SLEEP_IN_ATOMIC },
	{ "BUG: ", VKT_REPORT_BUG },
	{ "refcount_t: ", VKT_REPORT_REFCOUNT },
	{ "Oops: ", VKT_REPORT_BUG },
	{ "general protection fault", VKT_REPORT_BUG },
};

static const char *const vkt_report_names[] = {
	[VKT_REPORT_NONE] = "no report",
	[VKT_REPORT_CIRCULAR] = "lockdep: possible circular locking dependency",
	[VKT_REPORT_INCONSISTENT] = "lockdep: inconsistent lock state",
	[VKT_REPORT_RECURSIVE] = "lockdep: possible recursive locking",
	[VKT_REPORT_HELD_FREED] = "lockdep: held lock freed",
	[VKT_REPORT_BAD_UNLOCK] = "lockdep: bad unlock balance",
	[VKT_REPORT_LOCKDEP] = "lockdep report",
	[VKT_REPORT_SLEEP_IN_ATOMIC] = "sleeping function called from invalid context",
	[VKT_REPORT_REFCOUNT] = "refcount_t warning",
	[VKT_REPORT_WARN] = "WARN",
	[VKT_REPORT_BUG] = "BUG",
};

const char *vkt_report_kind_name(enum vkt_report_kind kind)
{
	return kind < ARRAY_SIZE(vkt_report_names) ? vkt_report_names[kind] : "?";
}

static void vkt_report_copy(char *dst, size_t size, const char *src,
			    size_t len, bool *truncated)
{
	if (len >= size) {
		*truncated = true;
		len = size - 1;
	}
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* Whether the @len bytes at @tok are a "file.c:123". */
static bool vkt_report_is_file_line(const char *tok, size_t len)
{
	const char *colon = strnchr(tok, len, ':'), *p;

	if (!colon || colon - tok < 3 || colon + 1 == tok + len ||
	    (colon[-2] != '.' && colon[-3] != '.'))
		return false;
	for (p = colon + 1; p < tok + len; p++)
		if (!isdigit(*p))
			return false;
	return true;
}

/*
 * The first "file.c:123" of @line: its length, @start set to it, or 0.  A
 * WARN's headline names the place it fired; lockdep's never name one.
 */
static size_t vkt_report_file_line(const char *line, const char **start)
{
	const char *tok = line, *end;

	while (*(tok = skip_spaces(tok))) {
		end = tok + strcspn(tok, " \t,");
		if (vkt_report_is_file_line(tok, end - tok)) {
			*start = tok;
			return end - tok;
		}
		tok = *end ? end + 1 : end;
	}
	return 0;
}

static enum vkt_report_kind vkt_report_headline(const char *line)
{
	const char *at;
	unsigned int i;

	if (str_has_prefix(line, "WARNING: ") && vkt_report_file_line(line, &at))
		return VKT_REPORT_WARN;
	for (i = 0; i < ARRAY_SIZE(vkt_report_headlines); i++)
		if (str_has_prefix(line, vkt_report_headlines[i].prefix))
			return vkt_report_headlines[i].kind;
	return VKT_REPORT_NONE;
}

/*
 * The name of the lock class that @end ("){" of "(name){usage}") closes, or
 * NULL; names may hold "(...)".
 */
static const char *vkt_report_class_start(const char *line, const char *end)
{
	const char *start;
	int depth = 0;

	for (start = end - 1; start >= line; start--) {
		if (*start == ')')
			depth++;
		else if (*start == '(' && !depth--)
			return start + 1;
	}
	return NULL;
}

/* Each lock class the line names, once, in order. */
static void vkt_report_add_classes(struct vkt_report *report, const char *line)
{
	const char *end, *start;
	unsigned int i;

	for (end = strstr(line, "){"); end; end = strstr(end + 2, "){")) {
		start = vkt_report_class_start(line, end);
		if (!start)
			continue;
		for (i = 0; i < report->nr_classes; i++)
			if (strlen(report->classes[i]) == end - start &&
			    !strncmp(report->classes[i], start, end - start))
				break;
		if (i < report->nr_classes)
			continue;
		if (report->nr_classes == VKT_REPORT_MAX_CLASSES) {
			report->truncated = true;
			return;
		}
		vkt_report_copy(report->classes[report->nr_classes++],
				VKT_REPORT_CLASS_LEN, start, end - start,
				&report->truncated);
	}
}

/* A chain line, "-> #1 (&b->lock){+.+.}-{3:3}:", adds "#1 &b->lock". */
static void vkt_report_add_chain(struct vkt_report *report, const char *line)
{
	const char *num = line + strlen("-> "), *sp = strchr(num, ' ');
	const char *end = strstr(line, "){"), *start;
	size_t n = strlen(report->chain);
	int len;

	start = end ? vkt_report_class_start(line, end) : NULL;
	if (!sp || !start) {
		report->truncated = true;
		return;
	}
	len = snprintf(report->chain + n, sizeof(report->chain) - n,
		       "%s%.*s %.*s", n ? ", " : "", (int)(sp - num), num,
		       (int)(end - start), start);
	if (n + len >= sizeof(report->chain))
		report->truncated = true;
}

static void vkt_report_add_line(struct vkt_report *report, const char *line)
{
	const char *at;
	size_t len;

	if (report->kind >= VKT_REPORT_REFCOUNT && !report->where[0]) {
		len = str_has_prefix(line, "WARNING: ") ?
		      vkt_report_file_line(line, &at) : 0;
		if (len)
			vkt_report_copy(report->where, sizeof(report->where),
					at, len, &report->truncated);
		else if (str_has_prefix(line, "RIP: "))
			vkt_report_copy(report->where, sizeof(report->where),
					line, strlen(line), &report->truncated);
	}
	if (report->kind >= VKT_REPORT_SLEEP_IN_ATOMIC || report->classes_done)
		return;
	if (str_has_prefix(line, "other info that might help us debug this") ||
	    str_has_prefix(line, "stack backtrace:")) {
		report->classes_done = true;
		return;
	}
	vkt_report_add_classes(report, line);
	if (str_has_prefix(line, "-> #"))
		vkt_report_add_chain(report, line);
}

/*
 * The length of "[    1.234567]" (a time, @caller false) or "[   T72]" (a
 * caller, @caller true) at the start of @s, or 0.
 */
static size_t vkt_report_prefix(const char *s, bool caller)
{
	const char *p = s;

	if (*p++ != '[')
		return 0;
	p = skip_spaces(p);
	if (caller && (*p == 'T' || *p == 'C'))
		p++;
	if (!isdigit(*p))
		return 0;
	while (isdigit(*p) || (!caller && *p == '.'))
		p++;
	return *p == ']' ? p + 1 - s : 0;
}

/**
 * vkt_reports_parse_line() - read one line of the log
 * @reports: from vkt_reports_watch()
 * @line: the line, as kmsg_dump_get_line() gives it; changed
 *
 * A headline starts a report; the lines after it add to it.
 */
void vkt_reports_parse_line(struct vkt_reports *reports, char *line)
{
	struct vkt_report *report = NULL;
	char caller[sizeof(report->caller)] = "";
	enum vkt_report_kind kind;
	size_t n;

	/* the time with printk.time, then the caller with PRINTK_CALLER */
	line += vkt_report_prefix(line, false);
	n = vkt_report_prefix(line, true);
	if (n) {
		const char *id = skip_spaces(line + 1);

		strscpy(caller, id, min_t(size_t, sizeof(caller), line + n - id));
		line += n;
	}
	line = strim(line);

	if (reports->nr)
		report = &reports->reports[reports->nr - 1];
	kind = vkt_report_headline(line);
	/* a refcount_t warning goes on with its WARN */
	if (kind == VKT_REPORT_WARN && report &&
	    report->kind == VKT_REPORT_REFCOUNT && !report->where[0])
		kind = VKT_REPORT_NONE;
	if (kind != VKT_REPORT_NONE) {
		if (reports->nr == VKT_REPORT_MAX) {
			reports->lost = true;
			reports->full = true;
			return;
		}
		report = &reports->reports[reports->nr++];
		report->kind = kind;
		vkt_report_copy(report->headline, sizeof(report->headline),
				line, strlen(line), &report->truncated);
		strscpy(report->caller, caller, sizeof(report->caller));
		reports->full = false;
	}
	if (report && !reports->full)
		vkt_report_add_line(report, line);
}

/**
 * vkt_reports_collect() - read the log printed since the last read
 * @reports: from vkt_reports_watch()
 *
 * Return: how many reports the case has seen so far.
 */
unsigned int vkt_reports_collect(struct vkt_reports *reports)
{
	char *line, *next;
	u64 want;
	size_t len;

	for (want = reports->iter.cur_seq;
	     kmsg_dump_get_line(&reports->iter, false, reports->line,
				sizeof(reports->line) - 1, &len);
	     want = reports->iter.cur_seq) {
		/* a later record than the next: those between were overwritten */
		if (reports->iter.cur_seq - 1 > want)
			reports->lost = true;
		reports->line[len] = '\0';
		for (line = reports->line; line; line = next) {
			next = strchr(line, '\n');
			if (next)
				*next++ = '\0';
			vkt_reports_parse_line(reports, line);
		}
	}
	return reports->nr;
}

/**
 * vkt_reports_forget() - the reports seen so far no longer count
 * @reports: from vkt_reports_watch()
 *
 * For a case that expected them, or has said them once already.
 */
void vkt_reports_forget(struct vkt_reports *reports)
{
	vkt_reports_collect(reports);
	memset(reports->reports, 0, sizeof(reports->reports));
	reports->nr = 0;
	reports->lost = false;
}

/**
 * vkt_reports_describe() - one line about a report, for a failure message
 * @reports: from vkt_reports_watch()
 * @i: which report, from 0
 * @buf: where the line goes
 * @size: its size; 0 to ask only whether there is such a report
 *
 * Return: whether the case has seen an @i-th report.
 */
bool vkt_reports_describe(struct vkt_reports *reports, unsigned int i,
			  char *buf, size_t size)
{
	const struct vkt_report *report = &reports->reports[i];
	size_t n;
	unsigned int j;

	if (i >= reports->nr)
		return false;
	if (!size)
		return true;
	n = scnprintf(buf, size, "%s (\"%s\")",
		      vkt_report_kind_name(report->kind), report->headline);
	if (report->where[0])
		n += scnprintf(buf + n, size - n, " at %s", report->where);
	for (j = 0; j < report->nr_classes; j++)
		n += scnprintf(buf + n, size - n, "%s%s",
			       j ? ", " : ", lock classes: ",
			       report->classes[j]);
	if (report->chain[0])
		n += scnprintf(buf + n, size - n, "; dependency chain: %s",
			       report->chain);
	if (report->caller[0] == 'T')
		n += scnprintf(buf + n, size - n, "; printed by pid %s",
			       report->caller + 1);
	else if (report->caller[0] == 'C')
		n += scnprintf(buf + n, size - n,
			       "; printed on CPU %s outside task context",
			       report->caller + 1);
	if (report->truncated)
		scnprintf(buf + n, size - n, " [truncated]");
	return true;
}

/**
 * vkt_reports_lost() - whether reports were dropped
 * @reports: from vkt_reports_watch()
 *
 * Return: true if the case saw more reports than are kept, or log records
 * were overwritten before they were read.
 */
bool vkt_reports_lost(struct vkt_reports *reports)
{
	return reports->lost;
}

static bool vkt_report_names_class(const struct vkt_report *report,
				   const char *class)
{
	unsigned int i;

	for (i = 0; i < report->nr_classes; i++)
		if (!strcmp(report->classes[i], class))
			return true;
	return false;
}

/**
 * vkt_reports_find() - whether a report of a kind named lock classes
 * @reports: from vkt_reports_watch(), as read so far
 * @kind: the kind of report
 * @classes: lock class names it must all name
 * @nr_classes: how many
 *
 * Return: true if the case has seen such a report.
 */
bool vkt_reports_find(struct vkt_reports *reports, enum vkt_report_kind kind,
		      const char *const *classes, unsigned int nr_classes)
{
	unsigned int i, j;

	for (i = 0; i < reports->nr; i++) {
		if (reports->reports[i].kind != kind)
			continue;
		for (j = 0; j < nr_classes; j++)
			if (!vkt_report_names_class(&reports->reports[i],
						    classes[j]))
				break;
		if (j == nr_classes)
			return true;
	}
	return false;
}

/**
 * vkt_reports_watch() - start watching the log for reports
 * @test: the case; the watch ends with it
 *
 * Return: the watch; the case fails if none could be allocated.
 */
struct vkt_reports *vkt_reports_watch(struct kunit *test)
{
	struct vkt_reports *reports;
	size_t len;

	reports = kunit_kzalloc(test, sizeof(*reports), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, reports);
	/* past what the log holds now: its next record is the case's first */
	kmsg_dump_rewind(&reports->iter);
	while (kmsg_dump_get_line(&reports->iter, false, NULL, 0, &len))
		;
	return reports;
}

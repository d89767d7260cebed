// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel reports captured while a KUnit case runs: see
 * <kunit/reports.h>.
 *
 * The reports are read from the printk log rather than caught on the
 * console tracepoint: the tracepoint sees each KERN_CONT piece alone,
 * without the flags that tell a continuation from a new line, while the log
 * holds the lines as printk joined them.  Nothing runs where the report is
 * printed; the log is read from the case, by record sequence number.
 */
#include <linux/ctype.h>
#include <linux/kmsg_dump.h>
#include <linux/module.h>
#include <linux/string.h>
#include <kunit/reports.h>
#include <kunit/resource.h>

static const struct {
	const char *prefix;
	enum kunit_report_kind kind;
} kunit_report_headlines[] = {
	{ "WARNING: possible circular locking dependency", KUNIT_REPORT_CIRCULAR },
	{ "WARNING: inconsistent lock state", KUNIT_REPORT_INCONSISTENT },
	{ "WARNING: possible recursive locking", KUNIT_REPORT_RECURSIVE },
	{ "WARNING: held lock freed", KUNIT_REPORT_HELD_FREED },
	{ "WARNING: bad unlock balance", KUNIT_REPORT_BAD_UNLOCK },
	{ "WARNING: ", KUNIT_REPORT_LOCKDEP },
	{ "BUG: sleeping function called from invalid context", KUNIT_REPORT_SLEEP_IN_ATOMIC },
	{ "BUG: ", KUNIT_REPORT_BUG },
	{ "refcount_t: ", KUNIT_REPORT_REFCOUNT },
	{ "Oops: ", KUNIT_REPORT_BUG },
	{ "general protection fault", KUNIT_REPORT_BUG },
};

static const char *const kunit_report_names[] = {
	[KUNIT_REPORT_NONE] = "no report",
	[KUNIT_REPORT_CIRCULAR] = "lockdep: possible circular locking dependency",
	[KUNIT_REPORT_INCONSISTENT] = "lockdep: inconsistent lock state",
	[KUNIT_REPORT_RECURSIVE] = "lockdep: possible recursive locking",
	[KUNIT_REPORT_HELD_FREED] = "lockdep: held lock freed",
	[KUNIT_REPORT_BAD_UNLOCK] = "lockdep: bad unlock balance",
	[KUNIT_REPORT_LOCKDEP] = "lockdep report",
	[KUNIT_REPORT_SLEEP_IN_ATOMIC] = "sleeping function called from invalid context",
	[KUNIT_REPORT_REFCOUNT] = "refcount_t warning",
	[KUNIT_REPORT_WARN] = "WARN",
	[KUNIT_REPORT_BUG] = "BUG",
};

const char *kunit_report_kind_name(enum kunit_report_kind kind)
{
	return kind < ARRAY_SIZE(kunit_report_names) ? kunit_report_names[kind] : "?";
}
EXPORT_SYMBOL_GPL(kunit_report_kind_name);

/*
 * A WARN's headline: "WARNING: CPU: 1 PID: 72 at file:line func" up to 6.x,
 * "WARNING: file:line at func, CPU#1: comm/72" since 7.x.  Lockdep's
 * "WARNING: ..." headlines name no CPU.
 */
static bool kunit_report_is_warn(const char *line)
{
	return str_has_prefix(line, "WARNING: CPU: ") ||
	       (str_has_prefix(line, "WARNING: ") && strstr(line, ", CPU#"));
}

static enum kunit_report_kind kunit_report_headline(const char *line)
{
	unsigned int i;

	if (kunit_report_is_warn(line))
		return KUNIT_REPORT_WARN;

	for (i = 0; i < ARRAY_SIZE(kunit_report_headlines); i++)
		if (str_has_prefix(line, kunit_report_headlines[i].prefix))
			return kunit_report_headlines[i].kind;
	return KUNIT_REPORT_NONE;
}

static void kunit_report_copy(char *dst, size_t size, const char *src,
			      size_t len, bool *truncated)
{
	if (len >= size) {
		*truncated = true;
		len = size - 1;
	}
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/*
 * Lockdep names a class as "(name){usage}" or, in a chain, "-> #N (name){":
 * take each name once, in order.
 */
static void kunit_report_add_classes(struct kunit_report *report,
				     const char *line)
{
	const char *end, *start;
	unsigned int i;
	int depth;

	for (end = strstr(line, "){"); end; end = strstr(end + 2, "){")) {
		/* the "(" that opens this name; names may hold "(...)" */
		for (start = end - 1, depth = 0; start >= line; start--) {
			if (*start == ')')
				depth++;
			else if (*start == '(' && !depth--)
				break;
		}
		if (start < line)
			continue;
		start++;
		for (i = 0; i < report->nr_classes; i++)
			if (strlen(report->classes[i]) == end - start &&
			    !strncmp(report->classes[i], start, end - start))
				break;
		if (i < report->nr_classes)
			continue;
		if (report->nr_classes == KUNIT_REPORT_MAX_CLASSES) {
			report->truncated = true;
			return;
		}
		kunit_report_copy(report->classes[report->nr_classes++],
				  KUNIT_REPORT_CLASS_LEN, start, end - start,
				  &report->truncated);
	}
}

/* The class a chain line names: "-> #1 (&b->lock){..." gives "&b->lock". */
static const char *kunit_report_chain_class(const char *line)
{
	static char class[KUNIT_REPORT_CLASS_LEN];
	const char *start = strchr(line, '('), *end = strstr(line, "){");

	if (!start || !end || end <= start ||
	    end - start - 1 >= sizeof(class))
		return "?";
	memcpy(class, start + 1, end - start - 1);
	class[end - start - 1] = '\0';
	return class;
}

static void kunit_report_add_line(struct kunit_report *report,
				  const char *line)
{
	const char *at, *cpu;

	if (report->kind >= KUNIT_REPORT_REFCOUNT && !report->where[0]) {
		at = strstr(line, " at ");
		cpu = strstr(line, ", CPU#");
		if (str_has_prefix(line, "WARNING: CPU: ") && at)
			kunit_report_copy(report->where, sizeof(report->where),
					  at + 1, strlen(at + 1),
					  &report->truncated);
		else if (str_has_prefix(line, "WARNING: ") && cpu)
			/* "file:line at func", before ", CPU#" */
			kunit_report_copy(report->where, sizeof(report->where),
					  line + strlen("WARNING: "),
					  cpu - line - strlen("WARNING: "),
					  &report->truncated);
		else if (str_has_prefix(line, "RIP: "))
			kunit_report_copy(report->where, sizeof(report->where),
					  line, strlen(line),
					  &report->truncated);
	}
	if (report->kind >= KUNIT_REPORT_SLEEP_IN_ATOMIC)
		return;
	kunit_report_add_classes(report, line);
	/* "-> #1 (&b->lock){+.+.}-{3:3}:" */
	if (str_has_prefix(line, "-> #") && report->nr_classes) {
		size_t n = strlen(report->chain);
		const char *num = line + 3, *end = strchr(num, ' ');

		if (!end || n + (end - num) + 40 >= sizeof(report->chain)) {
			report->truncated = true;
			return;
		}
		snprintf(report->chain + n, sizeof(report->chain) - n,
			 "%s%.*s %s", n ? ", " : "", (int)(end - num), num,
			 kunit_report_chain_class(line));
	}
}

/*
 * The length of "[    1.234567]" (a time, @caller false) or "[   T72]" (a
 * caller, @caller true) at the start of @s, or 0.
 */
static size_t kunit_report_prefix(const char *s, bool caller)
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

static void kunit_reports_read_line(struct kunit_reports *reports,
				    char *line)
{
	struct kunit_report *report = NULL;
	enum kunit_report_kind kind;
	char caller[sizeof(report->caller)] = "";
	size_t n;

	/*
	 * What kmsg_dump_get_line() puts before the text: its time with
	 * printk.time, then its caller with CONFIG_PRINTK_CALLER.
	 */
	line += kunit_report_prefix(line, false);
	n = kunit_report_prefix(line, true);
	if (n) {
		const char *id = skip_spaces(line + 1);

		/* "T72]" without its "]" */
		strscpy(caller, id, min_t(size_t, sizeof(caller), line + n - id));
		line += n;
	}
	line = strim(line);

	if (reports->nr)
		report = &reports->reports[reports->nr - 1];
	kind = kunit_report_headline(line);
	/* a refcount_t warning goes on with its WARN's backtrace */
	if (kind == KUNIT_REPORT_WARN && report &&
	    report->kind == KUNIT_REPORT_REFCOUNT && !report->where[0])
		kind = KUNIT_REPORT_NONE;
	if (kind != KUNIT_REPORT_NONE) {
		if (reports->nr == KUNIT_REPORT_MAX) {
			reports->lost = true;
			reports->full = true;
			return;
		}
		report = &reports->reports[reports->nr++];
		report->kind = kind;
		kunit_report_copy(report->headline, sizeof(report->headline),
				  line, strlen(line), &report->truncated);
		strscpy(report->caller, caller, sizeof(report->caller));
		reports->full = false;
	}
	if (report && !reports->full)
		kunit_report_add_line(report, line);
}

/**
 * kunit_reports_collect() - read the log since the case started
 * @reports: from kunit_reports_watch()
 *
 * Return: how many reports the case has seen so far.
 */
unsigned int kunit_reports_collect(struct kunit_reports *reports)
{
	struct kmsg_dump_iter iter;
	char *line, *next;
	size_t len;

	kmsg_dump_rewind(&iter);
	iter.cur_seq = reports->read_seq;
	while (kmsg_dump_get_line(&iter, false, reports->line,
				  sizeof(reports->line) - 1, &len)) {
		/* a record older than the next one we wanted was overwritten */
		if (iter.cur_seq - 1 > reports->read_seq)
			reports->lost = true;
		reports->read_seq = iter.cur_seq;
		reports->line[len] = '\0';
		for (line = reports->line; line; line = next) {
			next = strchr(line, '\n');
			if (next)
				*next++ = '\0';
			kunit_reports_read_line(reports, line);
		}
	}
	return reports->nr;
}
EXPORT_SYMBOL_GPL(kunit_reports_collect);

/* Reports seen so far no longer count: for a case that expected them. */
void kunit_reports_forget(struct kunit_reports *reports)
{
	kunit_reports_collect(reports);
	memset(reports->reports, 0, sizeof(reports->reports));
	reports->nr = 0;
	reports->lost = false;
}
EXPORT_SYMBOL_GPL(kunit_reports_forget);

/**
 * kunit_report_describe() - one line for a failure message
 * @report: a report
 * @buf: where the line goes
 * @size: its size
 *
 * Return: the length of the line, as snprintf().
 */
int kunit_report_describe(const struct kunit_report *report, char *buf,
			  size_t size)
{
	int n, i;

	n = scnprintf(buf, size, "%s (\"%s\")",
		      kunit_report_kind_name(report->kind), report->headline);
	if (report->where[0])
		n += scnprintf(buf + n, size - n, " %s", report->where);
	for (i = 0; i < report->nr_classes; i++)
		n += scnprintf(buf + n, size - n, "%s%s",
			       i ? ", " : ", lock classes: ",
			       report->classes[i]);
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
		n += scnprintf(buf + n, size - n, " [truncated]");
	return n;
}
EXPORT_SYMBOL_GPL(kunit_report_describe);

static bool kunit_report_names_class(const struct kunit_report *report,
				     const char *class)
{
	unsigned int i;

	for (i = 0; i < report->nr_classes; i++)
		if (!strcmp(report->classes[i], class))
			return true;
	return false;
}

/**
 * kunit_reports_find() - the first report of a kind naming lock classes
 * @reports: from kunit_reports_watch()
 * @kind: the kind of report
 * @classes: lock class names it must all name
 * @nr_classes: how many
 *
 * Return: the report, or NULL if the kernel reported none such.
 */
const struct kunit_report *kunit_reports_find(struct kunit_reports *reports,
					      enum kunit_report_kind kind,
					      const char *const *classes,
					      unsigned int nr_classes)
{
	unsigned int i, j;

	kunit_reports_collect(reports);
	for (i = 0; i < reports->nr; i++) {
		if (reports->reports[i].kind != kind)
			continue;
		for (j = 0; j < nr_classes; j++)
			if (!kunit_report_names_class(&reports->reports[i],
						      classes[j]))
				break;
		if (j == nr_classes)
			return &reports->reports[i];
	}
	return NULL;
}
EXPORT_SYMBOL_GPL(kunit_reports_find);

void kunit_expect_no_report(struct kunit *test, struct kunit_reports *reports,
			    const char *what)
{
	char buf[512];
	unsigned int i;

	kunit_reports_collect(reports);
	for (i = 0; i < reports->nr; i++) {
		kunit_report_describe(&reports->reports[i], buf, sizeof(buf));
		KUNIT_FAIL(test, "%s: the kernel reported %s", what, buf);
	}
	if (reports->lost)
		KUNIT_FAIL(test,
			   "%s: more reports than kept, or log records overwritten before they were read",
			   what);
}
EXPORT_SYMBOL_GPL(kunit_expect_no_report);

void __kunit_expect_report(struct kunit *test, struct kunit_reports *reports,
			   enum kunit_report_kind kind,
			   const char *const *classes, unsigned int nr_classes)
{
	char want[256], seen[512];
	unsigned int i;
	int n;

	if (kunit_reports_find(reports, kind, classes, nr_classes))
		return;

	n = scnprintf(want, sizeof(want), "%s", kunit_report_kind_name(kind));
	for (i = 0; i < nr_classes; i++)
		n += scnprintf(want + n, sizeof(want) - n, "%s%s",
			       i ? ", " : " naming ", classes[i]);
	if (!reports->nr)
		KUNIT_FAIL(test, "expected %s, but the kernel reported nothing",
			   want);
	for (i = 0; i < reports->nr; i++) {
		kunit_report_describe(&reports->reports[i], seen, sizeof(seen));
		KUNIT_FAIL(test, "expected %s, but the kernel reported %s",
			   want, seen);
	}
}
EXPORT_SYMBOL_GPL(__kunit_expect_report);

/**
 * kunit_reports_watch() - start watching the kernel log for reports
 * @test: the case; the watch ends with it
 *
 * Return: the watch, for the expectations; the case fails if none could be
 * allocated.
 */
struct kunit_reports *kunit_reports_watch(struct kunit *test)
{
	struct kunit_reports *reports;
	struct kmsg_dump_iter iter;

	reports = kunit_kzalloc(test, sizeof(*reports), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, reports);
	reports->test = test;
	kmsg_dump_rewind(&iter);
	reports->start_seq = iter.next_seq;
	reports->read_seq = iter.next_seq;
	return reports;
}
EXPORT_SYMBOL_GPL(kunit_reports_watch);

// SPDX-License-Identifier: GPL-2.0-only
/*
 * Threads a vfio <-> kvm case waits for with a deadline: see
 * vfio_kvm_thread.h.
 */
#include <linux/completion.h>
#include <linux/err.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/refcount.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/stacktrace.h>
#include <kunit/resource.h>

#include "vfio_kvm_thread.h"

struct vkt_thread {
	/* the thread's, the case's join's and the case's end's */
	refcount_t ref;
	struct completion done;
	int (*fn)(void *data);
	void *data;
	int result;
	bool joined;
	struct task_struct *task;
};

static void vkt_thread_put(struct vkt_thread *thread)
{
	if (!refcount_dec_and_test(&thread->ref))
		return;
	if (thread->task)
		put_task_struct(thread->task);
	kfree(thread);
}

static int vkt_thread_main(void *arg)
{
	struct vkt_thread *thread = arg;

	thread->result = thread->fn(thread->data);
	complete(&thread->done);
	vkt_thread_put(thread);
	/* the code this thread ran may go once it has let go of it */
	module_put_and_kthread_exit(0);
}

/* The case ended: a handle it never joined is let go of here. */
static void vkt_thread_case_end(void *arg)
{
	struct vkt_thread *thread = arg;

	if (!thread->joined)
		vkt_thread_put(thread);
	vkt_thread_put(thread);
}

/**
 * vkt_thread_run() - start a thread a case waits for with a deadline
 * @test: the case, whose end lets go of a thread it did not join; NULL
 *        where the case is ending already (its cleanup), which must join
 * @fn: the thread's work, in this module; it should end by itself
 * @data: passed to @fn
 * @name: the thread's name
 *
 * The thread holds a reference to this module until @fn has returned.
 *
 * Return: the thread, or an ERR_PTR().
 */
struct vkt_thread *vkt_thread_run(struct kunit *test, int (*fn)(void *data),
				  void *data, const char *name)
{
	struct vkt_thread *thread;
	struct task_struct *task;
	int ret;

	thread = kzalloc_obj(*thread, GFP_KERNEL);
	if (!thread)
		return ERR_PTR(-ENOMEM);
	refcount_set(&thread->ref, test ? 3 : 2);
	init_completion(&thread->done);
	thread->fn = fn;
	thread->data = data;
	if (test) {
		ret = kunit_add_action(test, vkt_thread_case_end, thread);
		if (ret) {
			kfree(thread);
			return ERR_PTR(ret);
		}
	}

	__module_get(THIS_MODULE);
	task = kthread_create(vkt_thread_main, thread, "%s", name);
	if (!IS_ERR(task)) {
		thread->task = get_task_struct(task);
		wake_up_process(task);
	} else {
		module_put(THIS_MODULE);
		/* the thread's reference and the join's: neither will come */
		thread->joined = true;
		vkt_thread_put(thread);
		vkt_thread_put(thread);
		return ERR_CAST(task);
	}
	return thread;
}

/*
 * Where @task sleeps, innermost call first, as the hung task detector
 * would print its stack: "__mutex_lock+0x1a0/0x9e0 < ... < vfs_ioctl+...".
 */
static void vkt_thread_where(struct task_struct *task, char *where,
			     size_t size)
{
#ifdef CONFIG_STACKTRACE
	unsigned long entries[16];
	unsigned int i, nr;
	size_t n = 0;

	nr = stack_trace_save_tsk(task, entries, ARRAY_SIZE(entries), 0);
	if (!nr) {
		strscpy(where, "(no stack trace)", size);
		return;
	}
	for (i = 0; i < nr && n < size; i++)
		n += scnprintf(where + n, size - n, "%s%pS", i ? " < " : "",
			       (void *)entries[i]);
#else
	strscpy(where, "(no stack trace: CONFIG_STACKTRACE is off)", size);
#endif
}

/**
 * vkt_thread_join() - wait for a thread until a deadline
 * @thread: from vkt_thread_run(); not to be used after this call
 * @deadline: in jiffies
 * @result: where @fn's return value goes, if the thread finished; may be NULL
 * @where: if the thread missed the deadline, where it sleeps; may be NULL
 * @size: the size of @where (VKT_THREAD_WHERE_LEN)
 *
 * Return: 0 if the thread finished in time, -ETIMEDOUT if it did not: it is
 * then abandoned, still running or stuck, and never stopped.
 */
int vkt_thread_join(struct vkt_thread *thread, unsigned long deadline,
		    int *result, char *where, size_t size)
{
	long left = (long)(deadline - jiffies);
	int ret = 0;

	if (!wait_for_completion_timeout(&thread->done, max(left, 1L))) {
		ret = -ETIMEDOUT;
		if (where)
			vkt_thread_where(thread->task, where, size);
	} else if (result) {
		*result = thread->result;
	}
	thread->joined = true;
	vkt_thread_put(thread);
	return ret;
}

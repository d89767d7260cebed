// SPDX-License-Identifier: GPL-2.0
/*
 * Threads a KUnit case can wait for with a deadline.
 */
#include <linux/completion.h>
#include <linux/err.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/refcount.h>
#include <linux/slab.h>
#include <kunit/thread.h>

struct kunit_thread {
	refcount_t ref;			/* the thread's and the waiter's */
	struct completion done;
	int (*fn)(void *data);
	void *data;
	int result;
};

static void kunit_thread_put(struct kunit_thread *thread)
{
	if (refcount_dec_and_test(&thread->ref))
		kfree(thread);
}

static int kunit_thread_main(void *arg)
{
	struct kunit_thread *thread = arg;

	thread->result = thread->fn(thread->data);
	complete(&thread->done);
	kunit_thread_put(thread);
	return 0;
}

/**
 * kunit_thread_run() - start a thread a case can wait for with a deadline
 * @fn: the thread's work; it must end by itself
 * @data: passed to @fn
 * @name: the thread's name
 *
 * Return: the thread, or an ERR_PTR().
 */
struct kunit_thread *kunit_thread_run(int (*fn)(void *data), void *data,
				      const char *name)
{
	struct kunit_thread *thread;
	struct task_struct *task;

	thread = kzalloc_obj(*thread, GFP_KERNEL);
	if (!thread)
		return ERR_PTR(-ENOMEM);
	refcount_set(&thread->ref, 2);
	init_completion(&thread->done);
	thread->fn = fn;
	thread->data = data;

	task = kthread_run(kunit_thread_main, thread, "%s", name);
	if (IS_ERR(task)) {
		kfree(thread);
		return ERR_CAST(task);
	}
	return thread;
}
EXPORT_SYMBOL_GPL(kunit_thread_run);

/**
 * kunit_thread_join() - wait for a thread until a deadline
 * @thread: from kunit_thread_run(); not to be used after this call
 * @deadline: in jiffies
 * @result: where @fn's return value goes, if the thread finished; may be NULL
 *
 * Return: 0 if the thread finished in time, -ETIMEDOUT if it did not: it is
 * then abandoned, still running or stuck, and never stopped.
 */
int kunit_thread_join(struct kunit_thread *thread, unsigned long deadline,
		      int *result)
{
	long left = (long)(deadline - jiffies);
	int ret = 0;

	if (!wait_for_completion_timeout(&thread->done, max(left, 1L)))
		ret = -ETIMEDOUT;
	else if (result)
		*result = thread->result;
	kunit_thread_put(thread);
	return ret;
}
EXPORT_SYMBOL_GPL(kunit_thread_join);

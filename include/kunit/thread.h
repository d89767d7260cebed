/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Threads a KUnit case can wait for with a deadline.
 *
 * A case that races kernel paths from several kthreads must not hang when
 * the kernel under test deadlocks, and must not kthread_stop() a thread that
 * is stuck in mutex_lock(): that blocks forever as well.  A kunit_thread is
 * waited for with a deadline; a thread that misses it is abandoned: it is
 * never stopped, and its handle is freed by whichever of the thread and the
 * case lets go of it last.  Whatever else the thread uses must then outlive
 * it: leak it rather than free it.
 */
#ifndef _KUNIT_THREAD_H
#define _KUNIT_THREAD_H

#include <linux/types.h>

struct kunit_thread;

struct kunit_thread *kunit_thread_run(int (*fn)(void *data), void *data,
				      const char *name);
int kunit_thread_join(struct kunit_thread *thread, unsigned long deadline,
		      int *result);

#endif /* _KUNIT_THREAD_H */

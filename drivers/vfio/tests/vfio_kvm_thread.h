/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Threads a vfio <-> kvm case waits for with a deadline.
 *
 * A case on a kernel whose VFIO and KVM deadlock must fail, not hang the
 * run: kthread_stop() on a thread stuck in mutex_lock() never returns, and
 * neither does KUnit when a case times out (it stops the case's thread the
 * same way).  A vkt_thread is waited for with a deadline instead; a thread
 * that misses it is abandoned, never stopped.  It keeps a reference to the
 * module whose code it runs, and its handle is freed by the last of the
 * thread, the case's join and the case's end to let go of it.  Whatever
 * else the thread uses must outlive it: leak it rather than free it.
 */
#ifndef _VFIO_KVM_THREAD_H
#define _VFIO_KVM_THREAD_H

#include <kunit/test.h>

struct vkt_thread;

struct vkt_thread *vkt_thread_run(struct kunit *test, int (*fn)(void *data),
				  void *data, const char *name);
int vkt_thread_join(struct vkt_thread *thread, unsigned long deadline,
		    int *result, char *where, size_t size);

/* Room for where a thread sleeps, in vkt_thread_join()'s @where. */
#define VKT_THREAD_WHERE_LEN	384

#endif /* _VFIO_KVM_THREAD_H */

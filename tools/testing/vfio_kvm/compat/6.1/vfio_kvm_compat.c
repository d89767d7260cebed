// SPDX-License-Identifier: GPL-2.0
/*
 * The suites on Linux 6.1: the parts of the adapter that are code (see
 * vfio_kvm_compat.h).
 */
#include <linux/kthread.h>
#include <linux/mman.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "vfio_kvm_compat.h"

/*
 * 6.1 has no kunit_vm_mmap(): give the case's kthread an mm the way later
 * kernels do, torn down when the kthread exits.  mm_alloc() is not
 * exported in 6.1.
 */
unsigned long vkt_compat_user_map(struct kunit *test, size_t size)
{
#ifdef MODULE
	kunit_skip(test, "6.1 does not export mm_alloc(): the suites need user memory for ioctl arguments, build them in (=y)");
	return 0;
#else
	unsigned long addr;

	if (!current->mm) {
		struct mm_struct *mm = mm_alloc();

		if (!mm)
			return 0;
		mm->task_size = TASK_SIZE;
		arch_pick_mmap_layout(mm, &current->signal->rlim[RLIMIT_STACK]);
		kthread_use_mm(mm);
	}
	addr = vm_mmap(NULL, 0, size, PROT_READ | PROT_WRITE,
		       MAP_ANONYMOUS | MAP_PRIVATE, 0);
	return IS_ERR_VALUE(addr) ? 0 : addr;
#endif
}

/* kunit_add_action() before 6.5: a resource whose release runs the action. */
struct vkt_compat_action {
	kunit_action_t *action;
	void *ctx;
};

static int vkt_compat_action_init(struct kunit_resource *res, void *context)
{
	res->data = context;
	return 0;
}

static void vkt_compat_action_free(struct kunit_resource *res)
{
	struct vkt_compat_action *a = res->data;

	a->action(a->ctx);
	kfree(a);
}

int vkt_compat_add_action(struct kunit *test, kunit_action_t *action,
			  void *ctx, bool or_reset)
{
	struct vkt_compat_action *a = kmalloc(sizeof(*a), GFP_KERNEL);

	if (a) {
		a->action = action;
		a->ctx = ctx;
		if (kunit_alloc_resource(test, vkt_compat_action_init,
					 vkt_compat_action_free, GFP_KERNEL, a))
			return 0;
		kfree(a);
	}
	if (or_reset)
		action(ctx);
	return -ENOMEM;
}

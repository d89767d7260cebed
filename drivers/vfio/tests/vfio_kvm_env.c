// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test environment of the vfio <-> kvm KUnit suites.
 *
 * A case reaches VFIO and KVM only through their real entry points: the
 * group, container and device ioctls of /dev/vfio, and /dev/kvm, the VM and
 * the kvm-vfio device ioctls.  The device nodes come from a private devtmpfs
 * mount (/dev is not mounted when built-in suites run), ioctl arguments live
 * in user memory of the case's mm, and an ioctl that takes an fd gets one
 * for that ioctl only, in the files table KUnit's kthreads share.
 * Everything is torn down, in an order VFIO and KVM accept, by one KUnit
 * resource when the case ends.
 *
 * This file holds the environment itself, the top layer: the mock devices
 * are in vfio_kvm_dev.c, the VMs in vfio_kvm_vm.c, the calls with a
 * deadline in vfio_kvm_call.c, and none of them calls up into this one.
 */
#include <linux/file.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/mount.h>
#include "vfio_kvm_env.h"

/* ---- the environment ---------------------------------------------------- */

static int vkt_env_teardown_fn(void *data)
{
	struct vkt_env *env = data;

	vkt_devs_close_files(&env->devs);
	vkt_vms_destroy(&env->vms);
	/* kvm-vfio's fput() of the group files, deferred in a kthread */
	vkt_fput(&env->ctx, "kvm-vfio's deferred fput()s", NULL);
	vkt_devs_destroy(&env->devs);
	if (!IS_ERR_OR_NULL(env->ctx.devtmpfs))
		mntput(env->ctx.devtmpfs);
	return 0;
}

/*
 * Release what the case left, from a kthread of its own with a deadline:
 * KUnit runs the cleanup in a thread of its own, after the case's thread
 * has exited and with it the mm that held ioctl arguments, and could not
 * end one stuck in VFIO or KVM.  Nothing of the teardown needs that mm,
 * and no later call may take a new thread for the case's.
 */
static void vkt_env_teardown(struct vkt_env *env)
{
	struct kunit *test = env->ctx.test;
	struct vkt_thread *thread;

	env->ctx.actors[0] = NULL;
	env->ctx.mm = NULL;

	if (vkt_wedged()) {
		kunit_info(test, "suite wedged: leaving this case's devices, VMs and files behind");
		return;
	}
	thread = vkt_thread_run(NULL, vkt_env_teardown_fn, env, "vkt-teardown");
	if (IS_ERR(thread)) {
		vkt_set_wedged("no thread for a case's teardown");
		return;
	}
	if (vkt_thread_join(thread, jiffies + vkt_timeout_s * HZ, NULL,
			    env->ctx.where, sizeof(env->ctx.where))) {
		vkt_set_wedged("a case's teardown blocked");
		KUNIT_FAIL(test,
			   "releasing the case's device files, VMs and vfio devices did not end within %u s; its thread sleeps in %s",
			   vkt_timeout_s, env->ctx.where);
		return;
	}
	kfree(env);
}

static void vkt_env_end(void *env)
{
	vkt_env_teardown(env);
}

/*
 * Every case fails on a kernel report printed while it ran, teardown
 * included: the action added first runs last, after the environment is
 * freed.
 */
struct vkt_watch {
	struct kunit *test;
	struct vkt_reports *reports;
};

static void vkt_watch_end(void *data)
{
	struct vkt_watch *watch = data;

	VKT_EXPECT_NO_REPORT(watch->test, watch->reports, "while the case ran");
}

int vkt_case_init(struct kunit *test)
{
	struct file_system_type *devtmpfs;
	struct vkt_watch *watch;
	struct vkt_env *env;

	watch = kunit_kzalloc(test, sizeof(*watch), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, watch);
	watch->test = test;
	watch->reports = vkt_reports_watch(test);
	KUNIT_ASSERT_EQ_MSG(test, kunit_add_action(test, vkt_watch_end, watch), 0,
			    "kunit_add_action()");

	vkt_skip_if_wedged(test);

	/* freed by its teardown, or leaked if that is stuck */
	env = kzalloc_obj(*env, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, env);
	env->reports = watch->reports;
	env->ctx.test = test;
	vkt_vms_init(&env->vms, &env->ctx);
	vkt_devs_init(&env->devs, &env->ctx, &env->vms);
	test->priv = env;
	/* on failure, the (empty) environment is torn down at once */
	KUNIT_ASSERT_EQ_MSG(test, kunit_add_action_or_reset(test, vkt_env_end, env), 0,
			    "kunit_add_action_or_reset()");

	devtmpfs = get_fs_type("devtmpfs");
	KUNIT_ASSERT_NOT_NULL_MSG(test, devtmpfs, "no devtmpfs");
	/* devtmpfs is built in: get_fs_type() took no module reference */
	env->ctx.devtmpfs = vfs_kern_mount(devtmpfs, 0, "devtmpfs", NULL);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(env->ctx.devtmpfs),
			       "mount devtmpfs: %ld", PTR_ERR(env->ctx.devtmpfs));

	env->ctx.ubuf = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE,
				      PROT_READ | PROT_WRITE,
				      MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE_MSG(test, env->ctx.ubuf, 0,
			    "no user memory for ioctl arguments");
	env->ctx.mm = current->mm;
	env->ctx.actors[0] = current;
	return 0;
}

MODULE_DESCRIPTION("KUnit tests of the VFIO <-> KVM lock order and KVM references");
MODULE_LICENSE("GPL");

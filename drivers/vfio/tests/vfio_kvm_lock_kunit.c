// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit cases for the lock order between VFIO and KVM.
 *
 * VFIO calls a driver's open_device and close_device with its device locks
 * held, and drivers take kvm->lock there.  KVM calls kvm_vfio_release() with
 * kvm->lock held, and that tells VFIO to drop the VM.  Before commit
 * 2b48f52f2bff ("vfio: fix deadlock between group lock and kvm lock") VFIO
 * took &group->group_lock for that, and the two orders deadlocked.
 */
#include <linux/debug_locks.h>
#include <linux/jiffies.h>

#include "vfio_kvm_env.h"

VKT_PATH_PARAMS();

static const struct vkt_param vkt_kvm_lockers[] = {
	VKT_MOCK(GROUP, lock_kvm), VKT_MOCK(GROUP, get_then_lock_kvm),
	VKT_MOCK(CDEV, lock_kvm), VKT_MOCK(CDEV, get_then_lock_kvm),
};

KUNIT_ARRAY_PARAM(vkt_lockers, vkt_kvm_lockers, vkt_param_desc);

/*
 * Open with a VM attached, release the kvm-vfio device while the device is
 * open, close: the mock takes kvm->lock with mutex_lock() under VFIO's
 * locks, kvm_vfio_release() calls into VFIO under kvm->lock, and lockdep
 * sees both orders.  Lockdep reports once per boot, and the cases after a
 * report skip: each mock is a case of its own that a boot can run alone.
 */
static void vkt_lock_order(struct kunit *test,
			   const struct vkt_mock_behaviour *b)
{
	enum vkt_path path = *(const enum vkt_path *)test->param_value;
	struct vkt_env *env = test->priv;
	struct vkt_reports *reports = env->reports;
	char what[320];
	struct vkt_dev *dev;
	struct vkt_vm *vm;
	struct file *file;

	vkt_skip_unless_path(test, path);
	if (!IS_ENABLED(CONFIG_PROVE_LOCKING))
		kunit_skip(test,
			   "lockdep is off (CONFIG_PROVE_LOCKING=n): nothing observes the lock order");
	if (!debug_locks)
		kunit_skip(test,
			   "lockdep no longer observes in this boot (debug_locks=0): a lockdep report, a taint that makes lock debugging unreliable, or lockdep out of its tables switched it off");

	dev = vkt_dev_create(&env->devs, path, b, NULL);
	dev->mock->lock_mode = VKT_LOCK_BLOCK;
	vm = vkt_vm_create(&env->vms);
	KUNIT_ASSERT_EQ(test, vkt_dev_attach(dev, vm), 0);

	file = vkt_dev_open(dev);
	if (b->open_error)
		KUNIT_EXPECT_TRUE_MSG(test, IS_ERR(file),
				      "[open-fails] opening the device with a failing open_device succeeded");
	else
		KUNIT_ASSERT_NOT_ERR_OR_NULL_MSG(test, file,
						 "opening the device through its %s",
						 vkt_path_name(path));
	/*
	 * The premise: the mock had the VM in open_device, where it takes
	 * kvm->lock.  Without it the case would observe nothing.
	 */
	KUNIT_EXPECT_EQ_MSG(test, dev->mock->opens_with_kvm, 1U,
			    "[vm-handed] the %s mock's open_device saw no VM (device->kvm NULL) although one was attached: nothing to observe",
			    b->name);

	vkt_vm_release_kvfio(vm);
	if (!IS_ERR(file))
		vkt_dev_close(dev, file);
	VKT_EXPECT_MOCK_OK(test, dev->mock);

	snprintf(what, sizeof(what),
		 "the %s mock, opened through the %s path, took &kvm->lock under VFIO's locks and kvm_vfio_release() called vfio_file_set_kvm() under &kvm->lock: expected no cycle with a VFIO lock (&group->group_lock, &dev_set->lock) and &kvm->lock",
		 b->name, vkt_path_name(path));
	if (vkt_reports_describe(reports, 0, NULL, 0))
		VKT_EXPECT_NO_REPORT(test, reports, what);
	else
		KUNIT_EXPECT_TRUE_MSG(test, debug_locks,
				      "[lockdep-off] lockdep turned itself off (debug_locks=0) with no report in the log: %s",
				      what);
	/* said once, not again by the case's watch */
	vkt_reports_forget(reports);
}

/* vfio_ap: guests_lock, then kvm->lock, in open_device and close_device. */
static void vfio_kvm_lock_order_lock_kvm(struct kunit *test)
{
	vkt_lock_order(test, &vkt_mock_lock_kvm);
}

/* vfio_ap, and s390's zdev for vfio-pci: a lock, kvm_get_kvm(), kvm->lock. */
static void vfio_kvm_lock_order_get_then_lock_kvm(struct kunit *test)
{
	vkt_lock_order(test, &vkt_mock_get_then_lock_kvm);
}

/*
 * A driver whose open_device fails takes no kvm->lock: VFIO unwinds under
 * its locks, and no cycle may involve that either.  (A driver that takes
 * no kvm->lock and succeeds adds nothing to the orders above: its open
 * and close are this case's without the unwind.)
 */
static void vfio_kvm_lock_order_fail_open(struct kunit *test)
{
	vkt_lock_order(test, &vkt_mock_fail_open);
}

/* The mock waits in open_device for the release for half the timeout. */
#define VKT_GATE_MS	(vkt_timeout_s * 1000 / 2)

struct vkt_release_work {
	struct vkt_vm *vm;
	struct vkt_gate gate;
};

/* The release side: waits for the mock to be inside open_device. */
static int vkt_release_fn(void *data)
{
	struct vkt_release_work *w = data;

	if (!wait_for_completion_timeout(&w->gate.in_open, vkt_timeout_s * HZ))
		return -ETIMEDOUT;
	vkt_vm_release_kvfio(w->vm);
	/* the mock's gate: released, while it is still inside open_device */
	complete(&w->gate.go);
	return 0;
}

/*
 * Forced interleaving, with or without lockdep: the mock is held inside
 * open_device, VFIO's locks held, until kvm_vfio_release() has run under
 * kvm->lock; only then does it poll for kvm->lock.  With the fix both
 * sides finish; with the ABBA the release waits for &group->group_lock,
 * the mock's polling gives up and the open fails, and nothing hangs.  The
 * cdev parameters guard against a regression that brings such a lock back.
 */
static void vfio_kvm_lock_interleave(struct kunit *test)
{
	const struct vkt_param *param = test->param_value;
	const struct vkt_mock_behaviour *b = param->b;
	struct vkt_release_work *w;
	struct vkt_thread *thread;
	bool overlapped;
	struct vkt_env *env = test->priv;
	struct vkt_dev *dev;
	struct vkt_vm *vm;
	struct file *file;
	int ret;

	dev = vkt_dev_create(&env->devs, param->path, b, NULL);
	vm = vkt_vm_create(&env->vms);
	KUNIT_ASSERT_EQ(test, vkt_dev_attach(dev, vm), 0);

	/* Leaked if the release thread never ends: it would still use it. */
	w = kzalloc_obj(*w, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	w->vm = vm;
	init_completion(&w->gate.in_open);
	init_completion(&w->gate.go);
	w->gate.wait_ms = VKT_GATE_MS;
	dev->mock->gate = &w->gate;

	thread = vkt_thread_run(test, vkt_release_fn, w, "vkt-release");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, thread);

	file = vkt_dev_open(dev);
	dev->mock->gate = NULL;

	if (vkt_thread_join(thread, jiffies + vkt_timeout_s * HZ, &ret,
			    env->ctx.where, sizeof(env->ctx.where))) {
		vkt_set_wedged("kvm_vfio_release() still blocked after the open");
		KUNIT_FAIL(test,
			   "[call-timeout] kvm_vfio_release() under &kvm->lock did not return within %u s after the device open returned; its thread sleeps in %s",
			   vkt_timeout_s, env->ctx.where);
		return;
	}
	overlapped = w->gate.let_go;
	kfree(w);

	KUNIT_EXPECT_EQ_MSG(test, ret, 0, "[premise] the mock never entered open_device");
	KUNIT_EXPECT_EQ_MSG(test, dev->mock->opens_with_kvm, 1U,
			    "[vm-handed] the %s mock's open_device saw no VM (device->kvm NULL): it never takes kvm->lock, nothing to observe",
			    b->name);
	KUNIT_EXPECT_FALSE_MSG(test, IS_ERR(file),
			       "[premise] opening the device through its %s: %ld",
			       vkt_path_name(param->path), PTR_ERR(file));
	if (!IS_ERR(file)) {
		/*
		 * The premise: kvm_vfio_release() ran, and returned, while
		 * the mock sat in open_device with VFIO's locks held.  An
		 * open that succeeded without that overlap showed nothing.
		 */
		KUNIT_EXPECT_TRUE_MSG(test, overlapped,
				      "[premise] the release never overlapped the open: kvm_vfio_release() had not returned %u ms after the mock entered open_device, yet the open succeeded",
				      VKT_GATE_MS);
		vkt_dev_close(dev, file);
	}
	VKT_EXPECT_MOCK_OK(test, dev->mock);
}

static struct kunit_case vfio_kvm_lock_cases[] = {
	KUNIT_CASE_PARAM_ATTR(vfio_kvm_lock_order_lock_kvm, vkt_paths_gen_params,
			      { .speed = KUNIT_SPEED_SLOW }),
	KUNIT_CASE_PARAM_ATTR(vfio_kvm_lock_order_get_then_lock_kvm, vkt_paths_gen_params,
			      { .speed = KUNIT_SPEED_SLOW }),
	KUNIT_CASE_PARAM_ATTR(vfio_kvm_lock_order_fail_open, vkt_paths_gen_params,
			      { .speed = KUNIT_SPEED_SLOW }),
	KUNIT_CASE_PARAM_ATTR(vfio_kvm_lock_interleave, vkt_lockers_gen_params,
			      { .speed = KUNIT_SPEED_SLOW }),
	{}
};

static struct kunit_suite vfio_kvm_lock_suite = {
	.name = "vfio_kvm_lock",
	.suite_init = vkt_suite_init,
	.suite_exit = vkt_suite_exit,
	.init = vkt_case_init,
	.test_cases = vfio_kvm_lock_cases,
};

kunit_test_suites(&vfio_kvm_lock_suite);

// SPDX-License-Identifier: GPL-2.0
/*
 * The runner's case on a dying VM: one whose users_count already dropped
 * to 0, so that kvm_destroy_vm() is on its way.  VFIO must not take a
 * reference to it (kvm_get_kvm_safe() fails) nor hand it to the driver,
 * and the device still opens.
 *
 * A real VM cannot be held in that state: the case attaches a fake struct
 * kvm (vfio_kvm_internals.c) with users_count 0, which no put may bring
 * to kvm_destroy_vm().  Not part of the suites proposed upstream, since
 * it builds KVM's private state; the runner links it with the suites
 * (module or built in) behind CONFIG_VFIO_KVM_INTERNALS_KUNIT_TEST.
 */
#include <linux/bits.h>
#include <linux/err.h>
#include <linux/kvm_host.h>
#include <linux/refcount.h>

#include "vfio_kvm_internals.h"

/* a users_count no put of a buggy kernel brings to 0 */
#define VKT_DYING_PIN	BIT(20)

VKT_PATH_PARAMS();

static void vfio_kvm_fake_vm_dying(struct kunit *test)
{
	enum vkt_path path = *(const enum vkt_path *)test->param_value;
	struct vkt_env *env = test->priv;
	struct vkt_fake_vm *vm;
	struct vkt_dev *dev;
	struct file *file;

	dev = vkt_dev_create(&env->devs, path, &vkt_mock_lock_kvm, NULL);
	/* the fake's kvm->lock is polled for: lockdep stays out of it */
	dev->mock->lock_mode = VKT_LOCK_POLL;
	dev->mock->expect_vm = VKT_VM_NONE;
	vm = vkt_fake_vm_create(env, 0);
	if (path == VKT_PATH_GROUP) {
		vkt_fake_vm_add_file(vm, dev->group);
		file = vkt_dev_open(dev);
	} else {
		file = vkt_dev_cdev_open(dev);
		KUNIT_ASSERT_FALSE(test, IS_ERR(file));
		vkt_fake_vm_add_file(vm, file);
		KUNIT_EXPECT_EQ_MSG(test, vkt_dev_cdev_bind(dev, file), 0,
				    "[open-dying-vm] binding the device's cdev");
	}
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(file),
			       "[open-dying-vm] opening the device through its %s: %ld",
			       vkt_path_name(path), PTR_ERR(file));
	if (dev->mock->open_kvm) {
		/* never let a put reach kvm_destroy_vm() on the fake */
		refcount_set(&vm->kvm->users_count, VKT_DYING_PIN);
		KUNIT_FAIL(test,
			   "[dying-vm] device->kvm is a VM whose users_count was 0 at open: VFIO handed a dying VM to the driver");
	} else {
		KUNIT_EXPECT_EQ_MSG(test, vkt_kvm_users(vm->kvm), 0U,
				    "[dying-vm-users] kvm->users_count of a dying VM after the open");
	}
	vkt_dev_close(dev, file);
	VKT_EXPECT_MOCK_OK(test, dev->mock);
}

static struct kunit_case vfio_kvm_fake_vm_cases[] = {
	KUNIT_CASE_PARAM(vfio_kvm_fake_vm_dying, vkt_paths_gen_params),
	{}
};

static struct kunit_suite vfio_kvm_fake_vm_suite = {
	.name = "vfio_kvm_fake_vm",
	.suite_init = vkt_suite_init,
	.suite_exit = vkt_suite_exit,
	.init = vkt_case_init,
	.test_cases = vfio_kvm_fake_vm_cases,
};

kunit_test_suites(&vfio_kvm_fake_vm_suite);

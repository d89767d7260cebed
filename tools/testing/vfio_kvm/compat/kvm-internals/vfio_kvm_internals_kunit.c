// SPDX-License-Identifier: GPL-2.0
/*
 * The runner's cases on KVM's internals, which the suites proposed
 * upstream do not read: who holds a VM (kvm->users_count), and the module
 * whose code destroys it.  Not part of the suites proposed upstream; the
 * runner links it with them behind CONFIG_VFIO_KVM_INTERNALS_KUNIT_TEST.
 */
#include <linux/completion.h>
#include <linux/kvm_host.h>
#include <linux/module.h>

#include "vfio_kvm_internals.h"

VKT_PATH_PARAMS();

/*
 * A group KVM is told of holds no reference to the VM: only an open
 * device does.  (A group that held one would keep every VM alive exactly
 * as long as the suites' rules say, and no rule could tell.)
 */
static void vfio_kvm_internals_attach_takes_no_ref(struct kunit *test)
{
	struct vkt_env *env = test->priv;
	struct vkt_dev *dev;
	struct vkt_vm *vm;
	unsigned int base;

#ifdef VKT_VFIO_HOLDS_VM_FILE
	kunit_skip(test, "7.4: the group holds the VM's file while attached, by design");
#endif
	dev = vkt_dev_create(&env->devs, VKT_PATH_GROUP, &vkt_mock_lock_kvm, NULL);
	vm = vkt_vm_create(&env->vms);
	base = vkt_kvm_users(vkt_vm_kvm(vm));
	KUNIT_ASSERT_EQ(test, vkt_dev_attach(dev, vm), 0);
	KUNIT_EXPECT_EQ_MSG(test, vkt_kvm_users(vkt_vm_kvm(vm)), base,
			    "[attach-no-ref] kvm->users_count of a VM once a group was attached to it, no device open: the group holds a reference");
}

/*
 * module-check's demonstration of what the rule below prevents: the case
 * holds the VM that only VFIO keeps for up to hold_for_unload seconds, and
 * says so, for the guest to try "rmmod kvm_amd" meanwhile; writing
 * "unloaded" or "refused" to release_hold ends the hold.  The guest tells:
 * the case runs in the suite module's init, inside the module notifier
 * chain, and cannot watch for the unload itself.
 */
static unsigned int hold_for_unload;
module_param(hold_for_unload, uint, 0444);
MODULE_PARM_DESC(hold_for_unload,
		 "Seconds vfio_kvm_internals_pins_vendor_module holds a VM only VFIO keeps, for the vendor module to be unloaded under it (0: no hold)");

static DECLARE_COMPLETION(vkt_hold_released);
static bool vkt_hold_unloaded;

static int vkt_release_hold(const char *val, const struct kernel_param *kp)
{
	WRITE_ONCE(vkt_hold_unloaded, sysfs_streq(val, "unloaded"));
	complete(&vkt_hold_released);
	return 0;
}

static const struct kernel_param_ops vkt_release_hold_ops = {
	.set = vkt_release_hold,
};
module_param_cb(release_hold, &vkt_release_hold_ops, NULL, 0200);
MODULE_PARM_DESC(release_hold,
		 "End a hold_for_unload hold: \"unloaded\" (the vendor module is gone) or \"refused\"");

/* Hold for the unload of @vendor; returns whether it was unloaded. */
static bool vkt_hold_for_unload(struct kunit *test, struct module *vendor)
{
	WRITE_ONCE(vkt_hold_unloaded, false);
	reinit_completion(&vkt_hold_released);
	kunit_info(test, "holding a VM only VFIO keeps for up to %u s: unload %s now\n",
		   hold_for_unload, module_name(vendor));
	if (!wait_for_completion_timeout(&vkt_hold_released,
					 hold_for_unload * HZ)) {
		kunit_info(test, "nobody ended the hold in %u s\n", hold_for_unload);
		return false;
	}
	return READ_ONCE(vkt_hold_unloaded);
}

/*
 * While VFIO holds a VM, the module that will destroy it stays loaded:
 * kvm_destroy_vm() calls into the vendor module (kvm_amd, kvm_intel),
 * which only the VM's files pinned, and the VMM has closed them all.
 * Whatever VFIO holds the VM by must keep that module from being unloaded
 * until its last close.
 */
static void vfio_kvm_internals_pins_vendor_module(struct kunit *test)
{
	enum vkt_path path = *(const enum vkt_path *)test->param_value;
	struct vkt_env *env = test->priv;
	char name[MODULE_NAME_LEN];
	unsigned int pinned, after;
	struct module *vendor;
	struct vkt_dev *dev;
	struct vkt_vm *vm;
	struct file *file;

	dev = vkt_dev_create(&env->devs, path, &vkt_mock_lock_kvm, NULL);
	dev->mock->lock_mode = VKT_LOCK_POLL;
	vm = vkt_vm_create(&env->vms);
	vendor = vkt_vm_vendor_module(vm);
	if (!vendor)
		kunit_skip(test, "the vendor KVM module is built in: nothing can unload it");
	if (vkt_vm_destroyed(vm) < 0)
		kunit_skip(test, "the VM has no debugfs directory: its destruction cannot be seen");
	KUNIT_ASSERT_EQ(test, vkt_dev_attach(dev, vm), 0);
	dev->mock->expect_vm = VKT_VM_ATTACHED;
	file = vkt_dev_open(dev);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(file), "opening the device: %ld",
			       PTR_ERR(file));
	vkt_vm_release_kvfio(vm);
	vkt_vm_close(vm);
	if (vkt_vm_destroyed(vm) == 1) {
		vkt_mock_forget_vm(dev->mock);
		KUNIT_FAIL(test,
			   "[vm-kept] kvm_destroy_vm() ran while the device was open: the open device did not keep the VM");
		return;
	}

	strscpy(name, module_name(vendor), sizeof(name));
	pinned = vkt_module_refcount(vendor);
	if (hold_for_unload && vkt_hold_for_unload(test, vendor)) {
		/* @vendor is gone: the close shows what that does */
		KUNIT_FAIL(test,
			   "[vendor-pinned] %s was unloaded while VFIO alone held a VM (its refcount was %u; release_hold=unloaded): the device's last close now calls kvm_destroy_vm() into the unloaded module",
			   name, pinned);
		vkt_dev_close(dev, file);
		return;
	}
	vkt_dev_close(dev, file);
	VKT_EXPECT_MOCK_OK(test, dev->mock);
	KUNIT_EXPECT_EQ_MSG(test, vkt_vm_destroyed(vm), 1,
			    "[vm-leaked] kvm_destroy_vm() did not run at the device's last close");
	after = vkt_module_refcount(vendor);
	KUNIT_EXPECT_GT_MSG(test, pinned, after,
			    "[vendor-pinned] %s refcount %u while VFIO alone held a VM, %u once the device's last close destroyed it: nothing kept the module that kvm_destroy_vm() calls into from being unloaded",
			    name, pinned, after);
}

static struct kunit_case vfio_kvm_internals_cases[] = {
	KUNIT_CASE(vfio_kvm_internals_attach_takes_no_ref),
	KUNIT_CASE_PARAM(vfio_kvm_internals_pins_vendor_module, vkt_paths_gen_params),
	{}
};

static struct kunit_suite vfio_kvm_internals_suite = {
	.name = "vfio_kvm_internals",
	.suite_init = vkt_suite_init,
	.suite_exit = vkt_suite_exit,
	.init = vkt_case_init,
	.test_cases = vfio_kvm_internals_cases,
};

kunit_test_suites(&vfio_kvm_internals_suite);

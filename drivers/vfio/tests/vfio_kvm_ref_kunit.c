// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit cases for the KVM reference VFIO holds for its drivers.
 *
 * Since commit 2b48f52f2bff ("vfio: fix deadlock between group lock and kvm
 * lock") VFIO takes its own reference to the group's VM at a device's first
 * open (kvm_get_kvm_safe()) and keeps it in device->kvm until the last
 * close, whatever KVM does with the group meanwhile.  Drivers rely on that:
 * the pointer they get in open_device must stay valid until close_device.
 *
 * The mock used here is the one that hit the deadlock (its own lock, then
 * kvm->lock), polling for kvm->lock so that lockdep stays out of it.
 */
#include <linux/iommu.h>
#include <linux/kvm_host.h>
#include <linux/module.h>
#include <linux/platform_device.h>

#include "vfio_kvm_env.h"

VKT_PATH_PARAMS();

/* A device of @mock, opened through the case's path. */
static struct vkt_dev *vkt_ref_dev(struct vkt_env *env, const char *mock,
				   void *dev_set_id)
{
	enum vkt_path path = *(const enum vkt_path *)env->test->param_value;
	struct vkt_dev *dev = vkt_dev_create(env, path, vkt_mock_find(mock),
					     dev_set_id);

	dev->mock->lock_mode = VKT_LOCK_POLL;
	return dev;
}

/*
 * Open the device of a group attached to @vm: the mock then checks that
 * device->kvm is backed by the @base references everybody else holds plus
 * VFIO's own.
 */
static struct file *vkt_ref_open(struct kunit *test, struct vkt_dev *dev,
				 unsigned int base)
{
	struct file *file;

	dev->mock->min_users = base + 1;
	file = vkt_dev_open(dev);

	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(file),
			       "opening the device through its %s: %ld",
			       vkt_path_name(dev->path), PTR_ERR(file));
	return file;
}

#define VKT_EXPECT_USERS(test, vm, expected, fmt, ...)		\
	KUNIT_EXPECT_EQ_MSG(test, vkt_vm_users(vm), expected,		\
			    "kvm->users_count " fmt, ##__VA_ARGS__)

/*
 * A case that goes on to drop other references must first know that VFIO
 * holds one, or the kernel would free the VM under the driver.
 */
#define VKT_NO_VFIO_REF "VFIO holds no KVM reference of its own while the device is open (users_count %u before the open)"
#define VKT_ASSERT_VFIO_HOLDS_REF(test, vm, base)			\
	do {								\
		unsigned int __base = (base);				\
									\
		KUNIT_ASSERT_EQ_MSG(test, vkt_vm_users(vm), __base + 1,	\
				    VKT_NO_VFIO_REF, __base);		\
	} while (0)

/* One reference while open, however many fds are open on the device. */
static void vfio_kvm_ref_open_holds_one(struct kunit *test)
{
	struct vkt_env *env = vkt_env_create(test);
	struct vkt_dev *dev = vkt_ref_dev(env, "lock_kvm", NULL);
	struct vkt_vm *vm = vkt_vm_create(env);
	struct file *f1, *f2;
	unsigned int base;

	KUNIT_ASSERT_EQ(test, vkt_vm_attach(vm, dev), 0);
	dev->mock->expect_kvm = true;
	base = vkt_vm_users(vm);

	f1 = vkt_ref_open(test, dev, base);
	KUNIT_EXPECT_PTR_EQ_MSG(test, vkt_dev_kvm(dev), vm->kvm,
				"device->kvm after the first open");
	VKT_EXPECT_USERS(test, vm, base + 1, "with one device fd open");

	/* only the group path opens a device more than once */
	if (dev->path == VKT_PATH_GROUP) {
		f2 = vkt_ref_open(test, dev, base);
		VKT_EXPECT_USERS(test, vm, base + 1, "with two device fds open");
		vkt_dev_close(dev, f2);
		VKT_EXPECT_USERS(test, vm, base + 1,
				 "after closing one of two device fds");
		KUNIT_EXPECT_PTR_EQ_MSG(test, vkt_dev_kvm(dev), vm->kvm,
					"device->kvm while one device fd is open");
	}
	vkt_dev_close(dev, f1);
}

/* The last close drops the reference and clears device->kvm. */
static void vfio_kvm_ref_last_close_drops(struct kunit *test)
{
	struct vkt_env *env = vkt_env_create(test);
	struct vkt_dev *dev = vkt_ref_dev(env, "lock_kvm", NULL);
	struct vkt_vm *vm = vkt_vm_create(env);
	unsigned int base;

	KUNIT_ASSERT_EQ(test, vkt_vm_attach(vm, dev), 0);
	base = vkt_vm_users(vm);

	vkt_dev_close(dev, vkt_ref_open(test, dev, base));
	VKT_EXPECT_USERS(test, vm, base, "after the last close");
	KUNIT_EXPECT_NULL_MSG(test, vkt_dev_kvm(dev),
			      "device->kvm after the last close");
}

/*
 * KVM drops the group or device file while the device is open: by
 * releasing the kvm-vfio device, or by KVM_DEV_VFIO_FILE_DEL.  The device
 * keeps its VM.
 */
static void vkt_ref_dropped_while_open(struct kunit *test, bool release)
{
	struct vkt_env *env = vkt_env_create(test);
	struct vkt_dev *dev = vkt_ref_dev(env, "lock_kvm", NULL);
	struct vkt_vm *vm = vkt_vm_create(env);
	unsigned int base, kvfio;
	struct file *file;

	KUNIT_ASSERT_EQ(test, vkt_vm_attach(vm, dev), 0);
	dev->mock->expect_kvm = true;
	base = vkt_vm_users(vm);
	file = vkt_ref_open(test, dev, base);
	VKT_ASSERT_VFIO_HOLDS_REF(test, vm, base);

	if (release) {
		vkt_vm_release_kvfio(vm);
		/* the kvm-vfio device held a reference of its own */
		kvfio = 1;
	} else {
		KUNIT_ASSERT_EQ(test, vkt_vm_detach(vm, dev), 0);
		kvfio = 0;
	}
	dev->mock->min_users = base - kvfio + 1;

	VKT_EXPECT_USERS(test, vm, base - kvfio + 1,
			 "after KVM dropped the group of the open device");
	KUNIT_EXPECT_PTR_EQ_MSG(test, vkt_dev_kvm(dev), vm->kvm,
				"device->kvm after KVM dropped the group of the open device");

	vkt_dev_close(dev, file);
	VKT_EXPECT_USERS(test, vm, base - kvfio, "after the last close");
	KUNIT_EXPECT_NULL_MSG(test, vkt_dev_kvm(dev),
			      "device->kvm after the last close");
}

static void vfio_kvm_ref_kept_after_kvfio_release(struct kunit *test)
{
	vkt_ref_dropped_while_open(test, true);
}

static void vfio_kvm_ref_kept_after_file_del(struct kunit *test)
{
	vkt_ref_dropped_while_open(test, false);
}

/*
 * The group moves to a second VM while the device is open: the device keeps
 * the first VM until its last close, and the next first open takes the
 * second.
 */
static void vfio_kvm_ref_group_moved(struct kunit *test)
{
	struct vkt_env *env = vkt_env_create(test);
	struct vkt_dev *dev = vkt_ref_dev(env, "lock_kvm", NULL);
	struct vkt_vm *vm1 = vkt_vm_create(env);
	struct vkt_vm *vm2 = vkt_vm_create(env);
	unsigned int base1, base2;
	struct file *file;

	KUNIT_ASSERT_EQ(test, vkt_vm_attach(vm1, dev), 0);
	base1 = vkt_vm_users(vm1);
	base2 = vkt_vm_users(vm2);
	file = vkt_ref_open(test, dev, base1);
	VKT_ASSERT_VFIO_HOLDS_REF(test, vm1, base1);

	KUNIT_ASSERT_EQ(test, vkt_vm_detach(vm1, dev), 0);
	KUNIT_ASSERT_EQ(test, vkt_vm_attach(vm2, dev), 0);
	KUNIT_EXPECT_PTR_EQ_MSG(test, vkt_dev_kvm(dev), vm1->kvm,
				"device->kvm after the group moved to a second VM while open");
	VKT_EXPECT_USERS(test, vm1, base1 + 1,
			 "of the first VM after the group moved while open");
	VKT_EXPECT_USERS(test, vm2, base2,
			 "of the second VM while the device is still open on the first");
	vkt_dev_close(dev, file);
	VKT_EXPECT_USERS(test, vm1, base1,
			 "of the first VM after the last close");

	file = vkt_ref_open(test, dev, base2);
	KUNIT_EXPECT_PTR_EQ_MSG(test, vkt_dev_kvm(dev), vm2->kvm,
				"device->kvm at the next first open");
	VKT_EXPECT_USERS(test, vm2, base2 + 1,
			 "of the second VM at the next first open");
	VKT_EXPECT_USERS(test, vm1, base1,
			 "of the first VM at the next first open");
	vkt_dev_close(dev, file);
	VKT_EXPECT_USERS(test, vm2, base2,
			 "of the second VM after the last close");
}

/*
 * Open the device of a group no VM holds: VFIO takes no reference and the
 * driver gets no VM.
 */
static void vkt_ref_expect_no_vm(struct kunit *test, struct vkt_dev *dev,
				 struct vkt_vm *vm, const char *state)
{
	unsigned int base = vkt_vm_users(vm);
	struct file *file;

	file = vkt_ref_open(test, dev, base);
	KUNIT_EXPECT_NULL_MSG(test, vkt_dev_kvm(dev),
			      "device->kvm at an open %s", state);
	VKT_EXPECT_USERS(test, vm, base, "with the device open %s", state);
	vkt_dev_close(dev, file);
}

/*
 * A group no VM knows of, never attached or deleted from its VM
 * (KVM_DEV_VFIO_FILE_DEL) before the open: no reference, no VM.
 */
static void vfio_kvm_ref_no_vm(struct kunit *test)
{
	struct vkt_env *env = vkt_env_create(test);
	struct vkt_dev *dev = vkt_ref_dev(env, "lock_kvm", NULL);
	struct vkt_vm *vm = vkt_vm_create(env);

	vkt_ref_expect_no_vm(test, dev, vm, "of a group no VM was attached to");
	KUNIT_ASSERT_EQ(test, vkt_vm_attach(vm, dev), 0);
	KUNIT_ASSERT_EQ(test, vkt_vm_detach(vm, dev), 0);
	vkt_ref_expect_no_vm(test, dev, vm,
			     "of a group deleted from its VM (KVM_DEV_VFIO_FILE_DEL)");
}

/* After KVM released the group, the next first open gets no VM. */
static void vfio_kvm_ref_none_after_release(struct kunit *test)
{
	struct vkt_env *env = vkt_env_create(test);
	struct vkt_dev *dev = vkt_ref_dev(env, "lock_kvm", NULL);
	struct vkt_vm *vm = vkt_vm_create(env);

	KUNIT_ASSERT_EQ(test, vkt_vm_attach(vm, dev), 0);
	vkt_vm_release_kvfio(vm);
	vkt_ref_expect_no_vm(test, dev, vm,
			     "after KVM released the group (kvm_vfio_release())");
}

/*
 * Two VFIO files on one kvm-vfio device, as VMMs mix them: two groups, two
 * device files, or one of each.
 */
struct vkt_pair {
	enum vkt_path a, b;
};

static const struct vkt_pair vkt_pairs[] = {
	{ VKT_PATH_GROUP, VKT_PATH_GROUP },
	{ VKT_PATH_CDEV, VKT_PATH_CDEV },
	{ VKT_PATH_GROUP, VKT_PATH_CDEV },
};

static void vkt_pair_desc(const struct vkt_pair *pair, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s-%s", vkt_path_name(pair->a),
		 vkt_path_name(pair->b));
}

KUNIT_ARRAY_PARAM(vkt_pairs, vkt_pairs, vkt_pair_desc);

/*
 * A device of the lock_kvm mock on @path, and the file KVM is told of for
 * it: its group, or a device file that is bound later.
 */
static struct vkt_dev *vkt_pair_dev(struct vkt_env *env, enum vkt_path path,
				    struct file **file)
{
	struct vkt_dev *dev = vkt_dev_create(env, path,
					     vkt_mock_find("lock_kvm"), NULL);

	dev->mock->lock_mode = VKT_LOCK_POLL;
	if (path == VKT_PATH_GROUP) {
		*file = dev->group;
	} else {
		*file = vkt_dev_cdev_open(dev);
		KUNIT_ASSERT_FALSE_MSG(env->test, IS_ERR(*file),
				       "opening the device's cdev: %ld",
				       PTR_ERR(*file));
	}
	return dev;
}

/*
 * The first open of @dev through @file, as KVM was told of it: the device
 * fd the group gives, or @file bound.  Returns the file to close.
 */
static struct file *vkt_pair_open(struct kunit *test, struct vkt_dev *dev,
				  struct file *file, unsigned int base)
{
	if (dev->path == VKT_PATH_GROUP)
		return vkt_ref_open(test, dev, base);
	dev->mock->min_users = base + 1;
	KUNIT_ASSERT_EQ_MSG(test, vkt_dev_cdev_bind(dev, file), 0,
			    "binding the device file KVM was told of");
	return file;
}

/*
 * The case's pair of devices, @a and @b, each with the file KVM is told of,
 * both added to one new VM, which is returned.
 */
static struct vkt_vm *vkt_pair_setup(struct kunit *test,
				     struct vkt_dev **a, struct file **fa,
				     struct vkt_dev **b, struct file **fb)
{
	const struct vkt_pair *pair = test->param_value;
	struct vkt_env *env;
	struct vkt_vm *vm;

	vkt_skip_unless_path(test, pair->a);
	vkt_skip_unless_path(test, pair->b);
	env = vkt_env_create(test);
	*a = vkt_pair_dev(env, pair->a, fa);
	*b = vkt_pair_dev(env, pair->b, fb);
	vm = vkt_vm_create(env);
	KUNIT_ASSERT_EQ(test, vkt_vm_add_file(vm, *fa), 0);
	KUNIT_ASSERT_EQ(test, vkt_vm_add_file(vm, *fb), 0);
	return vm;
}

/*
 * kvm_vfio_release() tells every file of the kvm-vfio device that the VM is
 * gone: the device open keeps its VM until its own last close, and the
 * first open through the other file gets no VM.
 */
static void vfio_kvm_ref_release_every_file(struct kunit *test)
{
	struct file *fa, *fb, *open_a, *open_b;
	struct vkt_dev *a, *b;
	struct vkt_vm *vm;
	unsigned int base;

	vm = vkt_pair_setup(test, &a, &fa, &b, &fb);
	base = vkt_vm_users(vm);

	a->mock->expect_kvm = true;
	open_a = vkt_pair_open(test, a, fa, base);
	KUNIT_EXPECT_PTR_EQ_MSG(test, vkt_dev_kvm(a), vm->kvm,
				"device->kvm of the first file's device, opened before the release");
	VKT_ASSERT_VFIO_HOLDS_REF(test, vm, base);

	vkt_vm_release_kvfio(vm);
	/* the kvm-vfio device held a reference of its own */
	a->mock->min_users = base;
	KUNIT_EXPECT_PTR_EQ_MSG(test, vkt_dev_kvm(a), vm->kvm,
				"device->kvm of the open device after KVM released the kvm-vfio device");

	open_b = vkt_pair_open(test, b, fb, base - 1);
	KUNIT_EXPECT_NULL_MSG(test, vkt_dev_kvm(b),
			      "device->kvm at the first open through the second %s file after KVM released the kvm-vfio device: KVM did not tell every file",
			      vkt_path_name(b->path));
	VKT_EXPECT_USERS(test, vm, base,
			 "with the first device open and the second opened after the release");
	vkt_dev_close(b, open_b);
	vkt_dev_close(a, open_a);
	KUNIT_EXPECT_NULL_MSG(test, vkt_dev_kvm(a),
			      "device->kvm after the open device's last close");
	VKT_EXPECT_USERS(test, vm, base - 1,
			 "after both devices' last close");
}

/*
 * KVM_DEV_VFIO_FILE_DEL of one file leaves the others to the VM: the first
 * open through the deleted file gets no VM, through the other it does.
 */
static void vfio_kvm_ref_file_del_one(struct kunit *test)
{
	struct file *fa, *fb, *open_a, *open_b;
	struct vkt_dev *a, *b;
	struct vkt_vm *vm;
	unsigned int base;

	vm = vkt_pair_setup(test, &a, &fa, &b, &fb);
	KUNIT_ASSERT_EQ(test, vkt_vm_del_file(vm, fa), 0);
	base = vkt_vm_users(vm);

	open_a = vkt_pair_open(test, a, fa, base);
	KUNIT_EXPECT_NULL_MSG(test, vkt_dev_kvm(a),
			      "device->kvm at the first open through the %s file deleted from the VM (KVM_DEV_VFIO_FILE_DEL)",
			      vkt_path_name(a->path));
	b->mock->expect_kvm = true;
	open_b = vkt_pair_open(test, b, fb, base);
	KUNIT_EXPECT_PTR_EQ_MSG(test, vkt_dev_kvm(b), vm->kvm,
				"device->kvm at the first open through the other %s file, still the VM's after the first was deleted",
				vkt_path_name(b->path));
	VKT_EXPECT_USERS(test, vm, base + 1,
			 "with both devices open, one of them without the VM");
	vkt_dev_close(b, open_b);
	vkt_dev_close(a, open_a);
	VKT_EXPECT_USERS(test, vm, base, "after both devices' last close");
}

/*
 * open_device fails: VFIO gives back the reference it took for it and the
 * device stays closed, so the next open calls open_device again.
 */
static void vfio_kvm_ref_open_fails(struct kunit *test)
{
	struct vkt_env *env = vkt_env_create(test);
	struct vkt_dev *dev = vkt_ref_dev(env, "fail_open", NULL);
	struct vkt_vm *vm = vkt_vm_create(env);
	unsigned int base, attempt;
	struct file *file;

	KUNIT_ASSERT_EQ(test, vkt_vm_attach(vm, dev), 0);
	dev->mock->expect_kvm = true;
	base = vkt_vm_users(vm);

	for (attempt = 1; attempt <= 2; attempt++) {
		file = vkt_dev_open(dev);
		KUNIT_EXPECT_EQ_MSG(test, PTR_ERR_OR_ZERO(file), (long)-EIO,
				    "opening the device through its %s with a failing open_device, attempt %u",
				    vkt_path_name(dev->path), attempt);
		if (!IS_ERR(file))
			vkt_dev_close(dev, file);
		VKT_EXPECT_USERS(test, vm, base,
				 "after open_device failed, attempt %u", attempt);
		KUNIT_EXPECT_NULL_MSG(test, vkt_dev_kvm(dev),
				      "device->kvm after open_device failed, attempt %u",
				      attempt);
	}
	KUNIT_EXPECT_EQ_MSG(test, dev->mock->opens, 2U,
			    "open_device calls for two opens that failed in it: a failed first open must leave the device closed");
}

/* Two devices of one dev_set each hold and drop their own reference. */
static void vfio_kvm_ref_dev_set_shared(struct kunit *test)
{
	static int dev_set_id;
	struct vkt_env *env = vkt_env_create(test);
	struct vkt_dev *a = vkt_ref_dev(env, "lock_kvm", &dev_set_id);
	struct vkt_dev *b = vkt_ref_dev(env, "lock_kvm", &dev_set_id);
	struct vkt_vm *vm = vkt_vm_create(env);
	struct file *fa, *fb;
	unsigned int base;

	KUNIT_ASSERT_EQ(test, vkt_vm_attach(vm, a), 0);
	KUNIT_ASSERT_EQ(test, vkt_vm_attach(vm, b), 0);
	base = vkt_vm_users(vm);

	fa = vkt_ref_open(test, a, base);
	VKT_EXPECT_USERS(test, vm, base + 1, "with the first device of the dev_set open");
	KUNIT_EXPECT_NULL_MSG(test, vkt_dev_kvm(b),
			      "device->kvm of the dev_set's device that is not open");
	fb = vkt_ref_open(test, b, base);
	VKT_EXPECT_USERS(test, vm, base + 2, "with both devices of the dev_set open");
	vkt_dev_close(a, fa);
	VKT_EXPECT_USERS(test, vm, base + 1, "after closing the first device of the dev_set");
	KUNIT_EXPECT_NULL_MSG(test, vkt_dev_kvm(a), "device->kvm of the closed device");
	KUNIT_EXPECT_PTR_EQ_MSG(test, vkt_dev_kvm(b), vm->kvm,
				"device->kvm of the device still open");
	vkt_dev_close(b, fb);
	VKT_EXPECT_USERS(test, vm, base, "after closing both devices of the dev_set");
}

/*
 * Open the device of a real VM's group, then close the kvm-vfio device and
 * the VM fd, as a VMM that exits does: VFIO's reference is the VM's last.
 * Returns the device file, or NULL when the VM was destroyed all the same
 * (the case has failed, and the suite is wedged: the driver still points
 * at the freed VM).
 */
static struct file *vkt_ref_leave_vm_to_vfio(struct kunit *test,
					     struct vkt_dev *dev,
					     struct vkt_vm *vm)
{
	unsigned int base;
	struct file *file;

	KUNIT_ASSERT_EQ(test, vkt_vm_attach(vm, dev), 0);
	base = vkt_vm_users(vm);
	file = vkt_ref_open(test, dev, base);
	VKT_ASSERT_VFIO_HOLDS_REF(test, vm, base);

	vkt_vm_release_kvfio(vm);
	vkt_vm_close(vm);
	if (vkt_vm_destroyed(vm) == 1) {
		/* the driver still has device->kvm: closing would use it */
		vkt_set_wedged("a VM was destroyed while an open vfio device still pointed at it");
		KUNIT_FAIL(test,
			   "kvm_destroy_vm() ran when the VM fd and the kvm-vfio device were closed, while the device was open: VFIO did not hold its reference until the last close (device left open: closing it would use the freed VM)");
		return NULL;
	}
	dev->mock->min_users = 1;
	return file;
}

/*
 * The VM fd and the kvm-vfio device are closed while the device is open:
 * VFIO's reference is the last, and its last close destroys the VM, with
 * VFIO's locks held (the scenario of commit 51cdc8bc120e).
 */
static void vfio_kvm_ref_last_close_destroys_vm(struct kunit *test)
{
	struct vkt_env *env = vkt_env_create(test);
	struct vkt_dev *dev = vkt_ref_dev(env, "lock_kvm", NULL);
	struct vkt_vm *vm = vkt_vm_create(env);
	struct file *file;

	file = vkt_ref_leave_vm_to_vfio(test, dev, vm);
	if (!file)
		return;
	VKT_EXPECT_USERS(test, vm, 1U,
			 "with only the open device left holding the VM");

	vkt_dev_close(dev, file);
	switch (vkt_vm_destroyed(vm)) {
	case -ENOENT:
		kunit_info(test, "the VM has no debugfs directory: its destruction is not observed");
		break;
	default:
		KUNIT_EXPECT_EQ_MSG(test, vkt_vm_destroyed(vm), 1,
				    "the last VFIO close dropped the last reference but kvm_destroy_vm() did not run");
	}
	vm->kvm = NULL;	/* freed */
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
		 "Seconds vfio_kvm_ref_pins_vendor_module holds a VM only VFIO keeps, for the vendor module to be unloaded under it (0: no hold)");

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
static void vfio_kvm_ref_pins_vendor_module(struct kunit *test)
{
	struct vkt_env *env = vkt_env_create(test);
	struct vkt_dev *dev = vkt_ref_dev(env, "lock_kvm", NULL);
	struct vkt_vm *vm = vkt_vm_create(env);
	char name[MODULE_NAME_LEN];
	unsigned int pinned, after;
	struct module *vendor;
	struct file *file;

	vendor = vkt_vm_vendor_module(vm);
	if (!vendor)
		kunit_skip(test, "the vendor KVM module is built in: nothing can unload it");
	file = vkt_ref_leave_vm_to_vfio(test, dev, vm);
	if (!file)
		return;

	strscpy(name, module_name(vendor), sizeof(name));
	pinned = vkt_module_refcount(vendor);
	if (hold_for_unload && vkt_hold_for_unload(test, vendor)) {
		/* @vendor is gone: the close shows what that does */
		KUNIT_FAIL(test,
			   "%s was unloaded while VFIO alone held a VM (its refcount was %u; release_hold=unloaded): the device's last close now calls kvm_destroy_vm() into the unloaded module",
			   name, pinned);
		vkt_dev_close(dev, file);
		vm->kvm = NULL;	/* freed */
		return;
	}
	vkt_dev_close(dev, file);
	vm->kvm = NULL;	/* freed */
	after = vkt_module_refcount(vendor);
	KUNIT_EXPECT_GT_MSG(test, pinned, after,
			    "%s refcount %u while VFIO alone held a VM, %u once the device's last close destroyed it: nothing kept the module that kvm_destroy_vm() calls into from being unloaded",
			    name, pinned, after);
}

static const bool vkt_second_attached[] = { false, true };

static void vkt_second_desc(const bool *attached, char *desc)
{
	strscpy(desc, *attached ? "second_fd_with_vm" : "second_fd_without_vm",
		KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(vkt_second, vkt_second_attached, vkt_second_desc);

/*
 * The cdev path opens a device once: a second VFIO_DEVICE_BIND_IOMMUFD, on
 * another fd of a bound device, is refused, and the first binding keeps
 * its VM and its reference, whether KVM knows the second fd or not.  A
 * kernel that leaks the reference instead gets it back from the case once
 * the failure is reported, so that the run leaves no VM behind.
 */
static void vfio_kvm_ref_cdev_second_bind(struct kunit *test)
{
	bool attached = *(const bool *)test->param_value;
	struct vkt_env *env = vkt_env_create(test);
	struct vkt_dev *dev = vkt_dev_create(env, VKT_PATH_CDEV,
					     vkt_mock_find("lock_kvm"), NULL);
	struct vkt_vm *vm = vkt_vm_create(env);
	struct file *first, *second;
	unsigned int base, users;

	dev->mock->lock_mode = VKT_LOCK_POLL;
	KUNIT_ASSERT_EQ(test, vkt_vm_attach(vm, dev), 0);
	dev->mock->expect_kvm = true;
	base = vkt_vm_users(vm);
	first = vkt_ref_open(test, dev, base);
	VKT_ASSERT_VFIO_HOLDS_REF(test, vm, base);

	second = vkt_dev_cdev_open(dev);
	KUNIT_ASSERT_FALSE(test, IS_ERR(second));
	if (attached)
		KUNIT_ASSERT_EQ(test, vkt_vm_add_file(vm, second), 0);
	KUNIT_EXPECT_EQ_MSG(test, vkt_dev_cdev_bind(dev, second), -EINVAL,
			    "VFIO_DEVICE_BIND_IOMMUFD on a second fd of a bound device");
	KUNIT_EXPECT_PTR_EQ_MSG(test, vkt_dev_kvm(dev), vm->kvm,
				"device->kvm of the first binding after a refused second bind");
	VKT_EXPECT_USERS(test, vm, base + 1,
			 "after a refused second bind (the first binding's reference only)");
	vkt_dev_close(dev, second);

	vkt_dev_close(dev, first);
	VKT_EXPECT_USERS(test, vm, base,
			 "after the first binding's last close");
	users = vkt_vm_users(vm);
	if (users > base) {
		kunit_info(test,
			   "giving back the %u KVM reference(s) VFIO leaked, so that the VM is destroyed",
			   users - base);
		vkt_vm_put_leaked(vm, users - base);
	}
}

/*
 * A device is opened through its group or through its cdev, not both: an
 * open group blocks a bind, a bound device blocks opening the group, and
 * neither leaves a reference behind.
 */
static void vfio_kvm_ref_group_cdev_exclusive(struct kunit *test)
{
	const struct vkt_mock_behaviour *b = vkt_mock_find("lock_kvm");
	struct vkt_env *env = vkt_env_create(test);
	struct vkt_dev *grouped = vkt_dev_create(env, VKT_PATH_GROUP, b, NULL);
	struct vkt_dev *bound = vkt_dev_create(env, VKT_PATH_CDEV, b, NULL);
	struct vkt_vm *vm = vkt_vm_create(env);
	struct iommu_group *iommu_group;
	struct file *file, *group;
	unsigned int base;
	char path[32];

	grouped->mock->lock_mode = VKT_LOCK_POLL;
	bound->mock->lock_mode = VKT_LOCK_POLL;
	base = vkt_vm_users(vm);

	/* the group of @grouped is open: its cdev cannot be bound */
	file = vkt_dev_cdev_open(grouped);
	KUNIT_ASSERT_FALSE(test, IS_ERR(file));
	KUNIT_ASSERT_EQ(test, vkt_vm_add_file(vm, file), 0);
	KUNIT_EXPECT_EQ_MSG(test, vkt_dev_cdev_bind(grouped, file), -EBUSY,
			    "VFIO_DEVICE_BIND_IOMMUFD while the device's group is open");
	KUNIT_EXPECT_NULL_MSG(test, vkt_dev_kvm(grouped),
			      "device->kvm after a bind refused for the open group");
	VKT_EXPECT_USERS(test, vm, base, "after a bind refused for the open group");
	vkt_dev_close(grouped, file);

	/* @bound is bound through its cdev: its group cannot be opened */
	KUNIT_ASSERT_EQ(test, vkt_vm_attach(vm, bound), 0);
	file = vkt_ref_open(test, bound, base);
	iommu_group = iommu_group_get(&bound->pdev->dev);
	KUNIT_ASSERT_NOT_NULL(test, iommu_group);
	snprintf(path, sizeof(path), "vfio/%d", iommu_group_id(iommu_group));
	iommu_group_put(iommu_group);
	group = vkt_open_node(env, path);
	KUNIT_EXPECT_EQ_MSG(test, PTR_ERR_OR_ZERO(group), -EBUSY,
			    "opening the group of a device bound through its cdev");
	if (!IS_ERR(group))
		vkt_close_node(env, group);
	VKT_EXPECT_USERS(test, vm, base + 1,
			 "with the device bound and its group refused");
	vkt_dev_close(bound, file);
	VKT_EXPECT_USERS(test, vm, base, "after the bound device's last close");
}

static struct kunit_case vfio_kvm_ref_cases[] = {
	KUNIT_CASE_PARAM(vfio_kvm_ref_open_holds_one, vkt_paths_gen_params),
	KUNIT_CASE_PARAM(vfio_kvm_ref_last_close_drops, vkt_paths_gen_params),
	KUNIT_CASE_PARAM(vfio_kvm_ref_kept_after_kvfio_release, vkt_paths_gen_params),
	KUNIT_CASE_PARAM(vfio_kvm_ref_kept_after_file_del, vkt_paths_gen_params),
	KUNIT_CASE_PARAM(vfio_kvm_ref_group_moved, vkt_paths_gen_params),
	KUNIT_CASE_PARAM(vfio_kvm_ref_release_every_file, vkt_pairs_gen_params),
	KUNIT_CASE_PARAM(vfio_kvm_ref_file_del_one, vkt_pairs_gen_params),
	KUNIT_CASE_PARAM(vfio_kvm_ref_no_vm, vkt_paths_gen_params),
	KUNIT_CASE_PARAM(vfio_kvm_ref_none_after_release, vkt_paths_gen_params),
	KUNIT_CASE_PARAM(vfio_kvm_ref_open_fails, vkt_paths_gen_params),
	KUNIT_CASE_PARAM(vfio_kvm_ref_dev_set_shared, vkt_paths_gen_params),
	KUNIT_CASE_PARAM(vfio_kvm_ref_last_close_destroys_vm, vkt_paths_gen_params),
	KUNIT_CASE_PARAM(vfio_kvm_ref_pins_vendor_module, vkt_paths_gen_params),
	KUNIT_CASE_PARAM(vfio_kvm_ref_cdev_second_bind, vkt_second_gen_params),
	KUNIT_CASE(vfio_kvm_ref_group_cdev_exclusive),
	{}
};

static struct kunit_suite vfio_kvm_ref_suite = {
	.name = "vfio_kvm_ref",
	.suite_init = vkt_suite_init,
	.suite_exit = vkt_suite_exit,
	.init = vkt_case_init,
	.test_cases = vfio_kvm_ref_cases,
};

kunit_test_suites(&vfio_kvm_ref_suite);

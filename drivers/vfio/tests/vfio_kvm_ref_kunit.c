// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit cases for the KVM reference VFIO holds for its drivers.
 *
 * Since commit 2b48f52f2bff ("vfio: fix deadlock between group lock and kvm
 * lock") VFIO takes its own reference to the group's VM at a device's first
 * open and keeps it in device->kvm until the last close, whatever KVM does
 * with the group meanwhile.  Drivers rely on that: the pointer they get in
 * open_device must stay valid until close_device.
 *
 * The cases judge the rule, not how KVM counts: a VM lives while anyone
 * holds it (the case's VM fd and kvm-vfio device, or an open vfio device)
 * and is destroyed when the last of them lets go.  KVM shows that
 * destruction in one place, the VM's debugfs directory, which
 * kvm_destroy_vm() removes; without debugfs these cases skip.
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

/* A device of @mock, opened through @path. */
static struct vkt_dev *vkt_ref_dev_on(struct vkt_env *env, enum vkt_path path,
				      const struct vkt_mock_behaviour *mock,
				      void *dev_set_id)
{
	struct vkt_dev *dev = vkt_dev_create(&env->devs, path, mock, dev_set_id);

	dev->mock->lock_mode = VKT_LOCK_POLL;
	return dev;
}

/* A device of @mock, opened through the case's path. */
static struct vkt_dev *vkt_ref_dev(struct vkt_env *env,
				   const struct vkt_mock_behaviour *mock,
				   void *dev_set_id)
{
	enum vkt_path path = *(const enum vkt_path *)env->ctx.test->param_value;

	return vkt_ref_dev_on(env, path, mock, dev_set_id);
}

/* A VM whose destruction the case can see. */
static struct vkt_vm *vkt_ref_vm(struct vkt_env *env)
{
	struct vkt_vm *vm = vkt_vm_create(&env->vms);

	if (vkt_vm_destroyed(vm) < 0)
		kunit_skip(env->ctx.test,
			   "the VM has no debugfs directory (CONFIG_DEBUG_FS): its destruction cannot be seen");
	return vm;
}

/* Open the device; a VM's own rules are checked by the case. */
static struct file *vkt_ref_open(struct kunit *test, struct vkt_dev *dev)
{
	struct file *file = vkt_dev_open(dev);

	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(file),
			       "opening the device through its %s: %ld",
			       vkt_path_name(dev->path), PTR_ERR(file));
	return file;
}

/*
 * The VM as VFIO hands it to drivers, from the first open of @dev with
 * @vm attached: later hand-overs are compared with it.
 */
static void vkt_ref_handed(struct kunit *test, struct vkt_vm *vm,
			   struct vkt_dev *dev)
{
	vm->kvm = vkt_dev_kvm(dev);
	KUNIT_ASSERT_NOT_NULL_MSG(test, vm->kvm,
				  "device->kvm at the first open with a VM attached: VFIO handed the driver no VM");
}

/*
 * The first open of @dev with @vm attached: the driver must be handed a VM
 * at open_device, the one the case then knows as @vm's.
 */
static struct file *vkt_ref_open_with_vm(struct kunit *test,
					 struct vkt_dev *dev,
					 struct vkt_vm *vm)
{
	struct file *file;

	KUNIT_ASSERT_EQ(test, vkt_dev_attach(dev, vm), 0);
	dev->mock->expect_kvm = true;
	file = vkt_ref_open(test, dev);
	vkt_ref_handed(test, vm, dev);
	return file;
}

/*
 * The case lets go of @vm, its kvm-vfio device and its fd, while @dev is
 * open: what VFIO holds must keep the VM alive.  Returns false when the VM
 * was destroyed all the same (the case failed; if the driver still points
 * at the freed VM, the suite is wedged and the device left open).
 */
static bool vkt_ref_vfio_keeps(struct kunit *test, struct vkt_vm *vm,
			       struct vkt_dev *dev, const char *state)
{
	vkt_vm_release_kvfio(vm);
	vkt_vm_close(vm);
	if (vkt_vm_destroyed(vm) != 1)
		return true;
	if (vkt_dev_kvm(dev))
		vkt_set_wedged("a VM was destroyed while an open vfio device still pointed at it");
	KUNIT_FAIL(test,
		   "kvm_destroy_vm() ran when the case closed the VM fd and the kvm-vfio device %s: the open device did not keep the VM (device->kvm %s)",
		   state, vkt_dev_kvm(dev) ? "still points at it: device left open" : "is NULL");
	return false;
}

/*
 * Everyone let go of @vm: it must be destroyed, or a reference was
 * leaked.  The VM is not touched again either way.
 */
static void vkt_ref_expect_destroyed(struct kunit *test, struct vkt_vm *vm,
				     const char *state)
{
	vkt_vm_release_kvfio(vm);
	vkt_vm_close(vm);
	KUNIT_EXPECT_EQ_MSG(test, vkt_vm_destroyed(vm), 1,
			    "kvm_destroy_vm() did not run %s, with the VM fd, the kvm-vfio device and every device file closed: a reference to the VM was leaked",
			    state);
	vm->kvm = NULL;
}

/*
 * One reference while open, however many fds are open on the device: the
 * VM outlives a close that is not the last and dies at the last.
 */
static void vfio_kvm_ref_open_holds_one(struct kunit *test)
{
	struct vkt_env *env = test->priv;
	struct vkt_dev *dev = vkt_ref_dev(env, &vkt_mock_lock_kvm, NULL);
	struct vkt_vm *vm = vkt_ref_vm(env);
	struct file *f1, *f2;

	f1 = vkt_ref_open_with_vm(test, dev, vm);

	/* only the group path opens a device more than once */
	if (dev->path == VKT_PATH_GROUP) {
		f2 = vkt_ref_open(test, dev);
		KUNIT_EXPECT_PTR_EQ_MSG(test, vkt_dev_kvm(dev), vm->kvm,
					"device->kvm with two device fds open");
		vkt_dev_close(dev, f2);
		KUNIT_EXPECT_PTR_EQ_MSG(test, vkt_dev_kvm(dev), vm->kvm,
					"device->kvm after closing one of two device fds");
	}
	if (!vkt_ref_vfio_keeps(test, vm, dev,
				dev->path == VKT_PATH_GROUP ?
				"with one of two device fds closed and the other open" :
				"with the device bound"))
		return;
	vkt_dev_close(dev, f1);
	VKT_EXPECT_MOCK_OK(test, dev->mock);
	vkt_ref_expect_destroyed(test, vm, "at the device's last close");
}

/* The last close drops the reference and clears device->kvm. */
static void vfio_kvm_ref_last_close_drops(struct kunit *test)
{
	struct vkt_env *env = test->priv;
	struct vkt_dev *dev = vkt_ref_dev(env, &vkt_mock_lock_kvm, NULL);
	struct vkt_vm *vm = vkt_ref_vm(env);

	vkt_dev_close(dev, vkt_ref_open_with_vm(test, dev, vm));
	KUNIT_EXPECT_NULL_MSG(test, vkt_dev_kvm(dev),
			      "device->kvm after the last close");
	VKT_EXPECT_MOCK_OK(test, dev->mock);
	vkt_ref_expect_destroyed(test, vm, "after the device's last close");
}

/*
 * KVM drops the group or device file while the device is open: by
 * releasing the kvm-vfio device, or by KVM_DEV_VFIO_FILE_DEL.  The device
 * keeps its VM until its last close.
 */
static void vkt_ref_dropped_while_open(struct kunit *test, bool release)
{
	struct vkt_env *env = test->priv;
	struct vkt_dev *dev = vkt_ref_dev(env, &vkt_mock_lock_kvm, NULL);
	struct vkt_vm *vm = vkt_ref_vm(env);
	struct file *file;

	file = vkt_ref_open_with_vm(test, dev, vm);

	if (release)
		vkt_vm_release_kvfio(vm);
	else
		KUNIT_ASSERT_EQ(test, vkt_dev_detach(dev, vm), 0);
	KUNIT_EXPECT_PTR_EQ_MSG(test, vkt_dev_kvm(dev), vm->kvm,
				"device->kvm after KVM dropped the group of the open device");
	if (!vkt_ref_vfio_keeps(test, vm, dev,
				"after KVM dropped the group of the open device"))
		return;

	vkt_dev_close(dev, file);
	KUNIT_EXPECT_NULL_MSG(test, vkt_dev_kvm(dev),
			      "device->kvm after the last close");
	VKT_EXPECT_MOCK_OK(test, dev->mock);
	vkt_ref_expect_destroyed(test, vm, "at the device's last close");
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
	struct vkt_env *env = test->priv;
	struct vkt_dev *dev = vkt_ref_dev(env, &vkt_mock_lock_kvm, NULL);
	struct vkt_vm *vm1 = vkt_ref_vm(env);
	struct vkt_vm *vm2 = vkt_ref_vm(env);
	struct kvm *first;
	struct file *file;

	KUNIT_ASSERT_EQ(test, vkt_dev_attach(dev, vm1), 0);
	file = vkt_ref_open(test, dev);
	vkt_ref_handed(test, vm1, dev);
	first = vm1->kvm;

	KUNIT_ASSERT_EQ(test, vkt_dev_detach(dev, vm1), 0);
	KUNIT_ASSERT_EQ(test, vkt_dev_attach(dev, vm2), 0);
	KUNIT_EXPECT_PTR_EQ_MSG(test, vkt_dev_kvm(dev), vm1->kvm,
				"device->kvm after the group moved to a second VM while open");
	if (!vkt_ref_vfio_keeps(test, vm1, dev,
				"after the group moved to a second VM while open"))
		return;
	vkt_dev_close(dev, file);
	vkt_ref_expect_destroyed(test, vm1,
				 "for the first VM at the device's last close");

	file = vkt_ref_open(test, dev);
	KUNIT_EXPECT_NOT_NULL_MSG(test, vkt_dev_kvm(dev),
				  "device->kvm at the next first open, with the group on the second VM");
	KUNIT_EXPECT_PTR_NE_MSG(test, vkt_dev_kvm(dev), first,
				"device->kvm at the next first open: still the first VM");
	vkt_ref_handed(test, vm2, dev);
	vkt_dev_close(dev, file);
	VKT_EXPECT_MOCK_OK(test, dev->mock);
	vkt_ref_expect_destroyed(test, vm2,
				 "for the second VM after the device's last close");
}

/*
 * Open the device of a group no VM holds: the driver gets no VM, and the
 * VM the case has dies when the case lets go of it.
 */
static void vkt_ref_expect_no_vm(struct kunit *test, struct vkt_dev *dev,
				 const char *state)
{
	struct file *file = vkt_ref_open(test, dev);

	KUNIT_EXPECT_NULL_MSG(test, vkt_dev_kvm(dev),
			      "device->kvm at an open %s", state);
	vkt_dev_close(dev, file);
}

/*
 * A group no VM knows of, never attached or deleted from its VM
 * (KVM_DEV_VFIO_FILE_DEL) before the open: no VM, and nothing kept.
 */
static void vfio_kvm_ref_no_vm(struct kunit *test)
{
	struct vkt_env *env = test->priv;
	struct vkt_dev *dev = vkt_ref_dev(env, &vkt_mock_lock_kvm, NULL);
	struct vkt_vm *vm = vkt_ref_vm(env);

	vkt_ref_expect_no_vm(test, dev, "of a group no VM was attached to");
	KUNIT_ASSERT_EQ(test, vkt_dev_attach(dev, vm), 0);
	KUNIT_ASSERT_EQ(test, vkt_dev_detach(dev, vm), 0);
	vkt_ref_expect_no_vm(test, dev,
			     "of a group deleted from its VM (KVM_DEV_VFIO_FILE_DEL)");
	VKT_EXPECT_MOCK_OK(test, dev->mock);
	vkt_ref_expect_destroyed(test, vm, "after the opens without it");
}

/* After KVM released the group, the next first open gets no VM. */
static void vfio_kvm_ref_none_after_release(struct kunit *test)
{
	struct vkt_env *env = test->priv;
	struct vkt_dev *dev = vkt_ref_dev(env, &vkt_mock_lock_kvm, NULL);
	struct vkt_vm *vm = vkt_ref_vm(env);

	KUNIT_ASSERT_EQ(test, vkt_dev_attach(dev, vm), 0);
	vkt_vm_release_kvfio(vm);
	vkt_ref_expect_no_vm(test, dev,
			     "after KVM released the group (kvm_vfio_release())");
	VKT_EXPECT_MOCK_OK(test, dev->mock);
	vkt_ref_expect_destroyed(test, vm, "after the open without it");
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
	struct vkt_dev *dev = vkt_ref_dev_on(env, path, &vkt_mock_lock_kvm, NULL);

	if (path == VKT_PATH_GROUP) {
		*file = dev->group;
	} else {
		*file = vkt_dev_cdev_open(dev);
		KUNIT_ASSERT_FALSE_MSG(env->ctx.test, IS_ERR(*file),
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
				  struct file *file)
{
	if (dev->path == VKT_PATH_GROUP)
		return vkt_ref_open(test, dev);
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
	env = test->priv;
	*a = vkt_pair_dev(env, pair->a, fa);
	*b = vkt_pair_dev(env, pair->b, fb);
	vm = vkt_ref_vm(env);
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

	vm = vkt_pair_setup(test, &a, &fa, &b, &fb);

	a->mock->expect_kvm = true;
	open_a = vkt_pair_open(test, a, fa);
	vkt_ref_handed(test, vm, a);

	vkt_vm_release_kvfio(vm);
	KUNIT_EXPECT_PTR_EQ_MSG(test, vkt_dev_kvm(a), vm->kvm,
				"device->kvm of the open device after KVM released the kvm-vfio device");

	open_b = vkt_pair_open(test, b, fb);
	KUNIT_EXPECT_NULL_MSG(test, vkt_dev_kvm(b),
			      "device->kvm at the first open through the second %s file after KVM released the kvm-vfio device: KVM did not tell every file",
			      vkt_path_name(b->path));
	if (!vkt_ref_vfio_keeps(test, vm, a,
				"with the first device open, the second opened after"))
		return;
	vkt_dev_close(b, open_b);
	vkt_dev_close(a, open_a);
	KUNIT_EXPECT_NULL_MSG(test, vkt_dev_kvm(a),
			      "device->kvm after the open device's last close");
	VKT_EXPECT_MOCK_OK(test, a->mock);
	VKT_EXPECT_MOCK_OK(test, b->mock);
	vkt_ref_expect_destroyed(test, vm, "after both devices' last close");
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

	vm = vkt_pair_setup(test, &a, &fa, &b, &fb);
	KUNIT_ASSERT_EQ(test, vkt_vm_del_file(vm, fa), 0);

	open_a = vkt_pair_open(test, a, fa);
	KUNIT_EXPECT_NULL_MSG(test, vkt_dev_kvm(a),
			      "device->kvm at the first open through the %s file deleted from the VM (KVM_DEV_VFIO_FILE_DEL)",
			      vkt_path_name(a->path));
	b->mock->expect_kvm = true;
	open_b = vkt_pair_open(test, b, fb);
	KUNIT_EXPECT_NOT_NULL_MSG(test, vkt_dev_kvm(b),
				  "device->kvm at the first open through the other %s file, still the VM's after the first was deleted",
				  vkt_path_name(b->path));
	if (!vkt_ref_vfio_keeps(test, vm, b,
				"with both devices open, one of them without the VM"))
		return;
	vkt_dev_close(b, open_b);
	vkt_dev_close(a, open_a);
	VKT_EXPECT_MOCK_OK(test, a->mock);
	VKT_EXPECT_MOCK_OK(test, b->mock);
	vkt_ref_expect_destroyed(test, vm, "after both devices' last close");
}

/*
 * open_device fails: VFIO gives back the reference it took for it and the
 * device stays closed, so the next open calls open_device again.
 */
static void vfio_kvm_ref_open_fails(struct kunit *test)
{
	struct vkt_env *env = test->priv;
	struct vkt_dev *dev = vkt_ref_dev(env, &vkt_mock_fail_open, NULL);
	struct vkt_vm *vm = vkt_ref_vm(env);
	unsigned int attempt;
	struct file *file;

	KUNIT_ASSERT_EQ(test, vkt_dev_attach(dev, vm), 0);
	dev->mock->expect_kvm = true;

	for (attempt = 1; attempt <= 2; attempt++) {
		file = vkt_dev_open(dev);
		KUNIT_EXPECT_EQ_MSG(test, PTR_ERR_OR_ZERO(file), (long)-EIO,
				    "opening the device through its %s with a failing open_device, attempt %u",
				    vkt_path_name(dev->path), attempt);
		if (!IS_ERR(file))
			vkt_dev_close(dev, file);
		KUNIT_EXPECT_NULL_MSG(test, vkt_dev_kvm(dev),
				      "device->kvm after open_device failed, attempt %u",
				      attempt);
	}
	KUNIT_EXPECT_EQ_MSG(test, dev->mock->opens, 2U,
			    "open_device calls for two opens that failed in it: a failed first open must leave the device closed");
	VKT_EXPECT_MOCK_OK(test, dev->mock);
	vkt_ref_expect_destroyed(test, vm, "after two opens that failed in open_device");
}

/* Two devices of one dev_set each hold and drop their own reference. */
static void vfio_kvm_ref_dev_set_shared(struct kunit *test)
{
	static int dev_set_id;
	struct vkt_env *env = test->priv;
	struct vkt_dev *a = vkt_ref_dev(env, &vkt_mock_lock_kvm, &dev_set_id);
	struct vkt_dev *b = vkt_ref_dev(env, &vkt_mock_lock_kvm, &dev_set_id);
	struct vkt_vm *vm = vkt_ref_vm(env);
	struct file *fa, *fb;

	KUNIT_ASSERT_EQ(test, vkt_dev_attach(a, vm), 0);
	KUNIT_ASSERT_EQ(test, vkt_dev_attach(b, vm), 0);

	fa = vkt_ref_open(test, a);
	vkt_ref_handed(test, vm, a);
	KUNIT_EXPECT_NULL_MSG(test, vkt_dev_kvm(b),
			      "device->kvm of the dev_set's device that is not open");
	fb = vkt_ref_open(test, b);
	vkt_dev_close(a, fa);
	KUNIT_EXPECT_NULL_MSG(test, vkt_dev_kvm(a), "device->kvm of the closed device");
	KUNIT_EXPECT_PTR_EQ_MSG(test, vkt_dev_kvm(b), vm->kvm,
				"device->kvm of the device still open");
	if (!vkt_ref_vfio_keeps(test, vm, b,
				"with the first device of the dev_set closed and the second open"))
		return;
	vkt_dev_close(b, fb);
	VKT_EXPECT_MOCK_OK(test, a->mock);
	VKT_EXPECT_MOCK_OK(test, b->mock);
	vkt_ref_expect_destroyed(test, vm,
				 "after closing both devices of the dev_set");
}

/*
 * The VM fd and the kvm-vfio device are closed while the device is open,
 * as a VMM that exits does: VFIO's reference is the last, and its last
 * close destroys the VM, with VFIO's locks held (the scenario of commit
 * 51cdc8bc120e).
 */
static void vfio_kvm_ref_last_close_destroys_vm(struct kunit *test)
{
	struct vkt_env *env = test->priv;
	struct vkt_dev *dev = vkt_ref_dev(env, &vkt_mock_lock_kvm, NULL);
	struct vkt_vm *vm = vkt_ref_vm(env);
	struct file *file;

	KUNIT_ASSERT_EQ(test, vkt_dev_attach(dev, vm), 0);
	file = vkt_ref_open(test, dev);
	if (!vkt_ref_vfio_keeps(test, vm, dev, "while the device was open"))
		return;
	vkt_dev_close(dev, file);
	VKT_EXPECT_MOCK_OK(test, dev->mock);
	vkt_ref_expect_destroyed(test, vm,
				 "at the last VFIO close, which held the last reference");
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
 * another fd of a bound device, is refused, and leaves the first binding
 * as it was, whether KVM knows the second fd or not: its driver sees one VM
 * from open_device to close_device, the VM lives while the first binding
 * is open and is destroyed at its last close.  Which error refuses the
 * bind is VFIO's to choose (it has changed); that it is refused is the
 * rule.
 */
static void vfio_kvm_ref_cdev_second_bind(struct kunit *test)
{
	bool attached = *(const bool *)test->param_value;
	struct vkt_env *env = test->priv;
	struct vkt_dev *dev = vkt_ref_dev_on(env, VKT_PATH_CDEV,
					     &vkt_mock_lock_kvm, NULL);
	struct vkt_vm *vm = vkt_ref_vm(env);
	struct file *first, *second;
	char state[80];
	int ret;

	first = vkt_ref_open_with_vm(test, dev, vm);

	second = vkt_dev_cdev_open(dev);
	KUNIT_ASSERT_FALSE(test, IS_ERR(second));
	if (attached)
		KUNIT_ASSERT_EQ(test, vkt_vm_add_file(vm, second), 0);
	ret = vkt_dev_cdev_bind(dev, second);
	KUNIT_EXPECT_LT_MSG(test, ret, 0,
			    "VFIO_DEVICE_BIND_IOMMUFD on a second fd of a bound device succeeded: the device was opened twice through its cdev");
	vkt_dev_close(dev, second);
	snprintf(state, sizeof(state),
		 "with the first binding open after a second bind (returned %d)",
		 ret);
	if (!vkt_ref_vfio_keeps(test, vm, dev, state))
		return;
	vkt_dev_close(dev, first);
	VKT_EXPECT_MOCK_OK(test, dev->mock);
	vkt_ref_expect_destroyed(test, vm,
				 "after the first binding's last close");
}

/*
 * A device is opened through its group or through its cdev, not both: an
 * open group blocks a bind, a bound device blocks opening the group, and
 * neither leaves a reference behind.
 */
static void vfio_kvm_ref_group_cdev_exclusive(struct kunit *test)
{
	const struct vkt_mock_behaviour *b = &vkt_mock_lock_kvm;
	struct vkt_env *env = test->priv;
	struct vkt_dev *grouped = vkt_ref_dev_on(env, VKT_PATH_GROUP, b, NULL);
	struct vkt_dev *bound = vkt_ref_dev_on(env, VKT_PATH_CDEV, b, NULL);
	struct vkt_vm *vm = vkt_ref_vm(env);
	struct iommu_group *iommu_group;
	struct file *file, *group;
	char path[32];

	/* the group of @grouped is open: its cdev cannot be bound */
	file = vkt_dev_cdev_open(grouped);
	KUNIT_ASSERT_FALSE(test, IS_ERR(file));
	KUNIT_ASSERT_EQ(test, vkt_vm_add_file(vm, file), 0);
	KUNIT_EXPECT_LT_MSG(test, vkt_dev_cdev_bind(grouped, file), 0,
			    "VFIO_DEVICE_BIND_IOMMUFD while the device's group is open succeeded");
	KUNIT_EXPECT_NULL_MSG(test, vkt_dev_kvm(grouped),
			      "device->kvm after a bind refused for the open group");
	vkt_dev_close(grouped, file);

	/* @bound is bound through its cdev: its group cannot be opened */
	KUNIT_ASSERT_EQ(test, vkt_dev_attach(bound, vm), 0);
	file = vkt_ref_open(test, bound);
	iommu_group = iommu_group_get(&bound->pdev->dev);
	KUNIT_ASSERT_NOT_NULL(test, iommu_group);
	snprintf(path, sizeof(path), "vfio/%d", iommu_group_id(iommu_group));
	iommu_group_put(iommu_group);
	group = vkt_open_node(&env->ctx, path);
	KUNIT_EXPECT_TRUE_MSG(test, IS_ERR(group),
			      "opening the group of a device bound through its cdev succeeded");
	if (!IS_ERR(group))
		vkt_close_node(&env->ctx, group);
	vkt_dev_close(bound, file);
	VKT_EXPECT_MOCK_OK(test, grouped->mock);
	VKT_EXPECT_MOCK_OK(test, bound->mock);
	vkt_ref_expect_destroyed(test, vm,
				 "after the refused bind and the bound device's last close");
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

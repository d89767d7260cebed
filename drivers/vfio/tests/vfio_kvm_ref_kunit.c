// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit cases for the KVM reference VFIO holds for its drivers.
 *
 * Since commit 2b48f52f2bff ("vfio: fix deadlock between group lock and kvm
 * lock") VFIO takes its own reference to the group's VM at a device's first
 * open and keeps it in device->kvm until the last close, whatever KVM does
 * with the group meanwhile.  Drivers rely on that: the pointer they get in
 * open_device must stay valid until close_device.
 *
 * The cases judge the rule, not how KVM counts or where VFIO keeps the VM:
 * a driver is handed a VM at open_device exactly when one is attached, the
 * same one until close_device (the mocks record and check both); a VM
 * lives while anyone holds it (the case's VM fd and kvm-vfio device, or an
 * open vfio device) and is destroyed when the last of them lets go.  KVM
 * shows that destruction in one place, the VM's debugfs directory, which
 * kvm_destroy_vm() removes; without debugfs these cases skip.
 *
 * The mock used here is the one that hit the deadlock (its own lock, then
 * kvm->lock), polling for kvm->lock so that lockdep stays out of it.
 */
#include "vfio_kvm_env.h"

VKT_PATH_PARAMS();

/* A device of the lock_kvm mock, opened through the case's path. */
static struct vkt_dev *vkt_ref_dev(struct vkt_env *env, void *dev_set_id)
{
	enum vkt_path path = *(const enum vkt_path *)env->ctx.test->param_value;

	return vkt_dev_create(&env->devs, path, &vkt_mock_lock_kvm, dev_set_id);
}

/* A VM whose destruction the case can see. */
static struct vkt_vm *vkt_ref_vm(struct vkt_env *env)
{
	struct vkt_vm *vm = vkt_vm_create(&env->vms);

	if (vkt_vm_destroyed(vm) < 0) {
		KUNIT_ASSERT_FALSE_MSG(env->ctx.test, vkt_kvm_debugfs(),
				       "KVM's debugfs directory has no kvm/<pid>-<fd> for the VM: the suite must follow how KVM names it now");
		kunit_skip(env->ctx.test,
			   "the VM has no debugfs directory (CONFIG_DEBUG_FS): its destruction cannot be seen");
	}
	return vm;
}

/*
 * Open @dev, @expect a VM at its open_device or none (the mock checks it):
 * through its group, or by binding @file, a device file KVM may have been
 * told of (NULL: a new one).
 */
static struct file *vkt_ref_open(struct kunit *test, struct vkt_dev *dev,
				 struct file *file, enum vkt_expect_vm expect)
{
	dev->mock->expect_vm = expect;
	if (dev->path == VKT_PATH_CDEV && file) {
		KUNIT_ASSERT_EQ_MSG(test, vkt_dev_cdev_bind(dev, file), 0,
				    "binding the device file KVM was told of");
		return file;
	}
	file = vkt_dev_open(dev);
	KUNIT_ASSERT_NOT_ERR_OR_NULL_MSG(test, file,
					 "opening the device through its %s",
					 vkt_path_name(dev->path));
	return file;
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
	file = vkt_ref_open(test, dev, NULL, VKT_VM_ATTACHED);
	vm->kvm = dev->mock->open_kvm;
	KUNIT_ASSERT_NOT_NULL_MSG(test, vm->kvm,
				  "[vm-handed] device->kvm at the first open with a VM attached: VFIO handed the driver no VM");
	return file;
}

/*
 * The case lets go of @vm, its kvm-vfio device and its fd, while @dev is
 * open: what VFIO holds must keep the VM alive.  Returns false when the VM
 * was destroyed all the same: the case failed, and the driver, which
 * would touch the freed VM at close_device, is told to forget it.
 */
static bool vkt_ref_vfio_keeps(struct kunit *test, struct vkt_vm *vm,
			       struct vkt_dev *dev, const char *state)
{
	vkt_vm_release_kvfio(vm);
	vkt_vm_close(vm);
	if (vkt_vm_destroyed(vm) != 1)
		return true;
	vkt_mock_forget_vm(dev->mock);
	vm->kvm = NULL;
	KUNIT_FAIL(test,
		   "[vm-kept] kvm_destroy_vm() ran when the case closed the VM fd and the kvm-vfio device %s: the open device did not keep the VM its driver was handed",
		   state);
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
			    "[vm-leaked] kvm_destroy_vm() did not run %s, with the VM fd, the kvm-vfio device and every device file closed: a reference to the VM was leaked",
			    state);
	vm->kvm = NULL;
}

/* What KVM does with the group or device file while the device is open. */
enum vkt_ref_event {
	VKT_REF_RELEASE,	/* the kvm-vfio device is released */
	VKT_REF_FILE_DEL,	/* KVM_DEV_VFIO_FILE_DEL */
	VKT_REF_MOVE,		/* FILE_DEL, then FILE_ADD to a second VM */
};

struct vkt_ref_param {
	enum vkt_path path;
	enum vkt_ref_event event;
};

static const char *const vkt_ref_event_names[] = {
	[VKT_REF_RELEASE] = "release",
	[VKT_REF_FILE_DEL] = "file_del",
	[VKT_REF_MOVE] = "move",
};

static const struct vkt_ref_param vkt_ref_params[] = {
	{ VKT_PATH_GROUP, VKT_REF_RELEASE }, { VKT_PATH_CDEV, VKT_REF_RELEASE },
	{ VKT_PATH_GROUP, VKT_REF_FILE_DEL }, { VKT_PATH_CDEV, VKT_REF_FILE_DEL },
	{ VKT_PATH_GROUP, VKT_REF_MOVE }, { VKT_PATH_CDEV, VKT_REF_MOVE },
};

static void vkt_ref_param_desc(const struct vkt_ref_param *p, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s-%s", vkt_path_name(p->path),
		 vkt_ref_event_names[p->event]);
}

KUNIT_ARRAY_PARAM(vkt_ref, vkt_ref_params, vkt_ref_param_desc);

/*
 * The open device keeps its VM until its last close, whatever KVM does
 * with the group or device file meanwhile and however many fds the device
 * has open (one open_device for them all), and the VM dies at that
 * close.  The next first open is handed the VM the group has by then:
 * the second one after a move, none otherwise.
 */
static void vfio_kvm_ref_open_keeps_vm(struct kunit *test)
{
	const struct vkt_ref_param *p = test->param_value;
	struct vkt_env *env = test->priv;
	struct vkt_dev *dev = vkt_dev_create(&env->devs, p->path,
					     &vkt_mock_lock_kvm, NULL);
	struct vkt_vm *vm = vkt_ref_vm(env), *vm2 = NULL;
	const char *event = vkt_ref_event_names[p->event];
	struct file *file, *second;
	struct kvm *first;
	char state[96];

	file = vkt_ref_open_with_vm(test, dev, vm);
	first = vm->kvm;
	/*
	 * Only the group path opens a device more than once: the first fd,
	 * whose open took the reference, is closed, the second kept open.
	 */
	if (dev->path == VKT_PATH_GROUP) {
		second = vkt_ref_open(test, dev, NULL, VKT_VM_UNKNOWN);
		KUNIT_EXPECT_EQ_MSG(test, dev->mock->opens, 1U,
				    "[first-open-only] open_device calls for two opens of the device, the first still open");
		vkt_dev_close(dev, file);
		file = second;
	}
	if (p->event == VKT_REF_RELEASE)
		vkt_vm_release_kvfio(vm);
	if (p->event >= VKT_REF_FILE_DEL)
		KUNIT_ASSERT_EQ(test, vkt_dev_detach(dev, vm), 0);
	if (p->event == VKT_REF_MOVE) {
		vm2 = vkt_ref_vm(env);
		KUNIT_ASSERT_EQ(test, vkt_dev_attach(dev, vm2), 0);
	}
	snprintf(state, sizeof(state), "while the device was open (KVM did: %s%s)",
		 event, dev->path == VKT_PATH_GROUP ? "; the first of two fds closed" : "");
	if (!vkt_ref_vfio_keeps(test, vm, dev, state))
		return;
	vkt_dev_close(dev, file);
	vkt_ref_expect_destroyed(test, vm, "at the device's last close");

	file = vkt_ref_open(test, dev, NULL,
			    vm2 ? VKT_VM_ATTACHED : VKT_VM_NONE);
	if (vm2)
		KUNIT_EXPECT_PTR_NE_MSG(test, dev->mock->open_kvm, first,
					"[next-vm] device->kvm at the next first open, with the group on the second VM: still the first VM");
	vkt_dev_close(dev, file);
	VKT_EXPECT_MOCK_OK(test, dev->mock);
	if (vm2)
		vkt_ref_expect_destroyed(test, vm2,
					 "for the second VM after the device's last close");
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
 * The file KVM is told of for @dev: its group, or a new device file that
 * is bound later.
 */
static struct file *vkt_ref_file(struct kunit *test, struct vkt_dev *dev)
{
	struct file *file;

	if (dev->path == VKT_PATH_GROUP)
		return dev->group;
	file = vkt_dev_cdev_open(dev);
	KUNIT_ASSERT_NOT_ERR_OR_NULL_MSG(test, file, "opening the device's cdev");
	return file;
}

/*
 * A first open gets no VM through a group or device file no VM has: never
 * told of it, deleted from its VM (KVM_DEV_VFIO_FILE_DEL), or released
 * with the VM still alive.  Nothing is kept either.
 */
static void vfio_kvm_ref_no_vm(struct kunit *test)
{
	struct vkt_env *env = test->priv;
	struct vkt_dev *dev = vkt_ref_dev(env, NULL);
	struct vkt_vm *vm = vkt_ref_vm(env);
	struct file *file;

	file = vkt_ref_file(test, dev);
	vkt_dev_close(dev, vkt_ref_open(test, dev, file, VKT_VM_NONE));
	file = vkt_ref_file(test, dev);
	KUNIT_ASSERT_EQ(test, vkt_vm_add_file(vm, file), 0);
	KUNIT_ASSERT_EQ(test, vkt_vm_del_file(vm, file), 0);
	vkt_dev_close(dev, vkt_ref_open(test, dev, file, VKT_VM_NONE));
	file = vkt_ref_file(test, dev);
	KUNIT_ASSERT_EQ(test, vkt_vm_add_file(vm, file), 0);
	vkt_vm_release_kvfio(vm);
	vkt_dev_close(dev, vkt_ref_open(test, dev, file, VKT_VM_NONE));
	VKT_EXPECT_MOCK_OK(test, dev->mock);
	vkt_ref_expect_destroyed(test, vm, "after the opens without it");
}

/*
 * Both files on one VM; then, with the first device open, KVM releases the
 * kvm-vfio device (@release) or deletes the first file: the open device
 * keeps its VM, and the first open through the other file gets none after
 * the release (KVM told every file) and the VM after the deletion (KVM
 * told only the deleted one).
 */
static void vkt_pair_case(struct kunit *test, bool release)
{
	const struct vkt_pair *pair = test->param_value;
	struct vkt_env *env = test->priv;
	struct file *fa, *fb, *open_a, *open_b;
	struct vkt_dev *a, *b;
	struct vkt_vm *vm;

	a = vkt_dev_create(&env->devs, pair->a, &vkt_mock_lock_kvm, NULL);
	b = vkt_dev_create(&env->devs, pair->b, &vkt_mock_lock_kvm, NULL);
	fa = vkt_ref_file(test, a);
	fb = vkt_ref_file(test, b);
	vm = vkt_ref_vm(env);
	KUNIT_ASSERT_EQ(test, vkt_vm_add_file(vm, fa), 0);
	KUNIT_ASSERT_EQ(test, vkt_vm_add_file(vm, fb), 0);

	open_a = vkt_ref_open(test, a, fa, VKT_VM_ATTACHED);
	if (release)
		vkt_vm_release_kvfio(vm);
	else
		KUNIT_ASSERT_EQ(test, vkt_vm_del_file(vm, fa), 0);
	open_b = vkt_ref_open(test, b, fb,
			      release ? VKT_VM_NONE : VKT_VM_ATTACHED);
	if (!vkt_ref_vfio_keeps(test, vm, a, "with both devices open")) {
		/* after the deletion b was handed the freed VM too */
		vkt_mock_forget_vm(b->mock);
		return;
	}
	vkt_dev_close(b, open_b);
	vkt_dev_close(a, open_a);
	VKT_EXPECT_MOCK_OK(test, a->mock);
	VKT_EXPECT_MOCK_OK(test, b->mock);
	vkt_ref_expect_destroyed(test, vm, "after both devices' last close");
}

/* kvm_vfio_release() tells every file of the kvm-vfio device. */
static void vfio_kvm_ref_release_every_file(struct kunit *test)
{
	vkt_pair_case(test, true);
}

/* KVM_DEV_VFIO_FILE_DEL of one file leaves the others to the VM. */
static void vfio_kvm_ref_file_del_one(struct kunit *test)
{
	vkt_pair_case(test, false);
}

/*
 * open_device fails: VFIO gives back the reference it took for it and the
 * device stays closed, so the next open calls open_device again.
 */
static void vfio_kvm_ref_open_fails(struct kunit *test)
{
	struct vkt_env *env = test->priv;
	struct vkt_dev *dev = vkt_dev_create(&env->devs,
					     *(const enum vkt_path *)test->param_value,
					     &vkt_mock_fail_open, NULL);
	struct vkt_vm *vm = vkt_ref_vm(env);
	unsigned int attempt;
	struct file *file;

	KUNIT_ASSERT_EQ(test, vkt_dev_attach(dev, vm), 0);
	dev->mock->expect_vm = VKT_VM_ATTACHED;
	for (attempt = 1; attempt <= 2; attempt++) {
		file = vkt_dev_open(dev);
		KUNIT_EXPECT_TRUE_MSG(test, IS_ERR(file),
				      "[open-fails] opening the device through its %s with a failing open_device succeeded, attempt %u",
				      vkt_path_name(dev->path), attempt);
		if (!IS_ERR(file))
			vkt_dev_close(dev, file);
	}
	KUNIT_EXPECT_EQ_MSG(test, dev->mock->opens, 2U,
			    "[failed-open-closed] open_device calls for two opens that failed in it: a failed first open must leave the device closed");
	VKT_EXPECT_MOCK_OK(test, dev->mock);
	vkt_ref_expect_destroyed(test, vm, "after two opens that failed in open_device");
}

/*
 * Two devices of one dev_set each hold and drop their own reference: the
 * one open alone keeps the VM, and a device that was attached but never
 * opened holds none.
 */
static void vfio_kvm_ref_dev_set_shared(struct kunit *test)
{
	static int dev_set_id;
	struct vkt_env *env = test->priv;
	struct vkt_dev *a = vkt_ref_dev(env, &dev_set_id);
	struct vkt_dev *b = vkt_ref_dev(env, &dev_set_id);
	struct vkt_vm *vm = vkt_ref_vm(env);
	struct file *fa, *fb;

	fa = vkt_ref_open_with_vm(test, a, vm);
	KUNIT_ASSERT_EQ(test, vkt_dev_attach(b, vm), 0);
	fb = vkt_ref_open(test, b, NULL, VKT_VM_ATTACHED);
	vkt_dev_close(a, fa);
	if (!vkt_ref_vfio_keeps(test, vm, b,
				"with the first device of the dev_set closed and the second open"))
		return;
	vkt_dev_close(b, fb);
	vkt_ref_expect_destroyed(test, vm,
				 "after closing both devices of the dev_set");

	/* the first device alone, the second attached but never opened */
	vm = vkt_ref_vm(env);
	KUNIT_ASSERT_EQ(test, vkt_dev_attach(b, vm), 0);
	vkt_dev_close(a, vkt_ref_open_with_vm(test, a, vm));
	VKT_EXPECT_MOCK_OK(test, a->mock);
	VKT_EXPECT_MOCK_OK(test, b->mock);
	vkt_ref_expect_destroyed(test, vm,
				 "after the last close of the only device of the dev_set that was opened: its other device holds a reference");
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
	struct vkt_dev *dev = vkt_dev_create(&env->devs, VKT_PATH_CDEV,
					     &vkt_mock_lock_kvm, NULL);
	struct vkt_vm *vm = vkt_ref_vm(env);
	struct file *first, *second;
	char state[80];
	int ret;

	first = vkt_ref_open_with_vm(test, dev, vm);

	second = vkt_dev_cdev_open(dev);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, second);
	if (attached)
		KUNIT_ASSERT_EQ(test, vkt_vm_add_file(vm, second), 0);
	ret = vkt_dev_cdev_bind(dev, second);
	KUNIT_EXPECT_LT_MSG(test, ret, 0,
			    "[second-bind] VFIO_DEVICE_BIND_IOMMUFD on a second fd of a bound device succeeded: the device was opened twice through its cdev");
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
	struct vkt_dev *grouped = vkt_dev_create(&env->devs, VKT_PATH_GROUP, b,
						 NULL);
	struct vkt_dev *bound = vkt_dev_create(&env->devs, VKT_PATH_CDEV, b, NULL);
	struct vkt_vm *vm = vkt_ref_vm(env);
	struct file *file, *group;

	/* the group of @grouped is open: its cdev cannot be bound */
	file = vkt_dev_cdev_open(grouped);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, file);
	KUNIT_ASSERT_EQ(test, vkt_vm_add_file(vm, file), 0);
	KUNIT_EXPECT_LT_MSG(test, vkt_dev_cdev_bind(grouped, file), 0,
			    "[bind-beside-group] VFIO_DEVICE_BIND_IOMMUFD while the device's group is open succeeded");
	vkt_dev_close(grouped, file);

	/* @bound is bound through its cdev: its group cannot be opened */
	KUNIT_ASSERT_EQ(test, vkt_dev_attach(bound, vm), 0);
	file = vkt_ref_open(test, bound, NULL, VKT_VM_ATTACHED);
	group = vkt_dev_group_node(bound);
	KUNIT_EXPECT_TRUE_MSG(test, IS_ERR(group),
			      "[group-beside-cdev] opening the group of a device bound through its cdev succeeded");
	if (!IS_ERR(group))
		vkt_fput(&env->ctx, "the last close of the group", group);
	vkt_dev_close(bound, file);
	VKT_EXPECT_MOCK_OK(test, grouped->mock);
	VKT_EXPECT_MOCK_OK(test, bound->mock);
	vkt_ref_expect_destroyed(test, vm,
				 "after the refused bind and the bound device's last close");
}

static struct kunit_case vfio_kvm_ref_cases[] = {
	KUNIT_CASE_PARAM_ATTR(vfio_kvm_ref_open_keeps_vm, vkt_ref_gen_params,
			      { .speed = KUNIT_SPEED_SLOW }),
	KUNIT_CASE_PARAM_ATTR(vfio_kvm_ref_no_vm, vkt_paths_gen_params,
			      { .speed = KUNIT_SPEED_SLOW }),
	KUNIT_CASE_PARAM_ATTR(vfio_kvm_ref_release_every_file, vkt_pairs_gen_params,
			      { .speed = KUNIT_SPEED_SLOW }),
	KUNIT_CASE_PARAM_ATTR(vfio_kvm_ref_file_del_one, vkt_pairs_gen_params,
			      { .speed = KUNIT_SPEED_SLOW }),
	KUNIT_CASE_PARAM_ATTR(vfio_kvm_ref_open_fails, vkt_paths_gen_params,
			      { .speed = KUNIT_SPEED_SLOW }),
	KUNIT_CASE_PARAM_ATTR(vfio_kvm_ref_dev_set_shared, vkt_paths_gen_params,
			      { .speed = KUNIT_SPEED_SLOW }),
	KUNIT_CASE_PARAM_ATTR(vfio_kvm_ref_cdev_second_bind, vkt_second_gen_params,
			      { .speed = KUNIT_SPEED_SLOW }),
	KUNIT_CASE_ATTR(vfio_kvm_ref_group_cdev_exclusive, { .speed = KUNIT_SPEED_SLOW }),
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

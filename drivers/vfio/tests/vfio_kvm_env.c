// SPDX-License-Identifier: GPL-2.0-only
/*
 * The environment of the vfio <-> kvm suites.
 *
 * A case reaches VFIO and KVM only through their real entry points: /dev/kvm
 * and the VM and kvm-vfio device ioctls, and the group, container and
 * device ioctls of /dev/vfio, for mock vfio devices that a mock platform
 * driver registers as emulated-IOMMU devices.  The device nodes come from
 * a private devtmpfs mount (/dev is not mounted when built-in suites run).
 * Everything is torn down, in an order VFIO and KVM accept, when the case
 * ends.
 */
#include <linux/debugfs.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/iommu.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/platform_device.h>
#include <linux/uaccess.h>
#include <uapi/linux/kvm.h>

#include "vfio_kvm_env.h"

#define VKT_DRV_NAME	"vfio-kvm-mock"

static char *kvm_mode = "auto";
module_param_named(kvm, kvm_mode, charp, 0444);
MODULE_PARM_DESC(kvm,
		 "Where /dev/kvm cannot create a VM, the cases that need one: skip (auto) or fail (real)");

/* ---- VMs ---------------------------------------------------------------- */

/* KVM_CREATE_VM, noting who made it: KVM names its debugfs directory so. */
static long vkt_call_create_vm(struct vkt_call *call)
{
	*(pid_t *)call->data = task_pid_nr(current);
	return vkt_file_ioctl(call->file, KVM_CREATE_VM, 0);
}

/*
 * Whether the VM's debugfs directory, kvm/<pid>-<fd> of the task that
 * created it, is there: kvm_destroy_vm() removes it, one of the two signs
 * of a VM's destruction that KVM shows outside of it (the other is a
 * uevent).
 */
static bool vkt_vm_debugfs_there(const char *name)
{
	struct dentry *kvm_dir, *dir;

	kvm_dir = debugfs_lookup("kvm", NULL);
	if (IS_ERR_OR_NULL(kvm_dir))
		return false;
	dir = debugfs_lookup(name, kvm_dir);
	dput(kvm_dir);
	if (IS_ERR_OR_NULL(dir))
		return false;
	dput(dir);
	return true;
}

static long vkt_vm_open(struct vkt_vm *vm)
{
	struct vkt_call call = { .fn = vkt_call_create_vm };
	pid_t pid = 0;
	int fd;

	call.file = vkt_open_node(vm->ctx, "kvm");
	if (IS_ERR(call.file))
		return PTR_ERR(call.file);
	call.data = &pid;
	fd = vkt_call(vm->ctx, "KVM_CREATE_VM", &call);
	vkt_fput(vm->ctx, "closing /dev/kvm", call.file);
	if (fd < 0)
		return fd;

	/* the directory is named after the fd: look it up while it is ours */
	snprintf(vm->debugfs, sizeof(vm->debugfs), "%d-%d", pid, fd);
	if (!vkt_vm_debugfs_there(vm->debugfs))
		vm->debugfs[0] = '\0';
	vm->vm_file = vkt_take_fd(fd);
	if (IS_ERR(vm->vm_file)) {
		fd = PTR_ERR(vm->vm_file);
		vm->vm_file = NULL;
		return fd;
	}
	return 0;
}

/*
 * A VM with a kvm-vfio device.  Without /dev/kvm (no KVM in the guest, or
 * no hardware virtualization) the case skips, or with
 * vfio_kvm_kunit.kvm=real fails.
 */
struct vkt_vm *vkt_vm_create(struct vkt_vms *vms)
{
	struct kunit *test = vms->ctx->test;
	struct vkt_vm *vm;
	long ret;

	KUNIT_ASSERT_LT(test, vms->nr, VKT_MAX_VMS);
	vm = &vms->vm[vms->nr++];
	vm->ctx = vms->ctx;
	mutex_init(&vm->told_lock);
	ret = vkt_vm_open(vm);
	if (ret) {
		vkt_vm_close(vm);
		vms->nr--;
		memset(vm, 0, sizeof(*vm));
		if (strcmp(kvm_mode, "real"))
			kunit_skip(test,
				   "needs a VM, and /dev/kvm could not create one: %ld",
				   ret);
	}
	KUNIT_ASSERT_EQ_MSG(test, ret, 0,
			    "a VM is required (vfio_kvm_kunit.kvm=real) but /dev/kvm could not create one: %ld",
			    ret);

	ret = vkt_vm_create_kvfio(vm);
	KUNIT_ASSERT_EQ_MSG(test, ret, 0,
			    "KVM_CREATE_DEVICE(KVM_DEV_TYPE_VFIO): %ld", ret);
	return vm;
}

int vkt_vm_create_kvfio(struct vkt_vm *vm)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };
	void __user *uarg = vkt_uarg(vm->ctx);
	struct file *file;
	int ret;

	vm->released = false;
	if (copy_to_user(uarg, &cd, sizeof(cd)))
		return -EFAULT;
	ret = vkt_ioctl(vm->ctx, "KVM_CREATE_DEVICE(KVM_DEV_TYPE_VFIO)",
			vm->vm_file, KVM_CREATE_DEVICE, (unsigned long)uarg);
	if (ret)
		return ret;
	if (copy_from_user(&cd, uarg, sizeof(cd)))
		return -EFAULT;
	file = vkt_take_fd(cd.fd);
	if (IS_ERR(file))
		return PTR_ERR(file);
	vm->kvfio = file;
	return 0;
}

/* KVM_DEV_VFIO_FILE_ADD or _DEL with an fd of @file. */
static int vkt_vm_set_file(struct vkt_vm *vm, struct file *file, u64 op)
{
	void __user *uarg = vkt_uarg(vm->ctx);
	struct kvm_device_attr attr = {
		.group = KVM_DEV_VFIO_FILE,
		.attr = op,
		.addr = (u64)(unsigned long)uarg + sizeof(attr),
	};
	int fd, ret;

	if (!vm->kvfio)
		return -ENODEV;
	fd = vkt_install(file);
	if (fd < 0)
		return fd;
	if (copy_to_user(uarg, &attr, sizeof(attr)) ||
	    put_user(fd, (int __user *)(uarg + sizeof(attr))))
		ret = -EFAULT;
	else
		ret = vkt_ioctl(vm->ctx,
				op == KVM_DEV_VFIO_FILE_ADD ?
				"KVM_SET_DEVICE_ATTR(KVM_DEV_VFIO_FILE_ADD)" :
				"KVM_SET_DEVICE_ATTR(KVM_DEV_VFIO_FILE_DEL)",
				vm->kvfio, KVM_SET_DEVICE_ATTR,
				(unsigned long)uarg);
	close_fd(fd);
	return ret;
}

/*
 * Note that the case told @vm of @file, or (@add false) that it no longer
 * does.  Only the case's own calls count: the threads of the race add and
 * release files on their own, and the case's close must not delete them.
 */
static void vkt_vm_tell(struct vkt_vm *vm, struct file *file, bool add)
{
	int i;

	if (current != vm->ctx->actors[0])
		return;
	mutex_lock(&vm->told_lock);
	for (i = 0; i < VKT_MAX_TOLD; i++) {
		if (vm->told[i] == (add ? NULL : file)) {
			vm->told[i] = add ? file : NULL;
			break;
		}
	}
	mutex_unlock(&vm->told_lock);
	if (add && i == VKT_MAX_TOLD)
		KUNIT_FAIL(vm->ctx->test, "more than %d files told to one VM",
			   VKT_MAX_TOLD);
}

int vkt_vm_add_file(struct vkt_vm *vm, struct file *file)
{
	int ret;

	ret = vkt_vm_set_file(vm, file, KVM_DEV_VFIO_FILE_ADD);
	if (!ret)
		vkt_vm_tell(vm, file, true);
	return ret;
}

int vkt_vm_del_file(struct vkt_vm *vm, struct file *file)
{
	int ret;

	vkt_vm_tell(vm, file, false);
	ret = vkt_vm_set_file(vm, file, KVM_DEV_VFIO_FILE_DEL);
	/* kvm_vfio_file_del()'s fput() of the file, now */
	vkt_fput(vm->ctx, "the fput()s KVM_DEV_VFIO_FILE_DEL deferred", NULL);
	return ret;
}

/* The VM the case told of @file, if it still has its kvm-vfio device. */
static struct vkt_vm *vkt_vm_of_file(struct vkt_vms *vms, struct file *file)
{
	struct vkt_vm *found = NULL;
	int i, j;

	for (i = 0; i < vms->nr && !found; i++) {
		struct vkt_vm *vm = &vms->vm[i];

		mutex_lock(&vm->told_lock);
		for (j = 0; j < VKT_MAX_TOLD; j++)
			if (vm->told[j] == file)
				found = vm;
		mutex_unlock(&vm->told_lock);
	}
	return found;
}

/*
 * The last close of the kvm-vfio device: kvm_device_release() takes
 * kvm->lock and calls kvm_vfio_release(), which tells VFIO to drop the VM.
 */
void vkt_vm_release_kvfio(struct vkt_vm *vm)
{
	struct file *kvfio = vm->kvfio;

	vm->released = true;
	mutex_lock(&vm->told_lock);
	memset(vm->told, 0, sizeof(vm->told));
	mutex_unlock(&vm->told_lock);

	/* and kvm_vfio_release()'s fput() of the vfio files, now */
	vm->kvfio = NULL;
	vkt_fput(vm->ctx,
		 "closing the kvm-vfio device (kvm_vfio_release() under &kvm->lock)",
		 kvfio);
}

void vkt_vm_close(struct vkt_vm *vm)
{
	if (vm->vm_file)
		vkt_fput(vm->ctx, "closing the VM fd", vm->vm_file);
	vm->vm_file = NULL;
}

/*
 * Whether kvm_destroy_vm() ran, seen from the VM's debugfs directory, which
 * it removes: -ENOENT when the VM has none to watch.  The directory is
 * looked up by name: nothing of the VM, which may be freed, is touched.
 */
int vkt_vm_destroyed(struct vkt_vm *vm)
{
	if (!vm->debugfs[0])
		return -ENOENT;
	return !vkt_vm_debugfs_there(vm->debugfs);
}

/* Whether KVM has its debugfs directory, where each VM has one of its own. */
bool vkt_kvm_debugfs(void)
{
	struct dentry *kvm_dir = debugfs_lookup("kvm", NULL);

	if (IS_ERR_OR_NULL(kvm_dir))
		return false;
	dput(kvm_dir);
	return true;
}

/* ---- the mock platform driver, whose probe registers a vfio device ------ */

/* What a case gives the driver's probe, as the device's platform data. */
struct vkt_probe_data {
	const struct vkt_mock_behaviour *b;
	void *dev_set_id;
};

static int vkt_probe(struct platform_device *pdev)
{
	const struct vkt_probe_data *pd = dev_get_platdata(&pdev->dev);
	struct vkt_mock *m;
	int ret;

	if (!pd)
		return -EINVAL;
	m = vfio_alloc_device(vkt_mock, vdev, &pdev->dev, &vkt_mock_ops);
	if (IS_ERR(m))
		return dev_err_probe(&pdev->dev, PTR_ERR(m), "vfio_alloc_device()\n");
	vkt_mock_init(m, pd->b);
	if (pd->dev_set_id) {
		ret = vfio_assign_device_set(&m->vdev, pd->dev_set_id);
		if (ret) {
			dev_err(&pdev->dev, "vfio_assign_device_set(): %d\n", ret);
			goto out_put;
		}
	}
	ret = vfio_register_emulated_iommu_dev(&m->vdev);
	if (ret) {
		dev_err(&pdev->dev, "vfio_register_emulated_iommu_dev(): %d\n", ret);
		goto out_put;
	}
	platform_set_drvdata(pdev, m);
	return 0;

out_put:
	vfio_put_device(&m->vdev);
	return ret;
}

static void vkt_remove(struct platform_device *pdev)
{
	struct vkt_mock *m = platform_get_drvdata(pdev);

	vfio_unregister_group_dev(&m->vdev);
	vfio_put_device(&m->vdev);
}

static struct platform_driver vkt_driver = {
	.probe = vkt_probe,
	.remove = vkt_remove,
	.driver = {
		.name = VKT_DRV_NAME,
	},
};

static bool vkt_driver_registered;

int vkt_suite_init(struct kunit_suite *suite)
{
	int ret = 0;

	if (!vkt_driver_registered)
		ret = platform_driver_register(&vkt_driver);
	vkt_driver_registered = !ret;
	return ret;
}

void vkt_suite_exit(struct kunit_suite *suite)
{
	/* a wedged case left devices bound to it */
	if (vkt_wedged())
		return;
	platform_driver_unregister(&vkt_driver);
	vkt_driver_registered = false;
}

/* ---- mock vfio devices -------------------------------------------------- */

/* Note a device file open (@add), or closed, for the case's teardown. */
static void vkt_track(struct vkt_devs *devs, struct file *file, bool add)
{
	int i;

	mutex_lock(&devs->files_lock);
	for (i = 0; i < VKT_MAX_FILES; i++) {
		if (devs->files[i] == (add ? NULL : file)) {
			devs->files[i] = add ? file : NULL;
			break;
		}
	}
	mutex_unlock(&devs->files_lock);
	if (add && i == VKT_MAX_FILES)
		KUNIT_FAIL(devs->ctx->test, "more than %d device files open in one case",
			   VKT_MAX_FILES);
}

const char *vkt_path_name(enum vkt_path path)
{
	return path == VKT_PATH_CDEV ? "cdev" : "group";
}

void vkt_param_desc(const struct vkt_param *param, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s-%s", vkt_path_name(param->path),
		 param->b->name);
}

void vkt_path_desc(const enum vkt_path *path, char *desc)
{
	strscpy(desc, vkt_path_name(*path), KUNIT_PARAM_DESC_SIZE);
}

void vkt_skip_unless_path(struct kunit *test, enum vkt_path path)
{
	if (path == VKT_PATH_CDEV && !IS_ENABLED(CONFIG_VFIO_DEVICE_CDEV))
		kunit_skip(test,
			   "no device cdev path: CONFIG_VFIO_DEVICE_CDEV is off");
}

/* /dev/vfio/<group> of @dev: opening it takes its group_lock. */
struct file *vkt_dev_group_node(struct vkt_dev *dev)
{
	struct iommu_group *iommu_group = iommu_group_get(&dev->pdev->dev);
	char path[32];

	if (!iommu_group)
		return ERR_PTR(-ENODEV);
	snprintf(path, sizeof(path), "vfio/%d", iommu_group_id(iommu_group));
	iommu_group_put(iommu_group);
	return vkt_open_node(dev->ctx, path);
}

/* The group path: the group in a type1 container of its own. */
static void vkt_dev_open_group(struct vkt_dev *dev)
{
	struct kunit *test = dev->ctx->test;
	void __user *uarg = vkt_uarg(dev->ctx);
	long ret;
	int fd;

	dev->group = vkt_dev_group_node(dev);
	KUNIT_ASSERT_NOT_ERR_OR_NULL_MSG(test, dev->group, "opening the group");

	dev->container = vkt_open_node(dev->ctx, "vfio/vfio");
	KUNIT_ASSERT_NOT_ERR_OR_NULL_MSG(test, dev->container, "opening vfio/vfio");

	fd = vkt_install(dev->container);
	KUNIT_ASSERT_GE(test, fd, 0);
	ret = put_user(fd, (int __user *)uarg);
	if (!ret)
		ret = vkt_ioctl(dev->ctx, "VFIO_GROUP_SET_CONTAINER", dev->group,
				VFIO_GROUP_SET_CONTAINER, (unsigned long)uarg);
	close_fd(fd);
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "VFIO_GROUP_SET_CONTAINER: %ld", ret);
	ret = vkt_ioctl(dev->ctx, "VFIO_SET_IOMMU", dev->container,
			VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU);
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "VFIO_SET_IOMMU(TYPE1v2): %ld", ret);
}

/* The cdev path: an iommufd to bind to; the group stays closed. */
static void vkt_dev_open_iommufd(struct vkt_dev *dev)
{
	struct kunit *test = dev->ctx->test;

	dev->iommufd = vkt_open_node(dev->ctx, "iommu");
	KUNIT_ASSERT_NOT_ERR_OR_NULL_MSG(test, dev->iommufd, "opening iommu");
}

/* A device of mock @b, opened through @path, in the dev_set @dev_set_id. */
struct vkt_dev *vkt_dev_create(struct vkt_devs *devs, enum vkt_path path,
			       const struct vkt_mock_behaviour *b,
			       void *dev_set_id)
{
	struct vkt_probe_data pd = { .b = b, .dev_set_id = dev_set_id };
	struct kunit *test = devs->ctx->test;
	struct platform_device *pdev;
	struct vkt_dev *dev;

	vkt_skip_unless_path(test, path);
	KUNIT_ASSERT_LT(test, devs->nr, VKT_MAX_DEVS);
	dev = &devs->dev[devs->nr++];
	dev->devs = devs;
	dev->ctx = devs->ctx;
	dev->path = path;

	/* the driver's probe registers the vfio device, its remove unregisters */
	pdev = platform_device_register_data(NULL, VKT_DRV_NAME,
					     PLATFORM_DEVID_AUTO, &pd, sizeof(pd));
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pdev);
	dev->pdev = pdev;
	KUNIT_ASSERT_NOT_NULL_MSG(test, pdev->dev.driver,
				  "%s: the mock driver's probe failed, or it did not bind (see the log)",
				  dev_name(&pdev->dev));
	dev->mock = platform_get_drvdata(pdev);

	if (path == VKT_PATH_CDEV)
		vkt_dev_open_iommufd(dev);
	else
		vkt_dev_open_group(dev);
	return dev;
}

/*
 * open("/dev/vfio/devices/vfioN"): a device file, not bound yet.  The
 * vfio device, vfioN, is the platform device's one child, as userspace
 * finds it in sysfs (vfio-dev/vfioN).
 */
struct file *vkt_dev_cdev_open(struct vkt_dev *dev)
{
	struct device *vfio_dev = device_find_any_child(&dev->pdev->dev);
	char path[48];
	struct file *file;

	if (!vfio_dev)
		return ERR_PTR(-ENODEV);
	snprintf(path, sizeof(path), "vfio/devices/%s", dev_name(vfio_dev));
	put_device(vfio_dev);
	file = vkt_open_node(dev->ctx, path);
	if (!IS_ERR(file))
		vkt_track(dev->devs, file, true);
	return file;
}

/* VFIO_DEVICE_BIND_IOMMUFD to the iommufd of fd call->fd. */
static long vkt_call_bind(struct vkt_call *call)
{
	void __user *uarg = (void __user *)call->arg;
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind),
		.iommufd = call->fd,
	};

	if (copy_to_user(uarg, &bind, sizeof(bind)))
		return -EFAULT;
	return vkt_file_ioctl(call->file, VFIO_DEVICE_BIND_IOMMUFD,
			      (unsigned long)uarg);
}

/* VFIO_DEVICE_BIND_IOMMUFD: the cdev path's device open. */
int vkt_dev_cdev_bind(struct vkt_dev *dev, struct file *file)
{
	struct vkt_call call = { .fn = vkt_call_bind, .file = file };
	int fd, ret;

	/* a group-path device being bound on purpose: it gets one now */
	if (!dev->iommufd)
		vkt_dev_open_iommufd(dev);
	call.arg = (unsigned long)vkt_uarg(dev->ctx);
	fd = vkt_install(dev->iommufd);
	if (fd < 0)
		return fd;
	call.fd = fd;
	ret = vkt_call(dev->ctx,
		       "VFIO_DEVICE_BIND_IOMMUFD (the device's open: open_device under VFIO's locks)",
		       &call);
	close_fd(fd);
	if (!ret)
		dev->bound = file;
	return ret;
}

/*
 * The real device open path: VFIO_GROUP_GET_DEVICE_FD, or on the cdev path
 * open, KVM_DEV_VFIO_FILE_ADD when a VM is attached, and
 * VFIO_DEVICE_BIND_IOMMUFD.
 */
struct file *vkt_dev_open(struct vkt_dev *dev)
{
	struct vkt_ctx *ctx = dev->ctx;
	const char *name = dev_name(&dev->pdev->dev);
	void __user *uarg = vkt_uarg(ctx);
	struct vkt_vm *vm = READ_ONCE(dev->attached);
	struct file *file;
	int ret;

	if (dev->path == VKT_PATH_CDEV) {
		file = vkt_dev_cdev_open(dev);
		if (IS_ERR(file))
			return file;
		/* a VM whose kvm-vfio device was released is told of nothing */
		ret = vm && !vm->released ? vkt_vm_add_file(vm, file) : 0;
		if (!ret)
			ret = vkt_dev_cdev_bind(dev, file);
		if (ret) {
			vkt_dev_close(dev, file);
			return ERR_PTR(ret);
		}
		return file;
	}

	if (copy_to_user(uarg, name, strlen(name) + 1))
		return ERR_PTR(-EFAULT);
	file = vkt_take_fd(vkt_ioctl(ctx,
				     "VFIO_GROUP_GET_DEVICE_FD (the device's open: open_device under VFIO's locks)",
				     dev->group, VFIO_GROUP_GET_DEVICE_FD,
				     (unsigned long)uarg));
	if (!IS_ERR(file))
		vkt_track(dev->devs, file, true);
	return file;
}

/* The last fput of a device file: the real device close path. */
void vkt_dev_close(struct vkt_dev *dev, struct file *file)
{
	struct vkt_vm *vm = vkt_vm_of_file(dev->devs->vms, file);

	/* as a VMM does: KVM lets go of the file, or the device stays open */
	if (vm)
		vkt_vm_del_file(vm, file);

	if (dev->bound == file)
		dev->bound = NULL;
	vkt_track(dev->devs, file, false);
	vkt_fput(dev->ctx,
		 "the last close of the device file (close_device under VFIO's locks)",
		 file);
}

/*
 * Tell @vm of what @dev is opened through: its group, or, on the cdev
 * path, each device file opened from now on (before it is bound).
 */
int vkt_dev_attach(struct vkt_dev *dev, struct vkt_vm *vm)
{
	if (dev->path == VKT_PATH_CDEV) {
		WRITE_ONCE(dev->attached, vm);
		return dev->bound ? vkt_vm_add_file(vm, dev->bound) : 0;
	}
	return vkt_vm_add_file(vm, dev->group);
}

/* KVM lets go of the group, or of the device file bound last. */
int vkt_dev_detach(struct vkt_dev *dev, struct vkt_vm *vm)
{
	if (dev->path == VKT_PATH_CDEV) {
		WRITE_ONCE(dev->attached, NULL);
		return dev->bound ? vkt_vm_del_file(vm, dev->bound) : 0;
	}
	return vkt_vm_del_file(vm, dev->group);
}

/* ---- the case's environment --------------------------------------------- */

/*
 * The device files the case left open first, then each VM's kvm-vfio
 * device and fd, and, once KVM let go of their files, the devices.
 */
static int vkt_env_teardown_fn(void *data)
{
	struct vkt_env *env = data;
	struct vkt_ctx *ctx = &env->ctx;
	int i;

	for (i = 0; i < VKT_MAX_FILES; i++)
		if (env->devs.files[i])
			__fput_sync(env->devs.files[i]);
	for (i = env->vms.nr - 1; i >= 0; i--) {
		vkt_vm_release_kvfio(&env->vms.vm[i]);
		vkt_vm_close(&env->vms.vm[i]);
	}
	/* kvm-vfio's fput() of the group files, deferred in a kthread */
	vkt_fput(ctx, "kvm-vfio's deferred fput()s", NULL);
	for (i = env->devs.nr - 1; i >= 0; i--) {
		struct vkt_dev *dev = &env->devs.dev[i];

		if (dev->group)
			vkt_fput(ctx, "closing the group", dev->group);
		if (dev->container)
			vkt_fput(ctx, "closing the container", dev->container);
		if (dev->iommufd)
			vkt_fput(ctx, "closing the iommufd", dev->iommufd);
		if (!IS_ERR_OR_NULL(dev->pdev))
			platform_device_unregister(dev->pdev);
	}
	mutex_destroy(&env->devs.files_lock);
	if (!IS_ERR_OR_NULL(ctx->devtmpfs))
		mntput(ctx->devtmpfs);
	return 0;
}

/*
 * Release what the case left, from a kthread of its own with a deadline:
 * KUnit runs the cleanup in a thread of its own, after the case's thread
 * has exited and with it the mm that held ioctl arguments, and could not
 * end one stuck in VFIO or KVM.  Nothing of the teardown needs that mm,
 * and no later call may take a new thread for the case's.
 */
static void vkt_env_end(void *data)
{
	struct vkt_env *env = data;
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
			   "[call-timeout] releasing the case's device files, VMs and vfio devices did not end within %u s; its thread sleeps in %s",
			   vkt_timeout_s, env->ctx.where);
		return;
	}
	kfree(env);
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

/*
 * A suite's .init: the case's environment in test->priv, torn down when
 * the case ends; the case fails on a kernel report printed meanwhile, and
 * skips if the suite is wedged.
 */
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
	env->vms.ctx = &env->ctx;
	env->devs.ctx = &env->ctx;
	env->devs.vms = &env->vms;
	mutex_init(&env->devs.files_lock);
	test->priv = env;
	/* on failure, the (empty) environment is torn down at once */
	KUNIT_ASSERT_EQ_MSG(test, kunit_add_action_or_reset(test, vkt_env_end, env), 0,
			    "kunit_add_action_or_reset()");

	devtmpfs = get_fs_type("devtmpfs");
	KUNIT_ASSERT_NOT_NULL_MSG(test, devtmpfs, "no devtmpfs");
	/* devtmpfs is built in: get_fs_type() took no module reference */
	env->ctx.devtmpfs = vfs_kern_mount(devtmpfs, 0, "devtmpfs", NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL_MSG(test, env->ctx.devtmpfs, "mounting devtmpfs");

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

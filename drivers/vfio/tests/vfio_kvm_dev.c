// SPDX-License-Identifier: GPL-2.0-only
/*
 * The mock vfio devices of the vfio <-> kvm suites: platform devices of a
 * mock driver, registered with VFIO as emulated-IOMMU devices and opened
 * through the real group or device cdev ioctls.
 */
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/iommu.h>
#include <linux/platform_device.h>
#include <linux/uaccess.h>

#include "vfio_kvm_call.h"
#include "vfio_kvm_dev.h"

#define VKT_DRV_NAME	"vfio-kvm-mock"

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

/* The group path: the group in a type1 container of its own. */
static void vkt_dev_open_group(struct vkt_dev *dev)
{
	struct kunit *test = dev->ctx->test;
	void __user *uarg = vkt_uarg(dev->ctx);
	struct iommu_group *iommu_group;
	char path[32];
	long ret;
	int fd;

	iommu_group = iommu_group_get(&dev->pdev->dev);
	KUNIT_ASSERT_NOT_NULL(test, iommu_group);
	snprintf(path, sizeof(path), "vfio/%d", iommu_group_id(iommu_group));
	iommu_group_put(iommu_group);

	dev->group = vkt_open_node(dev->ctx, path);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(dev->group), "open %s: %ld", path,
			       PTR_ERR(dev->group));

	dev->container = vkt_open_node(dev->ctx, "vfio/vfio");
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(dev->container),
			       "open vfio/vfio: %ld", PTR_ERR(dev->container));

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
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(dev->iommufd), "open iommu: %ld",
			       PTR_ERR(dev->iommufd));
}

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
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(pdev),
			       "platform_device_register_data(): %ld",
			       PTR_ERR(pdev));
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

/* open("/dev/vfio/devices/vfioN"): a device file, not bound yet. */
struct file *vkt_dev_cdev_open(struct vkt_dev *dev)
{
	char path[48];
	struct file *file;

	snprintf(path, sizeof(path), "vfio/devices/%s",
		 dev_name(&dev->mock->vdev.device));
	file = vkt_open_node(dev->ctx, path);
	if (!IS_ERR(file))
		vkt_track(dev->devs, file, true);
	return file;
}

/* The cdev path's open: VFIO_DEVICE_BIND_IOMMUFD, iommufd in call->cmd. */
static long vkt_call_bind(struct vkt_call *call)
{
	void __user *uarg = (void __user *)call->arg;
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind),
		.iommufd = call->cmd,
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
	call.cmd = fd;
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

static void vkt_dev_destroy(struct vkt_dev *dev)
{
	struct vkt_ctx *ctx = dev->ctx;

	if (dev->group)
		vkt_fput(ctx, "closing the group", dev->group);
	if (dev->container)
		vkt_fput(ctx, "closing the container", dev->container);
	if (dev->iommufd)
		vkt_fput(ctx, "closing the iommufd", dev->iommufd);
	if (!IS_ERR_OR_NULL(dev->pdev))
		platform_device_unregister(dev->pdev);
}

void vkt_devs_init(struct vkt_devs *devs, struct vkt_ctx *ctx,
		   struct vkt_vms *vms)
{
	devs->ctx = ctx;
	devs->vms = vms;
	mutex_init(&devs->files_lock);
}

/* From a kthread: the last fput of each file runs now. */
void vkt_devs_close_files(struct vkt_devs *devs)
{
	int i;

	for (i = 0; i < VKT_MAX_FILES; i++) {
		if (devs->files[i])
			__fput_sync(devs->files[i]);
		devs->files[i] = NULL;
	}
}

/* After the VMs' release: KVM holds none of the devices' files. */
void vkt_devs_destroy(struct vkt_devs *devs)
{
	int i;

	for (i = devs->nr - 1; i >= 0; i--)
		vkt_dev_destroy(&devs->dev[i]);
	mutex_destroy(&devs->files_lock);
}

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The mock vfio devices of the vfio <-> kvm suites (vfio_kvm_dev.c):
 * platform devices of a mock driver, registered with VFIO as emulated-IOMMU
 * devices and opened through the real group or device cdev ioctls.  Above
 * the VMs (vfio_kvm_vm.c): a device is attached to a VM through the files
 * it is opened by.
 */
#ifndef _VFIO_KVM_DEV_H
#define _VFIO_KVM_DEV_H

#include <linux/fs.h>
#include <linux/mutex.h>
#include <kunit/test.h>

#include "vfio_kvm_call.h"
#include "vfio_kvm_mock.h"
#include "vfio_kvm_vm.h"

#define VKT_MAX_DEVS	4
#define VKT_MAX_FILES	8

struct platform_device;
struct vkt_devs;

/* How a device is opened. */
enum vkt_path {
	/* VFIO_GROUP_GET_DEVICE_FD on its group, in a type1 container */
	VKT_PATH_GROUP,
	/* /dev/vfio/devices/vfioN bound to an iommufd */
	VKT_PATH_CDEV,
};

/*
 * A mock vfio device and what it is opened through: its group and
 * container, or an iommufd for its device cdev.
 */
struct vkt_dev {
	struct vkt_devs *devs;
	struct vkt_ctx *ctx;
	struct vkt_mock *mock;
	struct platform_device *pdev;
	enum vkt_path path;
	struct file *container;
	struct file *group;
	struct file *iommufd;
	/* cdev: the VM each open tells of its file, while it has kvm-vfio */
	struct vkt_vm *attached;
	struct file *bound;		/* cdev: the file bound last */
};

/*
 * A case's devices, and the device files open on them, closed at the
 * case's end if still open; the VMs they may be attached to.
 */
struct vkt_devs {
	struct vkt_ctx *ctx;
	struct vkt_vms *vms;
	struct vkt_dev dev[VKT_MAX_DEVS];
	int nr;
	struct file *files[VKT_MAX_FILES];
	struct mutex files_lock;	/* guards files[] */
};

/* A case parameter: a mock, opened through a path. */
struct vkt_param {
	enum vkt_path path;
	const struct vkt_mock_behaviour *b;
};

#define VKT_MOCK(path, mock)	{ VKT_PATH_##path, &vkt_mock_##mock }

void vkt_param_desc(const struct vkt_param *param, char *desc);
void vkt_path_desc(const enum vkt_path *path, char *desc);

/* vkt_paths_gen_params(): a case's parameters are the two paths. */
#define VKT_PATH_PARAMS()						\
	static const enum vkt_path vkt_paths[] = {			\
		VKT_PATH_GROUP, VKT_PATH_CDEV				\
	};								\
	KUNIT_ARRAY_PARAM(vkt_paths, vkt_paths, vkt_path_desc)

/* The mock platform driver the devices sit on: a suite's init and exit. */
int vkt_suite_init(struct kunit_suite *suite);
void vkt_suite_exit(struct kunit_suite *suite);

const char *vkt_path_name(enum vkt_path path);
void vkt_skip_unless_path(struct kunit *test, enum vkt_path path);

struct vkt_dev *vkt_dev_create(struct vkt_devs *devs, enum vkt_path path,
			       const struct vkt_mock_behaviour *b,
			       void *dev_set_id);
struct file *vkt_dev_cdev_open(struct vkt_dev *dev);
int vkt_dev_cdev_bind(struct vkt_dev *dev, struct file *file);
struct file *vkt_dev_open(struct vkt_dev *dev);
void vkt_dev_close(struct vkt_dev *dev, struct file *file);

/*
 * Tell @vm of what @dev is opened through: its group, or, on the cdev
 * path, each device file opened from now on (before it is bound).
 */
int vkt_dev_attach(struct vkt_dev *dev, struct vkt_vm *vm);
int vkt_dev_detach(struct vkt_dev *dev, struct vkt_vm *vm);

/*
 * A case's devices: none yet; at its end, the device files it left open
 * closed first, then, once KVM let go of their files, the devices.
 */
void vkt_devs_init(struct vkt_devs *devs, struct vkt_ctx *ctx,
		   struct vkt_vms *vms);
void vkt_devs_close_files(struct vkt_devs *devs);
void vkt_devs_destroy(struct vkt_devs *devs);

#endif /* _VFIO_KVM_DEV_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test environment of the vfio <-> kvm KUnit suites: mock vfio devices
 * opened through the real group ioctls, VMs attached through
 * the real kvm-vfio device, all torn down by KUnit when a case ends.
 */
#ifndef _VFIO_KVM_ENV_H
#define _VFIO_KVM_ENV_H

#include <linux/fs.h>
#include <linux/kvm_host.h>
#include <linux/vfio.h>
#include <kunit/test.h>

#include "vfio_kvm_mock.h"
#include "vfio_kvm_thread.h"

#define VKT_MAX_DEVS	4
#define VKT_MAX_VMS	2
#define VKT_MAX_FILES	8
#define VKT_MAX_ACTORS	4

struct vkt_env;
struct vkt_vm;

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
	struct vkt_env *env;
	struct vkt_mock *mock;
	struct platform_device *pdev;
	enum vkt_path path;
	struct file *container;
	struct file *group;
	struct file *iommufd;
	struct vkt_vm *attached;	/* cdev: the VM each open adds */
	struct file *bound;		/* cdev: the file bound last */
	bool registered;
};

/* A VM created through /dev/kvm, and its kvm-vfio device. */
struct vkt_vm {
	struct vkt_env *env;
	/* the VM as VFIO hands it to drivers, once a case has seen it */
	struct kvm *kvm;
	struct file *vm_file;
	struct file *kvfio;
	struct dentry *debugfs;		/* its directory, kvm/<pid>-<fd> */
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

struct vkt_env {
	struct kunit *test;
	struct vfsmount *devtmpfs;
	struct mm_struct *mm;
	unsigned long ubuf;
	struct task_struct *actors[VKT_MAX_ACTORS];
	struct vkt_dev devs[VKT_MAX_DEVS];
	int nr_devs;
	struct vkt_vm vms[VKT_MAX_VMS];
	int nr_vms;
	/*
	 * Device files open, and the VM the case added each to: KVM then
	 * holds the file, and closing it must delete it from KVM first, as a
	 * VMM does, or the device would stay open.
	 */
	struct vkt_open {
		struct file *file;
		struct vkt_vm *vm;
	} files[VKT_MAX_FILES];
	struct mutex files_lock;	/* guards files[] */
	/* where a thread that missed its deadline sleeps */
	char where[VKT_THREAD_WHERE_LEN];
};

int vkt_suite_init(struct kunit_suite *suite);
void vkt_suite_exit(struct kunit_suite *suite);
int vkt_case_init(struct kunit *test);
struct vkt_env *vkt_env_create(struct kunit *test);
bool vkt_wedged(void);
void vkt_set_wedged(const char *why);
void vkt_skip_if_wedged(struct kunit *test);

/* A device node of the case's private devtmpfs, "vfio/vfio" say. */
struct file *vkt_open_node(struct vkt_env *env, const char *path);
void vkt_close_node(struct vkt_env *env, struct file *file);

/* Threads that issue ioctls for a case enter its mm and user memory. */
int vkt_env_enter(struct vkt_env *env, int actor);
void vkt_env_leave(struct vkt_env *env, int actor);

struct vkt_dev *vkt_dev_create(struct vkt_env *env, enum vkt_path path,
			       const struct vkt_mock_behaviour *b,
			       void *dev_set_id);
const char *vkt_path_name(enum vkt_path path);
void vkt_skip_unless_path(struct kunit *test, enum vkt_path path);
struct file *vkt_dev_cdev_open(struct vkt_dev *dev);
int vkt_dev_cdev_bind(struct vkt_dev *dev, struct file *file);
struct file *vkt_dev_open(struct vkt_dev *dev);
void vkt_dev_close(struct vkt_dev *dev, struct file *file);
struct kvm *vkt_dev_kvm(struct vkt_dev *dev);

struct vkt_vm *vkt_vm_create(struct vkt_env *env);
int vkt_vm_attach(struct vkt_vm *vm, struct vkt_dev *dev);
int vkt_vm_detach(struct vkt_vm *vm, struct vkt_dev *dev);
int vkt_vm_add_file(struct vkt_vm *vm, struct file *file);
int vkt_vm_del_file(struct vkt_vm *vm, struct file *file);
int vkt_vm_create_kvfio(struct vkt_vm *vm);
void vkt_vm_release_kvfio(struct vkt_vm *vm);
void vkt_vm_close(struct vkt_vm *vm);
int vkt_vm_destroyed(struct vkt_vm *vm);

#endif /* _VFIO_KVM_ENV_H */

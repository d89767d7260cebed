/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The environment of the vfio <-> kvm suites: calls into VFIO and KVM with
 * a deadline (vfio_kvm_call.c), and real VMs and mock vfio devices opened
 * through the real ioctls, torn down when the case ends (vfio_kvm_env.c).
 *
 * A check of one of these rules starts its failure message with the
 * rule's tag, which names the rule whatever the words after it say:
 *   [vm-handed]          open_device gets the VM attached to the device
 *   [no-stray-vm]        and none when none is attached
 *   [kvm-stable]         device->kvm is the same at close_device as at open
 *   [vm-kept]            an open device keeps its VM alive
 *   [vm-leaked]          a VM nobody holds any longer is destroyed
 *   [next-vm]            the next first open gets the group's new VM
 *   [first-open-only]    open_device runs at a device's first open only
 *   [open-fails]         an open fails when open_device does
 *   [failed-open-closed] and leaves the device closed
 *   [second-bind]        a bound device's cdev refuses a second bind
 *   [bind-beside-group]  no cdev bind while the device's group is open
 *   [group-beside-cdev]  no group open while the device is bound
 *   [kvm-lock-wait]      open_device can take &kvm->lock under VFIO's locks
 * and the suites' own findings:
 *   [kernel-report]      the kernel reported something while a case ran
 *                        (vfio_kvm_report.h)
 *   [lockdep-off]        lockdep turned itself off without a report
 *   [call-timeout]       a call into VFIO or KVM, or a thread, did not return
 *   [race-open]          a device open of a race case failed
 *   [premise]            the case could not set up what it observes
 */
#ifndef _VFIO_KVM_ENV_H
#define _VFIO_KVM_ENV_H

#include <linux/fs.h>
#include <linux/mutex.h>
#include <kunit/test.h>

#include "vfio_kvm_mock.h"
#include "vfio_kvm_report.h"

#define VKT_MAX_ACTORS		4
#define VKT_MAX_VMS		2
#define VKT_MAX_TOLD		8
#define VKT_MAX_DEVS		4
#define VKT_MAX_FILES		8
#define VKT_THREAD_WHERE_LEN	384

/* How long any wait of the suites may take, in seconds. */
extern unsigned int vkt_timeout_s;

struct vkt_thread;

struct vkt_thread *vkt_thread_run(struct kunit *test, int (*fn)(void *data),
				  void *data, const char *name);
int vkt_thread_join(struct vkt_thread *thread, unsigned long deadline,
		    int *result, char *where, size_t size);

/*
 * What a case's calls need: its private devtmpfs, the mm whose user memory
 * holds ioctl arguments, and the threads that issue ioctls in it (the case
 * itself is actor 0).
 */
struct vkt_ctx {
	struct kunit *test;
	struct vfsmount *devtmpfs;
	struct mm_struct *mm;
	unsigned long ubuf;
	struct task_struct *actors[VKT_MAX_ACTORS];
	/* where the case's call that missed its deadline sleeps */
	char where[VKT_THREAD_WHERE_LEN];
};

/* A call into VFIO or KVM: @fn(@call) runs in a kthread in the case's mm. */
struct vkt_call {
	long (*fn)(struct vkt_call *call);
	struct mm_struct *mm;
	struct file *file;
	unsigned int cmd;
	unsigned long arg;
	int fd;
	void *data;
	long ret;
};

long vkt_call(struct vkt_ctx *ctx, const char *what, const struct vkt_call *c);
long vkt_ioctl(struct vkt_ctx *ctx, const char *what, struct file *file,
	       unsigned int cmd, unsigned long arg);
long vkt_file_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
void vkt_fput(struct vkt_ctx *ctx, const char *what, struct file *file);
int vkt_install(struct file *file);
struct file *vkt_take_fd(int fd);
void __user *vkt_uarg(struct vkt_ctx *ctx);
struct file *vkt_open_node(struct vkt_ctx *ctx, const char *path);
int vkt_ctx_enter(struct vkt_ctx *ctx, int actor);
void vkt_ctx_leave(struct vkt_ctx *ctx, int actor);

bool vkt_wedged(void);
void vkt_set_wedged(const char *why);
void vkt_skip_if_wedged(struct kunit *test);

/* A VM created through /dev/kvm, and its kvm-vfio device. */
struct vkt_vm {
	struct vkt_ctx *ctx;
	/* the VM as VFIO hands it to drivers, once a case has seen it */
	struct kvm *kvm;
	struct file *vm_file;
	struct file *kvfio;
	char debugfs[24];		/* its directory, kvm/<pid>-<fd> */
	bool released;			/* its kvm-vfio device is gone */
	/* the files the case told KVM of (KVM_DEV_VFIO_FILE_ADD) */
	struct file *told[VKT_MAX_TOLD];
	struct mutex told_lock;		/* guards told[] */
};

struct vkt_vms {
	struct vkt_ctx *ctx;
	struct vkt_vm vm[VKT_MAX_VMS];
	int nr;
};

struct vkt_vm *vkt_vm_create(struct vkt_vms *vms);
int vkt_vm_create_kvfio(struct vkt_vm *vm);
int vkt_vm_add_file(struct vkt_vm *vm, struct file *file);
int vkt_vm_del_file(struct vkt_vm *vm, struct file *file);
void vkt_vm_release_kvfio(struct vkt_vm *vm);
void vkt_vm_close(struct vkt_vm *vm);
int vkt_vm_destroyed(struct vkt_vm *vm);
bool vkt_kvm_debugfs(void);

enum vkt_path {
	VKT_PATH_GROUP,	/* VFIO_GROUP_GET_DEVICE_FD, in a type1 container */
	VKT_PATH_CDEV,	/* /dev/vfio/devices/vfioN bound to an iommufd */
};

struct vkt_devs;

/* A mock vfio device, on a platform device, and what it is opened by. */
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

/* A case's devices, and the device files its teardown closes. */
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

int vkt_suite_init(struct kunit_suite *suite);
void vkt_suite_exit(struct kunit_suite *suite);

const char *vkt_path_name(enum vkt_path path);
void vkt_skip_unless_path(struct kunit *test, enum vkt_path path);

struct vkt_dev *vkt_dev_create(struct vkt_devs *devs, enum vkt_path path,
			       const struct vkt_mock_behaviour *b,
			       void *dev_set_id);
struct file *vkt_dev_group_node(struct vkt_dev *dev);
struct file *vkt_dev_cdev_open(struct vkt_dev *dev);
int vkt_dev_cdev_bind(struct vkt_dev *dev, struct file *file);
struct file *vkt_dev_open(struct vkt_dev *dev);
void vkt_dev_close(struct vkt_dev *dev, struct file *file);
int vkt_dev_attach(struct vkt_dev *dev, struct vkt_vm *vm);
int vkt_dev_detach(struct vkt_dev *dev, struct vkt_vm *vm);

/* A case's fixture, its test->priv. */
struct vkt_env {
	struct vkt_ctx ctx;
	struct vkt_vms vms;
	struct vkt_devs devs;
	/* the kernel reports printed while the case runs */
	struct vkt_reports *reports;
};

int vkt_case_init(struct kunit *test);

#endif /* _VFIO_KVM_ENV_H */

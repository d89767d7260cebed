/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test environment of the vfio <-> kvm suites (vfio_kvm_env.c): mock vfio
 * devices opened through the real group ioctls, VMs attached through the
 * real kvm-vfio device, all torn down when a case ends.  The top layer,
 * over the devices (vfio_kvm_dev.h), the VMs (vfio_kvm_vm.h) and the
 * calls with a deadline (vfio_kvm_call.h), which the cases use directly.
 */
#ifndef _VFIO_KVM_ENV_H
#define _VFIO_KVM_ENV_H

#include <linux/mutex.h>
#include <kunit/test.h>

#include "vfio_kvm_call.h"
#include "vfio_kvm_dev.h"
#include "vfio_kvm_thread.h"
#include "vfio_kvm_vm.h"

#define VKT_MAX_DEVS	4
#define VKT_MAX_VMS	2
#define VKT_MAX_FILES	8
#define VKT_MAX_ACTORS	4

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
	/* the device files open, closed at the case's end if still open */
	struct file *files[VKT_MAX_FILES];
	struct mutex files_lock;	/* guards files[] */
	/* where a thread that missed its deadline sleeps */
	char where[VKT_THREAD_WHERE_LEN];
};

/* A suite's .init: every case fails on a kernel report while it runs. */
int vkt_case_init(struct kunit *test);
/* The case's environment, torn down when the case ends; skips if wedged. */
struct vkt_env *vkt_env_create(struct kunit *test);

#endif /* _VFIO_KVM_ENV_H */

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VMs of the vfio <-> kvm suites (vfio_kvm_vm.c): real ones, created
 * through /dev/kvm, each with a real kvm-vfio device.  Below the devices
 * (vfio_kvm_dev.c): a VM knows the files KVM was told of, not devices.
 */
#ifndef _VFIO_KVM_VM_H
#define _VFIO_KVM_VM_H

#include <linux/fs.h>
#include <linux/mutex.h>

#include "vfio_kvm_call.h"

#define VKT_MAX_TOLD	8
#define VKT_MAX_VMS	2

struct kvm;

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

/* A case's VMs. */
struct vkt_vms {
	struct vkt_ctx *ctx;
	struct vkt_vm vm[VKT_MAX_VMS];
	int nr;
};

struct vkt_vm *vkt_vm_create(struct vkt_vms *vms);
int vkt_vm_create_kvfio(struct vkt_vm *vm);
int vkt_vm_add_file(struct vkt_vm *vm, struct file *file);
int vkt_vm_del_file(struct vkt_vm *vm, struct file *file);
/* The VM the case told of @file, if it still has its kvm-vfio device. */
struct vkt_vm *vkt_vm_of_file(struct vkt_vms *vms, struct file *file);
void vkt_vm_release_kvfio(struct vkt_vm *vm);
void vkt_vm_close(struct vkt_vm *vm);
int vkt_vm_destroyed(struct vkt_vm *vm);

/* A case's VMs: none yet; at its end, each released and closed. */
void vkt_vms_init(struct vkt_vms *vms, struct vkt_ctx *ctx);
void vkt_vms_destroy(struct vkt_vms *vms);

#endif /* _VFIO_KVM_VM_H */

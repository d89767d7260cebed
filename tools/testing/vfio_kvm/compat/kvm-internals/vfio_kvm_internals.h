/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The runner's overlay: what it reads of KVM's internals and the suites
 * proposed upstream do not (vfio_kvm_internals.c), for its own suites
 * (vfio_kvm_fake_vm_kunit.c, vfio_kvm_internals_kunit.c).  They reach the
 * in-tree suites only through their headers.
 *
 * Their checks' tags, as the in-tree suites' (vfio_kvm_env.h): the rules
 * of 6.3 to 7.3 no ioctl shows, and the vendor module's
 *   [open-dying-vm]      a device opens with a dying VM attached
 *   [dying-vm]           but its driver is not handed the dying VM
 *   [dying-vm-users]     whose users_count VFIO leaves alone
 *   [attach-no-ref]      attaching a group takes no VM reference (before
 *                        7.4, whose group holds the VM's file)
 *   [vendor-pinned]      a VM VFIO holds pins its vendor module
 */
#ifndef _VFIO_KVM_INTERNALS_H
#define _VFIO_KVM_INTERNALS_H

#include <linux/fs.h>
#include <kunit/test.h>

#include "vfio_kvm_env.h"

#define VKT_FAKE_MAX_FILES	2

/*
 * A fake VM: a zeroed struct kvm with a real kvm->lock and users_count, on
 * which the case calls VFIO exactly as virt/kvm/vfio.c does.
 */
struct vkt_fake_vm {
	struct vkt_ctx *ctx;
	struct kvm *kvm;
	struct file *files[VKT_FAKE_MAX_FILES];
	unsigned int base;		/* the case's own references */
};

struct vkt_fake_vm *vkt_fake_vm_create(struct vkt_env *env,
				       unsigned int users);
void vkt_fake_vm_add_file(struct vkt_fake_vm *vm, struct file *file);
void vkt_fake_vm_release(struct vkt_fake_vm *vm);

/* The struct kvm of a real VM, as VFIO hands it to drivers. */
struct kvm *vkt_vm_kvm(struct vkt_vm *vm);
/* What holds @kvm: users_count, and on 7.4 the VM file's references. */
unsigned int vkt_kvm_users(struct kvm *kvm);
struct module *vkt_vm_vendor_module(struct vkt_vm *vm);
unsigned int vkt_module_refcount(struct module *mod);

#endif /* _VFIO_KVM_INTERNALS_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * Fake VMs, for the overlay only: a zeroed struct kvm with a real kvm->lock
 * and users_count, on which the suite calls VFIO exactly as virt/kvm/vfio.c
 * does.  They serve what a real VM cannot be driven into, a VM whose
 * users_count already dropped to 0 (vfio_kvm_ref_dying_vm), and guests
 * without /dev/kvm (vfio_kvm_kunit.kvm=auto or fake).
 *
 * Not part of the suites proposed upstream: a fabricated struct kvm reaches
 * into KVM's lifetime rules, and there the cases that need a VM skip
 * without /dev/kvm.  suite.patch beside this file hooks it in.
 */
#include <linux/file.h>
#include <linux/kvm_host.h>
#include <linux/vfio.h>

#include "vfio_kvm_call.h"
#include "vfio_kvm_env.h"

struct vkt_vm *vkt_vm_create_fake(struct vkt_env *env, unsigned int users)
{
	struct vkt_vm *vm = vkt_vm_alloc(env);
	struct kvm *kvm;

	kvm = kvzalloc_obj(*kvm, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(env->test, kvm);
	mutex_init(&kvm->lock);
	refcount_set(&kvm->users_count, users);
	vm->kvm = kvm;
	vm->fake = true;
	vm->fake_base = users;
	kunit_info(env->test, "KVM: a fake struct kvm, users_count %u", users);
	return vm;
}

/* What kvm-vfio does to a vfio file: tell VFIO of the VM, or drop it. */
static long vkt_call_fake_set_kvm(struct vkt_call *call)
{
	vfio_file_set_kvm(call->file, call->data);
	if (!call->data) {
		fput(call->file);
		flush_delayed_fput();
	}
	return 0;
}

static int vkt_fake_slot(struct vkt_vm *vm, struct file *file)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(vm->files); i++)
		if (vm->files[i] == file)
			return i;
	return -1;
}

/* What kvm_vfio_file_add() does. */
int vkt_fake_vm_add_file(struct vkt_vm *vm, struct file *file)
{
	struct vkt_call call = { .fn = vkt_call_fake_set_kvm };
	int i;

	if (vkt_fake_slot(vm, file) >= 0)
		return -EEXIST;
	i = vkt_fake_slot(vm, NULL);
	if (i < 0)
		return -ENOSPC;
	vm->files[i] = get_file(file);
	call.file = file;
	call.data = vm->kvm;
	vkt_call(vm->env, "vfio_file_set_kvm() of KVM_DEV_VFIO_FILE_ADD", &call);
	vkt_track_vm(vm->env, file, vm);
	return 0;
}

/* What kvm_vfio_file_del() does. */
int vkt_fake_vm_del_file(struct vkt_vm *vm, struct file *file)
{
	struct vkt_call call = { .fn = vkt_call_fake_set_kvm, .file = file };
	int i;

	i = vkt_fake_slot(vm, file);
	if (i < 0)
		return -ENOENT;
	vm->files[i] = NULL;
	vkt_call(vm->env, "vfio_file_set_kvm() of KVM_DEV_VFIO_FILE_DEL", &call);
	return 0;
}

/* kvm_device_release() and kvm_vfio_release(): the same calls, same lock. */
static long vkt_call_fake_release(struct vkt_call *call)
{
	struct vkt_vm *vm = call->data;
	int i;

	mutex_lock(&vm->kvm->lock);
	for (i = 0; i < ARRAY_SIZE(vm->files); i++) {
		if (!vm->files[i])
			continue;
		vfio_file_set_kvm(vm->files[i], NULL);
		fput(vm->files[i]);
		vm->files[i] = NULL;
	}
	mutex_unlock(&vm->kvm->lock);
	flush_delayed_fput();
	return 0;
}

void vkt_fake_vm_release(struct vkt_vm *vm)
{
	struct vkt_call call = { .fn = vkt_call_fake_release, .data = vm };

	vkt_call(vm->env, "kvm_vfio_release() of a fake VM under &kvm->lock",
		 &call);
}

void vkt_fake_vm_destroy(struct vkt_vm *vm)
{
	/*
	 * Whoever still holds a reference to a fake VM would put it into
	 * kvm_destroy_vm(): leak it instead, the cases report the count.
	 */
	if (refcount_read(&vm->kvm->users_count) == vm->fake_base)
		kvfree(vm->kvm);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * What the runner's overlay reads of KVM's internals, and the suites
 * proposed upstream do not: the struct kvm behind a VM file, its
 * users_count, the vendor module that owns its file, the references a
 * leaking kernel lost.  suite.patch beside this file hooks it in.
 *
 * Fake VMs: a zeroed struct kvm with a real kvm->lock and users_count, on
 * which the suite calls VFIO exactly as virt/kvm/vfio.c does.  They serve
 * what a real VM cannot be driven into, a VM whose users_count already
 * dropped to 0 (vfio_kvm_fake_vm_kunit.c), and guests without /dev/kvm
 * (vfio_kvm_kunit.kvm=auto or fake).
 *
 * Counts: where a rule of the suites cannot tell a kernel from a mutant
 * (a group that holds its VM while attached keeps every VM alive exactly as
 * long as the rules say), the overlay checks kvm->users_count as well.
 */
#include <linux/file.h>
#include <linux/module.h>
#include <linux/kvm_host.h>
#include <linux/vfio.h>

#include "vfio_kvm_call.h"
#include "vfio_kvm_vm.h"

struct vkt_vm *vkt_vm_create_fake(struct vkt_vms *vms, unsigned int users)
{
	struct vkt_vm *vm = vkt_vm_alloc(vms);
	struct kvm *kvm;

	kvm = kvzalloc_obj(*kvm, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(vms->ctx->test, kvm);
	mutex_init(&kvm->lock);
	refcount_set(&kvm->users_count, users);
	vm->kvm = kvm;
	vm->fake = true;
	vm->fake_base = users;
	kunit_info(vms->ctx->test, "KVM: a fake struct kvm, users_count %u", users);
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
	vkt_call(vm->ctx, "vfio_file_set_kvm() of KVM_DEV_VFIO_FILE_ADD", &call);
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
	vkt_call(vm->ctx, "vfio_file_set_kvm() of KVM_DEV_VFIO_FILE_DEL", &call);
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

	vkt_call(vm->ctx, "kvm_vfio_release() of a fake VM under &kvm->lock",
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

/* ---- counts ------------------------------------------------------------- */

unsigned int vkt_vm_users(struct vkt_vm *vm)
{
	return refcount_read(&vm->kvm->users_count);
}

/*
 * Give back the references to @vm that VFIO took and lost (a kernel bug a
 * case has just reported), so that the VM is destroyed as on a working
 * kernel: a leaked VM would keep KVM's modules from unloading.  With each
 * VM reference VFIO took one on the module of kvm_put_kvm() (symbol_get()
 * in vfio_device_get_kvm_safe()), lost with it: given back too.
 */
void vkt_vm_put_leaked(struct kunit *test, struct vkt_vm *vm)
{
	unsigned int n;

	if (!vm->kvm || vm->fake || vkt_vm_destroyed(vm) != 0)
		return;
	n = vkt_vm_users(vm);
	kunit_info(test,
		   "giving back the %u KVM reference(s) VFIO leaked, so that the VM is destroyed",
		   n);
	while (n--) {
		kvm_put_kvm(vm->kvm);
		symbol_put(kvm_put_kvm);
	}
}

/*
 * The module whose code the VM's destruction calls, as KVM names it: the
 * owner of the VM file's operations (kvm_init() gives the vendor module,
 * kvm_amd or kvm_intel, or on arm64 KVM itself).  NULL when it is built in,
 * or when no module can be unloaded.
 */
struct module *vkt_vm_vendor_module(struct vkt_vm *vm)
{
	if (!IS_ENABLED(CONFIG_MODULE_UNLOAD) || !vm->vm_file)
		return NULL;
	return vm->vm_file->f_op->owner;
}

/* The references that keep @mod from being unloaded. */
unsigned int vkt_module_refcount(struct module *mod)
{
#ifdef CONFIG_MODULE_UNLOAD
	return module_refcount(mod);
#else
	return 0;
#endif
}

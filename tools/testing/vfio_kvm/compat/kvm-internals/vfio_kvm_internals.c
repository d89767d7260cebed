// SPDX-License-Identifier: GPL-2.0
/*
 * What the runner's overlay reads of KVM's internals, and the suites
 * proposed upstream do not: fake VMs, the struct kvm behind a VM file, its
 * users_count, the vendor module that owns its file.
 *
 * Fake VMs serve what a real VM cannot be driven into: a VM whose
 * users_count already dropped to 0 (vfio_kvm_fake_vm_kunit.c).
 */
#include <linux/file.h>
#include <linux/module.h>
#include <linux/kvm_host.h>
#include <linux/vfio.h>
#include <kunit/resource.h>

#include "vfio_kvm_internals.h"

#ifdef VKT_VFIO_HOLDS_VM_FILE
/* VFIO takes the VM's file, which a fake struct kvm lacks: none are made */
#define vkt_fake_set_kvm(file, kvm)	do { } while (0)
#else
#define vkt_fake_set_kvm(file, kvm)	vfio_file_set_kvm(file, kvm)
#endif

/* kvm_device_release() and kvm_vfio_release(): the same calls, same lock. */
void vkt_fake_vm_release(struct vkt_fake_vm *vm)
{
	int i;

	mutex_lock(&vm->kvm->lock);
	for (i = 0; i < ARRAY_SIZE(vm->files); i++) {
		if (!vm->files[i])
			continue;
		vkt_fake_set_kvm(vm->files[i], NULL);
		fput(vm->files[i]);
		vm->files[i] = NULL;
	}
	mutex_unlock(&vm->kvm->lock);
}

static void vkt_fake_vm_end(void *data)
{
	struct vkt_fake_vm *vm = data;

	vkt_fake_vm_release(vm);
	/*
	 * Whoever still holds a reference to a fake VM would put it into
	 * kvm_destroy_vm(): leak it instead, the cases report the count.
	 */
	if (refcount_read(&vm->kvm->users_count) == vm->base)
		kvfree(vm->kvm);
}

/* A fake VM with @users references, released when the case ends. */
struct vkt_fake_vm *vkt_fake_vm_create(struct vkt_env *env, unsigned int users)
{
	struct kunit *test = env->ctx.test;
	struct vkt_fake_vm *vm;

#ifdef VKT_VFIO_HOLDS_VM_FILE
	kunit_skip(test, "7.4's VFIO holds the VM's file: a fake struct kvm has none");
#endif
	vm = kunit_kzalloc(test, sizeof(*vm), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, vm);
	vm->kvm = kvzalloc_obj(*vm->kvm, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, vm->kvm);
	mutex_init(&vm->kvm->lock);
	refcount_set(&vm->kvm->users_count, users);
	vm->base = users;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, vkt_fake_vm_end, vm), 0);
	return vm;
}

/* What kvm_vfio_file_add() does. */
void vkt_fake_vm_add_file(struct vkt_fake_vm *vm, struct file *file)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(vm->files) && vm->files[i]; i++)
		;
	if (i == ARRAY_SIZE(vm->files))
		return;
	vm->files[i] = get_file(file);
	vkt_fake_set_kvm(file, vm->kvm);
}

struct kvm *vkt_vm_kvm(struct vkt_vm *vm)
{
	return vm->vm_file->private_data;
}

unsigned int vkt_kvm_users(struct kvm *kvm)
{
#ifdef VKT_VFIO_HOLDS_VM_FILE
	/*
	 * 7.4: VFIO holds the VM's file, which holds one users_count
	 * reference until its release.
	 */
	struct file *file = READ_ONCE(kvm->file);
	unsigned int users = refcount_read(&kvm->users_count);

	return file ? users - 1 + file_count(file) : users;
#else
	return refcount_read(&kvm->users_count);
#endif
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

// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VMs of the vfio <-> kvm suites: real ones, created through /dev/kvm,
 * each with a real kvm-vfio device.
 */
#include <linux/dcache.h>
#include <linux/debugfs.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/module.h>
#include <linux/uaccess.h>
#include <uapi/linux/kvm.h>

#include "vfio_kvm_call.h"
#include "vfio_kvm_vm.h"

static char *kvm_mode = "auto";
module_param_named(kvm, kvm_mode, charp, 0444);
MODULE_PARM_DESC(kvm,
		 "Where /dev/kvm cannot create a VM, the cases that need one: skip (auto) or fail (real)");

/* ---- VMs ---------------------------------------------------------------- */

static struct vkt_vm *vkt_vm_alloc(struct vkt_vms *vms)
{
	struct vkt_vm *vm;

	KUNIT_ASSERT_LT(vms->ctx->test, vms->nr, VKT_MAX_VMS);
	vm = &vms->vm[vms->nr++];
	vm->ctx = vms->ctx;
	mutex_init(&vm->told_lock);
	return vm;
}

/* KVM_CREATE_VM, noting who made it: KVM names its debugfs directory so. */
static long vkt_call_create_vm(struct vkt_call *call)
{
	*(pid_t *)call->data = task_pid_nr(current);
	return vkt_file_ioctl(call->file, KVM_CREATE_VM, 0);
}

/*
 * Whether the VM's debugfs directory, kvm/<pid>-<fd> of the task that
 * created it, is there: kvm_destroy_vm() removes it, the one sign of a
 * VM's destruction that KVM shows outside of it.
 */
static bool vkt_vm_debugfs_there(const char *name)
{
	struct dentry *kvm_dir, *dir;

	kvm_dir = debugfs_lookup("kvm", NULL);
	if (IS_ERR_OR_NULL(kvm_dir))
		return false;
	dir = debugfs_lookup(name, kvm_dir);
	dput(kvm_dir);
	if (IS_ERR_OR_NULL(dir))
		return false;
	dput(dir);
	return true;
}

/* A VM from /dev/kvm, or why there is none. */
static long vkt_vm_open(struct vkt_ctx *ctx, struct vkt_vm *vm)
{
	struct vkt_call call = { .fn = vkt_call_create_vm };
	struct file *kvm_dev;
	pid_t pid = 0;
	int fd;

	kvm_dev = vkt_open_node(ctx, "kvm");
	if (IS_ERR(kvm_dev))
		return PTR_ERR(kvm_dev);
	call.file = kvm_dev;
	call.data = &pid;
	fd = vkt_call(ctx, "KVM_CREATE_VM", &call);
	vkt_fput(ctx, "closing /dev/kvm", kvm_dev);
	if (fd < 0)
		return fd;

	/* the directory is named after the fd: look it up while it is ours */
	snprintf(vm->debugfs, sizeof(vm->debugfs), "%d-%d", pid, fd);
	if (!vkt_vm_debugfs_there(vm->debugfs))
		vm->debugfs[0] = '\0';
	vm->vm_file = vkt_take_fd(fd);
	if (IS_ERR(vm->vm_file)) {
		fd = PTR_ERR(vm->vm_file);
		vm->vm_file = NULL;
		return fd;
	}
	return 0;
}

/*
 * A VM with a kvm-vfio device.  Without /dev/kvm (no KVM in the guest, or
 * no hardware virtualization) the case skips, or with
 * vfio_kvm_kunit.kvm=real fails.
 */
struct vkt_vm *vkt_vm_create(struct vkt_vms *vms)
{
	struct kunit *test = vms->ctx->test;
	struct vkt_vm *vm;
	long ret;

	vm = vkt_vm_alloc(vms);
	ret = vkt_vm_open(vms->ctx, vm);
	if (ret) {
		vkt_vm_close(vm);
		vms->nr--;
		memset(vm, 0, sizeof(*vm));
		if (strcmp(kvm_mode, "real"))
			kunit_skip(test,
				   "needs a VM, and /dev/kvm could not create one: %ld",
				   ret);
	}
	KUNIT_ASSERT_EQ_MSG(test, ret, 0,
			    "a VM is required (vfio_kvm_kunit.kvm=real) but /dev/kvm could not create one: %ld",
			    ret);

	ret = vkt_vm_create_kvfio(vm);
	KUNIT_ASSERT_EQ_MSG(test, ret, 0,
			    "KVM_CREATE_DEVICE(KVM_DEV_TYPE_VFIO): %ld", ret);
	return vm;
}

int vkt_vm_create_kvfio(struct vkt_vm *vm)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };
	void __user *uarg = vkt_uarg(vm->ctx);
	struct file *file;
	int ret;

	vm->released = false;
	if (copy_to_user(uarg, &cd, sizeof(cd)))
		return -EFAULT;
	ret = vkt_ioctl(vm->ctx, "KVM_CREATE_DEVICE(KVM_DEV_TYPE_VFIO)",
			vm->vm_file, KVM_CREATE_DEVICE, (unsigned long)uarg);
	if (ret)
		return ret;
	if (copy_from_user(&cd, uarg, sizeof(cd)))
		return -EFAULT;
	file = vkt_take_fd(cd.fd);
	if (IS_ERR(file))
		return PTR_ERR(file);
	vm->kvfio = file;
	return 0;
}

/* KVM_DEV_VFIO_FILE_ADD or _DEL with an fd of @file. */
static int vkt_vm_set_file(struct vkt_vm *vm, struct file *file, u64 op)
{
	void __user *uarg = vkt_uarg(vm->ctx);
	struct kvm_device_attr attr = {
		.group = KVM_DEV_VFIO_FILE,
		.attr = op,
		.addr = (u64)(unsigned long)uarg + sizeof(attr),
	};
	int fd, ret;

	if (!vm->kvfio)
		return -ENODEV;
	fd = vkt_install(file);
	if (fd < 0)
		return fd;
	if (copy_to_user(uarg, &attr, sizeof(attr)) ||
	    put_user(fd, (int __user *)(uarg + sizeof(attr))))
		ret = -EFAULT;
	else
		ret = vkt_ioctl(vm->ctx,
				op == KVM_DEV_VFIO_FILE_ADD ?
				"KVM_SET_DEVICE_ATTR(KVM_DEV_VFIO_FILE_ADD)" :
				"KVM_SET_DEVICE_ATTR(KVM_DEV_VFIO_FILE_DEL)",
				vm->kvfio, KVM_SET_DEVICE_ATTR,
				(unsigned long)uarg);
	close_fd(fd);
	return ret;
}

/*
 * Note that the case told @vm of @file, or (@add false) that it no longer
 * does.  Only the case's own calls count: the threads of the race add and
 * release files on their own, and the case's close must not delete them.
 */
static void vkt_vm_tell(struct vkt_vm *vm, struct file *file, bool add)
{
	int i;

	if (current != vm->ctx->actors[0])
		return;
	mutex_lock(&vm->told_lock);
	for (i = 0; i < VKT_MAX_TOLD; i++) {
		if (vm->told[i] == (add ? NULL : file)) {
			vm->told[i] = add ? file : NULL;
			break;
		}
	}
	mutex_unlock(&vm->told_lock);
	if (add && i == VKT_MAX_TOLD)
		KUNIT_FAIL(vm->ctx->test, "more than %d files told to one VM",
			   VKT_MAX_TOLD);
}

/* KVM_DEV_VFIO_FILE_ADD of @file: KVM holds it until deleted or released. */
int vkt_vm_add_file(struct vkt_vm *vm, struct file *file)
{
	int ret;

	ret = vkt_vm_set_file(vm, file, KVM_DEV_VFIO_FILE_ADD);
	if (!ret)
		vkt_vm_tell(vm, file, true);
	return ret;
}

/* KVM_DEV_VFIO_FILE_DEL of @file. */
int vkt_vm_del_file(struct vkt_vm *vm, struct file *file)
{
	int ret;

	vkt_vm_tell(vm, file, false);
	ret = vkt_vm_set_file(vm, file, KVM_DEV_VFIO_FILE_DEL);
	/* kvm_vfio_file_del()'s fput() of the file, now */
	vkt_fput(vm->ctx, "the fput()s KVM_DEV_VFIO_FILE_DEL deferred", NULL);
	return ret;
}

/* The VM the case told of @file, if it still has its kvm-vfio device. */
struct vkt_vm *vkt_vm_of_file(struct vkt_vms *vms, struct file *file)
{
	struct vkt_vm *found = NULL;
	int i, j;

	for (i = 0; i < vms->nr && !found; i++) {
		struct vkt_vm *vm = &vms->vm[i];

		mutex_lock(&vm->told_lock);
		for (j = 0; j < VKT_MAX_TOLD; j++)
			if (vm->told[j] == file)
				found = vm;
		mutex_unlock(&vm->told_lock);
	}
	return found;
}

/*
 * The last close of the kvm-vfio device: kvm_device_release() takes
 * kvm->lock and calls kvm_vfio_release(), which tells VFIO to drop the VM.
 */
void vkt_vm_release_kvfio(struct vkt_vm *vm)
{
	struct file *kvfio = vm->kvfio;

	vm->released = true;
	mutex_lock(&vm->told_lock);
	memset(vm->told, 0, sizeof(vm->told));
	mutex_unlock(&vm->told_lock);

	/* and kvm_vfio_release()'s fput() of the vfio files, now */
	vm->kvfio = NULL;
	vkt_fput(vm->ctx,
		 "closing the kvm-vfio device (kvm_vfio_release() under &kvm->lock)",
		 kvfio);
}

/* Close the VM fd. */
void vkt_vm_close(struct vkt_vm *vm)
{
	if (vm->vm_file)
		vkt_fput(vm->ctx, "closing the VM fd", vm->vm_file);
	vm->vm_file = NULL;
}

/*
 * Whether kvm_destroy_vm() ran, seen from the VM's debugfs directory, which
 * it removes: -ENOENT when the VM has none to watch.  The VM itself may be
 * freed: only our reference to the dentry is used.
 */
int vkt_vm_destroyed(struct vkt_vm *vm)
{
	if (!vm->debugfs[0])
		return -ENOENT;
	return !vkt_vm_debugfs_there(vm->debugfs);
}

static void vkt_vm_destroy(struct vkt_vm *vm)
{
	vkt_vm_release_kvfio(vm);
	vkt_vm_close(vm);
}

void vkt_vms_init(struct vkt_vms *vms, struct vkt_ctx *ctx)
{
	vms->ctx = ctx;
}

void vkt_vms_destroy(struct vkt_vms *vms)
{
	int i;

	for (i = vms->nr - 1; i >= 0; i--)
		vkt_vm_destroy(&vms->vm[i]);
}

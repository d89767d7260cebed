/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside the test environment of the vfio <-> kvm suites: the calls into
 * VFIO and KVM with a deadline (vfio_kvm_call.c), and what the
 * environment's files share.  The suites use vfio_kvm_env.h.
 */
#ifndef _VFIO_KVM_CALL_H
#define _VFIO_KVM_CALL_H

#include <linux/fs.h>

struct vkt_env;
struct vkt_dev;
struct vkt_vm;

/* A call into VFIO or KVM: @fn(@call) runs in a kthread in the case's mm. */
struct vkt_call {
	long (*fn)(struct vkt_call *call);
	struct mm_struct *mm;
	struct file *file;
	unsigned int cmd;
	unsigned long arg;
	void *data;
	long ret;
};

/* @c->fn(@c), the case failing if it does not return in time; @what names it. */
long vkt_call(struct vkt_env *env, const char *what, const struct vkt_call *c);
long vkt_ioctl(struct vkt_env *env, const char *what, struct file *file,
	       unsigned int cmd, unsigned long arg);
/* The ioctl itself, in the calling thread. */
long vkt_file_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
/* The last fput of @file (NULL: none) and the fput()s it deferred. */
void vkt_fput(struct vkt_env *env, const char *what, struct file *file);

int vkt_install(struct file *file);
struct file *vkt_take_fd(int fd);
void __user *vkt_uarg(struct vkt_env *env);

/* The case added @file to @vm, or (@vm NULL) removed it from KVM. */
void vkt_track_vm(struct vkt_env *env, struct file *file, struct vkt_vm *vm);

void vkt_dev_destroy(struct vkt_dev *dev);
void vkt_vm_destroy(struct vkt_vm *vm);

#endif /* _VFIO_KVM_CALL_H */

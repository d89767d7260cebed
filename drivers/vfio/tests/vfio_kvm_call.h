/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * How the vfio <-> kvm suites call into VFIO and KVM (vfio_kvm_call.c):
 * every call that can wait for a VFIO or KVM lock has a deadline, and a
 * thread that misses it wedges the suite.  The layer above the thread and
 * report helpers, below the VMs (vfio_kvm_vm.c) and the devices
 * (vfio_kvm_dev.c).
 */
#ifndef _VFIO_KVM_CALL_H
#define _VFIO_KVM_CALL_H

#include <linux/fs.h>
#include <kunit/test.h>

#include "vfio_kvm_thread.h"

#define VKT_MAX_ACTORS	4

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
	void *data;
	long ret;
};

/* How long any wait of the suites may take, in seconds. */
extern unsigned int vkt_timeout_s;

/* @c->fn(@c), the case failing if it does not return in time; @what names it. */
long vkt_call(struct vkt_ctx *ctx, const char *what, const struct vkt_call *c);
long vkt_ioctl(struct vkt_ctx *ctx, const char *what, struct file *file,
	       unsigned int cmd, unsigned long arg);
/* The ioctl itself, in the calling thread. */
long vkt_file_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
/* The last fput of @file (NULL: none) and the fput()s it deferred. */
void vkt_fput(struct vkt_ctx *ctx, const char *what, struct file *file);

/* An fd for @file, for an ioctl that takes one; close_fd() it after. */
int vkt_install(struct file *file);
/* The file of an fd a kernel ioctl installed, the fd closed. */
struct file *vkt_take_fd(int fd);
/* The calling thread's slice of the case's user memory. */
void __user *vkt_uarg(struct vkt_ctx *ctx);

/* A device node of the case's private devtmpfs, "vfio/vfio" say. */
struct file *vkt_open_node(struct vkt_ctx *ctx, const char *path);
void vkt_close_node(struct vkt_ctx *ctx, struct file *file);

/* Threads that issue ioctls for a case enter its mm and user memory. */
int vkt_ctx_enter(struct vkt_ctx *ctx, int actor);
void vkt_ctx_leave(struct vkt_ctx *ctx, int actor);

/*
 * Once a thread missed its deadline, or a case left the kernel holding
 * freed memory, the suite is wedged: later cases skip.
 */
bool vkt_wedged(void);
void vkt_set_wedged(const char *why);
void vkt_skip_if_wedged(struct kunit *test);

#endif /* _VFIO_KVM_CALL_H */

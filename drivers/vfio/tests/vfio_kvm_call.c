// SPDX-License-Identifier: GPL-2.0-only
/*
 * How the vfio <-> kvm suites call into VFIO and KVM.
 *
 * A case on a kernel whose VFIO and KVM deadlock must fail, not hang the
 * run: kthread_stop() on a thread stuck in mutex_lock() never returns, and
 * neither does KUnit when a case times out (it stops the case's thread the
 * same way).  So every call that can wait for a VFIO or KVM lock runs in a
 * kthread the case waits for with a deadline; a thread that misses it is
 * abandoned, never stopped, and the suite is wedged: later cases skip.
 * Ioctl arguments live in user memory of the case's mm, and an fd an ioctl
 * takes is installed for that ioctl only, in the files table all kernel
 * threads share (init_files).
 */
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/refcount.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/security.h>
#include <linux/slab.h>
#include <linux/stacktrace.h>
#include <kunit/resource.h>

#include "vfio_kvm_env.h"

/*
 * Under QEMU's TCG every case takes a few seconds at most, the suites about
 * a minute.
 */
unsigned int vkt_timeout_s = 60;
module_param_named(timeout, vkt_timeout_s, uint, 0444);
MODULE_PARM_DESC(timeout,
		 "Seconds any wait of the suites gets (a call into VFIO or KVM, a race thread, a case's teardown) before the case fails and later cases skip");

/*
 * A thread's handle is freed by the last of the thread, the case's join
 * and the case's end to let go of it.  The thread holds a reference to
 * this module until its work returned; whatever else it uses must outlive
 * it: leak it rather than free it.
 */
struct vkt_thread {
	refcount_t ref;
	struct completion done;
	int (*fn)(void *data);
	void *data;
	int result;
	bool joined;
	struct task_struct *task;
};

static void vkt_thread_put(struct vkt_thread *thread)
{
	if (!refcount_dec_and_test(&thread->ref))
		return;
	if (thread->task)
		put_task_struct(thread->task);
	kfree(thread);
}

static int vkt_thread_main(void *arg)
{
	struct vkt_thread *thread = arg;

	thread->result = thread->fn(thread->data);
	complete(&thread->done);
	vkt_thread_put(thread);
	module_put_and_kthread_exit(0);
}

/* The case ended: a handle it never joined is let go of here. */
static void vkt_thread_case_end(void *arg)
{
	struct vkt_thread *thread = arg;

	if (!thread->joined)
		vkt_thread_put(thread);
	vkt_thread_put(thread);
}

/*
 * Start @fn(@data) in a thread; @test NULL where the case is ending already
 * (its teardown), which must join it.
 */
struct vkt_thread *vkt_thread_run(struct kunit *test, int (*fn)(void *data),
				  void *data, const char *name)
{
	struct vkt_thread *thread;
	struct task_struct *task;
	int ret;

	thread = kzalloc_obj(*thread, GFP_KERNEL);
	if (!thread)
		return ERR_PTR(-ENOMEM);
	refcount_set(&thread->ref, test ? 3 : 2);
	init_completion(&thread->done);
	thread->fn = fn;
	thread->data = data;
	if (test) {
		ret = kunit_add_action(test, vkt_thread_case_end, thread);
		if (ret) {
			kfree(thread);
			return ERR_PTR(ret);
		}
	}

	__module_get(THIS_MODULE);
	task = kthread_create(vkt_thread_main, thread, "%s", name);
	if (IS_ERR(task)) {
		module_put(THIS_MODULE);
		/* the thread's reference and the join's: neither will come */
		thread->joined = true;
		vkt_thread_put(thread);
		vkt_thread_put(thread);
		return ERR_CAST(task);
	}
	thread->task = get_task_struct(task);
	wake_up_process(task);
	return thread;
}

/* Where @task sleeps, innermost call first: "__mutex_lock+0x1a0/0x9e0 < ...". */
static void vkt_thread_where(struct task_struct *task, char *where,
			     size_t size)
{
#ifdef CONFIG_STACKTRACE
	unsigned long entries[16];
	unsigned int i, nr;
	size_t n = 0;

	nr = stack_trace_save_tsk(task, entries, ARRAY_SIZE(entries), 0);
	if (!nr) {
		strscpy(where, "(no stack trace)", size);
		return;
	}
	for (i = 0; i < nr && n < size; i++)
		n += scnprintf(where + n, size - n, "%s%pS", i ? " < " : "",
			       (void *)entries[i]);
#else
	strscpy(where, "(no stack trace: CONFIG_STACKTRACE is off)", size);
#endif
}

/*
 * Wait for @thread until @deadline (jiffies): 0 and its result, or
 * -ETIMEDOUT and where it sleeps.  The handle is not to be used after.
 */
int vkt_thread_join(struct vkt_thread *thread, unsigned long deadline,
		    int *result, char *where, size_t size)
{
	long left = (long)(deadline - jiffies);
	int ret = 0;

	if (!wait_for_completion_timeout(&thread->done, max(left, 1L))) {
		ret = -ETIMEDOUT;
		if (where)
			vkt_thread_where(thread->task, where, size);
	} else if (result) {
		*result = thread->result;
	}
	thread->joined = true;
	vkt_thread_put(thread);
	return ret;
}

static atomic_t vkt_wedge = ATOMIC_INIT(0);
static char vkt_wedge_why[160];

bool vkt_wedged(void)
{
	return atomic_read(&vkt_wedge);
}

/*
 * A thread stuck in VFIO or KVM still runs this module's code and uses
 * what the case allocated, and a device that points at a destroyed VM
 * cannot be closed: leak all of it, and pin the module.
 */
void vkt_set_wedged(const char *why)
{
	if (atomic_cmpxchg(&vkt_wedge, 0, 1))
		return;
	strscpy(vkt_wedge_why, why, sizeof(vkt_wedge_why));
	__module_get(THIS_MODULE);
}

void vkt_skip_if_wedged(struct kunit *test)
{
	if (vkt_wedged())
		kunit_skip(test,
			   "an earlier case left VFIO or KVM in a state it cannot undo (%s): locks may be held forever, or memory freed under a driver",
			   vkt_wedge_why);
}

static int vkt_call_main(void *data)
{
	struct vkt_call *call = data;

	kthread_use_mm(call->mm);
	call->ret = call->fn(call);
	kthread_unuse_mm(call->mm);
	mmput(call->mm);
	return 0;
}

/*
 * @c->fn(@c), the case failing if it does not return in time; @what names
 * it.  The threads a case starts itself (the race, the release side of the
 * interleaving, the teardown) call directly: whoever waits for them has
 * the same deadline.
 */
long vkt_call(struct vkt_ctx *ctx, const char *what, const struct vkt_call *c)
{
	struct vkt_thread *thread;
	struct vkt_call *call;
	long ret;

	if (current != ctx->actors[0])
		return c->fn((struct vkt_call *)c);

	call = kmemdup(c, sizeof(*c), GFP_KERNEL);
	if (!call)
		return -ENOMEM;
	if (!mmget_not_zero(ctx->mm)) {
		kfree(call);
		return -ESRCH;
	}
	call->mm = ctx->mm;
	thread = vkt_thread_run(ctx->test, vkt_call_main, call, "vkt-call");
	if (IS_ERR(thread)) {
		mmput(ctx->mm);
		kfree(call);
		return PTR_ERR(thread);
	}
	if (vkt_thread_join(thread, jiffies + vkt_timeout_s * HZ, NULL,
			    ctx->where, sizeof(ctx->where))) {
		/* the thread still uses @call, the case's files and the module */
		vkt_set_wedged(what);
		KUNIT_FAIL_AND_ABORT(ctx->test,
				     "[call-timeout] %s did not return within %u s; its thread sleeps in %s",
				     what, vkt_timeout_s, ctx->where);
	}
	ret = call->ret;
	kfree(call);
	return ret;
}

/*
 * An ioctl as the ioctl() syscall makes it: the LSM hook, then the file's
 * handler (vfs_ioctl() is not exported).  None of the suites' commands is
 * one of the generic ones do_vfs_ioctl() handles itself.
 */
long vkt_file_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	long ret;

	ret = security_file_ioctl(file, cmd, arg);
	if (ret)
		return ret;
	if (!file->f_op->unlocked_ioctl)
		return -ENOTTY;
	ret = file->f_op->unlocked_ioctl(file, cmd, arg);
	return ret == -ENOIOCTLCMD ? -ENOTTY : ret;
}

static long vkt_call_ioctl(struct vkt_call *call)
{
	return vkt_file_ioctl(call->file, call->cmd, call->arg);
}

long vkt_ioctl(struct vkt_ctx *ctx, const char *what, struct file *file,
	       unsigned int cmd, unsigned long arg)
{
	struct vkt_call call = {
		.fn = vkt_call_ioctl, .file = file, .cmd = cmd, .arg = arg,
	};

	return vkt_call(ctx, what, &call);
}

/*
 * The last fput of @file (NULL: none), now, and the fput()s its release
 * deferred.  The cases run in kthreads, where a final fput() -- the case's
 * own, KVM's of a group file, VFIO's of a VM file on 7.4 -- is deferred to
 * the delayed_fput worker, and a case judges what that fput() does.
 * flush_delayed_fput() is the one way to wait for it; fs/file_table.c
 * asks that no thread umount work may need call it, and these threads
 * hold no mount but their case's private devtmpfs, released after the
 * flush.
 */
static long vkt_call_fput(struct vkt_call *call)
{
	if (call->file)
		__fput_sync(call->file);
	flush_delayed_fput();
	return 0;
}

void vkt_fput(struct vkt_ctx *ctx, const char *what, struct file *file)
{
	struct vkt_call call = { .fn = vkt_call_fput, .file = file };

	vkt_call(ctx, what, &call);
}

/* An fd for @file, for an ioctl that takes one; close_fd() it after. */
int vkt_install(struct file *file)
{
	int fd = get_unused_fd_flags(O_CLOEXEC);

	if (fd >= 0)
		fd_install(fd, get_file(file));
	return fd;
}

/* The file of an fd a kernel ioctl installed, the fd closed. */
struct file *vkt_take_fd(int fd)
{
	struct file *file;

	if (fd < 0)
		return ERR_PTR(fd);
	file = fget(fd);
	close_fd(fd);
	return file ?: ERR_PTR(-EBADF);
}

static long vkt_call_open(struct vkt_call *call)
{
	struct vkt_ctx *ctx = call->data;

	return (long)file_open_root_mnt(ctx->devtmpfs, (const char *)call->arg,
					O_RDWR, 0);
}

/* A node of the case's private devtmpfs: opening a group takes its lock. */
struct file *vkt_open_node(struct vkt_ctx *ctx, const char *path)
{
	struct vkt_call call = {
		.fn = vkt_call_open, .arg = (unsigned long)path, .data = ctx,
	};

	return (struct file *)vkt_call(ctx, "opening a node of the private /dev",
				       &call);
}

/* Each thread that issues ioctls has its own slice of the user page. */
void __user *vkt_uarg(struct vkt_ctx *ctx)
{
	int i;

	for (i = 0; i < VKT_MAX_ACTORS; i++)
		if (ctx->actors[i] == current)
			return (void __user *)(ctx->ubuf +
					       i * (PAGE_SIZE / VKT_MAX_ACTORS));
	return NULL;	/* the ioctl then fails with -EFAULT */
}

/* A thread of the case's own that issues ioctls enters the case's mm. */
int vkt_ctx_enter(struct vkt_ctx *ctx, int actor)
{
	if (actor <= 0 || actor >= VKT_MAX_ACTORS || !mmget_not_zero(ctx->mm))
		return -EINVAL;
	kthread_use_mm(ctx->mm);
	ctx->actors[actor] = current;
	return 0;
}

void vkt_ctx_leave(struct vkt_ctx *ctx, int actor)
{
	ctx->actors[actor] = NULL;
	kthread_unuse_mm(ctx->mm);
	mmput(ctx->mm);
}

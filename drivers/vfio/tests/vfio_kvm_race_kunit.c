// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit cases that race the VFIO device open/close path against KVM
 * attaching and releasing the device, from kthreads.  On the group path
 * KVM adds and releases the group; on the cdev path the device file being
 * bound, which the opener publishes for the other thread.  The mocks poll
 * for kvm->lock, so an ABBA makes opens fail instead of wedging the
 * kernel, and a thread that misses its deadline is left alone.
 */
#include <linux/delay.h>
#include <linux/file.h>
#include <linux/jiffies.h>
#include <linux/moduleparam.h>
#include <linux/spinlock.h>

#include "vfio_kvm_env.h"

static unsigned int race_opens = 200;
module_param(race_opens, uint, 0444);
MODULE_PARM_DESC(race_opens, "device open/close cycles per race case");

static unsigned int race_attaches = 1000;
module_param(race_attaches, uint, 0444);
MODULE_PARM_DESC(race_attaches, "kvm-vfio add/release cycles per race case");

static unsigned int race_kcsan_s = 10;
module_param(race_kcsan_s, uint, 0444);
MODULE_PARM_DESC(race_kcsan_s,
		 "under KCSAN, seconds a race case goes on past its counts, unless the kernel reports first (0: the counts only)");

enum { VKT_OPENER = 1, VKT_ATTACHER = 2 };

struct vkt_race {
	struct vkt_dev *dev;
	struct vkt_vm *vm;
	struct vkt_reports *reports;	/* under KCSAN, a new one ends the race */
	unsigned int reports_before;	/* the reports seen before the race */
	unsigned long kcsan_end;	/* under KCSAN, the race goes on until */
	unsigned int opens, open_errors, opens_with_kvm;
	int first_open_error;
	unsigned int attaches, attached;
	int attach_error;
	bool stop;		/* a failed open ends the race: it has shown it */
	unsigned long end;	/* the race ends by then, whatever it counted */
	bool opener_done;	/* the attacher goes on until then */
	wait_queue_head_t cycled;	/* the attacher let go of its files */
	spinlock_t lock;
	struct file *cur;	/* cdev: the device file being bound */
	char where[VKT_THREAD_WHERE_LEN];	/* where a late attacher sleeps */
};

static void vkt_race_publish(struct vkt_race *r, struct file *file)
{
	struct file *old;

	spin_lock(&r->lock);
	old = r->cur;
	r->cur = file ? get_file(file) : NULL;
	spin_unlock(&r->lock);
	if (old)
		fput(old);
}

static struct file *vkt_race_take(struct vkt_race *r)
{
	struct file *file;

	spin_lock(&r->lock);
	file = r->cur ? get_file(r->cur) : NULL;
	spin_unlock(&r->lock);
	return file;
}

/*
 * The cdev path's open, with the file published before it is bound.  The
 * previous file may still hold the device open, its last reference with
 * the other thread: wait for its close_device rather than bind beside it
 * (a second bind is a case of its own), until the race's deadline.
 */
static struct file *vkt_race_cdev_open(struct vkt_race *r, unsigned int i,
				       unsigned long deadline)
{
	struct vkt_mock *mock = r->dev->mock;
	struct file *file;
	int ret;

	while (READ_ONCE(mock->is_open)) {
		/* the last fput may be queued: run it */
		vkt_fput(r->dev->ctx, "the deferred fput()s of the race", NULL);
		if (time_after(jiffies, deadline))
			return ERR_PTR(-ETIMEDOUT);
		wait_event_timeout(r->cycled, !READ_ONCE(mock->is_open),
				   HZ / 10);
	}
	file = vkt_dev_cdev_open(r->dev);
	if (IS_ERR(file))
		return file;
	vkt_race_publish(r, file);
	/* every other time, give KVM the time to add the file first */
	if (i & 1)
		usleep_range(1000, 2000);
	ret = vkt_dev_cdev_bind(r->dev, file);
	if (ret) {
		vkt_race_publish(r, NULL);
		vkt_dev_close(r->dev, file);
		return ERR_PTR(ret);
	}
	return file;
}

/*
 * race_opens opens, and up to ten times as many until one saw the VM; at
 * most half the timeout, so that a thread late after it is stuck, not
 * slow.  KCSAN watches few accesses, so under it the race goes on until
 * the kernel reports something new or race_kcsan_s passed, as
 * kcsan_test.c's cases wait for their report.
 */
static bool vkt_race_opener_goes_on(struct vkt_race *r, unsigned int i)
{
	if (READ_ONCE(r->stop) || time_after(jiffies, r->end))
		return false;
	if (i < race_opens || (!r->opens_with_kvm && i < 10 * race_opens))
		return true;
	return IS_ENABLED(CONFIG_KCSAN) && time_before(jiffies, r->kcsan_end) &&
	       vkt_reports_seen(r->reports) == r->reports_before;
}

/* race_attaches cycles, and more until the opener is done. */
static bool vkt_race_attacher_goes_on(struct vkt_race *r, unsigned int i)
{
	if (READ_ONCE(r->stop) || time_after(jiffies, r->end))
		return false;
	return i < race_attaches || !READ_ONCE(r->opener_done);
}

static int vkt_race_opener(void *data)
{
	struct vkt_race *r = data;
	struct vkt_ctx *ctx = r->dev->ctx;
	unsigned long deadline = jiffies + vkt_timeout_s * HZ / 2;
	struct file *file;
	unsigned int i;
	int ret;

	ret = vkt_ctx_enter(ctx, VKT_OPENER);
	if (ret) {
		WRITE_ONCE(r->opener_done, true);
		return ret;
	}
	for (i = 0; vkt_race_opener_goes_on(r, i); i++) {
		if (r->dev->path == VKT_PATH_CDEV)
			file = vkt_race_cdev_open(r, i, deadline);
		else
			file = vkt_dev_open(r->dev);
		if (IS_ERR(file)) {
			r->open_errors++;
			r->first_open_error = PTR_ERR(file);
			WRITE_ONCE(r->stop, true);
			break;
		}
		r->opens++;
		if (r->dev->mock->open_kvm)
			r->opens_with_kvm++;
		vkt_race_publish(r, NULL);
		vkt_dev_close(r->dev, file);
	}
	vkt_ctx_leave(ctx, VKT_OPENER);
	WRITE_ONCE(r->opener_done, true);
	return 0;
}

/*
 * Between cycles, each of which takes kvm->lock, let an open that polls
 * for it in: on a slow kernel the cycles would starve it for minutes.
 */
static void vkt_race_let_opener_in(struct vkt_race *r)
{
	unsigned long until = jiffies + msecs_to_jiffies(100);

	while (atomic_read(&r->dev->mock->kvm_lock_waiting) &&
	       time_before(jiffies, until))
		usleep_range(500, 1000);
}

static int vkt_race_attacher(void *data)
{
	struct vkt_race *r = data;
	struct vkt_ctx *ctx = r->vm->ctx;
	struct file *file = NULL;
	unsigned int i;
	int ret;

	ret = vkt_ctx_enter(ctx, VKT_ATTACHER);
	if (ret)
		return ret;
	for (i = 0; vkt_race_attacher_goes_on(r, i); i++) {
		vkt_race_let_opener_in(r);
		ret = vkt_vm_create_kvfio(r->vm);
		if (!ret && r->dev->path == VKT_PATH_CDEV) {
			file = vkt_race_take(r);
			if (file)
				ret = vkt_vm_add_file(r->vm, file);
		} else if (!ret) {
			ret = vkt_dev_attach(r->dev, r->vm);
		}
		if (!ret && (file || r->dev->path == VKT_PATH_GROUP))
			r->attached++;
		vkt_vm_release_kvfio(r->vm);
		if (file) {
			vkt_fput(ctx, "the attacher's last fput() of a device file", file);
			file = NULL;
		}
		wake_up(&r->cycled);
		if (ret) {
			r->attach_error = ret;
			WRITE_ONCE(r->stop, true);
			break;
		}
		/* the mocks' progress count: read while this goes on */
		WRITE_ONCE(r->attaches, r->attaches + 1);
	}
	vkt_ctx_leave(ctx, VKT_ATTACHER);
	return 0;
}

/* The mocks that use KVM, on both paths. */
static const struct vkt_param vkt_kvm_users[] = {
	VKT_MOCK(GROUP, lock_kvm), VKT_MOCK(GROUP, get_then_lock_kvm),
	VKT_MOCK(GROUP, use_kvm_unlocked),
	VKT_MOCK(CDEV, lock_kvm), VKT_MOCK(CDEV, get_then_lock_kvm),
	VKT_MOCK(CDEV, use_kvm_unlocked),
};

KUNIT_ARRAY_PARAM(vkt_kvm_users, vkt_kvm_users, vkt_param_desc);

static void vfio_kvm_race_open_vs_release(struct kunit *test)
{
	const struct vkt_param *param = test->param_value;
	const struct vkt_mock_behaviour *b = param->b;
	struct vkt_thread *opener, *attacher;
	bool opener_late, attacher_late;
	unsigned long start, deadline;
	struct vkt_env *env = test->priv;
	struct vkt_dev *dev;
	struct vkt_vm *vm;
	struct vkt_race *r;

	dev = vkt_dev_create(&env->devs, param->path, b, NULL);
	vm = vkt_vm_create(&env->vms);

	/* Leaked if a thread never ends: it would still use it. */
	r = kzalloc_obj(*r, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);

	/*
	 * The VM fd stays open: it and VFIO back device->kvm.  The kvm-vfio
	 * thread takes kvm->lock for each device it creates and releases:
	 * while it goes on doing so, a mock kept waiting is not deadlocked.
	 */
	dev->mock->holder_progress = &r->attaches;
	vkt_vm_release_kvfio(vm);
	r->dev = dev;
	r->vm = vm;
	r->reports = env->reports;
	r->reports_before = vkt_reports_seen(env->reports);
	spin_lock_init(&r->lock);
	init_waitqueue_head(&r->cycled);

	start = jiffies;
	deadline = start + vkt_timeout_s * HZ;
	r->end = start + vkt_timeout_s * HZ / 2;
	r->kcsan_end = start + race_kcsan_s * HZ;
	opener = vkt_thread_run(test, vkt_race_opener, r, "vkt-opener");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, opener);
	attacher = vkt_thread_run(test, vkt_race_attacher, r, "vkt-attacher");
	if (IS_ERR(attacher)) {
		WRITE_ONCE(r->stop, true);
		/* a late opener still uses the case's device and @r */
		if (vkt_thread_join(opener, deadline, NULL, NULL, 0))
			vkt_set_wedged("a race thread missed its deadline");
		KUNIT_FAIL(test, "vkt_thread_run(): %ld", PTR_ERR(attacher));
		return;
	}
	opener_late = vkt_thread_join(opener, deadline, NULL, env->ctx.where,
				      sizeof(env->ctx.where));
	attacher_late = vkt_thread_join(attacher, deadline, NULL, r->where,
					sizeof(r->where));

	kunit_info(test, "%s path: %u device opens (%u with a VM, %u failed), %u kvm-vfio add/release cycles (%u added the %s), in %u ms",
		   vkt_path_name(param->path), r->opens, r->opens_with_kvm,
		   r->open_errors, r->attaches, r->attached,
		   param->path == VKT_PATH_CDEV ? "device file" : "group",
		   jiffies_to_msecs(jiffies - start));
	if (opener_late || attacher_late) {
		vkt_set_wedged("a race thread missed its deadline");
		if (opener_late)
			KUNIT_FAIL(test,
				   "[call-timeout] the device opener did not finish within %u s (left running; later cases skip); it sleeps in %s",
				   vkt_timeout_s, env->ctx.where);
		if (attacher_late)
			KUNIT_FAIL(test,
				   "[call-timeout] the kvm-vfio thread did not finish within %u s (left running; later cases skip); it sleeps in %s",
				   vkt_timeout_s, r->where);
		return;
	}

	KUNIT_EXPECT_EQ_MSG(test, r->open_errors, 0U,
			    "[race-open] a device open failed with %d and ended the race",
			    r->first_open_error);
	if (!r->open_errors && !r->attach_error)
		KUNIT_EXPECT_GT_MSG(test, r->opens, 0U,
				    "[premise] device opens (the opener could not enter the case's mm)");
	KUNIT_EXPECT_EQ_MSG(test, r->attach_error, 0,
			    "[premise] kvm-vfio create/add failed");
	/* the premise: the two sides met */
	KUNIT_EXPECT_GT_MSG(test, r->attached, 0U,
			    "[premise] no kvm-vfio add of the %s succeeded: KVM never attached, nothing raced",
			    param->path == VKT_PATH_CDEV ? "device file" : "group");
	if (!r->open_errors)
		KUNIT_EXPECT_GT_MSG(test, r->opens_with_kvm, 0U,
				    "[premise] none of %u device opens saw the VM: the opens never overlapped an attach, nothing raced",
				    r->opens);
	/* nothing the race did may keep the VM: its fd is the last holder */
	vkt_vm_close(vm);
	if (vkt_vm_destroyed(vm) < 0)
		kunit_info(test, "the VM has no debugfs directory (CONFIG_DEBUG_FS): whether the race leaked a reference is not seen");
	else
		KUNIT_EXPECT_EQ_MSG(test, vkt_vm_destroyed(vm), 1,
				    "[vm-leaked] kvm_destroy_vm() did not run when the case closed the VM fd after the race: a reference to the VM was leaked");
	VKT_EXPECT_MOCK_OK(test, dev->mock);
	dev->mock->holder_progress = NULL;
	kfree(r);
}

static struct kunit_case vfio_kvm_race_cases[] = {
	KUNIT_CASE_PARAM_ATTR(vfio_kvm_race_open_vs_release,
			      vkt_kvm_users_gen_params,
			      { .speed = KUNIT_SPEED_SLOW }),
	{}
};

static struct kunit_suite vfio_kvm_race_suite = {
	.name = "vfio_kvm_race",
	.suite_init = vkt_suite_init,
	.suite_exit = vkt_suite_exit,
	.init = vkt_case_init,
	.test_cases = vfio_kvm_race_cases,
};

kunit_test_suites(&vfio_kvm_race_suite);

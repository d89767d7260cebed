// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit cases that race the VFIO device open/close path against KVM
 * attaching and releasing the group, from kthreads, for a bounded number of
 * iterations.  Every thread must end before a deadline: one that does not
 * is reported as a deadlock and left alone, and the suite's later cases
 * skip.  The mocks poll for kvm->lock, so an ABBA makes opens fail instead
 * of wedging the kernel.
 */
#include <linux/jiffies.h>
#include <linux/moduleparam.h>
#include <kunit/kunit_thread.h>

#include "vfio_kvm_env.h"

static unsigned int race_opens = 200;
module_param(race_opens, uint, 0644);
MODULE_PARM_DESC(race_opens, "device open/close cycles per race case");

static unsigned int race_attaches = 1000;
module_param(race_attaches, uint, 0644);
MODULE_PARM_DESC(race_attaches, "kvm-vfio add/release cycles per race case");

static unsigned int race_deadline_s = 120;
module_param(race_deadline_s, uint, 0644);
MODULE_PARM_DESC(race_deadline_s,
		 "seconds the race threads get before they count as deadlocked");

enum { VKT_OPENER = 1, VKT_ATTACHER = 2 };

struct vkt_race {
	struct vkt_dev *dev;
	struct vkt_vm *vm;
	unsigned int opens, open_errors, opens_with_kvm;
	int first_open_error;
	unsigned int attaches;
	int attach_error;
	bool stop;		/* a failed open ends the race: it has shown it */
};

static int vkt_race_opener(void *data)
{
	struct vkt_race *r = data;
	struct vkt_env *env = r->dev->env;
	struct file *file;
	unsigned int i;
	int ret;

	ret = vkt_env_enter(env, VKT_OPENER);
	if (ret)
		return ret;
	for (i = 0; i < race_opens; i++) {
		file = vkt_dev_open(r->dev);
		if (IS_ERR(file)) {
			r->open_errors++;
			r->first_open_error = PTR_ERR(file);
			WRITE_ONCE(r->stop, true);
			break;
		}
		r->opens++;
		if (vkt_dev_kvm(r->dev))
			r->opens_with_kvm++;
		vkt_dev_close(r->dev, file);
	}
	vkt_env_leave(env, VKT_OPENER);
	return 0;
}

static int vkt_race_attacher(void *data)
{
	struct vkt_race *r = data;
	struct vkt_env *env = r->vm->env;
	unsigned int i;
	int ret;

	ret = vkt_env_enter(env, VKT_ATTACHER);
	if (ret)
		return ret;
	for (i = 0; i < race_attaches && !READ_ONCE(r->stop); i++) {
		ret = vkt_vm_create_kvfio(r->vm);
		if (!ret)
			ret = vkt_vm_add_group(r->vm, r->dev);
		vkt_vm_release_kvfio(r->vm);
		if (ret) {
			r->attach_error = ret;
			break;
		}
		r->attaches++;
	}
	vkt_env_leave(env, VKT_ATTACHER);
	return 0;
}

static const struct vkt_mock_behaviour *vkt_kvm_users[] = {
	&vkt_mock_behaviours[0],	/* lock_kvm */
	&vkt_mock_behaviours[1],	/* get_then_lock_kvm */
	&vkt_mock_behaviours[2],	/* use_kvm_unlocked */
};

static void vkt_user_desc(const struct vkt_mock_behaviour **b, char *desc)
{
	vkt_mock_desc(*b, desc);
}

KUNIT_ARRAY_PARAM(vkt_kvm_users, vkt_kvm_users, vkt_user_desc);

static void vfio_kvm_race_open_vs_release(struct kunit *test)
{
	const struct vkt_mock_behaviour *b = *(const struct vkt_mock_behaviour **)test->param_value;
	unsigned long deadline;
	struct kunit_thread *opener, *attacher;
	struct vkt_env *env = vkt_env_create(test);
	struct vkt_dev *dev = vkt_dev_create(env, b, NULL);
	struct vkt_vm *vm = vkt_vm_create(env);
	bool opener_late, attacher_late;
	unsigned int base;
	struct vkt_race *r;

	/* the VM fd stays open: it and VFIO back device->kvm */
	dev->mock->lock_mode = VKT_LOCK_POLL;
	dev->mock->min_users = 2;
	vkt_vm_release_kvfio(vm);
	base = vkt_vm_users(vm);

	/* Leaked if a thread never ends: it would still use it. */
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	r->dev = dev;
	r->vm = vm;

	deadline = jiffies + race_deadline_s * HZ;
	opener = kunit_thread_run(vkt_race_opener, r, "vkt-opener");
	KUNIT_ASSERT_FALSE(test, IS_ERR(opener));
	attacher = kunit_thread_run(vkt_race_attacher, r, "vkt-attacher");
	if (IS_ERR(attacher)) {
		kunit_thread_join(opener, deadline, NULL);
		KUNIT_FAIL(test, "kthread_run(): %ld", PTR_ERR(attacher));
		return;
	}
	opener_late = kunit_thread_join(opener, deadline, NULL);
	attacher_late = kunit_thread_join(attacher, deadline, NULL);

	kunit_info(test, "%s: %u of %u device opens (%u with a VM, %u failed), %u of %u kvm-vfio add/release cycles",
		   vkt_vm_kind(vm), r->opens, race_opens, r->opens_with_kvm,
		   r->open_errors, r->attaches, race_attaches);
	if (opener_late || attacher_late) {
		vkt_set_wedged("a race thread missed its deadline");
		KUNIT_FAIL(test, "deadlock: %s did not finish within %u s (left running; later cases skip)",
			   opener_late && attacher_late ? "the device opener and the kvm-vfio thread" :
			   opener_late ? "the device opener" : "the kvm-vfio thread",
			   race_deadline_s);
		return;
	}

	KUNIT_EXPECT_EQ_MSG(test, r->open_errors, 0U,
			    "a device open failed with %d and ended the race",
			    r->first_open_error);
	if (!r->open_errors)
		KUNIT_EXPECT_EQ_MSG(test, r->opens, race_opens,
				    "device opens (the opener could not enter the case's mm)");
	KUNIT_EXPECT_EQ_MSG(test, r->attach_error, 0,
			    "kvm-vfio create/add failed");
	KUNIT_EXPECT_EQ_MSG(test, vkt_vm_users(vm), base,
			    "kvm->users_count after the race (the VM fd only)");
	KUNIT_EXPECT_NULL_MSG(test, vkt_dev_kvm(dev),
			      "device->kvm after the race, with the device closed");
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&dev->mock->violations), 0,
			    "%s mock: driver contract broken: %s", b->name,
			    dev->mock->violation);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&dev->mock->deadlocks), 0,
			    "deadlock: %s", dev->mock->deadlock);
	kfree(r);
}

static struct kunit_case vfio_kvm_race_cases[] = {
	KUNIT_CASE_PARAM(vfio_kvm_race_open_vs_release,
			 vkt_kvm_users_gen_params),
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

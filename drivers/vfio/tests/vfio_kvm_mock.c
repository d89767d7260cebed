// SPDX-License-Identifier: GPL-2.0-only
/*
 * Mock vfio drivers for the vfio <-> kvm KUnit suites.
 *
 * The s390 drivers that hit the group_lock <-> kvm->lock deadlock take
 * kvm->lock from open_device under a lock of their own, after a KVM
 * reference of their own: vfio_ap (guests_lock, kvm_get_kvm(), kvm->lock)
 * and s390's zdev code for vfio-pci (kzdev_lock, kvm_get_kvm(), kvm->lock,
 * reached through zpci_kvm_hook).  No x86 driver does, so the suites
 * bring mocks that do (get_then_lock_kvm), one that takes kvm->lock on
 * VFIO's reference alone (lock_kvm), one that keeps the pointer and takes
 * neither (use_kvm_unlocked), and one whose open_device fails.
 */
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kvm_host.h>
#include <linux/moduleparam.h>

#include "vfio_kvm_mock.h"

/*
 * Longer than any holder of kvm->lock takes in these cases on a working
 * kernel, under TCG too; a slower holder fails the open, saying so.
 */
static unsigned int kvm_lock_poll_ms = 5000;
module_param(kvm_lock_poll_ms, uint, 0444);
MODULE_PARM_DESC(kvm_lock_poll_ms,
		 "ms a mock polls for kvm->lock, while its holder makes no progress, before it gives up");

const struct vkt_mock_behaviour vkt_mock_lock_kvm = {
	.name = "lock_kvm",
	.flags = VKT_MOCK_OWN_LOCK | VKT_MOCK_LOCK_KVM,
};

const struct vkt_mock_behaviour vkt_mock_get_then_lock_kvm = {
	.name = "get_then_lock_kvm",
	.flags = VKT_MOCK_OWN_LOCK | VKT_MOCK_HOLD_KVM | VKT_MOCK_LOCK_KVM,
};

const struct vkt_mock_behaviour vkt_mock_use_kvm_unlocked = {
	.name = "use_kvm_unlocked",
};

const struct vkt_mock_behaviour vkt_mock_fail_open = {
	.name = "fail_open",
	.open_error = -EIO,
};

void vkt_mock_init(struct vkt_mock *mock, const struct vkt_mock_behaviour *b)
{
	mock->b = b;
	/* lockdep names the class after this: "&mock->driver_lock" */
	mutex_init(&mock->driver_lock);
	mock->lock_mode = VKT_LOCK_POLL;
	mock->poll_ms = kvm_lock_poll_ms;
	atomic_set(&mock->violations, 0);
	atomic_set(&mock->lock_timeouts, 0);
	atomic_set(&mock->kvm_lock_waiting, 0);
}

static __printf(2, 3) void vkt_mock_violation(struct vkt_mock *m,
					      const char *fmt, ...)
{
	va_list args;

	if (atomic_inc_return(&m->violations) != 1)
		return;
	va_start(args, fmt);
	vsnprintf(m->violation, sizeof(m->violation), fmt, args);
	va_end(args);
}

/*
 * Take kvm->lock the way the case asked.  A poller gives up when the lock
 * stayed held for poll_ms while the holder's progress count, if the case
 * keeps one, did not move: the race's kvm-vfio thread takes kvm->lock again
 * and again without any deadlock.  Then open_device fails: on a kernel
 * with the ABBA the holder waits for a lock VFIO holds around this
 * callback, and blocking would hang both sides.
 */
static bool vkt_mock_take_kvm_lock(struct vkt_mock *m, struct kvm *kvm,
				   const char *where)
{
	unsigned long start = jiffies, deadline;
	unsigned int progress, now;
	bool locked;

	if (m->lock_mode == VKT_LOCK_BLOCK) {
		mutex_lock(&kvm->lock);
		return true;
	}

	deadline = jiffies + msecs_to_jiffies(m->poll_ms);
	progress = m->holder_progress ? READ_ONCE(*m->holder_progress) : 0;
	atomic_inc(&m->kvm_lock_waiting);
	for (;;) {
		locked = mutex_trylock(&kvm->lock);
		if (locked)
			break;
		now = m->holder_progress ? READ_ONCE(*m->holder_progress) : 0;
		if (now != progress) {
			progress = now;
			deadline = jiffies + msecs_to_jiffies(m->poll_ms);
		} else if (time_after(jiffies, deadline)) {
			if (atomic_inc_return(&m->lock_timeouts) == 1)
				snprintf(m->lock_timeout, sizeof(m->lock_timeout),
					 "[kvm-lock-wait] &kvm->lock not acquired within %u ms while VFIO holds its device locks around %s: another task held it all that time%s",
					 jiffies_to_msecs(jiffies - start), where,
					 m->holder_progress ? ", making no progress" : "");
			break;
		}
		usleep_range(200, 500);
	}
	atomic_dec(&m->kvm_lock_waiting);
	return locked;
}

/*
 * What the driver was handed at open_device, against what the case
 * attached.  Only a VM the case attached is used: one VFIO should not
 * have handed over may be freed already.
 */
static void vkt_mock_record_open(struct vkt_mock *m, struct kvm *kvm)
{
	m->open_kvm = kvm;
	m->use_kvm = kvm && m->expect_vm != VKT_VM_NONE;
	m->opens++;
	if (kvm)
		m->opens_with_kvm++;
	if (m->expect_vm == VKT_VM_ATTACHED && !kvm)
		vkt_mock_violation(m,
				   "[vm-handed] open_device: device->kvm is NULL although a VM was attached to the group at open");
	if (m->expect_vm == VKT_VM_NONE && kvm)
		vkt_mock_violation(m,
				   "[no-stray-vm] open_device: device->kvm is a VM although none was attached to the group at open");
}

static int vkt_mock_open_device(struct vfio_device *vdev)
{
	struct vkt_mock *m = to_vkt_mock(vdev);
	unsigned int flags = m->b->flags;
	struct kvm *kvm;
	int ret = 0;

	vkt_mock_record_open(m, vkt_mock_kvm(vdev));
	kvm = m->use_kvm ? m->open_kvm : NULL;
	if (m->b->open_error)
		return m->b->open_error;

	if (flags & VKT_MOCK_OWN_LOCK)
		mutex_lock(&m->driver_lock);

	if (m->gate) {
		struct vkt_gate *gate = m->gate;

		complete(&gate->in_open);
		gate->let_go = wait_for_completion_timeout(&gate->go,
							   msecs_to_jiffies(gate->wait_ms));
	}

	if (kvm && (flags & VKT_MOCK_HOLD_KVM))
		m->held_kvm = vkt_mock_hold_kvm(vdev);

	/* what vfio_ap does here: look at the guest, under kvm->lock */
	if (kvm && (flags & VKT_MOCK_LOCK_KVM)) {
		if (vkt_mock_take_kvm_lock(m, kvm, "open_device"))
			mutex_unlock(&kvm->lock);
		else
			ret = -EDEADLK;
	}

	if (ret && m->held_kvm) {
		vkt_mock_drop_kvm(m->held_kvm);
		m->held_kvm = NULL;
	}
	if (flags & VKT_MOCK_OWN_LOCK)
		mutex_unlock(&m->driver_lock);
	if (!ret)
		WRITE_ONCE(m->is_open, true);
	return ret;
}

static void vkt_mock_close_device(struct vfio_device *vdev)
{
	struct vkt_mock *m = to_vkt_mock(vdev);
	struct kvm *kvm = vkt_mock_kvm(vdev);
	unsigned int flags = m->b->flags;

	m->closes++;
	if (kvm != m->open_kvm)
		vkt_mock_violation(m,
				   "[kvm-stable] close_device: device->kvm changed from %s at open_device to %s",
				   m->open_kvm ? "a VM" : "NULL",
				   kvm ? (m->open_kvm ? "another VM" : "a VM") : "NULL");
	kvm = m->use_kvm && kvm == m->open_kvm ? kvm : NULL;

	if (flags & VKT_MOCK_OWN_LOCK)
		mutex_lock(&m->driver_lock);

	if (kvm && (flags & VKT_MOCK_LOCK_KVM) &&
	    vkt_mock_take_kvm_lock(m, kvm, "close_device"))
		mutex_unlock(&kvm->lock);

	if (m->held_kvm) {
		vkt_mock_drop_kvm(m->held_kvm);
		m->held_kvm = NULL;
	}

	if (flags & VKT_MOCK_OWN_LOCK)
		mutex_unlock(&m->driver_lock);
	m->open_kvm = NULL;
	m->use_kvm = false;
	WRITE_ONCE(m->is_open, false);
}

/*
 * The case saw the VM destroyed while the driver still had it: the driver
 * must not touch it again, and its close says nothing more about it.
 */
void vkt_mock_forget_vm(struct vkt_mock *m)
{
	m->use_kvm = false;
}

static void vkt_mock_release(struct vfio_device *vdev)
{
	mutex_destroy(&to_vkt_mock(vdev)->driver_lock);
}

const struct vfio_device_ops vkt_mock_ops = {
	.name		= "vfio-kvm-mock",
	.release	= vkt_mock_release,
	.open_device	= vkt_mock_open_device,
	.close_device	= vkt_mock_close_device,
	.bind_iommufd	= vfio_iommufd_emulated_bind,
	.unbind_iommufd	= vfio_iommufd_emulated_unbind,
	.attach_ioas	= vfio_iommufd_emulated_attach_ioas,
	.detach_ioas	= vfio_iommufd_emulated_detach_ioas,
};

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Mock vfio drivers for the vfio <-> kvm KUnit suites.
 *
 * Each mock uses the VM VFIO hands it in open_device/close_device as a real
 * driver does, records what it was handed, and checks the contract VFIO
 * owes it: from open_device to close_device, device->kvm is one pointer, a
 * VM when the case attached one and none when it attached none.  The cases
 * read what VFIO hands drivers only from these records.
 */
#ifndef _VFIO_KVM_MOCK_H
#define _VFIO_KVM_MOCK_H

#include <linux/completion.h>
#include <linux/kvm_host.h>
#include <linux/mutex.h>
#include <linux/vfio.h>

#define VKT_MOCK_OWN_LOCK	BIT(0)	/* its own lock around the KVM work */
#define VKT_MOCK_HOLD_KVM	BIT(1)	/* its own reference, open to close */
#define VKT_MOCK_LOCK_KVM	BIT(2)	/* takes kvm->lock at open and close */

struct vkt_mock_behaviour {
	const char *name;
	unsigned int flags;
	int open_error;		/* open_device fails with this */
};

extern const struct vkt_mock_behaviour vkt_mock_lock_kvm;
extern const struct vkt_mock_behaviour vkt_mock_get_then_lock_kvm;
extern const struct vkt_mock_behaviour vkt_mock_use_kvm_unlocked;
extern const struct vkt_mock_behaviour vkt_mock_fail_open;

/* How a mock takes kvm->lock. */
enum vkt_lock_mode {
	/* bounded mutex_trylock() polling: invisible to lockdep, never hangs */
	VKT_LOCK_POLL,
	/* mutex_lock(): lockdep records the dependency; an ABBA can hang */
	VKT_LOCK_BLOCK,
};

/* What the case attached to the device's group or file before an open. */
enum vkt_expect_vm {
	VKT_VM_UNKNOWN,		/* not checked */
	VKT_VM_ATTACHED,	/* open_device must be handed a VM */
	VKT_VM_NONE,		/* open_device must be handed none */
};

/* Holds a mock in open_device, before kvm->lock, for at most @wait_ms. */
struct vkt_gate {
	struct completion in_open;
	struct completion go;
	unsigned int wait_ms;
	bool let_go;		/* @go came before the mock gave up waiting */
};

struct vkt_mock {
	struct vfio_device vdev;
	const struct vkt_mock_behaviour *b;
	struct mutex driver_lock;	/* the driver's own lock */

	/* set by the case before opening */
	enum vkt_lock_mode lock_mode;
	unsigned int poll_ms;
	/* a count the holder of kvm->lock advances: while it moves, poll on */
	const unsigned int *holder_progress;
	/* the mock polls for kvm->lock: a side that takes it in a loop lets go */
	atomic_t kvm_lock_waiting;
	struct vkt_gate *gate;
	enum vkt_expect_vm expect_vm;	/* at the next open_device */

	/* what the mock saw */
	struct kvm *open_kvm;		/* device->kvm at the last open_device */
	bool use_kvm;			/* open_kvm is one to use until close */
	void *held_kvm;			/* the reference the mock itself holds */
	unsigned int opens;
	unsigned int opens_with_kvm;	/* device->kvm was set at open_device */
	unsigned int closes;
	bool is_open;			/* from open_device's success to close_device */
	atomic_t violations;
	atomic_t lock_timeouts;
	char violation[192];		/* the first contract violation */
	char lock_timeout[224];		/* the first kvm->lock it gave up on */
};

static inline struct vkt_mock *to_vkt_mock(struct vfio_device *vdev)
{
	return container_of(vdev, struct vkt_mock, vdev);
}

/*
 * The VM VFIO hands the driver, from open_device to close_device: the one
 * place the suites read device->kvm.
 */
static inline struct kvm *vkt_mock_kvm(struct vfio_device *vdev)
{
	return READ_ONCE(vdev->kvm);
}

/*
 * A reference of the driver's own to that VM, as vfio_ap takes one: the
 * one place the suites hold a VM.
 */
static inline void *vkt_mock_hold_kvm(struct vfio_device *vdev)
{
	struct kvm *kvm = vkt_mock_kvm(vdev);

	kvm_get_kvm(kvm);
	return kvm;
}

static inline void vkt_mock_drop_kvm(void *held)
{
	kvm_put_kvm(held);
}

extern const struct vfio_device_ops vkt_mock_ops;

void vkt_mock_init(struct vkt_mock *m, const struct vkt_mock_behaviour *b);
void vkt_mock_forget_vm(struct vkt_mock *m);

/*
 * VFIO kept its contract with the mock, and the mock took kvm->lock each
 * time it polled for it; the first breach of each is named.
 */
#define VKT_EXPECT_MOCK_OK(test, m)					\
	do {								\
		struct kunit *__test = (test);				\
		struct vkt_mock *__m = (m);				\
									\
		KUNIT_EXPECT_EQ_MSG(__test, atomic_read(&__m->violations), 0,	\
				    "%s (the %s mock's first broken contract)", \
				    __m->violation, __m->b->name);	\
		KUNIT_EXPECT_EQ_MSG(__test, atomic_read(&__m->lock_timeouts), 0, \
				    "%s (the %s mock)", __m->lock_timeout,	\
				    __m->b->name);				\
	} while (0)

#endif /* _VFIO_KVM_MOCK_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The per-kernel adapter of the vfio <-> kvm KUnit suites.
 *
 * Everything that differs between the kernel generations the suites run on
 * lives here and nowhere else.  Two generations are known:
 *
 *  - 6.1: no kunit_vm_mmap(), no iommufd emulated ops, no device cdev
 *    path, a vfio_device whose ops->release must free the device itself,
 *    no KUNIT_FAIL_AND_ABORT(), no deferred actions (kunit_add_action()),
 *    module suites run before the module's sysfs kobject exists, and KTAP
 *    that does not mark skipped parameters;
 *  - 6.12 and later: the current APIs.
 *
 * A new kernel that changes one of these APIs gets a new block here, not an
 * edit across the suites.
 */
#ifndef _VFIO_KVM_COMPAT_H
#define _VFIO_KVM_COMPAT_H

#include <linux/fs.h>
#include <linux/kvm_host.h>
#include <linux/mman.h>
#include <linux/platform_device.h>
#include <linux/uaccess.h>
#include <linux/version.h>
#include <linux/vfio.h>
#include <kunit/test.h>

/*
 * The references that keep a VM alive, as the kernel counts them: the count
 * the reference cases judge, read here and nowhere else.  Up to 7.3 VFIO
 * holds a VM by kvm_get_kvm_safe() and kvm->users_count counts it.  The
 * rework queued for 7.4 ("KVM/vfio: Use file-based reference counting")
 * makes VFIO hold a reference to the VM's file instead: there, this reads
 * that file's count, and the cases stay as they are.
 */
static inline unsigned int vkt_compat_kvm_refs(struct kvm *kvm)
{
	return refcount_read(&kvm->users_count);
}

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)

/* ---- 6.12 and later ---------------------------------------------------- */

#define vkt_skip(test, fmt, ...) kunit_skip(test, fmt, ##__VA_ARGS__)

#define vkt_compat_platform_driver_register(drv) platform_driver_register(drv)

/* The vfio core frees the device after ops->release. */
static inline void vkt_compat_release_device(struct vfio_device *vdev)
{
}

#if IS_ENABLED(CONFIG_IOMMUFD)
#define VKT_COMPAT_EMULATED_IOMMU_OPS					\
	.bind_iommufd	= vfio_iommufd_emulated_bind,			\
	.unbind_iommufd	= vfio_iommufd_emulated_unbind,			\
	.attach_ioas	= vfio_iommufd_emulated_attach_ioas,		\
	.detach_ioas	= vfio_iommufd_emulated_detach_ioas,
#else
#define VKT_COMPAT_EMULATED_IOMMU_OPS
#endif

/*
 * A user mapping in the case's mm, which KUnit creates and tears down.  The
 * VM created by the case belongs to this mm.
 */
static inline unsigned long vkt_compat_user_map(struct kunit *test,
						 size_t size)
{
	return kunit_vm_mmap(test, NULL, 0, size, PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
}

/* The cdev path's open: VFIO_DEVICE_BIND_IOMMUFD, arguments at @uarg. */
static inline long vkt_compat_bind_iommufd(struct file *file,
					   void __user *uarg, int iommufd)
{
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind),
		.iommufd = iommufd,
	};

	if (copy_to_user(uarg, &bind, sizeof(bind)))
		return -EFAULT;
	return file->f_op->unlocked_ioctl(file, VFIO_DEVICE_BIND_IOMMUFD,
					  (unsigned long)uarg);
}

#else

/* ---- 6.1 ---------------------------------------------------------------- */

/*
 * 6.1's KTAP reports a skipped parameter as "ok" without its reason: say it
 * in a line of its own as well.
 */
#define vkt_skip(test, fmt, ...) do {					\
	kunit_info(test, "SKIP " fmt, ##__VA_ARGS__);			\
	kunit_skip(test, fmt, ##__VA_ARGS__);				\
} while (0)

/*
 * 6.1 runs a module's suites at MODULE_STATE_COMING, before the module has
 * its sysfs kobject: a driver it owns cannot be linked there yet (the
 * driver core WARNs on the uninitialized kobject).  Own nothing.
 */
#define vkt_compat_platform_driver_register(drv)			\
	__platform_driver_register(drv, NULL)

/* No KUNIT_FAIL_AND_ABORT() in 6.1. */
#define KUNIT_FAIL_AND_ABORT(test, fmt, ...)				\
	KUNIT_ASSERT_FAILURE(test, fmt, ##__VA_ARGS__)

/* No deferred actions before 6.5: a resource that runs one. */
typedef void (kunit_action_t)(void *);
int vkt_compat_add_action(struct kunit *test, kunit_action_t *action,
			  void *ctx, bool or_reset);
#define kunit_add_action(test, action, ctx)				\
	vkt_compat_add_action(test, action, ctx, false)
#define kunit_add_action_or_reset(test, action, ctx)			\
	vkt_compat_add_action(test, action, ctx, true)

/* Before 6.2 every driver's ops->release had to free the device. */
static inline void vkt_compat_release_device(struct vfio_device *vdev)
{
	vfio_free_device(vdev);
}

#define VKT_COMPAT_EMULATED_IOMMU_OPS

unsigned long vkt_compat_user_map(struct kunit *test, size_t size);

/* No device cdev path before 6.6: the cdev cases skip before they bind. */
static inline long vkt_compat_bind_iommufd(struct file *file,
					   void __user *uarg, int iommufd)
{
	return -EOPNOTSUPP;
}

#endif

#endif /* _VFIO_KVM_COMPAT_H */

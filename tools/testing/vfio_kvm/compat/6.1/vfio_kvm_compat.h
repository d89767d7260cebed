/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The suites on Linux 6.1, which has older APIs than the kernel they are
 * written for.  Not part of the suites: the runner installs this file only
 * into a 6.1 tree, builds it into the suites' module and includes this
 * header before each of their files (-include), and applies suite.patch
 * beside it for what a header cannot change.
 *
 * 6.1 has no kunit_vm_mmap(), no device cdev path, no
 * KUNIT_FAIL_AND_ABORT(), no deferred actions (kunit_add_action()), no
 * kunit_kstrdup(), no case attributes, and names the kvm-vfio attributes
 * after groups; it runs
 * a module's suites before the module's sysfs kobject exists, and its KTAP
 * does not say why a parameter was skipped.
 */
#ifndef _VFIO_KVM_COMPAT_H
#define _VFIO_KVM_COMPAT_H

#include <linux/platform_device.h>
#include <linux/vfio.h>
#include <kunit/test.h>

/*
 * 6.1's KTAP reports a skipped parameter as "ok" without its reason: say it
 * in a line of its own as well.
 */
#undef kunit_skip
#define kunit_skip(test, fmt, ...) do {					\
	kunit_info(test, "SKIP " fmt, ##__VA_ARGS__);			\
	kunit_mark_skipped(test, fmt, ##__VA_ARGS__);			\
	kunit_try_catch_throw(&((test)->try_catch));			\
} while (0)

/*
 * 6.1 runs a module's suites at MODULE_STATE_COMING, before the module has
 * its sysfs kobject: a driver it owns cannot be linked there yet (the
 * driver core WARNs on the uninitialized kobject).  Own nothing.
 */
#undef platform_driver_register
#define platform_driver_register(drv)	__platform_driver_register(drv, NULL)

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

/* No kunit_vm_mmap() before 6.10: the case's kthread gets an mm of its own. */
unsigned long vkt_compat_user_map(struct kunit *test, size_t size);
#define kunit_vm_mmap(test, file, addr, len, prot, flag, offset)	\
	vkt_compat_user_map(test, len)

/*
 * No device cdev path before 6.6: the cdev cases skip before they bind, but
 * the bind is compiled.
 */
struct vfio_device_bind_iommufd {
	__u32 argsz;
	__u32 flags;
	__s32 iommufd;
	__u32 out_devid;
};
#define VFIO_DEVICE_BIND_IOMMUFD	_IO(VFIO_TYPE, VFIO_BASE + 18)

/* No kunit_kstrdup() before 6.6. */
static inline char *kunit_kstrdup(struct kunit *test, const char *str,
				  gfp_t gfp)
{
	size_t len = strlen(str) + 1;
	char *copy = kunit_kmalloc(test, len, gfp);

	if (copy)
		memcpy(copy, str, len);
	return copy;
}

/* No case attributes before 6.6: a slow case is an ordinary one. */
#define KUNIT_CASE_PARAM_ATTR(test_name, gen_params, attributes)	\
	KUNIT_CASE_PARAM(test_name, gen_params)
#define KUNIT_CASE_ATTR(test_name, attributes)	KUNIT_CASE(test_name)

/* The kvm-vfio attributes, named after files since 6.6: the same values. */
#define KVM_DEV_VFIO_FILE		KVM_DEV_VFIO_GROUP
#define KVM_DEV_VFIO_FILE_ADD		KVM_DEV_VFIO_GROUP_ADD
#define KVM_DEV_VFIO_FILE_DEL		KVM_DEV_VFIO_GROUP_DEL

#endif /* _VFIO_KVM_COMPAT_H */

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test environment of the vfio <-> kvm suites (vfio_kvm_env.c): mock vfio
 * devices opened through the real group ioctls, VMs attached through the
 * real kvm-vfio device, all torn down when a case ends.  The top layer,
 * over the devices (vfio_kvm_dev.h), the VMs (vfio_kvm_vm.h) and the
 * calls with a deadline (vfio_kvm_call.h), which the cases use directly.
 */
#ifndef _VFIO_KVM_ENV_H
#define _VFIO_KVM_ENV_H

#include <kunit/test.h>

#include "vfio_kvm_call.h"
#include "vfio_kvm_dev.h"
#include "vfio_kvm_report.h"
#include "vfio_kvm_vm.h"

/* A case's fixture, its test->priv. */
struct vkt_env {
	struct vkt_ctx ctx;
	struct vkt_vms vms;
	struct vkt_devs devs;
	/* the kernel reports printed while the case runs */
	struct vkt_reports *reports;
};

/*
 * A suite's .init: the case's environment in test->priv, torn down when
 * the case ends; the case fails on a kernel report printed meanwhile, and
 * skips if the suite is wedged.
 */
int vkt_case_init(struct kunit *test);

#endif /* _VFIO_KVM_ENV_H */

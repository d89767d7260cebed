/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The suites on a kernel with 7.4's file-based KVM reference (on 7.3.4:
 * patches/rework-7.4), where VFIO holds the VM's file and device->kvm is
 * a struct file.  Not part of the suites: the runner installs this
 * adapter only into such a tree, and applies suite.patch beside it for the
 * one place the suites read device->kvm (vkt_mock_kvm()) and the one place
 * a mock holds the VM (vkt_mock_hold_kvm(), vkt_mock_drop_kvm()).  The
 * overlay's suites count the VM file's references where they count
 * users_count.  Nothing else of the suites changes.
 */
#ifndef _VFIO_KVM_COMPAT_H
#define _VFIO_KVM_COMPAT_H

#define VKT_VFIO_HOLDS_VM_FILE	1

#endif /* _VFIO_KVM_COMPAT_H */

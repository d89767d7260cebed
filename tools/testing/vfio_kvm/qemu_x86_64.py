# SPDX-License-Identifier: GPL-2.0
#
# kunit.py QEMU configuration for the vfio <-> kvm suites: an x86_64 guest
# with two vCPUs (the race cases need a second CPU) and `-cpu max`, whose
# software-emulated AMD SVM lets kvm_amd load, so that the guest has a
# working /dev/kvm and the cases use real VMs.  A kernel panic ends QEMU
# at once: panic=-1 reboots, which kunit.py's -no-reboot turns into an
# exit, rather than leave a dead guest to kunit.py's timeout.  (QEMU's
# pvpanic device cannot help here: it is found through the ACPI namespace,
# which these kernels, built without PCI, cannot load.)  QEMU starts
# vmlinux itself at its PVH entry point (CONFIG_PVH): the build makes no
# compressed bzImage, and the guest spends no time unpacking one.

from ..qemu_config import QemuArchParams

QEMU_ARCH = QemuArchParams(linux_arch='x86_64',
			   kconfig='''
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y
CONFIG_SMP=y
CONFIG_NR_CPUS=4
CONFIG_PREEMPT=y
CONFIG_CPU_SUP_AMD=y
CONFIG_VIRTUALIZATION=y
CONFIG_KVM=y
CONFIG_KVM_AMD=y
CONFIG_HYPERVISOR_GUEST=y
CONFIG_PVH=y''',
			   qemu_arch='x86_64',
			   kernel_path='vmlinux',
			   kernel_command_line='console=ttyS0 panic=-1',
			   extra_qemu_params=['-bios', 'qboot.rom',
					      '-cpu', 'max', '-smp', '2'])

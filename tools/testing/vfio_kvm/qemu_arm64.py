# SPDX-License-Identifier: GPL-2.0
#
# kunit.py QEMU configuration for the vfio <-> kvm suites on arm64: a
# virt machine with its virtualization extensions (EL2) and `-cpu max`, so
# that the kernel boots at EL2 and KVM initialises in VHE mode under TCG,
# with two vCPUs (the race cases need a second CPU).  KVM is built in on
# arm64 (there is no vendor module).  A kernel panic ends QEMU at once, as
# on x86_64: panic=-1 and kunit.py's -no-reboot.

from ..qemu_config import QemuArchParams

QEMU_ARCH = QemuArchParams(linux_arch='arm64',
			   kconfig='''
CONFIG_SERIAL_AMBA_PL011=y
CONFIG_SERIAL_AMBA_PL011_CONSOLE=y
CONFIG_SMP=y
CONFIG_NR_CPUS=4
CONFIG_PREEMPT=y
CONFIG_VIRTUALIZATION=y
CONFIG_KVM=y''',
			   qemu_arch='aarch64',
			   kernel_path='arch/arm64/boot/Image',
			   kernel_command_line='console=ttyAMA0 panic=-1',
			   extra_qemu_params=['-machine', 'virt,virtualization=on',
					      '-cpu', 'max', '-smp', '2'])

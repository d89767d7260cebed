#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Is a kernel configuration made from Fedora's debug configuration still
# Fedora's where it matters, and does Fedora's own KUNIT_ALL_TESTS build
# the suites?  Usage:
#
#   vkt_fedora_config.py FEDORA CONTROL MERGED FINAL FRAGMENT...
#
# FEDORA is Fedora's file (configs/kernel-x86_64-debug-fedora.config),
# CONTROL that file alone through make olddefconfig of the tree (what the
# tree's Kconfig and this machine's toolchain make of Fedora's choices),
# MERGED that file with the FRAGMENTs merged (make olddefconfig), FINAL
# that reduced to the modules the guest loads (make localmodconfig) with
# the fragments merged again.  The checks, each an error when it fails:
#
# - every option of each FRAGMENT holds in FINAL;
# - the suites' symbol is named by neither FEDORA nor a FRAGMENT, and is
#   m in MERGED and FINAL, with Fedora's KUNIT_ALL_TESTS=m: Fedora's
#   configuration builds the suites by itself;
# - each option FEDORA names for what the suites touch (KEPT) has, in
#   MERGED, the value it has in CONTROL unless a FRAGMENT sets it: nothing
#   the build changes alters Fedora's choices there unsaid;
# - Fedora's values that the line stands on (PREMISES) hold in FINAL.
#
# Said, not errors: what the tree's Kconfig makes otherwise of Fedora's
# choices (CONTROL against FEDORA: 7.3.4 is not the 7.2.0-rc6 Fedora wrote
# its file for), what the reduction leaves out, and how a kernel of this
# configuration must be booted for KUnit and kmemleak to run.

import re
import sys

from vkt_debian_config import fragments_hold, read_config

# What the suites touch, and the debug options their verdicts rely on or
# that catch what a broken fix does; and module signing and hardening.
KEPT = re.compile(r'(VFIO|KVM|IOMMU|AMD_IOMMU|INTEL_IOMMU|IRQ_BYPASS|MODULE_SIG|'
		  r'MODULES|MODULE_COMPRESS|KUNIT|KASAN|KFENCE|UBSAN|PROVE_LOCKING|'
		  r'LOCKDEP|DEBUG_KMEMLEAK|DEBUG_OBJECTS|DEBUG_ATOMIC_SLEEP|'
		  r'DEBUG_PAGEALLOC|DEBUG_VM|DEBUG_MUTEXES|DEBUG_FS|SLUB_DEBUG|'
		  r'PAGE_POISONING|DEVTMPFS|STACKPROTECTOR|FORTIFY|HARDENED|INIT_ON_|'
		  r'RANDOMIZE|MITIGATION_|STRICT_|SLAB_FREELIST|SHUFFLE_PAGE|'
		  r'LIST_HARDENED|BUG_ON_DATA_CORRUPTION|SECURITY_LOCKDOWN|LOCK_DOWN|'
		  r'X86_KERNEL_IBT|ZERO_CALL_USED|VMAP_STACK)')

# Fedora's values the line is about (issue 37, as read from Fedora's
# file): they must hold in the kernel that is built and booted.
PREMISES = ('KUNIT=m', 'KUNIT_ALL_TESTS=m', 'KUNIT_DEBUGFS=y',
	    'KUNIT_AUTORUN_ENABLED=y', 'PROVE_LOCKING=y', 'KASAN=y',
	    'KASAN_GENERIC=y', 'KASAN_VMALLOC=y', 'DEBUG_KMEMLEAK=y',
	    'DEBUG_FS=y', 'DEVTMPFS=y', 'IOMMUFD=y', 'VFIO_DEVICE_CDEV=y',
	    'VFIO_GROUP=y', 'VFIO_CONTAINER=y', 'VFIO=m', 'VFIO_IOMMU_TYPE1=m',
	    'KVM=m', 'KVM_AMD=m', 'MODULE_SIG=y', 'MODULE_SIG_ALL=y')

SUITES = 'CONFIG_VFIO_KVM_KUNIT_TEST'


def short(name):
	return name[len('CONFIG_'):]


def main(fedora_path, control_path, merged_path, final_path, *fragments):
	fedora = read_config(fedora_path)
	control = read_config(control_path)
	merged = read_config(merged_path)
	final = read_config(final_path)
	set_by, bad = fragments_hold(fragments, final)

	# the suites, from Fedora's KUNIT_ALL_TESTS alone
	named = [p.rsplit('/', 1)[-1] for p, opts in
		 [(fedora_path, fedora)] + [(f, read_config(f)) for f in fragments]
		 if SUITES in opts]
	if named:
		bad.append('%s is named by %s: it must come from Fedora\'s KUNIT_ALL_TESTS alone' %
			   (SUITES, ', '.join(named)))
	if fedora.get('CONFIG_KUNIT_ALL_TESTS') != 'm' or \
	   merged.get(SUITES) != 'm' or final.get(SUITES) != 'm':
		bad.append('%s is %s after make olddefconfig and %s in the kernel built, '
			   'with Fedora\'s KUNIT_ALL_TESTS=%s: expected m, m and m' %
			   (SUITES, merged.get(SUITES, 'n'), final.get(SUITES, 'n'),
			    fedora.get('CONFIG_KUNIT_ALL_TESTS', 'n')))
	else:
		print('%s=m, named nowhere: Fedora\'s KUNIT_ALL_TESTS=m builds the suites '
		      '(vfio_kvm_kunit.ko)' % SUITES)

	# Fedora's choices for what the suites touch
	same, changed, tree, unsaid, reduced = 0, [], [], [], []
	for name in sorted(fedora):
		if not KEPT.match(short(name)):
			continue
		want, ctl, now = fedora[name], control.get(name, 'n'), merged.get(name, 'n')
		if want != ctl:
			tree.append('%s %s -> %s' % (short(name), want, ctl))
		if name in set_by:
			if ctl != now:
				changed.append('%s %s -> %s' % (short(name), ctl, now))
		elif ctl != now:
			unsaid.append('%s %s -> %s' % (short(name), ctl, now))
		elif want == now:
			same += 1
	for name in sorted(set(merged) | set(final)):
		if KEPT.match(short(name)) and name not in set_by and \
		   merged.get(name, 'n') != final.get(name, 'n'):
			reduced.append(short(name))
	print('Fedora\'s choices for what the suites touch (VFIO, KVM, IOMMU, KUnit, '
	      'the debug options, module signing, hardening): %d options as Fedora '
	      'has them, %d changed by the fragments%s' %
	      (same, len(changed), ': ' + ', '.join(changed) if changed else ''))
	print('what this tree\'s Kconfig and compiler make of Fedora\'s own file '
	      '(olddefconfig, no fragment): %d of those options otherwise%s' %
	      (len(tree), ': ' + ', '.join(tree) if tree else ''))
	print('left out with the modules the guest does not load: %d of them (%s)' %
	      (len(reduced), ' '.join(reduced)))
	for premise in PREMISES:
		name, value = premise.split('=')
		got = final.get('CONFIG_' + name, 'n')
		if fedora.get('CONFIG_' + name) != value or got != value:
			bad.append('premise %s (Fedora: %s): %s in the kernel built' %
				   (premise, fedora.get('CONFIG_' + name, 'n'), got))
	print('Fedora\'s values this line stands on hold: %s' %
	      ' '.join(p for p in PREMISES if ('premise ' + p) not in ' '.join(bad)))

	# how Fedora's kernel-debug must be booted for the suites to run
	boot = []
	if final.get('CONFIG_KUNIT_DEFAULT_ENABLED', 'n') == 'n':
		boot.append('kunit.enable=1 (KUNIT_DEFAULT_ENABLED is not set: KUnit '
			    'refuses to run suites without it)')
	if final.get('CONFIG_DEBUG_KMEMLEAK_DEFAULT_OFF', 'n') == 'y':
		boot.append('kmemleak=on (DEBUG_KMEMLEAK_DEFAULT_OFF=y)')
	if final.get('CONFIG_KUNIT_AUTORUN_ENABLED', 'n') == 'y':
		boot.append('nothing for autorun (KUNIT_AUTORUN_ENABLED=y: loading a '
			    'test module runs its suites)')
	print('boot with: ' + '; '.join(boot))

	for line in bad:
		print('error: ' + line)
	for line in unsaid:
		print('error: changed for no stated reason: ' + line)
	return 1 if bad or unsaid else 0


if __name__ == '__main__':
	if len(sys.argv) < 6:
		sys.exit('usage: vkt_fedora_config.py FEDORA CONTROL MERGED FINAL FRAGMENT...')
	sys.exit(main(*sys.argv[1:]))

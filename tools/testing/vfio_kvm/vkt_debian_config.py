#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Is a kernel configuration made from Debian's still Debian's where it
# matters?  Usage:
#
#   vkt_debian_config.py DEBIAN MERGED FINAL KEPT FRAGMENT...
#
# MERGED is DEBIAN with the FRAGMENTs merged (make olddefconfig), FINAL
# that reduced to the modules the guest loads (make localmodconfig) with
# the fragments merged again.  Every option of each FRAGMENT must hold in
# FINAL.  Each option whose name matches the regular expression KEPT
# (what the suites touch: VFIO, KVM, IOMMU, module signing, hardening)
# must have Debian's value in MERGED but where a fragment sets it; what
# the reduction changes after (modules left out, and what only they
# select or enable) is counted and named.  Exit status 1 when an option
# did not hold or a kept option changed for no stated reason.

import re
import sys


def read_config(path):
	"""Options as {name: value}, 'n' for "is not set"."""
	opts = {}
	with open(path) as f:
		for line in f:
			m = re.match(r'^(CONFIG_\w+)=(.*)$', line)
			if m:
				opts[m.group(1)] = m.group(2)
				continue
			m = re.match(r'^# (CONFIG_\w+) is not set$', line)
			if m:
				opts[m.group(1)] = 'n'
	return opts


def fragments_hold(fragments, final):
	"""Which fragment sets each option, {name: file name}, and an error
	for each option of a fragment that did not hold in @final."""
	set_by, bad = {}, []
	for frag in fragments:
		for name, value in read_config(frag).items():
			set_by[name] = frag.rsplit('/', 1)[-1]
			if final.get(name, 'n') != value:
				bad.append('%s=%s of %s did not hold: %s' %
					   (name, value, set_by[name], final.get(name, 'n')))
	return set_by, bad


def main(debian_path, merged_path, final_path, kept, *fragments):
	debian = read_config(debian_path)
	merged = read_config(merged_path)
	final = read_config(final_path)
	set_by, bad = fragments_hold(fragments, final)
	kept_re = re.compile(kept)
	same, changed, other, reduced = 0, [], [], []
	toolchain = 0
	for name in sorted(set(debian) | set(merged) | set(final)):
		was, now = debian.get(name, 'n'), merged.get(name, 'n')
		if not kept_re.match(name[len('CONFIG_'):]):
			toolchain += was != now and name not in set_by
			continue
		if was == now:
			same += 1
		elif name in set_by:
			changed.append('%s %s -> %s (%s)' % (name, was, now, set_by[name]))
		else:
			other.append('%s %s -> %s' % (name, was, now))
		if now != final.get(name, 'n') and name not in set_by:
			reduced.append(name[len('CONFIG_'):])
	print('Debian\'s choices for what the suites touch (VFIO, KVM, IOMMU, module '
	      'signing, hardening): %d options as Debian has them, %d changed by the '
	      'fragments%s' % (same, len(changed), ': ' + ', '.join(changed) if changed else ''))
	print('left out with the modules the guest does not load: %d of them (%s); '
	      'of the others, %d options differ from Debian\'s after olddefconfig here' %
	      (len(reduced), ' '.join(reduced), toolchain))
	for line in bad:
		print('error: ' + line)
	for line in other:
		print('error: changed for no stated reason: ' + line)
	return 1 if bad or other else 0


if __name__ == '__main__':
	if len(sys.argv) < 5:
		sys.exit('usage: vkt_debian_config.py DEBIAN MERGED FINAL KEPT FRAGMENT...')
	sys.exit(main(*sys.argv[1:]))

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The edit loop: after a change to the suites, rebuild their module alone
# (Kbuild's external-module build, M= and MO=, against the modules kernel
# of module-check.sh) and run it in that kernel, judged as make run is
# judged.  make run relinks a kernel with the suites built in; this
# compiles the files that changed and boots.
#
# The modules kernel is built on first use, and again when what is built
# into it changes (the suites' Kconfig, the
# configuration).  Kbuild has MO= from Linux 6.13: KVER=7.3 only.
#
# Environment: KVER (7.3), CACHE, LOCKDEP (y), KVM_MODE (real), BOOTS
# (kunit filter globs, one boot each; default vfio_kvm*), RESULTS (default
# CACHE/results/quick-KVER.json), STALL (120), TIMEOUT (900): as run.sh.
# Exit status: as run.sh's.

# One compound command: bash reads the whole script before it runs any of
# it, so that an edit while it runs cannot change the run half way.
{
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tools/testing/vfio_kvm/lib.sh
. "$here/lib.sh"
KVER=${KVER:-7.3}
LOCKDEP=${LOCKDEP:-y}
KVM_MODE=${KVM_MODE:-real}
BOOTS=${BOOTS:-}
STALL=${STALL:-120}
TIMEOUT=${TIMEOUT:-900}

VKT_PACKAGES="$VKT_PACKAGES busybox-static"

vkt_check_settings
vkt_known_kver "$KVER" || fail_setup "unknown KVER '$KVER': use one of: $VKT_KVERS"
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
vkt_get_source "$KVER"
tree=$(vkt_debian_tree "$KVER")
grep -q KBUILD_EXTMOD_OUTPUT "$tree/Makefile" ||
	fail_setup "Linux $KVER's Kbuild has no MO= (6.13 and later have it) to build the suites' module alone: use make run"
vkt_lock_tree "$tree"
vkt_recover_tree "$tree"
vkt_install_suite "$tree"
export CCACHE_DIR="$CACHE/ccache" CCACHE_BASEDIR="$tree"

build="$CACHE/build/$KVER-modules-lockdep-$LOCKDEP"
mo="$build/quick"
[ -n "${RESULTS:-}" ] || RESULTS="$CACHE/results/quick-$KVER.json"
mkdir -p "$(dirname "$RESULTS")" "$mo"
RESULTS=$(cd "$(dirname "$RESULTS")" && pwd)/$(basename "$RESULTS")
prefix=${RESULTS%.json}

# what the modules kernel has built in, or configures; a kernel that
# module-check built with patches (build/patches) is built again without
key=$(cat "$here/configs/modules.config" "$tree/drivers/vfio/tests/Kconfig" 2>/dev/null |
	md5sum | cut -c1-32)
if [ "$(cat "$build/quick.key" 2>/dev/null)" != "$key" ] || [ ! -d "$build/modroot" ] ||
   [ ! -f "$build/patches" ] || [ -s "$build/patches" ]; then
	say "the modules kernel: Debian linux-source-$KVER $(vkt_debian_version "$KVER"), lockdep $LOCKDEP (built once; then only the suites' module)"
	vkt_modules_kernel "$tree" "$build" "$LOCKDEP" || fail_setup "the modules kernel could not be built"
	echo "$key" > "$build/quick.key"
fi

say "building the suites' module (log: $mo.log)"
make -C "$tree" O="$build" ARCH=x86_64 CC="ccache gcc" -j"$JOBS" \
	M="$tree/drivers/vfio/tests" MO="$mo" modules > "$mo.log" 2>&1 || {
	grep -E 'error|Error' "$mo.log" | head -20 >&2
	fail_setup "the suites' module did not build (log: $mo.log)"
}
say "built: $(grep -c '^  CC ' "$mo.log" || true) files compiled"
vkt_initramfs "$build" "$here/quick.init" "$build/quick.cpio.gz" "$mo/vfio_kvm_kunit.ko" \
	"$mo/kunit_reports_test.ko"

# The cases the module has, as the kernel lists them (kunit.action=list),
# listed again when the module's strings that can name a suite or a case
# (identifiers) change.  A stale list cannot pass a run: a case it lacks
# has a name it would have changed, and a case it has that did not run
# is missing.
cases="$build/quick.cases"
key=$( (cat "$build/.config"; strings -a "$mo/vfio_kvm_kunit.ko" |
	grep -E '^[A-Za-z_][A-Za-z0-9_]*$' | sort -u) | md5sum | cut -c1-32)
if [ "$(cat "$cases.key" 2>/dev/null)" != "$key" ] || [ ! -s "$cases" ]; then
	say "listing the module's cases (kunit.action=list)"
	# a guest that hung lists nothing: no case list, said below
	vkt_boot_modules "$build" "$build/quick-list.log" "$STALL" "kmemleak=off kunit.action=list" \
		"$build/quick.cpio.gz" || true
	sed -n '/KTAP version/,$p' "$build/quick-list.log" | tr -d '\r' |
		sed -E 's/^(\[ *[0-9]+\.[0-9]+\](\[ *[TC][0-9]+\])?|\[ *[TC][0-9]+\]) ?//' |
		grep -E '^[^[:space:].]+\.[^[:space:].]+$' > "$cases.tmp" || true
	rm -f "$cases.key"
	mv "$cases.tmp" "$cases"
	[ ! -s "$cases" ] || echo "$key" > "$cases.key"
fi
cp "$cases" "$prefix.cases"

# One boot per glob, recorded as run.sh records them; a guest that hung
# before KUnit started boots once more, and the record keeps it.  As make
# run's cases run: without kmemleak, which module-check runs, and with
# expedited RCU grace periods, which a kernel has until its boot ends, when
# KUnit runs the suites built in: the race's kvm-vfio thread waits for one
# in each cycle (kvm_device_release() calls synchronize_rcu()), 68 s for
# the race here without, 3 s with.
rm -f "$RESULTS" "$prefix".boot*
# as run.sh's record: the kernel's name in expected.txt (the suites are
# modules of the modules kernel) and whether lockdep was asked for
printf 'kunit\t%s\ncases\t%s\nkernel\t%s\nlockdep\t%s\n' "$tree/tools/testing/kunit" \
	"$(basename "$prefix").cases" "modules-$KVER" "$LOCKDEP" > "$prefix.boots"
boot_quick_glob() {	# glob, base: one boot of the guest, its log in base.log
	vkt_boot_modules "$build" "$2.log" "$TIMEOUT" \
		"kmemleak=off rcupdate.rcu_expedited=1 vfio_kvm_kunit.kvm=$KVM_MODE kunit.filter_glob=$1" \
		"$build/quick.cpio.gz" "$STALL"
}
vkt_boot_globs "$prefix.boots" boot_quick_glob '# Subtest: '
echo "guest logs: $prefix.boot*.log"
python3 "$here/vkt_results.py" run "$prefix.boots" "$here/expected.txt"
exit
}

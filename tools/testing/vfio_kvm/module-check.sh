#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The suites as a distribution runs them: a kernel with VFIO, KVM and
# the suites as modules, booted in QEMU with a busybox initramfs that loads
# the suite module, reads the results from debugfs, unloads and reloads it
# REPEAT times, then checks that nothing was left behind: kmemleak, fds in
# the kthreads' files table, vfio devices, iommu groups and platform
# devices in sysfs, and that kvm and vfio unload; then the report capture's
# self-tests as a module (their deliberate reports come last).  Before it,
# a boot of its own shows what unloading kvm_amd while VFIO alone holds a
# VM does (module-check.vendor_unload in expected.txt).
#
# Environment: KVER (7.3), CACHE, REPEAT (20), LOCKDEP (y), STALL (120, as
# run.sh's; 600 with BASE_CONFIG=fedora), KERNEL_PATCHES (applied for the
# run, as for run.sh),
# BASE_CONFIG: minimal (the project's kernel, configs/modules.config) or
# debian (Debian's own configuration of KVER as a distribution's debug
# kernel: configs/debug.config, distro.config and debian-build.config;
# LOCKDEP=y only) or fedora (Fedora's kernel-debug configuration,
# configs/kernel-x86_64-debug-fedora.config, with KASAN, and
# fedora-build.config; the suites from its KUNIT_ALL_TESTS, their modules
# where Fedora's packaging puts them, booted with kunit.enable=1 as
# Fedora's must be; LOCKDEP=y only), TCG: multi (QEMU's default, a thread
# per vCPU) or single; single by default with BASE_CONFIG=debian or
# fedora (JUMP_LABEL in both).  Debian's
# configuration has JUMP_LABEL, which the project's kernels do not: each
# VM the cases create or destroy patches __schedule()'s preempt-notifier
# branch on every CPU.  Under QEMU 7.2's multi-threaded TCG, 2 runs of 2
# oopsed on the int3 of that patch ("Oops: int3" at __schedule+0x4d8, in
# the second and in the fourth load); single-threaded, the same kernel
# passed every check.  Whether TCG or the kernel's text poking is at
# fault is not established: TCG=multi shows it.
# EXPECT_AS: the kernel's name in expected.txt (modules-KVER, with patches
# modules-KVER-patched: there, every case must pass).
# Exit status: 0 every check passed, 1 a check failed, 2 setup failure.
# Ends with "N passed, N failed".

# One compound command: bash reads the whole script before it runs any of
# it, so that an edit or a checkout while a long run goes on cannot change
# the run half way.
{
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC2034 # read by lib.sh: a setup error is counted
VKT_COUNTS=y
# shellcheck source=tools/testing/vfio_kvm/lib.sh
. "$here/lib.sh"

KVER=${KVER:-7.3}
REPEAT=${REPEAT:-20}
LOCKDEP=${LOCKDEP:-y}
KERNEL_PATCHES=${KERNEL_PATCHES:-}
BASE_CONFIG=${BASE_CONFIG:-minimal}
case $BASE_CONFIG in
minimal) ;;
debian|fedora) [ "$LOCKDEP" = y ] || fail_setup "BASE_CONFIG=$BASE_CONFIG is a debug kernel: LOCKDEP=y only" ;;
*) fail_setup "BASE_CONFIG must be minimal, debian or fedora, not '$BASE_CONFIG'" ;;
esac
TCG=${TCG:-$([ "$BASE_CONFIG" = minimal ] && echo multi || echo single)}
# Fedora's kernel runs no suite without kunit.enable=1
# (KUNIT_DEFAULT_ENABLED is off), and with KASAN on a single TCG thread
# takes longer: the boots' time limits (s), the demonstration's and the
# loads', and the default STALL (the guest needs 60 to 70 s to reach its
# init, and each of the two kmemleak scans of the sample's leaks that come
# first takes 10 to 70 s: its first suite starts 120 s or more into the
# boot)
boot_args="" demo_limit=300 limit=1200 stall=120
[ "$BASE_CONFIG" != fedora ] || boot_args="kunit.enable=1 " demo_limit=900 limit=3600 stall=600
case $TCG in
multi) ;;
single)
	# read by QEMU's wrapper (qemu/qemu-system-x86_64)
	export VKT_QEMU_ACCEL=tcg,thread=single ;;
*) fail_setup "TCG must be multi or single, not '$TCG'" ;;
esac

VKT_PACKAGES="$VKT_PACKAGES busybox-static"

mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
vkt_known_kver "$KVER" || fail_setup "unknown KVER '$KVER'"
vkt_get_source "$KVER"
tree=$(vkt_debian_tree "$KVER")
vkt_lock_tree "$tree"
vkt_recover_tree "$tree"
vkt_install_suite "$tree"
patches=()
for p in $KERNEL_PATCHES; do
	[ -f "$p" ] || fail_setup "KERNEL_PATCHES: no such file: $p"
	patches+=("$(cd "$(dirname "$p")" && pwd)/$(basename "$p")")
done
if [ ${#patches[@]} -gt 0 ]; then
	vkt_apply_patches "$tree" "${patches[@]}" || exit 2
	trap 'vkt_revert_patches "$tree"' EXIT
	vkt_restage_suite "$tree"
fi
# expected.txt knows the module kernels as modules-<kver> (with patches:
# modules-<kver>-patched, where every case must pass), Debian's own
# configuration as module-check-debian-<kver>, a matrix line by its name
build="$CACHE/build/$KVER-modules-lockdep-$LOCKDEP"
if [ "$BASE_CONFIG" = debian ]; then
	EXPECT_AS=${EXPECT_AS:-module-check-debian-$KVER${patches:+-patched}}
	build="$CACHE/build/$KVER-debian-lockdep-$LOCKDEP"
elif [ "$BASE_CONFIG" = fedora ]; then
	EXPECT_AS=${EXPECT_AS:-module-check-fedora-$KVER${patches:+-patched}}
	build="$CACHE/build/$KVER-fedora-lockdep-$LOCKDEP"
fi
expect_as=${EXPECT_AS:-modules-$KVER${patches:+-patched}}
# a matrix line's logs under its name, each run's in a folder of its own
# (vkt_run_dir; the newest also as "last"): a failure seen once can be
# read afterwards
out=$(vkt_run_dir "${EXPECT_AS:-module-check-$KVER}") ||
	fail_setup "cannot make this run's folder in $CACHE/results"
mkdir -p "$build"
export CCACHE_DIR="$CACHE/ccache" CCACHE_BASEDIR="$tree"

if [ "$BASE_CONFIG" = debian ]; then
	say "kernel: Debian linux-source-$KVER $(vkt_debian_version "$KVER") with Debian's own configuration, a debug flavour and the suites as modules${patches:+, patches: ${patches[*]##*/}}; TCG $TCG"
	vkt_distro_kernel "$tree" "$build" "$KVER" || fail_setup "the Debian debug kernel could not be configured or built"
elif [ "$BASE_CONFIG" = fedora ]; then
	say "kernel: Debian linux-source-$KVER $(vkt_debian_version "$KVER") with Fedora's kernel-debug configuration (${VKT_FEDORA_CONFIG##*/}), the suites from its KUNIT_ALL_TESTS${patches:+, patches: ${patches[*]##*/}}; TCG $TCG"
	vkt_fedora_kernel "$tree" "$build" || fail_setup "the Fedora debug kernel could not be configured or built"
else
	say "kernel: Debian linux-source-$KVER $(vkt_debian_version "$KVER"), VFIO, KVM and the suites as modules${patches:+, patches: ${patches[*]##*/}}"
	vkt_modules_kernel "$tree" "$build" "$LOCKDEP" || fail_setup "the modules kernel could not be built"
fi
# the suites each load must leave results of, as their sources define
# them: the in-tree suites and the overlay's on KVM's internals, which the
# suites' module links (kernel.sh's vkt_stage_suite)
suites=$(vkt_suites suites "$VKT_REPO"/drivers/vfio/tests/*.c "$VKT_DIR"/compat/kvm-internals/*.c |
	 paste -sd ' ') || fail_setup "cannot read the suites' sources"
[[ "$suites" =~ ^[A-Za-z0-9_]+( [A-Za-z0-9_]+)*$ ]] ||
	fail_setup "no suite names, or odd ones, in the suites' sources: '$suites'"
say "initramfs: busybox and the modules; suites $suites"
sed -e "s/@REPEAT@/$REPEAT/" -e "s/@SUITES@/$suites/" "$here/module-check.init" > "$build/module-check.init"
vkt_initramfs "$build" "$build/module-check.init" "$build/initramfs.cpio.gz"
# A guest that has not started a suite in STALL s (QEMU's TCG can leave a
# kernel stuck in early boot) is stopped and booted once more, as run.sh
# does, its log kept beside; a second hang is the boot's outcome.
STALL=${STALL:-$stall}
boot_modules_guest() {	# log, time limit (s), kernel command line: QEMU's status
	local rc=0
	vkt_boot_modules "$build" "$1" "$2" "$3" "$build/initramfs.cpio.gz" "$STALL" || rc=$?
	if vkt_hung_boot "$1" "$rc" '# Subtest: '; then
		rc=0
		vkt_boot_modules "$build" "$1" "$2" "$3" "$build/initramfs.cpio.gz" "$STALL" || rc=$?
	fi
	return $rc
}

# First, on its own boot, what unloading the vendor module while VFIO
# alone holds a VM does (on a kernel with the bug: an oops, and oops=panic
# ends the boot there)
say "booting the guest: kvm_amd unloaded while VFIO holds a VM"
demo_log="$out/demo.log"
demo_rc=0
boot_modules_guest "$demo_log" "$demo_limit" "${boot_args}oops=panic vkt.demo=vendor-unload kunit.filter_glob=vfio_kvm_internals.vfio_kvm_internals_pins_vendor_module" ||
	demo_rc=$?

say "booting the guest: load, $REPEAT unload/reload cycles, leak checks"
log="$out/guest.log"
qemu_rc=0
boot_modules_guest "$log" "$limit" "${boot_args}kmemleak=on" || qemu_rc=$?

rc=0
VKT_KUNIT_DIR="$tree/tools/testing/kunit" \
	python3 "$here/vkt_results.py" modules "$here/expected.txt" "$log" "$REPEAT" \
	"$expect_as" "$LOCKDEP" "$qemu_rc" "$demo_log" "$demo_rc" > "$out/verdict.txt" || rc=$?
# the verdict's last line is the count a caller reads: the logs go before
sed '$d' "$out/verdict.txt"
echo "logs of this run: $out (guest.log, the init's lines in guest-init.log, demo.log, verdict.txt)"
tail -n 1 "$out/verdict.txt"
exit $rc
}

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
# Environment: KVER (7.3), CACHE, REPEAT (20), LOCKDEP (y), KERNEL_PATCHES
# (applied for the run, as for run.sh), EXPECT_AS: the kernel's name in
# expected.txt (modules-KVER, with patches modules-KVER-patched: there,
# every case must pass).
# Exit status: 0 every check passed, 1 a check failed, 2 setup failure.
# Ends with "N passed, N failed".

# One compound command: bash reads the whole script before it runs any of
# it, so that an edit or a checkout while a long run goes on cannot change
# the run half way.
{
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
KVER=${KVER:-7.3}
CACHE=${CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vfio-kvm-kunit}
REPEAT=${REPEAT:-20}
LOCKDEP=${LOCKDEP:-y}
KERNEL_PATCHES=${KERNEL_PATCHES:-}
JOBS=${JOBS:-$(nproc)}

t0=$(date +%s)
say() { printf '[vfio-kvm %4ds] %s\n' $(($(date +%s) - t0)) "$*"; }
fail_setup() { echo "module-check.sh: error: $*" >&2; echo "0 passed, 1 failed"; exit 2; }

# shellcheck source=tools/testing/vfio_kvm/kernel.sh
. "$here/kernel.sh"
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
fi
# expected.txt knows the module kernels as modules-<kver> (with patches:
# modules-<kver>-patched, where every case must pass), a matrix line by
# its name
expect_as=${EXPECT_AS:-modules-$KVER${patches:+-patched}}

build="$CACHE/build/$KVER-modules-lockdep-$LOCKDEP"
# a matrix line's logs under its name: two lines of one kernel keep both
out="$CACHE/results/${EXPECT_AS:-module-check-$KVER}"
mkdir -p "$build" "$out"
export CCACHE_DIR="$CACHE/ccache" CCACHE_BASEDIR="$tree"
cc="ccache gcc"

vkt_kunitconfig "$tree" x86_64 "$here/configs/modules.config" "$build/modules.config"
kconfig=("--kunitconfig=$build/modules.config")
vkt_minimal_kconfig kconfig x86_64
kconfig+=(--kconfig_add CONFIG_KUNIT_REPORTS_TEST=m)
[ "$LOCKDEP" = y ] || kconfig+=(--kconfig_add CONFIG_PROVE_LOCKING=n)
# the Kconfig symbol of kmemleak's sample module: SAMPLE_KMEMLEAK in 6.12,
# DEBUG_KMEMLEAK_TEST in 6.1
if grep -q '^config SAMPLE_KMEMLEAK' "$tree/samples/Kconfig"; then
	kconfig+=(--kconfig_add CONFIG_SAMPLE_KMEMLEAK=m)
else
	kconfig+=(--kconfig_add CONFIG_DEBUG_KMEMLEAK_TEST=m)
fi

say "kernel: Debian linux-source-$KVER $(vkt_debian_version "$KVER"), VFIO, KVM and the suites as modules${patches:+, patches: ${patches[*]##*/}}"
(cd "$tree" && python3 tools/testing/kunit/kunit.py config --arch=x86_64 \
	"--build_dir=$build" "--qemu_config=$here/qemu_x86_64.py" "${kconfig[@]}" \
	--make_options "CC=$cc") > "$build/config.log" 2>&1 || {
	tail -20 "$build/config.log" >&2
	fail_setup "kernel configuration failed (log: $build/config.log)"
}
say "building (log: $build/build.log)"
image=$(vkt_qemu_image x86_64)
vkt_build "$tree" "$build" "$cc" "$JOBS" x86_64 "$(basename "$image")" modules || fail_setup "kernel build failed (log: $build/build.log)"

say "initramfs: busybox and the modules"
root="$build/initramfs"
rm -rf "$root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp}
make -C "$tree" O="$build" ARCH=x86_64 CC="$cc" INSTALL_MOD_PATH="$root" \
	INSTALL_MOD_STRIP=1 modules_install > "$build/modules_install.log" 2>&1 ||
	fail_setup "modules_install failed (log: $build/modules_install.log)"
cp /bin/busybox "$root/bin/busybox"
sed "s/@REPEAT@/$REPEAT/" "$here/module-check.init" > "$root/init"
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$build/initramfs.cpio.gz"

# A panic ends a guest at once: panic=-1 reboots, and -no-reboot turns
# that into an exit.  A kernel that panics again on its way to the reboot
# (one that panicked at its final reboot spun at 100% CPU) is caught on
# the console: 20 s after "Kernel panic" QEMU is stopped, status 125.
# Past its time limit it is stopped too, status 124.
boot_guest() {	# log, time limit (s), kernel command line: sets qemu_rc
	local log=$1 limit=$2 append=$3 qemu panicked=
	qemu-system-x86_64 -nodefaults -m 1024 -cpu max -smp 2 \
		-bios qboot.rom -kernel "$build/$image" \
		-initrd "$build/initramfs.cpio.gz" \
		-append "console=ttyS0 panic=-1 $append" \
		-no-reboot -nographic -serial stdio < /dev/null > "$log" 2>&1 &
	qemu=$!
	for _ in $(seq "$limit"); do
		kill -0 $qemu 2>/dev/null || break
		sleep 1
		if [ -z "$panicked" ] && grep -q 'Kernel panic - not syncing' "$log"; then
			panicked=$SECONDS
			say "the guest panicked"
		fi
		[ -z "$panicked" ] || [ $((SECONDS - panicked)) -lt 20 ] || break
	done
	if kill -0 $qemu 2>/dev/null; then
		kill $qemu
		wait $qemu || true
		if [ -n "$panicked" ]; then
			qemu_rc=125
			say "QEMU stopped: the guest panicked $((SECONDS - panicked)) s ago and did not end"
		else
			qemu_rc=124
			say "QEMU stopped: the guest did not end within $limit s"
		fi
	else
		wait $qemu && qemu_rc=0 || qemu_rc=$?
	fi
	say "guest log: $log (QEMU exit status $qemu_rc)"
}

# First, on its own boot, what unloading the vendor module while VFIO
# alone holds a VM does (on a kernel with the bug: an oops, and oops=panic
# ends the boot there)
say "booting the guest: kvm_amd unloaded while VFIO holds a VM"
demo_log="$out/demo.log"
boot_guest "$demo_log" 300 "oops=panic vkt.demo=vendor-unload kunit.filter_glob=vfio_kvm_ref.vfio_kvm_ref_pins_vendor_module"
demo_rc=$qemu_rc

say "booting the guest: load, $REPEAT unload/reload cycles, leak checks"
log="$out/guest.log"
boot_guest "$log" 1200 "kmemleak=on"

VKT_KUNIT_DIR="$tree/tools/testing/kunit" \
	python3 "$here/vkt_results.py" modules "$here/expected.txt" "$log" "$REPEAT" \
	"$expect_as" "$LOCKDEP" "$qemu_rc" "$demo_log" "$demo_rc"
exit
}

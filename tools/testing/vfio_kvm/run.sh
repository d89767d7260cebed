#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build a kernel with the vfio <-> kvm KUnit suites and run them in QEMU.
#
# The kernel comes from Debian's linux-source-$KVER package, extracted into
# a cache directory, or from the user's own tree (KSRC=).  The only changes
# made to a kernel tree are the suite's files and the hooks that make its
# Kconfig and Makefiles see them, plus KERNEL_PATCHES for the length of the
# run.
#
# Environment (the top-level Makefile passes its variables through):
#   KVER=7.3|6.12|6.1  Debian kernel to use (default 7.3, the newest: it is
#                      downloaded from trixie-backports into the cache, not
#                      installed)
#   KSRC=dir           a kernel source tree of your own instead
#   ARCH=x86_64|arm64  the guest's architecture (default x86_64; arm64 is
#                      cross-compiled and runs KVM at EL2 under TCG)
#   KERNEL_PATCHES=".." patches applied before building, reverted afterwards
#   LOCKDEP=y|n        CONFIG_PROVE_LOCKING (default y)
#   KCSAN=y|n          the data-race detector on VFIO's and KVM's files,
#                      configs/kcsan.config (default n; x86_64 only)
#   KVM_MODE=real|auto   the cases that need a VM fail (real, the default) or skip without one
#   RESULTS=file.json  kunit.py JSON results; beside it the guest log
#                      (.log), each boot's log, the kernel's list of cases
#                      and the record the judge reads (.boots)
#   CACHE=dir          sources, build trees, ccache, results
#   BOOTS="g1 g2"      kunit.py filter_globs (suite.case), one boot each:
#                      lockdep reports once per boot (default: one boot,
#                      the suites, vfio_kvm*; the kernel also has the KUnit
#                      report capture's self-tests, kunit_reports*, whose
#                      deliberate reports need boots of their own)
#   SOAK=N             boot the kernel N times (every BOOTS each time) and
#                      print, per case, how often it passed, failed,
#                      skipped or never ran (make soak)
#   TIMEOUT=s          a boot's time limit (default 900)
#   STALL=s            how long a guest may take to start KUnit (default
#                      120; 1 to 5 s is usual).  A guest that has not is
#                      stopped and booted once more: QEMU's TCG can leave
#                      a kernel stuck in early boot (Debian 6.1 in
#                      synchronize_rcu_tasks(), about once in a hundred
#                      boots).  The verdict names every such boot, and a
#                      second hang fails the run.
#
# Exit status: 0 all cases passed or skipped, 1 a case failed or the kernel
# reported a problem, 2 setup, build or boot failure.

# One compound command: bash reads the whole script before it runs any of
# it, so that an edit or a checkout while a long run goes on cannot change
# the run half way.
{
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tools/testing/vfio_kvm/lib.sh
. "$here/lib.sh"
repo=$(cd "$here/../../.." && pwd)

KVER=${KVER:-7.3}
KSRC=${KSRC:-}
ARCH=${ARCH:-x86_64}
KERNEL_PATCHES=${KERNEL_PATCHES:-}
LOCKDEP=${LOCKDEP:-y}
KCSAN=${KCSAN:-n}
KVM_MODE=${KVM_MODE:-real}
BOOTS=${BOOTS:-}
SOAK=${SOAK:-0}
TIMEOUT=${TIMEOUT:-900}
STALL=${STALL:-120}

vkt_check_settings
# as the kernel's make names them, too
case "$ARCH" in
x86_64|x86) ARCH=x86_64 ;;
arm64|aarch64) ARCH=arm64 ;;
*) fail_setup "ARCH must be x86_64 or arm64, not '$ARCH'" ;;
esac
case "$KCSAN" in y|n) ;; *) fail_setup "KCSAN must be y or n, not '$KCSAN'";; esac
[ "$KCSAN" = n ] || [ "$ARCH" = x86_64 ] || fail_setup "KCSAN=y runs on x86_64 only"
case "$SOAK" in ''|*[!0-9]*) fail_setup "SOAK must be a number of runs, not '$SOAK'";; esac
patches=()
for p in $KERNEL_PATCHES; do
	[ -f "$p" ] || fail_setup "KERNEL_PATCHES: no such file: $p"
	patches+=("$(cd "$(dirname "$p")" && pwd)/$(basename "$p")")
done

mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
[ "$ARCH" = x86_64 ] || VKT_PACKAGES="$VKT_PACKAGES $VKT_ARM64_PACKAGES"

if [ -n "$KSRC" ]; then
	[ -d "$KSRC" ] || fail_setup "KSRC=$KSRC: no such directory"
	tree=$(cd "$KSRC" && pwd)
	vkt_check_tree "$tree" || fail_setup "KSRC=$KSRC is not a kernel source tree (no top-level Makefile with VERSION, or no tools/testing/kunit/kunit.py)"
	[ ! -e "$tree/.config" ] || fail_setup "KSRC=$KSRC has a .config: kunit.py builds out of tree (O=) and needs a clean source tree ('make mrproper')"
	vkt_install_deps ""
	tag="ksrc-$(printf '%s' "$tree" | md5sum | cut -c1-8)"
else
	vkt_known_kver "$KVER" || fail_setup "unknown KVER '$KVER': use one of: $VKT_KVERS (or KSRC=your tree)"
	vkt_get_source "$KVER"
	tree=$(vkt_debian_tree "$KVER")
	tag="$KVER"
fi

vkt_lock_tree "$tree"
vkt_recover_tree "$tree"
vkt_install_suite "$tree"

[ "$ARCH" = x86_64 ] || tag="$tag-$ARCH"
[ "$KCSAN" = n ] || tag="$tag-kcsan"
# the kernel's name in expected.txt: a patched kernel or a tree of the
# user's has no line of its own there (every case must pass)
expect_as=${KSRC:+ksrc}${KSRC:-$KVER${KERNEL_PATCHES:+-patched}}
build="$CACHE/build/$tag-lockdep-$LOCKDEP"
[ -n "${RESULTS:-}" ] || RESULTS="$CACHE/results/$tag-lockdep-$LOCKDEP.json"
mkdir -p "$(dirname "$RESULTS")" "$build"
RESULTS=$(cd "$(dirname "$RESULTS")" && pwd)/$(basename "$RESULTS")
guest_log="${RESULTS%.json}.log"

if [ ${#patches[@]} -gt 0 ]; then
	vkt_apply_patches "$tree" "${patches[@]}" || exit 2
	trap 'vkt_revert_patches "$tree"' EXIT
	vkt_restage_suite "$tree"
fi

kunit=(python3 tools/testing/kunit/kunit.py)
common=(--arch="$ARCH" "--build_dir=$build" "--qemu_config=$here/qemu_$ARCH.py")
vkt_kunitconfig "$tree" "$ARCH" "$tree/drivers/vfio/tests/.kunitconfig" "$build/kunitconfig"
kconfig=("--kunitconfig=$build/kunitconfig")
cc="ccache gcc"
if [ "$ARCH" != x86_64 ]; then
	common+=("--cross_compile=$VKT_ARM64_CROSS")
	cc="ccache ${VKT_ARM64_CROSS}gcc"
fi
# what the guest can do without; kunit.py's guest runs no user space
vkt_minimal_kconfig kconfig "$ARCH"
kconfig+=("--kunitconfig=$here/configs/no-user-space.config")
[ "$LOCKDEP" = y ] || kconfig+=(--kconfig_add CONFIG_PROVE_LOCKING=n)
if [ "$KCSAN" = y ]; then
	kconfig+=("--kunitconfig=$here/configs/kcsan.config")
	vkt_kcsan_make_vars VKT_MAKE_VARS
fi
# one build for the suites and the self-tests: they differ by the boots
kconfig+=(--kconfig_add CONFIG_KUNIT_REPORTS_TEST=y)
export CCACHE_DIR="$CACHE/ccache"
export CCACHE_BASEDIR="$tree"

say "kernel: ${KSRC:-Debian linux-source-$KVER $(vkt_debian_version "$KVER")}, $ARCH, lockdep $LOCKDEP$([ "$KCSAN" = n ] || echo ", KCSAN"), KVM $KVM_MODE${patches:+, patches: ${patches[*]##*/}}"
say "configuring $build"
(cd "$tree" && "${kunit[@]}" config "${common[@]}" "${kconfig[@]}" \
	--make_options "CC=$cc") > "$build/config.log" 2>&1 || {
	tail -20 "$build/config.log" >&2
	fail_setup "kernel configuration failed (log: $build/config.log)"
}

say "building (log: $build/build.log)"
vkt_build "$tree" "$build" "$cc" "$JOBS" "$ARCH" || fail_setup "kernel build failed (log: $build/build.log)"

exec_args=(exec "${common[@]}" "--timeout=$TIMEOUT"
	   --kernel_args "vfio_kvm_kunit.kvm=$KVM_MODE")
prefix=${RESULTS%.json}
rm -f "$RESULTS" "$guest_log" "$prefix".boot* "$prefix".soak*

# One kunit.py exec ("$@"), its output in $1 and on the terminal.  A
# guest that has not started KUnit within STALL seconds (kunit.py has
# parsed no suite's header) is stopped, as kunit.py stops one at its
# timeout: status 124.  Nothing is left running if the run is stopped.
boot_guest() {
	local out=$1 pid tailer t=0 rc=0
	shift
	# kunit.py restores the terminal (stty sane): its standard input
	(cd "$tree" && PYTHONUNBUFFERED=1 exec "${kunit[@]}" "$@") <&0 > "$out" 2>&1 &
	pid=$!
	tail -n +1 -f --pid="$pid" "$out" &
	tailer=$!
	trap 'pkill -P "$pid" || :; kill "$pid" "$tailer" 2>/dev/null || :; exit 130' INT TERM
	while kill -0 "$pid" 2>/dev/null; do
		if [ $t -ge "$STALL" ] && ! grep -qE '^\[[0-9:]+\] =+ .+ =+$' "$out"; then
			say "the guest has not started KUnit in $STALL s: stopping it"
			pkill -P "$pid" || true
			rc=124
			break
		fi
		sleep 1
		t=$((t + 1))
	done
	wait "$pid" || [ $rc = 124 ] || rc=$?
	wait "$tailer" 2>/dev/null || true
	trap - INT TERM
	# kunit.py says so when it stopped a guest at its timeout
	! grep -q 'timed out after' "$out" || rc=124
	return $rc
}

# The judge holds every boot against the cases the kernel has, as the
# kernel lists them (kunit.action=list): a case that never printed its
# result is missing, whatever the boot printed.  The list depends on the
# configuration and the suites only, so a kernel that differs by a patch
# (a mutant) reuses it.
cases="$build/cases.txt"
key=$(cat "$build/.config" "$repo"/drivers/vfio/tests/* "$here"/compat/report-selftest/* "$here"/compat/kvm-internals/* | md5sum | cut -c1-32)
if [ "$(cat "$cases.key" 2>/dev/null)" != "$key" ] || [ ! -s "$cases" ]; then
	say "listing the kernel's cases (kunit.action=list)"
	rm -f "$cases" "$cases.key"
	# kunit.py prints the list at the end: the boot's only bound is its
	# time limit, STALL, and a guest that hung is booted once more
	for _ in 1 2; do
		(cd "$tree" && "${kunit[@]}" "${exec_args[@]}" "--timeout=$STALL" \
			--list_tests) > "$build/list.log" 2>&1 || true
		grep -E '^[^[:space:].]+\.[^[:space:].]+$' "$build/list.log" > "$cases.tmp" || true
		if [ -s "$cases.tmp" ] || ! grep -q 'timed out after' "$build/list.log"; then
			break
		fi
		say "the guest listing the cases hung ($(vkt_last_line "$build/test.log")): booting it again"
	done
	if [ -s "$cases.tmp" ]; then
		mv "$cases.tmp" "$cases"
		echo "$key" > "$cases.key"
	fi
fi
cp "$cases" "$prefix.cases" 2>/dev/null || rm -f "$prefix.cases"

# Boot once per filter glob; the record ($1.boots) names the boots' logs
# and kunit.py's exit status, the case list, kunit.py's parser, the
# kernel's name in expected.txt and whether lockdep was asked for.
boot_glob() {	# glob, base: one boot of the guest, its log in base.log
	local glob=$1 base=$2 rc=0
	rm -f "$build/test.log"
	boot_guest "$base.out" "${exec_args[@]}" "--json=$base.json" "$glob" || rc=$?
	cp "$build/test.log" "$base.log" 2>/dev/null || : > "$base.log"
	cat "$base.log" >> "$guest_log"
	return $rc
}
run_boots() {
	local rec=$1
	printf 'kunit\t%s\ncases\t%s\nkernel\t%s\nlockdep\t%s\n' "$tree/tools/testing/kunit" \
		"$(basename "$prefix").cases" "$expect_as" "$LOCKDEP" > "$rec.boots"
	vkt_boot_globs "$rec.boots" boot_glob 'K?TAP version [0-9]+'
}
# Each boot's JSON of the record $1.boots, one a line, in the order of the
# boots (a boot may have none).
boot_jsons() {	# record without .boots
	local i n
	n=$(grep -c $'^boot\t' "$1.boots" || true)
	for ((i = 0; i < n; i++)); do
		echo "$1.boot$i.json"
	done
}

: > "$guest_log"
if [ "$SOAK" -gt 0 ]; then
	records=()
	for k in $(seq "$SOAK"); do
		say "soak: run $k of $SOAK"
		run_boots "$prefix.soak$k" > "$prefix.soak$k.out" 2>&1 || true
		python3 "$here/vkt_results.py" run "$prefix.soak$k.boots" | tail -1 || true
		records+=("$prefix.soak$k.boots")
	done
	echo "guest logs: $prefix.soak*.boot*.log"
	# a plain kernel's runs are the history its mutants are judged by
	if [ -z "$KSRC$KERNEL_PATCHES" ] && [ "$LOCKDEP" = y ]; then
		mkdir -p "$CACHE/results/history"
		for r in "${records[@]}"; do
			python3 "$here/vkt_results.py" history "$r" "$CACHE/results/history/$KVER.txt"
		done
	fi
	python3 "$here/vkt_results.py" soak "$here/expected.txt" \
		"$expect_as" "$LOCKDEP" "${records[@]}"
	exit
fi
run_boots "$prefix"
mapfile -t jsons < <(boot_jsons "$prefix")
python3 "$here/vkt_results.py" merge "$RESULTS" "${jsons[@]}"
echo "results: $RESULTS, guest log: $guest_log"
# a case that fails as expected.txt expects (a known kernel bug) says so,
# and still fails the run
python3 "$here/vkt_results.py" run "$prefix.boots" "$here/expected.txt"
exit
}

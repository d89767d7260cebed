# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Kernel trees for the vfio <-> kvm suites: Debian's sources in a cache,
# the suite's hooks, patches applied for one run, the build.  Sourced by
# lib.sh, which every script sources; the functions print what they do and
# return non-zero on failure.

# newest first
VKT_KVERS="7.3 6.12 6.1"

# this directory: the configs and the QEMU configs; the checkout: the
# suites' sources
VKT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VKT_REPO=$(cd "$VKT_DIR/../../.." && pwd)

# Build dependencies of a kunit.py x86_64 kernel booted in QEMU (and of
# an arm64 one: VKT_ARM64_PACKAGES).
VKT_PACKAGES="bc bison flex gcc make libc6-dev libelf-dev libssl-dev ccache
	      python3 qemu-system-x86 rsync patch xz-utils cpio kmod procps
	      binutils"
# shellcheck disable=SC2034 # read by run.sh, which sources this file
VKT_ARM64_PACKAGES="gcc-aarch64-linux-gnu qemu-system-arm"
VKT_ARM64_CROSS=aarch64-linux-gnu-
VKT_MAKE_VARS=()

vkt_known_kver() {
	local k
	for k in $VKT_KVERS; do [ "$1" = "$k" ] && return 0; done
	return 1
}

# Install what is missing, with apt-get; $1: the Debian source package.
vkt_install_deps() {
	local missing=() p sudo=
	for p in $VKT_PACKAGES $1; do
		dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -gt 0 ] || return 0
	[ "$(id -u)" = 0 ] || sudo=sudo
	say "installing ${missing[*]}"
	$sudo apt-get update -qq >/dev/null &&
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null ||
		fail_setup "could not install ${missing[*]}"
}

# The Debian suite a kernel's source package comes from when Debian 12 does
# not have it: it is downloaded into the cache, not installed.
vkt_source_suite() {
	case $1 in
	7.3) echo trixie-backports ;;
	esac
}

# A package of the Debian suite $1, downloaded into $CACHE/debs/$1 with an
# apt source list and package lists of the cache's own, so that the
# machine's apt sources and packages stay as they are (nothing from that
# suite is installed); prints the .deb's path.  $3: the version wanted.
vkt_debian_download() {	# suite, package, [version]
	local suite=$1 pkg=$2 dir=$CACHE/debs/$1 opts
	mkdir -p "$dir/lists/partial" "$dir/archives/partial"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main" \
		> "$dir/sources.list"
	opts=(-qq -o "Dir::Etc::sourcelist=$dir/sources.list"
	      -o Dir::Etc::sourceparts=/nonexistent -o "Dir::State::Lists=$dir/lists"
	      -o "Dir::Cache::archives=$dir/archives" -o Acquire::Languages=none
	      -o APT::Sandbox::User=root)
	say "downloading $pkg from Debian $suite into $dir" >&2
	apt-get "${opts[@]}" update > /dev/null &&
		(cd "$dir" && apt-get "${opts[@]}" download "$pkg${3:+=$3}" > /dev/null) &&
		ls "$dir/${pkg}_"*.deb | tail -1
}

# The kernel's sources as Debian ships them: linux-source-KVER installed
# with apt-get, or, for a kernel of a newer suite, its package downloaded
# into the cache.  Only the tarball and the package's version are kept.
vkt_get_source() {
	local kver=$1 suite dir deb
	suite=$(vkt_source_suite "$kver")
	if [ -z "$suite" ]; then
		vkt_install_deps "linux-source-$kver"
		return
	fi
	vkt_install_deps ""
	dir="$CACHE/debs/$suite"
	[ -s "$dir/linux-source-$kver.tar.xz" ] && [ -s "$dir/linux-source-$kver.version" ] &&
		return 0
	deb=$(vkt_debian_download "$suite" "linux-source-$kver") ||
		fail_setup "cannot download linux-source-$kver from Debian $suite"
	dpkg-deb --fsys-tarfile "$deb" |
		tar -xO "./usr/src/linux-source-$kver.tar.xz" > "$dir/.tarball" &&
		dpkg-deb -f "$deb" Version > "$dir/linux-source-$kver.version" &&
		mv "$dir/.tarball" "$dir/linux-source-$kver.tar.xz" ||
		fail_setup "cannot unpack $deb"
	rm -f "$deb"
}

# Debian's own configuration of its amd64 kernel (linux-config-KVER,
# config.amd64_none_amd64), of the same package version as the sources,
# uncompressed into the cache; prints its path.
vkt_debian_config() {
	local kver=$1 suite dir deb ver conf=config.amd64_none_amd64
	suite=$(vkt_source_suite "$kver")
	ver=$(vkt_debian_version "$kver")
	dir="$CACHE/debs/${suite:-local}"
	if [ "$(cat "$dir/linux-config-$kver.version" 2>/dev/null)" != "$ver" ]; then
		mkdir -p "$dir"
		if [ -z "$suite" ]; then
			vkt_install_deps "linux-config-$kver" >&2
			xz -dc "/usr/src/linux-config-$kver/$conf.xz" > "$dir/linux-config-$kver" ||
				fail_setup "no $conf in linux-config-$kver"
		else
			# of the sources' version
			deb=$(vkt_debian_download "$suite" "linux-config-$kver" "$ver") ||
				fail_setup "cannot download linux-config-$kver from Debian $suite"
			dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/linux-config-$kver/$conf.xz" |
				xz -dc > "$dir/linux-config-$kver" || fail_setup "cannot unpack $conf from $deb"
			rm -f "$deb"
		fi
		echo "$ver" > "$dir/linux-config-$kver.version"
	fi
	echo "$dir/linux-config-$kver"
}

vkt_source_tarball() {
	local suite
	suite=$(vkt_source_suite "$1")
	if [ -n "$suite" ]; then
		echo "$CACHE/debs/$suite/linux-source-$1.tar.xz"
	else
		echo "/usr/src/linux-source-$1.tar.xz"
	fi
}

vkt_debian_version() {
	local suite
	suite=$(vkt_source_suite "$1")
	if [ -n "$suite" ]; then
		cat "$CACHE/debs/$suite/linux-source-$1.version" 2>/dev/null
	else
		dpkg-query -W -f '${Version}' "linux-source-$1" 2>/dev/null
	fi
}

vkt_check_tree() {
	grep -q '^VERSION = ' "$1/Makefile" 2>/dev/null &&
		[ -f "$1/tools/testing/kunit/kunit.py" ]
}

# Debian's source, extracted once per package version; prints the tree.  A
# tree is only ever moved into place whole, so an interrupted extraction
# never looks valid; a new package version replaces tree and build trees.
vkt_debian_tree() {
	local kver=$1 ver tree tmp
	ver=$(vkt_debian_version "$kver")
	tree="$CACHE/src/linux-source-$kver"
	if [ "$(cat "$tree/.vkt-source" 2>/dev/null)" != "$ver" ]; then
		say "extracting linux-source-$kver $ver into $tree" >&2
		rm -rf "$tree" "$CACHE/build/$kver-"*
		mkdir -p "$CACHE/src"
		tmp=$(mktemp -d "$CACHE/src/.extract.XXXXXX")
		tar -C "$tmp" -xf "$(vkt_source_tarball "$kver")" ||
			{ rm -rf "$tmp"; fail_setup "cannot extract $(vkt_source_tarball "$kver")"; }
		echo "$ver" > "$tmp/linux-source-$kver/.vkt-source"
		mv "$tmp/linux-source-$kver" "$tree"
		rm -rf "$tmp"
	fi
	echo "$tree"
}

# A run that died with patches applied left a list of them: revert them.
vkt_recover_tree() {
	[ -s "$1/.vkt-patches" ] || return 0
	say "reverting patches left by an interrupted run"
	vkt_revert_patches "$1" || fail_setup "cannot revert $(tr '\n' ' ' < "$1/.vkt-patches")in $1: restore the tree by hand (or delete it when it is the cache's)"
}

vkt_hook() {
	grep -qxF "$2" "$1" || echo "$2" >> "$1"
}

# The project's Kconfig files, as paths in a kernel tree: the "source"
# lines of its top-level Kconfig.
vkt_kconfig_files() {
	sed -n 's/^source "\(.*\)"$/\1/p' "$VKT_REPO/Kconfig"
}

# Each of them in a tree, sourced by the Kconfig of the directory above its
# own, as the kernel sources its own.
vkt_hook_kconfig() {
	local tree=$1 file
	for file in $(vkt_kconfig_files); do
		vkt_hook "$tree/$(dirname "$(dirname "$file")")/Kconfig" "source \"$file\""
	done
}

# The kernel generation whose adapter a tree needs (compat/GEN), or nothing
# for the kernels the suites are written for (6.12 to 7.3, before 7.4's
# file-based KVM reference).
vkt_compat_gen() {
	local v p
	v=$(sed -n 's/^VERSION = //p' "$1/Makefile")
	p=$(sed -n 's/^PATCHLEVEL = //p' "$1/Makefile")
	if [ "$v" -lt 6 ] || { [ "$v" -eq 6 ] && [ "$p" -lt 12 ]; }; then
		echo 6.1
	elif grep -qE '^[[:space:]]*struct file[[:space:]]+\*kvm;' "$1/include/linux/vfio.h"; then
		# 7.4's file-based KVM reference: device->kvm is the VM's file
		echo 7.4
	fi
}

# The adapter the tree's suites were staged with (compat/GEN), or nothing:
# the one whose header they include.
vkt_staged_gen() {
	local h
	for h in "$VKT_DIR"/compat/*/vfio_kvm_compat.h; do
		if cmp -s "$h" "$1/drivers/vfio/tests/vfio_kvm_compat.h"; then
			basename "$(dirname "$h")"
			return
		fi
	done
}

# Whether the tree has kzalloc_obj() (or needs compat/slab-obj.h).
vkt_has_slab_obj() {
	grep -q 'define kzalloc_obj' "$1/include/linux/slab.h"
}

# The suites' directory as a tree gets it, in $2: the in-tree files, the
# overlay's suites on KVM's internals (compat/kvm-internals: fake VMs, the
# counts, the vendor-module case) and the report capture's self-tests,
# each a file of its own, and for an older or newer kernel its adapter (a
# header included before each file, its code, and a patch for what a
# header cannot change); $3=y: the tree lacks kzalloc_obj().
vkt_stage_suite() {
	local tree=$1 stage=$2 slab_obj=$3 gen compat
	rsync -r "$VKT_REPO/drivers/vfio/tests/" "$stage/"
	# the overlay's suites on KVM's internals (their symbol right after
	# the suites', so that menuconfig nests it)
	cp "$VKT_DIR"/compat/kvm-internals/*.[ch] "$stage/"
	cat "$VKT_DIR/compat/kvm-internals/Kconfig" >> "$stage/Kconfig"
	echo 'vfio_kvm_kunit-$(CONFIG_VFIO_KVM_INTERNALS_KUNIT_TEST) += vfio_kvm_internals.o vfio_kvm_fake_vm_kunit.o vfio_kvm_internals_kunit.o' \
		>> "$stage/Makefile"
	# the live self-tests of the report capture: a module of their own
	cp "$VKT_DIR/compat/report-selftest/vfio_kvm_report_selftest.c" "$stage/"
	cat "$VKT_DIR/compat/report-selftest/Kconfig" >> "$stage/Kconfig"
	printf '%s\n' 'obj-$(CONFIG_KUNIT_REPORTS_TEST) += kunit_reports_test.o' \
		'kunit_reports_test-y := vfio_kvm_report_selftest.o' >> "$stage/Makefile"
	if [ "$slab_obj" = y ]; then
		cp "$VKT_DIR/compat/slab-obj.h" "$stage/vkt_slab_obj.h"
		echo 'ccflags-y += -include $(srctree)/$(src)/vkt_slab_obj.h' >> "$stage/Makefile"
	fi
	gen=$(vkt_compat_gen "$tree")
	[ -n "$gen" ] || return 0
	compat="$VKT_DIR/compat/$gen"
	cp "$compat/vfio_kvm_compat.h" "$stage/"
	# by its place in the tree: $(src) is relative before 6.10, absolute after
	echo 'ccflags-y += -include $(srctree)/drivers/vfio/tests/vfio_kvm_compat.h' >> "$stage/Makefile"
	# an adapter with code of its own
	if [ -f "$compat/vfio_kvm_compat.c" ]; then
		cp "$compat/vfio_kvm_compat.c" "$stage/"
		echo 'vfio_kvm_kunit-y += vfio_kvm_compat.o' >> "$stage/Makefile"
	fi
	patch -d "$stage" -p4 -F0 -s --no-backup-if-mismatch < "$compat/suite.patch" ||
		fail_setup "$compat/suite.patch does not apply to the suites: regenerate it"
}

# KUnit's fix for a case stuck past its timeout (patches/kunit/, a mail of
# its own for the KUnit maintainers), in each Debian tree whose KUnit lacks
# it, for good: without it, a case that no deadline of the suites bounds
# hangs the run.  6.1's KUnit differs too much: its runs rely on the
# suites' own deadlines.  A tree of the user's own (KSRC=) is left as it is.
# The fix as applied is kept beside the tree (.vkt-kunit-fix.patch): when
# the project's changes, the old one is taken back and the new one applied.
vkt_fix_kunit() {
	local tree=$1 v patch=$VKT_DIR/patches/kunit/0001-kunit-dont-hang-the-run-on-a-test-thread-that-cannot-stop
	local applied=$tree/.vkt-kunit-fix.patch
	[ -f "$tree/.vkt-source" ] || return 0
	v=$(sed -n 's/^VERSION = //p' "$tree/Makefile").$(sed -n 's/^PATCHLEVEL = //p' "$tree/Makefile")
	case $v in
	6.12) patch+=-6.12.patch ;;
	7.*) patch+=.patch ;;
	*) return 0 ;;
	esac
	if [ -f "$applied" ]; then
		cmp -s "$applied" "$patch" && return 0
		say "taking back the older KUnit fix from $tree"
		patch -d "$tree" -p1 -R -F0 -s < "$applied" ||
			fail_setup "the KUnit fix applied to $tree cannot be taken back: remove the tree"
		rm -f "$applied"
	fi
	grep -q 'did not stop, left running' "$tree/lib/kunit/try-catch.c" &&
		fail_setup "$tree has a KUnit fix of unknown version: remove the tree"
	say "applying KUnit's fix for a stuck case to $tree (${patch##*/})"
	patch -d "$tree" -p1 -N -F0 -s < "$patch" ||
		fail_setup "${patch##*/} does not apply to $tree"
	cp "$patch" "$applied"
}

# Copy the suite into the tree; a file whose content did not change keeps
# its time stamp, so that an unchanged suite rebuilds nothing.
vkt_install_suite() {
	local tree=$1 stage slab_obj=n
	vkt_fix_kunit "$tree"
	vkt_has_slab_obj "$tree" || slab_obj=y
	stage=$(mktemp -d)
	vkt_stage_suite "$tree" "$stage" "$slab_obj"
	rsync -r --checksum --delete "$stage/" "$tree/drivers/vfio/tests/"
	rm -rf "$stage"
	vkt_hook_kconfig "$tree"
	vkt_hook "$tree/drivers/vfio/Makefile" 'obj-y += tests/'
}

# After kernel patches: the suite again if the patches made the tree one of
# another generation (7.4's file-based KVM reference on 7.3.4), whose
# adapter it then needs.
vkt_restage_suite() {
	[ "$(vkt_compat_gen "$1")" = "$(vkt_staged_gen "$1")" ] && return 0
	say "the patches make the tree one whose suites need the adapter compat/$(vkt_compat_gen "$1"): staging the suites again"
	vkt_install_suite "$1"
}

# A patch is applied exactly or not at all (no fuzz: a hunk that lands
# elsewhere than its author meant tests something else, and may not
# revert), and recorded before it is applied, so that an interrupted run
# never leaves a patch applied without a record of it.
vkt_apply_patches() {
	local tree=$1 p n copy
	shift
	for p in "$@"; do
		if ! patch -d "$tree" -p1 -N -F0 --dry-run -s < "$p" > /dev/null 2>&1; then
			echo "run.sh: error: $p does not apply to $tree without fuzz:" >&2
			patch -d "$tree" -p1 -N -F0 --dry-run < "$p" >&2 || true
			vkt_revert_patches "$tree"
			return 2
		fi
		# a copy is recorded: the checkout's patch may move or change
		# before an interrupted run's next run reverts it
		n=0
		[ ! -f "$tree/.vkt-patches" ] || n=$(wc -l < "$tree/.vkt-patches")
		copy="$tree/.vkt-patches.d/$n-${p##*/}"
		mkdir -p "$tree/.vkt-patches.d"
		cp "$p" "$copy"
		echo "$copy" >> "$tree/.vkt-patches"
		if ! patch -d "$tree" -p1 -N -F0 -s < "$p"; then
			# a patch that changes a file twice can pass the dry run
			echo "run.sh: error: $p failed to apply to $tree" >&2
			vkt_revert_patches "$tree"
			return 2
		fi
		say "applied ${p##*/}"
	done
}

# Revert the recorded patches, last first.  A recorded patch that is not
# applied (the run stopped between the record and the patch) is dropped.
vkt_revert_patches() {
	local tree=$1 p
	[ -s "$tree/.vkt-patches" ] || return 0
	tac "$tree/.vkt-patches" | while read -r p; do
		if patch -d "$tree" -p1 -R -F0 --dry-run -s < "$p" > /dev/null 2>&1; then
			patch -d "$tree" -p1 -R -F0 -s < "$p" || return 1
		elif ! patch -d "$tree" -p1 -N -F0 --dry-run -s < "$p" > /dev/null 2>&1; then
			echo "run.sh: error: $p is neither applied to $tree nor absent from it" >&2
			return 1
		fi
		sed -i '$d' "$tree/.vkt-patches"
	done || return 1
	rm -rf "$tree/.vkt-patches" "$tree/.vkt-patches.d"
}

# One run at a time per kernel tree, for as long as the run lasts: a run
# applies patches to the tree and builds into build directories of its
# own, which another run must not see half done.  The lock goes with the
# process (fd 9).
vkt_lock_tree() {
	local lock
	mkdir -p "$CACHE/locks"
	lock="$CACHE/locks/$(printf '%s' "$1" | md5sum | cut -c1-12).lock"
	exec 9> "$lock"
	if ! flock -n 9; then
		say "waiting for another run that uses $1 to end"
		flock 9
	fi
}

# What a guest of the suites does without (configs/minimal*.config), as
# kunit.py options appended to the array named $1, for architecture $2.
vkt_minimal_kconfig() {
	local -n kconfig_into=$1
	kconfig_into+=("--kunitconfig=$VKT_DIR/configs/minimal.config"
	       "--kunitconfig=$VKT_DIR/configs/minimal-$2.config")
}

# The kernel image QEMU boots for architecture $1, relative to the build
# directory, as its kunit.py QEMU config names it.
vkt_qemu_image() {
	sed -n "s/^[[:space:]]*kernel_path='\([^']*\)',\$/\1/p" "$VKT_DIR/qemu_$1.py"
}

# Kunitconfig $3 as kernel tree $1 on architecture $2 can have it, into
# file $4: without the device cdev path before 6.6, without the x86 vendor
# modules on arm64 (KVM is built in there), and without kvm_intel on
# x86_64: the runner's guests are SVM guests under TCG, whose kernels
# leave out Intel CPU support (configs/minimal-x86_64.config).
vkt_kunitconfig() {
	local tree=$1 arch=$2 drop=(CONFIG_KVM_INTEL)
	grep -q '^config VFIO_DEVICE_CDEV' "$tree/drivers/vfio/Kconfig" ||
		drop+=(CONFIG_IOMMUFD CONFIG_VFIO_DEVICE_CDEV)
	[ "$arch" = x86_64 ] || drop+=(CONFIG_KVM_AMD)
	if [ ${#drop[@]} -eq 0 ]; then
		cp "$3" "$4"
	else
		grep -vE "^($(IFS='|'; echo "${drop[*]}"))=" "$3" > "$4"
	fi
}

# The files KCSAN instruments in a KCSAN=y kernel (configs/kcsan.config),
# by their Kbuild target stems: VFIO's core and type1 container, and KVM's
# common code and kvm-vfio device (built into kvm.ko from arch/x86/kvm).
VKT_KCSAN_FILES="vfio_main group container device_cdev vfio_iommu_type1
		 ../../../virt/kvm/kvm_main ../../../virt/kvm/vfio"

# make's variables that leave every other file uninstrumented, in the
# array named $1.
vkt_kcsan_make_vars() {
	local -n vars_into=$1
	local f
	vars_into+=(KCSAN_SANITIZE=n)
	for f in $VKT_KCSAN_FILES; do vars_into+=("KCSAN_SANITIZE_$f.o=y"); done
}

# make, with a line of progress every 15 s instead of silence.  It builds
# the image QEMU boots (vkt_qemu_image: x86_64's vmlinux, started at its PVH
# entry point; arm64's uncompressed Image), or the targets given after the
# architecture.
vkt_build() {
	local tree=$1 build=$2 cc=$3 jobs=$4 arch=${5:-x86_64} pid n rc last=$SECONDS cross=()
	local start=$SECONDS
	local targets=("${@:6}")
	# make's own variables of the build (VKT_MAKE_VARS: an array)
	local vars=("${VKT_MAKE_VARS[@]}")
	[ "$arch" = x86_64 ] || cross=("CROSS_COMPILE=$VKT_ARM64_CROSS")
	[ ${#targets[@]} -gt 0 ] || targets=("$(basename "$(vkt_qemu_image "$arch")")")
	make -C "$tree" O="$build" ARCH="$arch" "${cross[@]}" CC="$cc" "${vars[@]}" -j"$jobs" "${targets[@]}" \
		> "$build/build.log" 2>&1 &
	pid=$!
	# look often, so that a rebuild of seconds is seen to end; say every 15 s
	while kill -0 $pid 2>/dev/null; do
		sleep 0.2
		[ $((SECONDS - last)) -ge 15 ] && kill -0 $pid 2>/dev/null || continue
		last=$SECONDS
		n=$(grep -c '^  CC ' "$build/build.log" || true)
		say "  building: $n files compiled"
	done
	wait $pid && rc=0 || rc=$?
	if [ $rc -ne 0 ]; then
		grep -E 'error|Error' "$build/build.log" | head -20 >&2
		return $rc
	fi
	n=$(grep -c '^  CC ' "$build/build.log" || true)
	say "built: $n files compiled, ccache $(ccache -s 2>/dev/null | awk '/Hits:/ {print $2 " hits"; exit}')"
	# what each build cost, for costs.sh
	printf '%s\t%s\t%s\t%s\n' "$(date +%F)" "$n" $((SECONDS - start)) \
		"$(find "$build" -name '*.o' | wc -l)" >> "$build/builds.txt"
}

# A guest log's last line: the kernel's, not QEMU's ("terminating on
# signal 15")
vkt_last_line() {
	grep -v '^qemu-system-' "$1" 2>/dev/null | grep . | tail -1 | cut -c1-100
}

# A boot stopped at a time limit (status $2 124) before its log shows
# KUnit's start ($3, a grep -E pattern) hung in early boot: its log goes
# aside, to NAME.hung.log, with a "hung" line in the run record $4 (glob
# $5) if there is one, and the caller boots the guest once more.  Returns
# 1 for any other boot.
vkt_hung_boot() {	# log, status, pattern, [record, glob]
	local hung=${1%.log}.hung.log
	if [ "$2" != 124 ] || grep -qE "$3" "$1"; then
		return 1
	fi
	mv "$1" "$hung"
	[ -z "${4:-}" ] || printf 'hung\t%s\t%s\t%s\n' "$5" "$(basename "$hung")" "$2" >> "$4"
	say "the guest hung before KUnit started ($(vkt_last_line "$hung")): booting it again, once (the hung boot's log: $hung)"
}

# The kernel of module-check.sh and quick.sh: VFIO, KVM and the suites as
# modules (configs/modules.config), configured and built in $build, its
# modules installed, stripped, under $build/modroot.
vkt_modules_kernel() {	# tree, build, lockdep
	local tree=$1 build=$2 lockdep=$3 cc="ccache gcc" kconfig
	mkdir -p "$build"
	vkt_kunitconfig "$tree" x86_64 "$VKT_DIR/configs/modules.config" "$build/modules.config"
	kconfig=("--kunitconfig=$build/modules.config")
	vkt_minimal_kconfig kconfig x86_64
	kconfig+=(--kconfig_add CONFIG_KUNIT_REPORTS_TEST=m)
	[ "$lockdep" = y ] || kconfig+=(--kconfig_add CONFIG_PROVE_LOCKING=n)
	# the Kconfig symbol of kmemleak's sample module: SAMPLE_KMEMLEAK in
	# 6.12, DEBUG_KMEMLEAK_TEST in 6.1
	if grep -q '^config SAMPLE_KMEMLEAK' "$tree/samples/Kconfig"; then
		kconfig+=(--kconfig_add CONFIG_SAMPLE_KMEMLEAK=m)
	else
		kconfig+=(--kconfig_add CONFIG_DEBUG_KMEMLEAK_TEST=m)
	fi
	(cd "$tree" && python3 tools/testing/kunit/kunit.py config --arch=x86_64 \
		"--build_dir=$build" "--qemu_config=$VKT_DIR/qemu_x86_64.py" "${kconfig[@]}" \
		--make_options "CC=$cc") > "$build/config.log" 2>&1 || {
		tail -20 "$build/config.log" >&2
		echo "kernel configuration failed (log: $build/config.log)" >&2
		return 1
	}
	say "building (log: $build/build.log)"
	vkt_build "$tree" "$build" "$cc" "${JOBS:-$(nproc)}" x86_64 \
		"$(basename "$(vkt_qemu_image x86_64)")" modules || return
	vkt_install_modules "$tree" "$build" "$cc" || return
	# the kernel patches it was built with (module-check's), for quick.sh,
	# which builds the suites' module alone against a kernel without any
	cat "$tree/.vkt-patches" > "$build/patches" 2>/dev/null || : > "$build/patches"
}

# The modules of the x86_64 kernel built in $build, stripped, under
# $build/modroot.
vkt_install_modules() {	# tree, build, cc
	rm -rf "$2/modroot"
	make -C "$1" O="$2" ARCH=x86_64 CC="$3" INSTALL_MOD_PATH="$2/modroot" \
		INSTALL_MOD_STRIP=1 modules_install > "$2/modules_install.log" 2>&1 || {
		echo "modules_install failed (log: $2/modules_install.log)" >&2
		return 1
	}
}

# A distribution's configuration $4 with the fragments $5... merged
# ($2/.config.merged), reduced to the modules the guest loads (make
# localmodconfig, $2/.config.reduced) and the fragments merged again, in
# $2/.config: the base of module-check's BASE_CONFIG=debian and fedora.
vkt_reduced_config() {	# tree, build, cc, base config, fragment...
	local tree=$1 build=$2 cc=$3 base=$4 m
	shift 4
	for m in $VKT_DEBIAN_MODULES; do echo "$m 0 0"; done > "$build/lsmod"
	(cd "$tree" && scripts/kconfig/merge_config.sh -m -O "$build" "$base" "$@") &&
	make -C "$tree" O="$build" CC="$cc" olddefconfig &&
	cp "$build/.config" "$build/.config.merged" &&
	make -C "$tree" O="$build" CC="$cc" LSMOD="$build/lsmod" localmodconfig &&
	cp "$build/.config" "$build/.config.reduced" &&
	(cd "$tree" && scripts/kconfig/merge_config.sh -m -O "$build" \
		"$build/.config.reduced" "$@") &&
	make -C "$tree" O="$build" CC="$cc" olddefconfig
}

# The kernel of module-check.sh with BASE_CONFIG=debian, a distribution's
# debug kernel: Debian's own configuration of KVER (vkt_debian_config)
# with a debug flavour (configs/debug.config), the suites
# (configs/distro.config) and what the runner changes to build it here
# (configs/debian-build.config), reduced to the modules the guest loads
# (make localmodconfig), built in $build, its modules installed under
# $build/modroot.  Each fragment's options must hold in the result, and
# Debian's choices for what the suites touch (VKT_DEBIAN_KEPT) must be
# Debian's still but for what debian-build.config says, or for a module
# the guest does not load, left out.
VKT_DEBIAN_MODULES="kvm kvm_amd ccp irqbypass vfio vfio_iommu_type1 kunit
		    vfio_kvm_kunit kunit_reports_test kmemleak_test"
VKT_DEBIAN_KEPT='(VFIO|KVM|IOMMU|AMD_IOMMU|INTEL_IOMMU|IRQ_BYPASS|MODULE_SIG|MODULES|STACKPROTECTOR|FORTIFY|HARDENED|INIT_ON_|RANDOMIZE|MITIGATION_|STRICT_|SLAB_FREELIST|SHUFFLE_PAGE|LIST_HARDENED|BUG_ON_DATA_CORRUPTION|SECURITY_LOCKDOWN|LOCK_DOWN|X86_KERNEL_IBT|ZERO_CALL_USED|VMAP_STACK)'
vkt_distro_kernel() {	# tree, build, kver
	local tree=$1 build=$2 kver=$3 cc="ccache gcc" debian frags=() f
	debian=$(vkt_debian_config "$kver") || return
	for f in debug distro debian-build; do frags+=("$VKT_DIR/configs/$f.config"); done
	mkdir -p "$build"
	{
		cp "$debian" "$build/.config.debian" &&
		vkt_reduced_config "$tree" "$build" "$cc" "$build/.config.debian" "${frags[@]}"
	} > "$build/config.log" 2>&1 < /dev/null || {
		tail -20 "$build/config.log" >&2
		echo "kernel configuration failed (log: $build/config.log)" >&2
		return 1
	}
	python3 "$VKT_DIR/vkt_debian_config.py" "$debian" "$build/.config.merged" \
		"$build/.config" "$VKT_DEBIAN_KEPT" "${frags[@]}" | tee "$build/debian-diff.txt" || return
	say "building (log: $build/build.log)"
	vkt_build "$tree" "$build" "$cc" "${JOBS:-$(nproc)}" x86_64 \
		"$(basename "$(vkt_qemu_image x86_64)")" modules || return
	vkt_install_modules "$tree" "$build" "$cc"
}

# Fedora's own configuration of its x86_64 debug kernel, kept in configs/
# with its origin in a header; after the header's blank line, the file as
# Fedora has it, whose git blob id is this.
VKT_FEDORA_CONFIG=$VKT_DIR/configs/kernel-x86_64-debug-fedora.config
VKT_FEDORA_BLOB=5ff5560d6fab5c80634224ad99f66c8baca36704

# Where Fedora's packaging puts a module: def_variants.yaml.fedora, which
# kernel.spec applies with filtermods.py to the paths of modules.dep
# (each rule anchored after the first directory, "kernel/"), sends
#   .*kunit.*       (needs modules-internal: exact_pkg, ignore_deps)
#   .*test[^/]*.ko  (wants modules-internal: unless a module of another
#                    package depends on it; none of the guest's does)
# to kernel-debug-modules-internal, whose modules the spec moves from
# /lib/modules/KVER/kernel/ to /lib/modules/KVER/internal/.  Every other
# module the guest loads stays in kernel/ (modules-core).
VKT_FEDORA_INTERNAL='^[^/]+/(.*kunit.*|.*test[^/]*.ko)'

# The modules installed in $1/modroot, placed as Fedora's packages place
# them, with modules.dep made anew; checks that the suites are there.
vkt_fedora_modules() {	# build
	local dir kver ko
	kver=$(basename "$1"/modroot/lib/modules/*)
	dir=$1/modroot/lib/modules/$kver
	(cd "$dir" && find kernel -name '*.ko' | grep -E "$VKT_FEDORA_INTERNAL") |
	while read -r ko; do
		mkdir -p "$dir/internal/$(dirname "${ko#kernel/}")"
		mv "$dir/$ko" "$dir/internal/${ko#kernel/}"
	done
	depmod -b "$1/modroot" "$kver" || return
	grep -q '^internal/drivers/vfio/tests/vfio_kvm_kunit.ko:' "$dir/modules.dep" || {
		echo "vfio_kvm_kunit.ko is not where Fedora's packaging puts it (internal/drivers/vfio/tests/)" >&2
		return 1
	}
	say "modules placed as Fedora packages them: $(cd "$dir" && find internal -name '*.ko' | sort | tr '\n' ' ')in kernel-debug-modules-internal; $(cd "$dir" && find kernel -name '*.ko' | wc -l) in kernel/"
}

# The kernel of module-check.sh with BASE_CONFIG=fedora: Fedora's debug
# configuration (VKT_FEDORA_CONFIG) with what the runner changes to build
# it here (configs/fedora-build.config), on the tree's sources with the
# suites' Kconfig hooked, reduced to the modules the guest loads (make
# localmodconfig), built in $build, its modules installed under
# $build/modroot where Fedora's packages put them (vkt_fedora_modules).
# Nothing names the suites' symbol: Fedora's KUNIT_ALL_TESTS makes it m.
# vkt_fedora_config.py checks that, and that Fedora's choices for what the
# suites touch are still Fedora's but for what the fragment says; Fedora's
# file alone through olddefconfig (.config.control) shows what this tree
# makes of it.
vkt_fedora_kernel() {	# tree, build
	local tree=$1 build=$2 cc="ccache gcc" frag=$VKT_DIR/configs/fedora-build.config blob
	mkdir -p "$build"
	sed '1,/^$/d' "$VKT_FEDORA_CONFIG" > "$build/.config.fedora"
	blob=$({ printf 'blob %s\0' "$(wc -c < "$build/.config.fedora")"
		 cat "$build/.config.fedora"; } | sha1sum | cut -d' ' -f1)
	[ "$blob" = "$VKT_FEDORA_BLOB" ] || {
		echo "${VKT_FEDORA_CONFIG##*/} is not Fedora's file its header names (git blob $blob, not $VKT_FEDORA_BLOB)" >&2
		return 1
	}
	{
		cp "$build/.config.fedora" "$build/.config" &&
		make -C "$tree" O="$build" CC="$cc" olddefconfig &&
		cp "$build/.config" "$build/.config.control" &&
		vkt_reduced_config "$tree" "$build" "$cc" "$build/.config.fedora" "$frag"
	} > "$build/config.log" 2>&1 < /dev/null || {
		tail -20 "$build/config.log" >&2
		echo "kernel configuration failed (log: $build/config.log)" >&2
		return 1
	}
	python3 "$VKT_DIR/vkt_fedora_config.py" "$build/.config.fedora" "$build/.config.control" \
		"$build/.config.merged" "$build/.config" "$frag" | tee "$build/fedora-diff.txt" || return
	say "building (log: $build/build.log)"
	vkt_build "$tree" "$build" "$cc" "${JOBS:-$(nproc)}" x86_64 \
		"$(basename "$(vkt_qemu_image x86_64)")" modules || return
	vkt_install_modules "$tree" "$build" "$cc" || return
	vkt_fedora_modules "$build"
}

# A busybox initramfs of the modules kernel in $build: its modules, with
# any module given in place of the installed one of its name, and $2 as
# /init.
vkt_initramfs() {	# build, init, out.cpio.gz, [module.ko...]
	local build=$1 init=$2 out=$3 root=$1/initramfs ko kver
	shift 3
	rm -rf "$root"
	cp -a "$build/modroot" "$root"
	mkdir -p "$root"/{bin,dev,proc,sys,tmp}
	cp /bin/busybox "$root/bin/busybox"
	cp "$init" "$root/init"
	chmod +x "$root/init"
	kver=$(basename "$root"/lib/modules/*)
	for ko in "$@"; do
		find "$root/lib/modules" -name "$(basename "$ko")" -exec cp "$ko" {} \;
	done
	[ $# -eq 0 ] || depmod -b "$root" "$kver"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
}

# Boot the modules kernel in $build with an initramfs; the console in $log.
# A panic ends a guest at once: panic=-1 reboots, and -no-reboot turns
# that into an exit.  A kernel that panics again on its way to the reboot
# (one that panicked at its final reboot spun at 100% CPU) is caught on
# the console: 20 s after "Kernel panic" QEMU is stopped, status 125.
# Past its time limit it is stopped too, status 124, and so is one that
# has not started a suite ("# Subtest: ") within $stall s, if given: the
# "KTAP version" of KUnit's empty run at boot does not count.  Returns
# QEMU's exit status, or 124 or 125.
vkt_boot_modules() {	# build, log, time limit (s), kernel command line, initrd, [stall]
	local build=$1 log=$2 limit=$3 append=$4 initrd=$5 stall=${6:-0} qemu panicked='' t=0 why='' rc
	# the guest's ttyS1, a port the kernel does not print to: the init's
	# own lines (module-check.init), in ${log%.log}-init.log
	rm -f "${log%.log}-init.log"
	# under VKT_QEMU_ACCEL: QEMU is qemu/qemu-system-x86_64
	qemu-system-x86_64 -nodefaults -m 1024 -cpu max -smp 2 \
		-bios qboot.rom -kernel "$build/$(vkt_qemu_image x86_64)" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 $append" \
		-no-reboot -nographic -serial stdio -serial "file:${log%.log}-init.log" \
		< /dev/null > "$log" 2>&1 &
	qemu=$!
	while [ $t -lt "$limit" ] && kill -0 $qemu 2>/dev/null; do
		sleep 1
		t=$((t + 1))
		if [ -z "$panicked" ] && grep -q 'Kernel panic - not syncing' "$log"; then
			panicked=$SECONDS
			say "the guest panicked"
		fi
		if [ -n "$panicked" ] && [ $((SECONDS - panicked)) -ge 20 ]; then
			why="the guest panicked $((SECONDS - panicked)) s ago and did not end"
			break
		fi
		if [ "$stall" -gt 0 ] && [ $t -ge "$stall" ] && ! grep -q '# Subtest: ' "$log"; then
			why="the guest has not started KUnit in $stall s"
			break
		fi
	done
	if kill -0 $qemu 2>/dev/null; then
		kill $qemu
		wait $qemu || true
		rc=124
		[ -z "$panicked" ] || rc=125
		say "QEMU stopped: ${why:-the guest did not end within $limit s}"
	else
		wait $qemu && rc=0 || rc=$?
	fi
	# a guest whose init sent nothing there leaves no file
	[ -s "${log%.log}-init.log" ] || rm -f "${log%.log}-init.log"
	say "guest log: $log (QEMU exit status $rc)"
	return $rc
}

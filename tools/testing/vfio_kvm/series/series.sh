#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make series: the suites as mails against a pristine tree of the newest
# kernel the project supports, with what upstream still lacks of the fixes
# they test, and the checks upstream would make.
#
# Written by the user running it: author and Signed-off-by are git's
# user.name and user.email (the command refuses without them).  Two
# submissions, each to its maintainers (scripts/get_maintainer.pl):
#
#   OUT/tests/   the suites, with a cover letter whose base-commit and
#                prerequisite-patch-id lines name the tree they pass on:
#                the pristine tree with upstream's fix of the cdev second
#                bind, 258ba46543ab (linux-next), as the project models it
#                (patches/fixes/upstream-cdev-reject-second-open-KVER.patch),
#                which is not mailed: upstream has it
#   OUT/stable/  that fix backported to 6.12.y, which has the bug (so does
#                6.6.y, untested here), for stable@ once the fix is in
#                mainline, checked with git am on a pristine 6.12 tree
#                (patches/fixes/upstream-cdev-reject-second-open.patch; the
#                gate's upstream-cdev-fix line is the evidence its notes
#                quote): with UPSTREAM_PATCH=258ba46543ab's format-patch,
#                in the upstream commit's name; without, a draft
#
# The vendor-module bug has no fix here: the one the project tests with
# (patches/fixes/fix-pin-vendor-module*.patch) pins the module from inside
# kvm_destroy_vm(), which KVM reverted once already; upstream's fix is the
# 7.4 rework, where VFIO holds the VM's file (series/review.md).
#
# The checks (each a line of the report, "ok" or "not ok" with why): git am
# of the fix alone and of the whole onto the pristine tree, checkpatch
# --strict per patch, kernel-doc of the suites' files, each patch built on
# its own with W=1, sparse (C=2) over the suites, and kunit.py in the
# patched tree exactly as the KernelCI job of kernelci/kernelci-jobs.yaml
# runs it (SERIES_KUNIT=n skips that build: a cold kernel).  SERIES_ALLTESTS=y also runs kunit.py run
# --alltests under UML (a cold all-tests kernel, about 1,500 files), where
# nothing of the series is built: KUnit's all-tests config has neither
# VFIO nor KVM.
#
# Environment: KVER (default 7.3), KSRC=dir (a tree of your own, not
# written to: it is copied), OUT=dir (default ./series), CACHE, JOBS.
{
set -euo pipefail

# the runner's directory, above this one
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck disable=SC2034 # read by lib.sh: a setup error is counted
VKT_COUNTS=y
# shellcheck source=tools/testing/vfio_kvm/lib.sh
. "$here/lib.sh"
repo=$(cd "$here/../../.." && pwd)
KVER=${KVER:-7.3}
KSRC=${KSRC:-}
OUT=${OUT:-$repo/series}
SERIES_KUNIT=${SERIES_KUNIT:-y}
SERIES_ALLTESTS=${SERIES_ALLTESTS:-n}

name=$(git -C "$repo" config user.name || true)
email=$(git -C "$repo" config user.email || true)
[ -n "$name" ] && [ -n "$email" ] ||
	fail_setup "the series is signed off by you: set git config user.name and user.email"
export GIT_AUTHOR_NAME=$name GIT_AUTHOR_EMAIL=$email
export GIT_COMMITTER_NAME=$name GIT_COMMITTER_EMAIL=$email
# python3-ply: checkpatch runs scripts/spdxcheck.py
VKT_PACKAGES="$VKT_PACKAGES git sparse python3-ply"

# ---- the pristine tree: a git repository of its own, in the cache -------
if [ -n "$KSRC" ]; then
	vkt_install_deps ""
	src_desc="$KSRC"
	stamp=$(cd "$KSRC" && make -s kernelversion 2>/dev/null)-$(echo "$KSRC" | md5sum | cut -c1-8)
else
	vkt_known_kver "$KVER" || fail_setup "KVER=$KVER: not one of $VKT_KVERS"
	vkt_get_source "$KVER"
	src_desc="Debian linux-source-$KVER $(vkt_debian_version "$KVER")"
	stamp=$(vkt_debian_version "$KVER")
fi
# A pristine git tree of the sources $1 names (a kernel tree, or Debian's
# linux-source of KVER $2), described as $3, in the cache at $4; made once
# per stamp $5.
pristine_tree() {	# src kver desc dir stamp
	local src=$1 kver=$2 desc=$3 dir=$4 stamp=$5 tmp
	[ "$(cat "$dir/.git/vkt-source" 2>/dev/null)" != "$stamp" ] || return 0
	say "making a pristine git tree of $desc in $dir"
	rm -rf "$dir"
	mkdir -p "$CACHE/series"
	tmp=$(mktemp -d "$CACHE/series/.tree.XXXXXX")
	if [ -n "$src" ]; then
		rsync -a --exclude=.git "$src/" "$tmp/linux/"
	else
		tar -C "$tmp" -xf "$(vkt_source_tarball "$kver")"
		mv "$tmp/linux-source-$kver" "$tmp/linux"
	fi
	(cd "$tmp/linux" && git init -q && git add -A -f &&
	 GIT_AUTHOR_NAME=pristine GIT_AUTHOR_EMAIL=pristine@localhost \
	 GIT_COMMITTER_NAME=pristine GIT_COMMITTER_EMAIL=pristine@localhost \
	 git commit -q -m "$desc" && git tag vkt-pristine) ||
		fail_setup "cannot make a git tree of $desc"
	echo "$stamp" > "$tmp/linux/.git/vkt-source"
	mv "$tmp/linux" "$dir"
	rm -rf "$tmp"
}
git_tree="$CACHE/series/linux-$KVER"
pristine_tree "$KSRC" "$KVER" "$src_desc" "$git_tree" "$stamp"
g() { git -C "$git_tree" "$@"; }
g checkout -q -f -B vkt-series vkt-pristine
g clean -q -f -d -x

# ---- the commits ---------------------------------------------------------
commit() {	# message file or text on stdin; everything in the tree
	g add -A -f
	g commit -q -s -F -
}

# a fix's own message: its patch file's, from Subject: to the "---" below
# which the project's notes on it stand
fix_commit() {	# patch file
	patch -d "$git_tree" -p1 -F0 -s < "$1" ||
		fail_setup "${1##*/} does not apply to $src_desc"
	fix_message "$1" | commit
}
fix_message() {	# patch file: its message, from Subject: to the "---"
	sed -n '/^Subject: /,/^---$/p' "$1" | sed '1s/^Subject: \[PATCH\] //; $d'
}
fix_patch() {	# name: patches/fixes/NAME-KVER.patch, or NAME.patch
	if [ -f "$here/patches/fixes/$1-$KVER.patch" ]; then
		echo "$here/patches/fixes/$1-$KVER.patch"
	else
		echo "$here/patches/fixes/$1.patch"
	fi
}
# the base the suites pass on: upstream's cdev fix, as modelled here
fix_commit "$(fix_patch upstream-cdev-reject-second-open)"
base=$(g rev-parse HEAD)

# the suites, a patch for each line of series/suites.txt; every file of
# drivers/vfio/tests is in one of them
tests="$git_tree/drivers/vfio/tests"
mkdir -p "$tests"
in_series=$(grep -v '^#' "$here/series/suites.txt" | cut -f2- | tr ' \t' '\n\n' | sort)
unlisted=$(cd "$repo/drivers/vfio/tests" && ls -A | sort | comm -23 - <(echo "$in_series"))
[ -z "$unlisted" ] || fail_setup "series/suites.txt puts these in no patch: $(echo $unlisted)"
first=y
while IFS=$'\t' read -r msg files; do
	case "$msg" in '#'*|'') continue ;; esac
	for f in $files; do
		cp "$repo/drivers/vfio/tests/$f" "$tests/$f" ||
			fail_setup "series/suites.txt: no drivers/vfio/tests/$f"
	done
	cp "$repo/drivers/vfio/tests/Makefile" "$tests/Makefile"
	python3 "$here/series/edit.py" "$git_tree" tests-makefile "$name" "$email"
	if [ $first = y ]; then
		python3 "$here/series/edit.py" "$git_tree" vfio-tests "$name" "$email"
		first=n
	fi
	commit < "$here/series/$msg"
done < "$here/series/suites.txt"

# To: the maintainers of what a patch touches in tree $1, Cc: its
# reviewers and lists
mail_args() {	# tree patch-file...: --to/--cc arguments for git format-patch
	local who tree=$1
	shift
	who=$(cd "$tree" && perl scripts/get_maintainer.pl --no-git --no-git-fallback \
		--roles "$@" 2>/dev/null | grep -vF "<$email>") || true
	# the address ends at its ">", or a bare list's at the first blank:
	# the role after it may hold parentheses of its own, "(KUnit))"
	echo "$who" | grep '(maintainer:' | sed -n -e 's/^\(.*>\) (.*/--to=\1/p'
	echo "$who" | grep -v '(maintainer:' |
		sed -n -e 's/^\(.*>\) (.*/--cc=\1/p' -e t -e 's/^\([^ ]*\) (.*/--cc=\1/p'
}

rm -rf "$OUT"
mkdir -p "$OUT/stable" "$OUT/tests" "$OUT/kunit"
g format-patch -q --cover-letter --base=vkt-pristine -o "$OUT/tests" "$base"..vkt-series
mapfile -t args < <(mail_args "$git_tree" "$OUT/tests"/0[0-9][0-9][1-9]-*.patch)
# who else the suites concern, whom get_maintainer.pl does not name for
# drivers/vfio/tests/: the cdev and iommufd paths, KVM (the kvm-vfio
# device, debugfs), the s390 drivers the mocks model, and KUnit
args+=(--cc="Jason Gunthorpe <jgg@nvidia.com>" --cc="Kevin Tian <kevin.tian@intel.com>"
       --cc="Yi Liu <yi.l.liu@intel.com>" --cc="Paolo Bonzini <pbonzini@redhat.com>"
       --cc="Sean Christopherson <seanjc@google.com>"
       --cc="Matthew Rosato <mjrosato@linux.ibm.com>"
       --cc="Tony Krowiak <akrowiak@linux.ibm.com>"
       --cc=kunit-dev@googlegroups.com --cc=linux-kselftest@vger.kernel.org)
rm -f "$OUT/tests"/*.patch
g format-patch -q --cover-letter --base=vkt-pristine -o "$OUT/tests" "${args[@]}" \
	"$base"..vkt-series
python3 "$here/series/cover.py" "$OUT"/tests/0000-cover-letter.patch "$here/series/cover-letter.txt" \
	"$src_desc"

# The stable backport of upstream's cdev fix to 6.12.y, for once it is in
# mainline.  The stable rules keep the upstream commit's author and
# message: given UPSTREAM_PATCH (258ba46543ab as git format-patch writes
# it), the mail is that commit's authorship and message, with "[ Upstream
# commit ... ]" and the backport's note, over the diff tested here;
# without it, only a draft with the project's own message is written, and
# the report says so.  The tests run on 6.12 are the notes below "---".
stable_kver=6.12
stable_commit=258ba46543abdd36844f04bba8b4022a5731d873
stable_patch="$here/patches/fixes/upstream-cdev-reject-second-open.patch"
vkt_get_source "$stable_kver"
stable_desc="Debian linux-source-$stable_kver $(vkt_debian_version "$stable_kver")"
stable_tree="$CACHE/series/linux-$stable_kver"
[ "$stable_tree" != "$git_tree" ] ||
	fail_setup "KVER=$stable_kver: the stable backport is made on that tree; use another KVER"
pristine_tree "" "$stable_kver" "$stable_desc" "$stable_tree" "$(vkt_debian_version "$stable_kver")"
gs() { git -C "$stable_tree" "$@"; }
gs checkout -q -f -B vkt-stable vkt-pristine
gs clean -q -f -d -x
patch -d "$stable_tree" -p1 -F0 -s < "$stable_patch" ||
	fail_setup "${stable_patch##*/} does not apply to $stable_desc"
gs add -A -f
stable_prefix="PATCH $stable_kver.y"
if [ -n "${UPSTREAM_PATCH:-}" ]; then
	[ -f "$UPSTREAM_PATCH" ] || fail_setup "UPSTREAM_PATCH: no such file: $UPSTREAM_PATCH"
	grep -q "^From $stable_commit " "$UPSTREAM_PATCH" ||
		fail_setup "UPSTREAM_PATCH is not commit $stable_commit"
	{
		fix_message "$UPSTREAM_PATCH" | sed -n '1p'
		echo
		echo "[ Upstream commit $stable_commit ]"
		fix_message "$UPSTREAM_PATCH" | sed '1,2d'
		echo
		sed -n '/^\[ Backport: /,/ \]$/p' "$stable_patch"
	} | gs commit -q -s --author="$(sed -n 's/^From: //p' "$UPSTREAM_PATCH" | sed -n 1p)" -F -
	stable_check="ok:the upstream commit's authorship and message, with the backport's note"
else
	fix_message "$stable_patch" | gs commit -q -s -F -
	stable_prefix="DRAFT $stable_prefix"
	stable_check="skip:a draft with the project's own message: the stable rules want ${stable_commit:0:12}'s own (UPSTREAM_PATCH=its git format-patch)"
fi
awk '/^---$/ && !f { f = 1; next } f && (/^ .*\| +[0-9]/ || /^diff --git/) { exit } f' "$stable_patch" |
	gs notes add -f -F - HEAD
mapfile -t args < <(mail_args "$git_tree" "$stable_patch" | sed 's/^--to=/--cc=/')
gs format-patch -q -1 --notes -o "$OUT/stable" --subject-prefix="$stable_prefix" \
	--to=stable@vger.kernel.org "${args[@]}"

# KUnit's fix for a case stuck past its timeout, a mail of its own to the
# KUnit maintainers: the suites need no part of it, and bound their own
# waits on kernels without it
kunit_patch="$here/patches/kunit/0001-kunit-dont-hang-the-run-on-a-test-thread-that-cannot-stop.patch"
g checkout -q -f -B vkt-kunit vkt-pristine
patch -d "$git_tree" -p1 -F0 -s < "$kunit_patch" ||
	fail_setup "${kunit_patch##*/} does not apply to $src_desc"
fix_commit_here() { g add -A -f; fix_message "$1" | g commit -q -s -F -; }
fix_commit_here "$kunit_patch"
awk '/^---$/ && !f { f = 1; next } f && (/^ .*\| +[0-9]/ || /^diff --git/) { exit } f' "$kunit_patch" |
	g notes add -f -F - HEAD
mapfile -t args < <(mail_args "$git_tree" "$kunit_patch")
# KUnit's patches go through the kselftest tree, whose maintainer
# get_maintainer.pl does not name for lib/kunit
args+=(--cc="Shuah Khan <skhan@linuxfoundation.org>")
g format-patch -q -1 --notes -o "$OUT/kunit" "${args[@]}"
g checkout -q -f vkt-series

# the vendor-module bug the suites' overlay shows: a report of its own, to
# kvm@, not an aside of the series
mkdir -p "$OUT/kvm-report"
cp "$here/series/kvm-vendor-module-report.txt" "$OUT/kvm-report/"

mails=("$OUT"/kunit/*.patch "$OUT"/stable/*.patch "$OUT"/tests/0[0-9][0-9][1-9]-*.patch)
say "wrote $(ls "$OUT"/*/*.patch | wc -l) mails to $OUT (kunit/, stable/, tests/)"

# ---- the checks ----------------------------------------------------------
report="$OUT/report.txt"
: > "$report"
passed=0 failed=0 skipped=0
check() {	# check NAME ok|fail|skip DETAIL
	if [ "$2" = ok ]; then
		passed=$((passed + 1)); echo "ok     $1: $3" >> "$report"
	elif [ "$2" = skip ]; then
		skipped=$((skipped + 1)); echo "skip   $1: $3" >> "$report"
	else
		failed=$((failed + 1)); echo "not ok $1: $3" >> "$report"
	fi
	say "$(tail -1 "$report")"
}

check "stable mail form" "${stable_check%%:*}" "${stable_check#*:}"
# a sign-off certifies the DCO: a person's name and an address that works
case $email in
*.example|*@localhost|*noreply*) check "sign-off" fail "$name <$email> is no person's address: set git config user.name and user.email before mailing" ;;
*) check "sign-off" ok "$name <$email>" ;;
esac
# git am of mails onto a base must give the branch they were made from
am_check() {	# name, git function (g|gs), base, branch, log, what ok says, mails...
	local name=$1 git=$2 base=$3 branch=$4 log=$5 says=$6
	shift 6
	$git checkout -q -f -B vkt-am "$base"
	if $git am -q "$@" > "$log" 2>&1 && $git diff --quiet "$branch" vkt-am; then
		check "$name" ok "$says"
	else
		$git am --abort > /dev/null 2>&1 || true
		check "$name" fail "see $log"
	fi
}
# KUnit's fix applies alone to the pristine tree; the backport to the
# stable tree; the suites, on the pristine tree with upstream's fix: each
# gives the tree it was made from
am_check "git am kunit" g vkt-pristine vkt-kunit "$OUT/kunit/am.log" \
	"$(basename "$OUT"/kunit/*.patch) applies alone to $src_desc" "$OUT"/kunit/*.patch
am_check "git am stable" gs vkt-pristine vkt-stable "$OUT/stable/am.log" \
	"$(basename "$OUT"/stable/*.patch) applies to $stable_desc" "$OUT"/stable/*.patch
am_check "git am" g "$base" vkt-series "$OUT/am.log" \
	"the $(ls "$OUT"/tests/0[0-9][0-9][1-9]-*.patch | wc -l) patches of the suites apply to $src_desc with upstream's cdev fix and give the tree they were made from" \
	"$OUT"/tests/0[0-9][0-9][1-9]-*.patch
if grep -q '^base-commit: ' "$OUT/tests/0000-cover-letter.patch" &&
   [ "$(grep -c '^prerequisite-patch-id: ' "$OUT/tests/0000-cover-letter.patch")" = 1 ]; then
	check "cover letter base" ok "base-commit, and upstream's cdev fix as modelled here as prerequisite-patch-id"
else
	check "cover letter base" fail "no base-commit, or not 1 prerequisite-patch-id line"
fi

# checkpatch --strict: no error, no warning, no check.  The pristine
# tree has no upstream history: commit ids (Fixes:) cannot be looked up in
# it, and are named in the report instead.
# A patch that adds files without touching MAINTAINERS makes checkpatch
# ask whether MAINTAINERS needs updating (FILE_PATH_CHANGES): the answer
# is looked up, and the question dropped only when it is no, every file
# the patch adds being one get_maintainer.pl gives VFIO DRIVER's section
# (F: drivers/vfio/).
covered() {	# patch file: whether it adds files, each VFIO DRIVER's
	local f added
	added=$(awk '/^diff --git /{f=$4} /^new file mode/{print substr(f, 3)}' "$1")
	[ -n "$added" ] || return 1
	for f in $added; do
		(cd "$git_tree" && perl scripts/get_maintainer.pl --no-git --no-git-fallback \
			--sections -f "$f" 2>/dev/null) | grep -qxF 'VFIO DRIVER' || return 1
	done
}
for p in "${mails[@]}"; do
	log="${p%.patch}.checkpatch"
	ignore=UNKNOWN_COMMIT_ID
	if ! grep -q '^+++ b/MAINTAINERS$' "$p" && covered "$p"; then
		ignore+=,FILE_PATH_CHANGES
		echo "note   ${p#"$OUT"/}: FILE_PATH_CHANGES (checkpatch's question) answered: every file it adds is VFIO DRIVER's (F: drivers/vfio/)" >> "$report"
	fi
	# Debian's python3, which has python3-ply, before any other in PATH
	(cd "$git_tree" && PATH=/usr/bin:$PATH perl scripts/checkpatch.pl --strict --no-color --show-types \
		--ignore "$ignore" "$p") > "$log" 2>&1 || true
	sum=$(grep -E '^total: ' "$log" | tail -1 || true)
	e=$(sed -n 's/.*total: \([0-9]*\) errors.*/\1/p' "$log")
	w=$(sed -n 's/.* \([0-9]*\) warnings.*/\1/p' "$log")
	c=$(sed -n 's/.* \([0-9]*\) checks.*/\1/p' "$log")
	if [ "${e:-1}" = 0 ] && [ "${w:-1}" = 0 ] && [ "${c:-1}" = 0 ]; then
		check "checkpatch --strict ${p#"$OUT"/}" ok "$sum"
	else
		check "checkpatch --strict ${p#"$OUT"/}" fail "$sum (${log#"$OUT"/})"
	fi
done

ids=$(grep -ho '^Fixes: [0-9a-f]\{12\} ("[^"]*")' "${mails[@]}" | sed 's/^Fixes: //' || true)
[ -z "$ids" ] || echo "note   commit ids not looked up (no upstream history here): $ids" >> "$report"

# kernel-doc of the suites' files
kd_log="$OUT/kernel-doc.log"
kd_files=$(cd "$git_tree" && echo drivers/vfio/tests/*.[ch])
# shellcheck disable=SC2086
(cd "$git_tree" && perl scripts/kernel-doc -none -Wall $kd_files) > "$kd_log" 2>&1 || true
if [ -s "$kd_log" ]; then
	check "kernel-doc" fail "$(grep -c . "$kd_log") lines (${kd_log##*/})"
else
	check "kernel-doc" ok "$kd_files: nothing reported"
fi

# each patch builds on its own, with W=1: the directories it touches, in
# the configuration of the suites' .kunitconfig
build="$CACHE/series/build-$KVER"
mkdir -p "$build"
kmake() { make -C "$git_tree" O="$build" ARCH=x86_64 -j"$JOBS" CC="ccache gcc" "$@"; }
export CCACHE_DIR="$CACHE/ccache"
g checkout -q -f vkt-series
(cd "$git_tree" && python3 tools/testing/kunit/kunit.py config --arch=x86_64 \
	--build_dir="$build" --kunitconfig=drivers/vfio/tests) > "$OUT/config.log" 2>&1 ||
	fail_setup "kunit.py config failed: $OUT/config.log"
cp "$build/.config" "$build/.config.series"
for c in $(g rev-parse vkt-kunit) $(g rev-list --reverse "$base"..vkt-series); do
	# the mail's name: kunit/0001, tests/0001 ...
	mail=$(grep -l "^From $c " "${mails[@]}")
	i=$(basename "$(dirname "$mail")")/$(basename "$mail" | cut -d- -f1)
	g checkout -q -f "$c"
	files=$(g diff --name-only "$c^" "$c" | grep -E '\.[ch]$')
	dirs=$(echo "$files" | xargs -r -n1 dirname | grep -v '^include' |
	       sort -u | sed 's|$|/|')
	log="$OUT/build-${i//\//-}.log"
	# the configuration of the whole series, less what this patch lacks
	cp "$build/.config.series" "$build/.config"
	if kmake olddefconfig > "$log" 2>&1 && kmake W=1 $dirs >> "$log" 2>&1; then
		# new warnings: those in the files the patch touches
		nw=$(grep 'warning:' "$log" | grep -cF "$files" || true)
		if [ "$nw" = 0 ]; then
			check "build patch $i (W=1)" ok "$(echo $dirs): no warning in $(echo "$files" | wc -l) files it touches"
		else
			check "build patch $i (W=1)" fail "$nw warnings (${log##*/})"
		fi
	else
		check "build patch $i (W=1)" fail "build failed (${log##*/})"
	fi
done

# sparse over the series' files.  Since 7.x, scripts/checker-valid.sh
# refuses a sparse without __typeof_unqual__, as Debian's 0.6.4 is (no
# release has a newer one); it runs with that read as __typeof__, which
# only changes what percpu accessors strip.  It then says "bad constant
# expression" at every MODULE_*() and module_param*() line, KUnit's own
# lib/kunit/test.c alike: those are counted apart, anything else fails.
sp_log="$OUT/sparse.log"
sp_how=""
kmake C=2 drivers/vfio/tests/ lib/kunit/ > "$sp_log" 2>&1 || true
if grep -q 'C=2 specified, but .* is not available or not up to date' "$sp_log"; then
	sp_how=", __typeof_unqual__ read as __typeof__"
	kmake C=2 CHECK="sparse -D__typeof_unqual__=__typeof__" drivers/vfio/tests/ lib/kunit/ > "$sp_log" 2>&1 || true
fi
ours='drivers/vfio/tests/'
sp_all=$(grep -E "^[^ ]*${ours}[^ :]*:[0-9]+:[0-9]+: (warning|error):" "$sp_log" || true)
sp_tool=0 sp_real=0
while IFS=: read -r file line _ _ msg; do
	[ -n "$file" ] || continue
	if [ "$msg" = " bad constant expression" ] &&
	   sed -n "${line}p" "$file" | grep -qE '^(MODULE_[A-Z_]+|module_param[a-z_]*)\('; then
		sp_tool=$((sp_tool + 1))
	else
		sp_real=$((sp_real + 1))
	fi
done <<< "$sp_all"
sp_ver="$(sparse --version 2>/dev/null)$sp_how"
if ! grep -q '  CHECK ' "$sp_log"; then
	check "sparse (C=2)" fail "sparse ($sp_ver) checked nothing (${sp_log##*/})"
elif [ "$sp_real" = 0 ]; then
	check "sparse (C=2)" ok "sparse $sp_ver, $(grep -c '  CHECK ' "$sp_log") files: nothing in the series' files but $sp_tool \"bad constant expression\" at MODULE_*()/module_param*() lines, which it says of KUnit's own files too ($(grep -cE 'lib/kunit/(test|executor)\.c:.*bad constant expression' "$sp_log" || true) in test.c and executor.c)"
else
	check "sparse (C=2)" fail "$sp_real reports in the series' files (${sp_log##*/})"
fi

# kunit.py in the patched tree, as the KernelCI job of
# kernelci/kernelci-jobs.yaml runs it: kunit.jinja2's three steps with the
# job's args (here with a build directory of the cache and ccache, which
# change nothing that is built or run)
if [ "$SERIES_KUNIT" = y ]; then
	kunit_log="$OUT/kunit.log"
	job_args=$(sed -n 's/^ *args: //p' "$here/kernelci/kernelci-jobs.yaml")
	[ -n "$job_args" ] || fail_setup "kernelci/kernelci-jobs.yaml names no args"
	local_args="--build_dir=$build --make_options='CC=ccache gcc'"
	say "kunit.py config, build, exec as the KernelCI job: $job_args (a cold kernel: minutes)"
	rm -f "$OUT/kunit.json"
	(cd "$git_tree" &&
	 eval "python3 tools/testing/kunit/kunit.py config $job_args --arch=x86_64 $local_args" &&
	 eval "python3 tools/testing/kunit/kunit.py build --jobs=$JOBS $job_args --arch=x86_64 $local_args" &&
	 eval "python3 tools/testing/kunit/kunit.py exec --json=$OUT/kunit.json $job_args --arch=x86_64 $local_args") \
		> "$kunit_log" 2>&1 || true
	# the verdict is the suites' own results, not kunit.py's exit status:
	# every case of the series' suites present, as their sources in the
	# tree define them (vkt_suites), none failed, none skipped; how many
	# results the parameters give is kunit.json's own count
	vkt_suites cases "$tests"/*.c > "$OUT/kunit-cases.txt" ||
		fail_setup "cannot read the suites' sources in $tests"
	verdict=$(python3 "$here/series/kunit_verdict.py" "$OUT/kunit.json" vfio_kvm "$OUT/kunit-cases.txt")
	check "kunit.py config/build/exec (KernelCI job)" "${verdict%% *}" "${verdict#* } (${kunit_log##*/})"

fi
# kunit.py run --alltests (KUnit's all_tests.config, UML) still builds
# and passes with the series, on request: the series adds nothing that
# config builds (it has neither VFIO nor KVM)
if [ "$SERIES_ALLTESTS" = y ]; then
	all_log="$OUT/kunit-alltests.log"
	say "kunit.py run --alltests (UML; cold: about 1,500 files)"
	all_ok=y
	(cd "$git_tree" && python3 tools/testing/kunit/kunit.py run --alltests \
		--build_dir="$CACHE/series/alltests-$KVER" --timeout=1800 \
		--make_options=CC="ccache gcc" --jobs="$JOBS") > "$all_log" 2>&1 || all_ok=n
	all_sum=$(grep -oE 'Ran [0-9]+ tests: .*' "$all_log" | tail -1 || true)
	if [ "$all_ok" = y ] && [ -n "$all_sum" ] && ! echo "$all_sum" | grep -q 'failed'; then
		check "kunit.py run --alltests" ok "$all_sum, $(find "$CACHE/series/alltests-$KVER" -name '*.o' | wc -l) objects (${all_log##*/})"
	else
		check "kunit.py run --alltests" fail "${all_sum:-no result} (${all_log##*/})"
	fi
else
	check "kunit.py run --alltests" skip "KUnit's all-tests config builds nothing of the series (no VFIO, no KVM): SERIES_ALLTESTS=y runs it anyway"
fi
g checkout -q -f vkt-series
python3 "$here/series/cover.py" "$OUT"/tests/0000-cover-letter.patch "$here/series/cover-letter.txt" \
	"$src_desc" "$report" "$OUT"/*/*.checkpatch

echo "series: $OUT ($(ls "$OUT"/*/*.patch | wc -l) mails), report: $report"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
exit
}

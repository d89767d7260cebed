#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make kernelci: the KernelCI job of the suites, run with KernelCI's own
# code, from checkouts of KernelCI's repositories given by path:
#
#   make kernelci KERNELCI_PIPELINE=dir KERNELCI_CORE=dir KERNELCI_DASHBOARD=dir
#
# (github.com/kernelci/kernelci-pipeline, kernelci-core and dashboard).
# Nothing of them is kept in this repository: the changes KernelCI would
# need are patches in patches/ (git format-patch, one directory per
# repository), applied to copies of the checkouts in the work directory.
#
#  1. the pipeline's validator (tests/validate_yaml.py) on its config/ with
#     the job; kernelci-core's sort check and strict loader
#     (kernelci.config.load) on the same; the template fix's unit test;
#  2. a stand-in of KernelCI's API and storage on 127.0.0.1 (kci_standin.py)
#     that records every node and upload; kci_local.py, with kernelci-core
#     and the pipeline's scheduler, creates the checkout node and the job
#     node as the scheduler does (the job's rules evaluated by
#     kernelci-core) and renders the job with the Kubernetes runtime's
#     generate() and KernelCI's templates; the Python script of the
#     rendered Kubernetes Job is then run here (kunit.py config, build,
#     exec and the submission of the results to the stand-in);
#  3. that on a 7.3.4 tree with the suites and upstream's cdev fix, then on
#     the same tree patched to panic mid-run, with the pipeline as it is and
#     with the template fix;
#  4. the report ($KERNELCI_WORK/report.txt): the nodes as KernelCI would
#     store them, their KCIDB paths and statuses (the pipeline's
#     send_kcidb), the dashboard subscription that mails them, and the
#     job's cost.
#
# Settings: KERNELCI_WORK (default $CACHE/kernelci: trees, copies, runs),
# CCACHE_DIR (default $CACHE/ccache-kernelci; an empty one gives the cold
# cost), KERNELCI_TARBALL (Debian's linux-source-7.3.tar.xz, as the runner
# downloads it), KERNELCI_RUNS (default "series crash-unfixed crash").
# Python: Debian 12's python3 and its packages only (see need_debs).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
vkt=$(dirname "$here")
repo=$(cd "$vkt/../../.." && pwd)
CACHE=${CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vfio-kvm-kunit}
WORK=${KERNELCI_WORK:-$CACHE/kernelci}
export CCACHE_DIR=${CCACHE_DIR:-$CACHE/ccache-kernelci}
TARBALL=${KERNELCI_TARBALL:-$CACHE/debs/trixie-backports/linux-source-7.3.tar.xz}
RUNS=${KERNELCI_RUNS:-series crash-unfixed crash}
PY=/usr/bin/python3
t0=$(date +%s)

say() { printf '[kernelci %5ds] %s\n' $(($(date +%s) - t0)) "$*"; }
die() { echo "kernelci.sh: error: $*" >&2; exit 2; }

usage() {
	cat >&2 <<EOF
make kernelci needs checkouts of KernelCI's repositories, by path:

  make kernelci KERNELCI_PIPELINE=DIR KERNELCI_CORE=DIR KERNELCI_DASHBOARD=DIR

  KERNELCI_PIPELINE   https://github.com/kernelci/kernelci-pipeline
  KERNELCI_CORE       https://github.com/kernelci/kernelci-core
  KERNELCI_DASHBOARD  https://github.com/kernelci/dashboard

and Debian's packages $(need_debs | tr '\n' ' ')
EOF
	exit 2
}

need_debs() {
	printf '%s\n' python3-yaml python3-jinja2 python3-requests python3-toml \
		python3-pydantic python3-kubernetes python3-pyelftools qemu-system-x86 ccache gcc make \
		flex bison bc libelf-dev libssl-dev patch
}

check_setup() {
	local v d missing=()
	for v in KERNELCI_PIPELINE KERNELCI_CORE KERNELCI_DASHBOARD; do
		d=${!v:-}
		[ -n "$d" ] || usage
		[ -d "$d" ] || die "$v=$d is not a directory"
	done
	[ -f "$KERNELCI_PIPELINE/tests/validate_yaml.py" ] ||
		die "KERNELCI_PIPELINE=$KERNELCI_PIPELINE has no tests/validate_yaml.py"
	[ -f "$KERNELCI_CORE/kernelci/runtime/kubernetes.py" ] ||
		die "KERNELCI_CORE=$KERNELCI_CORE has no kernelci/runtime/kubernetes.py"
	[ -d "$KERNELCI_DASHBOARD/backend/data/notifications/subscriptions" ] ||
		die "KERNELCI_DASHBOARD=$KERNELCI_DASHBOARD has no backend/data/notifications/subscriptions"
	for d in $(need_debs); do
		dpkg-query -W -f='${Status}' "$d" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$d")
	done
	[ ${#missing[@]} = 0 ] ||
		die "missing Debian packages (apt-get install ${missing[*]})"
	[ -f "$TARBALL" ] ||
		die "no $TARBALL (Debian's linux-source-7.3 from trixie-backports: make test-7.3 downloads it, or set KERNELCI_TARBALL)"
}

# The trees: Debian's pristine 7.3.4 source, with the suites as they are in
# this checkout (drivers/vfio/tests/, hooked as the series hooks them) and
# upstream's cdev fix; "crash" is that tree patched to panic mid-run.  Each
# is served to the job as KernelCI's tarball service serves a checkout: a
# .tar.gz of one directory named as the tarball.
tree_name() { echo "linux-7.3.4-vkt-$1"; }

make_tree() {
	local kind=$1 name dir stamp sum
	name=$(tree_name "$kind")
	dir=$WORK/trees/$name
	sum=$( (cd "$repo" && find drivers/vfio/tests -type f -print0 | sort -z |
		xargs -0 sha1sum; sha1sum "$vkt/patches/fixes/upstream-cdev-reject-second-open-7.3.patch" \
		"$vkt/patches/broken/panic-mid-run.patch"; ls -l "$TARBALL") | sha1sum | cut -c1-12)
	stamp="$kind $sum"
	if [ -f "$WORK/serve/$name.tar.gz" ] && [ "$(cat "$dir.stamp" 2>/dev/null)" = "$stamp" ]; then
		say "tree $name: as before ($sum)"
		return
	fi
	say "tree $name: Debian's 7.3.4, the suites, upstream's cdev fix$([ "$kind" = series ] || echo ", panic mid-run")"
	rm -rf "$dir" "$dir.tmp" "$dir.stamp"
	mkdir -p "$dir.tmp" "$WORK/serve"
	tar -xJf "$TARBALL" -C "$dir.tmp"
	mv "$dir.tmp/linux-source-7.3" "$dir"
	rmdir "$dir.tmp"
	cp -r "$repo/drivers/vfio/tests" "$dir/drivers/vfio/tests"
	echo 'source "drivers/vfio/tests/Kconfig"' >> "$dir/drivers/vfio/Kconfig"
	echo 'obj-y += tests/' >> "$dir/drivers/vfio/Makefile"
	patch -d "$dir" -p1 -N -F0 -s < "$vkt/patches/fixes/upstream-cdev-reject-second-open-7.3.patch"
	if [ "$kind" = crash ]; then
		# written for 6.12; applies to 7.3.4 as it is (offset 36 lines)
		patch -d "$dir" -p1 -N -F0 -s < "$vkt/patches/broken/panic-mid-run.patch"
	fi
	tar -C "$WORK/trees" -cf - "$name" | gzip -1 > "$WORK/serve/$name.tar.gz.tmp"
	mv "$WORK/serve/$name.tar.gz.tmp" "$WORK/serve/$name.tar.gz"
	echo "$stamp" > "$dir.stamp"
}

# A copy of each KernelCI checkout with the patches of patches/: "fixed"
# with all of them, "unfixed" without the template fix (the pipeline as it
# is, with the job only).
make_copies() {
	local variant=$1 src dst p
	for src in "$KERNELCI_PIPELINE:kernelci-pipeline" "$KERNELCI_CORE:kernelci-core" \
		"$KERNELCI_DASHBOARD:dashboard"; do
		dst=$WORK/kci/$variant/${src##*:}
		rm -rf "$dst"
		mkdir -p "$dst"
		tar -C "${src%:*}" --exclude=.git -cf - . | tar -C "$dst" -xf -
		for p in "$here/patches/${src##*:}"/*.patch; do
			[ -f "$p" ] || continue
			if [ "$variant" = unfixed ] &&
			   grep -q '^Subject: .*kunit.jinja2: map KUnit ERROR' "$p"; then
				continue
			fi
			patch -d "$dst" -p1 -N -F0 -s < "$p" ||
				die "${p#"$repo"/} does not apply to ${src%:*}"
		done
	done
}

# The job in kernelci-jobs.yaml is the job the pipeline patch adds.
check_job_text() {
	local patch=$here/patches/kernelci-pipeline/0002-config-jobs-add-kunit-vfio-kvm-x86_64.patch
	diff <(sed -n '/^jobs:$/,/^scheduler:$/p' "$here/kernelci-jobs.yaml" | sed '1d;$d;/^$/d') \
		<(sed -n '/^+++ b\/config\/jobs.yaml/,/^diff /p' "$patch" | sed -n 's/^+//p' | sed '1d;/^$/d') >&2 ||
		die "kernelci-jobs.yaml and ${patch##*/} differ in the job"
}

# Debian's python3 in the copy of the pipeline of variant $1, with
# kernelci-core's package and templates of the same variant
pipeline_py() {
	local variant=$1
	shift
	(cd "$WORK/kci/$variant/kernelci-pipeline" &&
	 PYTHONPATH=$WORK/kci/$variant/kernelci-core \
	 KCI_CORE_TEMPLATES=$WORK/kci/$variant/kernelci-core/config/runtime \
	 KCI_DASHBOARD_SUBSCRIPTIONS=$WORK/kci/$variant/dashboard/backend/data/notifications/subscriptions \
	 KCI_LOCAL_CONFIG=$WORK/kci/local.yaml \
	 "$PY" "$@")
}

standin_pid=
stop_standin() {
	if [ -n "$standin_pid" ]; then
		kill "$standin_pid" 2>/dev/null || true
		wait "$standin_pid" 2>/dev/null || true
		standin_pid=
	fi
}
trap stop_standin EXIT

# One run: a stand-in for this run alone, a checkout node of the tree on
# it, and the scheduler's path from the checkout event to the job's
# results.  The tree is 7.3.4 with the suites: the run lowers the job's
# min_version (7.5, the release that would merge them) to 7.3, and says so.
run_job() {	# name, pipeline variant, tree kind
	local name=$1 variant=$2 kind=$3 out port s0
	out=$WORK/runs/$name
	rm -rf "$out"
	mkdir -p "$out/state"
	"$PY" "$here/kci_standin.py" "$out/port" "$out/state" "$WORK/serve" &
	standin_pid=$!
	for _ in $(seq 50); do [ -s "$out/port" ] && break; sleep 0.1; done
	[ -s "$out/port" ] || die "the API stand-in did not start"
	port=$(cat "$out/port")
	printf '%s\n' "api:" "  standin:" "    url: http://127.0.0.1:$port" \
		"storage:" "  standin:" "    storage_type: backend" \
		"    base_url: http://127.0.0.1:$port/storage/" \
		"    api_url: http://127.0.0.1:$port/" > "$WORK/kci/local.yaml"
	say "run $name: the job on a checkout of $(tree_name "$kind") (pipeline: $variant; API stand-in on 127.0.0.1:$port)"
	s0=$(date +%s)
	ccache -z > /dev/null
	# the runner's QEMU first in PATH (TCG whatever kunit.py asks: this
	# host's /dev/kvm cannot run "-cpu max", and KernelCI's runners have
	# no /dev/kvm), ccache's gcc next (the job is unchanged), Debian's
	# python3 next; nothing but 127.0.0.1 is called
	PATH="$vkt/qemu:/usr/lib/ccache:/usr/bin:$PATH" NO_PROXY=127.0.0.1 \
	no_proxy=127.0.0.1 KCI_LOCAL_MIN_VERSION=7.3 \
		nice -n 19 "$BASH" -c "$(declare -f pipeline_py)
			WORK=\$1 PY=\$2 pipeline_py \"\${@:3}\"" _ "$WORK" "$PY" "$variant" \
		"$here/kci_local.py" run "$out" "http://127.0.0.1:$port" \
		"http://127.0.0.1:$port/tarball/$(tree_name "$kind").tar.gz" \
		mainline master 7.3.4 > "$out/run.log" 2>&1 || true
	echo "$(($(date +%s) - s0))" > "$out/seconds"
	ccache -s > "$out/ccache.txt"
	stop_standin
	say "run $name: $(cat "$out/seconds") s, $(cat "$out/state/requests.jsonl" 2>/dev/null | wc -l) requests to the stand-in ($out)"
}

bad=()
check_setup
mkdir -p "$WORK/kci" "$CCACHE_DIR"
check_job_text
make_tree series
make_tree crash
make_copies fixed
make_copies unfixed
: > "$WORK/kci/local.yaml"
say "KernelCI's checks of the configuration"
{
	echo "== kernelci-pipeline tests/validate_yaml.py on config/ with the job"
	(cd "$WORK/kci/fixed/kernelci-pipeline" && "$PY" tests/validate_yaml.py) |
		grep -v '^Merging\|^Warning' | sed 's/^/   /' || bad+=(validate_yaml.py)
	echo "== kernelci-core on the pipeline's config/ with the job"
	pipeline_py fixed "$here/kci_local.py" validate | sed 's/^/   /' ||
		bad+=("kernelci-core's checks")
	echo "== the job's rules (kernelci-core's Scheduler and APIHelper.should_create_node), by checkout"
	pipeline_py fixed "$here/kci_local.py" rules || bad+=("the rules")
	echo "== the template fix's test, tests/test_kunit_template.py (python3 -m unittest)"
	echo "   with the fix:    $(pipeline_py fixed -m unittest discover -s tests -p test_kunit_template.py 2>&1 | tail -1)"
	cp "$WORK/kci/fixed/kernelci-pipeline/tests/test_kunit_template.py" \
		"$WORK/kci/unfixed/kernelci-pipeline/tests/"
	unfixed=$(pipeline_py unfixed -m unittest discover -s tests -p test_kunit_template.py 2>&1 || true)
	echo "   without the fix: $(echo "$unfixed" | tail -1), $(echo "$unfixed" | grep -o "KeyError: '[A-Z]*'" | sort -u | paste -sd' ')"
	rm "$WORK/kci/unfixed/kernelci-pipeline/tests/test_kunit_template.py"
} > "$WORK/checks.txt" 2>&1
cat "$WORK/checks.txt"
for run in $RUNS; do
	case $run in
	series) run_job series fixed series ;;
	series-unfixed) run_job series-unfixed unfixed series ;;
	crash) run_job crash fixed crash ;;
	crash-unfixed) run_job crash-unfixed unfixed crash ;;
	*) die "KERNELCI_RUNS: no run '$run'" ;;
	esac
done
: > "$WORK/kci/local.yaml"
outs=()
for run in $RUNS; do outs+=("$WORK/runs/$run"); done
{
	echo "== the nodes KernelCI would store, by run"
	pipeline_py fixed "$here/kci_local.py" report "${outs[@]}" || bad+=("the runs' results")
	echo "== the job's cost"
	"$PY" "$here/kci_cost.py" "${outs[@]}" || true
} > "$WORK/runs.txt" 2>&1
cat "$WORK/checks.txt" "$WORK/runs.txt" > "$WORK/report.txt"
cat "$WORK/runs.txt"
say "report: $WORK/report.txt"
if [ ${#bad[@]} != 0 ]; then
	echo "kernelci.sh: failed: ${bad[*]}" >&2
	exit 1
fi

# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The shell library of the runner's scripts, sourced by each of them first:
# the preamble (the cache, the jobs, progress lines, the one-line setup
# error), the checks of the settings several scripts take, and the kernel
# trees (kernel.sh).  A script that is counted (its last line "N passed,
# N failed") sets VKT_COUNTS=y before it sources this, so that a setup
# error is counted as a failure too.

CACHE=${CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vfio-kvm-kunit}
JOBS=${JOBS:-$(nproc)}
t0=$(date +%s)

# A line of progress, with the seconds since the script started.
say() { printf '[vfio-kvm %4ds] %s\n' $(($(date +%s) - t0)) "$*"; }

# A setting or a setup step that cannot be used: one line, exit status 2.
fail_setup() {
	echo "${0##*/}: error: $*" >&2
	[ "${VKT_COUNTS:-n}" != y ] || echo "0 passed, 1 failed"
	exit 2
}

# The settings of a run that several scripts take, those that are set.
vkt_check_settings() {
	case "${LOCKDEP-y}" in y|n) ;; *) fail_setup "LOCKDEP must be y or n, not '$LOCKDEP'";; esac
	case "${KVM_MODE-real}" in real|auto) ;; *) fail_setup "KVM_MODE must be real or auto, not '$KVM_MODE'";; esac
	case "${TIMEOUT-0}${STALL-0}" in ''|*[!0-9]*) fail_setup "TIMEOUT and STALL must be numbers of seconds";; esac
}

# One boot per kunit.py filter glob of BOOTS (default: every suite, one
# boot), each by "$2 GLOB BASE", which writes the boot's log to BASE.log
# and returns QEMU's exit status (124: stopped by a time limit).  A guest
# that hung before KUnit started (its log never printed the pattern $3) is
# booted once more, and the record $1 (BASE of each boot: $1 without
# .boots, then .bootI) names both boots and each boot's log and status.
vkt_boot_globs() {	# record, boot function, started pattern
	local rec=$1 boot=$2 started=$3 base i try rc globs
	read -ra globs <<< "${BOOTS:-}"
	[ ${#globs[@]} -gt 0 ] || globs=("vfio_kvm*")
	for i in "${!globs[@]}"; do
		base=${rec%.boots}.boot$i
		for try in 1 2; do
			say "booting the guest for ${globs[$i]} ($((i + 1))/${#globs[@]})"
			rc=0
			"$boot" "${globs[$i]}" "$base" || rc=$?
			if [ $try = 2 ] || ! vkt_hung_boot "$base.log" "$rc" "$started" \
				"$rec" "${globs[$i]}"; then
				break
			fi
		done
		printf 'boot\t%s\t%s\t%s\n' "${globs[$i]}" "$(basename "$base").log" \
			"$rc" >> "$rec"
	done
}

# A folder of its own for a run's records and logs, made and printed:
# $CACHE/results/NAME/<UTC>-<pid>, with NAME/last pointing at it, so that
# a failure seen once can be read afterwards and two runs at once do not
# share records (a mutant is judged against its base line's record of the
# same run).  Of NAME's runs the newest 20 are kept, and any older one
# whose process still runs: a long run must not lose its records to
# shorter ones started meanwhile.
vkt_run_dir() {	# name
	local runs=$CACHE/results/$1 out d pid
	out="$runs/$(date -u +%Y%m%dT%H%M%SZ)-$$"
	mkdir -p "$out" && ln -sfn "$(basename "$out")" "$runs/last" || return
	find "$runs" -mindepth 1 -maxdepth 1 -type d -name '20*' | sort | head -n -20 |
	while IFS= read -r d; do
		pid=${d##*-}
		case $pid in ''|*[!0-9]*) ;; *) [ ! -d "/proc/$pid" ] || continue ;; esac
		rm -rf "$d"
	done
	echo "$out"
}

# The KUnit suites the C files $2... define, read from their sources
# (each file defines at most one, in kernel style): $1=suites, each
# suite's .name; $1=cases, SUITE.CASE for each KUNIT_CASE*() of the file
# (a parameterised case is one line, whatever its parameters).
vkt_suites() {	# suites|cases, file.c...
	local what=$1 f suite
	shift
	for f in "$@"; do
		suite=$(sed -n '/^static struct kunit_suite .* = {$/,/^};$/s/^\t\.name = "\(.*\)",$/\1/p' "$f") || return
		[ -n "$suite" ] || continue
		if [ "$what" = suites ]; then
			echo "$suite"
		else
			sed -n "s/^\tKUNIT_CASE[A-Z_]*(\([a-z0-9_]*\).*/$suite.\1/p" "$f"
		fi
	done
}

# shellcheck source=tools/testing/vfio_kvm/kernel.sh
. "$(dirname "${BASH_SOURCE[0]}")/kernel.sh"

# The project's shell scripts, relative to the checkout, one a line:
# every *.sh (the libraries have no #! line) and every file whose #! line
# starts a shell (.ci/run, the guests' inits, QEMU's wrapper).  Found,
# not listed, so that a new script is checked without being named.
vkt_shell_scripts() {
	local f
	(cd "$VKT_REPO" && find . -path ./.git -prune -o -type f -print | sort) |
	while IFS= read -r f; do
		f=${f#./}
		case $f in
		*.sh) echo "$f" ;;
		*) head -c 256 "$VKT_REPO/$f" | head -n 1 |
			grep -qE '^#!.*[/[:space:]](ba|da|a|k)?sh([[:space:]].*)?$' &&
			echo "$f" ;;
		esac
	done
	return 0
}

# every QEMU the scripts start, kunit.py's too, with the runner's
# accelerator (qemu/qemu-system-x86_64); once, however deep the scripts nest
case ":$PATH:" in *":$VKT_DIR/qemu:"*) ;; *) export PATH="$VKT_DIR/qemu:$PATH" ;; esac

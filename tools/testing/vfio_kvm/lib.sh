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

# The KUnit suites C files $2... define and register (kunit_test_suites()),
# read from their sources: $1=suites, each suite's .name; $1=cases, each
# case of each suite as SUITE.CASE, the cases being the KUNIT_CASE*()
# entries of the array its .test_cases names (a parameterised case is one
# line, whatever its parameters).  One a line, in the files' order.
# Comments are left out; #if is not evaluated: a case under one is listed.
vkt_suites() {	# suites|cases, file.c...
	local what=$1
	shift
	awk -v what="$what" '
	function strip(line, out, i, j) {	# comments out, across lines
		out = ""
		while (line != "") {
			if (incomment) {
				i = index(line, "*/")
				if (!i)
					return out
				line = substr(line, i + 2)
				incomment = 0
				continue
			}
			i = index(line, "/*")
			j = index(line, "//")
			if (j && (!i || j < i))
				return out substr(line, 1, j - 1)
			if (!i)
				return out line
			out = out substr(line, 1, i - 1) " "
			line = substr(line, i + 2)
			incomment = 1
		}
		return out
	}
	function ident(text, re, s) {	# the identifier ending the match of re
		if (!match(text, re))
			return ""
		s = substr(text, RSTART, RLENGTH)
		sub(/.*[^A-Za-z0-9_]/, "", s)
		return s
	}
	function finish(s, var, arr, name) {
		if (block == "suite") {
			var = ident(text, "kunit_suite[ \t]+[A-Za-z_][A-Za-z0-9_]*")
			arr = ident(text, "\\.test_cases[ \t]*=[ \t]*[A-Za-z_][A-Za-z0-9_]*")
			if (!match(text, /\.name[ \t]*=[ \t]*"[^"]*"/))
				return
			name = substr(text, RSTART, RLENGTH)
			sub(/^[^"]*"/, "", name)
			sub(/"$/, "", name)
			nsuites++
			suite_file[nsuites] = FILENAME
			suite_var[nsuites] = var
			suite_name[nsuites] = name
			suite_arr[nsuites] = arr
		} else if (block == "cases") {
			arr = ident(text, "kunit_case[ \t]+[A-Za-z_][A-Za-z0-9_]*")
			s = text
			sub(/^[^{]*\{/, "", s)
			while (match(s, /KUNIT_CASE[A-Z0-9_]*[ \t]*\([ \t]*[A-Za-z_][A-Za-z0-9_]*/)) {
				name = substr(s, RSTART, RLENGTH)
				s = substr(s, RSTART + RLENGTH)
				sub(/.*[^A-Za-z0-9_]/, "", name)
				cases[FILENAME, arr] = cases[FILENAME, arr] " " name
			}
		} else {
			s = text
			while (match(s, /&[ \t]*[A-Za-z_][A-Za-z0-9_]*/)) {
				var = substr(s, RSTART, RLENGTH)
				s = substr(s, RSTART + RLENGTH)
				sub(/.*[^A-Za-z0-9_]/, "", var)
				registered[FILENAME, var] = 1
			}
		}
	}
	FNR == 1 { incomment = 0; block = "" }
	{ line = strip($0) }
	block == "" && line ~ /struct[ \t]+kunit_suite[ \t]+[A-Za-z_][A-Za-z0-9_]*[ \t]*=/ {
		block = "suite"; text = ""; end = "}[ \t]*;"
	}
	block == "" && line ~ /struct[ \t]+kunit_case[ \t]+[A-Za-z_][A-Za-z0-9_]*[ \t]*\[[ \t]*\][ \t]*=/ {
		block = "cases"; text = ""; end = "}[ \t]*;"
	}
	block == "" && line ~ /^[ \t]*kunit_test_(init_section_)?suites?[ \t]*\(/ {
		block = "register"; text = ""; end = "\\)[ \t]*;"
	}
	block != "" {
		text = text " " line
		if (line ~ end) {
			finish()
			block = ""
		}
	}
	END {
		for (i = 1; i <= nsuites; i++) {
			if (!((suite_file[i], suite_var[i]) in registered))
				continue
			if (what == "suites") {
				print suite_name[i]
				continue
			}
			n = split(cases[suite_file[i], suite_arr[i]], c, " ")
			for (j = 1; j <= n; j++)
				print suite_name[i] "." c[j]
		}
	}' "$@"
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

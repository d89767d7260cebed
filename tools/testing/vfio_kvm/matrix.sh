#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The acceptance matrix: build and run the suites on every line of
# matrix.txt, and judge each with vkt_results.py, whose own tests run
# first, after shellcheck of the project's shell scripts.  A kernel's cases are held against expected.txt, each expected
# failure against its reason; a mutant must be killed by the case named
# for it; a run that must be rejected (a kernel that panics) must be.
# Prints the matrix as a table and ends with "N passed, N failed": the
# scripts' shellcheck, every fixture of the judge, every case of a kernel
# line, every mutant and every module check is one check that met or
# missed its expectation.
# Exit status 1 on any miss.
#
# Environment: CACHE (as for run.sh); MATRIX: only the lines of these names
# (space separated; a mutant still needs its kernel's line); MATRIX_KERNELS:
# only the lines of these kernels (default: all); MATRIX_SETS: only the
# lines of these sets (default "gate full", make matrix; make test, the
# gate CI runs, is "gate"); MUTANT_BOOTS=all: a mutant boots every suite,
# not only the cases named to kill it.

# One compound command: bash reads the whole script before it runs any of
# it, so that an edit or a checkout while a long run goes on cannot change
# the run half way.
{
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC2034 # read by lib.sh: a setup error is counted
VKT_COUNTS=y
# shellcheck source=tools/testing/vfio_kvm/lib.sh
. "$here/lib.sh"
MATRIX=$(echo ${MATRIX:-})
MATRIX_KERNELS=$(echo ${MATRIX_KERNELS:-})
MATRIX_SETS=$(echo ${MATRIX_SETS:-gate full})
export CACHE
# each run's records and logs in a folder of its own (vkt_run_dir): a
# mutant is judged against its base line's record of the same run, which
# another run at the same time must not replace
out=$(vkt_run_dir matrix) || fail_setup "cannot make this run's folder in $CACHE/results/matrix"
history="$CACHE/results/history"
mkdir -p "$history"
met=0
missed=0
table=()
declare -A baseline

# The run's totals (met, missed) and its table are the script's state:
# every check below adds to them through these three.
row() {	# name, kernel, outcome, seconds, detail
	table+=("$(printf '%-32s %-6s %-9s %5ss  %s' "$@")")
}

# One check, met ($1 = 0) or missed, in the totals and the table.
count_check() {	# 0 or not, name, kernel, outcome, seconds, detail
	if [ "$1" = 0 ]; then met=$((met + 1)); else missed=$((missed + 1)); fi
	shift
	row "$@"
}

# The "N passed, N failed" that ends $1, printed as "N N" ("0 1" when
# there is none).
counts() {
	sed -nE 's/^([0-9]+) passed, ([0-9]+) failed.*/\1 \2/p' <<< "$1" | tail -1 | grep . || echo 0 1
}

# The checks whose output is $1 ("N passed, N failed" at its end), in the
# totals, and their row: "N $5, N $6".  Fails if one missed.
tally() {	# output, name, kernel, seconds, what met, what missed
	local m x
	read -r m x < <(counts "$1")
	met=$((met + m)) missed=$((missed + x))
	row "$2" "$3" "$([ "$x" = 0 ] && echo as-exp || echo MISSED)" "$4" "$m $5, $x $6"
	[ "$x" = 0 ]
}

# The project's shell scripts are checked first (shellcheck, installed with
# the rest), then the judge, with recorded runs, against kunit.py's parser
# of the newest kernel tree.
VKT_PACKAGES="$VKT_PACKAGES shellcheck"
mkdir -p "$CACHE"
vkt_get_source "${VKT_KVERS%% *}"
tree=$(vkt_debian_tree "${VKT_KVERS%% *}")
# One check: no finding of severity warning or above in any shell script
# of the checkout, each read with the files it sources (-x: the source=
# directives are paths from the checkout's top).  shellcheck's status 1
# is findings, any other non-zero one a shellcheck that could not check.
echo "=== shellcheck -S warning of the project's shell scripts"
t1=$(date +%s)
mapfile -t scripts < <(vkt_shell_scripts)
sc_rc=0
if ! command -v shellcheck > /dev/null; then
	result="shellcheck is not installed" sc_rc=127
elif [ ${#scripts[@]} -eq 0 ]; then
	result="no shell script found in $VKT_REPO" sc_rc=2
else
	result=$(cd "$VKT_REPO" && shellcheck -x -S warning -f gcc "${scripts[@]}" 2>&1) || sc_rc=$?
	[ -z "$result" ] || echo "$result"
	[ $sc_rc -ne 1 ] ||
		result="$(grep -cE '^[^:]+:[0-9]+:[0-9]+: ' <<< "$result") findings"
fi
if [ $sc_rc -eq 0 ]; then
	count_check 0 "shellcheck" "-" "as-exp" $(($(date +%s) - t1)) "${#scripts[@]} scripts, no finding"
else
	count_check 1 "shellcheck" "-" "MISSED" $(($(date +%s) - t1)) "${#scripts[@]} scripts: $(tail -1 <<< "$result")"
fi
echo "=== the judge's own tests (tools/testing/vfio_kvm/judge-tests and judge/judge_test.py)"
t1=$(date +%s)
result=$(VKT_KUNIT_DIR="$tree/tools/testing/kunit" python3 "$here/vkt_results_test.py" 2>&1)
echo "$result"
tally "$result" "judge-tests" "-" $(($(date +%s) - t1)) "fixtures and unit tests passed" "not"
echo "=== the series report's kunit.py verdict (tools/testing/vfio_kvm/series)"
result=$(python3 "$here/series/kunit_verdict_test.py" 2>&1)
echo "$result"
tally "$result" "series-verdict-tests" "-" 0 "fixtures judged as they must be" "not"
echo "=== the project's Kconfig in each kernel's scripts/kconfig (kconfig-check.sh)"
t1=$(date +%s)
# every kernel's, whatever KVERS the caller set
result=$(KVERS='' "$here/kconfig-check.sh" 2>&1) || true
echo "$result"
tally "$result" "kconfig-check" "-" $(($(date +%s) - t1)) "Kconfig checks passed" "not"

# One line of matrix.txt: its kernel built and booted (run.sh, or
# module-check.sh for a module check and for a distribution's
# configuration), then judged as its check says.
matrix_line() {	# the line's fields: name kernel lockdep set check boots patches killers pattern
	local name=$1 kernel=$2 lockdep=$3 set=$4 check=$5 boots=$6 patches=$7 killers=$8 pattern=$9
	local kcol arch kbase kcsan kp p globs record start rc secs result verdict vrc base logs case why
	if [ -n "${MATRIX:-}" ] && ! [[ " $MATRIX " == *" $name "* ]]; then
		return
	fi
	# a variant of a kernel, KVER:VARIANT: another architecture than
	# x86_64 (arm64), Debian's or Fedora's own configuration (debian,
	# fedora, for module-check), the data-race detector (kcsan)
	kcol=$kernel arch=x86_64 kbase=minimal kcsan=n
	case "$kernel" in *:*) arch=${kernel#*:}; kernel=${kernel%%:*};; esac
	case "$arch" in
	debian|fedora) kbase=$arch arch=x86_64 ;;
	kcsan) arch=x86_64 kcsan=y ;;
	esac
	[ -z "$MATRIX_KERNELS" ] || [[ " $MATRIX_KERNELS " == *" $kernel "* ]] || return
	[[ " $MATRIX_SETS " == *" $set "* ]] || return
	kp=
	[ "$patches" = - ] || for p in ${patches//,/ }; do kp+="$here/patches/$p "; done
	[ "$boots" != - ] || boots=
	# a mutant boots the cases that must kill it: one boot per suite.case
	# (MUTANT_BOOTS=all: every suite, for vkt_results.py coverage)
	if [ "$check" = killed ] && [ -z "$boots" ] && [ "${MUTANT_BOOTS:-}" != all ]; then
		IFS=, read -ra globs <<< "$killers"
		boots=$(printf '%s\n' "${globs[@]}" | cut -d. -f1,2 | sort -u | paste -sd,)
	fi
	echo
	echo "=== $name: linux $kernel, $arch, lockdep $lockdep${kp:+, patches: $patches}"
	record="$out/$name.boots"
	# a build that fails must not leave the last run's record to be judged
	rm -f "$out/$name".*
	start=$(date +%s)
	# a distribution's configuration is module-check's (its lines and
	# mutants)
	if [ "$check" = modules ] || [ "$kbase" != minimal ]; then
		KVER=$kernel LOCKDEP=$lockdep KERNEL_PATCHES=$kp EXPECT_AS=$name BASE_CONFIG=$kbase \
			REPEAT=${boots:-${REPEAT:-20}} "$here/module-check.sh" | tee "$out/$name.txt"
		rc=${PIPESTATUS[0]}
	else
		KVER=$kernel ARCH=$arch LOCKDEP=$lockdep KCSAN=$kcsan BOOTS=${boots//,/ } \
			KERNEL_PATCHES=$kp RESULTS="$out/$name.json" "$here/run.sh"
		rc=$?
	fi
	secs=$(($(date +%s) - start))
	if [ $rc -eq 2 ] && [ "$check" != rejected ] && [ ! -s "$record" ]; then
		count_check 1 "$name" "$kernel" "SETUP" $secs "setup or build failed"
		return
	fi

	case "$check" in
	expected)
		# a patched kernel has expectations of its own, under its name
		result=$(python3 "$here/vkt_results.py" check "$here/expected.txt" \
			 "$record" "$([ -n "$kp" ] && echo "$name" || echo "$kernel")" "$lockdep")
		echo "--- $name: every case against expected.txt"
		echo "$result"
		tally "$result" "$name" "$kernel" $secs "cases as expected" "not" || true
		# a mutant's baseline: the first line of its kernel (and
		# variant) and patches
		if [ "$lockdep" = y ] && [ -z "${baseline[$kcol:$patches]:-}" ]; then
			baseline[$kcol:$patches]=$name
			python3 "$here/vkt_results.py" history "$record" "$history/$name.txt"
		fi
		# each expected failure under its line, with the reason it met,
		# each check it missed ("MISS: "), with what happened instead,
		# and each boot done twice ("NOTE: "), with where it hung
		while read -r case _ _ why; do
			table+=("$(printf '    %-62s %s' "$case" "${why:0:200}")")
		done < <(awk '($2 == "fail" && $3 == "fail") || $4 == "MISS:" || $4 == "NOTE:"' <<< "$result")
		;;
	modules)
		# a mutant's baseline: this line, if every module check passed
		if tally "$(cat "$out/$name.txt")" "$name" "$kernel" $secs "module checks passed" "failed" &&
		   [ -z "${baseline[$kcol:$patches]:-}" ]; then
			baseline[$kcol:$patches]=$name
		fi
		;;
	rejected)
		# the judge must fail this run, name the cases that never ran
		# and what the kernel printed last
		verdict=$(python3 "$here/vkt_results.py" rejected "$record" "$pattern" 2>&1)
		vrc=$?
		echo "--- $name: the judge must reject this run"
		echo "$verdict"
		if [ $rc -ne 0 ] && [ $vrc -eq 0 ]; then
			count_check 0 "$name" "$kernel" "rejected" $secs "$(tail -1 <<< "$verdict")"
		else
			count_check 1 "$name" "$kernel" "ACCEPTED" $secs "run.sh status $rc: $(tail -1 <<< "$verdict")"
		fi
		;;
	killed)
		# judged against the line with every patch but the mutant's last
		base=${patches%,*}
		[ "$base" != "$patches" ] || base=-
		base=${baseline[$kcol:$base]:-}
		if [ -z "$base" ]; then
			count_check 1 "$name" "$kernel" "NO-BASE" $secs "no expected line of $kernel with the patches before the last, before it"
			return
		fi
		if [ "$kbase" != minimal ]; then
			# module-check's first load, in the log of this run
			# (module-check names its folder): a killer failed for
			# the pattern's reason (its baseline passed every check)
			logs=$(sed -n 's/^logs of this run: \(.*\) (guest\.log.*/\1/p' "$out/$name.txt" | tail -1)
			verdict=$(VKT_KUNIT_DIR="$tree/tools/testing/kunit" python3 "$here/vkt_results.py" \
				  modules-killed "${logs:-?}/guest.log" "$killers" "$pattern")
			vrc=$?
		else
			verdict=$(python3 "$here/vkt_results.py" killed "$out/$base.boots" "$record" \
				  "$killers" "$pattern" "$history/$base.txt")
			vrc=$?
		fi
		if [ $vrc -eq 0 ]; then
			count_check 0 "$name" "$kernel" "killed" $secs "$verdict"
		else
			count_check 1 "$name" "$kernel" "SURVIVED" $secs "$verdict"
		fi
		;;
	*)
		count_check 1 "$name" "$kernel" "BAD-LINE" 0 "unknown check '$check' in matrix.txt"
		;;
	esac
}

while read -r name kernel lockdep set check boots patches killers pattern; do
	case "$name" in ''|\#*) continue;; esac
	matrix_line "$name" "$kernel" "$lockdep" "$set" "$check" "$boots" "$patches" "$killers" "$pattern"
done < "$here/matrix.txt"

echo
echo "=== matrix ($SECONDS s; records and logs: $out)"
printf '%-32s %-6s %-9s %6s  %s\n' "kernel or mutant" linux outcome time "cases / killing case"
printf '%s\n' "${table[@]}"
echo "$met passed, $missed failed"
[ $missed -eq 0 ]
exit
}

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The acceptance matrix: build and run the suites on every line of
# matrix.txt.  A kernel's cases are held against expected.txt; a mutant of
# the fix is killed when a case that passed on the plain kernel fails or
# crashes.  Prints the matrix as a table and ends with "N passed, N failed":
# every case of a kernel line and every mutant is one check that met or
# missed its expectation.  Exit status 1 on any miss.
#
# Environment: CACHE (as for run.sh); MATRIX: only the lines of these names
# (space separated; a mutant still needs its kernel's line).

set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vfio-kvm-kunit}
MATRIX=$(echo ${MATRIX:-})
export CACHE
out="$CACHE/results/matrix"
mkdir -p "$out"
t0=$(date +%s)
met=0
missed=0
table=()
declare -A baseline

row() {
	table+=("$(printf '%-32s %-6s %-9s %5ss  %s' "$@")")
}

while read -r name kernel lockdep selftest check boots patches; do
	case "$name" in ''|\#*) continue;; esac
	if [ -n "${MATRIX:-}" ] && ! [[ " $MATRIX " == *" $name "* ]]; then
		continue
	fi
	kp=
	[ "$patches" = - ] || for p in ${patches//,/ }; do kp+="$here/patches/$p "; done
	[ "$boots" != - ] || boots=
	echo
	echo "=== $name: linux $kernel, lockdep $lockdep${kp:+, patches: $patches}"
	log="$out/$name.log"
	start=$(date +%s)
	if [ "$check" = modules ]; then
		KVER=$kernel LOCKDEP=$lockdep KERNEL_PATCHES=$kp EXPECT_AS=$name \
			"$here/module-check.sh" | tee "$out/$name.txt"
		rc=${PIPESTATUS[0]}
	else
		KVER=$kernel LOCKDEP=$lockdep SELFTEST=$selftest BOOTS=${boots//,/ } \
			KERNEL_PATCHES=$kp RESULTS="$out/$name.json" "$here/run.sh"
		rc=$?
	fi
	secs=$(($(date +%s) - start))

	case "$check" in
	expected)
		if [ $rc -eq 2 ]; then
			row "$name" "$kernel" "SETUP" $secs "setup, build or boot failed"
			missed=$((missed + 1))
			continue
		fi
		# a patched kernel has expectations of its own, under its name
		result=$(python3 "$here/vkt_results.py" check "$here/expected.txt" \
			 "$log" "$([ -n "$kp" ] && echo "$name" || echo "$kernel")" "$lockdep")
		echo "--- $name: every case against expected.txt"
		echo "$result"
		counts=$(tail -1 <<< "$result")
		m=${counts%% passed*}
		x=${counts#*passed, }
		x=${x%% failed*}
		met=$((met + m))
		missed=$((missed + x))
		[ "$lockdep" = y ] && [ "$selftest" = n ] && baseline[$kernel:$patches]=$log
		row "$name" "$kernel" "$([ "$x" = 0 ] && echo as-exp || echo MISSED)" $secs "$m cases as expected, $x not"
		;;
	modules)
		counts=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out/$name.txt" | tail -1)
		m=${counts%% passed*}
		x=${counts#*passed, }
		x=${x%% failed*}
		[ -n "$m" ] || { m=0; x=1; }
		met=$((met + m))
		missed=$((missed + x))
		row "$name" "$kernel" "$([ "$x" = 0 ] && echo as-exp || echo MISSED)" $secs "$m module checks passed, $x failed"
		;;
	killed)
		# judged against the line with every patch but the mutant's last
		base=${patches%,*}
		[ "$base" != "$patches" ] || base=-
		base=${baseline[$kernel:$base]:-}
		if [ -z "$base" ]; then
			row "$name" "$kernel" "NO-BASE" $secs "no expected line of $kernel with the patches before the last, before it"
			missed=$((missed + 1))
			continue
		fi
		killer=
		[ $rc -eq 2 ] || killer=$(python3 "$here/vkt_results.py" killed "$base" "$log")
		if [ -n "$killer" ]; then
			row "$name" "$kernel" "killed" $secs "$killer"
			met=$((met + 1))
		else
			row "$name" "$kernel" "SURVIVED" $secs "$([ $rc -eq 2 ] && echo 'setup, build or boot failed' || echo 'every case passed: a case is missing')"
			missed=$((missed + 1))
		fi
		;;
	esac
done < "$here/matrix.txt"

echo
echo "=== matrix ($(($(date +%s) - t0)) s)"
printf '%-32s %-6s %-9s %6s  %s\n' "kernel or mutant" linux outcome time "cases / killing case"
printf '%s\n' "${table[@]}"
echo "$met passed, $missed failed"
[ $missed -eq 0 ]

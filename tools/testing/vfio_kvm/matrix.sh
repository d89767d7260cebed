#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The acceptance matrix: build and run the suites on every configuration of
# matrix.txt and hold each case's outcome against expected.txt.  Prints the
# matrix as a table and ends with "N passed, N failed", counting cases that
# met or missed their expected outcome.  Exit status 1 on any miss.
#
# Environment: CACHE (as for run.sh), MATRIX (only these names, space
# separated).

set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vfio-kvm-kunit}
export CACHE
out="$CACHE/results/matrix"
mkdir -p "$out"
t0=$(date +%s)
met=0
missed=0
table=()

while read -r name kernel lockdep boots patches; do
	case "$name" in ''|\#*) continue;; esac
	if [ -n "${MATRIX:-}" ] && ! [[ " $MATRIX " == *" $name "* ]]; then
		continue
	fi
	[ "$boots" != - ] || boots=
	kp=
	if [ "$patches" != - ]; then
		for p in ${patches//,/ }; do kp+="$here/patches/$p "; done
	fi
	echo "=== $name: linux $kernel, lockdep $lockdep${kp:+, patches $patches}"
	start=$(date +%s)
	KVER=$kernel LOCKDEP=$lockdep BOOTS=${boots//,/ } KERNEL_PATCHES=$kp \
		RESULTS="$out/$name.json" "$here/run.sh"
	rc=$?
	secs=$(($(date +%s) - start))
	if [ $rc -eq 2 ]; then
		echo "=== $name: setup, build or boot failed"
		table+=("$(printf '%-18s %-22s %5ss  %s' "$name" "setup failed" $secs "see above")")
		missed=$((missed + 1))
		continue
	fi
	check=$(python3 "$here/vkt_results.py" check "$here/expected.txt" \
		"$out/$name.log" "$kernel" "$lockdep")
	echo "--- $name: each case against expected.txt"
	echo "$check"
	counts=$(tail -1 <<< "$check")
	m=${counts%% passed*}
	x=${counts#*passed, }
	x=${x%% failed*}
	met=$((met + m))
	missed=$((missed + x))
	table+=("$(printf '%-18s %-22s %5ss' "$name" "$m met, $x missed" $secs)")
done < "$here/matrix.txt"

echo
echo "=== matrix ($(($(date +%s) - t0)) s)"
printf '%-18s %-22s %6s\n' configuration "cases vs expected" time
printf '%s\n' "${table[@]}"
echo "$met passed, $missed failed"
[ $missed -eq 0 ]

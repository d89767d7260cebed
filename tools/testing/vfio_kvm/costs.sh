#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What a run costs, from the cache's build trees: per configuration, the
# objects a cold build compiles, and the last cold build and the last
# rebuild as this machine timed them (kernel.sh's vkt_build records each
# build in BUILD/builds.txt: day, files compiled, seconds, objects).
# Prints the Markdown table the README's "What a run costs" shows.
#
# Environment: CACHE.

set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tools/testing/vfio_kvm/lib.sh
. "$here/lib.sh"

# the configuration of each build tree, and the lines that build it
describe() {
	case $1 in
	7.3-lockdep-y) echo "7.3, lockdep (gate: 7.3, the fixes, rework-7.4, make run)" ;;
	6.12-lockdep-y) echo "6.12, lockdep (gate: 6.12 and the mutants)" ;;
	6.1-lockdep-y) echo "6.1, lockdep (gate)" ;;
	7.3-arm64-lockdep-y) echo "7.3 arm64, lockdep (gate)" ;;
	6.1-lockdep-n) echo "6.1 without lockdep (make matrix)" ;;
	7.3-modules-lockdep-y) echo "7.3 as modules (make matrix: module-check; make quick)" ;;
	6.12-modules-lockdep-y) echo "6.12 as modules (make test-fixes)" ;;
	7.3-kcsan-lockdep-y) echo "7.3 with KCSAN (gate: kcsan-7.3 and its mutant)" ;;
	7.3-debian-lockdep-y) echo "Debian's own 7.3 config, debug flavour (make matrix)" ;;
	7.3-fedora-lockdep-y) echo "Fedora's kernel-debug config on 7.3, KASAN (make matrix)" ;;
	*) echo "$1" ;;
	esac
}

echo "| configuration | objects | last cold build | last rebuild |"
echo "|---|---:|---|---|"
for build in "$CACHE"/build/*/; do
	name=$(basename "$build")
	# a tree built before builds were recorded: its objects only
	{ cat "$build/builds.txt" 2>/dev/null ||
		printf -- '-\t0\t0\t%s\n' "$(find "$build" -name '*.o' | wc -l)"; } |
	# cold: a build that compiled at least nine in ten of the objects
	awk -F'\t' -v what="$(describe "$name")" '
		{ objects = $4 }
		$1 != "-" && $2 >= 0.9 * $4 { cold = sprintf("%d files, %d s (%s)", $2, $3, $1) }
		$1 != "-" && $2 < 0.9 * $4 { warm = sprintf("%d files, %d s (%s)", $2, $3, $1) }
		END { printf "| %s | %d | %s | %s |\n", what, objects,
		      cold ? cold : "-", warm ? warm : "-" }'
done

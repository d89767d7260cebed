#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make kconfig-check: the project's Kconfig (its top-level Kconfig, the one
# entry point to what it adds to a kernel's configuration) checked with
# each kernel's own scripts/kconfig, on every kernel the runner supports
# (KVERS, default all of them), x86_64:
#
#   symbols   every symbol the project's Kconfig files name (depends on,
#             select, imply, default, if) is one the tree defines: Kconfig
#             reads an unknown one as n, silently
#   parse     defconfig with the files hooked in prints no Kconfig warning
#   enabled   the suites' .kunitconfig, as the runner adapts it to the
#             tree, over defconfig, gives every option it asks for, with
#             no unmet dependency: olddefconfig drops nothing
#
# and first, that the symbols check can fail: a Kconfig file naming a
# symbol no kernel has must be refused.  One line per check, then
# "N passed, N failed".  The trees are the runner's, in the cache; the
# configurations are made in a directory of their own and removed.
{
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC2034 # read by lib.sh: a setup error is counted
VKT_COUNTS=y
# shellcheck source=tools/testing/vfio_kvm/lib.sh
. "$here/lib.sh"
KVERS=${KVERS:-$VKT_KVERS}
for k in $KVERS; do
	vkt_known_kver "$k" || fail_setup "KVERS: $k is not one of $VKT_KVERS"
done
vkt_install_deps ""

passed=0 failed=0
check() {	# NAME ok|fail DETAIL
	if [ "$2" = ok ]; then
		passed=$((passed + 1)); echo "ok     $1: $3"
	else
		failed=$((failed + 1)); echo "not ok $1: $3"
	fi
}

files=$(vkt_kconfig_files)

# The symbols Kconfig files $2... name and tree $1 does not define.
unknown_symbols() {
	local tree=$1 named defined
	shift
	# the expressions: of the dependency lines, and after a prompt's "if"
	named=$( { sed -n -E 's/#.*//; s/^[[:space:]]*(depends on|select|imply|default|visible if|if)[[:space:]]+//p' "$@"
		   sed -n -E 's/^[[:space:]]*(bool|tristate|prompt)[[:space:]]+"[^"]*"[[:space:]]+if[[:space:]]+//p' "$@"; } |
		grep -oE '\b[A-Z][A-Z0-9_]+\b' | sort -u)
	defined=$(grep -rhoE --include='Kconfig*' '^[[:space:]]*(menu)?config[[:space:]]+[A-Z0-9_]+' \
			"$tree" "${@%/*}" | awk '{print $2}' | sort -u)
	comm -23 <(echo "$named") <(echo "$defined") | grep . || true
}

# The check must be able to say no.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'config VKT_KCONFIG_SELFTEST\n\tbool\n\tdepends on KVM && VKT_NO_SUCH_SYMBOL\n' \
	> "$tmp/Kconfig.selftest"
vkt_get_source "${KVERS%% *}"
tree=$(vkt_debian_tree "${KVERS%% *}")
u=$(unknown_symbols "$tree" "$tmp/Kconfig.selftest" | paste -sd' ')
if [ "$u" = VKT_NO_SUCH_SYMBOL ]; then
	check "symbols (self-test)" ok "a Kconfig file naming VKT_NO_SUCH_SYMBOL is refused, and only for that"
else
	check "symbols (self-test)" fail "a Kconfig file naming VKT_NO_SUCH_SYMBOL: unknown '${u:-none}'"
fi

for kver in $KVERS; do
	vkt_get_source "$kver"
	tree=$(vkt_debian_tree "$kver")
	vkt_lock_tree "$tree"
	vkt_recover_tree "$tree"
	vkt_install_suite "$tree"
	say "linux $kver: the project's Kconfig in $tree"

	# shellcheck disable=SC2086
	u=$(cd "$tree" && unknown_symbols "$tree" $files | paste -sd' ')
	if [ -z "$u" ]; then
		check "symbols $kver" ok "every symbol $(echo $files) name is defined in linux $kver"
	else
		check "symbols $kver" fail "not defined in linux $kver: $u"
	fi

	build="$tmp/build-$kver"
	mkdir -p "$build"
	log="$build/kconfig.log"
	if ! make -C "$tree" O="$build" ARCH=x86_64 defconfig > "$log" 2>&1; then
		check "parse $kver" fail "make defconfig failed: $(grep -m1 -iE 'error' "$log" || tail -1 "$log")"
		continue
	fi
	w=$(grep -iE '^(warning|.*:[0-9]+: ?warning|.*: warning)' "$log" | grep -v '^make' || true)
	if [ -z "$w" ]; then
		check "parse $kver" ok "defconfig with the project's Kconfig hooked in: no Kconfig warning"
	else
		check "parse $kver" fail "$(echo "$w" | head -3 | paste -sd' ')"
	fi

	vkt_kunitconfig "$tree" x86_64 "$VKT_REPO/drivers/vfio/tests/.kunitconfig" "$build/kunitconfig"
	cat "$build/kunitconfig" >> "$build/.config"
	make -C "$tree" O="$build" ARCH=x86_64 olddefconfig > "$log" 2>&1 ||
		{ check "enabled $kver" fail "make olddefconfig failed"; continue; }
	lost=$(grep -E '^CONFIG_[A-Z0-9_]+=' "$build/kunitconfig" | while read -r opt; do
		grep -qxF "$opt" "$build/.config" || echo "${opt%%=*}"
	done | paste -sd' ')
	unmet=$(grep 'unmet direct dependencies' "$log" | sed 's/.*detected for //' | paste -sd' ' || true)
	if [ -z "$lost" ] && [ -z "$unmet" ]; then
		check "enabled $kver" ok "the suites' .kunitconfig ($(grep -c '^CONFIG_' "$build/kunitconfig") options) over defconfig: every option set, no unmet dependency"
	else
		check "enabled $kver" fail "$(echo "${lost:+dropped by olddefconfig: $lost}${lost:+${unmet:+; }}${unmet:+unmet dependencies of: $unmet}")"
	fi
	exec 9>&-
done

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
exit
}

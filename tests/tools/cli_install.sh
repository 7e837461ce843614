#!/bin/sh
# `meson install` puts the tool, its manual page (with the project's version
# and the installed path of the scenario schema) and docs/scenarios.md where
# a user finds them, and the installed tool runs.
set -u
build=$1
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
fails=0

ok() { echo "ok   $1"; }
fail() { echo "FAIL $1"; fails=$((fails + 1)); }

if ! out=$(meson install -C "$build" --no-rebuild --destdir "$dest" 2>&1); then
	echo "FAIL meson install: $out"
	exit 1
fi
prefix=$(meson introspect "$build" --buildoptions |
	python3 -c 'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"][0])')
root=$dest$prefix
man=$(find "$root" -name siommu.1 | head -1)
version=$(meson introspect "$build" --projectinfo |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')
[ -n "$man" ] && ok "man page installed ($man)" || fail "no siommu.1 under $root"
if [ -n "$man" ]; then
	grep -q "siommu $version" "$man" && ok "man page has version $version" ||
		fail "man page without version $version"
	grep -q "$prefix/share/doc/siommu/scenarios.md" "$man" && ok "man page names the schema" ||
		fail "man page does not name $prefix/share/doc/siommu/scenarios.md"
	! grep -q "@[A-Z]*@" "$man" && ok "man page fully configured" || fail "placeholder left in man page"
fi
[ -f "$root/share/doc/siommu/scenarios.md" ] && ok "scenarios.md installed" ||
	fail "no $root/share/doc/siommu/scenarios.md"
v=$(LD_LIBRARY_PATH="$(dirname "$(find "$root" -name 'libsiommu.so*' | head -1)")" \
	"$root/bin/siommu" --version 2>&1)
[ "$v" = "siommu $version" ] && ok "installed tool: $v" || fail "installed tool says '$v'"
"$build/tools/siommu" help run | grep -q "$prefix/share/doc/siommu/scenarios.md" &&
	ok "help run names the installed schema" || fail "help run does not name the schema"
[ $fails -eq 0 ] || { echo "$fails checks failed"; exit 1; }
echo "all checks passed"

#!/bin/sh
# The symbols the shared library exports must be exactly those the version
# script lists: a function marked SIOMMU_EXPORT but missing from the script
# (or listed but not marked) fails here.
set -eu
lib=$1 map=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBR]$/ { print $3 }' | sed 's/@.*//' |
	grep -v '^SIOMMU_' | sort -u > "$tmp/exported"
sed -n 's/^[[:space:]]*\(siommu_[A-Za-z0-9_]*\);.*/\1/p' "$map" | sort -u > "$tmp/listed"
if ! diff -u "$tmp/listed" "$tmp/exported"; then
	echo "exports.sh: the library's exports differ from $map (- listed only, + exported only)" >&2
	exit 1
fi
echo "exports: $(wc -l < "$tmp/listed") symbols, all listed and exported"

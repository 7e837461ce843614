# Shared by the scenario error scripts (sourced): `expect NAME PATTERN`
# writes the YAML on standard input to NAME.yaml, runs `siommu run` on it,
# and counts a failure unless the tool exits with $want (1 unless set) and
# its output contains PATTERN (a fixed string).
set -u
siommu=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fails=0
want=1

check() {
	name=$1 pattern=$2 rc=$3 out=$4
	if [ "$rc" -ne "$want" ] || ! printf '%s\n' "$out" | grep -q -F -- "$pattern"; then
		echo "FAIL $name: exit $rc, expected $want and '$pattern'; got: $out"
		fails=$((fails + 1))
	else
		echo "ok   $name: $out"
	fi
}

expect() {
	cat > "$dir/$1.yaml"
	out=$("$siommu" run --no-progress "$dir/$1.yaml" 2>&1)
	check "$1" "$2" $? "$out"
}

finish() {
	if [ $fails -ne 0 ]; then
		echo "$fails checks failed"
		exit 1
	fi
	echo "all checks passed"
	exit 0
}

good_head='units:
  - { name: u0 }
devices:
  - { name: d0, unit: u0, rid: "00:01.0", pasid_bits: 8 }'
# A scenario up to its mappings, and up to its workload.
map_head="$good_head
domains:
  - name: dom
    unit: u0
    mappings:"
work_head="$good_head
domains:
  - { name: dom, unit: u0 }
attach:
  - { device: d0, domain: dom }
workload:"
# Two domains for d0, up to the attachments.
two_head="$good_head
domains:
  - { name: a, unit: u0 }
  - { name: b, unit: u0 }
attach:"

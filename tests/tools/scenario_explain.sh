#!/bin/sh
# Errors that explain: a semantic mistake is reported at the line of the
# item at fault (not its domain's), with the field, and in words that name
# what it conflicts with; files that are no scenario say what they are.
. "$(dirname "$0")/expect.sh"

expect overlap "overlap.yaml:10: iova: mapping 0x8000+4K overlaps 0x1000+64K (line 9)" <<Y
$map_head
      - { iova: 0x1000, size: 64K, prot: rw }
      - { iova: 0x8000, size: 4K, prot: rw }
attach: []
Y
expect wrap "wrap.yaml:9: iova: iova 0xffffffffffff0000 + 128K wraps past 2^64" <<Y
$map_head
      - { iova: 0xffffffffffff0000, size: 128K, prot: rw }
attach: []
Y
expect beyond_aw "beyond_aw.yaml:9: iova: 0xffffff000000 + 64M ends beyond unit 'u0''s 48-bit address width" <<Y
$map_head
      - { iova: 0xffffff000000, size: 64M, prot: rw }
attach: []
Y
expect beyond_ias "beyond_ias.yaml:9: iova: 0x800000000000 + 4K is beyond domain 'dom''s input range" <<Y
$map_head
      - { iova: 0x800000000000, size: 4K, prot: rw }
attach: []
Y
expect unaligned_iova "unaligned_iova.yaml:10: iova: 0x1800 is not 4K-aligned" <<Y
$map_head
      - { iova: 0x4000, size: 4K, prot: rw }
      - { iova: 0x1800, size: 4K, prot: rw }
attach: []
Y
expect unaligned_size "unaligned_size.yaml:9: size: 6K is not a multiple of 4K" <<Y
$map_head
      - { iova: 0x1000, size: 6K, prot: rw }
attach: []
Y
expect work_wrap "work_wrap.yaml:10: iova: iova 0xfffffffffffff000 + 8K wraps past 2^64" <<Y
$work_head
  - { device: d0, op: read, iova: 0xfffffffffffff000, size: 8K }
Y
expect stride_alone "stride_alone.yaml:10: span: stride and span go together" <<Y
$work_head
  - { device: d0, op: read, iova: 0x1000, stride: 4K }
Y
expect alias_is_rid "alias_is_rid.yaml:5: alias: device 'd1': alias 00:01.0 is the RID of 'd0' (line 4)" <<Y
$good_head
  - { name: d1, unit: u0, rid: "00:02.0", alias: "00:01.0" }
Y
expect stage_on_identity "stage_on_identity.yaml:9: stage: only a paging domain has a stage" <<Y
$good_head
domains:
  - name: dom
    unit: u0
    type: identity
    stage: second
attach: []
Y

# Files that are not scenarios.
check_run() {
	name=$1 pattern=$2
	shift 2
	out=$("$siommu" run --no-progress "$@" 2>&1)
	check "$name" "$pattern" $? "$out"
}
mkdir "$dir/adir"
check_run directory "adir: is a directory; expected a scenario file" "$dir/adir"
check_run unreadable "mem: cannot read: Input/output error" /proc/self/mem
printf '   \n\n\t\n' > "$dir/blank.yaml"
check_run blank "blank.yaml:1: file: empty" "$dir/blank.yaml"
printf 'units:\n  - { name: "\377\376" }\n' > "$dir/latin1.yaml"
check_run not_utf8 "latin1.yaml:2: not UTF-8 text (byte 0xff at offset 20)" "$dir/latin1.yaml"
printf 'units: []\n\000\n' > "$dir/nul.yaml"
check_run nul "nul.yaml:2: not UTF-8 text (byte 0x00 at offset 10)" "$dir/nul.yaml"
printf 'units:\n  - { name: "\355\240\200" }\n' > "$dir/surrogate.yaml"
check_run surrogate "surrogate.yaml:2: not UTF-8 text (byte 0xed" "$dir/surrogate.yaml"
finish

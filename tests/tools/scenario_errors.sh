#!/bin/sh
# Scenario files with mistakes: `siommu run` must refuse each one, exit 1,
# and say where (FILE:LINE), which field, and what it expected.
. "$(dirname "$0")/expect.sh"

expect syntax "syntax.yaml:3: YAML syntax" <<'Y'
units:
  - name: u0
   bad: indent
Y
expect missing_units "missing_units.yaml:1: units: missing" <<'Y'
devices: []
Y
expect unknown_top "unknown_top.yaml:2: unitz: unknown field in a scenario" <<'Y'
units: [{ name: u0 }]
unitz: []
Y
expect bad_aw "bad_aw.yaml:2: aw: expected 39, 48 or 57" <<'Y'
units:
  - { name: u0, aw: 40 }
devices: []
domains: []
attach: []
Y
expect bad_rid "bad_rid.yaml:4: rid: expected a requester ID like 00:01.0" <<'Y'
units:
  - { name: u0 }
devices:
  - { name: d0, unit: u0, rid: "0:1:2" }
domains: []
attach: []
Y
expect unknown_unit "unknown_unit.yaml:4: unit: no unit named 'u9'" <<'Y'
units:
  - { name: u0 }
devices:
  - { name: d0, unit: u9, rid: "00:01.0" }
domains: []
attach: []
Y
expect typo_field "typo_field.yaml:4: pasid_bit: unknown field in a device" <<'Y'
units:
  - { name: u0 }
devices:
  - { name: d0, unit: u0, rid: "00:01.0", pasid_bit: 8 }
domains: []
attach: []
Y
expect bad_number "bad_number.yaml:9: size: expected a number" <<Y
$map_head
      - { iova: 0x1000, size: lots, prot: rw }
attach: []
Y
expect bad_prot "bad_prot.yaml:9: prot: expected |r|w|rw" <<Y
$map_head
      - { iova: 0x1000, size: 4K, prot: x }
attach: []
Y
expect unaligned "unaligned.yaml:9: iova: 0x1001 is not 4K-aligned" <<Y
$map_head
      - { iova: 0x1001, size: 4K, prot: rw }
attach: []
Y
expect mappings_on_identity "mappings_on_identity.yaml:10: mappings: only a paging domain" <<Y
$good_head
domains:
  - name: dom
    unit: u0
    type: identity
    mappings:
      - { iova: 0x1000, size: 4K }
attach: []
Y
expect unknown_pasid_name "unknown_pasid_name.yaml:12: pasid: expected a PASID number (0 to 1048575) or a name" <<Y
$good_head
domains:
  - { name: dom, unit: u0 }
attach:
  - { device: d0, domain: dom, pasid: auto, as: p }
workload:
  - { device: d0, pasid: p, op: read, iova: 0x1000 }
  - { device: d0, op: read, iova: 0x1000 }
  - { device: d0, pasid: q, op: read, iova: 0x1000 }
Y
expect bad_op "bad_op.yaml:10: op: expected read|write" <<Y
$work_head
  - { device: d0, op: copy, iova: 0x1000 }
Y
# List items that are not mappings, in every list.
expect scalar_unit "scalar_unit.yaml:2: a unit: expected a mapping of fields" <<'Y'
units:
  - u0
Y
expect scalar_device "scalar_device.yaml:5: a device: expected a mapping of fields" <<Y
$good_head
  - d1
domains: []
attach: []
Y
expect scalar_attach "scalar_attach.yaml:8: an attachment: expected a mapping of fields" <<Y
$good_head
domains:
  - { name: dom, unit: u0 }
attach:
  - d0
Y
expect scalar_work "scalar_work.yaml:10: a workload item: expected a mapping of fields" <<Y
$work_head
  - [ d0, read ]
Y
expect list_not_map "list_not_map.yaml:1: a scenario: expected a mapping of fields" <<'Y'
- units
Y
# Well-formed, but beyond what the device or the library allows: the error
# points at the item and says why in words.
expect pasid_too_wide "pasid_too_wide.yaml:9: pasid: PASID 300 is beyond device 'd0''s 8-bit PASID width (max 255)" <<Y
$good_head
domains:
  - { name: dom, unit: u0 }
attach:
  - { device: d0, domain: dom }
  - { device: d0, domain: dom, pasid: 300 }
Y
# A device whose isolation key and alias lie in two groups.
expect two_groups "two_groups.yaml:6: device: device 'c': group 1 (with 'a', line 4) and alias 00:0f.0 (with 'b', line 5) are two groups" <<'Y'
units:
  - { name: u0 }
devices:
  - { name: a, unit: u0, rid: "00:01.0", group: 1 }
  - { name: b, unit: u0, rid: "00:02.0", alias: "00:0f.0" }
  - { name: c, unit: u0, rid: "00:03.0", group: 1, alias: "00:0f.0" }
domains: []
attach: []
Y
expect empty "empty.yaml:1: file: empty" < /dev/null
out=$("$siommu" run --no-progress "$dir/nonexistent.yaml" 2>&1)
check nonexistent "nonexistent.yaml: cannot open: No such file" $? "$out"
finish

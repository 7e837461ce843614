#!/bin/sh
# Nothing in a scenario is taken silently: a name, a key or an attachment
# given twice, a number beyond its field (with the range in the message), a
# size suffix that overflows, and RID DMA for a PASID-only device are each
# refused at their line, exit 1.
. "$(dirname "$0")/expect.sh"

# Names and keys given twice.
expect dup_unit "dup_unit.yaml:3: name: a unit named 'u0' is already defined at line 2" <<'Y'
units:
  - { name: u0 }
  - { name: u0 }
devices: []
domains: []
attach: []
Y
expect dup_device "dup_device.yaml:5: name: a device named 'd0' is already defined at line 4" <<Y
$good_head
  - { name: d0, unit: u0, rid: "00:02.0" }
domains: []
attach: []
Y
expect dup_domain "dup_domain.yaml:7: name: a domain named 'dom' is already defined at line 6" <<Y
$good_head
domains:
  - { name: dom, unit: u0 }
  - { name: dom, unit: u0 }
attach: []
Y
expect dup_top_key "dup_top_key.yaml:4: units: given twice in a scenario (first at line 1)" <<'Y'
units: [{ name: u0 }]
devices: []
domains: []
units: [{ name: u1 }]
attach: []
Y
expect dup_field "dup_field.yaml:6: rid: given twice in a device (first at line 5)" <<'Y'
units: [{ name: u0 }]
devices:
  - name: d0
    unit: u0
    rid: "00:01.0"
    rid: "00:02.0"
Y
expect dup_field_flow "dup_field_flow.yaml:3: rid: given twice in a device (first at line 3)" <<'Y'
units: [{ name: u0 }]
devices:
  - { name: d0, unit: u0, rid: "00:01.0", rid: "00:02.0" }
Y
expect dup_as "dup_as.yaml:9: as: the PASID name 'p' is already given at line 8" <<Y
$good_head
domains:
  - { name: dom, unit: u0 }
attach:
  - { device: d0, domain: dom, pasid: 1, as: p }
  - { device: d0, domain: dom, pasid: 2, as: p }
Y
expect dup_rid "dup_rid.yaml:5: rid: device 'd1': RID 00:01.0 is already used by 'd0' (line 4)" <<Y
$good_head
  - { name: d1, unit: u0, rid: "00:01.0" }
domains: []
attach: []
Y
# Attaching again where an earlier line attached: by number, after
# pasid: auto, and through another device of the same group.
expect reattach_pasid "reattach_pasid.yaml:10: replace: device 'd0': PASID 5 is already attached to domain 'a' at line 9; say 'replace: true'" <<Y
$two_head
  - { device: d0, domain: a, pasid: 5 }
  - { device: d0, domain: b, pasid: 5 }
Y
expect reattach_auto "reattach_auto.yaml:10: replace: device 'd0': PASID 1 (from pasid: auto) is already attached to domain 'a' at line 9" <<Y
$two_head
  - { device: d0, domain: a, pasid: auto }
  - { device: d0, domain: b, pasid: 1 }
Y
expect reattach_rid "reattach_rid.yaml:10: replace: device 'd0': the RID is already attached to domain 'a' at line 9" <<Y
$two_head
  - { device: d0, domain: a }
  - { device: d0, domain: b }
Y
expect reattach_group "reattach_group.yaml:11: replace: device 'd2': the RID is already attached to domain 'a' at line 10 (through device 'd1', same group)" <<'Y'
units: [{ name: u0 }]
devices:
  - { name: d1, unit: u0, rid: "00:01.0", group: 7 }
  - { name: d2, unit: u0, rid: "00:02.0", group: 7 }
domains:
  - { name: a, unit: u0 }
  - { name: b, unit: u0 }
attach:
  # the group's RID traffic goes to one domain
  - { device: d1, domain: a }
  - { device: d2, domain: b }
Y
want=0
expect replace_ok "" <<Y
$good_head
domains:
  - { name: a, unit: u0 }
  - { name: b, unit: u0, mappings: [{ iova: 0x1000, size: 4K }] }
attach:
  - { device: d0, domain: a, pasid: 5 }
  - { device: d0, domain: b, pasid: 5, replace: true }
  - { device: d0, domain: a }
  - { device: d0, domain: b, replace: true }
workload:
  - { device: d0, pasid: 5, op: read, iova: 0x1000, expect: ok }
  - { device: d0, op: read, iova: 0x1000, expect: ok }
Y
want=1

# Numbers beyond their field: the range is in the message.
expect fill_wide "fill_wide.yaml:9: fill: 0x1111 is out of range: expected 0x0 to 0xff" <<Y
$map_head
      - { iova: 0x1000, size: 4K, prot: rw, fill: 0x1111 }
attach: []
Y
expect sets_wide "sets_wide.yaml:2: iotlb_sets: 4294967552 is out of range: expected 1 to 65536" <<'Y'
units:
  - { name: u0, iotlb_sets: 4294967552 }
devices: []
domains: []
attach: []
Y
expect sets_pow2 "sets_pow2.yaml:2: iotlb_sets: 48 is not a power of two" <<'Y'
units:
  - { name: u0, iotlb_sets: 48 }
devices: []
domains: []
attach: []
Y
# A leading zero is still decimal: 017 is 17, not octal 15.
expect ways_wide "ways_wide.yaml:2: iotlb_ways: 017 is out of range: expected 1 to 16" <<'Y'
units:
  - { name: u0, iotlb_ways: 017 }
devices: []
domains: []
attach: []
Y
expect pasid_wide "pasid_wide.yaml:8: pasid: expected 1 to 1048575, or auto; got '0x100000001'" <<Y
$good_head
domains:
  - { name: dom, unit: u0 }
attach:
  - { device: d0, domain: dom, pasid: 0x100000001 }
Y
expect work_pasid_wide "work_pasid_wide.yaml:10: pasid: expected a PASID number (0 to 1048575)" <<Y
$work_head
  - { device: d0, pasid: 0x100001, op: read, iova: 0x1000 }
Y
expect group_wide "group_wide.yaml:3: group: 4294967296 is out of range: expected 0 to 4294967295" <<'Y'
units: [{ name: u0 }]
devices:
  - { name: d0, unit: u0, rid: "00:01.0", group: 4294967296 }
Y
expect dev_bits_wide "dev_bits_wide.yaml:3: pasid_bits: 21 is out of range: expected 0 to 20" <<'Y'
units: [{ name: u0 }]
devices:
  - { name: d0, unit: u0, rid: "00:01.0", pasid_bits: 21 }
Y
expect suffix_overflow "suffix_overflow.yaml:9: iova: '0x40000000000001M' is beyond 64 bits" <<Y
$map_head
      - { iova: 0x40000000000001M, size: 4K, prot: rw }
attach: []
Y
expect number_overflow "number_overflow.yaml:9: size: '99999999999999999999' is beyond 64 bits" <<Y
$map_head
      - { iova: 0x1000, size: 99999999999999999999, prot: rw }
attach: []
Y
expect negative "negative.yaml:10: count: expected a number, like 4096, 0x1000 or 4K; got '-1'" <<Y
$work_head
  - { device: d0, op: read, iova: 0x1000, count: -1 }
Y
expect threads_wide "threads_wide.yaml:10: threads: 17 is out of range: expected 1 to 16" <<Y
$work_head
  - { device: d0, op: read, iova: 0x1000, threads: 17 }
Y
expect rid_wide "rid_wide.yaml:3: rid: expected a requester ID like 00:01.0 (bus 00-ff" <<'Y'
units: [{ name: u0 }]
devices:
  - { name: d0, unit: u0, rid: "100:01.0" }
Y
expect map_size_wide "map_size_wide.yaml:9: size: 2G is out of range: expected 0x1000 to 0x40000000" <<Y
$map_head
      - { iova: 0x0, size: 2G, prot: rw }
attach: []
Y

# A PASID-only device has no RID DMA: attaching its RID is refused.
expect pasid_only_rid "pasid_only_rid.yaml:8: pasid: device 'acc' is pasid_only: it issues no DMA without a PASID" <<'Y'
units: [{ name: u0 }]
devices:
  - { name: acc, unit: u0, rid: "00:04.0", pasid_bits: 8, pasid_only: true }
domains:
  - { name: dom, unit: u0 }
attach:
  - { device: acc, domain: dom, pasid: 1 }
  - { device: acc, domain: dom }
Y
expect pasid_only_none "pasid_only_none.yaml:3: pasid_only: device 'acc' can only issue DMA with a PASID, but has no usable PASIDs (pasid_bits is 0)" <<'Y'
units: [{ name: u0 }]
devices:
  - { name: acc, unit: u0, rid: "00:04.0", pasid_only: true }
Y
expect no_pasids "no_pasids.yaml:8: pasid: device 'nic' has no usable PASIDs (pasid_bits is 0)" <<'Y'
units: [{ name: u0 }]
devices:
  - { name: nic, unit: u0, rid: "00:04.0" }
domains:
  - { name: dom, unit: u0 }
attach:
  - { device: nic, domain: dom }
  - { device: nic, domain: dom, pasid: 1 }
Y
finish

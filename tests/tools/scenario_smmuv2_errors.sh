#!/bin/sh
# SMMUv2 units in scenario files: fields of other unit types, PASIDs, ATS
# and PRI (the unit has none), StreamIDs beyond its width, and more devices
# or domains than it has stream match groups or context banks are refused
# with FILE:LINE: FIELD and why, exit 1.
. "$(dirname "$0")/expect.sh"

expect aw_on_smmuv2 "aw_on_smmuv2.yaml:2: aw: only for VT-d units (type: vtd), and unit 's0' is SMMUv2" <<'Y'
units:
  - { name: s0, type: smmuv2, aw: 48 }
devices: []
domains: []
attach: []
Y
expect ssid_on_smmuv2 "ssid_on_smmuv2.yaml:2: ssid_bits: only for SMMUv3 units (type: smmuv3), and unit 's0' is SMMUv2" <<'Y'
units:
  - { name: s0, type: smmuv2, ssid_bits: 8 }
devices: []
domains: []
attach: []
Y
expect banks_on_smmuv3 "banks_on_smmuv3.yaml:2: banks: only for SMMUv2 units (type: smmuv2), and unit 's0' is SMMUv3" <<'Y'
units:
  - { name: s0, type: smmuv3, banks: 4 }
devices: []
domains: []
attach: []
Y
expect smr_on_vtd "smr_on_vtd.yaml:2: smr_groups: only for SMMUv2 units (type: smmuv2), and unit 'v0' is VT-d" <<'Y'
units:
  - { name: v0, smr_groups: 4 }
devices: []
domains: []
attach: []
Y
expect banks_range "banks_range.yaml:2: banks: 129 is out of range" <<'Y'
units:
  - { name: s0, type: smmuv2, banks: 129 }
devices: []
domains: []
attach: []
Y
expect smr_range "smr_range.yaml:2: smr_groups: 0 is out of range" <<'Y'
units:
  - { name: s0, type: smmuv2, smr_groups: 0 }
devices: []
domains: []
attach: []
Y
expect sid_bits_range "sid_bits_range.yaml:2: sid_bits: 16 is out of range" <<'Y'
units:
  - { name: s0, type: smmuv2, sid_bits: 16 }
devices: []
domains: []
attach: []
Y
expect bad_stages "bad_stages.yaml:2: stages: expected s1|s2|both" <<'Y'
units:
  - { name: s0, type: smmuv2, stages: nested }
devices: []
domains: []
attach: []
Y
for f in pasid_bits pasid_only ats pri; do
	val=true
	[ $f = pasid_bits ] && val=8
	expect "${f}_on_smmuv2" "${f}_on_smmuv2.yaml:5: $f: unit 's0' is SMMUv2: it has no PASIDs, ATS or PRI" <<Y
units:
  - { name: s0, type: smmuv2 }
devices:
  - name: d0
    $f: $val
    unit: s0
    rid: "00:01.0"
domains: []
attach: []
Y
done
expect sid_beyond "sid_beyond.yaml:4: sid: 0x100 is out of range: expected 0x0 to 0xff" <<'Y'
units:
  - { name: s0, type: smmuv2, sid_bits: 8 }
devices:
  - { name: d0, unit: s0, sid: 0x100 }
domains: []
attach: []
Y
expect rid_beyond "rid_beyond.yaml:4: rid: RID 01:00.0 is StreamID 0x100, beyond unit 's0''s 8-bit StreamIDs" <<'Y'
units:
  - { name: s0, type: smmuv2, sid_bits: 8 }
devices:
  - { name: d0, unit: s0, rid: "01:00.0" }
domains: []
attach: []
Y
expect pasid_attach "pasid_attach.yaml:8: pasid: device 'd0' has no usable PASIDs (pasid_bits is 0)" <<'Y'
units:
  - { name: s0, type: smmuv2 }
devices:
  - { name: d0, unit: s0, rid: "00:01.0" }
domains:
  - { name: dom, unit: s0 }
attach:
  - { device: d0, domain: dom, pasid: 1 }
Y
expect ats_op "ats_op.yaml:9: op: device 'd0' is behind SMMUv2 unit 's0', which has no ATS or PRI" <<'Y'
units:
  - { name: s0, type: smmuv2 }
devices:
  - { name: d0, unit: s0, rid: "00:01.0" }
domains: []
attach: []
workload:
  - device: d0
    op: page_request
    iova: 0x1000
Y
expect no_smr "no_smr.yaml:5: device: device 'd1': unit 's0' has no stream match register group left (smr_groups: 1)" <<'Y'
units:
  - { name: s0, type: smmuv2, smr_groups: 1 }
devices:
  - { name: d0, unit: s0, rid: "00:01.0" }
  - { name: d1, unit: s0, rid: "00:02.0" }
domains: []
attach: []
Y
expect no_bank "no_bank.yaml:11: domain: domain 'b' needs a context bank of unit 's0', and all 1 are taken (banks)" <<'Y'
units:
  - { name: s0, type: smmuv2, banks: 1 }
devices:
  - { name: d0, unit: s0, rid: "00:01.0" }
  - { name: d1, unit: s0, rid: "00:02.0" }
domains:
  - { name: a, unit: s0 }
  - { name: b, unit: s0 }
attach:
  - { device: d0, domain: a }
  - { device: d1, domain: b }
Y
expect no_s1 "no_s1.yaml:5: stage: domain 'a': unit 's0' has no first-stage translation" <<'Y'
units:
  - { name: s0, type: smmuv2, stages: s2 }
devices: []
domains:
  - { name: a, unit: s0, stage: first }
attach: []
Y
finish

#!/bin/sh
# SMMUv3 units in scenario files: fields of the other unit type, StreamIDs
# beyond the unit's width, and table formats the driver would not build are
# refused with FILE:LINE: FIELD and why, exit 1.
. "$(dirname "$0")/expect.sh"

expect bad_type "bad_type.yaml:2: type: expected vtd|smmuv3|smmuv2" <<'Y'
units:
  - { name: s0, type: arm }
devices: []
domains: []
attach: []
Y
expect aw_on_smmuv3 "aw_on_smmuv3.yaml:2: aw: only for VT-d units (type: vtd), and unit 's0' is SMMUv3" <<'Y'
units:
  - { name: s0, type: smmuv3, aw: 48 }
devices: []
domains: []
attach: []
Y
expect pasid_bits_on_smmuv3 "pasid_bits_on_smmuv3.yaml:3: pasid_bits: only for VT-d units" <<'Y'
units:
  - name: s0
    pasid_bits: 8
    type: smmuv3
devices: []
domains: []
attach: []
Y
expect ssid_on_vtd "ssid_on_vtd.yaml:2: ssid_bits: only for SMMUv3 units (type: smmuv3), and unit 'v0' is VT-d" <<'Y'
units:
  - { name: v0, ssid_bits: 8 }
devices: []
domains: []
attach: []
Y
expect stages_on_vtd "stages_on_vtd.yaml:2: stages: only for SMMU units (type: smmuv3, smmuv2), and unit 'v0' is VT-d" <<'Y'
units:
  - { name: v0, type: vtd, stages: s1 }
devices: []
domains: []
attach: []
Y
expect bad_stages "bad_stages.yaml:2: stages: expected s1|s2|nested" <<'Y'
units:
  - { name: s0, type: smmuv3, stages: s3 }
devices: []
domains: []
attach: []
Y
expect ssid_range "ssid_range.yaml:2: ssid_bits: 21 is out of range: expected 1 to 20" <<'Y'
units:
  - { name: s0, type: smmuv3, ssid_bits: 21 }
devices: []
domains: []
attach: []
Y
expect sid_bits_range "sid_bits_range.yaml:2: sid_bits: 17 is out of range: expected 1 to 16" <<'Y'
units:
  - { name: s0, type: smmuv3, sid_bits: 17 }
devices: []
domains: []
attach: []
Y
expect bad_oas "bad_oas.yaml:2: oas: expected 32, 36, 40, 42, 44 or 48" <<'Y'
units:
  - { name: s0, type: smmuv3, oas: 41 }
devices: []
domains: []
attach: []
Y
expect st2l_small "st2l_small.yaml:2: stream_table: 2level needs sid_bits above 8" <<'Y'
units:
  - { name: s0, type: smmuv3, sid_bits: 8, stream_table: 2level }
devices: []
domains: []
attach: []
Y
expect bad_table "bad_table.yaml:2: cd_table: expected linear|2level" <<'Y'
units:
  - { name: s0, type: smmuv3, cd_table: 3level }
devices: []
domains: []
attach: []
Y
expect cd_table_s2 "cd_table_s2.yaml:2: cd_table: CD tables are stage 1's, and unit 's0' has stages: s2" <<'Y'
units:
  - { name: s0, type: smmuv3, stages: s2, cd_table: linear }
devices: []
domains: []
attach: []
Y
expect sid_on_vtd "sid_on_vtd.yaml:4: sid: a StreamID, only on SMMU units; unit 'v0' is VT-d: give rid" <<'Y'
units:
  - { name: v0 }
devices:
  - { name: d0, unit: v0, sid: 8 }
domains: []
attach: []
Y
expect rid_and_sid "rid_and_sid.yaml:4: sid: give rid or sid, not both" <<'Y'
units:
  - { name: s0, type: smmuv3 }
devices:
  - { name: d0, unit: s0, rid: "00:01.0", sid: 8 }
domains: []
attach: []
Y
expect no_id "no_id.yaml:4: rid: missing (expected a requester ID like 00:01.0, or sid: a StreamID)" <<'Y'
units:
  - { name: s0, type: smmuv3 }
devices:
  - { name: d0, unit: s0 }
domains: []
attach: []
Y
expect sid_too_wide "sid_too_wide.yaml:4: sid: 0x100 is out of range: expected 0x0 to 0xff" <<'Y'
units:
  - { name: s0, type: smmuv3, sid_bits: 8 }
devices:
  - { name: d0, unit: s0, sid: 0x100 }
domains: []
attach: []
Y
expect rid_too_wide "rid_too_wide.yaml:4: rid: RID 01:00.0 is StreamID 0x100, beyond unit 's0''s 8-bit StreamIDs" <<'Y'
units:
  - { name: s0, type: smmuv3, sid_bits: 8 }
devices:
  - { name: d0, unit: s0, rid: "01:00.0" }
domains: []
attach: []
Y
expect alias_too_wide "alias_too_wide.yaml:4: alias: StreamID 0x100 is beyond unit 's0''s 8-bit StreamIDs" <<'Y'
units:
  - { name: s0, type: smmuv3, sid_bits: 8 }
devices:
  - { name: d0, unit: s0, rid: "00:01.0", alias: "01:00.0" }
domains: []
attach: []
Y
# A RID and a StreamID name the same stream table entry.
expect sid_is_rid "sid_is_rid.yaml:5: sid: device 'd1': StreamID 0x8 is already used by 'd0' (line 4)" <<'Y'
units:
  - { name: s0, type: smmuv3 }
devices:
  - { name: d0, unit: s0, rid: "00:01.0" }
  - { name: d1, unit: s0, sid: 8 }
domains: []
attach: []
Y
# SubstreamIDs select CDs: none on a stage-2-only unit, and without
# 2-level CD tables at most 1024 of them (10 bits).
expect pasid_s2_only "pasid_s2_only.yaml:8: pasid: device 'd0' has no usable PASIDs (its unit has none)" <<'Y'
units:
  - { name: s0, type: smmuv3, stages: s2 }
devices:
  - { name: d0, unit: s0, sid: 1, pasid_bits: 8 }
domains:
  - { name: dom, unit: s0 }
attach:
  - { device: d0, domain: dom, pasid: 1 }
Y
expect pasid_only_s2_only "pasid_only_s2_only.yaml:4: pasid_only: device 'd0' can only issue DMA with a PASID, but has no usable PASIDs (its unit has none)" <<'Y'
units:
  - { name: s0, type: smmuv3, stages: s2 }
devices:
  - { name: d0, unit: s0, sid: 1, pasid_bits: 8, pasid_only: true }
domains: []
attach: []
Y
expect pasid_cd_linear "pasid_cd_linear.yaml:8: pasid: PASID 2000 is beyond device 'd0''s 10-bit PASID width (max 1023)" <<'Y'
units:
  - { name: s0, type: smmuv3, cd_table: linear }
devices:
  - { name: d0, unit: s0, sid: 1, pasid_bits: 20 }
domains:
  - { name: dom, unit: s0 }
attach:
  - { device: d0, domain: dom, pasid: 2000 }
Y
# Stage 2's input is the unit's output size.
expect s2_beyond_oas "s2_beyond_oas.yaml:9: iova: 0x100000000 + 4K ends beyond unit 's0''s 32-bit address width" <<'Y'
units:
  - { name: s0, type: smmuv3, oas: 32 }
devices: []
domains:
  - name: dom
    unit: s0
    stage: second
    mappings:
      - { iova: 0x100000000, size: 4K }
attach: []
Y
expect s1_on_s2_unit "s1_on_s2_unit.yaml:5: stage: domain 'dom': unit 's0' has no first-stage translation" <<'Y'
units:
  - { name: s0, type: smmuv3, stages: s2 }
devices: []
domains:
  - { name: dom, unit: s0, stage: first }
attach: []
Y
# An STE translates through a CD table or through stage 2 alone; a CD
# holds stage-1 tables. The library refuses what would break that, and the
# message says which rule, at the attachment's line.
expect pasid_identity "pasid_identity.yaml:7: domain: device 'a': on SMMUv3 a PASID takes a stage-1 domain (its CD points at stage-1 tables), and 'pt' is identity" <<'Y'
units: [{ name: s0, type: smmuv3 }]
devices:
  - { name: a, unit: s0, rid: "00:02.0", pasid_bits: 4 }
domains:
  - { name: pt, unit: s0, type: identity }
attach:
  - { device: a, domain: pt, pasid: 3 }
Y
expect pasid_after_s2 "pasid_after_s2.yaml:9: domain: device 'a': the RID is attached to domain 'ipa' at line 8, which leaves the STE no CD table for PASIDs" <<'Y'
units: [{ name: s0, type: smmuv3 }]
devices:
  - { name: a, unit: s0, rid: "00:02.0", pasid_bits: 4 }
domains:
  - { name: ipa, unit: s0, stage: second }
  - { name: ctx, unit: s0 }
attach:
  - { device: a, domain: ipa }
  - { device: a, domain: ctx, pasid: 3 }
Y
expect s2_after_pasid "s2_after_pasid.yaml:9: domain: device 'a': domain 'ipa' at the RID would leave the STE no CD table, and line 8 attached a PASID" <<'Y'
units: [{ name: s0, type: smmuv3 }]
devices:
  - { name: a, unit: s0, rid: "00:02.0", pasid_bits: 4 }
domains:
  - { name: ipa, unit: s0, stage: second }
  - { name: ctx, unit: s0 }
attach:
  - { device: a, domain: ctx, pasid: 3 }
  - { device: a, domain: ipa }
Y
finish

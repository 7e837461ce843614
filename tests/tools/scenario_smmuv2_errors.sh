#!/bin/sh
# SMMUv2 units in scenario files: fields of other unit types, PASIDs, ATS
# and PRI (the unit has none), StreamIDs beyond its width, and more devices
# or domains than it has stream match groups or context banks are refused
# with FILE:LINE: FIELD and why, exit 1. So are GPU clients where they do
# not apply: clients on a device that is no GPU, a GPU without clients or
# (on a unit with PASIDs) without PASIDs, a job naming another GPU's
# client, a client's job with a PASID too, several threads, or ATS.
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
gpu_head='units:
  - { name: s0, type: smmuv2 }
  - { name: v0 }
devices:'
expect clients_not_gpu "clients_not_gpu.yaml:8: clients: only a GPU has clients (kind: gpu)" <<Y
$gpu_head
  - name: d0
    unit: s0
    rid: "00:01.0"
    clients: [{ name: a }]
domains: []
attach: []
Y
expect gpu_no_clients "gpu_no_clients.yaml:5: clients: a GPU needs clients" <<Y
$gpu_head
  - { name: g, unit: s0, rid: "00:01.0", kind: gpu }
domains: []
attach: []
Y
expect gpu_empty_clients "gpu_empty_clients.yaml:5: clients: a GPU needs at least one client" <<Y
$gpu_head
  - { name: g, unit: s0, rid: "00:01.0", kind: gpu, clients: [] }
domains: []
attach: []
Y
expect gpu_no_pasid "gpu_no_pasid.yaml:5: kind: a GPU's clients are private PASIDs: on VT-d unit 'v0' the GPU needs pasid_bits and no alias" <<Y
$gpu_head
  - { name: g, unit: v0, rid: "00:01.0", kind: gpu, clients: [{ name: a }] }
domains: []
attach: []
Y
expect bad_kind "bad_kind.yaml:5: kind: expected plain|gpu" <<Y
$gpu_head
  - { name: g, unit: s0, rid: "00:01.0", kind: npu }
domains: []
attach: []
Y
expect client_twice "client_twice.yaml:6: name: a client named 'a' is already defined at line 5" <<Y
$gpu_head
  - { name: g, unit: s0, rid: "00:01.0", kind: gpu, clients: [{ name: a },
      { name: a }] }
domains: []
attach: []
Y
expect client_mapping "client_mapping.yaml:10: iova: 0x1001 is not 4K-aligned" <<Y
$gpu_head
  - name: g
    unit: s0
    rid: "00:01.0"
    kind: gpu
    clients:
      - { name: a, mappings: [{ iova: 0x1001, size: 4K }] }
domains: []
attach: []
Y
gpus='  - { name: g, unit: s0, rid: "00:01.0", kind: gpu, clients: [{ name: a }] }
  - { name: h, unit: v0, rid: "00:02.0", pasid_bits: 8, kind: gpu, clients: [{ name: b }] }
domains: []
attach: []
workload:'
expect client_of_other "client_of_other.yaml:10: client: client 'b' is device 'h''s (line 6), not 'g''s" <<Y
$gpu_head
$gpus
  - { device: g, client: b, iova: 0x1000 }
Y
expect client_unknown "client_unknown.yaml:10: client: no client named 'c' is defined above" <<Y
$gpu_head
$gpus
  - { device: g, client: c, iova: 0x1000 }
Y
expect client_pasid "client_pasid.yaml:10: pasid: a client's jobs use its private PASID: give client or pasid, not both" <<Y
$gpu_head
$gpus
  - { device: h, client: b, pasid: 3, iova: 0x1000 }
Y
expect client_threads "client_threads.yaml:10: threads: a GPU's command processor runs one job at a time: threads must be 1" <<Y
$gpu_head
$gpus
  - { device: h, client: b, threads: 2, iova: 0x1000 }
Y
expect client_ats "client_ats.yaml:10: op: a GPU job reads or writes (read, write)" <<Y
$gpu_head
$gpus
  - { device: h, client: b, op: ats_translate, iova: 0x1000 }
Y
expect gpu_without_client "gpu_without_client.yaml:10: client: device 'g' is a GPU behind SMMUv2 unit 's0': its DMA runs in a client's space, so name the client" <<Y
$gpu_head
$gpus
  - { device: g, iova: 0x1000 }
Y
expect gpu_no_own_domain "gpu_no_own_domain.yaml:5: kind: GPU 'g' is behind SMMUv2 unit 's0': its clients' tables are switched into the context bank of its own domain, so attach a stage-1 paging domain to its RID" <<Y
$gpu_head
  - { name: g, unit: s0, rid: "00:01.0", kind: gpu, clients: [{ name: a }] }
domains: []
attach: []
workload:
  - { device: g, client: a, iova: 0x1000 }
Y
finish

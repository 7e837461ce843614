#!/bin/sh
# Processes and SVA binds in scenario files: mappings out of a process's
# range, unaligned, overlapping or filled without w; binds to unknown
# processes, twice, on a device without PASIDs, ATS or PRI, behind an
# SMMUv2 unit or an SMMUv3 one without stage 1, on units of both types
# (VT-d and SMMUv3: a process's one CPU page table has one format), on a
# unit other than its cpu's, or beyond the device's PASID width; DMA in a
# process the device is not bound to, with a PASID too, or with another
# op, are refused with FILE:LINE: FIELD and why. So are a process's own
# operations in the workload (munmap, mprotect, reclaim, migrate) without
# a process, with a DMA's fields, with a range that is unaligned or
# outside the process, or with prot missing (mprotect) or given (the
# others); and one the library refuses when it runs (an mprotect over a
# hole) names its line.
. "$(dirname "$0")/expect.sh"

head='units:
  - { name: v0 }
  - { name: s0, type: smmuv3 }
processes:
  - name: p
    mappings:'
tail='devices: []
domains: []
attach: []'
expect below_min "below_min.yaml:7: addr: 0x1000 is out of range" <<Y
$head
      - { addr: 0x1000, size: 4K }
$tail
Y
expect unaligned "unaligned.yaml:7: addr: 0x10000+6K is not 4K-aligned" <<Y
$head
      - { addr: 0x10000, size: 6K }
$tail
Y
expect beyond "beyond.yaml:7: addr: 0x7ffffffff000+8K ends beyond the process's last address 0x7fffffffffff" <<Y
$head
      - { addr: 0x7ffffffff000, size: 8K }
$tail
Y
expect overlap "overlap.yaml:8: addr: overlaps the mapping at line 7" <<Y
$head
      - { addr: 0x10000, size: 8K }
      - { addr: 0x11000, size: 4K }
$tail
Y
expect fill_ro "fill_ro.yaml:7: fill: the CPU fills the range by writing it, and its prot has no w" <<Y
$head
      - { addr: 0x10000, size: 4K, prot: r, fill: 1 }
$tail
Y
expect bad_prot "bad_prot.yaml:7: prot: expected none|r|w|rw" <<Y
$head
      - { addr: 0x10000, size: 4K, prot: x }
$tail
Y
dev='      - { addr: 0x10000, size: 64K }
  - { name: q }
devices:'
expect bind_unknown "bind_unknown.yaml:10: bind: no process named 'z' is defined in processes" <<Y
$head
$dev
  - { name: d, unit: v0, rid: "00:01.0", pasid_bits: 8, ats: true, pri: true, bind: [p, z] }
domains: []
attach: []
Y
expect bind_twice "bind_twice.yaml:10: bind: process 'p' is bound twice" <<Y
$head
$dev
  - { name: d, unit: v0, rid: "00:01.0", pasid_bits: 8, ats: true, pri: true, bind: [p, p] }
domains: []
attach: []
Y
expect bind_no_pri "bind_no_pri.yaml:10: bind: a bound device DMAs in the process's space with its PASID and faults pages in: it needs pasid_bits, ats and pri" <<Y
$head
$dev
  - { name: d, unit: v0, rid: "00:01.0", pasid_bits: 8, ats: true, bind: [p] }
domains: []
attach: []
Y
expect bind_mixed "bind_mixed.yaml:11: bind: process 'p' is bound on VT-d unit 'v0' (device 'd', line 10) and here on SMMUv3 unit 's0': its one CPU page table cannot be in both formats (x86_64 for VT-d, arm64 for SMMUv3)" <<Y
$head
$dev
  - { name: d, unit: v0, rid: "00:01.0", pasid_bits: 8, ats: true, pri: true, bind: [p] }
  - { name: e, unit: s0, rid: "00:02.0", pasid_bits: 8, ats: true, pri: true, bind: [q, p] }
domains: []
attach: []
Y
expect bind_cpu "bind_cpu.yaml:11: bind: process 'q' is an x86_64 process (cpu, line 9) and SMMUv3 unit 's0' walks arm64 page tables" <<Y
$head
      - { addr: 0x10000, size: 64K }
  - name: q
    cpu: x86_64
devices:
  - { name: e, unit: s0, rid: "00:02.0", pasid_bits: 8, ats: true, pri: true, bind: [q] }
domains: []
attach: []
Y
expect bind_s2 "bind_s2.yaml:4: bind: an SVA bind is a CD whose TTB0 is the process's table, and unit 's2' has no stage 1 (stages: s2)" <<Y
units: [ { name: s2, type: smmuv3, stages: s2 } ]
processes: [ { name: p } ]
devices:
  - { name: d, unit: s2, rid: "00:01.0", pasid_bits: 8, ats: true, pri: true, bind: [p] }
domains: []
attach: []
Y
expect bind_smmuv2 "bind_smmuv2.yaml:4: bind: SVA binds need a unit with PASIDs, ATS and PRI (VT-d or SMMUv3), and unit 'v2' is SMMUv2" <<Y
units: [ { name: v2, type: smmuv2 } ]
processes: [ { name: p } ]
devices:
  - { name: d, unit: v2, sid: 1, bind: [p] }
domains: []
attach: []
Y
bound="$head
$dev
  - { name: d, unit: v0, rid: \"00:01.0\", pasid_bits: 8, ats: true, pri: true, bind: [p] }
domains: []
attach: []
workload:"
expect not_bound "not_bound.yaml:14: process: device 'd' is not bound to process 'q' (bind: on the device)" <<Y
$bound
  - { device: d, process: q, iova: 0x10000 }
Y
expect process_pasid "process_pasid.yaml:14: pasid: DMA in a process's space uses its PASID: give process or pasid, not both" <<Y
$bound
  - { device: d, process: p, pasid: 1, iova: 0x10000 }
Y
expect process_ats "process_ats.yaml:14: op: DMA in a process's space reads or writes (read, write)" <<Y
$bound
  - { device: d, process: p, op: page_request, iova: 0x10000 }
Y
expect pasid_width "pasid_width.yaml:10: bind: device 'd' cannot take process 'q': no free PASID is left within its 1-bit PASID width" <<Y
$head
$dev
  - { name: d, unit: v0, rid: "00:01.0", pasid_bits: 1, ats: true, pri: true, bind: [p, q] }
domains: []
attach: []
Y
expect pasid_beyond "pasid_beyond.yaml:11: bind: device 'e' cannot take process 'q': the process's PASID (from an earlier bind) is not within its 1-bit PASID width" <<Y
$head
$dev
  - { name: d, unit: v0, rid: "00:01.0", pasid_bits: 8, ats: true, pri: true, bind: [p, q] }
  - { name: e, unit: v0, rid: "00:02.0", pasid_bits: 1, ats: true, pri: true, bind: [q] }
domains: []
attach: []
Y
expect process_key_top "process_key_top.yaml:1: process: unknown field in a scenario (expected one of: units, processes, devices" <<Y
process: []
units: []
Y
pop_head='units:
  - { name: v0 }
processes:
  - name: p
    mappings:
      - { addr: 0x10000, size: 64K }
devices: []
domains: []
attach: []
workload:'
expect op_no_process "op_no_process.yaml:11: process: missing: op munmap acts on a process's range" <<Y
$pop_head
  - { op: munmap, addr: 0x10000, size: 4K }
Y
expect op_unknown_process "op_unknown_process.yaml:11: process: no process named 'q' is defined above" <<Y
$pop_head
  - { process: q, op: reclaim, addr: 0x10000, size: 4K }
Y
expect op_device "op_device.yaml:11: device: op munmap is the process's own: it takes process, addr, size" <<Y
$pop_head
  - { device: d, process: p, op: munmap, addr: 0x10000, size: 4K }
Y
expect op_expect "op_expect.yaml:11: expect: op mprotect is the process's own: it takes process, addr, size and prot" <<Y
$pop_head
  - { process: p, op: mprotect, addr: 0x10000, size: 4K, prot: r, expect: ok }
Y
expect op_iova "op_iova.yaml:11: iova: op migrate is the process's own: it takes process, addr, size" <<Y
$pop_head
  - { process: p, op: migrate, iova: 0x10000, size: 4K }
Y
expect op_no_size "op_no_size.yaml:11: size: missing (expected a number)" <<Y
$pop_head
  - { process: p, op: munmap, addr: 0x10000 }
Y
expect op_unaligned "op_unaligned.yaml:11: addr: 0x10800+4K is not 4K-aligned" <<Y
$pop_head
  - { process: p, op: munmap, addr: 0x10800, size: 4K }
Y
expect op_below "op_below.yaml:11: addr: 0x1000 is out of range" <<Y
$pop_head
  - { process: p, op: munmap, addr: 0x1000, size: 4K }
Y
expect op_beyond "op_beyond.yaml:11: addr: 0x7ffffffff000+8K ends beyond the process's last address 0x7fffffffffff" <<Y
$pop_head
  - { process: p, op: reclaim, addr: 0x7ffffffff000, size: 8K }
Y
expect op_no_prot "op_no_prot.yaml:11: prot: missing: mprotect gives the range none, r, w or rw" <<Y
$pop_head
  - { process: p, op: mprotect, addr: 0x10000, size: 4K }
Y
expect op_bad_prot "op_bad_prot.yaml:11: prot: expected none|r|w|rw" <<Y
$pop_head
  - { process: p, op: mprotect, addr: 0x10000, size: 4K, prot: rx }
Y
expect op_prot_elsewhere "op_prot_elsewhere.yaml:11: prot: only for mprotect" <<Y
$pop_head
  - { process: p, op: munmap, addr: 0x10000, size: 4K, prot: r }
Y
expect op_refused "op_refused.yaml:12: addr: process 'p' refused mprotect of 0x10000+128K" <<Y
$pop_head
  - { process: p, op: reclaim, addr: 0x10000, size: 64K }
  - { process: p, op: mprotect, addr: 0x10000, size: 128K, prot: r }
Y
finish

#!/usr/bin/env python3
# SMMUv3 units in scenarios: DMA by StreamID and SubstreamID through the
# SMMUv3 model, faults named by their SMMUv3 event (F_TRANSLATION,
# F_PERMISSION, C_BAD_CD, F_BAD_ATS_TREQ) in the table and in JSON, a
# device given by `sid` shown by its StreamID, page requests answered
# through the CMD_PRI_RESP path; a VT-d unit next to it keeps its reason
# codes.
import json

import cli

t = cli.Cli("smmuv3")
f = t.write("smmuv3.yaml", """units:
  - { name: v0 }
  - { name: s0, type: smmuv3, sid_bits: 12, ssid_bits: 8, stages: nested, iotlb_sets: 64 }
devices:
  - { name: vdev,  unit: v0, rid: "00:01.0" }
  - { name: plain, unit: s0, rid: "00:01.0", pasid_bits: 8 }
  - { name: smart, unit: s0, sid: 0x2a, pasid_bits: 8, ats: true, pri: true }
  - { name: idle,  unit: s0, sid: 0x2b }
domains:
  - { name: vdom, unit: v0, mappings: [{ iova: 0x1000, size: 4K, prot: r }] }
  - { name: dom, unit: s0, stage: first, mappings: [{ iova: 0x1000, size: 4K, prot: r }] }
  - { name: ipa, unit: s0, stage: second, mappings: [{ iova: 0x2000, size: 8K, prot: rw, fill: 0x5a }] }
attach:
  - { device: vdev,  domain: vdom }
  - { device: plain, domain: dom }
  - { device: smart, domain: ipa }
  - { device: plain, domain: dom, pasid: 5 }
workload:
  - { device: vdev,  op: read, iova: 0x8000, count: 3, expect: fault }
  - { device: plain, op: read, iova: 0x1000, count: 10, expect: ok }
  - { device: plain, pasid: 5, op: read, iova: 0x1000, count: 10, expect: ok }
  - { device: plain, op: read, iova: 0x8000, count: 4, expect: fault }
  - { device: plain, op: write, iova: 0x1000, count: 5, expect: fault }
  - { device: plain, pasid: 6, op: read, iova: 0x1000, count: 6, expect: fault }
  - { device: plain, op: ats_translate, iova: 0x1000, count: 7, expect: fault }
  - { device: smart, op: write, iova: 0x2000, size: 8K, count: 10, expect: ok }
  - { device: smart, op: ats_translate, access: rw, iova: 0x3000, count: 10, expect: ok }
  - { device: smart, op: page_request, iova: 0x9000, count: 10, expect: ok }
  - { device: idle,  op: read, iova: 0x2000, count: 2, expect: fault }
""")
rc, out, err = t.expect("mixed VT-d and SMMUv3 scenario runs", ["run", "--no-progress", f], 0)
lines = out.splitlines()
for what, needle in [("VT-d keeps its reason codes", "vdev       00:01.0  -      read                   3"
                      "            0        3      0  0x71:3"),
                     ("an unmapped IOVA is F_TRANSLATION", "F_TRANSLATION:4"),
                     ("a write to a read-only page is F_PERMISSION", "F_PERMISSION:5"),
                     ("a SubstreamID with nothing attached is C_BAD_CD", "C_BAD_CD:6"),
                     ("ATS without EATS is F_BAD_ATS_TREQ", "F_BAD_ATS_TREQ:7"),
                     ("a device given by sid shows its StreamID", "smart      sid 0x2a"),
                     ("page requests are answered through CMD_PRI_RESP",
                      "response invalid_request:10")]:
    t.check(what, any(needle in l for l in lines), f"{needle!r} not in {out!r}")

rc, out, err = t.expect("JSON report", ["run", "--no-progress", "--json", f], 0)
try:
    doc = json.loads(out)
except ValueError as e:
    doc = None
    t.check("JSON parses", False, f"{e}: {out!r}")
if doc:
    w = doc["workload"]
    t.check("JSON names VT-d reasons by code", w[0]["faults_by_reason"] == {"0x71": 3}, w[0])
    t.check("JSON names SMMUv3 events", w[3]["faults_by_reason"] == {"F_TRANSLATION": 4} and
            w[5]["faults_by_reason"] == {"C_BAD_CD": 6}, w[3:6])
    t.check("JSON gives a StreamID", w[7]["rid"] == "sid 0x2a", w[7])
    t.check("JSON bytes through stage 2", w[7]["bytes"] == 10 * 8192, w[7])
    t.check("JSON ATS grants", w[8]["ats_denied"] == 0 and w[8]["faults"] == 0, w[8])
    units = doc["units"]
    t.check("JSON unit types", [u["type"] for u in units] == ["vtd", "smmuv3"], units)
    t.check("JSON SMMUv3 TLB figures", units[1]["iotlb_hits"] + units[1]["iotlb_misses"] > 0
            and units[1]["faults"] >= 4 + 5 + 6, units[1])

# The example runs with every expect met.
import os
ex = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples",
                  "scenarios", "smmuv3.yaml")
t.expect("examples/scenarios/smmuv3.yaml runs", ["run", "--no-progress", ex], 0)
t.done()

#!/usr/bin/env python3
# ATS and PRI are reachable from scenarios, and `ats: true` / `pri: true`
# show: ats_translate on an ATS device translates (a page not mapped with
# the access asked comes back denied, not as a fault), on another device
# faults on its context entry (DTE, reason 0x44); page_request on a PRI
# device is queued for the OS half and answered through the core's page
# request path ("invalid request" today), on another device refused by the
# unit, which answers it itself.
import json

import cli

t = cli.Cli("atspri")
f = t.write("atspri.yaml", """units: [{ name: u0 }]
devices:
  - { name: plain, unit: u0, rid: "00:01.0", pasid_bits: 8 }
  - { name: smart, unit: u0, rid: "00:02.0", pasid_bits: 8, ats: true, pri: true }
domains:
  - { name: dom, unit: u0, mappings: [{ iova: 0x1000, size: 4K, prot: r }] }
attach:
  - { device: plain, domain: dom }
  - { device: smart, domain: dom }
  - { device: smart, domain: dom, pasid: 5 }
workload:
  - { device: smart, op: ats_translate, iova: 0x1000, count: 10, expect: ok }
  - { device: smart, op: ats_translate, access: rw, iova: 0x1000, count: 10 }
  - { device: smart, op: ats_translate, iova: 0x8000, count: 10 }
  - { device: smart, pasid: 5, op: ats_translate, iova: 0x1000, count: 10, expect: ok }
  - { device: plain, op: ats_translate, iova: 0x1000, count: 10, expect: fault }
  - { device: smart, op: page_request, iova: 0x8000, count: 10, expect: ok }
  - { device: smart, pasid: 5, op: page_request, access: w, iova: 0x8000, count: 10 }
  - { device: plain, op: page_request, iova: 0x8000, count: 10, expect: fault }
""")
rc, out, err = t.expect("ATS and PRI scenario runs", ["run", "--no-progress", "--json", f], 0)
try:
    w = json.loads(out)["workload"]
except ValueError as e:
    w = None
    t.check("JSON report", False, f"{e}: {out!r}")
if w:
    t.check("ATS translates a mapped page", w[0]["dmas"] == 10 and w[0]["faults"] == 0 and
            w[0]["ats_denied"] == 0, w[0])
    t.check("ATS denies a write to a read-only page", w[1]["ats_denied"] == 10 and
            w[1]["faults"] == 0, w[1])
    t.check("ATS denies an unmapped page", w[2]["ats_denied"] == 10, w[2])
    t.check("ATS with a PASID", w[3]["faults"] == 0 and w[3]["ats_denied"] == 0, w[3])
    t.check("ATS without ats: true faults on DTE", w[4]["faults_by_reason"] == {"0x44": 10},
            w[4])
    t.check("PRI request queued and answered invalid request",
            w[5]["faults"] == 0 and w[5]["page_responses"] ==
            {"success": 0, "invalid_request": 10, "failure": 0}, w[5])
    t.check("PRI with a PASID", w[6]["page_responses"]["invalid_request"] == 10, w[6])
    t.check("PRI without pri: true refused and answered",
            w[7]["faults"] == 10 and w[7]["page_responses"]["invalid_request"] == 10, w[7])
    t.check("read and write rows carry no ATS or PRI fields",
            all("ats_denied" not in r for r in w if r["op"] != "ats_translate"), w)
rc, out, err = t.expect("the table shows denials and responses", ["run", "--no-progress", f], 0,
                        "response invalid_request:10", stream="stdout")
t.check("denied in the table", "denied:10" in out, out)
bad = t.write("access.yaml", """units: [{ name: u0 }]
devices: [{ name: d, unit: u0, rid: "00:01.0" }]
domains: [{ name: dom, unit: u0 }]
attach: [{ device: d, domain: dom }]
workload:
  - { device: d, op: read, access: w, iova: 0x1000 }
""")
t.expect("access only for ATS and PRI", ["run", "--no-progress", bad], 1,
         "access.yaml:6: access: only for ats_translate and page_request")
t.done()

#!/usr/bin/env python3
# SMMUv3 units in scenarios: DMA by StreamID and SubstreamID through the
# SMMUv3 model, faults named by their SMMUv3 event (F_TRANSLATION,
# F_PERMISSION, C_BAD_CD, F_BAD_ATS_TREQ) in the table and in JSON, a
# device given by `sid` shown by its StreamID, page requests answered
# through the CMD_PRI_RESP path; a VT-d unit next to it keeps its reason
# codes. `siommu dump` reads the stream table, STEs and CDs back from
# memory: linear and 2-level stream and CD tables, S1 (RID through S1DSS
# and CD 0, PASIDs through their CDs), S2 and bypass STEs, each leading to
# the domain whose page table the entry points at, in text and DOT.
# `siommu demo --unit smmuv3` plays the demo's acts on an SMMUv3 unit.
import os
import re
import shutil
import subprocess

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
doc = t.json("JSON report", out)
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

# The configuration events of a stream: a SubstreamID beyond the CD table,
# DMA without one when S1DSS terminates it, and an identity domain's
# output outside RAM, which ends without an event.
ev = t.write("events.yaml", """units: [{ name: s0, type: smmuv3 }]
devices:
  - { name: a, unit: s0, rid: "00:02.0", pasid_bits: 4 }
  - { name: b, unit: s0, sid: 0x20 }
domains:
  - { name: ctx, unit: s0, mappings: [{ iova: 0x1000, size: 4K }] }
  - { name: pt, unit: s0, type: identity }
attach:
  - { device: a, domain: ctx, pasid: 3 }
  - { device: b, domain: pt }
workload:
  - { device: a, pasid: 40, op: read, iova: 0x1000, count: 2, expect: fault }
  - { device: a, op: read, iova: 0x1000, count: 3, expect: fault }
  - { device: b, op: read, iova: 0x1000, count: 4, expect: fault }
  - { device: b, op: read, iova: 0x100000000, count: 5, expect: ok }
""")
rc, out, err = t.expect("configuration events", ["run", "--no-progress", ev], 0)
for needle in ("C_BAD_SUBSTREAMID:2", "F_STREAM_DISABLED:3", "no_event:4"):
    t.check(f"events name {needle}", needle in out, out)

# The example runs with every expect met.
ex = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples",
                  "scenarios", "smmuv3.yaml")
t.expect("examples/scenarios/smmuv3.yaml runs", ["run", "--no-progress", ex], 0)

nodot = {"PATH": t.path("nobin")}
A = r"0x[0-9a-f]+"


def dump_has(what, out, patterns):
    for p in patterns:
        t.check(f"{what}: {p!r}", re.search("^" + p + "$", out, re.M) is not None, out)


rc, out, err = t.expect("dump of the example", ["dump", ex, "-o", "ex"], 0, env=nodot)
dump_has("example dump", out, [
    rf"unit smmu0 \(SMMUv3, stream table 2-level at {A}: 2\^16 StreamIDs, 256 per level-2 table\)",
    r"  StreamID 0x8 copyeng \(RID 00:01.0; group 1\)",
    rf"    STE at {A} \(level 2\): S1, CD table 2-level \(1024 CDs per leaf\) at {A}, "
    r"S1CDMax 20, S1DSS terminate, EATS 1",
    rf"    SSID 1 -> CD 1: ASID \d+, TTB0 {A}, T0SZ 16 -> domain tenant_a",
    rf"    SSID 2 -> CD 2: ASID \d+, TTB0 {A}, T0SZ 16 -> domain tenant_b",
    r"  StreamID 0x200 nic \(group 2\)",
    rf"    STE at {A} \(level 2\): S2, VMID \d+, S2TTB {A}, S2T0SZ 16",
    rf"    no SSID -> STE S2: VMID \d+, S2TTB {A} -> domain rings",
    r"domain tenant_a: paging, stage 1 \(VMSAv8-64, 4K granule\)",
    r"domain rings: paging, stage 2 \(VMSAv8-64, 4K granule\)",
])
asids = re.findall(r"SSID \d -> CD \d: ASID (\d+)", out)
t.check("two tenants, two ASIDs", len(set(asids)) == 2, out)

lin = t.write("lin.yaml", """units: [{ name: s0, type: smmuv3, sid_bits: 8, ssid_bits: 12, cd_table: linear }]
devices:
  - { name: a, unit: s0, rid: "00:02.0", pasid_bits: 12 }
  - { name: b, unit: s0, sid: 0x20 }
  - { name: c, unit: s0, sid: 0x21, pasid_bits: 4 }
domains:
  - { name: dma, unit: s0, mappings: [{ iova: 0x1000, size: 4K }] }
  - { name: ctx, unit: s0, stage: first, mappings: [{ iova: 0x1000, size: 4K }] }
  - { name: pt, unit: s0, type: identity }
attach:
  - { device: a, domain: dma }
  - { device: a, domain: ctx, pasid: 1000 }
  - { device: b, domain: pt }
  - { device: c, domain: ctx, pasid: 3 }
""")
rc, out, err = t.expect("dump of linear tables", ["dump", lin, "-o", "lin"], 0, env=nodot)
dump_has("linear dump", out, [
    rf"unit s0 \(SMMUv3, stream table linear at {A}: 2\^8 StreamIDs\)",
    rf"    STE at {A}: S1, CD table linear at {A}, S1CDMax 10, S1DSS ssid0, EATS 0",
    rf"    no SSID -> CD 0: ASID \d+, TTB0 {A}, T0SZ 16 -> domain dma",
    rf"    SSID 1000 -> CD 1000: ASID (\d+), TTB0 ({A}), T0SZ 16 -> domain ctx",
    r"  StreamID 0x20 b \(group 2\)",
    rf"    STE at {A}: bypass",
    r"    no SSID -> STE bypass -> domain pt",
    rf"    STE at {A}: S1, CD table linear at {A}, S1CDMax 4, S1DSS terminate, EATS 0",
    rf"    SSID 3 -> CD 3: ASID \d+, TTB0 {A}, T0SZ 16 -> domain ctx",
])
# One domain on two devices: one page table, one ASID (SMMUv3 3.17: the
# TLB is tagged by ASID, so the entries are shared).
ttb = re.findall(r"-> CD \d+: ASID (\d+), TTB0 (0x[0-9a-f]+), T0SZ 16 -> domain ctx", out)
t.check("a shared domain: one ASID, one TTB0", len(ttb) == 2 and ttb[0] == ttb[1], out)

with open(t.path("lin.dot")) as fh:
    dot = fh.read()
for p in [r'  ste_0 \[shape=box, label="STE at 0x[0-9a-f]+: S1, CD table linear',
          r"  dev_0 -> ste_0;", r"  ste_0 -> dev_0_p1000;", r"  dev_0_p1000 -> dom_1;",
          r'  dev_0_p0 \[label="no SSID\\nCD 0: ASID \d+', r"  dev_0_p0 -> dom_0;",
          r"  dev_1_p0 -> dom_2;", r'  dev_1 \[label="b", xlabel="StreamID 0x20, group 2"\];']:
    t.check(f"DOT: {p!r}", re.search("^" + p, dot, re.M) is not None, dot)
if shutil.which("dot"):
    r = subprocess.run(["dot", "-Tsvg", t.path("lin.dot"), "-o", t.path("lin.svg")],
                       stderr=subprocess.PIPE)
    t.check("Graphviz reads the DOT", r.returncode == 0, r.stderr)

# The same read-back as JSON: STE and CD fields as numbers, the domain the
# entry points at.
rc, out, err = t.expect("dump --json of linear tables", ["dump", "--json", lin, "-o", "lin2"], 0,
                        env=nodot)
doc = t.json("dump --json", out)
if doc:
    u = doc["units"][0]
    t.check("JSON dump: the unit and its stream table",
            u["type"] == "smmuv3" and u["stream_table"]["format"] == "linear" and
            u["stream_table"]["log2size"] == 8, u)
    a, b, c = u["devices"]
    t.check("JSON dump: device a's STE", a["sid"] == 0x10 and a["rid"] == "00:02.0" and
            a["ste"]["config"] == "s1" and a["ste"]["s1_fmt"] == "linear" and
            a["ste"]["s1_cdmax"] == 10 and a["ste"]["s1dss"] == "ssid0", a)
    t.check("JSON dump: device a's CDs", [(x["pasid"], x["domain"], x["tables"]["via"],
                                            x["tables"]["ssid"]) for x in a["attachments"]] ==
            [(None, "dma", "cd", 0), (1000, "ctx", "cd", 1000)], a)
    t.check("JSON dump: one ASID and TTB0 for the shared domain",
            (a["attachments"][1]["tables"]["asid"], a["attachments"][1]["tables"]["ttb0"]) ==
            (c["attachments"][0]["tables"]["asid"], c["attachments"][0]["tables"]["ttb0"]), u)
    t.check("JSON dump: a device by sid, bypass", b["sid"] == 0x20 and b["rid"] is None and
            b["ste"]["config"] == "bypass" and b["attachments"][0]["tables"]["via"] == "bypass",
            b)
    t.check("JSON dump: domains", [(d["name"], len(d["mappings"])) for d in doc["domains"]] ==
            [("dma", 1), ("ctx", 1), ("pt", 0)], doc["domains"])
rc, out, err = t.expect("dump --json of the example", ["dump", "--json", ex, "-o", "ex2"], 0,
                        env=nodot)
doc = t.json("dump --json of the example", out)
if doc:
    nic = doc["units"][0]["devices"][1]
    t.check("JSON dump: an S2 STE", nic["ste"]["config"] == "s2" and
            nic["attachments"][0]["tables"]["via"] == "s2" and
            nic["attachments"][0]["tables"]["s2_ttb"] == nic["ste"]["s2_ttb"], nic)

# The demo on SMMUv3: the same acts, the fault as an SMMUv3 event.
rc, out, err = t.expect("demo --unit smmuv3", ["demo", "--unit", "smmuv3"], 0)
for line in ["siommu demo: one Arm SMMUv3 unit, programmed by the OS half through its "
             "registers, command queue,",
             "   32 jobs of 64 KiB each: every byte where it belongs",
             "   blocked. Event record: StreamID 0x8, SubstreamID 1, address 0x300000, "
             "F_TRANSLATION (no valid translation)",
             "copy engine  00:01.0  1      A -> B's 0x300000           1            0       1"]:
    t.check(f"SMMUv3 demo says {line.strip()[:50]!r}", line + "\n" in out, out)
t.check("SMMUv3 demo's unit line", re.search(r"^unit: TLB [0-9.]+% hits .* faults; driver: "
                                              r"\d+ commands, \d+ CMD_SYNCs;$", out, re.M)
        is not None, out)
default = t.run("demo")
t.check("--unit=vtd is the default demo", t.run("demo", "--unit=vtd")[1] == default[1] and
        "Fault record: requester 00:01.0, PASID 1" in default[1], default)
t.expect("--unit needs a value", ["demo", "--unit"], 2, "option '--unit' needs a value")
t.expect("--unit names a type", ["demo", "--unit", "smmu"], 2,
         "--unit: no unit type named 'smmu' (vtd or smmuv3)")
t.done()

#!/usr/bin/env python3
# SMMUv2 units in scenarios, and SVA on VT-d and SMMUv3: the SMMUv2
# example runs with every expect met and its faults named by their FSR or sGFSR bit (TF, PF, USF), in the table and in
# JSON; `siommu dump` reads the unit's registers back: each device's stream
# match group -> S2CR -> context bank (type, VMID, ASID, TTBR0) -> the domain
# whose table TTBR0 points at, in text, DOT and JSON. GPU clients: each job
# runs in its client's private space (the malicious one's read faults in
# the GPU's bank, TF, the next job of the other client runs), and the dump
# names the client whose table is live in the GPU's bank; on VT-d each
# client's PASID entry. SVA: processes bound to a device with ATS and PRI
# get a PASID each; the device's first touches fault pages in, its reach
# into memory the process does not map is answered "invalid request", and
# the dump shows each bound PASID's entry pointing at the process's CPU page
# table.
import os
import re

import cli

t = cli.Cli("smmuv2")
ex = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples",
                  "scenarios", "smmuv2.yaml")

rc, out, err = t.expect("the SMMUv2 example runs", ["run", "--no-progress", ex], 0)
for dev, reason in (("camera", "TF:8"), ("camera", "PF:8"), ("disk", "USF:8")):
    t.check(f"{dev}'s faults are {reason}", re.search(
        rf"^{dev} .* 8 +0  {reason}$", out, re.M) is not None, out)
rc, out, err = t.expect("--json", ["run", "--no-progress", "--json", ex], 0)
doc = t.json("run --json", out)
if doc:
    t.check("the unit's type is smmuv2", doc["units"][0]["type"] == "smmuv2", out)
    t.check("faults keyed by FSR bit", [w["faults_by_reason"] for w in doc["workload"][3:]]
            == [{"TF": 8}, {"PF": 8}, {"USF": 8}], out)

rc, out, err = t.expect("dump", ["dump", ex, "-o", t.path("d")], 0)
with open(t.path("d.txt")) as f:
    txt = f.read()
for pat in [r"^unit smmu0 \(SMMUv2, 15-bit StreamIDs, 16 stream match groups, 8 context banks\)$",
            r"^  StreamID 0x7f00 display \(group 1\)\n    SMR 0 \(ID 0x7f00, mask 0x0\) -> "
            r"S2CR 0: translate, bank 0\n    bank 0: stage 1, VMID 1, ASID 1, TTBR0 0x[0-9a-f]+ "
            r"-> domain scanout$",
            r"^    bank 2: stage 2, VMID 3, VTTBR 0x[0-9a-f]+ -> domain rings$",
            r"^  StreamID 0x400 disk \(RID 04:00.0; group 4\)\n    SMR 3 \(ID 0x400, mask 0x0\) "
            r"-> S2CR 3: fault$"]:
    t.check(f"dump shows {pat[:50]!r}", re.search(pat, txt, re.M) is not None, txt)
with open(t.path("d.dot")) as f:
    dot = f.read()
t.check("DOT draws device -> S2CR -> bank -> domain",
        "dev_0 -> s2cr_0;" in dot and "s2cr_0 -> cb_0;" in dot and "cb_0 -> dom_0;" in dot, dot)
rc, out, err = t.expect("dump --json", ["dump", "--json", ex, "-o", t.path("j")], 0)
doc = t.json("dump --json", out)
if doc:
    u = doc["units"][0]
    t.check("the unit's geometry", (u["type"], u["sid_bits"], u["smr_groups"], u["banks"]) ==
            ("smmuv2", 15, 16, 8), out)
    st = {d["name"]: d["stream"] for d in u["devices"]}
    t.check("display's bank", st["display"]["s2cr"] == "translate" and
            st["display"]["bank"]["type"] == "s1" and
            st["display"]["bank"]["domain"] == "scanout" and
            st["display"]["bank"]["asid"] == 1, out)
    t.check("the stage-2 bank has no ASID", st["dma"]["bank"]["asid"] is None and
            st["dma"]["bank"]["domain"] == "rings", out)
    t.check("the disk's S2CR faults", st["disk"]["s2cr"] == "fault" and
            st["disk"]["bank"] is None, out)
    # TTBR0 points at the domain's table: the same number the text shows.
    m = re.search(r"bank 0: stage 1, VMID 1, ASID 1, TTBR0 (0x[0-9a-f]+)", txt)
    t.check("TTBR0 as in the text", m and int(m.group(1), 16) ==
            st["display"]["bank"]["ttbr0"], out)
gpu = os.path.join(os.path.dirname(ex), "gpu.yaml")
rc, out, err = t.expect("the GPU example runs", ["run", "--no-progress", gpu], 0)
t.check("the browser's job reading the game's texture faults (TF)", re.search(
    r"^gpu/browser 00:05.0  2 +read +4 +0 +4 +0  TF:4$", out, re.M) is not None, out)
t.check("the game goes on after the recovery", re.search(
    r"^gpu/game +00:05.0  1 +read +16 +65536 +0 +0  -$", out, re.M) is not None, out)
t.check("on VT-d the fault is the PASID's first-stage miss", re.search(
    r"^igpu/compositor 00:02.0  3 +read +4 +0 +4 +0  0x71:4$", out, re.M) is not None, out)
rc, out, err = t.expect("--json names the client", ["run", "--no-progress", "--json", gpu], 0)
doc = t.json("GPU run --json", out)
if doc:
    t.check("each GPU job has its client", [w.get("client") for w in doc["workload"]] ==
            ["game", "browser", "game", "browser", "game", "compositor", "compositor",
             "video"], out)
rc, out, err = t.expect("GPU dump", ["dump", gpu, "-o", t.path("g")], 0)
with open(t.path("g.txt")) as f:
    txt = f.read()
for pat in [r"^    bank 0: stage 1, VMID 1, ASID \d+, TTBR0 0x[0-9a-f]+ -> client game's table "
            r"\(PASID 1\)$",
            r"^    GPU clients: game \(PASID 1\), browser \(PASID 2\); live in the bank: game$",
            r"^    PASID 3 -> client compositor's space \(DID \d+, first stage\)$"]:
    t.check(f"GPU dump shows {pat[:50]!r}", re.search(pat, txt, re.M) is not None, txt)
rc, out, err = t.expect("GPU dump --json", ["dump", "--json", gpu, "-o", t.path("gj")], 0)
doc = t.json("GPU dump --json", out)
if doc:
    g = doc["units"][0]["devices"][0]
    t.check("the live client in JSON", g["stream"]["bank"]["live_client"] == "game" and
            [c["name"] for c in g["clients"]] == ["game", "browser"], out)
sva = os.path.join(os.path.dirname(ex), "sva.yaml")
rc, out, err = t.expect("the SVA example runs", ["run", "--no-progress", sva], 0)
t.check("refused DMAs count their page response", len(re.findall(
    r"^accel +00:04.0  1 +(read|write) +4 +0 +4 +0  response invalid_request:4$", out,
    re.M)) == 2, out)
t.check("the process table: A's untouched pages faulted in by the device", re.search(
    r"^app_a +1 +32 +0 +16 +8$", out, re.M) is not None, out)
t.check("B's pages all written by the CPU first", re.search(
    r"^app_b +2 +20 +0 +0 +0$", out, re.M) is not None, out)
rc, out, err = t.expect("SVA --json", ["run", "--no-progress", "--json", sva], 0)
doc = t.json("SVA run --json", out)
if doc:
    t.check("JSON processes", [(p["process"], p["pasid"], p["faulted_in"], p["refused"])
                               for p in doc["processes"]] ==
            [("app_a", 1, 16, 8), ("app_b", 2, 0, 0)], out)
rc, out, err = t.expect("SVA dump", ["dump", sva, "-o", t.path("s")], 0)
with open(t.path("s.txt")) as f:
    txt = f.read()
t.check("the dump: PASID -> process -> its CPU page table", re.search(
    r"^    PASID 1 -> process app_a \(SVA\) \(DID \d+, first stage\): first-stage table "
    r"0x[0-9a-f]+, its CPU page table$", txt, re.M) is not None, txt)
rc, out, err = t.expect("SVA dump --json", ["dump", "--json", sva, "-o", t.path("sj")], 0)
doc = t.json("SVA dump --json", out)
if doc:
    a = doc["units"][0]["devices"][0]["attachments"]
    t.check("JSON: binds name their process and table", [(x["pasid"], x.get("process"))
            for x in a] == [(1, "app_a"), (2, "app_b")] and
            all(x["tables"]["fsptptr"] for x in a), out)
# The same on SMMUv3: Arm64 processes whose untouched pages the device's PRI
# page requests fault in (CMD_PRI_RESP success), and refused DMAs answered
# "invalid request".
sva3 = os.path.join(os.path.dirname(ex), "sva_smmuv3.yaml")
rc, out, err = t.expect("the SMMUv3 SVA example runs", ["run", "--no-progress", sva3], 0)
t.check("SMMUv3: DMAs needing page requests all completed", len(re.findall(
    r"^accel +sid 0x100 [12] +(read|write) +\d+ +\d+ +0 +0  -$", out, re.M)) == 4, out)
t.check("SMMUv3: refused DMAs count their page response", len(re.findall(
    r"^accel +sid 0x100 1 +(read|write) +4 +0 +4 +0  response invalid_request:4$", out,
    re.M)) == 2, out)
rc, out, err = t.expect("SMMUv3 SVA --json", ["run", "--no-progress", "--json", sva3], 0)
doc = t.json("SMMUv3 SVA run --json", out)
if doc:
    t.check("SMMUv3: pages faulted in by page requests", [(p["process"], p["pasid"],
            p["faulted_in"], p["refused"]) for p in doc["processes"]] ==
            [("app_a", 1, 16, 8), ("app_b", 2, 4, 0)], out)
rc, out, err = t.expect("SMMUv3 SVA dump", ["dump", sva3, "-o", t.path("s3")], 0)
with open(t.path("s3.txt")) as f:
    txt = f.read()
for pasid, name in ((1, "app_a"), (2, "app_b")):
    t.check(f"SMMUv3 dump: {name}'s CD, its TTB0 the process's table", re.search(
        rf"^    SSID {pasid} -> CD {pasid}: ASID \d+, TTB0 0x[0-9a-f]+, T0SZ 16 -> process "
        rf"{name} \(SVA\), TTB0 its CPU page table$", txt, re.M) is not None, txt)
with open(t.path("s3.dot")) as f:
    dot = f.read()
t.check("SMMUv3 DOT: each CD points at its process", "dev_0_p1 -> proc_0;" in dot and
        "dev_0_p2 -> proc_1;" in dot, dot)
rc, out, err = t.expect("SMMUv3 SVA dump --json", ["dump", "--json", sva3, "-o", t.path("s3j")], 0)
doc = t.json("SMMUv3 SVA dump --json", out)
if doc:
    t.check("SMMUv3 JSON: binds name their process", [(x["pasid"], x.get("process")) for x in
            doc["units"][0]["devices"][0]["attachments"]] == [(1, "app_a"), (2, "app_b")], out)
t.done()

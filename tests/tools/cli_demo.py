#!/usr/bin/env python3
# `siommu demo` as a newcomer reads it: the README shows its default run
# exactly; the SVA act shows the page requests, the munmap reaching the
# device and the cross-process copy refused, on VT-d and on SMMUv3 alike
# (where the munmap reaches the engine's ATC through CMD_ATC_INV); the GPU
# act shows the malicious job's context fault naming its bank and address,
# the recovery and the other client going on.
import os
import re

import cli

t = cli.Cli("demo")
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")

rc, out, err = t.expect("demo runs", ["demo"], 0)
with open(os.path.join(root, "README.md")) as f:
    readme = f.read()
m = re.search(r"`make demo` runs `siommu demo`.*?\n```\n(.*?)```\n", readme, re.S)
t.check("README has the demo's output block", m is not None)
if m:
    want, got = m.group(1).splitlines(), out.splitlines()
    diff = [f"README: {w!r}\ndemo:   {g!r}" for w, g in zip(want, got) if w != g]
    t.check("README's demo block is the default run, line for line",
            want == got, "\n".join(diff[:5]) or f"{len(want)} lines against {len(got)}")

SVA_ACT = [
    "5. shared virtual addressing: processes A and B bound to the copy engine get PASIDs ",
    "   their threads submit through its shared queue (ENQCMD: the PASID comes from the "
    "thread),\n",
    ": every byte where it belongs;\n",
    "   the pages the device touched first were faulted in through page requests: "
    "3 for A, 3 for B\n",
    "   A unmaps 0x30000000 between two queued copies from it: the first copied 4096 bytes,\n",
    "   the second ends at once, page fault at 0x30000000 (0 bytes): the munmap reached "
    "the device's {}\n",
    "   A's copy to 0x20000000, where only B maps memory: A's page request is answered "
    "\"invalid\",\n",
    "   the copy ends with a page fault at 0x20000000 after 0 bytes; B's memory untouched\n",
    "6. a GPU at 00:05.0 behind a second unit, SMMUv2-style, without PASIDs:",
    "   the driver recovers the GPU; A goes on: its next job renders \"frame 2 of A\"\n"]
PROCESS_A_ROW = r"^copy engine  00:01.0  (\d+) +process A \(SVA\) +4 +12288 +2$"

for line in SVA_ACT:
    line = line.format("TLB")
    t.check(f"demo says {line.strip()[:60]!r}", line in out, out)

# The GPU's fault names the bank and the address: the address B read is
# A's surface, and the live table is B's.
m = re.search(r"B's job reads (0x[0-9a-f]+), A's surface in memory: context fault in bank "
              r"(\d+), FAR (0x[0-9a-f]+),\n   FSR 0x2 \(translation fault\), live TTBR0 "
              r"(0x[0-9a-f]+) \(B's table, ASID (\d+)\); the GPU hangs\n", out)
t.check("the GPU's fault names bank, FAR and the live table", m is not None, out)
if m:
    t.check("FAR is the address B's job read", m.group(1) == m.group(3), m.group(0))
    t.check("the live ASID is TTBR0's", int(m.group(4), 16) >> 48 == int(m.group(5)),
            m.group(0))
t.check("process A's row: 4 copies, 3 pages, 2 ended by a fault",
        re.search(PROCESS_A_ROW, out, re.M) is not None, out)
m = re.search(r"^GPU +00:05.0  \d+ +client B +2 +13 +1$", out, re.M)
t.check("client B's row: its fault counted", m is not None, out)
t.check("the SMMUv2 unit's line", re.search(
    r"^SMMUv2 unit: TLB [0-9.]+% hits \(\d+ hits, \d+ misses\), 1 context faults; GPU: 5 jobs, "
    r"3 table switches, 1 recoveries$", out, re.M) is not None, out)
t.check("the demo is deterministic", t.run("demo")[1] == out)

rc, out, err = t.expect("demo --unit smmuv3 runs", ["demo", "--unit", "smmuv3"], 0)
for line in SVA_ACT:
    line = line.format("ATC (CMD_ATC_INV)")
    t.check(f"SMMUv3: demo says {line.strip()[:60]!r}", line in out, out)
t.check("SMMUv3: process A's row", re.search(PROCESS_A_ROW, out, re.M) is not None, out)
t.check("SMMUv3: the demo is deterministic", t.run("demo", "--unit", "smmuv3")[1] == out)
t.done()

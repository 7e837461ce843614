#!/usr/bin/env python3
# Bounded input and work: a file too large, nested too deep, with too many
# aliases or items, or a workload beyond the DMA and byte caps is refused
# with the limit in the message; a long workload stops at --timeout (exit
# 124) or at Ctrl-C (exit 130), printing the results gathered so far.
import json
import signal
import subprocess
import time

import cli

t = cli.Cli("bounds")
head = """units: [{ name: u0 }]
devices: [{ name: d0, unit: u0, rid: "00:01.0" }]
domains: [{ name: dom, unit: u0, mappings: [{ iova: 0x1000, size: 4K }] }]
attach: [{ device: d0, domain: dom }]
"""

big = t.write("big.yaml", head + "# " + "x" * (300 << 10) + "\n")
t.expect("file too large", ["run", "--no-progress", big], 1,
         "big.yaml: larger than the limit of 256 KiB for a scenario file")
deep = t.write("deep.yaml", head + "workload: " + "[" * 40 + "]" * 40 + "\n")
t.expect("nesting too deep", ["run", "--no-progress", deep], 1,
         "deep.yaml:5: nesting deeper than 16 levels")
laughs = "a: &a [x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 8) + "]\n"
    for i in range(9))
bomb = t.write("bomb.yaml", laughs + head)
t.expect("alias expansion bounded", ["run", "--no-progress", bomb], 1,
         "bomb.yaml:10: more than 64 aliases (*name)")
items = t.write("items.yaml", head.replace("units: [{ name: u0 }]", "units: [" + ", ".join(
    f"{{ name: u{i} }}" for i in range(65)) + "]"))
t.expect("list too long", ["run", "--no-progress", items], 1,
         "items.yaml:1: units: 65 items, beyond the limit of 64")
longname = t.write("longname.yaml", head.replace("name: u0 }]", "name: " + "u" * 32 + " }]", 1))
t.expect("name too long", ["run", "--no-progress", longname], 1,
         "longname.yaml:1: name: expected a name of 1 to 31 bytes")
twodocs = t.write("twodocs.yaml", head + "---\n" + head)
t.expect("a second document", ["run", "--no-progress", twodocs], 1,
         "twodocs.yaml:5: a second YAML document")
dmas = t.write("dmas.yaml", head + "workload:\n"
               "  - { device: d0, op: read, iova: 0x1000, size: 64, count: 60000000 }\n"
               "  - { device: d0, op: read, iova: 0x1000, size: 64, count: 30000000, threads: 2 }\n")
t.expect("DMA count capped", ["run", "--no-progress", dmas], 1,
         "dmas.yaml:7: count: the workload so far issues 120000000 DMAs, beyond the limit "
         "of 100000000")
t.expect("one item beyond the cap", ["run", "--no-progress", t.write("one.yaml", head +
         "workload: [{ device: d0, op: read, iova: 0x1000, count: 100000001 }]\n")], 1,
         "count: 100000001 is out of range: expected 1 to 100000000")
nbytes = t.write("bytes.yaml", head + "workload:\n"
                 "  - { device: d0, op: read, iova: 0x1000, size: 1M, count: 40000, threads: 2 }\n")
t.expect("bytes capped", ["run", "--no-progress", nbytes], 1,
         "bytes.yaml:6: count: the workload so far moves 80000 MiB, beyond the limit of 65536 MiB")
t.expect("--timeout 0 refused", ["run", "--timeout", "0", nbytes], 2,
         "--timeout: expected whole seconds")

# A workload that takes far longer than the test waits: close to both caps
# (10^8 DMAs, 64 GiB moved), seconds of copying on any machine.
slow = t.write("slow.yaml", head + "workload:\n"
               "  - { device: d0, op: read, iova: 0x1000, size: 640, count: 99999000, expect: ok }\n"
               "  - { device: d0, op: write, iova: 0x1000, size: 64, count: 1000 }\n")
start = time.monotonic()
rc, out, err = t.expect("--timeout stops the run", ["run", "--no-progress", "--json",
                        "--timeout", "1", slow], 124, "stopped after --timeout 1 s")
t.check("--timeout in time", time.monotonic() - start < 30, time.monotonic() - start)
try:
    doc = json.loads(out)
    done = doc["workload"][0]["dmas"]
    t.check("--timeout prints partial results", 0 < done < 99999000, done)
    t.check("an item not started shows 0", doc["workload"][1]["dmas"] == 0, doc["workload"])
except (ValueError, KeyError, IndexError) as e:
    t.check("--timeout prints a JSON report", False, f"{e}: {out!r}")

p = subprocess.Popen([t.siommu, "run", "--no-progress", slow], stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE, text=True)
time.sleep(1)
p.send_signal(signal.SIGINT)
try:
    out, err = p.communicate(timeout=30)
except subprocess.TimeoutExpired:
    p.kill()
    out, err = p.communicate()
t.check("Ctrl-C exits 130", p.returncode == 130, f"exit {p.returncode}: {err}")
t.check("Ctrl-C says so", "interrupted; the results so far follow" in err, err)
rows = [l.split() for l in out.splitlines() if l.startswith("d0")]
t.check("Ctrl-C prints partial results",
        len(rows) == 2 and 0 < int(rows[0][4]) < 99999000 and rows[0][7] == "0", out)
t.done()

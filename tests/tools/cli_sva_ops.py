#!/usr/bin/env python3
# A process's own operations in a scenario's workload (munmap, mprotect,
# reclaim, migrate; examples/scenarios/sva_ops.yaml): the example runs with
# every expect met, each operation has its row (the process, its PASID,
# the range's bytes, what it did to how many pages) in text and in JSON,
# and the process table adds up: the device faulted back in the pages
# reclaim sent to swap, and its reach into the unmapped range and its
# writes to the read-only one were refused. An operation the library
# refuses stops the run at its line, after the work before it.
import os
import re

import cli

t = cli.Cli("sva_ops")
ex = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples",
                  "scenarios", "sva_ops.yaml")

rc, out, err = t.expect("the example runs", ["run", "--no-progress", ex], 0)
for op, what in (("mprotect", r"0x10000000: prot r, 0 pages to swap"),
                 ("reclaim", r"0x20000000: 16 pages to swap"),
                 ("migrate", r"0x20000000: 8 pages moved"),
                 ("munmap", r"0x20000000: 16 pages freed")):
    t.check(f"{op}'s row", re.search(rf"^app +- +1 +{op} +- +\d+ +- +-  {what}$", out, re.M)
            is not None, out)
t.check("writes to the read-only range refused", re.search(
    r"^accel +00:04.0  1 +write +4 +0 +4 +0  response invalid_request:4$", out, re.M)
    is not None, out)
t.check("reads of the unmapped range refused", re.search(
    r"^accel +00:04.0  1 +read +16 +0 +16 +0  response invalid_request:16$", out, re.M)
    is not None, out)
t.check("the process: 16 pages left, 16 faulted back in, 20 refused", re.search(
    r"^app +1 +16 +0 +16 +20$", out, re.M) is not None, out)

rc, out, err = t.expect("--json", ["run", "--no-progress", "--json", ex], 0)
doc = t.json("run --json", out)
if doc:
    ops = [(w["op"], w["addr"], w["size"], w["pages"], w.get("prot"))
           for w in doc["workload"] if "process" in w and "device" not in w]
    t.check("JSON rows of the process's operations", ops == [
        ("mprotect", 0x10000000, 0x10000, 0, "r"), ("mprotect", 0x10000000, 0x10000, 0, "rw"),
        ("reclaim", 0x20000000, 0x10000, 16, None), ("migrate", 0x20000000, 0x8000, 8, None),
        ("munmap", 0x20000000, 0x10000, 16, None)], out)
    t.check("JSON: the PASID of the process", all(w["pasid"] == 1 for w in doc["workload"]), out)

# mprotect to none: the resident pages go to swap, and come back on the
# device's touch.
body = """units:
  - { name: v0 }
processes:
  - name: p
    mappings:
      - { addr: 0x10000, size: 16K, fill: 7 }
devices:
  - { name: d, unit: v0, rid: "00:01.0", pasid_bits: 8, ats: true, pri: true, bind: [p] }
domains: []
attach: []
workload:
  - { process: p, op: mprotect, addr: 0x10000, size: 16K, prot: none }
  - { device: d, process: p, op: read, iova: 0x10000, size: 64, expect: fault }
  - { process: p, op: mprotect, addr: 0x10000, size: 16K, prot: r }
  - { device: d, process: p, op: read, iova: 0x10000, size: 4K, stride: 4K, span: 16K, count: 4, expect: ok }
"""
rc, out, err = t.expect("mprotect none, then r", ["run", "--no-progress", t.write("n.yaml", body)], 0)
t.check("4 pages to swap", "0x10000: prot none, 4 pages to swap" in out, out)
t.check("faulted back in", re.search(r"^p +1 +4 +0 +4 +1$", out, re.M) is not None, out)

bad = body.replace("prot: r }", "prot: r }\n  - { process: p, op: munmap, addr: 0x10000, size: 4K }\n"
                   "  - { process: p, op: mprotect, addr: 0x10000, size: 16K, prot: rw }")
rc, out, err = t.expect("a refused operation stops the run at its line",
                        ["run", "--no-progress", t.write("bad.yaml", bad)], 1,
                        "bad.yaml:16: addr: process 'p' refused mprotect of 0x10000+16K")
t.done()

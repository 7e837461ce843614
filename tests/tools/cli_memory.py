#!/usr/bin/env python3
# A short scenario cannot commit gigabytes: the buffers behind all mappings
# are capped (1 GiB by default, --max-memory to change it, the limit named
# in the refusal), and a mapping without `fill` writes nothing, so even 7 GiB
# of unfilled mappings leave the process small.
import resource

import cli

t = cli.Cli("memory")
head = """units: [{ name: u0 }]
devices: [{ name: d0, unit: u0, rid: "00:01.0" }]
domains:
  - name: dom
    unit: u0
    mappings:
"""
seven = head + "".join(f"      - {{ iova: {i + 1}G, size: 1G, prot: rw{{fill}} }}\n"
                       for i in range(7)) + "attach: [{ device: d0, domain: dom }]\n"
f = t.write("seven.yaml", seven.replace("{fill}", ""))
t.expect("7 GiB refused by default", ["run", "--no-progress", f], 1,
         "seven.yaml:8: size: the mappings so far need 2048 MiB of memory, beyond the "
         "limit of 1024 MiB (--max-memory)")
filled = t.write("filled.yaml", seven.replace("{fill}", ", fill: 0x5a"))
t.expect("filled 7 GiB refused by default", ["run", "--no-progress", filled], 1,
         "(--max-memory)")
t.expect("a limit that is no size", ["run", "--no-progress", "--max-memory", "lots", f], 2,
         "--max-memory: expected a size")
t.expect("a limit of 0", ["run", "--no-progress", "--max-memory", "0", f], 2,
         "--max-memory: expected a size")
before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
t.expect("7 GiB allowed with --max-memory 8G", ["run", "--no-progress", "--max-memory", "8G", f], 0)
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
t.check("unfilled mappings commit nothing", rss < 256 * 1024,
        f"max RSS {rss} KiB (before: {before} KiB)")
small = t.write("small.yaml", head + "      - { iova: 0x1000, size: 64K, prot: rw, fill: 0xab }\n"
                "attach: [{ device: d0, domain: dom }]\n")
t.expect("a small filled mapping runs", ["run", "--no-progress", "--max-memory", "64K", small], 0)
t.expect("beyond a small limit", ["run", "--no-progress", "--max-memory", "60K", small], 1,
         "limit of 0 MiB")
t.done()

#!/usr/bin/env python3
# `siommu dump -o PREFIX`: the prefix names files and nothing else (no
# shell ever sees it), and the .dot file is DOT that Graphviz reads back,
# hostile names included. A render that fails is reported with a non-zero
# exit, never claimed; without Graphviz the .txt and .dot are still written.
# The Graphviz checks exit 77 (skipped) when dot is not installed; the
# checks that need no Graphviz run first and fail on their own.
import os
import re
import shutil
import stat
import subprocess

import cli

t = cli.Cli("dump")
f = t.write("hostile.yaml", cli.hostile_yaml())
os.mkdir(t.path("bin"))

# No dot on PATH: the text and the DOT file, and the SVG's absence said.
nodot = {"PATH": t.path("bin")}
prefix = "x'$(touch pwned)'`touch pwned2`;touch pwned3"
rc, out, err = t.expect("dump without graphviz", ["dump", f, "-o", prefix], 0,
                        "install graphviz", env=nodot)
t.check("no command in the prefix ran",
        not any(os.path.exists(t.path(p)) for p in ("pwned", "pwned2", "pwned3")),
        os.listdir(t.dir))
t.check("files at the literal prefix",
        os.path.exists(t.path(prefix + ".dot")) and os.path.exists(t.path(prefix + ".txt")),
        os.listdir(t.dir))
t.check("the text dump names the device", cli.HOSTILE_DEV.split("\n")[0] in out, out)
t.expect("empty prefix refused", ["dump", f, "-o", ""], 2, "non-empty prefix")
t.expect("prefix that reads as an option", ["dump", f, "-o", "-Tps"], 0, "install graphviz",
         env=nodot)

# The structure as the unit has it: groups numbered by the core's groups,
# each attachment with the domain ID and translation type read back from
# the PASID table entry, each domain with its stage, ATS and PRI in the
# context entry.
groups = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples",
                      "scenarios", "groups.yaml")
rc, out, err = t.expect("dump of groups.yaml", ["dump", groups, "-o", "groups"], 0, env=nodot)
for line in ("  RID 03:00.0 nic (group 1; context: PASID off)",
             "  RID 03:00.1 crypto (group 1; context: PASID enabled)",
             "    RID (no PASID) -> domain shared (DID 1, first stage)",
             "    PASID 7 -> domain crypto_ctx (DID 2, first stage)",
             "  RID 05:00.0 legacy (group 2; context: PASID off)",
             "    RID (no PASID) -> domain legacy_dma (DID 3, second stage)",
             "domain legacy_dma: paging, second stage (VT-d format)"):
    t.check(f"dump says {line.strip()!r}", line + "\n" in out, out)
ats = t.write("ats.yaml", """units: [{ name: u0 }]
devices:
  - { name: smart, unit: u0, rid: "00:02.0", pasid_bits: 8, ats: true, pri: true }
  - { name: idle, unit: u0, rid: "00:03.0" }
domains: [{ name: pt, unit: u0, type: identity }]
attach: [{ device: smart, domain: pt }]
""")
rc, out, err = t.expect("dump of ATS and PRI", ["dump", ats, "-o", "ats"], 0, env=nodot)
t.check("ATS and PRI in the context", "smart (group 1; context: PASID enabled, ATS, PRI)" in out,
        out)
t.check("identity is pass-through", "domain pt (DID 1, pass-through)" in out, out)
t.check("an unattached RID shows no entry", "idle (group 2; context: PASID off)\n"
        "domain" in out, out)

# A dot that fails: reported, exit 1, no SVG claimed or left behind.
fake = t.write("bin/dot", "#!/bin/sh\necho 'dot: out of cheese' >&2\nexit 3\n")
os.chmod(fake, stat.S_IRWXU)
rc, out, err = t.expect("failed render reported", ["dump", f, "-o", "bad"], 1,
                        "dot could not draw", env=nodot)
t.check("failed render not claimed", "wrote" not in err and not os.path.exists(t.path("bad.svg")),
        err)

dot = shutil.which("dot")
if not dot:
    print("skip: Graphviz's dot is not installed")
    t.done() if t.fails else exit(77)

rc, out, err = t.expect("dump with graphviz", ["dump", f, "-o", prefix], 0, ".svg")
t.check("no command in the prefix ran (graphviz)",
        not any(os.path.exists(t.path(p)) for p in ("pwned", "pwned2", "pwned3")),
        os.listdir(t.dir))
with open(t.path(prefix + ".svg")) as s:
    t.check("an SVG was drawn", "<svg" in s.read())
canon = subprocess.run([dot, "-Tcanon", t.path(prefix + ".dot")], capture_output=True,
                       text=True)
t.check("dot -Tcanon reads the .dot back", canon.returncode == 0 and not canon.stderr,
        canon.stderr)
dev_label = (cli.HOSTILE_DEV.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n"))
dom_label = (cli.HOSTILE_DOM.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\\\x09"))
t.check("device label intact", f'label="{dev_label}"' in canon.stdout, canon.stdout)
t.check("domain label intact", f'label="{dom_label}"' in canon.stdout, canon.stdout)
nodes = set(re.findall(r"^\t(\w+)\t\[", canon.stdout, re.M))
t.check("exactly the nodes drawn, none injected",
        nodes == {"unit_0", "dev_0", "dev_0_p3", "dom_0", "dom_0_map"}, sorted(nodes))
t.done()

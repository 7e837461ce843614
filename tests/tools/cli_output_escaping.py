#!/usr/bin/env python3
# Names are data, never syntax: a scenario whose unit, device and domain
# names hold quotes, backslashes, a line break, a tab and non-ASCII runs, and
# `siommu run --json` and `siommu dump --json` print one JSON document that
# a JSON parser reads back with the very names the file gave.
import json
import sys

import cli

t = cli.Cli("escaping")
f = t.write("hostile.yaml", cli.hostile_yaml())
rc, out, err = t.expect("hostile names run", ["run", "--no-progress", "--json", f], 0)
try:
    doc = json.loads(out)
except ValueError as e:
    doc = None
    t.check("--json output parses", False, f"{e}: {out!r}")
if doc is not None:
    t.check("--json output parses", True)
    t.check("device name reads back", doc["workload"][0]["device"] == cli.HOSTILE_DEV,
            repr(doc["workload"][0]["device"]))
    t.check("unit name reads back", doc["units"][0]["unit"] == cli.HOSTILE_UNIT,
            repr(doc["units"][0]["unit"]))
    t.check("the scenario's path reads back", doc["scenario"] == f, repr(doc["scenario"]))
    t.check("the workload ran", doc["workload"][0]["dmas"] == 4, repr(doc["workload"]))

# `siommu dump --json` too.
rc, out, err = t.expect("hostile names dump as JSON", ["dump", "--json", f, "-o", t.path("h")], 0)
doc = t.json("dump --json", out)
if doc:
    dev = doc["units"][0]["devices"][0]
    t.check("dump JSON: the names read back", doc["units"][0]["name"] == cli.HOSTILE_UNIT and
            dev["name"] == cli.HOSTILE_DEV and doc["domains"][0]["name"] == cli.HOSTILE_DOM and
            [x["domain"] for x in dev["attachments"]] == [cli.HOSTILE_DOM] * 2, repr(doc))

# A path with a quote in it is data too.
g = t.write('we"ird\\name.yaml', cli.hostile_yaml())
rc, out, err = t.expect("hostile path runs", ["run", "--no-progress", "--json", g], 0)
try:
    t.check("hostile path reads back", json.loads(out)["scenario"] == g, out)
except ValueError as e:
    t.check("hostile path parses", False, f"{e}: {out!r}")
# A path that is not UTF-8 still gives valid JSON (U+FFFD for the bad byte).
import os
raw = os.path.join(t.dir.encode(), b"caf\xe9.yaml")
with open(raw, "w") as fh:
    fh.write(cli.hostile_yaml())
rc, out, err = t.expect("non-UTF-8 path runs", ["run", "--no-progress", "--json", raw], 0)
try:
    t.check("non-UTF-8 path reads back", json.loads(out)["scenario"].endswith("caf\ufffd.yaml"),
            out)
except ValueError as e:
    t.check("non-UTF-8 path parses", False, f"{e}: {out!r}")

# Text output (the tables, the dump, error messages) shows control
# characters in names as escapes: a name cannot move the cursor, recolour
# the terminal or forge a line of output.
esc = 'red\x1b[31m\r\nfake'
g = t.write("esc.yaml", cli.hostile_yaml().replace(json.dumps(cli.HOSTILE_DEV, ensure_ascii=False),
                                                    json.dumps(esc)))
for args in (["run", "--no-progress", g], ["dump", g, "-o", t.path("esc")]):
    rc, out, err = t.expect(f"{args[0]}: a name with control characters", args, 0)
    t.check(f"{args[0]}: no control character printed",
            not any(c in out + err for c in "\x1b\r") and "\\x1b[31m\\x0d\\nfake" in out,
            repr(out))
dup = t.write("dup.yaml", f"""units: [{{ name: u0 }}]
devices:
  - {{ name: {json.dumps(esc)}, unit: u0, rid: "00:01.0" }}
  - {{ name: {json.dumps(esc)}, unit: u0, rid: "00:02.0" }}
""")
rc, out, err = t.expect("an error naming it", ["run", "--no-progress", dup], 1,
                        "a device named 'red\\x1b[31m\\x0d\\nfake' is already defined")
t.check("the error prints no control character", "\x1b" not in err and err.count("\n") == 1,
        repr(err))
t.done()

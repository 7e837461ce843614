#!/usr/bin/env python3
# The command line a user meets: help from every door (--help, -h, help
# CMD, CMD --help), --version from the project's version, unknown commands
# and options named in the message with exit 2, and output that cannot be
# written (a full device, a closed pipe) reported with a non-zero exit by
# every command. bench --check agrees with its table.
import os
import subprocess

import cli

t = cli.Cli("usage")
scenario = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples",
                        "scenarios", "groups.yaml")

for args in (["--help"], ["-h"], ["help"]):
    rc, out, err = t.expect(f"{' '.join(args)} prints the usage", args, 0,
                            "usage: siommu COMMAND", stream="stdout")
    t.check(f"{' '.join(args)} lists exit codes and docs",
            "124 --timeout reached" in out and "docs/scenarios.md" in out, out)
for cmd in ("run", "dump", "bench", "demo"):
    t.expect(f"help {cmd}", ["help", cmd], 0, f"usage: siommu {cmd}", stream="stdout")
    t.expect(f"{cmd} --help", [cmd, "--help"], 0, f"usage: siommu {cmd}", stream="stdout")
    t.expect(f"{cmd} -h", [cmd, "-h"], 0, f"usage: siommu {cmd}", stream="stdout")
t.expect("help run points at the schema", ["help", "run"], 0, "docs/scenarios.md",
         stream="stdout")
rc, out, err = t.expect("--version", ["--version"], 0, "siommu ", stream="stdout")
t.check("--version is the project's", out.strip() == "siommu " + os.environ.get(
    "SIOMMU_PROJECT_VERSION", out.split()[-1]) and out.split()[-1][0].isdigit(), out)

t.expect("no command", [], 2, "usage: siommu")
t.expect("unknown command", ["frobnicate"], 2, "siommu: unknown command 'frobnicate'")
t.expect("unknown top option", ["--frob"], 2, "siommu: unknown option '--frob'")
t.expect("help for no command", ["help", "frob"], 2, "no command named 'frob'")
t.expect("unknown run option", ["run", "--jsn", scenario], 2,
         "siommu run: unknown option '--jsn'")
t.expect("unknown dump option", ["dump", scenario, "--svg"], 2,
         "siommu dump: unknown option '--svg'")
t.expect("unknown bench option", ["bench", "pt", "--fast"], 2,
         "siommu bench: unknown option '--fast'")
t.expect("unknown benchmark", ["bench", "nothing"], 2, "no benchmark named 'nothing'")
t.expect("demo takes no argument", ["demo", "x"], 2, "siommu demo: unexpected argument 'x'")
t.expect("run without a file", ["run"], 2, "which scenario file?")
t.expect("two files", ["run", scenario, scenario], 2, "unexpected argument")
t.expect("option without its value", ["dump", scenario, "-o"], 2, "option '-o' needs a value")
t.expect("flag with a value", ["run", "--json=yes", scenario], 2, "takes no value")
t.expect("--opt=value form", ["run", "--no-progress", "--max-memory=64M", scenario], 0)
t.expect("-- ends options", ["run", "--no-progress", "--", scenario], 0)

# Output nobody can read is an error for every command.
with open("/dev/full", "w") as full:
    for args in (["help"], ["--version"], ["demo"], ["run", "--no-progress", scenario],
                 ["run", "--no-progress", "--json", scenario],
                 ["dump", scenario, "-o", t.path("d")], ["bench", "pasid", "--quick"],
                 ["bench", "pasid", "--quick", "--json"]):
        rc, out, err = t.run(*args, stdout=full)
        t.check(f"{' '.join(args[:2])} > /dev/full fails", rc != 0 and
                "error writing the output: No space left on device" in err,
                f"exit {rc}: {err}")
for args in (["demo"], ["run", "--no-progress", scenario], ["help"]):
    r, w = os.pipe()
    os.close(r)     # the reader is gone before the first write
    rc, out, err = t.run(*args, stdout=w)
    os.close(w)
    t.check(f"{args[0]} into a closed pipe fails", rc == 1 and "Broken pipe" in err,
            f"exit {rc}: {err}")
rc, out, err = t.run("dump", scenario, "-o", "/nonexistent-dir/x")
t.check("dump into a missing directory fails", rc == 1 and "cannot create" in err, err)

# --check: exit 1 exactly when a row of the table says MISS.
rc, out, err = t.run("bench", "pasid", "--quick", "--check", timeout=300)
missed = "MISS" in out
t.check("bench --check agrees with its table", (rc == 1) == missed and rc in (0, 1) and
        (not missed or "missed" in err), f"exit {rc}: {out}{err}")
t.check("bench tables have titles", "pasid: PASID allocator" in out, out)
t.check("bench --quick says its figures are indicative", "indicative" in out, out)
t.done()

#!/usr/bin/env python3
# `siommu bench all --quick --json`: every bench runs to completion (exit 0)
# and prints one JSON document, marked indicative, with a titled report per
# bench and, for each row, positive times (least and median) for the
# subject and for its baseline, ratios that match them, and a name used
# once; every two-thread scaling row comes with the same in two processes and
# with the machine's own figures. A smoke test of the benchmark code, not a
# measurement: --quick runs a few short rounds.
import json
import subprocess
import sys

BENCHES = {"pt", "iova", "pasid", "vtd", "smmuv3", "smmuv2", "core", "dma", "rcu", "iommufd", "sva"}

out = subprocess.run([sys.argv[1], "bench", "all", "--quick", "--json"],
                     capture_output=True, text=True, timeout=600)
if out.returncode != 0:
    sys.exit(f"exit {out.returncode}: {out.stderr}")
seen_benches, seen_rows, bad = set(), set(), []
doc = json.loads(out.stdout)    # one document for the whole run
if doc.get("indicative") is not True:
    bad.append(f"--quick figures not marked indicative: {doc.get('indicative')!r}")
for report in doc["benches"]:
    seen_benches.add(report["bench"])
    if not report.get("title"):
        bad.append(f"{report['bench']}: no title")
    for r in report["results"]:
        key = (report["bench"], r["name"])
        if key in seen_rows:
            bad.append(f"{key}: reported twice")
        seen_rows.add(key)
        if not (r["ns"] > 0 and r["baseline_ns"] > 0):
            if r["ratio"] is not None:
                bad.append(f"{key}: a ratio {r['ratio']} of times not measured")
            continue
        if abs(r["ratio"] - r["ns"] / r["baseline_ns"]) > 0.01 * r["ratio"] + 0.01:
            bad.append(f"{key}: ratio {r['ratio']} is not ns / baseline_ns")
        if not (r["ns_median"] > 0 and r["baseline_ns_median"] > 0):
            bad.append(f"{key}: medians {r['ns_median']} / {r['baseline_ns_median']}")
        elif abs(r["ratio_median"] - r["ns_median"] / r["baseline_ns_median"]) > \
                0.01 * r["ratio_median"] + 0.01:
            bad.append(f"{key}: ratio_median {r['ratio_median']} does not match")
        # The least time never exceeds the median, except for scaling rows,
        # which lead with the medians.
        if not r["name"].endswith(("scaling_2t", "scaling_2p")) and \
                (r["ns"] > r["ns_median"] or r["baseline_ns"] > r["baseline_ns_median"]):
            bad.append(f"{key}: a least time above its median")
    names = {r["name"] for r in report["results"]}
    for n in names:
        if n.endswith(".scaling_2t") and not n.startswith("cpu_"):
            procs = n[:-len("2t")] + "2p"
            for ref in (procs, "cpu_spin.scaling_2t", "cpu_ilp.scaling_2t"):
                if ref not in names:
                    bad.append(f"{report['bench']}: {n} without {ref}")
if seen_benches != BENCHES:
    bad.append(f"benches {sorted(seen_benches)}, expected {sorted(BENCHES)}")
for b in bad:
    print("FAIL", b)
print(f"{len(seen_rows)} rows from {len(seen_benches)} benches")
sys.exit(1 if bad else 0)

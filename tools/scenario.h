/* SPDX-License-Identifier: MIT */
/*
 * Scenario files for `siommu run` and `siommu dump`: IOMMU units, devices,
 * domains with their mappings, attachments (RID or RID+PASID) and a DMA
 * workload, in YAML (parsed with libyaml). See examples/scenarios/.
 */
#ifndef SIOMMU_TOOLS_SCENARIO_H
#define SIOMMU_TOOLS_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct scenario;

/*
 * scenario_load - parse @path. On a syntax or content error returns NULL and
 * writes "FILE:LINE: FIELD: what was expected" into @err.
 */
struct scenario *scenario_load(const char *path, char *err, size_t errlen);
void scenario_free(struct scenario *sc);

/*
 * scenario_run - build everything the file describes and run its workload.
 * @progress: show a progress bar on stderr. Returns 0, or a negative errno
 * with a message in @err (a setup step the library refused).
 */
int scenario_run(struct scenario *sc, bool progress, char *err, size_t errlen);

/* DMAs whose outcome contradicted their workload item's `expect`. */
uint64_t scenario_unexpected(struct scenario *sc);

/* Results of a run: a table, or one JSON document. */
void scenario_report(struct scenario *sc, FILE *out, bool json);

/* The live structure after a run: Graphviz dot, and indented text. */
void scenario_dump_dot(struct scenario *sc, FILE *out);
void scenario_dump_text(struct scenario *sc, FILE *out);

#endif

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
 * What a scenario may ask for. max_memory: the DMA buffers behind all
 * mappings together (each a power of two at least as large as its mapping),
 * in bytes; `--max-memory` changes it.
 */
struct scenario_limits {
	uint64_t max_memory;
};

#define SCENARIO_MAX_MEMORY_DEFAULT (1ull << 30)
#define SCENARIO_LIMITS_DEFAULT { .max_memory = SCENARIO_MAX_MEMORY_DEFAULT }

/*
 * scenario_load - parse @path within @lim (NULL: SCENARIO_LIMITS_DEFAULT).
 * On a syntax or content error returns NULL and writes "FILE:LINE: FIELD:
 * what was expected" into @err.
 */
struct scenario *scenario_load(const char *path, const struct scenario_limits *lim,
			       char *err, size_t errlen);

/*
 * scenario_parse_number - @s as scenario files write numbers: decimal or 0x
 * hex, with an optional K, M or G suffix (binary). Returns 0 with *out set,
 * -EINVAL (not such a number), -ERANGE (beyond 64 bits, suffix included).
 */
int scenario_parse_number(const char *s, uint64_t *out);
void scenario_free(struct scenario *sc);

/*
 * scenario_run - build everything the file describes and run its workload.
 * @progress: show a progress bar on stderr. Returns 0, or a negative errno
 * with a message in @err (a setup step the library refused).
 */
int scenario_run(struct scenario *sc, bool progress, char *err, size_t errlen);

/* DMAs whose outcome contradicted their workload item's `expect`. */
uint64_t scenario_unexpected(struct scenario *sc);

/*
 * scenario_report - the results of a run on @out: a table, or one JSON
 * document. Returns 0, or -ENOMEM (building the JSON document), -EIO (the
 * stream reported an error).
 */
int scenario_report(struct scenario *sc, FILE *out, bool json);

/* The live structure after a run: Graphviz dot, and indented text. */
void scenario_dump_dot(struct scenario *sc, FILE *out);
void scenario_dump_text(struct scenario *sc, FILE *out);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Scenario files for `siommu run` and `siommu dump`: IOMMU units, devices,
 * domains with their mappings, attachments (RID or RID+PASID) and a DMA
 * workload, in YAML (parsed with libyaml). docs/scenarios.md is the schema;
 * examples/scenarios/ has examples.
 *
 * A scenario is loaded (parsed and checked: nothing in it is taken silently,
 * and what it asks for is bounded by the limits below), then run once
 * (built with the OS half, its workload run through the hardware model),
 * then reported or dumped, then freed. A scenario is used by one thread at
 * a time; scenario_run() starts and joins the workload's threads itself.
 */
#ifndef SIOMMU_TOOLS_SCENARIO_H
#define SIOMMU_TOOLS_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct scenario;
struct siommu_ctx;
struct siommu_device;
struct siommu_unit;

/* Fixed limits of a scenario file (docs/scenarios.md lists them). */
#define SCENARIO_MAX_FILE	(256 << 10)	/* bytes of YAML */
#define SCENARIO_MAX_DEPTH	16		/* nested lists and mappings */
#define SCENARIO_MAX_ALIASES	64		/* YAML aliases (*name) */
#define SCENARIO_MAX_ITEMS	64		/* items in each list */
#define SCENARIO_MAX_NAME	31		/* bytes in a name */
#define SCENARIO_MAX_THREADS	16		/* threads of one workload item */
#define SCENARIO_MAX_DMAS	100000000ull	/* DMAs of the whole workload */
#define SCENARIO_MAX_DMA_BYTES	(64ull << 30)	/* bytes the workload moves */

/*
 * What a scenario may ask for, set per run. max_memory: the DMA buffers
 * behind all mappings together (each a power of two at least as large as
 * its mapping), in bytes; `--max-memory` changes it.
 */
struct scenario_limits {
	uint64_t max_memory;
};

#define SCENARIO_MAX_MEMORY_DEFAULT (1ull << 30)
#define SCENARIO_LIMITS_DEFAULT { .max_memory = SCENARIO_MAX_MEMORY_DEFAULT }

/*
 * scenario_load - read and check the scenario file @path within @lim (NULL:
 * SCENARIO_LIMITS_DEFAULT). Returns the scenario, or NULL with the reason in
 * @err: "FILE:LINE: FIELD: what is wrong, with the range or the line it
 * conflicts with", or "FILE: ..." for a file that cannot be read, is a
 * directory, is empty, is not UTF-8 or is larger than SCENARIO_MAX_FILE.
 */
struct scenario *scenario_load(const char *path, const struct scenario_limits *lim,
			       char *err, size_t errlen);

/*
 * scenario_load_buf - the same for @len bytes at @data, called @name in
 * messages (the bytes need not be NUL-terminated and are not kept).
 */
struct scenario *scenario_load_buf(const char *name, const void *data, size_t len,
				   const struct scenario_limits *lim, char *err, size_t errlen);

/* Free a scenario from scenario_load*(), run or not. Never fails. */
void scenario_free(struct scenario *sc);

/*
 * scenario_parse_number - @s as scenario files write numbers: decimal (a
 * leading 0 too: never octal) or 0x hex, with an optional K, M or G suffix
 * (binary; lower case too). Returns 0 with *out set,
 * -EINVAL (not such a number), -ERANGE (beyond 64 bits, suffix included).
 */
int scenario_parse_number(const char *s, uint64_t *out);

struct scenario_run_opts {
	bool progress;			/* a progress bar on stderr */
	/* Non-zero: stop soon. Read with __atomic_load_n(), so a signal
	 * handler may set it with __atomic_store_n() (lock-free). */
	int *stop;
	uint64_t deadline_ns;		/* CLOCK_MONOTONIC; 0: none */
};

/*
 * scenario_run - build everything the file describes and run its workload,
 * once. Returns 0; -EINTR (*o->stop was set) or -ETIMEDOUT (the deadline
 * passed): the workload stopped early and the results so far can be
 * reported; or another negative errno with a message in @err (a setup step
 * the library refused, said in words, at the line of the item at fault).
 */
int scenario_run(struct scenario *sc, const struct scenario_run_opts *o, char *err,
		 size_t errlen);

/*
 * The machine of a scenario alone, for a program that drives its devices
 * itself (libsiommu-preload.so, whose VFIO device files they become).
 *
 * scenario_build_machine - instead of scenario_run(): a context with the
 * file's units, and its devices in file order, each unowned with its RID
 * blocked. Nothing else of the file is built (domains, attachments,
 * processes, GPU clients, the workload), and no device has page-response
 * callbacks registered: the program's device models register their own.
 * Returns 0, -EALREADY (built already), or a negative errno with a
 * message in @err as scenario_run()'s. The machine goes with
 * scenario_free().
 *
 * scenario_ctx - the context (NULL before a build).
 * scenario_num_devices - the devices of the file.
 * scenario_device - device @i (file order) of a built machine into @out
 * (its strings live as long as the scenario). Returns 0, -ENOENT (no such
 * device, or not built).
 */
struct scenario_device {
	const char *name, *unit_name;
	int line;			/* in the file */
	struct siommu_unit *unit;
	struct siommu_device *dev;
};

int scenario_build_machine(struct scenario *sc, char *err, size_t errlen);
struct siommu_ctx *scenario_ctx(struct scenario *sc);
unsigned int scenario_num_devices(const struct scenario *sc);
int scenario_device(struct scenario *sc, unsigned int i, struct scenario_device *out);

/* DMAs whose outcome contradicted their workload item's `expect`. */
uint64_t scenario_unexpected(struct scenario *sc);

/*
 * scenario_report - the results of a run on @out: a table, or one JSON
 * document. Returns 0, or -ENOMEM (building the JSON document), -EIO (the
 * stream reported an error).
 */
int scenario_report(struct scenario *sc, FILE *out, bool json);

/*
 * scenario_smmuv3_event_name - the SMMUv3 event number @event (enum
 * siommu_smmuv3_event, SMMUv3 7.3) as the specification names it
 * ("F_TRANSLATION"); "no_event" for 0 (a transaction that ended without
 * an event record: STE.Config abort, or an output that is not RAM); NULL
 * for a number it does not name.
 */
const char *scenario_smmuv3_event_name(unsigned int event);

/* The live structure after a run: Graphviz dot, and indented text. */
void scenario_dump_dot(struct scenario *sc, FILE *out);
void scenario_dump_text(struct scenario *sc, FILE *out);

/*
 * scenario_dump_json - the same structure as one JSON document on @out:
 * units (with their type; SMMUv3 with its stream table) -> devices (RID or
 * StreamID, group; VT-d context bits or the SMMUv3 STE) -> attachments
 * (PASID, domain, and the entry the unit's tables hold: DID and
 * translation type, or the STE stage 2 or CD); domains with their kind
 * and mapped runs. Addresses are numbers. Returns 0, -ENOMEM (building
 * the document), -EIO (the stream reported an error).
 */
int scenario_dump_json(struct scenario *sc, FILE *out);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * siommu - the command-line tool: benchmarks (and, as they land, scenarios,
 * the demo and dumps).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "demo.h"
#include "scenario.h"

struct bench_entry {
	const char *name;
	int (*fn)(struct bench_report *rep);
	const char *what;
};

static const struct bench_entry benches[] = {
	{ "pt", bench_pt, "I/O page tables: map, unmap, iova_to_phys per format" },
	{ "iova", bench_iova, "IOVA allocator: cached and tree alloc+free" },
	{ "pasid", bench_pasid, "PASID allocator: alloc+free" },
	{ "vtd", bench_vtd, "VT-d model: IOTLB hit and miss, DMA, invalidation" },
	{ "core", bench_core, "IOMMU core: PASID alloc, strict map+unmap, PASID attach" },
	{ "dma", bench_dma, "DMA API: IOVA alloc, lazy/strict map+unmap, sg, 2-thread scaling" },
	{ "rcu", bench_rcu, "RCU: grace period idle and with a busy reader, read section" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"usage: siommu demo\n"
		"       siommu run FILE [--json] [--no-progress]   (exit 3: an 'expect' failed)\n"
		"       siommu dump FILE [-o PREFIX]\n"
		"       siommu bench NAME|all [--json] [--quick]\n"
		"       siommu help\n\n"
		"benchmarks:\n");
	for (i = 0; i < sizeof(benches) / sizeof(benches[0]); i++)
		fprintf(f, "  %-8s %s\n", benches[i].name, benches[i].what);
}

/*
 * A command's arguments: flags and "-o VALUE" options from @opts, and exactly
 * one positional argument. Returns 0, or prints the usage and returns 2.
 */
struct opt {
	const char *name;
	bool *flag;		/* set when given, or */
	const char **value;	/* takes the next argument */
};

static int parse_args(int argc, char **argv, const struct opt *opts,
		      const char **positional)
{
	int j;

	*positional = NULL;
	for (j = 0; j < argc; j++) {
		const struct opt *o;

		for (o = opts; o->name && strcmp(o->name, argv[j]); o++)
			;
		if (o->name && o->flag) {
			*o->flag = true;
		} else if (o->name && j + 1 < argc) {
			*o->value = argv[++j];
		} else if (argv[j][0] == '-' || *positional) {
			usage(stderr);
			return 2;
		} else {
			*positional = argv[j];
		}
	}
	if (!*positional) {
		usage(stderr);
		return 2;
	}
	return 0;
}

static int run_bench(const struct bench_entry *b, const struct bench_opts *o)
{
	struct bench_report rep = { .bench = b->name, .opts = o };
	int ret = b->fn(&rep);

	if (ret) {
		fprintf(stderr, "siommu: bench %s: %s\n", b->name, strerror(-ret));
		return 1;
	}
	bench_print(&rep);
	return 0;
}

static int cmd_bench(int argc, char **argv)
{
	struct bench_opts o = { 0 };
	const struct opt opts[] = {
		{ "--json", &o.json, NULL }, { "--quick", &o.quick, NULL }, { NULL, NULL, NULL },
	};
	const char *name;
	size_t i;
	int ret = parse_args(argc, argv, opts, &name), found = 0;

	if (ret)
		return ret;
	ret = bench_threaded();
	if (ret) {
		fprintf(stderr, "siommu: bench: %s\n", strerror(-ret));
		return 1;
	}
	for (i = 0; i < sizeof(benches) / sizeof(benches[0]); i++) {
		if (strcmp(name, "all") && strcmp(name, benches[i].name))
			continue;
		found = 1;
		ret |= run_bench(&benches[i], &o);
	}
	if (!found) {
		fprintf(stderr, "siommu: no benchmark named '%s'\n", name);
		usage(stderr);
		return 2;
	}
	return ret;
}

/* Load and run a scenario; prints the error and returns NULL on failure. */
static struct scenario *load_and_run(const char *file, bool progress)
{
	char err[512];
	struct scenario *sc = scenario_load(file, err, sizeof(err));

	if (!sc) {
		fprintf(stderr, "siommu: %s\n", err);
		return NULL;
	}
	if (scenario_run(sc, progress, err, sizeof(err))) {
		fprintf(stderr, "siommu: %s\n", err);
		scenario_free(sc);
		return NULL;
	}
	return sc;
}

static int cmd_run(int argc, char **argv)
{
	bool json = false, noprogress = false;
	const struct opt opts[] = {
		{ "--json", &json, NULL }, { "--no-progress", &noprogress, NULL }, { NULL, NULL, NULL },
	};
	const char *file;
	struct scenario *sc;
	uint64_t unexpected;
	int ret = parse_args(argc, argv, opts, &file);

	if (ret)
		return ret;
	/* A progress bar only on a terminal, and not when asked not to. */
	sc = load_and_run(file, isatty(2) && !noprogress);
	if (!sc)
		return 1;
	scenario_report(sc, stdout, json);
	unexpected = scenario_unexpected(sc);
	if (unexpected)
		fprintf(stderr, "siommu: %s: %" PRIu64 " DMAs did not end as their "
			"'expect' says\n", file, unexpected);
	scenario_free(sc);
	return unexpected ? 3 : 0;
}

static int write_file(const char *path, struct scenario *sc,
		      void (*fn)(struct scenario *, FILE *))
{
	FILE *f = fopen(path, "w");

	if (!f) {
		fprintf(stderr, "siommu: %s: %s\n", path, strerror(errno));
		return 1;
	}
	fn(sc, f);
	return fclose(f) ? 1 : 0;
}

/* The structure after a scenario: PREFIX.dot, PREFIX.txt, and PREFIX.svg
 * when Graphviz's dot is installed; the text also goes to stdout. */
static int cmd_dump(int argc, char **argv)
{
	const char *file, *prefix = "siommu-dump";
	const struct opt opts[] = { { "-o", NULL, &prefix }, { NULL, NULL, NULL } };
	char path[4096], cmd[8300];
	struct scenario *sc;
	int ret = parse_args(argc, argv, opts, &file);

	if (ret)
		return ret;
	sc = load_and_run(file, false);
	if (!sc)
		return 1;
	scenario_dump_text(sc, stdout);
	snprintf(path, sizeof(path), "%s.txt", prefix);
	ret |= write_file(path, sc, scenario_dump_text);
	snprintf(path, sizeof(path), "%s.dot", prefix);
	ret |= write_file(path, sc, scenario_dump_dot);
	if (!ret && !system("command -v dot >/dev/null 2>&1")) {
		snprintf(cmd, sizeof(cmd), "dot -Tsvg '%s' -o '%s.svg'", path, prefix);
		if (system(cmd))
			fprintf(stderr, "siommu: dot could not draw %s\n", path);
		else
			fprintf(stderr, "wrote %s.txt, %s.dot and %s.svg\n", prefix, prefix, prefix);
	} else if (!ret) {
		fprintf(stderr, "wrote %s.txt and %s.dot (install graphviz for SVG)\n",
			prefix, prefix);
	}
	scenario_free(sc);
	return ret;
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "bench"))
		return cmd_bench(argc - 2, argv + 2);
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 2, argv + 2);
	if (!strcmp(argv[1], "dump"))
		return cmd_dump(argc - 2, argv + 2);
	if (!strcmp(argv[1], "demo")) {
		int ret = demo_run(stdout);

		if (ret)
			fprintf(stderr, "siommu demo: %s\n", strerror(-ret));
		return ret ? 1 : 0;
	}
	fprintf(stderr, "siommu: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}

/* SPDX-License-Identifier: MIT */
/*
 * siommu - the command-line tool: benchmarks (and, as they land, scenarios,
 * the demo and dumps).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "demo.h"

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
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"usage: siommu demo\n"
		"       siommu bench NAME|all [--json] [--quick]\n"
		"       siommu help\n\n"
		"benchmarks:\n");
	for (i = 0; i < sizeof(benches) / sizeof(benches[0]); i++)
		fprintf(f, "  %-8s %s\n", benches[i].name, benches[i].what);
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
	const char *name = NULL;
	size_t i;
	int j, ret = 0, found = 0;

	for (j = 0; j < argc; j++) {
		if (!strcmp(argv[j], "--json"))
			o.json = true;
		else if (!strcmp(argv[j], "--quick"))
			o.quick = true;
		else if (argv[j][0] == '-' || name) {
			usage(stderr);
			return 2;
		} else
			name = argv[j];
	}
	if (!name) {
		usage(stderr);
		return 2;
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

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "bench"))
		return cmd_bench(argc - 2, argv + 2);
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

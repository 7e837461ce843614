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
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
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

/* --max-memory SIZE: returns 0, or prints why it is no size and returns 2. */
static int parse_limits(const char *max_memory, struct scenario_limits *lim)
{
	if (!max_memory)
		return 0;
	if (scenario_parse_number(max_memory, &lim->max_memory) || !lim->max_memory) {
		fprintf(stderr, "siommu: --max-memory: expected a size like 512M or 4G, "
			"at least 1; got '%s'\n", max_memory);
		return 2;
	}
	return 0;
}

/* Load and run a scenario; prints the error and returns NULL on failure. */
static struct scenario *load_and_run(const char *file, const struct scenario_limits *lim,
				     bool progress)
{
	char err[512];
	struct scenario *sc = scenario_load(file, lim, err, sizeof(err));

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
	struct scenario_limits lim = SCENARIO_LIMITS_DEFAULT;
	bool json = false, noprogress = false;
	const char *file, *max_memory = NULL;
	const struct opt opts[] = {
		{ "--json", &json, NULL }, { "--no-progress", &noprogress, NULL },
		{ "--max-memory", NULL, &max_memory }, { NULL, NULL, NULL },
	};
	struct scenario *sc;
	uint64_t unexpected;
	int ret = parse_args(argc, argv, opts, &file);

	ret = ret ?: parse_limits(max_memory, &lim);
	if (ret)
		return ret;
	/* A progress bar only on a terminal, and not when asked not to. */
	sc = load_and_run(file, &lim, isatty(2) && !noprogress);
	if (!sc)
		return 1;
	if (scenario_report(sc, stdout, json))
		fprintf(stderr, "siommu: %s: could not write the report\n", file);
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
	int ret = 0;

	if (!f) {
		fprintf(stderr, "siommu: %s: %s\n", path, strerror(errno));
		return 1;
	}
	fn(sc, f);
	if (ferror(f))
		ret = 1;
	if (fclose(f))
		ret = 1;
	if (ret)
		fprintf(stderr, "siommu: %s: could not write: %s\n", path, strerror(errno));
	return ret;
}

/*
 * Render @dot into @svg with Graphviz's dot, run directly with both files
 * opened for it as its standard input and output: no shell, and no path is
 * ever an argument that could read as an option. Returns 0 when dot exited
 * 0; else 1 with *missing set when dot is not installed, or with the failure
 * reported and @svg removed.
 */
static int render_svg(const char *dot, const char *svg, bool *missing)
{
	static char *const argv[] = { "dot", "-Tsvg", NULL };
	extern char **environ;
	posix_spawn_file_actions_t fa;
	int ret, status;
	pid_t pid;

	*missing = false;
	ret = posix_spawn_file_actions_init(&fa);
	ret = ret ?: posix_spawn_file_actions_addopen(&fa, 0, dot, O_RDONLY, 0);
	ret = ret ?: posix_spawn_file_actions_addopen(&fa, 1, svg,
						      O_WRONLY | O_CREAT | O_TRUNC, 0666);
	ret = ret ?: posix_spawnp(&pid, "dot", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (ret == ENOENT) {
		*missing = true;
		return 1;
	}
	if (ret) {
		fprintf(stderr, "siommu: could not run dot for %s: %s\n", svg, strerror(ret));
		unlink(svg);
		return 1;
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "siommu: waiting for dot: %s\n", strerror(errno));
			return 1;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		fprintf(stderr, "siommu: dot could not draw %s (exit %d); %s not written\n",
			dot, WEXITSTATUS(status), svg);
	else
		fprintf(stderr, "siommu: dot could not draw %s (signal %d); %s not written\n",
			dot, WTERMSIG(status), svg);
	unlink(svg);
	return 1;
}

/* The structure after a scenario: PREFIX.dot, PREFIX.txt, and PREFIX.svg
 * when Graphviz's dot is installed; the text also goes to stdout. */
static int cmd_dump(int argc, char **argv)
{
	struct scenario_limits lim = SCENARIO_LIMITS_DEFAULT;
	const char *file, *prefix = "siommu-dump", *max_memory = NULL;
	const struct opt opts[] = {
		{ "-o", NULL, &prefix }, { "--max-memory", NULL, &max_memory },
		{ NULL, NULL, NULL },
	};
	char txt[4096], dot[4096], svg[4096];
	struct scenario *sc;
	bool missing;
	int ret = parse_args(argc, argv, opts, &file);

	ret = ret ?: parse_limits(max_memory, &lim);
	if (ret)
		return ret;
	if (!*prefix) {
		fprintf(stderr, "siommu: dump: -o needs a non-empty prefix\n");
		return 2;
	}
	if ((size_t)snprintf(txt, sizeof(txt), "%s.txt", prefix) >= sizeof(txt) ||
	    (size_t)snprintf(dot, sizeof(dot), "%s.dot", prefix) >= sizeof(dot) ||
	    (size_t)snprintf(svg, sizeof(svg), "%s.svg", prefix) >= sizeof(svg)) {
		fprintf(stderr, "siommu: dump: -o prefix longer than %zu bytes\n",
			sizeof(txt) - 5);
		return 2;
	}
	sc = load_and_run(file, &lim, false);
	if (!sc)
		return 1;
	scenario_dump_text(sc, stdout);
	ret |= write_file(txt, sc, scenario_dump_text);
	ret |= write_file(dot, sc, scenario_dump_dot);
	scenario_free(sc);
	if (ret)
		return 1;
	if (!render_svg(dot, svg, &missing))
		fprintf(stderr, "wrote %s, %s and %s\n", txt, dot, svg);
	else if (missing)
		fprintf(stderr, "wrote %s and %s (install graphviz for SVG)\n", txt, dot);
	else
		return 1;
	return 0;
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

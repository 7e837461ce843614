/* SPDX-License-Identifier: MIT */
/*
 * siommu - the command-line tool: the demo, scenarios (run and dump) and
 * benchmarks. Exit codes, the same for every command: 0 done; 1 bad input
 * (a scenario refused, a file that cannot be read or written, a benchmark
 * that failed or missed its target with --check); 2 usage; 3 a DMA did not
 * end as its `expect` says; 124 --timeout reached; 130 interrupted (Ctrl-C).
 * Both of the last print the results gathered until then.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "demo.h"
#include "scenario.h"

#ifndef SIOMMU_VERSION
#define SIOMMU_VERSION "unknown"
#endif

enum {
	EXIT_INPUT = 1,
	EXIT_USAGE = 2,
	EXIT_EXPECT = 3,
	EXIT_TIMEOUT = 124,	/* as timeout(1) */
	EXIT_INTERRUPTED = 130,	/* as a shell reports SIGINT */
};

#ifndef SIOMMU_DOCDIR
#define SIOMMU_DOCDIR "/usr/local/share/doc/siommu"
#endif
#define DOCS "docs/scenarios.md (installed as " SIOMMU_DOCDIR "/scenarios.md) and siommu(1)"

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
	{ "smmuv3", bench_smmuv3, "SMMUv3 model: TLB hit, S1 and nested miss, DMA, TLBI+SYNC" },
	{ "smmuv2", bench_smmuv2, "SMMUv2 model: TLB hit and miss, DMA, GPU TTBR0/ASID switch" },
	{ "core", bench_core, "IOMMU core: PASID alloc, strict map+unmap, PASID attach" },
	{ "dma", bench_dma, "DMA API: IOVA alloc, lazy/strict map+unmap, sg, 2-thread scaling" },
	{ "iommufd", bench_iommufd, "iommufd: IOAS map+unmap 4K and 2M through a domain, 1G of 4K pages" },
	{ "rcu", bench_rcu, "RCU: grace period idle and with a busy reader, read section" },
	{ "sva", bench_sva, "SVA: I/O page fault round trip (worker, poll), warm DMA, bind+unbind" },
};

struct command {
	const char *name;
	int (*fn)(const struct command *c, int argc, char **argv);
	const char *synopsis;
	const char *help;
};

static const struct command commands[];
static int cmd_bench(const struct command *c, int argc, char **argv);

static void usage(FILE *f)
{
	const struct command *c;
	size_t i;

	fprintf(f, "usage: siommu COMMAND [OPTIONS]\n\ncommands:\n");
	for (c = commands; c->name; c++)
		fprintf(f, "  siommu %s\n", c->synopsis);
	fprintf(f, "  siommu help [COMMAND]   (also: siommu COMMAND --help)\n"
		"  siommu --version\n\nbenchmarks:\n");
	for (i = 0; i < sizeof(benches) / sizeof(benches[0]); i++)
		fprintf(f, "  %-8s %s\n", benches[i].name, benches[i].what);
	fprintf(f, "\nexit codes: 0 done, 1 bad input or a failed step, 2 usage, "
		"3 an 'expect' failed,\n  124 --timeout reached, 130 interrupted "
		"(both print the results so far)\n"
		"scenario files: " DOCS "\n");
}

static void command_help(const struct command *c, FILE *f)
{
	fprintf(f, "usage: siommu %s\n\n%s", c->synopsis, c->help);
}

static int usage_error(const struct command *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Say what was wrong with the command line and where help is; EXIT_USAGE. */
static int usage_error(const struct command *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "siommu %s: ", c->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\ntry 'siommu help %s'\n", c->name);
	return EXIT_USAGE;
}

/*
 * A command's arguments: flags, options with a value ("-o VALUE",
 * "--timeout=VALUE") and exactly one positional argument; --help and -h
 * print the command's help. Returns 0, -1 after printing the help, or
 * EXIT_USAGE after saying what was wrong.
 */
struct opt {
	const char *name;
	bool *flag;		/* set when given, or */
	const char **value;	/* takes a value */
};

static int parse_args(const struct command *c, int argc, char **argv,
		      const struct opt *opts, const char **positional)
{
	bool dashdash = false;
	int j;

	*positional = NULL;
	for (j = 0; j < argc; j++) {
		const char *a = argv[j], *eq = NULL;
		const struct opt *o;
		size_t len = strlen(a);

		if (!dashdash && (!strcmp(a, "--help") || !strcmp(a, "-h"))) {
			command_help(c, stdout);
			return -1;
		}
		if (!dashdash && !strcmp(a, "--")) {
			dashdash = true;
			continue;
		}
		if (dashdash || a[0] != '-' || !a[1]) {
			if (*positional)
				return usage_error(c, "unexpected argument '%s'", a);
			*positional = a;
			continue;
		}
		if (!strncmp(a, "--", 2) && (eq = strchr(a, '=')))
			len = (size_t)(eq - a);
		for (o = opts; o->name; o++)
			if (strlen(o->name) == len && !strncmp(o->name, a, len))
				break;
		if (!o->name)
			return usage_error(c, "unknown option '%s'", a);
		if (o->flag) {
			if (eq)
				return usage_error(c, "option '%s' takes no value", a);
			*o->flag = true;
		} else if (eq) {
			*o->value = eq + 1;
		} else if (j + 1 < argc) {
			*o->value = argv[++j];
		} else {
			return usage_error(c, "option '%s' needs a value", a);
		}
	}
	if (!*positional)
		return usage_error(c, "%s", c->fn == cmd_bench ? "which benchmark? (NAME or all)" :
				   "which scenario file?");
	return 0;
}

static int run_bench(const struct bench_entry *b, const struct bench_opts *o,
		     unsigned int *missed)
{
	struct bench_report rep = { .bench = b->name, .title = b->what, .opts = o };
	int ret = b->fn(&rep);

	if (ret) {
		fprintf(stderr, "siommu: bench %s: %s\n", b->name, strerror(-ret));
		return EXIT_INPUT;
	}
	*missed += bench_print(&rep);
	return 0;
}

static int cmd_bench(const struct command *c, int argc, char **argv)
{
	struct bench_opts o = { 0 };
	bool check = false;
	const struct opt opts[] = {
		{ "--json", &o.json, NULL }, { "--quick", &o.quick, NULL },
		{ "--check", &check, NULL }, { NULL, NULL, NULL },
	};
	unsigned int missed = 0;
	const char *name;
	size_t i;
	int ret = parse_args(c, argc, argv, opts, &name), found = 0;

	if (ret)
		return ret < 0 ? 0 : ret;
	for (i = 0; i < sizeof(benches) / sizeof(benches[0]); i++)
		found |= !strcmp(name, "all") || !strcmp(name, benches[i].name);
	if (!found)
		return usage_error(c, "no benchmark named '%s'", name);
	ret = bench_threaded();
	if (ret) {
		fprintf(stderr, "siommu: bench: %s\n", strerror(-ret));
		return EXIT_INPUT;
	}
	ret = bench_begin(&o);
	for (i = 0; !ret && i < sizeof(benches) / sizeof(benches[0]); i++) {
		if (strcmp(name, "all") && strcmp(name, benches[i].name))
			continue;
		ret = run_bench(&benches[i], &o, &missed);
	}
	if (bench_end(&o))
		ret = EXIT_INPUT;
	if (check && missed) {
		fprintf(stderr, "siommu: bench: %u row%s missed %s target\n", missed,
			missed == 1 ? "" : "s", missed == 1 ? "its" : "their");
		return EXIT_INPUT;
	}
	return ret;
}

/*
 * Ctrl-C: the workload stops, the results so far are printed. The workload
 * threads read the flag; a lock-free atomic store is async-signal-safe.
 */
static int interrupted;
_Static_assert(__atomic_always_lock_free(sizeof(int), 0), "a signal handler's store");

static void on_sigint(int sig)
{
	__atomic_store_n(&interrupted, 1, __ATOMIC_RELAXED);
}

struct scenario_args {
	struct scenario_limits lim;
	struct scenario_run_opts run;
	const char *max_memory, *timeout;
};

/* --max-memory SIZE and --timeout SECONDS: 0, or a usage error. */
static int scenario_options(const struct command *c, struct scenario_args *a)
{
	struct sigaction sa = { .sa_handler = on_sigint };
	uint64_t secs;

	if (a->max_memory &&
	    (scenario_parse_number(a->max_memory, &a->lim.max_memory) || !a->lim.max_memory))
		return usage_error(c, "--max-memory: expected a size like 512M or 4G, "
				   "at least 1; got '%s'", a->max_memory);
	if (a->timeout) {
		if (scenario_parse_number(a->timeout, &secs) || !secs || secs > 86400 * 365)
			return usage_error(c, "--timeout: expected whole seconds, 1 to 31536000; "
					   "got '%s'", a->timeout);
		/* From now: load_and_run() adds the clock when the run starts. */
		a->run.deadline_ns = secs * 1000000000ull;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	a->run.stop = &interrupted;
	return 0;
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Load and run a scenario. Returns 0 with *out set; EXIT_TIMEOUT or
 * EXIT_INTERRUPTED with *out set (the workload stopped early, the results
 * so far are there); or EXIT_INPUT after printing why.
 */
static int load_and_run(const char *file, struct scenario_args *a, struct scenario **out)
{
	char err[512];
	struct scenario *sc = scenario_load(file, &a->lim, err, sizeof(err));
	int ret;

	*out = NULL;
	if (!sc) {
		fprintf(stderr, "siommu: %s\n", err);
		return EXIT_INPUT;
	}
	if (a->run.deadline_ns)
		a->run.deadline_ns += monotonic_ns();
	ret = scenario_run(sc, &a->run, err, sizeof(err));
	if (ret && ret != -EINTR && ret != -ETIMEDOUT) {
		fprintf(stderr, "siommu: %s\n", err);
		scenario_free(sc);
		return EXIT_INPUT;
	}
	*out = sc;
	if (ret == -EINTR)
		fprintf(stderr, "siommu: %s: interrupted; the results so far follow\n", file);
	else if (ret == -ETIMEDOUT)
		fprintf(stderr, "siommu: %s: stopped after --timeout %s s; the results so far "
			"follow\n", file, a->timeout);
	return ret == -EINTR ? EXIT_INTERRUPTED : ret ? EXIT_TIMEOUT : 0;
}

static int cmd_run(const struct command *c, int argc, char **argv)
{
	struct scenario_args a = { .lim = SCENARIO_LIMITS_DEFAULT };
	bool json = false, noprogress = false;
	const struct opt opts[] = {
		{ "--json", &json, NULL }, { "--no-progress", &noprogress, NULL },
		{ "--max-memory", NULL, &a.max_memory }, { "--timeout", NULL, &a.timeout },
		{ NULL, NULL, NULL },
	};
	const char *file;
	struct scenario *sc;
	uint64_t unexpected;
	int ret = parse_args(c, argc, argv, opts, &file);

	if (ret)
		return ret < 0 ? 0 : ret;
	ret = scenario_options(c, &a);
	if (ret)
		return ret;
	/* A progress bar only on a terminal, and not when asked not to. */
	a.run.progress = isatty(2) && !noprogress;
	ret = load_and_run(file, &a, &sc);
	if (!sc)
		return ret;
	if (scenario_report(sc, stdout, json))
		ret = EXIT_INPUT;
	unexpected = scenario_unexpected(sc);
	if (unexpected)
		fprintf(stderr, "siommu: %s: %" PRIu64 " DMAs did not end as their "
			"'expect' says\n", file, unexpected);
	scenario_free(sc);
	return ret ?: unexpected ? EXIT_EXPECT : 0;
}

static int write_file(const char *path, struct scenario *sc,
		      void (*fn)(struct scenario *, FILE *))
{
	FILE *f = fopen(path, "w");
	int ret = 0;

	if (!f) {
		fprintf(stderr, "siommu: %s: cannot create: %s\n", path, strerror(errno));
		return EXIT_INPUT;
	}
	fn(sc, f);
	if (ferror(f))
		ret = EXIT_INPUT;
	if (fclose(f))
		ret = EXIT_INPUT;
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
 * when Graphviz's dot is installed; the text (--json: one JSON document)
 * also goes to stdout. */
static int cmd_dump(const struct command *c, int argc, char **argv)
{
	struct scenario_args a = { .lim = SCENARIO_LIMITS_DEFAULT };
	const char *file, *prefix = "siommu-dump";
	bool json = false;
	const struct opt opts[] = {
		{ "-o", NULL, &prefix }, { "--json", &json, NULL },
		{ "--max-memory", NULL, &a.max_memory },
		{ "--timeout", NULL, &a.timeout }, { NULL, NULL, NULL },
	};
	char txt[4096], dot[4096], svg[4096];
	struct scenario *sc;
	bool missing;
	int ret = parse_args(c, argc, argv, opts, &file), wret;

	if (ret)
		return ret < 0 ? 0 : ret;
	if (!*prefix)
		return usage_error(c, "-o needs a non-empty prefix");
	if ((size_t)snprintf(txt, sizeof(txt), "%s.txt", prefix) >= sizeof(txt) ||
	    (size_t)snprintf(dot, sizeof(dot), "%s.dot", prefix) >= sizeof(dot) ||
	    (size_t)snprintf(svg, sizeof(svg), "%s.svg", prefix) >= sizeof(svg))
		return usage_error(c, "-o: a prefix of at most 4090 bytes");
	ret = scenario_options(c, &a);
	if (ret)
		return ret;
	ret = load_and_run(file, &a, &sc);
	if (!sc)
		return ret;
	if (json && scenario_dump_json(sc, stdout)) {
		fprintf(stderr, "siommu: dump: could not build the JSON document\n");
		scenario_free(sc);
		return EXIT_INPUT;
	}
	if (!json)
		scenario_dump_text(sc, stdout);
	wret = write_file(txt, sc, scenario_dump_text);
	wret = wret ?: write_file(dot, sc, scenario_dump_dot);
	scenario_free(sc);
	if (wret)
		return wret;
	if (!render_svg(dot, svg, &missing))
		fprintf(stderr, "wrote %s, %s and %s\n", txt, dot, svg);
	else if (missing)
		fprintf(stderr, "wrote %s and %s (install graphviz for SVG)\n", txt, dot);
	else
		return EXIT_INPUT;
	return ret;
}

static int cmd_demo(const struct command *c, int argc, char **argv)
{
	enum demo_unit unit = DEMO_VTD;
	const char *type = NULL;
	int ret, j;

	if (argc == 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) {
		command_help(c, stdout);
		return 0;
	}
	for (j = 0; j < argc; j++) {
		if (!strcmp(argv[j], "--unit") && j + 1 < argc)
			type = argv[++j];
		else if (!strncmp(argv[j], "--unit=", 7))
			type = argv[j] + 7;
		else if (!strcmp(argv[j], "--unit"))
			return usage_error(c, "option '--unit' needs a value (vtd or smmuv3)");
		else
			return usage_error(c, "%s '%s'", argv[j][0] == '-' ? "unknown option" :
					   "unexpected argument", argv[j]);
	}
	if (type && !strcmp(type, "smmuv3"))
		unit = DEMO_SMMUV3;
	else if (type && strcmp(type, "vtd"))
		return usage_error(c, "--unit: no unit type named '%s' (vtd or smmuv3)", type);
	ret = demo_run(stdout, unit);
	if (ret)
		fprintf(stderr, "siommu demo: %s\n", strerror(-ret));
	return ret ? EXIT_INPUT : 0;
}

static const struct command commands[] = {
	{ "demo", cmd_demo, "demo [--unit vtd|smmuv3]",
	  "The system doing its job in a few seconds: tenants sharing a copy engine by\n"
	  "PASID, a PASID-only accelerator, a group, and a blocked cross-tenant access.\n\n"
	  "  --unit TYPE   the IOMMU the devices sit behind: vtd (Intel VT-d, scalable\n"
	  "                mode) or smmuv3 (Arm SMMUv3, StreamIDs and SubstreamIDs) [vtd]\n" },
	{ "run", cmd_run, "run FILE [--json] [--no-progress] [--max-memory SIZE] [--timeout SECONDS]",
	  "Build what the scenario FILE describes (units, devices, domains, attachments)\n"
	  "and run its DMA workload; print per-item DMAs, bytes and faults by reason,\n"
	  "and per-unit IOTLB and invalidation figures.\n\n"
	  "  --json           one JSON document instead of tables\n"
	  "  --no-progress    no progress bar (it shows only on a terminal anyway)\n"
	  "  --max-memory N   memory the mappings' buffers may take [1G]\n"
	  "  --timeout S      stop the workload after S seconds, print the results so far\n\n"
	  "Exit: 0 done, 1 the file was refused (FILE:LINE: FIELD: why), 2 usage,\n"
	  "3 a DMA did not end as its 'expect' says, 124 timed out, 130 interrupted.\n"
	  "The file's format, every field with its range and default, and the limits:\n"
	  DOCS ".\n" },
	{ "dump", cmd_dump, "dump FILE [-o PREFIX] [--json] [--max-memory SIZE] [--timeout SECONDS]",
	  "Run the scenario FILE, then show its live structure: unit, RID and group,\n"
	  "PASIDs, domains with their stage and mapped ranges; on SMMUv3 units the\n"
	  "stream table, STEs and CDs. Written as text to stdout and PREFIX.txt, as\n"
	  "Graphviz PREFIX.dot, and as PREFIX.svg when Graphviz's dot is installed\n"
	  "[PREFIX: siommu-dump]. Options and exit codes as for run; a failed SVG\n"
	  "render exits 1.\n\n"
	  "  --json    one JSON document on stdout instead of the text\n" },
	{ "bench", cmd_bench, "bench NAME|all [--json] [--quick] [--check]",
	  "Measure the library against bare baselines run alongside, as ratios.\n\n"
	  "  --json    one JSON document\n"
	  "  --quick   a few short rounds: figures are indicative only\n"
	  "  --check   exit 1 when a row misses its target\n" },
	{ NULL, NULL, NULL, NULL },
};

static const struct command *find_command(const char *name)
{
	const struct command *c;

	for (c = commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static int cmd_help(int argc, char **argv)
{
	const struct command *c;

	if (!argc) {
		usage(stdout);
		return 0;
	}
	c = find_command(argv[0]);
	if (!c || argc > 1) {
		fprintf(stderr, "siommu help: %s '%s'\n", c ? "unexpected argument" :
			"no command named", argv[c ? 1 : 0]);
		usage(stderr);
		return EXIT_USAGE;
	}
	command_help(c, stdout);
	return 0;
}

/* Output that did not reach its reader is an error, like any other. */
static int check_stdout(int ret)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return ret;
	fprintf(stderr, "siommu: error writing the output: %s\n",
		errno ? strerror(errno) : "unknown error");
	return ret ?: EXIT_INPUT;
}

int main(int argc, char **argv)
{
	const struct command *c;

	/* A closed pipe is a write error (EPIPE), not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	errno = 0;
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return check_stdout(cmd_help(argc - 2, argv + 2));
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("siommu %s\n", SIOMMU_VERSION);
		return check_stdout(0);
	}
	c = find_command(argv[1]);
	if (!c) {
		fprintf(stderr, "siommu: %s '%s'\n", argv[1][0] == '-' ? "unknown option" :
			"unknown command", argv[1]);
		usage(stderr);
		return EXIT_USAGE;
	}
	return check_stdout(c->fn(c, argc - 2, argv + 2));
}

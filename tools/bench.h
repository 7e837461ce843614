/* SPDX-License-Identifier: MIT */
/*
 * Benchmark harness for `siommu bench NAME`.
 *
 * Every result is a subject measured against a bare baseline in the same run,
 * interleaved round by round (subject batch, baseline batch, ...), and
 * reported as the ratio of their least per-operation times over the rounds,
 * with the ratio of the medians beside it. Timings drift on a shared machine;
 * interleaving exposes both to the same drift, so ratios are what is compared
 * across runs and machines.
 *
 * Why the least: interference only ever adds time, and it does not add it
 * evenly. A virtual CPU that shares its core with a busy neighbour runs
 * code of many independent instructions (most subjects) up to 1.8 times
 * slower, and code that waits on one load or multiply after another (walk4,
 * hash_probe, spin_run) hardly slower; the neighbour comes and goes every
 * few tens of milliseconds. A median then measures the neighbour as much as
 * the code. The least time of each is what the code costs when the core is
 * its own, the estimator benchmarking tools use for deterministic code on
 * noisy machines (Chen and Revels, "Robust benchmarking in noisy
 * environments", 2016). The medians show what a run met.
 */
#ifndef SIOMMU_TOOLS_BENCH_H
#define SIOMMU_TOOLS_BENCH_H

#include <stdbool.h>
#include <stdint.h>

/* Runs @iters operations. Must do all of its work in the call. */
typedef void (*bench_fn)(void *arg, uint64_t iters);

struct bench_opts {
	bool json;
	bool quick;		/* few rounds: a smoke test, not a measurement */
	void *doc;		/* --json: the document bench_print() adds to */
};

struct bench_result {
	char name[64];
	double ns;
	char baseline[32];
	double baseline_ns;
	double ns_median, baseline_ns_median;
	double target;		/* ratio target, 0 = report only */
};

struct bench_report {
	const char *bench;
	const char *title;	/* what the bench measures, in words */
	const struct bench_opts *opts;
	unsigned int n;
	struct bench_result r[96];
};

/*
 * Measure @subj against @base: rounds of @iters operations each, alternating,
 * as many as bench_more() asks for; records the least and the median ns/op of each under @name.
 */
void bench_pair(struct bench_report *rep, const char *name, bench_fn subj,
		void *sarg, const char *base_name, bench_fn base, void *barg,
		uint64_t iters, double target);

/* The same with @siters operations of @subj and @biters of @base a round
 * (--quick: a sixteenth of each). */
void bench_pair_iters(struct bench_report *rep, const char *name, bench_fn subj,
		      void *sarg, uint64_t siters, const char *base_name, bench_fn base,
		      void *barg, uint64_t biters, double target);

/* Record the per-round ns/op of a subject and its baseline, @n rounds each
 * (both arrays are reordered): the least of each, and the medians. Returns
 * the row, or NULL with none recorded (no rounds, or the report full). */
struct bench_result *bench_record_rounds(struct bench_report *rep, const char *name,
					 double *subj, const char *base_name, double *base,
					 unsigned int n, double target);

/*
 * Two-thread scaling: the time per operation of @fn run by two threads at
 * once (on args[0] and args[1]) against one thread (on args[0]), recorded
 * as "@subject.scaling_2t" against "@subject_1t" with @target: medians
 * over rounds of short windows, counting only the time both threads ran
 * (bench.c). Interleaved with it, round by round:
 *  - the same in processes, "@subject.scaling_2p" against "@subject_1p":
 *    children of fork() running @fn on their own copies of args[i], so that
 *    they share nothing but the machine. What this machine gives two
 *    independent runs of this very code: the threads' figure above it is
 *    what the library's sharing costs, the rest is the machine's.
 *  - two bare CPU loops that share nothing: spin_run as
 *    "cpu_spin.scaling_2t" and ilp_run as "cpu_ilp.scaling_2t", what this
 *    machine gave two threads of each kind of code during the run (about
 *    0.5 on two idle cores; 1.0 when the host runs both on one CPU's worth
 *    of time; between the two for ilp_run when neighbours share the cores).
 * --quick runs 3 rounds.
 */
void bench_scaling(struct bench_report *rep, const char *subject, bench_fn fn,
		   void *const args[2], double target);

/*
 * Make the process multi-threaded (one thread, started and joined) before
 * any bench runs. The library's users are threaded programs, and glibc takes
 * faster paths in a process that has never started a thread; without this
 * a bench's figures depended on whether an earlier one had started threads
 * (dma_map_unmap_4k_strict read 40 or 46). Returns 0 or -errno.
 */
int bench_threaded(void);

/* Rounds per pair for the options given: the least number. */
unsigned int bench_rounds(const struct bench_opts *o);

#define BENCH_ROUNDS_MAX 2048

/* Whether a pair that has done @done rounds since @t0 (bench_now_ns())
 * runs another: at least bench_rounds(), then more until the rounds span
 * half a second (BENCH_ROUNDS_MAX at most; --quick: no more). */
bool bench_more(const struct bench_opts *o, unsigned int done, uint64_t t0);

/*
 * Output of a run of benches: bench_begin(), bench_print() for each report,
 * bench_end(). Text: a titled table per report as it comes. --json: one
 * document for the whole run, {"indicative": --quick, "benches": [{"bench",
 * "title", "results": [...]}...]}, printed by bench_end(). A row whose
 * times could not be measured (none > 0) has no ratio: "not measured" in
 * the table, null in JSON. bench_begin() returns 0 or -ENOMEM;
 * bench_print() the number of rows that missed their target; bench_end() 0
 * or -EIO (stdout failed) or -ENOMEM.
 */
int bench_begin(struct bench_opts *o);
unsigned int bench_print(const struct bench_report *rep);
int bench_end(struct bench_opts *o);

uint64_t bench_now_ns(void);

/* Median of @n values (reorders them). */
double bench_median(double *v, unsigned int n);

/* Keep a value alive without letting the compiler see through it. */
static inline void bench_sink(uint64_t v)
{
	__asm__ volatile("" : : "r"(v) : "memory");
}

/* Bare baselines (bench_baselines.c). Each has a setup and an op. */
struct walk4;	/* 4 hot table pages, a chain of 4 dependent loads */
struct walk4 *walk4_create(void);
void walk4_destroy(struct walk4 *w);
void walk4_run(void *w, uint64_t iters);

struct hash_probe;	/* open-addressing table of @capacity keys */
struct hash_probe *hash_probe_create(unsigned int capacity);
void hash_probe_destroy(struct hash_probe *h);
void hash_probe_run(void *h, uint64_t iters);

void memcpy_4k_run(void *arg, uint64_t iters);		/* arg: 8K buffer */
void stack_pop_push_run(void *arg, uint64_t iters);	/* arg: NULL */
void bitmap_set_clear_run(void *arg, uint64_t iters);	/* arg: NULL */
void spin_run(void *arg, uint64_t iters);		/* arg: NULL */
void ilp_run(void *arg, uint64_t iters);		/* arg: NULL */

/* The benches. Each fills @rep; returns 0 or a negative errno. */
int bench_pt(struct bench_report *rep);
int bench_iova(struct bench_report *rep);
int bench_pasid(struct bench_report *rep);
int bench_vtd(struct bench_report *rep);
int bench_smmuv3(struct bench_report *rep);
int bench_smmuv2(struct bench_report *rep);
/* The PASID allocator (bench_pasid), then strict map/unmap and PASID attach. */
int bench_core(struct bench_report *rep);
/* The IOVA allocator (bench_iova), then the DMA API: lazy and strict
 * map+unmap, scatter-gather, and lazy scaling to two threads. */
int bench_dma(struct bench_report *rep);
/* The library's RCU: grace periods idle and with a busy reader, sections. */
int bench_rcu(struct bench_report *rep);
/* The iommufd object model: IOAS map+unmap through a domain, a 1G map. */
int bench_iommufd(struct bench_report *rep);
/* SVA: I/O page-fault round trips, warm DMA through a PASID, bind+unbind. */
int bench_sva(struct bench_report *rep);

#endif

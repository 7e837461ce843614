/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

unsigned int bench_rounds(const struct bench_opts *o)
{
	return o->quick ? 3 : 31;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double bench_median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void bench_record(struct bench_report *rep, const char *name, double ns,
		  const char *base_name, double base_ns, double target)
{
	struct bench_result *r;

	if (rep->n >= sizeof(rep->r) / sizeof(rep->r[0]))
		return;
	r = &rep->r[rep->n++];
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->baseline, sizeof(r->baseline), "%s", base_name);
	r->ns = ns;
	r->baseline_ns = base_ns;
	r->target = target;
}

void bench_pair(struct bench_report *rep, const char *name, bench_fn subj,
		void *sarg, const char *base_name, bench_fn base, void *barg,
		uint64_t iters, double target)
{
	unsigned int rounds = bench_rounds(rep->opts), i;
	double s[64], b[64];

	if (rep->opts->quick)
		iters = iters / 16 ? iters / 16 : 1;
	/* Warm both up once: caches, page faults, lazy allocations. */
	subj(sarg, iters);
	base(barg, iters);
	for (i = 0; i < rounds; i++) {
		uint64_t t0 = bench_now_ns();

		subj(sarg, iters);
		uint64_t t1 = bench_now_ns();

		base(barg, iters);
		uint64_t t2 = bench_now_ns();

		s[i] = (double)(t1 - t0) / iters;
		b[i] = (double)(t2 - t1) / iters;
	}
	bench_record(rep, name, bench_median(s, rounds), base_name, bench_median(b, rounds),
		     target);
}

struct scaling_thr {
	bench_fn fn;
	void *arg;
	uint64_t iters, t0, t1;
	pthread_barrier_t *bar;
};

static void *scaling_thr_run(void *p)
{
	struct scaling_thr *t = p;

	/* Untimed warm-up: per-CPU state (caches, queues) settles for the
	 * thread count of this run before the clock starts. */
	t->fn(t->arg, t->iters / 4);
	pthread_barrier_wait(t->bar);
	t->t0 = bench_now_ns();
	t->fn(t->arg, t->iters);
	t->t1 = bench_now_ns();
	return NULL;
}

/* Wall time per operation of @n threads running @fn at once, from the first
 * start to the last finish. */
static double run_threads(bench_fn fn, void *const *args, unsigned int n, uint64_t iters)
{
	struct scaling_thr t[2];
	pthread_t th[2];
	pthread_barrier_t bar;
	uint64_t first = UINT64_MAX, last = 0;
	unsigned int i;

	pthread_barrier_init(&bar, NULL, n);
	for (i = 0; i < n; i++) {
		t[i] = (struct scaling_thr){ .fn = fn, .arg = args[i], .iters = iters,
					     .bar = &bar };
		pthread_create(&th[i], NULL, scaling_thr_run, &t[i]);
	}
	for (i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		if (t[i].t0 < first)
			first = t[i].t0;
		if (t[i].t1 > last)
			last = t[i].t1;
	}
	pthread_barrier_destroy(&bar);
	return (double)(last - first) / ((double)iters * n);
}

/*
 * How long one thread's timed run lasts in a scaling round. Starting a
 * second thread and waking it on the other CPU takes up to milliseconds
 * on a busy host: a run of a few milliseconds measures that more than the
 * subject (runs of 3 ms gave per-round ratios of 0.2 to 1.3 for the same
 * code that gave 0.45 to 0.6 in runs of 250 ms).
 */
#define SCALING_RUN_NS 100000000.0
#define SCALING_ROUNDS 11

void bench_scaling(struct bench_report *rep, const char *name, const char *base_name,
		   bench_fn fn, void *const args[2], uint64_t iters, double target)
{
	void *const none[2] = { NULL, NULL };
	double one[SCALING_ROUNDS], two[SCALING_ROUNDS], sone[SCALING_ROUNDS],
		stwo[SCALING_ROUNDS];
	unsigned int rounds = bench_rounds(rep->opts), r;
	uint64_t siters;
	double per_op;

	if (rounds > SCALING_ROUNDS)
		rounds = SCALING_ROUNDS;
	/* A trial run sizes the timed runs (@iters is the least), and the
	 * spin loop's to last about as long. */
	per_op = run_threads(fn, args, 1, iters);
	if (!rep->opts->quick && per_op > 0 && SCALING_RUN_NS / per_op > (double)iters)
		iters = (uint64_t)(SCALING_RUN_NS / per_op);
	siters = (uint64_t)((double)iters * per_op /
			    run_threads(spin_run, none, 1, iters)) + 1;
	for (r = 0; r < rounds; r++) {
		one[r] = run_threads(fn, args, 1, iters);
		two[r] = run_threads(fn, args, 2, iters);
		sone[r] = run_threads(spin_run, none, 1, siters);
		stwo[r] = run_threads(spin_run, none, 2, siters);
	}
	bench_record(rep, name, bench_median(two, rounds), base_name,
		     bench_median(one, rounds), target);
	bench_record(rep, "cpu_spin.scaling_2t", bench_median(stwo, rounds),
		     "cpu_spin_1t", bench_median(sone, rounds), 0);
}

int bench_print(const struct bench_report *rep)
{
	unsigned int i;

	if (rep->opts->json) {
		printf("{\"bench\":\"%s\",\"results\":[", rep->bench);
		for (i = 0; i < rep->n; i++) {
			const struct bench_result *r = &rep->r[i];

			printf("%s{\"name\":\"%s\",\"ns\":%.3f,\"baseline\":\"%s\","
			       "\"baseline_ns\":%.3f,\"ratio\":%.3f",
			       i ? "," : "", r->name, r->ns, r->baseline,
			       r->baseline_ns, r->ns / r->baseline_ns);
			if (r->target > 0)
				printf(",\"target\":%.2f", r->target);
			printf("}");
		}
		printf("]}\n");
		return 0;
	}
	printf("%-32s %12s  %-18s %12s %8s %8s\n", "benchmark", "ns/op",
	       "baseline", "ns/op", "ratio", "target");
	for (i = 0; i < rep->n; i++) {
		const struct bench_result *r = &rep->r[i];
		double ratio = r->ns / r->baseline_ns;
		char tgt[16] = "-";

		if (r->target > 0)
			snprintf(tgt, sizeof(tgt), "%s%.2f",
				 ratio <= r->target ? "<=" : "MISS ", r->target);
		printf("%-32s %12.2f  %-18s %12.2f %8.2f %8s\n", r->name, r->ns,
		       r->baseline, r->baseline_ns, ratio, tgt);
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "bench.h"
#include "util/compiler.h"

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

/*
 * A busy neighbour on the host comes and goes every few tens of
 * milliseconds: rounds spread over half a second meet the core on its own
 * more than once, whatever the subject's speed.
 */
#define BENCH_SPAN_NS 500000000ull

bool bench_more(const struct bench_opts *o, unsigned int done, uint64_t t0)
{
	if (done < bench_rounds(o))
		return true;
	return !o->quick && done < BENCH_ROUNDS_MAX && bench_now_ns() - t0 < BENCH_SPAN_NS;
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

struct bench_result *bench_record_rounds(struct bench_report *rep, const char *name,
					 double *subj, const char *base_name, double *base,
					 unsigned int n, double target)
{
	struct bench_result *r;

	if (!n || rep->n >= sizeof(rep->r) / sizeof(rep->r[0]))
		return NULL;
	r = &rep->r[rep->n++];
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->baseline, sizeof(r->baseline), "%s", base_name);
	/* Sorted by bench_median(): the least is first. */
	r->ns_median = bench_median(subj, n);
	r->ns = subj[0];
	r->baseline_ns_median = bench_median(base, n);
	r->baseline_ns = base[0];
	r->target = target;
	return r;
}

void bench_pair_iters(struct bench_report *rep, const char *name, bench_fn subj,
		      void *sarg, uint64_t siters, const char *base_name, bench_fn base,
		      void *barg, uint64_t biters, double target)
{
	static double s[BENCH_ROUNDS_MAX], b[BENCH_ROUNDS_MAX];
	uint64_t start;
	unsigned int i;

	if (rep->opts->quick) {
		siters = siters / 16 ? siters / 16 : 1;
		biters = biters / 16 ? biters / 16 : 1;
	}
	/* Warm both up once: caches, page faults, lazy allocations. */
	subj(sarg, siters);
	base(barg, biters);
	start = bench_now_ns();
	for (i = 0; bench_more(rep->opts, i, start); i++) {
		uint64_t t0 = bench_now_ns();

		subj(sarg, siters);
		uint64_t t1 = bench_now_ns();

		base(barg, biters);
		uint64_t t2 = bench_now_ns();

		s[i] = (double)(t1 - t0) / siters;
		b[i] = (double)(t2 - t1) / biters;
	}
	bench_record_rounds(rep, name, s, base_name, b, i, target);
}

void bench_pair(struct bench_report *rep, const char *name, bench_fn subj,
		void *sarg, const char *base_name, bench_fn base, void *barg,
		uint64_t iters, double target)
{
	bench_pair_iters(rep, name, subj, sarg, iters, base_name, base, barg, iters,
			 target);
}

/*
 * Scaling. Each thread runs batches of @batch operations until both have
 * run side by side for a window, and stamps the end of every batch. Only
 * the batches that lie wholly inside the overlap of the threads' runs
 * count: a thread that starts late (waking a thread on the other CPU can
 * take milliseconds on a busy host) or finishes early does not lend its
 * solo time to the pair, so windows can be short, and many of them spread
 * over seconds meet the cores on their own (see bench.h).
 */
#define SCALING_WINDOW_NS 20000000ull	/* both threads' common run, at least */
#define SCALING_BATCH_NS 20000.0	/* one batch, about */
#define SCALING_STAMPS 4096		/* batches a run may stamp */
#define SCALING_ROUNDS 31
#define SCALING_TRIES 5			/* runs a round takes to overlap */

/* What the threads of one run share; all atomics. */
struct scaling_run {
	unsigned int n;			/* threads in the run */
	unsigned int ready;		/* threads at the start line */
	unsigned int started;		/* threads past it */
	uint64_t last_start;		/* the latest start stamp */
	int stop;			/* the common run has lasted a window */
};

struct scaling_thr {
	bench_fn fn;
	void *arg;
	uint64_t batch;
	uint64_t warm;			/* operations before the start line */
	struct scaling_run *run;
	unsigned int nb;		/* batches done */
	uint64_t stamp[SCALING_STAMPS + 1];	/* [0]: start; [k]: end of batch k */
};

static void *scaling_thr_run(void *p)
{
	struct scaling_thr *t = p;
	struct scaling_run *run = t->run;
	uint64_t now, last;

	/* Untimed warm-up: per-CPU state (caches, queues) settles for the
	 * thread count of this run before the clock starts. */
	t->fn(t->arg, t->warm);
	/* A spinning start line: both threads are on their CPUs when the
	 * clock starts, not waking from a futex one after the other. */
	__atomic_add_fetch(&run->ready, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&run->ready, __ATOMIC_ACQUIRE) < run->n)
		cpu_relax();
	t->stamp[0] = bench_now_ns();
	last = __atomic_load_n(&run->last_start, __ATOMIC_RELAXED);
	while (last < t->stamp[0] &&
	       !__atomic_compare_exchange_n(&run->last_start, &last, t->stamp[0], false,
					    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		;
	__atomic_add_fetch(&run->started, 1, __ATOMIC_SEQ_CST);
	t->nb = 0;
	/* Until both have run side by side for a window: a thread the host
	 * starts late (the other CPU busy) still gets its overlap. */
	do {
		t->fn(t->arg, t->batch);
		now = bench_now_ns();
		t->stamp[++t->nb] = now;
		if (__atomic_load_n(&run->started, __ATOMIC_ACQUIRE) == run->n &&
		    now - __atomic_load_n(&run->last_start, __ATOMIC_ACQUIRE) >=
		    SCALING_WINDOW_NS)
			__atomic_store_n(&run->stop, 1, __ATOMIC_RELEASE);
	} while (!__atomic_load_n(&run->stop, __ATOMIC_ACQUIRE) && t->nb < SCALING_STAMPS);
	return NULL;
}

/* Operations per ns of @t in its batches inside [lo, hi]. */
static double thr_rate(const struct scaling_thr *t, uint64_t lo, uint64_t hi)
{
	unsigned int k, first = 0, n = 0;

	for (k = 1; k <= t->nb; k++) {
		if (t->stamp[k - 1] < lo || t->stamp[k] > hi)
			continue;
		if (!n++)
			first = k;
	}
	if (!n)
		return 0;
	return (double)(t->batch * n) / (double)(t->stamp[first + n - 1] - t->stamp[first - 1]);
}

/* Time per operation of @n runs stamped in @t, over their overlap; 0 if
 * none. */
static double overlap_per_op(const struct scaling_thr *t, unsigned int n)
{
	uint64_t lo = 0, hi = UINT64_MAX;
	unsigned int i;
	double rate = 0;

	for (i = 0; i < n; i++) {
		if (t[i].stamp[0] > lo)
			lo = t[i].stamp[0];
		if (t[i].stamp[t[i].nb] < hi)
			hi = t[i].stamp[t[i].nb];
	}
	for (i = 0; i < n; i++)
		rate += thr_rate(&t[i], lo, hi);
	return rate > 0 ? 1.0 / rate : 0;
}

/* Time per operation of @n threads running @fn at once (on args[i]), in
 * batches of @batch, over the overlap of their runs; 0 if none. */
static double run_once(bench_fn fn, void *const *args, unsigned int n, uint64_t batch)
{
	static struct scaling_thr t[2];
	struct scaling_run run = { .n = n };
	pthread_t th[2];
	unsigned int i;

	for (i = 0; i < n; i++) {
		t[i].fn = fn;
		t[i].arg = args[i];
		t[i].batch = batch;
		t[i].warm = batch * 16;
		t[i].run = &run;
		if (pthread_create(&th[i], NULL, scaling_thr_run, &t[i]))
			break;
	}
	if (i < n) {
		/* Let the ones started past their start line; no round. */
		__atomic_store_n(&run.n, i, __ATOMIC_SEQ_CST);
		while (i--)
			pthread_join(th[i], NULL);
		return 0;
	}
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	return overlap_per_op(t, n);
}

/*
 * The same in @n processes: children of fork(), each with its own copy of
 * everything, args[i] included, so that nothing is shared but the machine.
 * Their runs and stamps are in @shm (shared memory). 0 if a child could
 * not be made or did not finish.
 */
struct scaling_shm {
	struct scaling_run run;
	struct scaling_thr t[2];
};

static double run_once_procs(struct scaling_shm *shm, bench_fn fn, void *const *args,
			     unsigned int n, uint64_t batch)
{
	pid_t pid[2];
	unsigned int i, made;
	bool ok = true;

	shm->run = (struct scaling_run){ .n = n };
	/* Nothing buffered may be written twice. */
	fflush(NULL);
	for (made = 0; made < n; made++) {
		shm->t[made].fn = fn;
		shm->t[made].arg = args[made];
		shm->t[made].batch = batch;
		/* A child's first writes to each page copy it (fork): a few
		 * milliseconds of them, before the clock starts. */
		shm->t[made].warm = batch * 256;
		shm->t[made].run = &shm->run;
		pid[made] = fork();
		if (pid[made] < 0)
			break;
		if (!pid[made]) {
			scaling_thr_run(&shm->t[made]);
			_exit(0);
		}
	}
	if (made < n) {
		/* Let the ones made past their start line; no round. */
		__atomic_store_n(&shm->run.n, made, __ATOMIC_SEQ_CST);
		ok = false;
	}
	for (i = 0; i < made; i++) {
		int status;

		if (waitpid(pid[i], &status, 0) != pid[i] || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			ok = false;
	}
	return ok ? overlap_per_op(shm->t, n) : 0;
}

/* One round's run of @n threads (@shm NULL) or processes, retried until
 * the runs overlap (a thread starved for longer than its stamps last has
 * none), SCALING_TRIES times at most. */
static double run_threads(struct scaling_shm *shm, bench_fn fn, void *const *args,
			  unsigned int n, uint64_t batch)
{
	double per_op = 0;
	unsigned int k;

	for (k = 0; k < SCALING_TRIES && per_op <= 0; k++)
		per_op = shm ? run_once_procs(shm, fn, args, n, batch)
			     : run_once(fn, args, n, batch);
	return per_op;
}

/* Operations of @fn in one batch: about SCALING_BATCH_NS, measured warm. */
static uint64_t scaling_batch(bench_fn fn, void *arg)
{
	uint64_t n = 1, t = 0, t0;

	fn(arg, 256);
	for (; n < (1ull << 40); n *= 2) {
		t0 = bench_now_ns();
		fn(arg, n);
		t = bench_now_ns() - t0;
		if (t >= SCALING_BATCH_NS)
			break;
	}
	return (uint64_t)((double)n * SCALING_BATCH_NS / (double)(t ? t : 1)) + 1;
}

/*
 * Record two threads' rounds against one's: the medians lead. The least
 * time of two threads needs both cores free of neighbours in the same
 * window, which 31 windows do not reliably meet, while one thread's needs
 * only one core: least against least would count the neighbours against
 * the pair. Run back to back, round by round, medians meet like with like.
 * Rounds whose runs did not overlap are left out.
 */
static void scaling_record(struct bench_report *rep, const char *name, double *two,
			   const char *base_name, double *one, unsigned int n, double target)
{
	struct bench_result *res;
	unsigned int i, k = 0;

	for (i = 0; i < n; i++) {
		if (two[i] <= 0 || one[i] <= 0)
			continue;
		two[k] = two[i];
		one[k++] = one[i];
	}
	res = bench_record_rounds(rep, name, two, base_name, one, k, target);
	if (!res)
		return;
	res->ns = res->ns_median;
	res->baseline_ns = res->baseline_ns_median;
}

static void *bench_nothing(void *arg)
{
	return arg;
}

int bench_threaded(void)
{
	pthread_t th;
	int ret = pthread_create(&th, NULL, bench_nothing, NULL);

	if (ret)
		return -ret;
	pthread_join(th, NULL);
	return 0;
}

void bench_scaling(struct bench_report *rep, const char *subject, bench_fn fn,
		   void *const args[2], double target)
{
	void *const none[2] = { NULL, NULL };
	double one[SCALING_ROUNDS], two[SCALING_ROUNDS], pone[SCALING_ROUNDS],
		ptwo[SCALING_ROUNDS], sone[SCALING_ROUNDS], stwo[SCALING_ROUNDS],
		ione[SCALING_ROUNDS], itwo[SCALING_ROUNDS];
	unsigned int rounds = rep->opts->quick ? 3 : SCALING_ROUNDS, r;
	char name[64], base[32], pname[64], pbase[32];
	struct scaling_shm *shm;
	uint64_t b, sb, ib;

	snprintf(name, sizeof(name), "%s.scaling_2t", subject);
	snprintf(base, sizeof(base), "%s_1t", subject);
	snprintf(pname, sizeof(pname), "%s.scaling_2p", subject);
	snprintf(pbase, sizeof(pbase), "%s_1p", subject);
	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED)
		shm = NULL;	/* no process rows: the report goes without */
	b = scaling_batch(fn, args[0]);
	sb = scaling_batch(spin_run, NULL);
	ib = scaling_batch(ilp_run, NULL);
	for (r = 0; r < rounds; r++) {
		one[r] = run_threads(NULL, fn, args, 1, b);
		two[r] = run_threads(NULL, fn, args, 2, b);
		pone[r] = shm ? run_threads(shm, fn, args, 1, b) : 0;
		ptwo[r] = shm ? run_threads(shm, fn, args, 2, b) : 0;
		sone[r] = run_threads(NULL, spin_run, none, 1, sb);
		stwo[r] = run_threads(NULL, spin_run, none, 2, sb);
		ione[r] = run_threads(NULL, ilp_run, none, 1, ib);
		itwo[r] = run_threads(NULL, ilp_run, none, 2, ib);
	}
	if (shm)
		munmap(shm, sizeof(*shm));
	scaling_record(rep, name, two, base, one, rounds, target);
	scaling_record(rep, pname, ptwo, pbase, pone, rounds, 0);
	scaling_record(rep, "cpu_spin.scaling_2t", stwo, "cpu_spin_1t", sone, rounds, 0);
	scaling_record(rep, "cpu_ilp.scaling_2t", itwo, "cpu_ilp_1t", ione, rounds, 0);
}

int bench_begin(struct bench_opts *o)
{
	json_t *doc;

	if (!o->json)
		return 0;
	doc = json_pack("{s:b, s:[]}", "indicative", o->quick, "benches");
	o->doc = doc;
	return doc ? 0 : -ENOMEM;
}

static bool measured(double ns, double base)
{
	return ns > 0 && base > 0 && isfinite(ns) && isfinite(base);
}

static bool missed(const struct bench_result *r)
{
	return r->target > 0 && (!measured(r->ns, r->baseline_ns) ||
				 r->ns / r->baseline_ns > r->target);
}

static json_t *ratio_json(double ns, double base)
{
	return measured(ns, base) ? json_real(ns / base) : json_null();
}

static unsigned int print_json(const struct bench_report *rep)
{
	json_t *rows = json_array();
	unsigned int i, n = 0;

	for (i = 0; rows && i < rep->n; i++) {
		const struct bench_result *r = &rep->r[i];
		json_t *row = json_pack("{s:s, s:f, s:s, s:f, s:o, s:f, s:f, s:o}",
			"name", r->name, "ns", r->ns, "baseline", r->baseline,
			"baseline_ns", r->baseline_ns, "ratio", ratio_json(r->ns, r->baseline_ns),
			"ns_median", r->ns_median, "baseline_ns_median", r->baseline_ns_median,
			"ratio_median", ratio_json(r->ns_median, r->baseline_ns_median));

		if (row && r->target > 0) {
			json_object_set_new(row, "target", json_real(r->target));
			json_object_set_new(row, "met", json_boolean(!missed(r)));
		}
		json_array_append_new(rows, row);
		n += missed(r);
	}
	json_array_append_new(json_object_get(rep->opts->doc, "benches"),
			      json_pack("{s:s, s:s, s:o}", "bench", rep->bench,
					"title", rep->title ? rep->title : rep->bench,
					"results", rows));
	return n;
}

unsigned int bench_print(const struct bench_report *rep)
{
	unsigned int i, n = 0;

	if (rep->opts->json)
		return print_json(rep);
	printf("\n%s: %s%s\n", rep->bench, rep->title ? rep->title : "",
	       rep->opts->quick ? " (--quick: indicative)" : "");
	printf("%-32s %10s  %-18s %10s %7s %7s %8s\n", "benchmark", "ns/op",
	       "baseline", "ns/op", "ratio", "median", "target");
	for (i = 0; i < rep->n; i++) {
		const struct bench_result *r = &rep->r[i];
		char tgt[16] = "-";

		n += missed(r);
		if (r->target > 0)
			snprintf(tgt, sizeof(tgt), "%s%.2f", missed(r) ? "MISS " : "<=", r->target);
		if (!measured(r->ns, r->baseline_ns) ||
		    !measured(r->ns_median, r->baseline_ns_median)) {
			printf("%-32s %10s  %-18s %10s %7s %7s %8s\n", r->name, "-", r->baseline,
			       "-", "not measured", "", tgt);
			continue;
		}
		printf("%-32s %10.2f  %-18s %10.2f %7.2f %7.2f %8s\n", r->name, r->ns,
		       r->baseline, r->baseline_ns, r->ns / r->baseline_ns,
		       r->ns_median / r->baseline_ns_median, tgt);
	}
	return n;
}

int bench_end(struct bench_opts *o)
{
	int ret = 0;

	if (!o->doc)
		return 0;
	if (json_dumpf(o->doc, stdout, JSON_COMPACT) || putchar('\n') == EOF)
		ret = -EIO;
	json_decref(o->doc);
	o->doc = NULL;
	return ret;
}

/* SPDX-License-Identifier: MIT */
/*
 * The unit's invalidation queue is granted in the order it is asked for
 * (a VT-d invalidation queue, an SMMUv3 command queue). A thread that
 * unmaps page after page drops the queue and asks again at once, each
 * time holding it for a wait; another thread's flush, asked for while it
 * held the queue, must come next, not after the first thread's whole run.
 * Otherwise a replace (whose entry changes word by word, each followed by
 * a flush) can sit between two words for as long as the other thread
 * unmaps, and every DMA of the device meanwhile uses the half-way entry.
 *
 * Deterministic: thread A is held inside its first submission (the
 * driver's queue hook, called with the queue held) until thread B is
 * asleep waiting for the queue; then A is let go and goes straight on to
 * its next unmaps. B's batch must be the next one the unit is handed.
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <siommu/core.h>

#include "core_test.h"
#include "core_unit.h"
#include "test.h"
#include "core/drivers/smmuv3/smmuv3_drv.h"	/* smmu_drv_cmdq_hook_set */
#include "core/drivers/vtd/vtd_drv.h"	/* vtd_drv_qi_hook_set */

#define RW (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE)
#define ROUNDS 16		/* A's unmaps */
#define IOVA 0x100000ull

static struct siommu_domain *dom_a, *dom_b;
static uint64_t pa;
static pthread_t thr_a, thr_b;
static pthread_t self_a, self_b;	/* set by each thread before it runs */
static sem_t a_in, a_go;
static bool a_held;
static long b_tid;
/* The submissions the unit was handed, by thread: 'A', 'B' or '?'. */
static char order[4 * ROUNDS + 8];
static unsigned int n_order;

/* Called with the unit's queue held, by whichever thread holds it. */
static void queue_hook(void *arg, uint64_t q_pa, unsigned int first, unsigned int n)
{
	pthread_t self = pthread_self();
	char who = pthread_equal(self, self_a) ? 'A' : pthread_equal(self, self_b) ? 'B' : '?';

	(void)arg, (void)q_pa, (void)first, (void)n;
	if (n_order < sizeof(order) - 1)
		order[n_order++] = who;
	if (who == 'A' && !a_held) {
		a_held = true;
		CHECK_OK(sem_post(&a_in));
		while (sem_wait(&a_go))
			;
	}
}

static void *run_a(void *arg)
{
	unsigned int i;

	(void)arg;
	self_a = pthread_self();
	for (i = 0; i < ROUNDS; i++) {
		CHECK_OK(siommu_domain_map(dom_a, IOVA, pa, SIOMMU_SZ_4K, RW));
		CHECK_OK(siommu_domain_unmap(dom_a, IOVA, SIOMMU_SZ_4K, NULL));
	}
	return NULL;
}

static void *run_b(void *arg)
{
	(void)arg;
	self_b = pthread_self();
	__atomic_store_n(&b_tid, syscall(SYS_gettid), __ATOMIC_RELEASE);
	CHECK_OK(siommu_domain_unmap(dom_b, IOVA, SIOMMU_SZ_4K, NULL));
	return NULL;
}

static void hook_set(struct siommu_unit *unit, bool on)
{
	if (test_unit_type() == TEST_UNIT_VTD)
		vtd_drv_qi_hook_set(unit, on ? queue_hook : NULL, NULL);
	else
		smmu_drv_cmdq_hook_set(unit, on ? queue_hook : NULL, NULL);
}

int main(void)
{
	struct siommu_device *da, *db;
	struct siommu_unit *unit;
	struct siommu_ctx *ctx;
	unsigned int i, after_b = 0;

	alarm(120);	/* a thread never let through fails the test */
	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	CHECK_OK(test_unit_add(ctx, NULL, &unit));
	da = test_dev_add(unit, 0x100, 0, 0);
	db = test_dev_add(unit, 0x200, 0, 0);
	CHECK_OK(siommu_mem_frame_alloc(siommu_ctx_mem(ctx), SIOMMU_SZ_4K, SIOMMU_MEM_DMA, &pa));
	CHECK_OK(siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING }, &dom_a));
	CHECK_OK(siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING }, &dom_b));
	CHECK_OK(siommu_device_attach(da, dom_a));
	CHECK_OK(siommu_device_attach(db, dom_b));
	CHECK_OK(siommu_domain_map(dom_b, IOVA, pa, SIOMMU_SZ_4K, RW));
	CHECK_OK(sem_init(&a_in, 0, 0));
	CHECK_OK(sem_init(&a_go, 0, 0));

	hook_set(unit, true);
	CHECK_OK(pthread_create(&thr_a, NULL, run_a, NULL));
	while (sem_wait(&a_in))
		;
	/* A holds the queue. B asks for it and falls asleep waiting. */
	CHECK_OK(pthread_create(&thr_b, NULL, run_b, NULL));
	test_wait_thread_sleeps(&b_tid);
	CHECK_OK(sem_post(&a_go));
	CHECK_OK(pthread_join(thr_a, NULL));
	CHECK_OK(pthread_join(thr_b, NULL));
	hook_set(unit, false);

	order[n_order] = 0;
	fprintf(stderr, "submissions in order: %s\n", order);
	/* A's first submission, then B's: whatever A asked for after it let
	 * go came after B. */
	CHECK(n_order >= 2 && order[0] == 'A');
	CHECK_EQ(order[1], 'B');
	for (i = 2; i < n_order; i++)
		after_b += order[i] == 'A';
	CHECK(after_b >= ROUNDS - 1);

	sem_destroy(&a_in);
	sem_destroy(&a_go);
	siommu_ctx_destroy(ctx);
	return 0;
}

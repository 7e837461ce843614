/* SPDX-License-Identifier: MIT */
/*
 * Each memory, page table and hardware model has its own RCU domain. With a
 * model's DMA held inside an access callback on one memory:
 *  - removing a region of that memory waits for the DMA (the model holds a
 *    host pointer into it across its section);
 *  - removing a region of another memory, freeing another table's levels
 *    and another model's invalidation wait do not;
 *  - many instances live at once, past any fixed number of domains.
 * A domain that cannot be set up fails its owner's create, which unwinds.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include <siommu/mem.h>
#include <siommu/pt.h>
#include <siommu/vtd.h>

#include "test.h"
#include "util/rcu.h"

#define RAM_PA		0x100000000ull	/* below the default frame pool */
#define RAM_SIZE	(64ull << 10)

struct inst {
	struct siommu_mem *mem;
	struct siommu_vtd *vtd;
	void *ram;
};

static void inst_create(struct inst *in)
{
	struct siommu_mem_cfg cfg = { .pool_base = 8ull << 30, .pool_size = 1ull << 30 };

	CHECK_OK(siommu_mem_create(&cfg, &in->mem));
	in->ram = aligned_alloc(4096, RAM_SIZE);
	CHECK(in->ram != NULL);
	CHECK_OK(siommu_mem_add_ram(in->mem, RAM_PA, RAM_SIZE, in->ram));
	CHECK_OK(siommu_vtd_create(in->mem, NULL, &in->vtd));
}

static void inst_destroy(struct inst *in)
{
	siommu_vtd_destroy(in->vtd);
	siommu_mem_destroy(in->mem);
	free(in->ram);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A device's DMA that stays in its access callback until released. */
struct held_dma {
	struct inst *in;
	int inside, release, ended;	/* atomics */
	int ret;
};

static int hold_fn(void *arg, void *host, size_t len, size_t off)
{
	struct held_dma *h = arg;

	(void)off;
	__atomic_store_n(&h->inside, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&h->release, __ATOMIC_SEQ_CST))
		sleep_ms(1);
	/* Still RAM: the region is not gone under us. */
	((volatile uint8_t *)host)[len - 1] = 0x5a;
	__atomic_store_n(&h->ended, 1, __ATOMIC_SEQ_CST);
	return 0;
}

static void *held_dma_fn(void *arg)
{
	struct held_dma *h = arg;
	/* Translation is off after reset: the DMA goes to RAM_PA as is. */
	struct siommu_vtd_req r = { .rid = 0x10, .iova = RAM_PA + 4096, .len = 64,
				    .access = SIOMMU_VTD_WRITE };

	h->ret = siommu_vtd_access(h->in->vtd, &r, hold_fn, h, NULL);
	return NULL;
}

static void start_held(struct held_dma *h, pthread_t *t)
{
	CHECK_OK(pthread_create(t, NULL, held_dma_fn, h));
	while (!__atomic_load_n(&h->inside, __ATOMIC_SEQ_CST))
		sched_yield();
}

struct remover {
	struct siommu_mem *mem;
	int done;	/* atomic */
};

static void *remove_fn(void *arg)
{
	struct remover *rm = arg;

	CHECK_OK(siommu_mem_remove_ram(rm->mem, RAM_PA, RAM_SIZE));
	__atomic_store_n(&rm->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Wait up to seconds for @flag (a loaded machine); true if it was set. */
static bool eventually(int *flag)
{
	uint64_t t0 = now_ms();

	while (!__atomic_load_n(flag, __ATOMIC_SEQ_CST) && now_ms() - t0 < 10000)
		sleep_ms(1);
	return __atomic_load_n(flag, __ATOMIC_SEQ_CST);
}

static void test_remove_waits_for_own_dma(void)
{
	struct inst a, b;
	struct held_dma h = { .in = &a };
	struct remover rm = { .mem = NULL };
	struct siommu_pt_cfg pc = { .format = SIOMMU_PT_X86_64 };
	struct siommu_pt_gather g;
	struct siommu_pt *pt;
	pthread_t th, tr;
	uint64_t done;

	inst_create(&a);
	inst_create(&b);
	start_held(&h, &th);

	/* Other instances go on while a's model is inside its section. */
	rm.mem = b.mem;
	remove_fn(&rm);
	CHECK_OK(siommu_pt_create(b.mem, &pc, &pt));
	CHECK_OK(siommu_pt_map(pt, 1ull << 30, 1ull << 33, 1ull << 30,
			       SIOMMU_PROT_READ));
	siommu_pt_gather_init(&g);
	CHECK_OK(siommu_pt_unmap(pt, 1ull << 30, 1ull << 30, &g, &done));
	siommu_pt_gather_release(&g);
	siommu_pt_destroy(pt);
	/* a's memory has its own table too, and it is not held either. */
	CHECK_OK(siommu_pt_create(a.mem, &pc, &pt));
	siommu_pt_destroy(pt);
	CHECK(!__atomic_load_n(&h.ended, __ATOMIC_SEQ_CST));

	/* Removing a's region waits for the DMA into it. */
	rm = (struct remover){ .mem = a.mem };
	CHECK_OK(pthread_create(&tr, NULL, remove_fn, &rm));
	sleep_ms(30);
	CHECK(!__atomic_load_n(&rm.done, __ATOMIC_SEQ_CST));
	__atomic_store_n(&h.release, 1, __ATOMIC_SEQ_CST);
	CHECK(eventually(&rm.done));
	CHECK_OK(pthread_join(tr, NULL));
	CHECK_OK(pthread_join(th, NULL));
	CHECK_OK(h.ret);
	CHECK_EQ(((uint8_t *)a.ram)[4096 + 63], 0x5a);
	inst_destroy(&b);
	inst_destroy(&a);
}

/* Many memories, tables and models at once (three domains each), read. */
static void test_many_instances(void)
{
	enum { N = 64 };
	struct inst *in = calloc(N, sizeof(*in));
	struct siommu_pt **pts = calloc(N, sizeof(*pts));
	struct siommu_pt_cfg pc = { .format = SIOMMU_PT_VTD_SS, .ias = 39 };
	unsigned int i;

	CHECK(in && pts);
	for (i = 0; i < N; i++) {
		inst_create(&in[i]);
		CHECK_OK(siommu_pt_create(in[i].mem, &pc, &pts[i]));
	}
	for (i = 0; i < N; i++) {
		struct siommu_pt_gather g;
		uint64_t pa, done;
		uint8_t byte = 0;
		size_t n;
		struct siommu_vtd_req r = { .rid = 1, .iova = RAM_PA, .len = 1,
					    .access = SIOMMU_VTD_READ };

		CHECK_OK(siommu_pt_map(pts[i], 1ull << 21, 1ull << 33, 1ull << 21,
				       SIOMMU_PROT_READ));
		CHECK_OK(siommu_pt_iova_to_phys(pts[i], 1ull << 21, &pa, NULL));
		CHECK_EQ(pa, 1ull << 33);
		CHECK_OK(siommu_vtd_dma_read(in[i].vtd, &r, &byte, 1, &n, NULL));
		siommu_pt_gather_init(&g);
		CHECK_OK(siommu_pt_unmap(pts[i], 1ull << 21, 1ull << 21, &g, &done));
		siommu_pt_gather_release(&g);
		CHECK_OK(siommu_mem_remove_ram(in[i].mem, RAM_PA, RAM_SIZE));
	}
	for (i = 0; i < N; i++) {
		siommu_pt_destroy(pts[i]);
		inst_destroy(&in[i]);
	}
	free(pts);
	free(in);
}

/* Creates fail with -ENOMEM, leaving nothing behind (ASan's leak check). */
static void test_domain_init_fails(void)
{
	struct siommu_pt_cfg pc = { .format = SIOMMU_PT_X86_64 };
	struct siommu_mem *mem;
	struct siommu_vtd *vtd;
	struct siommu_pt *pt;

	CHECK_OK(siommu_mem_create(NULL, &mem));
	WRITE_ONCE(rcu_fail_alloc, true);
	CHECK_EQ(siommu_mem_create(NULL, &mem), -ENOMEM);
	CHECK_EQ(siommu_pt_create(mem, &pc, &pt), -ENOMEM);
	CHECK_EQ(siommu_vtd_create(mem, NULL, &vtd), -ENOMEM);
	WRITE_ONCE(rcu_fail_alloc, false);
	CHECK_OK(siommu_pt_create(mem, &pc, &pt));
	siommu_pt_destroy(pt);
	siommu_mem_destroy(mem);
}

int main(void)
{
	test_domain_init_fails();
	test_remove_waits_for_own_dma();
	test_many_instances();
	return 0;
}

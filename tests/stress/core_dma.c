/* SPDX-License-Identifier: MIT */
/*
 * DMA through the unit's model while the core maps, unmaps and replaces.
 *
 * One device; its RID is attached to domain R (first stage), one of its
 * PASIDs to P1 (first stage) or P2 (second stage where a PASID takes one,
 * else first stage too), which a replacer thread swaps back and forth. All three map one page (SWAP) at the same IOVA to
 * different buffers and never unmap it. Mapper threads own slots (pages) in
 * all three domains, shared pages interleaved so that they race on leaf
 * tables, plus a private 2M block each that they sometimes unmap whole
 * (freeing its leaf table). Each map of a slot starts a new generation g
 * and maps the slot's buffer g % NR_BUF; buffers are written once, before
 * the threads start (a device reads a buffer only after the driver told it
 * about it, an ordering the page table alone does not give).
 * DMA threads read from the RID and from the PASID all the while.
 *
 * What a DMA may read, from state published with release stores around
 * each change (a seqcount per slot and one for the PASID's domain):
 *   - the value of a domain attached at some time during the call (R for
 *     the RID; the PASID's current domain, or either while a replace is in
 *     flight), at the slot the IOVA names;
 *   - of a generation mapped no later than the end of the call and not
 *     unmapped before it began: some g' with g' % NR_BUF the buffer read,
 *     unmapped_gen(before) < g' <= mapping_gen(after). A stale translation
 *     of a generation unmapped before the call is caught unless NR_BUF more
 *     maps of that slot happen during one DMA;
 *   - when neither the slot nor the PASID's domain changed during the call:
 *     exactly the mapped generation's buffer, or a fault if unmapped.
 * On a unit type without PASIDs (SMMUv2) the RID itself is what the
 * replacer swaps between P1 and P2 (R goes unused), and every DMA is the
 * RID's: a replace must never block it either.
 * Time-bounded: SIOMMU_STRESS_MS (default 1000), then on until every role
 * did what the checks need (tests/common/stress.h). Meant for
 * ThreadSanitizer too (make tsan).
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include <siommu/core.h>

#include "core_unit.h"
#include "stress.h"
#include "test.h"

#define RW (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE)
#define NR_MAPPERS 2
#define NR_DMA 2
#define NR_SHARED 64		/* interleaved pages per mapper */
#define NR_PRIVATE 8		/* pages per mapper in its own 2M block */
#define NR_SLOTS (NR_MAPPERS * (NR_SHARED + NR_PRIVATE))
#define SWAP_SLOT NR_SLOTS	/* the page every domain maps, never unmapped */
#define SHARED_BASE 0x10000000ull
#define PRIVATE_BASE 0x40000000ull
#define SWAP_IOVA 0x7000ull
#define RID 0x0100
#define NR_BUF 4		/* buffers per slot, used in turn */

enum { D_R, D_P1, D_P2, NR_DOMS };

/* Buffer contents: whose, which slot, which buffer of the slot. */
static uint64_t pattern(unsigned int d, unsigned int slot, unsigned int b)
{
	return (uint64_t)(d + 1) << 60 | (uint64_t)slot << 40 | b;
}

struct slot {
	/* Odd while the owner maps or unmaps, then even again: seq / 2 is
	 * odd exactly while mapped. Release stores. */
	uint64_t seq;
	uint64_t mapping_gen;	/* stored before the map call */
	uint64_t unmapped_gen;	/* stored after the unmap call returned */
	uint64_t buf[NR_BUF];	/* PAs, generation g in buf[g % NR_BUF] */
	/* The owner's own view. */
	bool mapped;
	uint64_t gen;
};

static struct siommu_unit *unit;
static struct siommu_domain *doms[NR_DOMS];
static struct slot slots[NR_DOMS][NR_SLOTS + 1];
static struct siommu_mem *mem;
static struct siommu_device *dev;
static uint32_t pasid;
static int stop;
/* The PASID's domain: even n = stable on P1 + (n / 2) % 2, odd = switching. */
static uint64_t pasid_seq;

static uint64_t slot_iova(unsigned int k)
{
	unsigned int m, j;

	if (k == SWAP_SLOT)
		return SWAP_IOVA;
	if (k < NR_MAPPERS * NR_SHARED)
		return SHARED_BASE + (uint64_t)k * SIOMMU_SZ_4K;
	k -= NR_MAPPERS * NR_SHARED;
	m = k / NR_PRIVATE;
	j = k % NR_PRIVATE;
	return PRIVATE_BASE + (uint64_t)m * SIOMMU_SZ_2M + (uint64_t)j * SIOMMU_SZ_4K;
}

static uint64_t ld(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void st(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* Mappers -------------------------------------------------------------------- */

struct mapper {
	unsigned int id;
	uint64_t maps, unmaps, wipes;
};

static void slot_map(unsigned int d, unsigned int k)
{
	struct slot *s = &slots[d][k];
	uint64_t g = s->gen + 1;

	st(&s->seq, s->seq + 1);
	st(&s->mapping_gen, g);
	CHECK_OK(siommu_domain_map(doms[d], slot_iova(k), s->buf[g % NR_BUF],
				   SIOMMU_SZ_4K, RW));
	st(&s->seq, s->seq + 1);
	s->gen = g;
	s->mapped = true;
}

/* Published once the strict unmap returned. */
static void unmapped(struct slot *s)
{
	st(&s->unmapped_gen, s->gen);
	st(&s->seq, s->seq + 1);
	s->mapped = false;
}

static void slot_unmap(unsigned int d, unsigned int k)
{
	struct slot *s = &slots[d][k];
	uint64_t done;

	st(&s->seq, s->seq + 1);
	CHECK_OK(siommu_domain_unmap(doms[d], slot_iova(k), SIOMMU_SZ_4K, &done));
	CHECK_EQ(done, SIOMMU_SZ_4K);
	unmapped(s);
}

/* Unmap a mapper's whole private 2M block: its leaf table goes too. */
static bool block_unmap(unsigned int d, unsigned int m)
{
	unsigned int k0 = NR_MAPPERS * NR_SHARED + m * NR_PRIVATE, j;
	uint64_t done, want = 0;

	/* Slots already unmapped do not change. */
	for (j = 0; j < NR_PRIVATE; j++) {
		struct slot *s = &slots[d][k0 + j];

		if (s->mapped) {
			st(&s->seq, s->seq + 1);
			want += SIOMMU_SZ_4K;
		}
	}
	CHECK_OK(siommu_domain_unmap(doms[d], slot_iova(k0), SIOMMU_SZ_2M, &done));
	CHECK_EQ(done, want);
	for (j = 0; j < NR_PRIVATE; j++)
		if (slots[d][k0 + j].mapped)
			unmapped(&slots[d][k0 + j]);
	return want != 0;
}

static void *mapper_fn(void *arg)
{
	struct mapper *m = arg;
	struct test_rng r = { 0x9a9a9a9aull * (m->id + 1) };

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		unsigned int d = (unsigned int)test_rand_below(&r, NR_DOMS), k;

		if (!test_rand_below(&r, 32)) {
			test_count_add(&m->wipes, block_unmap(d, m->id));
			continue;
		}
		if (test_rand_below(&r, 4))
			k = (unsigned int)test_rand_below(&r, NR_SHARED) * NR_MAPPERS + m->id;
		else
			k = NR_MAPPERS * NR_SHARED + m->id * NR_PRIVATE +
			    (unsigned int)test_rand_below(&r, NR_PRIVATE);
		if (slots[d][k].mapped) {
			slot_unmap(d, k);
			test_count_add(&m->unmaps, 1);
		} else {
			slot_map(d, k);
			test_count_add(&m->maps, 1);
		}
	}
	return NULL;
}

/* Replacer ------------------------------------------------------------------- */

static uint64_t replaces;
/* No PASIDs: the RID is swapped between P1 and P2, pasid_seq tracks it. */
static bool rid_swaps;

static void *replacer_fn(void *arg)
{
	uint64_t n = 0;

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		struct siommu_domain *next = doms[D_P1 + ((n / 2 + 1) % 2)];

		st(&pasid_seq, n + 1);
		if (rid_swaps)
			CHECK_OK(siommu_device_attach(dev, next));
		else
			CHECK_OK(siommu_device_attach_pasid(dev, pasid, next));
		n += 2;
		st(&pasid_seq, n);
		test_count_add(&replaces, 1);
		/* A RID switch is one register write, so back to back they
		 * would leave the DMA threads no window in which the space
		 * they read stays put (what the exact checks need). */
		if (rid_swaps) {
			struct timespec pause = { 0, 100000 };

			nanosleep(&pause, NULL);
		}
	}
	return NULL;
}

/* DMA ------------------------------------------------------------------------ */

struct dma_thread {
	unsigned int id;
	uint64_t reads, hits, faults, exact;
};

static uint64_t fault_calls;

static void on_fault(void *arg, struct siommu_device *d, const struct siommu_fault *f)
{
	CHECK(d == dev);
	CHECK_EQ(f->rid, RID);
	__atomic_fetch_add(&fault_calls, 1, __ATOMIC_RELAXED);
}

static void *dma_fn(void *arg)
{
	struct dma_thread *t = arg;
	struct test_rng r = { 0x51515151ull * (t->id + 1) };

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		unsigned int k = test_rand_below(&r, 8) ? (unsigned int)test_rand_below(&r, NR_SLOTS)
						       : SWAP_SLOT;
		/* pp: the request reaches the swapped space (the PASID's, or
		 * the RID's when there are no PASIDs). */
		bool pp = rid_swaps || test_rand_below(&r, 2);
		uint64_t off = test_rand_below(&r, 2) ? SIOMMU_SZ_4K - 8 : 0;
		uint64_t iova = slot_iova(k) + off;
		struct test_dma_res res;
		uint64_t seq0[NR_DOMS], map0[NR_DOMS], unm0[NR_DOMS], ps0, ps1, v = 0, g, m1;
		unsigned int d, lo, hi, vd, vk, b;
		bool dom_stable, slot_stable, mapped_stable;
		int err;

		/* Which domains the request may reach, before and after. */
		ps0 = ld(&pasid_seq);
		for (d = 0; d < NR_DOMS; d++) {
			seq0[d] = ld(&slots[d][k].seq);
			map0[d] = ld(&slots[d][k].mapping_gen);
			unm0[d] = ld(&slots[d][k].unmapped_gen);
		}
		err = test_unit_dma_read(unit, RID, pp && !rid_swaps, pasid, iova, &v,
					 sizeof(v), &res);
		ps1 = ld(&pasid_seq);
		test_count_add(&t->reads, 1);
		if (!pp) {
			lo = hi = D_R;
			dom_stable = true;
		} else if (ps0 == ps1 && !(ps0 & 1)) {
			lo = hi = D_P1 + (unsigned int)(ps0 / 2 % 2);
			dom_stable = true;
		} else {
			lo = D_P1;
			hi = D_P2;
			dom_stable = false;
		}
		slot_stable = dom_stable && !(seq0[lo] & 1) &&
			      ld(&slots[lo][k].seq) == seq0[lo];
		mapped_stable = slot_stable && (seq0[lo] >> 1 & 1);
		if (err) {
			if (err != -EFAULT || mapped_stable)
				fprintf(stderr, "%s slot %u: error %d reason %#x\n",
					pp ? "pasid" : "rid", k, err, res.fault_reason);
			CHECK_EQ(err, -EFAULT);
			CHECK(res.fault_reason != 0);
			/* A page mapped all along must translate. */
			CHECK(!mapped_stable);
			test_count_add(&t->faults, 1);
			continue;
		}
		vd = (unsigned int)(v >> 60) - 1;
		vk = (unsigned int)(v >> 40) & 0xfffff;
		b = (unsigned int)v & 0xff;
		if (vd < lo || vd > hi || vk != k)
			fprintf(stderr, "%s slot %u: read %#" PRIx64 " (domains %u..%u)\n",
				pp ? "pasid" : "rid", k, v, lo, hi);
		CHECK(vd >= lo && vd <= hi);
		CHECK_EQ(vk, k);
		CHECK(b < NR_BUF);
		/* The first generation after those unmapped before the call
		 * that used buffer b must have been mapped by its end. */
		g = unm0[vd] + 1;
		g += (b + NR_BUF - g % NR_BUF) % NR_BUF;
		m1 = ld(&slots[vd][k].mapping_gen);
		if (g > m1)
			fprintf(stderr, "%s slot %u: buffer %u, unmapped up to %" PRIu64
				" before the DMA, mapped up to %" PRIu64 " after\n",
				pp ? "pasid" : "rid", k, b, unm0[vd], m1);
		CHECK(g <= m1);
		if (slot_stable) {
			/* Unmapped all along: nothing to read. Mapped all
			 * along: the generation mapped when the call began
			 * (the slot may change after the check above). */
			CHECK(mapped_stable);
			CHECK_EQ(b, map0[vd] % NR_BUF);
			test_count_add(&t->exact, 1);
		}
		test_count_add(&t->hits, 1);
	}
	return NULL;
}

static struct mapper mappers[NR_MAPPERS];
static struct dma_thread dmas[NR_DMA];

/* The minimum the checks at the end need from every role. */
static const char *enough(void *arg)
{
	uint64_t maps = 0, unmaps = 0, hits = 0, faults = 0, exact = 0;
	unsigned int i;

	(void)arg;
	for (i = 0; i < NR_MAPPERS; i++) {
		maps += test_count(&mappers[i].maps);
		unmaps += test_count(&mappers[i].unmaps);
	}
	for (i = 0; i < NR_DMA; i++) {
		hits += test_count(&dmas[i].hits);
		faults += test_count(&dmas[i].faults);
		exact += test_count(&dmas[i].exact);
	}
	TEST_STRESS_NEED(maps > 10 && unmaps > 10 && test_count(&replaces) > 10);
	TEST_STRESS_NEED(hits > 10 && faults > 10 && exact > 0);
	return NULL;
}

int main(void)
{
	struct siommu_domain_cfg fs = { .type = SIOMMU_DOMAIN_PAGING,
					.stage = SIOMMU_STAGE_FIRST };
	struct siommu_domain_cfg ss = { .type = SIOMMU_DOMAIN_PAGING,
					.stage = SIOMMU_STAGE_SECOND };
	pthread_t mt[NR_MAPPERS], dt[NR_DMA], rt;
	struct siommu_ctx *ctx;
	struct siommu_unit_stats us;
	uint64_t maps = 0, unmaps = 0, wipes = 0, reads = 0, hits = 0, faults = 0;
	uint64_t exact = 0;
	unsigned int d, k, i;

	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	mem = siommu_ctx_mem(ctx);
	CHECK_OK(test_unit_add(ctx, NULL, &unit));
	rid_swaps = !test_unit_has_pasids();
	CHECK_OK(siommu_device_add(unit, &(struct siommu_device_cfg){
		.rid = RID, .pasid_bits = 20, .flags = test_unit_dev_flags(SIOMMU_DEV_ATS),
		.alias_rid = SIOMMU_NO_ALIAS }, &dev));
	siommu_device_set_fault_handler(dev, on_fault, NULL);
	CHECK_OK(siommu_domain_alloc(unit, &fs, &doms[D_R]));
	CHECK_OK(siommu_domain_alloc(unit, &fs, &doms[D_P1]));
	CHECK_OK(siommu_domain_alloc(unit, test_unit_pasid_domain_ok(SIOMMU_DOMAIN_PAGING, true) ?
				 &ss : &fs, &doms[D_P2]));
	for (d = 0; d < NR_DOMS; d++) {
		for (k = 0; k <= NR_SLOTS; k++) {
			for (i = 0; i < NR_BUF; i++) {
				uint64_t pa, v = pattern(d, k, i);

				CHECK_OK(siommu_mem_frame_alloc(mem, SIOMMU_SZ_4K,
						SIOMMU_MEM_DMA, &pa));
				CHECK_OK(siommu_mem_write(mem, pa, &v, sizeof(v)));
				CHECK_OK(siommu_mem_write(mem, pa + SIOMMU_SZ_4K - 8, &v,
							  sizeof(v)));
				slots[d][k].buf[i] = pa;
			}
		}
		slot_map(d, SWAP_SLOT);
	}
	if (rid_swaps) {
		fprintf(stderr, "no PASIDs: the RID is swapped between P1 and P2\n");
		CHECK_OK(siommu_device_attach(dev, doms[D_P1]));
	} else {
		CHECK_OK(siommu_pasid_alloc(siommu_ctx_pasids(ctx), 1, SIOMMU_PASID_MAX, 1,
					    &pasid));
		CHECK_OK(siommu_device_attach(dev, doms[D_R]));
		CHECK_OK(siommu_device_attach_pasid(dev, pasid, doms[D_P1]));
	}

	for (i = 0; i < NR_MAPPERS; i++) {
		mappers[i].id = i;
		CHECK_OK(pthread_create(&mt[i], NULL, mapper_fn, &mappers[i]));
	}
	for (i = 0; i < NR_DMA; i++) {
		dmas[i].id = i;
		CHECK_OK(pthread_create(&dt[i], NULL, dma_fn, &dmas[i]));
	}
	CHECK_OK(pthread_create(&rt, NULL, replacer_fn, NULL));
	test_stress_run(test_stress_ms(1000), enough, NULL);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < NR_MAPPERS; i++) {
		pthread_join(mt[i], NULL);
		maps += mappers[i].maps;
		unmaps += mappers[i].unmaps;
		wipes += mappers[i].wipes;
	}
	for (i = 0; i < NR_DMA; i++) {
		pthread_join(dt[i], NULL);
		reads += dmas[i].reads;
		hits += dmas[i].hits;
		faults += dmas[i].faults;
		exact += dmas[i].exact;
	}
	pthread_join(rt, NULL);

	/* Quiet now: every slot reads exactly what its owner believes. */
	for (d = 0; d < NR_DOMS; d++) {
		if (d != D_R && d != D_P1 + (unsigned int)(replaces % 2))
			continue;	/* not attached to the PASID now */
		if (d == D_R && rid_swaps)
			continue;	/* never attached */
		for (k = 0; k <= NR_SLOTS; k++) {
			uint64_t v = 0;
			int err = test_unit_dma_read(unit, RID, d != D_R && !rid_swaps, pasid,
						     slot_iova(k), &v, sizeof(v), NULL);

			if (slots[d][k].mapped) {
				CHECK_OK(err);
				CHECK_EQ(v, pattern(d, k, slots[d][k].gen % NR_BUF));
			} else {
				CHECK_EQ(err, -EFAULT);
			}
		}
	}
	siommu_unit_get_stats(unit, &us);
	fprintf(stderr, "%" PRIu64 " maps, %" PRIu64 " unmaps, %" PRIu64
		" 2M unmaps, %" PRIu64 " replaces; %" PRIu64 " DMAs: %" PRIu64
		" hits (%" PRIu64 " checked exactly), %" PRIu64 " faults; %" PRIu64
		" fault records read, %" PRIu64 " handled\n", maps, unmaps, wipes,
		replaces, reads, hits, exact, faults, us.faults,
		__atomic_load_n(&fault_calls, __ATOMIC_RELAXED));
	CHECK(maps > 10 && unmaps > 10 && replaces > 10);
	CHECK(hits > 10 && faults > 10 && exact > 0);
	CHECK_EQ(us.faults, fault_calls + us.faults_unhandled);
	CHECK_EQ(us.faults_unhandled, 0);
	siommu_ctx_destroy(ctx);
	return 0;
}

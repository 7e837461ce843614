/* SPDX-License-Identifier: MIT */
/*
 * Physical address space: RAM regions and PA lookup.
 *
 * Regions live in a sorted array published through RCU: a lookup is a binary
 * search with no lock, and adding or removing a region copies the array,
 * publishes the copy and frees the old one after a grace period.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "mem/mem_internal.h"

int frame_pool_init(struct siommu_mem *mem, uint64_t base, uint64_t size);
void frame_pool_fini(struct frame_pool *pool);

static void *map_anon(uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static struct region_table *table_alloc(unsigned int n)
{
	return malloc(sizeof(struct region_table) + n * sizeof(struct mem_region));
}

/* Index of the last region starting at or below @pa, or -1. */
static int table_find(const struct region_table *t, uint64_t pa)
{
	int lo = 0, hi = (int)t->n - 1, found = -1;

	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;

		if (t->r[mid].pa <= pa) {
			found = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	return found;
}

/*
 * Insert @nr into a copy of the current table and publish it.
 * Caller holds region_lock.
 */
static int regions_insert(struct siommu_mem *mem, const struct mem_region *nr)
{
	struct region_table *old = mem->regions, *t;
	uint64_t nlast = nr->pa + nr->size - 1;
	unsigned int i, j;
	int at;

	at = table_find(old, nr->pa);
	if (at >= 0 && old->r[at].pa + old->r[at].size - 1 >= nr->pa)
		return -EEXIST;
	if ((unsigned int)(at + 1) < old->n && old->r[at + 1].pa <= nlast)
		return -EEXIST;

	if (mem_should_fail(mem))
		return -ENOMEM;
	t = table_alloc(old->n + 1);
	if (!t)
		return -ENOMEM;
	for (i = 0, j = 0; i < old->n; i++) {
		if ((int)i == at + 1)
			t->r[j++] = *nr;
		t->r[j++] = old->r[i];
	}
	if (j == old->n)
		t->r[j++] = *nr;
	t->n = j;

	STORE_RELEASE(mem->regions, t);	/* pairs with rcu_dereference() */
	/* The regions stay: only readers of the old table to wait for. */
	rcu_synchronize(&mem->rcu);
	free(old);
	return 0;
}

int SIOMMU_EXPORT siommu_mem_create(const struct siommu_mem_cfg *cfg,
				    struct siommu_mem **out)
{
	struct siommu_mem_cfg def = {
		.pool_base = SIOMMU_MEM_DEFAULT_POOL_BASE,
		.pool_size = SIOMMU_MEM_DEFAULT_POOL_SIZE,
	};
	struct siommu_mem *mem;
	uint64_t last;
	int ret;

	if (!out)
		return -EINVAL;
	if (!cfg)
		cfg = &def;
	/* As for any region, the pool's last byte may be 2^64 - 1. */
	if (!is_aligned64(cfg->pool_base, SIOMMU_SZ_1G) ||
	    !is_aligned64(cfg->pool_size, SIOMMU_SZ_1G) ||
	    (cfg->pool_size &&
	     __builtin_add_overflow(cfg->pool_base, cfg->pool_size - 1, &last)) ||
	    (cfg->pool_size >> SIOMMU_PAGE_SHIFT) >= FRAME_NONE)
		return -EINVAL;

	mem = calloc(1, sizeof(*mem));
	if (!mem)
		return -ENOMEM;
	fail_nth_arm(&mem->fail, cfg->fail_nth);
	ret = mem_should_fail(mem) ? -ENOMEM : rcu_domain_init(&mem->rcu, RCU_FENCE_NEVER);
	if (ret)
		goto out_free_mem;
	pthread_mutex_init(&mem->region_lock, NULL);
	mem->regions = mem_should_fail(mem) ? NULL : table_alloc(0);
	if (!mem->regions) {
		ret = -ENOMEM;
		goto out_destroy_lock;
	}
	mem->regions->n = 0;

	if (cfg->pool_size) {
		struct mem_region pr;

		ret = frame_pool_init(mem, cfg->pool_base, cfg->pool_size);
		if (ret)
			goto out_free_table;
		pr = (struct mem_region){
			.pa = cfg->pool_base, .size = cfg->pool_size,
			.host = mem->pool.host, .owned = false, .pool = true,
		};
		ret = regions_insert(mem, &pr);
		if (ret)
			goto out_fini_pool;
	}
	*out = mem;
	return 0;

out_fini_pool:
	frame_pool_fini(&mem->pool);
out_free_table:
	free(mem->regions);
out_destroy_lock:
	pthread_mutex_destroy(&mem->region_lock);
	rcu_domain_fini(&mem->rcu);
out_free_mem:
	free(mem);
	return ret;
}

void SIOMMU_EXPORT siommu_mem_destroy(struct siommu_mem *mem)
{
	unsigned int i;

	if (!mem)
		return;
	for (i = 0; i < mem->regions->n; i++) {
		struct mem_region *r = &mem->regions->r[i];

		if (r->owned)
			munmap(r->host, r->size);
	}
	if (mem->pool.size)
		frame_pool_fini(&mem->pool);
	free(mem->regions);
	pthread_mutex_destroy(&mem->region_lock);
	rcu_domain_fini(&mem->rcu);
	free(mem);
}

void mem_rcu_user_add(struct siommu_mem *mem, struct mem_rcu_user *u,
		      struct rcu_domain *rcu)
{
	pthread_mutex_lock(&mem->region_lock);
	u->rcu = rcu;
	u->next = mem->rcu_users;
	if (u->next)
		u->next->pprev = &u->next;
	u->pprev = &mem->rcu_users;
	mem->rcu_users = u;
	pthread_mutex_unlock(&mem->region_lock);
}

void mem_rcu_user_del(struct siommu_mem *mem, struct mem_rcu_user *u)
{
	pthread_mutex_lock(&mem->region_lock);
	*u->pprev = u->next;
	if (u->next)
		u->next->pprev = u->pprev;
	pthread_mutex_unlock(&mem->region_lock);
}

int SIOMMU_EXPORT siommu_mem_add_ram(struct siommu_mem *mem, uint64_t pa,
				     uint64_t size, void *host)
{
	struct mem_region nr = { .pa = pa, .size = size, .host = host };
	uint64_t end;
	int ret;

	if (!mem || !size || !is_aligned64(pa, SIOMMU_PAGE_SIZE) ||
	    !is_aligned64(size, SIOMMU_PAGE_SIZE) ||
	    !is_aligned64((uintptr_t)host, SIOMMU_PAGE_SIZE))
		return -EINVAL;
	/* The last byte may be 2^64 - 1; the range may not wrap past it. */
	if (__builtin_add_overflow(pa, size - 1, &end))
		return -EINVAL;

	pthread_mutex_lock(&mem->region_lock);
	if (!host) {
		if (mem_should_fail(mem)) {
			ret = -ENOMEM;
			goto out_unlock;
		}
		nr.host = map_anon(size);
		if (!nr.host) {
			ret = -ENOMEM;
			goto out_unlock;
		}
		nr.owned = true;
	}
	ret = regions_insert(mem, &nr);
	if (ret && nr.owned)
		munmap(nr.host, size);
out_unlock:
	pthread_mutex_unlock(&mem->region_lock);
	return ret;
}

static int remove_ram(struct siommu_mem *mem, uint64_t pa, uint64_t size, bool fallible);

int SIOMMU_EXPORT siommu_mem_remove_ram(struct siommu_mem *mem, uint64_t pa,
					uint64_t size)
{
	return remove_ram(mem, pa, size, true);
}

int mem_remove_ram_teardown(struct siommu_mem *mem, uint64_t pa, uint64_t size)
{
	return remove_ram(mem, pa, size, false);
}

static int remove_ram(struct siommu_mem *mem, uint64_t pa, uint64_t size, bool fallible)
{
	struct region_table *old, *t;
	struct mem_region victim;
	struct mem_rcu_user *u;
	unsigned int i, j;
	int at, ret = 0;

	if (!mem)
		return -EINVAL;
	pthread_mutex_lock(&mem->region_lock);
	old = mem->regions;
	at = table_find(old, pa);
	if (at < 0 || old->r[at].pa != pa || old->r[at].size != size) {
		ret = -ENOENT;
		goto out_unlock;
	}
	if (old->r[at].pool) {
		ret = -EBUSY;
		goto out_unlock;
	}
	/*
	 * The copy has one slot fewer; this allocation is the only fallible
	 * step and comes before anything changes.
	 */
	t = fallible && mem_should_fail(mem) ? NULL : table_alloc(old->n - 1);
	if (!t) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	victim = old->r[at];
	for (i = 0, j = 0; i < old->n; i++)
		if ((int)i != at)
			t->r[j++] = old->r[i];
	t->n = j;
	STORE_RELEASE(mem->regions, t);	/* as in regions_insert() */
	rcu_synchronize(&mem->rcu);
	/* Users holding host pointers into the region (a model's DMA) too. */
	for (u = mem->rcu_users; u; u = u->next)
		rcu_synchronize(u->rcu);
	free(old);
	if (victim.owned)
		munmap(victim.host, victim.size);
out_unlock:
	pthread_mutex_unlock(&mem->region_lock);
	return ret;
}

void SIOMMU_EXPORT *siommu_mem_host(struct siommu_mem *mem, uint64_t pa,
				    uint64_t len)
{
	const struct region_table *t;
	void *host = NULL;
	uint64_t last;
	int at;

	if (!len)
		len = 1;
	if (__builtin_add_overflow(pa, len - 1, &last))
		return NULL;

	/* The pool never moves: no RCU section needed for it. */
	if (pa - mem->pool.base < mem->pool.size &&
	    last - mem->pool.base < mem->pool.size)
		return mem->pool.host + (pa - mem->pool.base);

	rcu_read_lock(&mem->rcu);
	t = rcu_dereference(mem->regions);
	at = table_find(t, pa);
	if (at >= 0) {
		const struct mem_region *r = &t->r[at];

		if (last - r->pa < r->size)
			host = r->host + (pa - r->pa);
	}
	rcu_read_unlock(&mem->rcu);
	return host;
}

/* Is [h, h + len) inside the @size bytes mapped at @base? */
static bool host_inside(uintptr_t h, uint64_t len, const uint8_t *base, uint64_t size)
{
	uintptr_t b = (uintptr_t)base;

	return base && h >= b && h - b < size && len <= size - (h - b);
}

int mem_host_to_pa(struct siommu_mem *mem, const void *host, uint64_t len,
		   uint64_t *pa)
{
	const struct region_table *t;
	uintptr_t h = (uintptr_t)host;
	unsigned int i;
	int ret = -EFAULT;

	if (!len)
		len = 1;
	if (host_inside(h, len, mem->pool.host, mem->pool.size)) {
		*pa = mem->pool.base + (h - (uintptr_t)mem->pool.host);
		return 0;
	}
	/* Regions are sorted by PA, not by host address: a linear scan, over
	 * the handful of regions an address space has. */
	rcu_read_lock(&mem->rcu);
	t = rcu_dereference(mem->regions);
	for (i = 0; i < t->n; i++) {
		const struct mem_region *r = &t->r[i];

		if (!r->pool && host_inside(h, len, r->host, r->size)) {
			*pa = r->pa + (h - (uintptr_t)r->host);
			ret = 0;
			break;
		}
	}
	rcu_read_unlock(&mem->rcu);
	return ret;
}

bool SIOMMU_EXPORT siommu_mem_is_ram(struct siommu_mem *mem, uint64_t pa,
				     uint64_t len)
{
	return siommu_mem_host(mem, pa, len) != NULL;
}

int SIOMMU_EXPORT siommu_mem_read(struct siommu_mem *mem, uint64_t pa,
				  void *buf, size_t len)
{
	void *host;

	if (!len)
		return 0;
	host = siommu_mem_host(mem, pa, len);
	if (!host)
		return -EFAULT;
	/* @buf may be registered RAM itself, even the very range read. */
	memmove(buf, host, len);
	return 0;
}

int SIOMMU_EXPORT siommu_mem_write(struct siommu_mem *mem, uint64_t pa,
				   const void *buf, size_t len)
{
	void *host;

	if (!len)
		return 0;
	host = siommu_mem_host(mem, pa, len);
	if (!host)
		return -EFAULT;
	memmove(host, buf, len);	/* as in siommu_mem_read() */
	return 0;
}

static int entry_ptr(struct siommu_mem *mem, uint64_t pa, uint64_t **p)
{
	if (pa & 7)
		return -EINVAL;
	*p = mem_entry_ptr(mem, pa);
	return *p ? 0 : -EFAULT;
}

int SIOMMU_EXPORT siommu_mem_load64(struct siommu_mem *mem, uint64_t pa,
				    uint64_t *val)
{
	uint64_t *p;
	int ret = entry_ptr(mem, pa, &p);

	if (!ret)
		*val = __atomic_load_n(p, __ATOMIC_ACQUIRE);
	return ret;
}

int SIOMMU_EXPORT siommu_mem_store64(struct siommu_mem *mem, uint64_t pa,
				     uint64_t val)
{
	uint64_t *p;
	int ret = entry_ptr(mem, pa, &p);

	if (!ret)
		__atomic_store_n(p, val, __ATOMIC_RELEASE);
	return ret;
}

int SIOMMU_EXPORT siommu_mem_cmpxchg64(struct siommu_mem *mem, uint64_t pa,
				       uint64_t *expected, uint64_t desired)
{
	uint64_t *p;
	int ret = entry_ptr(mem, pa, &p);

	if (ret)
		return ret;
	if (__atomic_compare_exchange_n(p, expected, desired, false,
					__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		return 0;
	return -EAGAIN;
}

uint64_t SIOMMU_EXPORT siommu_mem_fail_nth(struct siommu_mem *mem, uint64_t n)
{
	return fail_nth_arm(&mem->fail, n);
}

void SIOMMU_EXPORT siommu_mem_get_stats(struct siommu_mem *mem,
					struct siommu_mem_stats *st)
{
	const struct region_table *t;
	unsigned int i;

	memset(st, 0, sizeof(*st));
	rcu_read_lock(&mem->rcu);
	t = rcu_dereference(mem->regions);
	st->nr_regions = t->n;
	for (i = 0; i < t->n; i++)
		st->ram_bytes += t->r[i].size;
	rcu_read_unlock(&mem->rcu);

	if (!mem->pool.size)
		return;
	pthread_mutex_lock(&mem->pool.lock);
	st->pool_bytes = mem->pool.size;
	st->pool_free_bytes = mem->pool.free_bytes;
	for (i = 0; i < SIOMMU_MEM_NR_PURPOSES; i++) {
		st->in_use[i] = mem->pool.in_use[i];
		st->allocs[i] = mem->pool.allocs[i];
		st->frees[i] = mem->pool.frees[i];
	}
	pthread_mutex_unlock(&mem->pool.lock);
}

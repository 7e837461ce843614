/* SPDX-License-Identifier: MIT */
/*
 * vIOMMU and vDEVICE objects on an SMMUv3 unit: allocation over a nest
 * parent and its errno table, virtual StreamIDs per vIOMMU, the busy
 * rules, the tombstone an unbound device leaves, and vIOMMU-wide
 * invalidation: the guest's commands reach the unit's command queue with
 * physical StreamIDs and the vIOMMU's VMID, and commands beyond its slice
 * are refused; a guest invalidating back to back does not keep a
 * replace waiting. Fail-nth over both allocations.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <semaphore.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <siommu/iommufd.h>
#include <siommu/smmuv3.h>
#include <siommu/vtd.h>

#include "core_test.h"
#include "test.h"
#include "core/drivers/smmuv3/smmuv3_drv.h"	/* smmu_drv_cmdq_hook_set */

#define NOPASID SIOMMU_IOMMUFD_NO_PASID

struct env {
	struct siommu_ctx *ctx;
	struct siommu_unit *unit;
	struct siommu_device *dev[2];
	struct siommu_iommufd *ictx;
	uint32_t d[2], ioas, parent, paging;
};

static void setup(struct env *e)
{
	unsigned int i;

	memset(e, 0, sizeof(*e));
	CHECK_OK(siommu_ctx_create(NULL, &e->ctx));
	CHECK_OK(siommu_unit_add_smmuv3(e->ctx, NULL, &e->unit));
	CHECK_OK(siommu_iommufd_create(&(struct siommu_iommufd_cfg){ .ctx = e->ctx }, &e->ictx));
	for (i = 0; i < 2; i++) {
		e->dev[i] = test_dev_add(e->unit, (uint16_t)(0x100 + 8 * i), 20, 0);
		CHECK_OK(siommu_iommufd_bind(e->ictx, e->dev[i], &e->d[i]));
	}
	CHECK_OK(siommu_ioas_alloc(e->ictx, &e->ioas));
	CHECK_OK(siommu_hwpt_alloc(e->ictx, e->d[0], e->ioas, SIOMMU_HWPT_ALLOC_NEST_PARENT, 0,
				   &e->parent));
	CHECK_OK(siommu_hwpt_alloc(e->ictx, e->d[0], e->ioas, 0, 0, &e->paging));
}

static void teardown(struct env *e)
{
	siommu_iommufd_destroy(e->ictx);
	siommu_ctx_destroy(e->ctx);
}

/* What a refused call must leave as it was. */
static void same_stats(struct env *e, const struct siommu_iommufd_stats *a)
{
	struct siommu_iommufd_stats b;

	siommu_iommufd_get_stats(e->ictx, &b);
	CHECK(!memcmp(a, &b, sizeof(b)));
}

#define FAILS(e, err, expr)                                                 \
	do {                                                                \
		struct siommu_iommufd_stats _st;                            \
		siommu_iommufd_get_stats((e)->ictx, &_st);                  \
		CHECK_EQ((expr), (err));                                    \
		same_stats((e), &_st);                                      \
	} while (0)

static void alloc_errors(void)
{
	struct env e;
	uint32_t v, vd, vd1, x;

	setup(&e);
	FAILS(&e, -EOPNOTSUPP, siommu_viommu_alloc(e.ictx, 1, SIOMMU_VIOMMU_TYPE_ARM_SMMUV3,
						   e.d[0], e.parent, &x));
	FAILS(&e, -EOPNOTSUPP, siommu_viommu_alloc(e.ictx, 0, SIOMMU_VIOMMU_TYPE_DEFAULT,
						   e.d[0], e.parent, &x));
	FAILS(&e, -EOPNOTSUPP, siommu_viommu_alloc(e.ictx, 0, 2, e.d[0], e.parent, &x));
	FAILS(&e, -ENOENT, siommu_viommu_alloc(e.ictx, 0, SIOMMU_VIOMMU_TYPE_ARM_SMMUV3, 99,
					       e.parent, &x));
	FAILS(&e, -ENOENT, siommu_viommu_alloc(e.ictx, 0, SIOMMU_VIOMMU_TYPE_ARM_SMMUV3, e.d[0],
					       99, &x));
	FAILS(&e, -ENOENT, siommu_viommu_alloc(e.ictx, 0, SIOMMU_VIOMMU_TYPE_ARM_SMMUV3, e.d[0],
					       e.ioas, &x));
	FAILS(&e, -EINVAL, siommu_viommu_alloc(e.ictx, 0, SIOMMU_VIOMMU_TYPE_ARM_SMMUV3, e.d[0],
					       e.paging, &x));
	CHECK_OK(siommu_viommu_alloc(e.ictx, 0, SIOMMU_VIOMMU_TYPE_ARM_SMMUV3, e.d[0], e.parent,
				     &v));
	CHECK_EQ(siommu_iommufd_obj_type(e.ictx, v), SIOMMU_IOMMUFD_OBJ_VIOMMU);
	FAILS(&e, -EBUSY, siommu_iommufd_obj_destroy(e.ictx, e.parent));
	/* A nested HWPT (an abort guest STE here) uses the vIOMMU. */
	{
		struct siommu_hwpt_nested_cfg c = {
			.dev_id = e.d[0], .pt_id = v, .data_type = SIOMMU_HWPT_DATA_ARM_SMMUV3,
			.data_len = 16, .data = (uint64_t[2]){ 0 },
		};

		CHECK_OK(siommu_hwpt_alloc_nested(e.ictx, &c, &x));
		FAILS(&e, -EBUSY, siommu_iommufd_obj_destroy(e.ictx, v));
		CHECK_OK(siommu_iommufd_obj_destroy(e.ictx, x));
	}
	/* vDEVICEs: one virtual ID per device and per vIOMMU. */
	FAILS(&e, -ENOENT, siommu_vdevice_alloc(e.ictx, 99, e.d[0], 0x10, &x));
	FAILS(&e, -ENOENT, siommu_vdevice_alloc(e.ictx, e.parent, e.d[0], 0x10, &x));
	FAILS(&e, -ENOENT, siommu_vdevice_alloc(e.ictx, v, 99, 0x10, &x));
	CHECK_OK(siommu_vdevice_alloc(e.ictx, v, e.d[0], 0x10, &vd));
	CHECK_EQ(siommu_iommufd_obj_type(e.ictx, vd), SIOMMU_IOMMUFD_OBJ_VDEVICE);
	FAILS(&e, -EEXIST, siommu_vdevice_alloc(e.ictx, v, e.d[1], 0x10, &x));
	FAILS(&e, -EEXIST, siommu_vdevice_alloc(e.ictx, v, e.d[0], 0x11, &x));
	CHECK_OK(siommu_vdevice_alloc(e.ictx, v, e.d[1], 0x11, &vd1));
	FAILS(&e, -EBUSY, siommu_iommufd_obj_destroy(e.ictx, v));
	{
		struct siommu_iommufd_stats st;

		siommu_iommufd_get_stats(e.ictx, &st);
		CHECK_EQ(st.viommus, 1);
		CHECK_EQ(st.vdevices, 2);
	}
	/* Unbinding a device leaves its vDEVICE a tombstone: gone from the
	 * vIOMMU, its ID unknown and not handed out again. */
	CHECK_OK(siommu_iommufd_unbind(e.ictx, e.d[1]));
	CHECK_EQ(siommu_iommufd_obj_type(e.ictx, vd1), SIOMMU_IOMMUFD_OBJ_NONE);
	CHECK_EQ(siommu_iommufd_obj_destroy(e.ictx, vd1), -ENOENT);
	CHECK_OK(siommu_ioas_alloc(e.ictx, &x));
	CHECK(x != vd1);
	CHECK_OK(siommu_iommufd_bind(e.ictx, e.dev[1], &e.d[1]));
	CHECK_OK(siommu_vdevice_alloc(e.ictx, v, e.d[1], 0x11, &x));
	CHECK_OK(siommu_iommufd_obj_destroy(e.ictx, x));
	CHECK_OK(siommu_iommufd_obj_destroy(e.ictx, vd));
	CHECK_OK(siommu_iommufd_obj_destroy(e.ictx, v));
	CHECK_OK(siommu_iommufd_obj_destroy(e.ictx, e.parent));
	teardown(&e);
}

/* The commands the unit was handed, as the cmdq hook sees them. */
struct seen {
	struct siommu_unit *unit;
	uint64_t cmd[64][2];
	unsigned int n;
};

static void hook(void *arg, uint64_t q_pa, unsigned int first, unsigned int n)
{
	struct seen *s = arg;
	struct smmu_drv_unit *u = smmu_drv_unit(s->unit);
	unsigned int i, size = 1u << u->cmdq.log2;

	for (i = 0; i < n && s->n < 64; i++, s->n++)
		CHECK_OK(siommu_mem_read(u->mem,
					 q_pa + (uint64_t)((first + i) % size) * 16,
					 s->cmd[s->n], 16));
}

/* The first command of @op @s saw, or NULL. */
static const uint64_t *seen_op(const struct seen *s, unsigned int op)
{
	unsigned int i;

	for (i = 0; i < s->n; i++)
		if ((s->cmd[i][0] & 0xff) == op)
			return s->cmd[i];
	return NULL;
}

static void invalidate(void)
{
	struct siommu_viommu_arm_smmuv3_invalidate c[4];
	struct seen s;
	struct env e;
	uint32_t v, vd, n;
	const uint64_t *got;
	uint16_t vmid;

	setup(&e);
	CHECK_OK(siommu_viommu_alloc(e.ictx, 0, SIOMMU_VIOMMU_TYPE_ARM_SMMUV3, e.d[0], e.parent,
				     &v));
	CHECK_OK(siommu_vdevice_alloc(e.ictx, v, e.d[0], 0x42, &vd));
	memset(c, 0, sizeof(c));
	/* CFGI_CD of virtual StreamID 0x42, SSID 3; TLBI_NH_ASID 7 with a
	 * VMID of the guest's choosing; ATC_INV of 0x42. */
	c[0].cmd[0] = SIOMMU_SMMUV3_CMD_CFGI_CD | (3ull << 12) | (0x42ull << 32);
	c[0].cmd[1] = 1;
	c[1].cmd[0] = SIOMMU_SMMUV3_CMD_TLBI_NH_ASID | (0x55ull << 32) | (7ull << 48);
	c[2].cmd[0] = SIOMMU_SMMUV3_CMD_ATC_INV | (0x42ull << 32);
	c[2].cmd[1] = 52;
	/* The guest's TLBI_NSNH_ALL: everything of its own, no more. */
	c[3].cmd[0] = SIOMMU_SMMUV3_CMD_TLBI_NSNH_ALL;
	c[3].cmd[1] = 0x1234;
	memset(&s, 0, sizeof(s));
	s.unit = e.unit;
	smmu_drv_cmdq_hook_set(e.unit, hook, &s);
	n = 4;
	CHECK_OK(siommu_hwpt_invalidate(e.ictx, v, SIOMMU_HWPT_INVALIDATE_DATA_VIOMMU_ARM_SMMUV3,
					c, sizeof(c[0]), &n));
	smmu_drv_cmdq_hook_set(e.unit, NULL, NULL);
	CHECK_EQ(n, 4);
	CHECK(seen_op(&s, SIOMMU_SMMUV3_CMD_TLBI_NSNH_ALL) == NULL);
	got = seen_op(&s, SIOMMU_SMMUV3_CMD_TLBI_NH_ALL);
	CHECK(got != NULL);
	CHECK_EQ(got[1], 0);
	got = seen_op(&s, SIOMMU_SMMUV3_CMD_CFGI_CD);
	CHECK(got != NULL);
	CHECK_EQ(got[0] >> 32, 0x100);			/* the physical StreamID */
	CHECK_EQ((got[0] >> 12) & 0xfffff, 3);
	CHECK_EQ(got[1], 1);
	got = seen_op(&s, SIOMMU_SMMUV3_CMD_TLBI_NH_ASID);
	CHECK(got != NULL);
	vmid = (uint16_t)(got[0] >> 32);
	CHECK(vmid != 0 && vmid != 0x55);		/* the vIOMMU's own */
	CHECK_EQ(got[0] >> 48, 7);
	CHECK_EQ(seen_op(&s, SIOMMU_SMMUV3_CMD_TLBI_NH_ALL)[0],
		 SIOMMU_SMMUV3_CMD_TLBI_NH_ALL | (uint64_t)vmid << 32);
	got = seen_op(&s, SIOMMU_SMMUV3_CMD_ATC_INV);
	CHECK(got != NULL);
	CHECK_EQ(got[0] >> 32, 0x100);
	CHECK(seen_op(&s, SIOMMU_SMMUV3_CMD_SYNC) != NULL);

	/* Refused: a command beyond the slice, a virtual ID nobody has; the
	 * count stops at it and the earlier ones ran. */
	c[1].cmd[0] = SIOMMU_SMMUV3_CMD_CFGI_STE | (0x42ull << 32);
	memset(&s, 0, sizeof(s));
	s.unit = e.unit;
	smmu_drv_cmdq_hook_set(e.unit, hook, &s);
	n = 3;
	CHECK_EQ(siommu_hwpt_invalidate(e.ictx, v, SIOMMU_HWPT_INVALIDATE_DATA_VIOMMU_ARM_SMMUV3,
					c, sizeof(c[0]), &n), -EIO);
	smmu_drv_cmdq_hook_set(e.unit, NULL, NULL);
	CHECK_EQ(n, 1);
	CHECK(seen_op(&s, SIOMMU_SMMUV3_CMD_CFGI_CD) != NULL);
	CHECK(seen_op(&s, SIOMMU_SMMUV3_CMD_CFGI_STE) == NULL);
	c[1].cmd[0] = SIOMMU_SMMUV3_CMD_TLBI_S2_IPA;
	n = 2;
	CHECK_EQ(siommu_hwpt_invalidate(e.ictx, v, SIOMMU_HWPT_INVALIDATE_DATA_VIOMMU_ARM_SMMUV3,
					c, sizeof(c[0]), &n), -EIO);
	CHECK_EQ(n, 1);
	c[1].cmd[0] = SIOMMU_SMMUV3_CMD_CFGI_CD_ALL | (0x43ull << 32);
	n = 2;
	CHECK_EQ(siommu_hwpt_invalidate(e.ictx, v, SIOMMU_HWPT_INVALIDATE_DATA_VIOMMU_ARM_SMMUV3,
					c, sizeof(c[0]), &n), -EIO);
	CHECK_EQ(n, 1);
	/* The array's own rules, and the type. */
	n = 2;
	CHECK_EQ(siommu_hwpt_invalidate(e.ictx, v, SIOMMU_HWPT_INVALIDATE_DATA_VIOMMU_ARM_SMMUV3,
					c, 8, &n), -EINVAL);
	CHECK_EQ(n, 0);
	n = 1;
	CHECK_EQ(siommu_hwpt_invalidate(e.ictx, v, SIOMMU_HWPT_INVALIDATE_DATA_VTD_S1, c,
					sizeof(c[0]), &n), -EINVAL);
	CHECK_EQ(n, 0);
	/* Past Linux's bounds, refused before an entry is read (c holds 2). */
	n = SIOMMU_HWPT_INVALIDATE_MAX_ENTRIES + 1;
	CHECK_EQ(siommu_hwpt_invalidate(e.ictx, v, SIOMMU_HWPT_INVALIDATE_DATA_VIOMMU_ARM_SMMUV3,
					c, sizeof(c[0]), &n), -EINVAL);
	CHECK_EQ(n, 0);
	n = 1;
	CHECK_EQ(siommu_hwpt_invalidate(e.ictx, v, SIOMMU_HWPT_INVALIDATE_DATA_VIOMMU_ARM_SMMUV3,
					c, SIOMMU_HWPT_INVALIDATE_MAX_ENTRY_LEN + 1, &n), -EINVAL);
	CHECK_EQ(n, 0);
	n = 0;
	CHECK_OK(siommu_hwpt_invalidate(e.ictx, v, SIOMMU_HWPT_INVALIDATE_DATA_VIOMMU_ARM_SMMUV3,
					NULL, 0, &n));
	/* A device unbound takes its virtual ID out of use. */
	CHECK_OK(siommu_iommufd_unbind(e.ictx, e.d[0]));
	c[0].cmd[0] = SIOMMU_SMMUV3_CMD_CFGI_CD | (0x42ull << 32);
	n = 1;
	CHECK_EQ(siommu_hwpt_invalidate(e.ictx, v, SIOMMU_HWPT_INVALIDATE_DATA_VIOMMU_ARM_SMMUV3,
					c, sizeof(c[0]), &n), -EIO);
	CHECK_EQ(n, 0);
	/* The context goes with the vIOMMU alive. */
	teardown(&e);
}

/* VT-d offers no vIOMMU type. */
/*
 * A guest invalidating back to back does not keep the VMM's replace of
 * the device waiting: thread G's vIOMMU invalidation is held inside its
 * command queue submission (with the context's attach lock held) until
 * thread R's replace sleeps waiting for that lock; once let go, G asks
 * again at once, and R's submissions must come before G's next ones.
 */
static struct order_env {
	struct env e;
	uint32_t v, paging;
	pthread_t self_g, self_r;
	sem_t g_in, g_go;
	bool g_held;
	long r_tid;
	char order[64];
	unsigned int n;
} oe;

#define ORDER_ROUNDS 16

static void order_hook(void *arg, uint64_t q_pa, unsigned int first, unsigned int n)
{
	pthread_t self = pthread_self();
	char who = pthread_equal(self, oe.self_g) ? 'G' : pthread_equal(self, oe.self_r) ? 'R' : '?';

	(void)arg, (void)q_pa, (void)first, (void)n;
	if (oe.n < sizeof(oe.order) - 1)
		oe.order[oe.n++] = who;
	if (who == 'G' && !oe.g_held) {
		oe.g_held = true;
		CHECK_OK(sem_post(&oe.g_in));
		while (sem_wait(&oe.g_go))
			;
	}
}

static void *order_guest(void *arg)
{
	struct siommu_viommu_arm_smmuv3_invalidate c = { { SIOMMU_SMMUV3_CMD_TLBI_NH_ASID |
							   (7ull << 48), 0 } };
	unsigned int i;
	uint32_t n;

	(void)arg;
	oe.self_g = pthread_self();
	for (i = 0; i < ORDER_ROUNDS; i++) {
		n = 1;
		CHECK_OK(siommu_hwpt_invalidate(oe.e.ictx, oe.v,
						SIOMMU_HWPT_INVALIDATE_DATA_VIOMMU_ARM_SMMUV3, &c,
						sizeof(c), &n));
	}
	return NULL;
}

static void *order_replace(void *arg)
{
	(void)arg;
	oe.self_r = pthread_self();
	__atomic_store_n(&oe.r_tid, syscall(SYS_gettid), __ATOMIC_RELEASE);
	CHECK_OK(siommu_iommufd_replace(oe.e.ictx, oe.e.d[0], NOPASID, &oe.paging));
	return NULL;
}

static void invalidate_order(void)
{
	pthread_t g, r;
	unsigned int i, g_after = 0;

	memset(&oe, 0, sizeof(oe));
	setup(&oe.e);
	oe.paging = oe.e.paging;
	CHECK_OK(siommu_viommu_alloc(oe.e.ictx, 0, SIOMMU_VIOMMU_TYPE_ARM_SMMUV3, oe.e.d[0],
				     oe.e.parent, &oe.v));
	CHECK_OK(siommu_iommufd_attach(oe.e.ictx, oe.e.d[0], NOPASID, &(uint32_t){ oe.e.parent }));
	CHECK_OK(sem_init(&oe.g_in, 0, 0));
	CHECK_OK(sem_init(&oe.g_go, 0, 0));
	smmu_drv_cmdq_hook_set(oe.e.unit, order_hook, NULL);
	CHECK_OK(pthread_create(&g, NULL, order_guest, NULL));
	while (sem_wait(&oe.g_in))
		;
	CHECK_OK(pthread_create(&r, NULL, order_replace, NULL));
	test_wait_thread_sleeps(&oe.r_tid);
	CHECK_OK(sem_post(&oe.g_go));
	CHECK_OK(pthread_join(g, NULL));
	CHECK_OK(pthread_join(r, NULL));
	smmu_drv_cmdq_hook_set(oe.e.unit, NULL, NULL);
	oe.order[oe.n] = 0;
	fprintf(stderr, "submissions in order: %s\n", oe.order);
	CHECK(oe.n >= 2 && oe.order[0] == 'G');
	CHECK_EQ(oe.order[1], 'R');
	for (i = 2; i < oe.n; i++)
		g_after += oe.order[i] == 'G';
	CHECK_EQ(g_after, ORDER_ROUNDS - 1);
	sem_destroy(&oe.g_in);
	sem_destroy(&oe.g_go);
	teardown(&oe.e);
}

static void vtd_none(void)
{
	struct siommu_ctx *ctx;
	struct siommu_unit *unit;
	struct siommu_iommufd *ictx;
	uint32_t d, ioas, parent, x;

	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	CHECK_OK(siommu_unit_add_vtd(ctx, NULL, &unit));
	CHECK_OK(siommu_iommufd_create(&(struct siommu_iommufd_cfg){ .ctx = ctx }, &ictx));
	CHECK_OK(siommu_iommufd_bind(ictx, test_dev_add(unit, 0x100, 20, 0), &d));
	CHECK_OK(siommu_ioas_alloc(ictx, &ioas));
	CHECK_OK(siommu_hwpt_alloc(ictx, d, ioas, SIOMMU_HWPT_ALLOC_NEST_PARENT, 0, &parent));
	CHECK_EQ(siommu_viommu_alloc(ictx, 0, SIOMMU_VIOMMU_TYPE_ARM_SMMUV3, d, parent, &x),
		 -EOPNOTSUPP);
	siommu_iommufd_destroy(ictx);
	siommu_ctx_destroy(ctx);
}

/* Fail-nth: each failing step of either allocation changes nothing. */
static void fail_nth(void)
{
	struct siommu_mem *mem;
	struct env e;
	uint32_t v = 0, vd = 0;
	uint64_t n, steps[2] = { 0, 0 };
	int ret;

	setup(&e);
	mem = siommu_ctx_mem(e.ctx);
	for (unsigned int which = 0; which < 2; which++) {
		for (n = 1;; n++) {
			struct siommu_iommufd_stats st;
			struct siommu_unit_stats a, b;

			CHECK(n < 100);
			siommu_iommufd_get_stats(e.ictx, &st);
			siommu_unit_get_stats(e.unit, &b);
			siommu_mem_fail_nth(mem, n);
			ret = which ? siommu_vdevice_alloc(e.ictx, v, e.d[0], 5, &vd) :
				      siommu_viommu_alloc(e.ictx, 0, SIOMMU_VIOMMU_TYPE_ARM_SMMUV3,
							  e.d[0], e.parent, &v);
			siommu_mem_fail_nth(mem, 0);
			if (!ret)
				break;
			CHECK(ret == -ENOMEM || ret == -ENOSPC);
			same_stats(&e, &st);
			siommu_unit_get_stats(e.unit, &a);
			CHECK_EQ(a.domain_ids, b.domain_ids);
		}
		steps[which] = n - 1;
	}
	fprintf(stderr, "  viommu_alloc %" PRIu64 ", vdevice_alloc %" PRIu64 " fallible steps\n",
		steps[0], steps[1]);
	CHECK(steps[0] >= 3 && steps[1] >= 1);
	teardown(&e);
}

int main(void)
{
	alloc_errors();
	invalidate();
	invalidate_order();
	vtd_none();
	fail_nth();
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * SMMUv3 event and PRI queues: record fields, interrupts, overflow
 * (PROD.OVFLG toggles once until CONS.OVACKFLG acknowledges it), a queue
 * that cannot be written; the stall model: a stalled transaction is
 * held until CMD_RESUME or CMD_STALL_TERM ends it.
 */
#include "smmuv3_test.h"

#define POOL 0x100000000ull
#define HOLE 0x10000ull

static const uint32_t R = SIOMMU_SMMUV3_READ, W = SIOMMU_SMMUV3_WRITE,
		      X = SIOMMU_SMMUV3_EXEC;

struct dev {
	unsigned int pri, stall;
	struct siommu_smmuv3_pri_resp last_pri;
	struct siommu_smmuv3_stall_end last_stall;
};

static void dev_pri(void *opaque, const struct siommu_smmuv3_pri_resp *r)
{
	struct dev *d = opaque;

	d->pri++;
	d->last_pri = *r;
}

static void dev_stall(void *opaque, const struct siommu_smmuv3_stall_end *e)
{
	struct dev *d = opaque;

	d->stall++;
	d->last_stall = *e;
}

static const struct siommu_smmuv3_dev_ops dev_ops = {
	.pri_resp = dev_pri, .stall_end = dev_stall,
};

static void test_record_fields(void)
{
	struct siommu_smmuv3_req r;
	struct siommu_smmuv3_xlate x;
	uint64_t tbl, rec[4];
	struct st t;

	st_init(&t, NULL);
	tbl = st_alloc(&t, 4096);
	st_cd(&t, tbl + 5 * 64, 1, st_s1_root(&t, 0x1000, POOL), 25, 0);
	st_ste(&t, 0xab, STE_V | STE_CFG(5) | STE_CDMAX(8) | tbl, 0, 0, 0);
	r = st_req(0xab, true, 5, 0x7000123, W | X);
	r.priv = true;
	CHECK_EQ(siommu_smmuv3_translate(t.s, &r, &x), -EFAULT);
	CHECK_EQ(x.event, SIOMMU_SMMUV3_F_TRANSLATION);
	CHECK(x.event_recorded);
	CHECK(!x.stalled);
	st_expect_event(&t, SIOMMU_SMMUV3_F_TRANSLATION, 0xab, rec);
	CHECK_EQ(rec[0], 0x10 | 1ull << 11 | 5ull << 12 | 0xabull << 32);
	CHECK_EQ(rec[1], 1ull << 33 | 1ull << 34 | 2ull << 40);	/* PnU, InD, write, IN */
	CHECK_EQ(rec[2], 0x7000123);
	CHECK_EQ(rec[3], 0);
	/* A read, unprivileged, from SubstreamID 0xfffff: no bits spill. */
	st_ste(&t, 0xac, STE_V | STE_CFG(5) | STE_CDMAX(20) | tbl, 0, 0, 0);
	CHECK(st_fault(&t, 0xac, true, 0xfffff, 0x1000, R, SIOMMU_SMMUV3_C_BAD_CD));
	st_expect_event(&t, SIOMMU_SMMUV3_C_BAD_CD, 0xac, rec);
	CHECK_EQ(rec[0], 0x0a | 1ull << 11 | 0xfffffull << 12 | 0xacull << 32);
	CHECK_EQ(rec[1], 0);	/* a configuration event: no transaction fields */
	CHECK_EQ(rec[2], 0);
	/* One MSI per record (IRQ_CTRL.EVTQ set), to the doorbell. */
	CHECK_EQ(t.msi[SIOMMU_SMMUV3_IRQ_SRC_EVTQ], 2);
	CHECK_EQ(t.msi_addr, ST_DOORBELL);
	/* With an MSI address in RAM the data is written there. */
	st_wr(&t, SIOMMU_SMMUV3_IRQ_CTRL, 4, 0);
	st_wr(&t, SIOMMU_SMMUV3_EVTQ_IRQ_CFG0, 8, t.sync + 8);
	st_wr(&t, SIOMMU_SMMUV3_EVTQ_IRQ_CFG1, 4, 0xfeed);
	st_wr(&t, SIOMMU_SMMUV3_IRQ_CTRL, 4, 7);
	CHECK(st_fault(&t, 1, false, 0, 0x1000, R, SIOMMU_SMMUV3_C_BAD_STE));
	CHECK_EQ(t.msi_addr, t.sync + 8);
	CHECK_EQ(st_ld(&t, t.sync + 8) & 0xffffffff, 0xfeed);
	/* IRQ_CTRL.EVTQ clear: recorded, no interrupt. */
	st_wr(&t, SIOMMU_SMMUV3_IRQ_CTRL, 4, 0);
	CHECK(st_fault(&t, 1, false, 0, 0x1000, R, SIOMMU_SMMUV3_C_BAD_STE));
	CHECK_EQ(t.msi[SIOMMU_SMMUV3_IRQ_SRC_EVTQ], 3);
	st_fini(&t);
}

static void test_overflow(void)
{
	struct siommu_smmuv3_stats stats;
	uint32_t prod;
	unsigned int i;
	uint64_t rec[4];
	struct st t;

	st_init(&t, NULL);
	/* 128 records fill the queue. */
	for (i = 0; i < 128; i++)
		CHECK(st_fault(&t, i, false, 0, 0, R, SIOMMU_SMMUV3_C_BAD_STE));
	prod = (uint32_t)st_rd(&t, SIOMMU_SMMUV3_EVTQ_PROD, 4);
	CHECK_EQ(prod, 0x80);	/* index 0, wrapped */
	CHECK(!st_fault(&t, 200, false, 0, 0, R, SIOMMU_SMMUV3_C_BAD_STE));
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_EVTQ_PROD, 4), 0x80 | SIOMMU_SMMUV3_Q_OVF);
	/* Until acknowledged, further losses do not toggle it back. */
	CHECK(!st_fault(&t, 201, false, 0, 0, R, SIOMMU_SMMUV3_C_BAD_STE));
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_EVTQ_PROD, 4), 0x80 | SIOMMU_SMMUV3_Q_OVF);
	siommu_smmuv3_get_stats(t.s, &stats);
	CHECK_EQ(stats.events, 128);
	CHECK_EQ(stats.events_lost, 2);
	/* Software drains and acknowledges (st_event copies OVFLG). */
	for (i = 0; i < 128; i++) {
		st_expect_event(&t, SIOMMU_SMMUV3_C_BAD_STE, i, rec);
	}
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_EVTQ_CONS, 4), 0x80 | SIOMMU_SMMUV3_Q_OVF);
	CHECK(st_fault(&t, 202, false, 0, 0, R, SIOMMU_SMMUV3_C_BAD_STE));
	st_expect_event(&t, SIOMMU_SMMUV3_C_BAD_STE, 202, rec);
	/* A second overflow toggles OVFLG back. */
	for (i = 0; i < 129; i++)
		st_fault(&t, i, false, 0, 0, R, SIOMMU_SMMUV3_C_BAD_STE);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_EVTQ_PROD, 4) & SIOMMU_SMMUV3_Q_OVF, 0);
	/* EVTQEN clear: events are lost without a trace in the queue. */
	st_wr(&t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL & ~SIOMMU_SMMUV3_CR0_EVTQEN);
	prod = (uint32_t)st_rd(&t, SIOMMU_SMMUV3_EVTQ_PROD, 4);
	CHECK(!st_fault(&t, 1, false, 0, 0, R, SIOMMU_SMMUV3_C_BAD_STE));
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_EVTQ_PROD, 4), prod);
	/* A queue in a hole: GERROR.EVTQ_ABT. */
	st_wr(&t, SIOMMU_SMMUV3_EVTQ_BASE, 8, HOLE | 7);
	st_wr(&t, SIOMMU_SMMUV3_EVTQ_PROD, 4, 0);
	st_wr(&t, SIOMMU_SMMUV3_EVTQ_CONS, 4, 0);
	st_wr(&t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL);
	CHECK(!st_fault(&t, 1, false, 0, 0, R, SIOMMU_SMMUV3_C_BAD_STE));
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_GERROR, 4) ^ st_rd(&t, SIOMMU_SMMUV3_GERRORN, 4),
		 SIOMMU_SMMUV3_GERROR_EVTQ_ABT);
	CHECK_EQ(t.msi[SIOMMU_SMMUV3_IRQ_SRC_GERROR], 1);
	/* While it is active, another abort changes nothing. */
	CHECK(!st_fault(&t, 1, false, 0, 0, R, SIOMMU_SMMUV3_C_BAD_STE));
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_GERROR, 4) ^ st_rd(&t, SIOMMU_SMMUV3_GERRORN, 4),
		 SIOMMU_SMMUV3_GERROR_EVTQ_ABT);
	CHECK_EQ(t.msi[SIOMMU_SMMUV3_IRQ_SRC_GERROR], 1);
	st_fini(&t);
}

static void test_priq(void)
{
	struct siommu_smmuv3_page_req pr = {
		.sid = 0x42, .ssv = true, .ssid = 0x12345, .priv = true,
		.addr = 0x7f0000001abc, .access = R | W, .prgi = 0x1ab, .last = true,
	};
	struct siommu_smmuv3_cfg noats = { .features = SIOMMU_SMMUV3_F_S1 };
	struct dev d = { 0 };
	uint64_t e[2];
	unsigned int i;
	struct st t;

	st_init(&t, NULL);
	CHECK_OK(siommu_smmuv3_dev_register(t.s, 0x42, &dev_ops, &d));
	CHECK_EQ(siommu_smmuv3_dev_register(t.s, 0x42, &dev_ops, &d), -EEXIST);
	CHECK_OK(siommu_smmuv3_page_request(t.s, &pr));
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_PRIQ_PROD, 4), 1);
	CHECK_OK(siommu_mem_read(t.mem, t.priq, e, 16));
	CHECK_EQ(e[0], 0x42 | 0x12345ull << 32 | 1ull << 58 | 1ull << 60 | 1ull << 61 |
		 1ull << 62 | 1ull << 63);
	CHECK_EQ(e[1], 0x7f0000001000ull | 0x1ab);
	CHECK_EQ(t.msi[SIOMMU_SMMUV3_IRQ_SRC_PRIQ], 1);
	/* A write alone, unprivileged, an instruction fetch alone. */
	pr.access = W;
	pr.priv = false;
	CHECK_OK(siommu_smmuv3_page_request(t.s, &pr));
	pr.access = X;
	pr.ssv = false;
	CHECK_OK(siommu_smmuv3_page_request(t.s, &pr));
	CHECK_OK(siommu_mem_read(t.mem, t.priq + 16, e, 16));
	CHECK_EQ(e[0], 0x42 | 0x12345ull << 32 | 1ull << 61 | 1ull << 62 | 1ull << 63);
	CHECK_OK(siommu_mem_read(t.mem, t.priq + 32, e, 16));
	CHECK_EQ(e[0], 0x42 | 1ull << 59 | 1ull << 62);
	pr.ssv = true;
	pr.priv = true;
	/* Bad requests. */
	pr.prgi = 0x200;
	CHECK_EQ(siommu_smmuv3_page_request(t.s, &pr), -EINVAL);
	pr.prgi = 1;
	pr.access = 0;
	CHECK_EQ(siommu_smmuv3_page_request(t.s, &pr), -EINVAL);
	pr.access = R;
	pr.ssid = 1u << 20;
	CHECK_EQ(siommu_smmuv3_page_request(t.s, &pr), -EINVAL);
	pr.ssid = 1;
	/* Fill the 256 entries; the next is dropped, OVFLG toggles, and a
	 * last-in-group request is answered "success" by the unit. */
	pr.last = false;
	for (i = 3; i < 256; i++)
		CHECK_OK(siommu_smmuv3_page_request(t.s, &pr));
	CHECK_EQ(siommu_smmuv3_page_request(t.s, &pr), -ENOSPC);
	CHECK_EQ(d.pri, 0);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_PRIQ_PROD, 4), 0x100 | SIOMMU_SMMUV3_Q_OVF);
	pr.last = true;
	CHECK_EQ(siommu_smmuv3_page_request(t.s, &pr), -ENOSPC);
	CHECK_EQ(d.pri, 1);
	CHECK(d.last_pri.auto_response);
	CHECK_EQ(d.last_pri.resp, 2);
	CHECK_EQ(d.last_pri.prgi, 1);
	CHECK_EQ(d.last_pri.ssid, 1);
	/* Space alone does not end the overflow: the acknowledgement does. */
	st_wr(&t, SIOMMU_SMMUV3_PRIQ_CONS, 4, 0x100);
	CHECK_EQ(siommu_smmuv3_page_request(t.s, &pr), -ENOSPC);
	st_wr(&t, SIOMMU_SMMUV3_PRIQ_CONS, 4, 0x100 | SIOMMU_SMMUV3_Q_OVF);
	CHECK_OK(siommu_smmuv3_page_request(t.s, &pr));
	/* CMD_PRI_RESP reaches the device. */
	st_cmd_sync(&t, OP_PRI_RESP | CMD_SSV | CMD_SSID(0x12345) | CMD_SID(0x42),
		    0x1ab | 1ull << 12);
	CHECK_EQ(d.pri, 3);
	CHECK(!d.last_pri.auto_response);
	CHECK_EQ(d.last_pri.resp, 1);
	CHECK_EQ(d.last_pri.prgi, 0x1ab);
	CHECK(d.last_pri.ssv);
	CHECK_EQ(d.last_pri.ssid, 0x12345);
	/* PRIQEN clear: dropped. */
	st_wr(&t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL & ~SIOMMU_SMMUV3_CR0_PRIQEN);
	CHECK_EQ(siommu_smmuv3_page_request(t.s, &pr), -ENOSPC);
	siommu_smmuv3_dev_unregister(t.s, 0x42);
	siommu_smmuv3_dev_unregister(t.s, 0x43);
	st_fini(&t);

	st_init(&t, &noats);
	CHECK_EQ(siommu_smmuv3_page_request(t.s, &pr), -ENOTSUP);
	st_fini(&t);
}

static void test_stall(void)
{
	struct siommu_smmuv3_cfg c = { .stall_max = 2 };
	struct siommu_smmuv3_req r;
	struct siommu_smmuv3_xlate x;
	uint64_t cd, rec[4], w2;
	struct dev d = { 0 };
	struct st t;

	st_init(&t, &c);
	CHECK_OK(siommu_smmuv3_dev_register(t.s, 3, &dev_ops, &d));
	cd = st_alloc(&t, 4096);
	st_cd(&t, cd, 1, st_s1_root(&t, 0x1000, POOL), 25, CD0_S);
	st_ste(&t, 3, STE_V | STE_CFG(5) | cd, 0, 0, 0);
	r = st_req(3, false, 0, 0x5000, R);
	CHECK_EQ(siommu_smmuv3_translate(t.s, &r, &x), -EAGAIN);
	CHECK(x.stalled);
	CHECK(x.event_recorded);
	st_expect_event(&t, SIOMMU_SMMUV3_F_TRANSLATION, 3, rec);
	CHECK_EQ(rec[1] & 0xffff, x.stag);
	CHECK(rec[1] & (1ull << 31));
	/* A RESUME for another stream or tag is ignored. */
	st_cmd_sync(&t, OP_RESUME | 1ull << 12 | CMD_SID(4), x.stag);
	st_cmd_sync(&t, OP_RESUME | 1ull << 12 | CMD_SID(3), x.stag + 1);
	CHECK_EQ(d.stall, 0);
	st_cmd_sync(&t, OP_RESUME | 1ull << 12 | CMD_SID(3), x.stag);
	CHECK_EQ(d.stall, 1);
	CHECK(d.last_stall.retry);
	CHECK_EQ(d.last_stall.stag, x.stag);
	/* Once ended, the tag is free: the same RESUME does nothing. */
	st_cmd_sync(&t, OP_RESUME | 1ull << 12 | CMD_SID(3), x.stag);
	CHECK_EQ(d.stall, 1);
	/* Two stalls fill the table; the third transaction is terminated. */
	CHECK_EQ(siommu_smmuv3_translate(t.s, &r, &x), -EAGAIN);
	CHECK_EQ(siommu_smmuv3_translate(t.s, &r, &x), -EAGAIN);
	CHECK_EQ(siommu_smmuv3_translate(t.s, &r, &x), -EFAULT);
	CHECK(!x.stalled);
	CHECK(x.event_recorded);
	/* STALL_TERM ends all of them, as aborts. */
	st_cmd_sync(&t, OP_STALL_TERM | CMD_SID(3), 0);
	CHECK_EQ(d.stall, 3);
	CHECK(!d.last_stall.retry);
	/* RESUME with Abort. */
	CHECK_EQ(siommu_smmuv3_translate(t.s, &r, &x), -EAGAIN);
	st_cmd_sync(&t, OP_RESUME | 2ull << 12 | CMD_SID(3), x.stag);
	CHECK_EQ(d.stall, 4);
	CHECK(!d.last_stall.retry);
	/* With the event queue disabled a stall could never be resumed: the
	 * transaction is terminated instead. */
	st_wr(&t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL & ~SIOMMU_SMMUV3_CR0_EVTQEN);
	CHECK_EQ(siommu_smmuv3_translate(t.s, &r, &x), -EFAULT);
	CHECK(!x.event_recorded);
	st_wr(&t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL);
	/* Permission faults stall too; stage 2 stalls with S2S. */
	st_st(&t, st_map(&t, st_ld(&t, cd + 8), 1, 39, 0x1000, POOL, 3, S1_RO, 0),
	      POOL | S1_RO | 3);
	r.iova = 0x1000;
	r.access = W;
	CHECK_EQ(siommu_smmuv3_translate(t.s, &r, &x), -EAGAIN);
	CHECK_EQ(x.event, SIOMMU_SMMUV3_F_PERMISSION);
	st_cmd_sync(&t, OP_STALL_TERM | CMD_SID(3), 0);
	w2 = STE2_T0SZ(25) | STE2_SL0(1) | STE2_PS(5) | STE2_AA64 | STE2_S2S | 7;
	st_ste(&t, 3, STE_V | STE_CFG(6), 0, w2, st_table(&t));
	st_cmd_sync(&t, OP_CFGI_STE | CMD_SID(3), 0);
	r.access = R;
	CHECK_EQ(siommu_smmuv3_translate(t.s, &r, &x), -EAGAIN);
	st_fini(&t);
}

/* Point interrupt @cfg0 at @addr (IRQ_CFG0 is written with IRQ_CTRL clear). */
static void irq_addr(struct st *t, uint64_t cfg0, uint64_t addr)
{
	st_wr(t, SIOMMU_SMMUV3_IRQ_CTRL, 4, 0);
	st_wr(t, cfg0, 8, addr);
	st_wr(t, SIOMMU_SMMUV3_IRQ_CTRL, 4, 7);
}

/* Make @irq's source signal once: an event record, a page request, or a
 * command error (acknowledged and skipped afterwards). */
static void raise_irq(struct st *t, enum siommu_smmuv3_irq irq)
{
	struct siommu_smmuv3_page_req pr = { .sid = 0x42, .access = R, .prgi = 1 };
	uint64_t rec[4];
	uint32_t cons;

	switch (irq) {
	case SIOMMU_SMMUV3_IRQ_SRC_EVTQ:
		CHECK(st_fault(t, 1, false, 0, 0x1000, R, SIOMMU_SMMUV3_C_BAD_STE));
		st_expect_event(t, SIOMMU_SMMUV3_C_BAD_STE, 1, rec);
		break;
	case SIOMMU_SMMUV3_IRQ_SRC_PRIQ:
		CHECK_OK(siommu_smmuv3_page_request(t->s, &pr));
		st_wr(t, SIOMMU_SMMUV3_PRIQ_CONS, 4, st_rd(t, SIOMMU_SMMUV3_PRIQ_PROD, 4));
		break;
	default:
		st_cmd(t, 0x7f, 0);
		CHECK((st_rd(t, SIOMMU_SMMUV3_GERROR, 4) ^ st_rd(t, SIOMMU_SMMUV3_GERRORN, 4)) &
		      SIOMMU_SMMUV3_GERROR_CMDQ_ERR);
		/* Replace it with a harmless command, acknowledge. */
		cons = (uint32_t)st_rd(t, SIOMMU_SMMUV3_CMDQ_CONS, 4);
		st_st(t, t->cmdq + (cons & 0xff) * 16ull, 0x30);
		st_wr(t, SIOMMU_SMMUV3_GERRORN, 4, (uint32_t)st_rd(t, SIOMMU_SMMUV3_GERROR, 4));
		CHECK_EQ(st_rd(t, SIOMMU_SMMUV3_CMDQ_CONS, 4) & 0xfffff,
			 st_rd(t, SIOMMU_SMMUV3_CMDQ_PROD, 4));
		break;
	}
}

/* SMMUv3 3.18.2: an MSI whose address is 0 is not sent, whichever source
 * (GERROR, EVTQ, PRIQ; CMD_SYNC is smmuv3_cmdq's): the record or error is
 * there, the interrupt is not. Bits 1:0 are not part of the address. */
static void test_msi_addr_zero(void)
{
	static const struct {
		enum siommu_smmuv3_irq irq;
		uint64_t cfg0;
	} src[] = {
		{ SIOMMU_SMMUV3_IRQ_SRC_GERROR, SIOMMU_SMMUV3_GERROR_IRQ_CFG0 },
		{ SIOMMU_SMMUV3_IRQ_SRC_EVTQ, SIOMMU_SMMUV3_EVTQ_IRQ_CFG0 },
		{ SIOMMU_SMMUV3_IRQ_SRC_PRIQ, SIOMMU_SMMUV3_PRIQ_IRQ_CFG0 },
	};
	unsigned int i, n;
	struct st t;

	for (i = 0; i < sizeof(src) / sizeof(src[0]); i++) {
		st_init(&t, NULL);
		n = t.msi[src[i].irq];
		raise_irq(&t, src[i].irq);
		CHECK_EQ(t.msi[src[i].irq], n + 1);
		CHECK_EQ(t.msi_addr, ST_DOORBELL);
		irq_addr(&t, src[i].cfg0, 0);
		raise_irq(&t, src[i].irq);
		irq_addr(&t, src[i].cfg0, 3);
		raise_irq(&t, src[i].irq);
		CHECK_EQ(t.msi[src[i].irq], n + 1);
		/* The others still signal. */
		raise_irq(&t, src[(i + 1) % 3].irq);
		CHECK_EQ(t.msi[src[(i + 1) % 3].irq], 1);
		irq_addr(&t, src[i].cfg0, ST_DOORBELL + 4);
		raise_irq(&t, src[i].irq);
		CHECK_EQ(t.msi[src[i].irq], n + 2);
		CHECK_EQ(t.msi_addr, ST_DOORBELL + 4);
		st_fini(&t);
	}
}

int main(void)
{
	test_record_fields();
	test_overflow();
	test_priq();
	test_stall();
	test_msi_addr_zero();
	return 0;
}

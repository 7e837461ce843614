/* SPDX-License-Identifier: MIT */
/*
 * SMMUv2 vectors: fault syndrome registers read back as whole words
 * against the architecture's field positions (SMMUv2 FSYNR0, sGFSYNR0:
 * WNR, PNU, IND set for a write, a privileged access, an instruction
 * fetch), stage-1 permissions per requester (Arm ARM D8.4) and as
 * S2CR.INSTCFG makes them, the top
 * byte ignored with TCR2.TBIn, and
 * translations swept across every input size and start level the 4K
 * granule allows, at both stages.
 */
#include "smmuv2_test.h"

#define R SIOMMU_SMMUV2_READ
#define W SIOMMU_SMMUV2_WRITE
#define X SIOMMU_SMMUV2_EXEC

static struct siommu_smmuv2_xlate fault_as(struct v2t *t, uint32_t sid, uint64_t iova,
					   uint32_t access, bool priv)
{
	struct siommu_smmuv2_req r = v2t_req(sid, iova, access);
	struct siommu_smmuv2_xlate x;

	r.priv = priv;
	CHECK_EQ(siommu_smmuv2_translate(t->s, &r, &x), -EFAULT);
	return x;
}

/* Context fault records: FSR, FAR, FSYNR0, CBFRSYNRA. */
static void expect_ctx_words(struct v2t *t, unsigned int cb, uint32_t fsr, uint64_t far,
			     uint32_t fsynr0, uint32_t sid)
{
	CHECK_EQ(cb_rd(t, cb, SIOMMU_SMMUV2_CB_FSR, 4), fsr);
	CHECK_EQ(cb_rd(t, cb, SIOMMU_SMMUV2_CB_FAR, 8), far);
	CHECK_EQ(cb_rd(t, cb, SIOMMU_SMMUV2_CB_FSYNR0, 4), fsynr0);
	CHECK_EQ(v2_rd(t, SIOMMU_SMMUV2_CBFRSYNRA(cb), 4), sid);
	v2t_fsr_clear(t, cb);
}

static void test_syndrome_words(void)
{
	struct v2t t;
	uint64_t root = v2t_s1_unit(&t, 9, 2, SCTLR_ON);

	v2t_map_s1(&t, root, 0x1000, 0x11000, PTE_AF | PTE_NG);			/* privileged RW */
	v2t_map_s1(&t, root, 0x2000, 0x12000, S1_RO | PTE_UXN | PTE_PXN);	/* RO, no exec */
	/* Unprivileged read of a privileged page: PLVL 3, nothing else. */
	fault_as(&t, 9, 0x1008, R, false);
	expect_ctx_words(&t, 2, SIOMMU_SMMUV2_FSR_PF, 0x1008, 3, 9);
	/* Privileged write of a read-only page: WNR and PNU. */
	fault_as(&t, 9, 0x2010, W, true);
	expect_ctx_words(&t, 2, SIOMMU_SMMUV2_FSR_PF, 0x2010,
			 3 | SIOMMU_SMMUV2_FSYNR0_WNR | SIOMMU_SMMUV2_FSYNR0_PNU, 9);
	/* Unprivileged and privileged fetches of a no-exec page: IND. */
	fault_as(&t, 9, 0x2018, X, false);
	expect_ctx_words(&t, 2, SIOMMU_SMMUV2_FSR_PF, 0x2018, 3 | SIOMMU_SMMUV2_FSYNR0_IND, 9);
	fault_as(&t, 9, 0x2020, X, true);
	expect_ctx_words(&t, 2, SIOMMU_SMMUV2_FSR_PF, 0x2020,
			 3 | SIOMMU_SMMUV2_FSYNR0_IND | SIOMMU_SMMUV2_FSYNR0_PNU, 9);
	/* A missing level-3 entry: TF at lookup level 3; a missing
	 * level-1 entry: at level 1. */
	fault_as(&t, 9, 0x5000, R, true);
	expect_ctx_words(&t, 2, SIOMMU_SMMUV2_FSR_TF, 0x5000, 3 | SIOMMU_SMMUV2_FSYNR0_PNU, 9);
	fault_as(&t, 9, 0x4000000000ull - 0x1000, W, false);
	expect_ctx_words(&t, 2, SIOMMU_SMMUV2_FSR_TF, 0x4000000000ull - 0x1000,
			 1 | SIOMMU_SMMUV2_FSYNR0_WNR, 9);
	/* A stream no SMR matches: the global record, sGFSYNR1 its ID. */
	fault_as(&t, 0x77, 0x3000, W, true);
	CHECK_EQ(v2_rd(&t, SIOMMU_SMMUV2_SGFSR, 4), SIOMMU_SMMUV2_GFSR_USF);
	CHECK_EQ(v2_rd(&t, SIOMMU_SMMUV2_SGFAR, 8), 0x3000);
	CHECK_EQ(v2_rd(&t, SIOMMU_SMMUV2_SGFSYNR0, 4),
		 SIOMMU_SMMUV2_GFSYNR0_WNR | SIOMMU_SMMUV2_GFSYNR0_PNU);
	CHECK_EQ(v2_rd(&t, SIOMMU_SMMUV2_SGFSYNR1, 4), 0x77);
	v2_wr(&t, SIOMMU_SMMUV2_SGFSR, 4, ~0u);
	fault_as(&t, 0x78, 0x4000, X, false);
	CHECK_EQ(v2_rd(&t, SIOMMU_SMMUV2_SGFSYNR0, 4), SIOMMU_SMMUV2_GFSYNR0_IND);
	v2t_fini(&t);
}

/*
 * Leaf AP/UXN/PXN per requester: EL0 execution depends on UXN alone (a
 * page without EL0 data access may be execute-only at EL0), a page
 * writable at EL0 never executes privileged.
 */
static void test_s1_perm_vectors(void)
{
	static const struct {
		uint64_t leaf;
		uint32_t user, priv;
	} v[] = {
		{ PTE_AF, X, R | W | X },
		{ PTE_AF | PTE_UXN, 0, R | W | X },
		{ PTE_AF | PTE_AP1, R | W | X, R | W },
		{ PTE_AF | PTE_AP2, X, R | X },
		{ PTE_AF | PTE_AP1 | PTE_AP2, R | X, R | X },
		{ PTE_AF | PTE_AP1 | PTE_AP2 | PTE_PXN, R | X, R },
		{ PTE_AF | PTE_AP2 | PTE_PXN | PTE_UXN, 0, R },
	};
	struct v2t t;
	uint64_t root = v2t_s1_unit(&t, 5, 0, SCTLR_ON);
	unsigned int i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint64_t va = 0x10000 + 0x1000ull * i;
		uint32_t acc;
		bool priv;

		v2t_map_s1(&t, root, va, 0x100000 + 0x1000ull * i, v[i].leaf | PTE_NG);
		for (priv = false; ; priv = true) {
			uint32_t want = priv ? v[i].priv : v[i].user;

			for (acc = R; acc <= X; acc <<= 1) {
				struct siommu_smmuv2_req r = v2t_req(5, va + 8, acc);
				struct siommu_smmuv2_xlate x;
				int ret;

				r.priv = priv;
				ret = siommu_smmuv2_translate(t.s, &r, &x);
				if (ret != ((want & acc) ? 0 : -EFAULT))
					fprintf(stderr, "vector %u priv %d access %u: %d\n", i,
						priv, acc, ret);
				CHECK_EQ(ret, (want & acc) ? 0 : -EFAULT);
				if (ret) {
					CHECK_EQ(x.fsr, SIOMMU_SMMUV2_FSR_PF);
					v2t_fsr_clear(&t, 0);
				} else {
					CHECK_EQ(x.addr, 0x100008 + 0x1000ull * i);
					CHECK_EQ(x.perm, want);
				}
			}
			if (priv)
				break;
		}
	}
	v2t_fini(&t);
}

/*
 * S2CR.INSTCFG overrides the requests' InD: 2 (data) makes a fetch a
 * read, 3 (instruction) a read a fetch, in the permission check, in every
 * cache, and in FSYNR0.IND.
 */
static void test_instcfg(void)
{
	struct v2t t;
	uint64_t root = v2t_s1_unit(&t, 8, 0, SCTLR_ON);
	unsigned int i;

	v2t_map_s1(&t, root, 0x1000, 0x41000, S1_RO | PTE_UXN);	/* read, no fetch */
	v2t_map_s1(&t, root, 0x2000, 0x42000, PTE_AF | PTE_NG);	/* EL0 execute-only */
	v2_wr(&t, SIOMMU_SMMUV2_S2CR(0), 4, SIOMMU_SMMUV2_S2CR_TRANS | SIOMMU_SMMUV2_S2CR_INST(2));
	for (i = 0; i < 3; i++) {		/* walk, TLB hit, combined hit */
		CHECK_EQ(v2t_xlate(&t, 8, 0x1010, X), 0x41010);
		CHECK_EQ(v2t_fault(&t, 8, 0x2010, X, -EFAULT).fsr, SIOMMU_SMMUV2_FSR_PF);
		expect_ctx_words(&t, 0, SIOMMU_SMMUV2_FSR_PF, 0x2010, 3, 8);
	}
	v2_wr(&t, SIOMMU_SMMUV2_S2CR(0), 4, SIOMMU_SMMUV2_S2CR_TRANS | SIOMMU_SMMUV2_S2CR_INST(3));
	for (i = 0; i < 3; i++) {
		CHECK_EQ(v2t_xlate(&t, 8, 0x2018, R), 0x42018);
		CHECK_EQ(v2t_fault(&t, 8, 0x1018, R, -EFAULT).fsr, SIOMMU_SMMUV2_FSR_PF);
		expect_ctx_words(&t, 0, SIOMMU_SMMUV2_FSR_PF, 0x1018, 3 | SIOMMU_SMMUV2_FSYNR0_IND,
				 8);
	}
	v2_wr(&t, SIOMMU_SMMUV2_S2CR(0), 4, SIOMMU_SMMUV2_S2CR_TRANS);
	CHECK_EQ(v2t_xlate(&t, 8, 0x1010, R), 0x41010);
	CHECK_EQ(v2t_fault(&t, 8, 0x1010, X, -EFAULT).fsr, SIOMMU_SMMUV2_FSR_PF);
	v2t_fini(&t);
}

/*
 * Stage 1, TTBR0 half, every T0SZ of the 4K granule (16..39): the lowest
 * and the highest page translate, the first address beyond is a
 * translation fault.
 */
static void test_s1_sweep(void)
{
	struct v2t t;
	unsigned int t0sz;

	v2t_s1_unit(&t, 6, 1, SCTLR_ON);
	for (t0sz = 16; t0sz <= 39; t0sz++) {
		unsigned int ia = 64 - t0sz, start = 3 - (ia - 13) / 9;
		uint64_t root = v2t_page(&t), top = (1ull << ia) - 0x1000;

		v2t_map(&t, root, start, ia, 0, 0x7000, 3, S1_RW);
		v2t_map(&t, root, start, ia, top, 0x9000, 3, S1_RW);
		/* A new table and size under ASID t0sz. */
		cb_wr(&t, 1, SIOMMU_SMMUV2_CB_TCR, 4, SIOMMU_SMMUV2_TCR_T0SZ(t0sz) |
		      SIOMMU_SMMUV2_TCR_EPD1);
		cb_wr(&t, 1, SIOMMU_SMMUV2_CB_TTBR0, 8, root | SIOMMU_SMMUV2_TTBR_ASID(t0sz));
		CHECK_EQ(v2t_xlate(&t, 6, 0x18, R), 0x7018);
		CHECK_EQ(v2t_xlate(&t, 6, top + 0xff8, W), 0x9ff8);
		CHECK_EQ(v2t_fault(&t, 6, 1ull << ia, R, -EFAULT).fsr, SIOMMU_SMMUV2_FSR_TF);
		v2t_fsr_clear(&t, 1);
	}
	v2t_fini(&t);
}

/*
 * TCR2.TBI0/TBI1 (bits 5 and 6): the top byte is left out of the range
 * check of its half (VA[55] picks the half); without them a tagged address
 * is a translation fault. TLBIVA, which carries VA[55:12], reaches the
 * tagged address's entry.
 */
static void test_tbi(void)
{
	const uint32_t tcr2 = SIOMMU_SMMUV2_TCR2_PASIZE(5) | SIOMMU_SMMUV2_TCR2_AS;
	struct v2t t;
	uint64_t lo, hi, leaf;

	v2t_split_unit(&t, 4, 1, 7, &lo, &hi);
	leaf = v2t_map_s1(&t, lo, 0x1000, 0x21000, S1_RW);
	v2t_map_s1(&t, hi, HI_VA(0x2000), 0x22000, S1_RW);
	CHECK_EQ(v2_rd(&t, SIOMMU_SMMUV2_CB(1) + SIOMMU_SMMUV2_CB_TCR2, 4), tcr2);
	CHECK_EQ(v2t_fault(&t, 4, 0x5a00000000001000ull, R, -EFAULT).fsr, SIOMMU_SMMUV2_FSR_TF);
	v2t_fsr_clear(&t, 1);
	CHECK_EQ(v2t_fault(&t, 4, 0x5affff8000002000ull, R, -EFAULT).fsr, SIOMMU_SMMUV2_FSR_TF);
	v2t_fsr_clear(&t, 1);
	cb_wr(&t, 1, SIOMMU_SMMUV2_CB_TCR2, 4, tcr2 | (1u << 5));
	CHECK_EQ(v2t_xlate(&t, 4, 0x5a00000000001008ull, R), 0x21008);
	CHECK_EQ(v2t_fault(&t, 4, 0x5affff8000002000ull, R, -EFAULT).fsr, SIOMMU_SMMUV2_FSR_TF);
	v2t_fsr_clear(&t, 1);
	cb_wr(&t, 1, SIOMMU_SMMUV2_CB_TCR2, 4, tcr2 | (1u << 5) | (1u << 6));
	CHECK_EQ(v2t_xlate(&t, 4, 0x5affff8000002010ull, W), 0x22010);
	/* Bit 55 still picks the half: a tagged address with it clear is
	 * TTBR0's, and beyond its 39 bits. */
	CHECK_EQ(v2t_fault(&t, 4, 0xff7fff8000002000ull, R, -EFAULT).fsr,
		 SIOMMU_SMMUV2_FSR_TF);
	v2t_fsr_clear(&t, 1);
	/* Remapped, then invalidated by VA[55:12] with the ASID. */
	CHECK_EQ(v2t_xlate(&t, 4, 0x5a00000000001008ull, R), 0x21008);
	v2t_st(&t, leaf, 0x31000 | S1_RW | 3);
	cb_wr(&t, 1, SIOMMU_SMMUV2_CB_TLBIVA, 8, 1 | SIOMMU_SMMUV2_TTBR_ASID(7));
	cb_wr(&t, 1, SIOMMU_SMMUV2_CB_TLBSYNC, 4, 0);
	CHECK_EQ(v2t_xlate(&t, 4, 0x5a00000000001008ull, R), 0x31008);
	CHECK_EQ(v2t_xlate(&t, 4, 0x1008, R), 0x31008);
	v2t_fini(&t);
}

/* Input bits a walk starting at lookup level @start resolves with one
 * table there. */
static unsigned int level_span_bits(unsigned int start)
{
	return 12 + 9 * (4 - start);
}

/*
 * Stage 2, every (SL0, T0SZ) pair the 4K granule allows under an OAS of
 * @oas bits (at most 16 concatenated start tables; a level-0 start only
 * with 44 bits or more) translates its lowest and highest page; one step
 * outside, and SL0 3, is a translation fault.
 */
static void s2_sweep(unsigned int oas)
{
	struct siommu_smmuv2_cfg cfg = { .oas = oas };
	unsigned int sl0, vmid = 0;
	struct v2t t;

	v2t_init(&t, &cfg);
	v2t_enable(&t);
	v2t_stream(&t, 0, 7, 3);
	for (sl0 = 0; sl0 <= 3; sl0++) {
		unsigned int start, span, lo, hi, ia;

		if (sl0 == 3) {
			v2t_s2_bank(&t, 3, (uint8_t)++vmid, v2t_page(&t), SCTLR_ON);
			CHECK_EQ(v2t_fault(&t, 7, 0, R, -EFAULT).fsr, SIOMMU_SMMUV2_FSR_TF);
			v2t_fsr_clear(&t, 3);
			continue;
		}
		start = 2 - sl0;
		span = level_span_bits(start);
		lo = span - 8;
		hi = span + 4 > oas ? oas : span + 4;
		for (ia = lo - 1; ia <= hi + 1; ia++) {
			bool ok = ia >= lo && ia <= hi && !(start == 0 && oas < 44);
			uint64_t tables = ia > span ? 1ull << (ia - span) : 1, root, top;

			root = ok ? v2t_page(&t) : 0;
			if (ok && tables > 1)
				CHECK_OK(siommu_mem_frame_alloc(t.mem, tables * 4096,
								SIOMMU_MEM_PT, &root));
			v2t_s2_bank(&t, 3, (uint8_t)++vmid, root, SCTLR_ON);
			cb_wr(&t, 3, SIOMMU_SMMUV2_CB_TCR, 4, SIOMMU_SMMUV2_TCR_T0SZ(64 - ia) |
			      SIOMMU_SMMUV2_VTCR_SL0(sl0) | SIOMMU_SMMUV2_VTCR_PS(5));
			if (!ok) {
				CHECK_EQ(v2t_fault(&t, 7, 0, R, -EFAULT).fsr, SIOMMU_SMMUV2_FSR_TF);
				v2t_fsr_clear(&t, 3);
				continue;
			}
			top = (1ull << ia) - 0x1000;
			v2t_map(&t, root, start, ia, 0, 0x7000, 3, S2_RW);
			v2t_map(&t, root, start, ia, top, 0x9000, 3, S2_RW);
			CHECK_EQ(v2t_xlate(&t, 7, 0x10, R), 0x7010);
			CHECK_EQ(v2t_xlate(&t, 7, top + 0x20, W), 0x9020);
		}
	}
	v2t_fini(&t);
}

static void test_s2_sweep(void)
{
	struct v2t t;
	uint64_t root;

	s2_sweep(48);
	s2_sweep(42);

	/* Without CBA2R.VA64 a bank asks for AArch32 formats, which the unit
	 * lacks (ID0.PTFS): an invalid context, at either stage. */
	v2t_init(&t, NULL);
	v2t_enable(&t);
	root = v2t_page(&t);
	v2t_map(&t, root, 1, 40, 0x1000, 0x5000, 3, S2_RW);
	v2t_stream(&t, 0, 2, 1);
	v2t_s2_bank(&t, 1, 1, root, SCTLR_ON);
	CHECK_EQ(v2t_xlate(&t, 2, 0x1010, R), 0x5010);
	v2_wr(&t, SIOMMU_SMMUV2_CBA2R(1), 4, 0);
	CHECK_EQ(v2t_fault(&t, 2, 0x1010, R, -EFAULT).fsr, SIOMMU_SMMUV2_GFSR_ICF);
	v2t_fini(&t);
}

int main(void)
{
	test_syndrome_words();
	test_s1_perm_vectors();
	test_instcfg();
	test_s1_sweep();
	test_tbi();
	test_s2_sweep();
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Encoders for SMMUv3 structures and commands (siommu/smmuv3_build.h), in
 * the bit positions of the architecture: STE SMMUv3 5.2, L1STD 3.4.3, CD
 * 5.4, L1CD 5.3, commands 4.
 */
#include <string.h>

#include <siommu/smmuv3_build.h>

#include "util/compiler.h"

/* @v placed at bits @hi:@lo, truncated to the field. */
static uint64_t field(uint64_t v, unsigned int hi, unsigned int lo)
{
	return (v & (~0ull >> (63 - hi + lo))) << lo;
}

#define BIT64(n) (1ull << (n))
#define ADDR(a, hi, lo) ((a) & (~0ull >> (63 - (hi))) & ~((1ull << (lo)) - 1))

/* Write-back read/write-allocate, inner shareable (SMMUv3 5.2, 5.4). */
#define CACHE_WB	1u
#define SH_ISH		3u

void SIOMMU_EXPORT siommu_smmuv3_ste_encode(const struct siommu_smmuv3_ste_desc *d,
					    uint64_t ste[8])
{
	memset(ste, 0, 8 * sizeof(*ste));
	ste[0] = (d->valid ? BIT64(0) : 0) | field(d->config, 3, 1) |
		 field(d->s1_fmt, 5, 4) | ADDR(d->s1_ctx_ptr, 51, 6) |
		 field(d->s1_cdmax, 63, 59);
	/* S1DSS; CD fetches write-back inner shareable (S1CIR, S1COR,
	 * S1CSH); S1STALLD; EATS; SHCFG "use incoming". */
	ste[1] = field(d->s1dss, 1, 0) | field(CACHE_WB, 3, 2) | field(CACHE_WB, 5, 4) |
		 field(SH_ISH, 7, 6) | (d->s1_stalld ? BIT64(27) : 0) |
		 field(d->eats, 29, 28) | field(1, 45, 44);
	/* With stage 2 implemented, S2VMID tags every config's
	 * translations; the other stage-2 fields only a stage-2 config's. */
	ste[2] = field(d->s2_vmid, 15, 0);
	if (d->config == SIOMMU_SMMUV3_STE_S2 || d->config == SIOMMU_SMMUV3_STE_NESTED) {
		/* S2VMID, S2T0SZ, S2SL0, walks write-back inner shareable
		 * (S2IR0, S2OR0, S2SH0), S2TG 4K (0), S2PS, S2AA64. */
		ste[2] |= field(d->s2_t0sz, 37, 32) |
			 field(d->s2_sl0, 39, 38) | field(CACHE_WB, 41, 40) |
			 field(CACHE_WB, 43, 42) | field(SH_ISH, 45, 44) |
			 field(d->s2_ps, 50, 48) | BIT64(51) |
			 (d->s2_affd ? BIT64(53) : 0) | (d->s2_ptw ? BIT64(54) : 0) |
			 (d->s2_s ? BIT64(57) : 0) | (d->s2_r ? BIT64(58) : 0);
		ste[3] = ADDR(d->s2_ttb, 51, 4);
	}
}

uint64_t SIOMMU_EXPORT siommu_smmuv3_l1std_encode(uint64_t l2, unsigned int span)
{
	return span ? field(span, 4, 0) | ADDR(l2, 51, 6) : 0;
}

/* MAIR: attribute index 0 normal memory, inner and outer write-back. */
#define CD_MAIR 0xffull

void SIOMMU_EXPORT siommu_smmuv3_cd_encode(const struct siommu_smmuv3_cd_desc *d,
					   uint64_t cd[8])
{
	memset(cd, 0, 8 * sizeof(*cd));
	/* T0SZ, TG0 4K (0), IR0/OR0 write-back, SH0 inner shareable, EPD0,
	 * EPD1,
	 * V, IPS, AFFD, AA64, HA, S, R, A, ASET (ASID not shared with a
	 * CPU's), ASID. */
	cd[0] = field(d->t0sz, 5, 0) | field(CACHE_WB, 9, 8) | field(CACHE_WB, 11, 10) |
		field(SH_ISH, 13, 12) | (d->epd0 ? BIT64(14) : 0) | BIT64(30) | (d->valid ? BIT64(31) : 0) |
		field(d->ips, 34, 32) | (d->affd ? BIT64(35) : 0) | BIT64(41) |
		(d->ha ? BIT64(43) : 0) | (d->s ? BIT64(44) : 0) |
		(d->r ? BIT64(45) : 0) | (d->a ? BIT64(46) : 0) | BIT64(47) |
		field(d->asid, 63, 48);
	cd[1] = ADDR(d->ttb0, 51, 4);
	cd[3] = CD_MAIR;
}

uint64_t SIOMMU_EXPORT siommu_smmuv3_l1cd_encode(uint64_t l2)
{
	return l2 ? ADDR(l2, 51, 12) | BIT64(0) : 0;
}

void SIOMMU_EXPORT siommu_smmuv3_cmd_encode(const struct siommu_smmuv3_cmd *c,
					    uint64_t cmd[2])
{
	uint64_t d0 = field(c->op, 7, 0), d1 = 0;
	uint64_t sub = (c->ssv ? BIT64(11) : 0) | field(c->ssid, 31, 12);

	switch (c->op) {
	case SIOMMU_SMMUV3_CMD_PREFETCH_CONFIG:
		d0 |= sub | field(c->sid, 63, 32);
		break;
	case SIOMMU_SMMUV3_CMD_PREFETCH_ADDR:
		d0 |= sub | field(c->sid, 63, 32);
		d1 = ADDR(c->addr, 63, 12) | field(c->size, 4, 0);
		break;
	case SIOMMU_SMMUV3_CMD_CFGI_STE:
		d0 |= field(c->sid, 63, 32);
		d1 = c->leaf ? BIT64(0) : 0;
		break;
	case SIOMMU_SMMUV3_CMD_CFGI_STE_RANGE:
		d0 |= field(c->sid, 63, 32);
		d1 = field(c->range, 4, 0);
		break;
	case SIOMMU_SMMUV3_CMD_CFGI_CD:
		d0 |= field(c->ssid, 31, 12) | field(c->sid, 63, 32);
		d1 = c->leaf ? BIT64(0) : 0;
		break;
	case SIOMMU_SMMUV3_CMD_CFGI_CD_ALL:
		d0 |= field(c->sid, 63, 32);
		break;
	case SIOMMU_SMMUV3_CMD_TLBI_NH_ALL:
	case SIOMMU_SMMUV3_CMD_TLBI_S12_VMALL:
		d0 |= field(c->vmid, 47, 32);
		break;
	case SIOMMU_SMMUV3_CMD_TLBI_NH_ASID:
		d0 |= field(c->vmid, 47, 32) | field(c->asid, 63, 48);
		break;
	case SIOMMU_SMMUV3_CMD_TLBI_NH_VA:
	case SIOMMU_SMMUV3_CMD_TLBI_NH_VAA:
	case SIOMMU_SMMUV3_CMD_TLBI_S2_IPA:
		/* NUM, SCALE, VMID, ASID (NH_VA); Leaf, TTL, TG, address. */
		d0 |= field(c->num, 16, 12) | field(c->scale, 24, 20) |
		      field(c->vmid, 47, 32);
		if (c->op == SIOMMU_SMMUV3_CMD_TLBI_NH_VA)
			d0 |= field(c->asid, 63, 48);
		/* A VA is 64 bits wide; an IPA field ends at bit 51. */
		d1 = (c->leaf ? BIT64(0) : 0) | field(c->ttl, 9, 8) | field(c->tg, 11, 10) |
		     ADDR(c->addr, c->op == SIOMMU_SMMUV3_CMD_TLBI_S2_IPA ? 51 : 63, 12);
		break;
	case SIOMMU_SMMUV3_CMD_ATC_INV:
		d0 |= sub | (c->global ? BIT64(9) : 0) | field(c->sid, 63, 32);
		d1 = field(c->size, 5, 0) | ADDR(c->addr, 63, 12);
		break;
	case SIOMMU_SMMUV3_CMD_PRI_RESP:
		d0 |= sub | field(c->sid, 63, 32);
		d1 = field(c->prgi, 8, 0) | field(c->resp, 13, 12);
		break;
	case SIOMMU_SMMUV3_CMD_RESUME:
		d0 |= field(c->action, 13, 12) | field(c->sid, 63, 32);
		d1 = c->stag;
		break;
	case SIOMMU_SMMUV3_CMD_STALL_TERM:
		d0 |= field(c->sid, 63, 32);
		break;
	case SIOMMU_SMMUV3_CMD_SYNC:
		/* CS, MSH inner shareable, MSIAttr inner/outer write-back,
		 * MSIData; MSIAddr. */
		d0 |= field(c->cs, 13, 12) | field(SH_ISH, 23, 22) | field(0xf, 27, 24) |
		      field(c->msi_data, 63, 32);
		d1 = ADDR(c->msi_addr, 51, 2);
		break;
	case SIOMMU_SMMUV3_CMD_TLBI_EL2_ALL:
	case SIOMMU_SMMUV3_CMD_TLBI_NSNH_ALL:
		break;
	}
	cmd[0] = d0;
	cmd[1] = d1;
}

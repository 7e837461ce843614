/* SPDX-License-Identifier: MIT */
/*
 * Property test of the iommufd object model: random MAP, MAP_FILE, COPY,
 * UNMAP (exact, supersets, cuts, empty ranges), attach, replace and
 * detach across two IOASes, automatic and manual HWPTs and three devices,
 * against a reference that knows, for every IOAS, which host byte each
 * IOVA must reach. After every step each device's DMA is checked at the
 * edges and middle of every area (the very bytes of the caller's memory
 * or file, read and written) and at addresses nothing maps (a fault), and
 * the pinned-page count against the reference's.
 * SIOMMU_TEST_SEED / SIOMMU_TEST_OPS as for every randomised test.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "iommufd_test.h"

#define NR_IOAS 2
#define NR_DEV 3
#define MAX_AREAS 64
#define BUF_LEN (8u << 20)
#define FILE_LEN (4u << 20)
#define SPACE (64ull << 20)

struct ref_area {
	uint64_t iova, len;
	uint8_t *host;		/* the byte IOVA iova must reach */
	bool file;
	unsigned int store;	/* storage identity, for the pin count */
	uint64_t pages;		/* pages that storage pinned */
};

struct ref_ioas {
	uint32_t id;
	struct ref_area a[MAX_AREAS];
	unsigned int n;
	uint32_t manual_hwpt;
};

static struct tfd t;
static struct test_rng rng;
static struct ref_ioas io[NR_IOAS];
static int dev_ioas[NR_DEV];	/* -1: detached */
static uint32_t dev_id[NR_DEV];
static uint8_t *buf, *file_view;
static int fd;
static unsigned int next_store = 1;

static uint64_t rnd(uint64_t n)
{
	return test_rand(&rng) % n;
}

static int overlap(struct ref_ioas *r, uint64_t iova, uint64_t len)
{
	unsigned int i;

	for (i = 0; i < r->n; i++)
		if (r->a[i].iova < iova + len && iova < r->a[i].iova + r->a[i].len)
			return (int)i;
	return -1;
}

static void add(struct ref_ioas *r, struct ref_area a)
{
	CHECK(r->n < MAX_AREAS);
	r->a[r->n++] = a;
}

/* Whether IOAS @i has a domain: a HWPT allocated on it, or a device
 * attached (an automatic HWPT, which goes with the last device). */
static bool ref_has_domain(unsigned int i)
{
	unsigned int d;

	if (io[i].manual_hwpt)
		return true;
	for (d = 0; d < NR_DEV; d++)
		if (dev_ioas[d] == (int)i)
			return true;
	return false;
}

/* Pinned pages: each storage once, while an area of an IOAS with a
 * domain uses it (pinned lazily, as Linux's). */
static uint64_t ref_pinned(void)
{
	uint64_t total = 0;
	unsigned int s, i, j;

	for (s = 1; s < next_store; s++) {
		uint64_t pages = 0;

		for (i = 0; i < NR_IOAS; i++)
			for (j = 0; j < io[i].n; j++)
				if (io[i].a[j].store == s && ref_has_domain(i))
					pages = io[i].a[j].pages;
		total += pages;
	}
	return total;
}

static void op_map(struct ref_ioas *r, bool file)
{
	uint64_t len = (1 + rnd(16)) * 4096, off, iova;
	bool fixed = rnd(2);
	uint8_t *host;
	int ret;

	off = rnd(((file ? FILE_LEN : BUF_LEN) - len) / 4096) * 4096;
	host = (file ? file_view : buf) + off;
	iova = (1 + rnd(SPACE / 4096 - 32)) * 4096;
	if (file)
		ret = siommu_ioas_map_file(t.ictx, r->id, RW | (fixed ? FIXED : 0), fd, off, len,
					   &iova);
	else
		ret = siommu_ioas_map(t.ictx, r->id, RW | (fixed ? FIXED : 0), host, len, &iova);
	if (fixed && overlap(r, iova, len) >= 0) {
		CHECK_EQ(ret, -EEXIST);
		return;
	}
	CHECK_OK(ret);
	CHECK_EQ(overlap(r, iova, len), -1);
	add(r, (struct ref_area){ iova, len, host, file, next_store++, len / 4096 });
}

static void op_copy(struct ref_ioas *src, struct ref_ioas *dst)
{
	struct ref_area *a;
	uint64_t skip, len, iova;
	bool fixed = rnd(2);
	int ret;

	if (!src->n)
		return;
	a = &src->a[rnd(src->n)];
	skip = rnd(a->len / 4096) * 4096;
	len = (1 + rnd((a->len - skip) / 4096)) * 4096;
	iova = (1 + rnd(SPACE / 4096 - 32)) * 4096;
	ret = siommu_ioas_copy(t.ictx, dst->id, src->id, RW | (fixed ? FIXED : 0),
			       a->iova + skip, len, &iova);
	if (fixed && overlap(dst, iova, len) >= 0) {
		CHECK_EQ(ret, -EEXIST);
		return;
	}
	CHECK_OK(ret);
	CHECK_EQ(overlap(dst, iova, len), -1);
	add(dst, (struct ref_area){ iova, len, a->host + skip, a->file, a->store, a->pages });
}

static void op_unmap(struct ref_ioas *r)
{
	uint64_t iova, len, bytes = 0, got = 0;
	unsigned int i, j;
	bool cut = false;
	int ret;

	switch (rnd(3)) {
	case 0:		/* one area exactly */
		if (!r->n)
			return;
		i = (unsigned int)rnd(r->n);
		iova = r->a[i].iova;
		len = r->a[i].len;
		break;
	case 1:		/* a wide range: a superset, or a cut */
		iova = rnd(SPACE / 4096) * 4096;
		len = (1 + rnd(2048)) * 4096;
		break;
	default:	/* a few pages anywhere */
		iova = rnd(SPACE / 4096) * 4096;
		len = (1 + rnd(4)) * 4096;
		break;
	}
	for (i = 0; i < r->n; i++) {
		struct ref_area *a = &r->a[i];

		if (a->iova + a->len <= iova || a->iova >= iova + len)
			continue;
		if (a->iova < iova || a->iova + a->len > iova + len)
			cut = true;
		bytes += a->len;
	}
	ret = siommu_ioas_unmap(t.ictx, r->id, iova, len, &got);
	if (cut || !bytes) {
		CHECK_EQ(ret, -ENOENT);
		return;
	}
	CHECK_OK(ret);
	CHECK_EQ(got, bytes);
	for (i = 0, j = 0; i < r->n; i++)
		if (r->a[i].iova + r->a[i].len <= iova || r->a[i].iova >= iova + len)
			r->a[j++] = r->a[i];
	r->n = j;
}

static void op_attach(unsigned int d)
{
	unsigned int k = (unsigned int)rnd(NR_IOAS);
	struct ref_ioas *r = &io[k];
	uint32_t pt;
	int ret;

	switch (rnd(4)) {
	case 0:
		CHECK_OK(siommu_iommufd_detach(t.ictx, dev_id[d], NOPASID));
		dev_ioas[d] = -1;
		return;
	case 1:		/* the IOAS's manual HWPT */
		if (!r->manual_hwpt)
			CHECK_OK(siommu_hwpt_alloc(t.ictx, dev_id[d], r->id, 0, 0, &r->manual_hwpt));
		pt = r->manual_hwpt;
		break;
	default:	/* the IOAS: an automatic HWPT */
		pt = r->id;
		break;
	}
	if (dev_ioas[d] >= 0 && rnd(2))
		ret = siommu_iommufd_replace(t.ictx, dev_id[d], NOPASID, &pt);
	else
		ret = siommu_iommufd_attach(t.ictx, dev_id[d], NOPASID, &pt);
	CHECK_OK(ret);
	dev_ioas[d] = (int)k;
}

static void check_dma(void)
{
	unsigned int d, i, j;
	uint8_t got[64];

	for (d = 0; d < NR_DEV; d++) {
		struct ref_ioas *r;

		if (dev_ioas[d] < 0) {
			CHECK_EQ(tfd_dma(&t, d, NOPASID, 0x100000, got, 8, false), -EFAULT);
			continue;
		}
		r = &io[dev_ioas[d]];
		for (i = 0; i < r->n; i++) {
			struct ref_area *a = &r->a[i];
			uint64_t at[3] = { 0, a->len / 2, a->len - sizeof(got) };

			for (j = 0; j < 3; j++) {
				CHECK_OK(tfd_dma(&t, d, NOPASID, a->iova + at[j], got, sizeof(got),
						 false));
				CHECK(!memcmp(got, a->host + at[j], sizeof(got)));
			}
			/* A write lands in the caller's byte. */
			got[0] = (uint8_t)rnd(256);
			CHECK_OK(tfd_dma(&t, d, NOPASID, a->iova + a->len / 3, got, 1, true));
			CHECK_EQ(a->host[a->len / 3], got[0]);
		}
		for (j = 0; j < 4; j++) {
			uint64_t iova = rnd(SPACE / 4096) * 4096;

			if (overlap(r, iova, 4096) < 0)
				CHECK_EQ(tfd_dma(&t, d, NOPASID, iova, got, 8, false), -EFAULT);
		}
	}
	CHECK_EQ(siommu_iommufd_acct_locked(t.user), ref_pinned());
}

int main(void)
{
	uint64_t ops = test_ops(3000), n;
	unsigned int i;

	rng = test_rng_init(0x10fdull);
	buf = tfd_buf(BUF_LEN, 5);
	fd = memfd_create("iommufd-property", 0);
	CHECK(fd >= 0);
	CHECK_OK(ftruncate(fd, FILE_LEN));
	file_view = mmap(NULL, FILE_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(file_view != MAP_FAILED);
	for (n = 0; n < FILE_LEN; n++)
		file_view[n] = (uint8_t)(n * 13 + 1);
	tfd_setup(&t, UINT64_MAX);
	for (i = 0; i < NR_IOAS; i++)
		CHECK_OK(siommu_ioas_alloc(t.ictx, &io[i].id));
	for (i = 0; i < NR_DEV; i++) {
		CHECK_OK(siommu_iommufd_bind(t.ictx, t.dev[i], &dev_id[i]));
		dev_ioas[i] = -1;
	}
	for (n = 0; n < ops; n++) {
		struct ref_ioas *r = &io[rnd(NR_IOAS)];

		switch (rnd(10)) {
		case 0: case 1: case 2:
			if (r->n < MAX_AREAS - 1)
				op_map(r, false);
			break;
		case 3:
			if (r->n < MAX_AREAS - 1)
				op_map(r, true);
			break;
		case 4:
			if (r->n < MAX_AREAS - 1)
				op_copy(&io[rnd(NR_IOAS)], r);
			break;
		case 5: case 6: case 7:
			op_unmap(r);
			break;
		default:
			op_attach((unsigned int)rnd(NR_DEV));
			break;
		}
		check_dma();
	}
	tfd_teardown(&t);
	munmap(file_view, FILE_LEN);
	close(fd);
	munmap(buf, BUF_LEN);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Accesses (siommu_iommufd_access_*) against their errno tables, each
 * refused call checked to change nothing (objects, areas, pins, pinned
 * pages, memory, IOVA ranges):
 *   - create: flags, a pinning access without a callback, no IOAS; the
 *     access and its IOAS are busy for IOMMU_DESTROY;
 *   - pin / unpin: flags, length, overflow, holes, page alignment of the
 *     host bytes, read-only areas, an access that does not pin; pins give
 *     the host address of each page, across areas, and nest;
 *   - rw: across area boundaries both ways, directly and through the
 *     physical memory; a hole is -ENOENT and copies nothing; read-only
 *     areas refuse writes;
 *   - the unmap protocol: an unmap over a pin calls the callback with the
 *     area's range, which unpins and the unmap succeeds; a callback that
 *     keeps its pins makes the unmap -EDEADLOCK after
 *     SIOMMU_IOMMUFD_ACCESS_UNMAP_TRIES requests, leaving the area mapped
 *     and open again; inside the callback the range refuses pins and
 *     copies;
 *   - replace: calls back over everything, then moves; a callback that
 *     keeps pins leaves the access where it was (-EBUSY);
 *   - destroy: calls back, then drops what is left; the context's
 *     teardown destroys live accesses.
 */
#include "iommufd_test.h"

#define PAGE SIOMMU_PAGE_SIZE
#define MAX_PINS 8

enum cb_mode { CB_UNPIN, CB_KEEP, CB_PROBE };

/* A driver: its pins, and what its callback does. */
struct drv {
	struct siommu_iommufd *ictx;
	uint32_t id;
	enum cb_mode mode;
	unsigned int calls;
	uint64_t iova, length;		/* of the last call */
	int probe_rw, probe_pin;	/* CB_PROBE: inside the range */
	struct { uint64_t iova, length; } pins[MAX_PINS];
	unsigned int nr;
};

static void drv_unmap(void *data, uint64_t iova, uint64_t length)
{
	struct drv *d = data;
	uint64_t last = iova + (length - 1);
	unsigned int i;
	uint8_t b;

	d->calls++;
	d->iova = iova;
	d->length = length;
	if (d->mode == CB_KEEP)
		return;
	if (d->mode == CB_PROBE) {
		d->probe_rw = siommu_iommufd_access_rw(d->ictx, d->id, iova, &b, 1, 0);
		d->probe_pin = siommu_iommufd_access_pin_pages(d->ictx, d->id, iova, PAGE,
							       NULL, 0);
	}
	for (i = 0; i < d->nr;) {
		if (d->pins[i].iova <= last && iova <= d->pins[i].iova + d->pins[i].length - 1) {
			CHECK_OK(siommu_iommufd_access_unpin_pages(d->ictx, d->id,
								   d->pins[i].iova,
								   d->pins[i].length));
			d->pins[i] = d->pins[--d->nr];
		} else {
			i++;
		}
	}
}

static const struct siommu_iommufd_access_ops drv_ops = { .unmap = drv_unmap };

static int drv_pin(struct drv *d, uint64_t iova, uint64_t length, void **pages,
		   unsigned int flags)
{
	int ret = siommu_iommufd_access_pin_pages(d->ictx, d->id, iova, length, pages, flags);

	if (!ret) {
		CHECK(d->nr < MAX_PINS);
		d->pins[d->nr].iova = iova;
		d->pins[d->nr++].length = length;
	}
	return ret;
}

static void drv_create(struct tfd *t, uint32_t ioas, struct drv *d, unsigned int flags)
{
	memset(d, 0, sizeof(*d));
	d->ictx = t->ictx;
	CHECK_OK(siommu_iommufd_access_create(t->ictx, ioas, &drv_ops, d, flags, &d->id));
}

#define READ SIOMMU_IOAS_MAP_READABLE

static void map_at(struct tfd *t, uint32_t ioas, void *buf, uint64_t len, uint64_t iova,
		   unsigned int prot)
{
	CHECK_OK(siommu_ioas_map(t->ictx, ioas, prot | FIXED, buf, len, &iova));
}

static uint64_t access_pins(struct tfd *t)
{
	struct siommu_iommufd_stats st;

	siommu_iommufd_get_stats(t->ictx, &st);
	return st.access_pins;
}

static void create_rules(void)
{
	static const struct siommu_iommufd_access_ops no_unmap = { 0 };
	struct tfd t;
	uint32_t ioas, id, hwpt, dev;

	tfd_setup(&t, UINT64_MAX);
	CHECK_OK(siommu_ioas_alloc(t.ictx, &ioas));
	CHECK_OK(siommu_iommufd_bind(t.ictx, t.dev[0], &dev));
	hwpt = ioas;
	CHECK_OK(siommu_iommufd_attach(t.ictx, dev, NOPASID, &hwpt));
	TFD_FAILS(&t, ioas, -EINVAL, siommu_iommufd_access_create(NULL, ioas, NULL, NULL, 0,
								   &id));
	TFD_FAILS(&t, ioas, -EINVAL, siommu_iommufd_access_create(t.ictx, ioas, NULL, NULL, 0,
								   NULL));
	TFD_FAILS(&t, ioas, -EOPNOTSUPP, siommu_iommufd_access_create(t.ictx, ioas, &drv_ops,
								       NULL, 2, &id));
	TFD_FAILS(&t, ioas, -EINVAL,
		  siommu_iommufd_access_create(t.ictx, ioas, NULL, NULL,
					       SIOMMU_IOMMUFD_ACCESS_NEEDS_PIN_PAGES, &id));
	TFD_FAILS(&t, ioas, -EINVAL,
		  siommu_iommufd_access_create(t.ictx, ioas, &no_unmap, NULL,
					       SIOMMU_IOMMUFD_ACCESS_NEEDS_PIN_PAGES, &id));
	TFD_FAILS(&t, ioas, -ENOENT, siommu_iommufd_access_create(t.ictx, 0, NULL, NULL, 0,
								   &id));
	TFD_FAILS(&t, ioas, -ENOENT, siommu_iommufd_access_create(t.ictx, 99, NULL, NULL, 0,
								   &id));
	/* Only an IOAS: a HWPT or a device is no IOAS. */
	TFD_FAILS(&t, ioas, -ENOENT, siommu_iommufd_access_create(t.ictx, hwpt, NULL, NULL, 0,
								   &id));
	TFD_FAILS(&t, ioas, -ENOENT, siommu_iommufd_access_create(t.ictx, dev, NULL, NULL, 0,
								   &id));

	/* An access without callback copies; its creator holds it. */
	CHECK_OK(siommu_iommufd_access_create(t.ictx, ioas, NULL, NULL, 0, &id));
	CHECK_EQ(siommu_iommufd_obj_type(t.ictx, id), SIOMMU_IOMMUFD_OBJ_ACCESS);
	TFD_FAILS(&t, ioas, -EBUSY, siommu_iommufd_obj_destroy(t.ictx, id));
	CHECK_OK(siommu_iommufd_detach(t.ictx, dev, NOPASID));
	TFD_FAILS(&t, ioas, -EBUSY, siommu_iommufd_obj_destroy(t.ictx, ioas));
	TFD_FAILS(&t, ioas, -EINVAL, siommu_iommufd_access_pin_pages(t.ictx, id, 0, PAGE, NULL,
								      0));
	CHECK_OK(siommu_iommufd_access_destroy(t.ictx, id));
	TFD_FAILS(&t, ioas, -ENOENT, siommu_iommufd_access_destroy(t.ictx, id));
	TFD_FAILS(&t, ioas, -ENOENT, siommu_iommufd_access_destroy(t.ictx, ioas));
	TFD_FAILS(&t, ioas, -ENOENT, siommu_iommufd_access_destroy(NULL, id));
	CHECK_OK(siommu_iommufd_obj_destroy(t.ictx, ioas));
	tfd_teardown(&t);
}

static void pin_rules(void)
{
	const uint64_t base = 0x100000;
	uint8_t *a = tfd_buf(4 * PAGE, 1), *b = tfd_buf(4 * PAGE, 2), *ro = tfd_buf(PAGE, 3);
	uint8_t *c = tfd_buf(4 * PAGE, 8);
	void *pages[8];
	struct tfd t;
	struct drv d, plain;
	uint32_t ioas;
	unsigned int i;

	tfd_setup(&t, UINT64_MAX);
	CHECK_OK(siommu_ioas_alloc(t.ictx, &ioas));
	/* Two areas back to back, a hole, a read-only area. */
	map_at(&t, ioas, a, 4 * PAGE, base, RW);
	map_at(&t, ioas, b, 4 * PAGE, base + 4 * PAGE, RW);
	map_at(&t, ioas, ro, PAGE, base + 16 * PAGE, READ);
	/* Two areas meeting at a byte that is not a page boundary of
	 * either's host memory (an IOAS with no domain aligns to 1). */
	map_at(&t, ioas, c, PAGE + 100, base + 10 * PAGE, RW);
	map_at(&t, ioas, c + 2 * PAGE + 100, PAGE, base + 11 * PAGE + 100, RW);
	drv_create(&t, ioas, &d, SIOMMU_IOMMUFD_ACCESS_NEEDS_PIN_PAGES);
	drv_create(&t, ioas, &plain, 0);

	TFD_FAILS(&t, ioas, -EOPNOTSUPP, siommu_iommufd_access_pin_pages(t.ictx, d.id, base,
									  PAGE, pages, 2));
	TFD_FAILS(&t, ioas, -EINVAL, siommu_iommufd_access_pin_pages(t.ictx, d.id, base, 0,
								      pages, 0));
	TFD_FAILS(&t, ioas, -EOVERFLOW,
		  siommu_iommufd_access_pin_pages(t.ictx, d.id, UINT64_MAX, 2, pages, 0));
	TFD_FAILS(&t, ioas, -EINVAL, siommu_iommufd_access_pin_pages(t.ictx, plain.id, base,
								      PAGE, pages, 0));
	/* Not whole host pages: the first byte, or a boundary inside. */
	TFD_FAILS(&t, ioas, -EINVAL, siommu_iommufd_access_pin_pages(t.ictx, d.id, base + 1,
								      PAGE, pages, 0));
	TFD_FAILS(&t, ioas, -EINVAL, siommu_iommufd_access_pin_pages(t.ictx, d.id,
								      base + 10 * PAGE,
								      2 * PAGE, pages, 0));
	CHECK_OK(drv_pin(&d, base + 10 * PAGE, PAGE + 100, pages, 0));
	CHECK(pages[0] == c && pages[1] == c + PAGE);
	CHECK_OK(siommu_iommufd_access_unpin_pages(t.ictx, d.id, base + 10 * PAGE,
						   PAGE + 100));
	d.nr = 0;
	/* Into the hole after b, and from before the first area. */
	TFD_FAILS(&t, ioas, -ENOENT, siommu_iommufd_access_pin_pages(t.ictx, d.id,
								      base + 7 * PAGE,
								      2 * PAGE, pages, 0));
	TFD_FAILS(&t, ioas, -ENOENT, siommu_iommufd_access_pin_pages(t.ictx, d.id, base - PAGE,
								      2 * PAGE, pages, 0));
	TFD_FAILS(&t, ioas, -ENOENT, siommu_iommufd_access_pin_pages(t.ictx, 99, base, PAGE,
								      pages, 0));
	TFD_FAILS(&t, ioas, -ENOENT, siommu_iommufd_access_pin_pages(t.ictx, ioas, base, PAGE,
								      pages, 0));
	TFD_FAILS(&t, ioas, -EPERM,
		  siommu_iommufd_access_pin_pages(t.ictx, d.id, base + 16 * PAGE, PAGE, pages,
						  SIOMMU_IOMMUFD_ACCESS_RW_WRITE));
	CHECK_EQ(access_pins(&t), 0);

	/* Across the two areas: each page's host address, in order; a
	 * length that ends inside a page still gives that page. */
	memset(pages, 0, sizeof(pages));
	CHECK_OK(drv_pin(&d, base + 2 * PAGE, 4 * PAGE - 100, pages,
			 SIOMMU_IOMMUFD_ACCESS_RW_WRITE));
	CHECK(pages[0] == a + 2 * PAGE && pages[1] == a + 3 * PAGE);
	CHECK(pages[2] == b && pages[3] == b + PAGE && !pages[4]);
	CHECK_EQ(access_pins(&t), 1);
	/* Read-only pins of a read-only area; nesting. */
	CHECK_OK(drv_pin(&d, base + 16 * PAGE, PAGE, pages, 0));
	CHECK(pages[0] == ro);
	CHECK_OK(drv_pin(&d, base + 16 * PAGE, PAGE, NULL, 0));
	CHECK_EQ(access_pins(&t), 3);

	/* Unpin: exactly a pinned range. */
	TFD_FAILS(&t, ioas, -ENOENT, siommu_iommufd_access_unpin_pages(t.ictx, d.id,
									base + 2 * PAGE, PAGE));
	TFD_FAILS(&t, ioas, -ENOENT,
		  siommu_iommufd_access_unpin_pages(t.ictx, d.id, base + 2 * PAGE, 4 * PAGE));
	TFD_FAILS(&t, ioas, -EINVAL, siommu_iommufd_access_unpin_pages(t.ictx, d.id, base, 0));
	TFD_FAILS(&t, ioas, -EOVERFLOW,
		  siommu_iommufd_access_unpin_pages(t.ictx, d.id, UINT64_MAX, 2));
	TFD_FAILS(&t, ioas, -ENOENT,
		  siommu_iommufd_access_unpin_pages(t.ictx, plain.id, base + 16 * PAGE, PAGE));
	TFD_FAILS(&t, ioas, -ENOENT,
		  siommu_iommufd_access_unpin_pages(t.ictx, 99, base + 16 * PAGE, PAGE));
	for (i = 0; i < 2; i++)
		CHECK_OK(siommu_iommufd_access_unpin_pages(t.ictx, d.id, base + 16 * PAGE, PAGE));
	TFD_FAILS(&t, ioas, -ENOENT,
		  siommu_iommufd_access_unpin_pages(t.ictx, d.id, base + 16 * PAGE, PAGE));
	CHECK_OK(siommu_iommufd_access_unpin_pages(t.ictx, d.id, base + 2 * PAGE,
						   4 * PAGE - 100));
	CHECK_EQ(access_pins(&t), 0);
	/* Pins are the access's: the other access's unpin finds none. */
	CHECK_OK(siommu_iommufd_access_destroy(t.ictx, d.id));
	CHECK_OK(siommu_iommufd_access_destroy(t.ictx, plain.id));
	CHECK_EQ(d.calls, 0);
	tfd_teardown(&t);
	munmap(a, 4 * PAGE);
	munmap(b, 4 * PAGE);
	munmap(ro, PAGE);
	munmap(c, 4 * PAGE);
}

static void rw_rules(void)
{
	const uint64_t base = 0x200000;
	uint8_t *a = tfd_buf(2 * PAGE, 0x11), *b = tfd_buf(2 * PAGE, 0x22);
	uint8_t *ro = tfd_buf(PAGE, 0x33), *copy = malloc(4 * PAGE), *out = malloc(4 * PAGE);
	unsigned int phys;
	struct tfd t;
	uint32_t ioas, id;

	tfd_setup(&t, UINT64_MAX);
	CHECK_OK(siommu_ioas_alloc(t.ictx, &ioas));
	map_at(&t, ioas, a, 2 * PAGE, base, RW);
	map_at(&t, ioas, b, 2 * PAGE, base + 2 * PAGE, RW);
	map_at(&t, ioas, ro, PAGE, base + 5 * PAGE, READ);
	CHECK_OK(siommu_iommufd_access_create(t.ictx, ioas, NULL, NULL, 0, &id));

	for (phys = 0; phys < 2; phys++) {
		unsigned int f = phys ? SIOMMU_IOMMUFD_ACCESS_RW_PHYS : 0;

		/* Across the boundary of a and b, at odd offsets. */
		memset(out, 0, 4 * PAGE);
		CHECK_OK(siommu_iommufd_access_rw(t.ictx, id, base + PAGE + 3, out,
						  2 * PAGE, f));
		CHECK(!memcmp(out, a + PAGE + 3, PAGE - 3));
		CHECK(!memcmp(out + PAGE - 3, b, PAGE + 3));
		memset(copy, 0x5a + (int)phys, 2 * PAGE);
		CHECK_OK(siommu_iommufd_access_rw(t.ictx, id, base + PAGE + 7, copy, 2 * PAGE,
						  f | SIOMMU_IOMMUFD_ACCESS_RW_WRITE));
		CHECK(!memcmp(a + PAGE + 7, copy, PAGE - 7));
		CHECK(!memcmp(b, copy, PAGE + 7));
	}
	/* A hole after b: -ENOENT, and nothing copied either way. */
	memcpy(copy, b, 2 * PAGE);
	memset(out, 0x77, 4 * PAGE);
	TFD_FAILS(&t, ioas, -ENOENT, siommu_iommufd_access_rw(t.ictx, id, base + 3 * PAGE, out,
							       2 * PAGE, 0));
	CHECK_EQ(out[0], 0x77);
	TFD_FAILS(&t, ioas, -ENOENT,
		  siommu_iommufd_access_rw(t.ictx, id, base + 3 * PAGE, out, 2 * PAGE,
					   SIOMMU_IOMMUFD_ACCESS_RW_WRITE));
	CHECK(!memcmp(copy, b, 2 * PAGE));
	TFD_FAILS(&t, ioas, -ENOENT, siommu_iommufd_access_rw(t.ictx, id, base - 1, out, 2, 0));
	/* Read-only: reads, no writes (not even the part before it). */
	CHECK_OK(siommu_iommufd_access_rw(t.ictx, id, base + 5 * PAGE, out, PAGE, 0));
	CHECK(!memcmp(out, ro, PAGE));
	TFD_FAILS(&t, ioas, -EPERM, siommu_iommufd_access_rw(t.ictx, id, base + 5 * PAGE, out,
							      PAGE,
							      SIOMMU_IOMMUFD_ACCESS_RW_WRITE));
	TFD_FAILS(&t, ioas, -EOPNOTSUPP, siommu_iommufd_access_rw(t.ictx, id, base, out, 1, 2));
	TFD_FAILS(&t, ioas, -EINVAL, siommu_iommufd_access_rw(t.ictx, id, base, out, 0, 0));
	TFD_FAILS(&t, ioas, -EINVAL, siommu_iommufd_access_rw(t.ictx, id, base, NULL, 1, 0));
	TFD_FAILS(&t, ioas, -EOVERFLOW, siommu_iommufd_access_rw(t.ictx, id, UINT64_MAX, out,
								  2, 0));
	TFD_FAILS(&t, ioas, -ENOENT, siommu_iommufd_access_rw(t.ictx, 99, base, out, 1, 0));
	TFD_FAILS(&t, ioas, -ENOENT, siommu_iommufd_access_rw(t.ictx, ioas, base, out, 1, 0));
	tfd_teardown(&t);
	munmap(a, 2 * PAGE);
	munmap(b, 2 * PAGE);
	munmap(ro, PAGE);
	free(copy);
	free(out);
}

static void unmap_protocol(void)
{
	const uint64_t base = 0x300000;
	uint8_t *a = tfd_buf(4 * PAGE, 4), *b = tfd_buf(4 * PAGE, 5), tmp[16];
	uint64_t got;
	struct tfd t;
	struct drv d, other;
	uint32_t ioas;

	tfd_setup(&t, UINT64_MAX);
	CHECK_OK(siommu_ioas_alloc(t.ictx, &ioas));
	map_at(&t, ioas, a, 4 * PAGE, base, RW);
	map_at(&t, ioas, b, 4 * PAGE, base + 4 * PAGE, RW);
	drv_create(&t, ioas, &d, SIOMMU_IOMMUFD_ACCESS_NEEDS_PIN_PAGES);
	drv_create(&t, ioas, &other, SIOMMU_IOMMUFD_ACCESS_NEEDS_PIN_PAGES);

	/* Unpinning callback: called with the area's range, unmap done. */
	CHECK_OK(drv_pin(&d, base + PAGE, PAGE, NULL, 0));
	CHECK_OK(siommu_ioas_unmap(t.ictx, ioas, base, 4 * PAGE, &got));
	CHECK_EQ(got, 4 * PAGE);
	CHECK_EQ(d.calls, 1);
	CHECK_EQ(d.iova, base);
	CHECK_EQ(d.length, 4 * PAGE);
	CHECK_EQ(other.calls, 0);	/* no pin there: not asked */
	CHECK_EQ(access_pins(&t), 0);
	map_at(&t, ioas, a, 4 * PAGE, base, RW);

	/* A callback that keeps its pins: -EDEADLOCK after the tries, the
	 * area mapped, pinned, and open to pins and copies again. */
	d.calls = 0;
	d.mode = CB_KEEP;
	CHECK_OK(drv_pin(&d, base + 4 * PAGE, 2 * PAGE, NULL, 0));
	TFD_FAILS(&t, ioas, -EDEADLOCK, siommu_ioas_unmap(t.ictx, ioas, base + 4 * PAGE,
							  4 * PAGE, &got));
	CHECK_EQ(d.calls, SIOMMU_IOMMUFD_ACCESS_UNMAP_TRIES);
	CHECK_EQ(access_pins(&t), 1);
	/* Unmap-all is no exception; no area of it goes. */
	TFD_FAILS(&t, ioas, -EDEADLOCK, siommu_ioas_unmap(t.ictx, ioas, 0, UINT64_MAX, &got));
	CHECK_OK(siommu_iommufd_access_rw(t.ictx, d.id, base + 4 * PAGE, tmp, sizeof(tmp), 0));
	CHECK(!memcmp(tmp, b, sizeof(tmp)));
	CHECK_OK(drv_pin(&d, base + 4 * PAGE, PAGE, NULL, 0));
	CHECK_EQ(access_pins(&t), 2);
	/* Once the driver lets go, the unmap goes through. */
	d.mode = CB_UNPIN;
	d.calls = 0;
	CHECK_OK(siommu_ioas_unmap(t.ictx, ioas, base + 4 * PAGE, 4 * PAGE, &got));
	CHECK_EQ(d.calls, 1);
	CHECK_EQ(access_pins(&t), 0);

	/* Inside the callback, the range refuses pins and copies. */
	d.mode = CB_PROBE;
	CHECK_OK(drv_pin(&d, base, PAGE, NULL, 0));
	CHECK_OK(drv_pin(&other, base + 2 * PAGE, PAGE, NULL, 0));
	CHECK_OK(siommu_ioas_unmap(t.ictx, ioas, 0, UINT64_MAX, &got));
	CHECK_EQ(got, 4 * PAGE);
	CHECK_EQ(d.probe_rw, -EINVAL);
	CHECK_EQ(d.probe_pin, -EINVAL);
	CHECK_EQ(other.calls, 1);
	CHECK_EQ(access_pins(&t), 0);
	CHECK_OK(siommu_iommufd_access_destroy(t.ictx, d.id));
	CHECK_OK(siommu_iommufd_access_destroy(t.ictx, other.id));
	tfd_teardown(&t);
	munmap(a, 4 * PAGE);
	munmap(b, 4 * PAGE);
}

static void replace_rules(void)
{
	uint8_t *a = tfd_buf(PAGE, 6), *b = tfd_buf(PAGE, 7), tmp[8];
	uint64_t iova = 0x400000, got;
	struct tfd t;
	struct drv d;
	uint32_t ioas, ioas2;

	tfd_setup(&t, UINT64_MAX);
	CHECK_OK(siommu_ioas_alloc(t.ictx, &ioas));
	CHECK_OK(siommu_ioas_alloc(t.ictx, &ioas2));
	map_at(&t, ioas, a, PAGE, iova, RW);
	map_at(&t, ioas2, b, PAGE, iova, RW);
	drv_create(&t, ioas, &d, SIOMMU_IOMMUFD_ACCESS_NEEDS_PIN_PAGES);

	TFD_FAILS(&t, ioas, -ENOENT, siommu_iommufd_access_replace(t.ictx, d.id, 99));
	TFD_FAILS(&t, ioas, -ENOENT, siommu_iommufd_access_replace(t.ictx, d.id, d.id));
	TFD_FAILS(&t, ioas, -ENOENT, siommu_iommufd_access_replace(t.ictx, 99, ioas2));
	/* The same IOAS: nothing, not even a callback. */
	CHECK_OK(drv_pin(&d, iova, PAGE, NULL, 0));
	CHECK_OK(siommu_iommufd_access_replace(t.ictx, d.id, ioas));
	CHECK_EQ(d.calls, 0);

	/* Pins kept: -EBUSY, still on the first IOAS with its pin. */
	d.mode = CB_KEEP;
	TFD_FAILS(&t, ioas, -EBUSY, siommu_iommufd_access_replace(t.ictx, d.id, ioas2));
	CHECK_EQ(d.calls, 1);
	CHECK_EQ(d.iova, 0);
	CHECK_EQ(d.length, UINT64_MAX);
	CHECK_OK(siommu_iommufd_access_rw(t.ictx, d.id, iova, tmp, sizeof(tmp), 0));
	CHECK(!memcmp(tmp, a, sizeof(tmp)));
	TFD_FAILS(&t, ioas, -EBUSY, siommu_iommufd_obj_destroy(t.ictx, ioas));

	/* Let go: the access moves; the old IOAS is free, the new used. */
	d.mode = CB_UNPIN;
	CHECK_OK(siommu_iommufd_access_replace(t.ictx, d.id, ioas2));
	CHECK_EQ(d.calls, 2);
	CHECK_EQ(access_pins(&t), 0);
	CHECK_OK(siommu_iommufd_access_rw(t.ictx, d.id, iova, tmp, sizeof(tmp), 0));
	CHECK(!memcmp(tmp, b, sizeof(tmp)));
	TFD_FAILS(&t, ioas2, -EBUSY, siommu_iommufd_obj_destroy(t.ictx, ioas2));
	CHECK_OK(siommu_iommufd_obj_destroy(t.ictx, ioas));
	/* Pins on the new IOAS are unmapped through it. */
	CHECK_OK(drv_pin(&d, iova, PAGE, NULL, 0));
	CHECK_OK(siommu_ioas_unmap(t.ictx, ioas2, iova, PAGE, &got));
	CHECK_EQ(d.calls, 3);

	/* Destroy asks, then drops what the callback keeps. */
	map_at(&t, ioas2, b, PAGE, 0x400000, RW);
	CHECK_OK(drv_pin(&d, iova, PAGE, NULL, 0));
	d.mode = CB_KEEP;
	CHECK_OK(siommu_iommufd_access_destroy(t.ictx, d.id));
	CHECK_EQ(d.calls, 4);
	CHECK_EQ(access_pins(&t), 0);
	CHECK_OK(siommu_ioas_unmap(t.ictx, ioas2, iova, PAGE, &got));

	/* The context's teardown destroys live accesses with their pins. */
	map_at(&t, ioas2, b, PAGE, 0x400000, RW);
	drv_create(&t, ioas2, &d, SIOMMU_IOMMUFD_ACCESS_NEEDS_PIN_PAGES);
	CHECK_OK(drv_pin(&d, iova, PAGE, NULL, 0));
	tfd_teardown(&t);
	CHECK_EQ(d.calls, 1);
	munmap(a, PAGE);
	munmap(b, PAGE);
}

int main(void)
{
	create_rules();
	pin_rules();
	rw_rules();
	unmap_protocol();
	replace_rules();
	return 0;
}

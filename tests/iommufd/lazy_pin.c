/* SPDX-License-Identifier: MIT */
/*
 * Lazy pinning of page storage, as Linux's: MAP records the range; the
 * first user that needs the pages pins them (registers them with the
 * physical memory and charges them); the last user going unpins them.
 *   - the triggers: a HWPT allocated on, and a device attached to, an
 *     IOAS with areas; a MAP, a MAP_FILE and a COPY into an IOAS with a
 *     domain; an access's pin, and its copy (for the copy alone);
 *   - the releases: the IOAS's last domain going (detach of the last
 *     device of an automatic HWPT, destroy of a HWPT), an access's
 *     unpin; an access's pin keeps storage pinned past the domains;
 *   - memory the process lacks and the pin limit fail the first use that
 *     pins (-EFAULT, -ENOMEM), changing nothing: no object, no charge,
 *     no registration, the device left unattached; the same use works
 *     once the memory is there;
 *   - every fallible step of those first uses fails changing nothing;
 *   - a VFIO type1 v1 unmap that cuts an area an access pins and a domain
 *     maps leaves both halves pinned for both, the pins dropping to none.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <siommu/iommufd_ioctl.h>
#include <siommu/vfio_abi.h>

#include "fail_nth.h"
#include "iommufd_test.h"

static uint64_t locked(struct tfd *t)
{
	return siommu_iommufd_acct_locked(t->user);
}

static uint64_t pinned_pages(struct tfd *t)
{
	struct siommu_iommufd_stats st;

	siommu_iommufd_get_stats(t->ictx, &st);
	return st.pinned_pages;
}

static uint64_t regions(struct tfd *t)
{
	struct siommu_mem_stats ms;

	siommu_mem_get_stats(siommu_ctx_mem(t->ctx), &ms);
	return ms.nr_regions;
}

static void noop_unmap(void *data, uint64_t iova, uint64_t length)
{
	(void)data;
	(void)iova;
	(void)length;
}

static const struct siommu_iommufd_access_ops acc_ops = { .unmap = noop_unmap };

/* Domains: attach, HWPT allocation, MAP and MAP_FILE with one, the last
 * one going. */
static void domain_triggers(void)
{
	struct tfd t;
	uint8_t *buf = tfd_buf(65536, 1), got[64];
	uint64_t iova = 0x100000, r0;
	uint32_t ioas, d0, pt, hwpt;
	int fd = memfd_create("lazy", 0);

	CHECK(fd >= 0);
	CHECK_OK(ftruncate(fd, 65536));
	tfd_setup(&t, UINT64_MAX);
	CHECK_OK(siommu_ioas_alloc(t.ictx, &ioas));
	r0 = regions(&t);
	CHECK_OK(siommu_ioas_map(t.ictx, ioas, RW | FIXED, buf, 16384, &iova));
	iova = 0x180000;
	CHECK_OK(siommu_ioas_map_file(t.ictx, ioas, RW | FIXED, fd, 0, 8192, &iova));
	/* Recorded only: nothing pinned, charged or registered. */
	CHECK_EQ(locked(&t), 0);
	CHECK_EQ(pinned_pages(&t), 0);
	CHECK_EQ(regions(&t), r0);

	/* A device attached to the IOAS: its automatic domain pins both. */
	CHECK_OK(siommu_iommufd_bind(t.ictx, t.dev[0], &d0));
	pt = ioas;
	CHECK_OK(siommu_iommufd_attach(t.ictx, d0, NOPASID, &pt));
	CHECK_EQ(locked(&t), 6);
	CHECK_EQ(pinned_pages(&t), 6);
	CHECK_OK(tfd_dma(&t, 0, NOPASID, 0x100000, got, sizeof(got), false));
	CHECK(!memcmp(got, buf, sizeof(got)));
	/* A MAP and a MAP_FILE into an IOAS with a domain pin at once. */
	iova = 0x200000;
	CHECK_OK(siommu_ioas_map(t.ictx, ioas, RW | FIXED, buf + 32768, 8192, &iova));
	CHECK_EQ(locked(&t), 8);
	iova = 0x280000;
	CHECK_OK(siommu_ioas_map_file(t.ictx, ioas, RW | FIXED, fd, 16384, 4096, &iova));
	CHECK_EQ(locked(&t), 9);
	/* The last device going takes the automatic domain, and the pins. */
	CHECK_OK(siommu_iommufd_detach(t.ictx, d0, NOPASID));
	CHECK_EQ(locked(&t), 0);
	CHECK_EQ(pinned_pages(&t), 0);
	/* A HWPT allocated on the IOAS pins; destroying it unpins. */
	CHECK_OK(siommu_hwpt_alloc(t.ictx, d0, ioas, 0, 0, &hwpt));
	CHECK_EQ(locked(&t), 9);
	pt = hwpt;
	CHECK_OK(siommu_iommufd_attach(t.ictx, d0, NOPASID, &pt));
	CHECK_OK(tfd_dma(&t, 0, NOPASID, 0x180000, got, sizeof(got), true));
	CHECK_EQ(locked(&t), 9);
	CHECK_OK(siommu_iommufd_detach(t.ictx, d0, NOPASID));
	CHECK_EQ(locked(&t), 9);
	CHECK_OK(siommu_iommufd_obj_destroy(t.ictx, hwpt));
	CHECK_EQ(locked(&t), 0);
	/* Pinned again, over the same bytes (the file's written by DMA). */
	CHECK_OK(siommu_hwpt_alloc(t.ictx, d0, ioas, 0, 0, &hwpt));
	CHECK_EQ(locked(&t), 9);
	{
		uint8_t f[64];

		CHECK_EQ(pread(fd, f, sizeof(f), 0), (ssize_t)sizeof(f));
		CHECK(!memcmp(f, got, sizeof(f)));
	}
	tfd_teardown(&t);
	close(fd);
	munmap(buf, 65536);
}

/* COPY shares storage: into an IOAS with a domain it pins what the source
 * has not; pinned once however many IOASes hold it. */
static void copy_trigger(void)
{
	struct tfd t;
	uint8_t *buf = tfd_buf(65536, 2);
	uint64_t iova = 0x100000, dst = 0x400000;
	uint32_t a, b, hb, ha;

	tfd_setup(&t, UINT64_MAX);
	CHECK_OK(siommu_ioas_alloc(t.ictx, &a));
	CHECK_OK(siommu_ioas_alloc(t.ictx, &b));
	hb = tfd_domain(&t, 1, b);
	CHECK_OK(siommu_ioas_map(t.ictx, a, RW | FIXED, buf, 16384, &iova));
	CHECK_EQ(locked(&t), 0);
	CHECK_OK(siommu_ioas_copy(t.ictx, b, a, RW | FIXED, iova, 16384, &dst));
	CHECK_EQ(locked(&t), 4);
	/* A domain on the source too: the same storage, charged once. */
	ha = tfd_domain(&t, 0, a);
	CHECK_EQ(locked(&t), 4);
	CHECK_OK(siommu_iommufd_obj_destroy(t.ictx, hb));
	CHECK_EQ(locked(&t), 4);
	CHECK_OK(siommu_iommufd_obj_destroy(t.ictx, ha));
	CHECK_EQ(locked(&t), 0);
	tfd_teardown(&t);
	munmap(buf, 65536);
}

/* An access's pin pins until unpinned, past the domains; its copy pins
 * for the copy alone. */
static void access_triggers(void)
{
	struct tfd t;
	uint8_t *buf = tfd_buf(65536, 3), got[64];
	uint64_t iova = 0x100000;
	uint32_t ioas, acc, d0, pt;
	void *pages[4];

	tfd_setup(&t, UINT64_MAX);
	CHECK_OK(siommu_ioas_alloc(t.ictx, &ioas));
	CHECK_OK(siommu_iommufd_access_create(t.ictx, ioas, &acc_ops, NULL,
					      SIOMMU_IOMMUFD_ACCESS_NEEDS_PIN_PAGES, &acc));
	CHECK_OK(siommu_ioas_map(t.ictx, ioas, RW | FIXED, buf, 16384, &iova));
	CHECK_OK(siommu_iommufd_access_rw(t.ictx, acc, iova + 100, got, sizeof(got), 0));
	CHECK(!memcmp(got, buf + 100, sizeof(got)));
	CHECK_OK(siommu_iommufd_access_rw(t.ictx, acc, iova, got, sizeof(got),
					  SIOMMU_IOMMUFD_ACCESS_RW_PHYS));
	CHECK(!memcmp(got, buf, sizeof(got)));
	CHECK_EQ(locked(&t), 0);
	CHECK_OK(siommu_iommufd_access_pin_pages(t.ictx, acc, iova, 16384, pages, 0));
	CHECK(pages[3] == buf + 12288);
	CHECK_EQ(locked(&t), 4);
	CHECK_OK(siommu_iommufd_bind(t.ictx, t.dev[0], &d0));
	pt = ioas;
	CHECK_OK(siommu_iommufd_attach(t.ictx, d0, NOPASID, &pt));
	CHECK_EQ(locked(&t), 4);
	CHECK_OK(siommu_iommufd_detach(t.ictx, d0, NOPASID));
	CHECK_EQ(locked(&t), 4);
	CHECK_OK(siommu_iommufd_access_unpin_pages(t.ictx, acc, iova, 16384));
	CHECK_EQ(locked(&t), 0);
	CHECK_OK(siommu_iommufd_access_destroy(t.ictx, acc));
	tfd_teardown(&t);
	munmap(buf, 65536);
}

/* The first use that pins fails for memory the process lacks and past
 * the limit, changing nothing; it works once the cause is gone. */
static void first_use_failures(void)
{
	struct tfd t;
	uint8_t *buf = tfd_buf(65536, 4), *gone, got[16];
	uint64_t iova = 0x100000, dst = 0x400000;
	uint32_t ioas, b, acc, d0, d1, pt, h;

	tfd_setup(&t, 8);		/* 8 pages may be pinned */
	CHECK_OK(siommu_ioas_alloc(t.ictx, &ioas));
	CHECK_OK(siommu_ioas_alloc(t.ictx, &b));
	CHECK_OK(siommu_iommufd_access_create(t.ictx, ioas, &acc_ops, NULL,
					      SIOMMU_IOMMUFD_ACCESS_NEEDS_PIN_PAGES, &acc));
	CHECK_OK(siommu_iommufd_bind(t.ictx, t.dev[0], &d0));
	CHECK_OK(siommu_iommufd_bind(t.ictx, t.dev[1], &d1));
	gone = tfd_buf(16384, 0);
	CHECK_OK(munmap(gone + 8192, 8192));
	CHECK_OK(siommu_ioas_map(t.ictx, ioas, RW | FIXED, gone, 16384, &iova));
	pt = ioas;
	TFD_FAILS(&t, ioas, -EFAULT, siommu_iommufd_attach(t.ictx, d0, NOPASID, &pt));
	CHECK_EQ(siommu_iommufd_attached_hwpt(t.ictx, d0, NOPASID), 0);
	TFD_FAILS(&t, ioas, -EFAULT, siommu_hwpt_alloc(t.ictx, d0, ioas, 0, 0, &h));
	TFD_FAILS(&t, ioas, -EFAULT, siommu_iommufd_access_pin_pages(t.ictx, acc, iova, 16384,
								     NULL, 0));
	TFD_FAILS(&t, ioas, -EFAULT, siommu_iommufd_access_rw(t.ictx, acc, iova + 12288, got,
							      sizeof(got), 0));
	/* Into an IOAS with a domain: the COPY pins, and fails. */
	tfd_domain(&t, 2, b);
	TFD_FAILS(&t, b, -EFAULT, siommu_ioas_copy(t.ictx, b, ioas, RW | FIXED, iova, 16384,
						   &dst));
	/* The memory back: the same calls work. */
	CHECK(mmap(gone + 8192, 8192, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == gone + 8192);
	CHECK_OK(siommu_ioas_copy(t.ictx, b, ioas, RW | FIXED, iova, 16384, &dst));
	CHECK_EQ(locked(&t), 4);
	CHECK_OK(siommu_ioas_unmap(t.ictx, b, dst, 16384, NULL));
	CHECK_EQ(locked(&t), 0);

	/* Past the limit: 4 pinned by an access, 8 allowed, 6 more mapped. */
	CHECK_OK(siommu_iommufd_access_pin_pages(t.ictx, acc, iova, 16384, NULL, 0));
	CHECK_EQ(locked(&t), 4);
	iova = 0x200000;
	CHECK_OK(siommu_ioas_map(t.ictx, ioas, RW | FIXED, buf, 6 * 4096, &iova));
	pt = ioas;
	TFD_FAILS(&t, ioas, -ENOMEM, siommu_iommufd_attach(t.ictx, d0, NOPASID, &pt));
	TFD_FAILS(&t, ioas, -ENOMEM, siommu_hwpt_alloc(t.ictx, d1, ioas, 0, 0, &h));
	TFD_FAILS(&t, ioas, -ENOMEM, siommu_iommufd_access_rw(t.ictx, acc, iova, got,
							      sizeof(got), 0));
	siommu_iommufd_acct_set_limit(t.user, 10);
	CHECK_OK(siommu_iommufd_attach(t.ictx, d0, NOPASID, &pt));
	CHECK_EQ(locked(&t), 10);
	CHECK_OK(siommu_iommufd_detach(t.ictx, d0, NOPASID));
	CHECK_EQ(locked(&t), 4);
	CHECK_OK(siommu_iommufd_access_unpin_pages(t.ictx, acc, 0x100000, 16384));
	CHECK_OK(siommu_iommufd_access_destroy(t.ictx, acc));
	tfd_teardown(&t);
	munmap(gone, 16384);
	munmap(buf, 65536);
}

/* The access of cut_under_pin: it lets go of its one pin when asked. */
static struct tfd *cut_t;
static uint32_t cut_acc;
static uint64_t cut_pin_len;

static void cut_unmap(void *data, uint64_t iova, uint64_t length)
{
	(void)data;
	if (cut_pin_len && iova <= 0x800000 + cut_pin_len - 1 && 0x800000 <= iova + (length - 1)) {
		CHECK_OK(siommu_iommufd_access_unpin_pages(cut_t->ictx, cut_acc, 0x800000,
							   cut_pin_len));
		cut_pin_len = 0;
	}
}

static const struct siommu_iommufd_access_ops cut_ops = { .unmap = cut_unmap };

static void cut_under_pin(void)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m), .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.iova = 0x800000, .size = 16384 };
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u), .iova = 0x801000,
						.size = 4096 };
	uint8_t *buf = tfd_buf(65536, 6);
	uint32_t ioas, d0, pt;
	struct tfd t;

	tfd_setup(&t, UINT64_MAX);
	cut_t = &t;
	CHECK_OK(siommu_ioas_alloc(t.ictx, &ioas));
	CHECK_OK(siommu_vfio_ioas_set(t.ictx, ioas));
	CHECK_OK(siommu_iommufd_ioctl(t.ictx, VFIO_SET_IOMMU, (void *)VFIO_TYPE1_IOMMU));
	m.vaddr = (uintptr_t)buf;
	CHECK_OK(siommu_iommufd_ioctl(t.ictx, VFIO_IOMMU_MAP_DMA, &m));
	CHECK_EQ(locked(&t), 0);
	CHECK_OK(siommu_iommufd_bind(t.ictx, t.dev[0], &d0));
	pt = ioas;
	CHECK_OK(siommu_iommufd_attach(t.ictx, d0, NOPASID, &pt));
	CHECK_EQ(locked(&t), 4);
	CHECK_OK(siommu_iommufd_access_create(t.ictx, ioas, &cut_ops, NULL,
					      SIOMMU_IOMMUFD_ACCESS_NEEDS_PIN_PAGES, &cut_acc));
	CHECK_OK(siommu_iommufd_access_pin_pages(t.ictx, cut_acc, 0x800000, 16384, NULL, 0));
	cut_pin_len = 16384;
	/* The cut makes three areas of one; the unmap asks the access to
	 * let go of its pin over all three. */
	CHECK_OK(siommu_iommufd_ioctl(t.ictx, VFIO_IOMMU_UNMAP_DMA, &u));
	CHECK_EQ(u.size, 4096);
	CHECK_EQ(cut_pin_len, 0);
	CHECK_EQ(locked(&t), 4);
	CHECK_OK(siommu_iommufd_detach(t.ictx, d0, NOPASID));
	CHECK_EQ(locked(&t), 0);
	CHECK_OK(siommu_iommufd_access_destroy(t.ictx, cut_acc));
	tfd_teardown(&t);
	munmap(buf, 65536);
}

/* Fail-nth over the first uses: every fallible step of the pin fails
 * changing nothing. */
#define MAX_STEPS 200

static struct tfd ft;
static struct siommu_mem *mem;
static uint64_t failures;
static uint32_t f_ioas;

struct snapshot {
	struct tfd_snapshot s;
};

static void snap(struct snapshot *s)
{
	tfd_snap(&ft, f_ioas, &s->s);
}

static void same(const struct snapshot *a, const struct snapshot *b)
{
	tfd_same(&a->s, &b->s);
}

static void first_use_fail_nth(void)
{
	uint8_t *buf = tfd_buf(1 << 20, 5), got[64];
	uint64_t iova, dst = 0x800000;
	uint32_t b, acc, d0, d1, pt, h;
	int fd = memfd_create("lazy", 0);
	unsigned int i;

	CHECK(fd >= 0);
	CHECK_OK(ftruncate(fd, 65536));
	tfd_setup(&ft, UINT64_MAX);
	mem = siommu_ctx_mem(ft.ctx);
	CHECK_OK(siommu_ioas_alloc(ft.ictx, &f_ioas));
	CHECK_OK(siommu_ioas_alloc(ft.ictx, &b));
	/* Areas over several registrations, a file's among them. */
	for (i = 0; i < 4; i++) {
		iova = 0x100000 + i * 0x100000;
		CHECK_OK(siommu_ioas_map(ft.ictx, f_ioas, RW | FIXED, buf + i * 131072, 65536,
					 &iova));
	}
	iova = 0x600000;
	CHECK_OK(siommu_ioas_map_file(ft.ictx, f_ioas, RW | FIXED, fd, 0, 65536, &iova));
	CHECK_OK(siommu_iommufd_access_create(ft.ictx, f_ioas, &acc_ops, NULL,
					      SIOMMU_IOMMUFD_ACCESS_NEEDS_PIN_PAGES, &acc));
	CHECK_OK(siommu_iommufd_bind(ft.ictx, ft.dev[0], &d0));
	CHECK_OK(siommu_iommufd_bind(ft.ictx, ft.dev[1], &d1));

	SWEEP("access_rw (unpinned)", siommu_iommufd_access_rw(ft.ictx, acc, 0x100000, got,
							       sizeof(got), 0));
	SWEEP("access_pin (unpinned)", siommu_iommufd_access_pin_pages(ft.ictx, acc, 0x200000,
								       65536, NULL, 0));
	pt = f_ioas;
	SWEEP("attach (pins the IOAS)", siommu_iommufd_attach(ft.ictx, d0, NOPASID, &pt));
	CHECK_EQ(locked(&ft), 5 * 16);
	CHECK_OK(siommu_iommufd_detach(ft.ictx, d0, NOPASID));
	CHECK_EQ(locked(&ft), 16);
	SWEEP("hwpt_alloc (pins the IOAS)", siommu_hwpt_alloc(ft.ictx, d1, f_ioas, 0, 0, &h));
	CHECK_OK(siommu_iommufd_obj_destroy(ft.ictx, h));
	tfd_domain(&ft, 2, b);
	/* The domain's tables there first: a failed map keeps those it
	 * made, as a domain does (not what is checked here). */
	iova = dst;
	CHECK_OK(siommu_ioas_map(ft.ictx, b, RW | FIXED, buf, 65536, &iova));
	CHECK_OK(siommu_ioas_unmap(ft.ictx, b, dst, 65536, NULL));
	SWEEP("copy (pins into a domain)", siommu_ioas_copy(ft.ictx, b, f_ioas, RW | FIXED,
							    0x300000, 65536, &dst));
	CHECK_EQ(locked(&ft), 32);
	CHECK(failures > 0);
	fprintf(stderr, "%" PRIu64 " injected failures, each changing nothing\n", failures);
	CHECK_OK(siommu_iommufd_access_unpin_pages(ft.ictx, acc, 0x200000, 65536));
	CHECK_OK(siommu_iommufd_access_destroy(ft.ictx, acc));
	tfd_teardown(&ft);
	close(fd);
	munmap(buf, 1 << 20);
}

int main(void)
{
	domain_triggers();
	copy_trigger();
	access_triggers();
	first_use_failures();
	cut_under_pin();
	first_use_fail_nth();
	return 0;
}

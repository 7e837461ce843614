/* SPDX-License-Identifier: MIT */
/*
 * Memory kinds under libsiommu-preload.so: hugetlb memory (MAP_HUGETLB,
 * and MFD_HUGETLB memfds through IOAS_MAP of a view and IOAS_MAP_FILE,
 * at the file's start and inside a huge page) and plain memfds, each
 * with the device of a VFIO device file copying through the IOMMU into
 * the very bytes the program sees. A 2 MiB-aligned hugetlb range maps
 * with 2 MiB leaves: a write of one byte dirties the whole 2 MiB in the
 * dirty bitmap (the hardware sets the dirty bit of the leaf), where the
 * same range under IOMMU_OPTION_HUGE_PAGES = 0 dirties one 4 KiB page.
 * Pins count in 4 KiB pages whatever the page size.
 *
 * The hugetlb cases need huge pages reserved (/proc/sys/vm/nr_hugepages):
 * without them the program says which cases it did not run and runs the
 * rest, or fails if SIOMMU_REQUIRE_HUGETLB=1.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <siommu/iommufd_abi.h>
#include <siommu/preload.h>
#include <siommu/vfio_abi.h>
#include <siommu/vfio_dmaeng.h>

#include "prog.h"

#define PG 4096ull
#define HUGE (2ull << 20)
#define RW (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)

static int iommu_fd, dev;
static uint32_t ioas, hwpt;
static siommu_preload_get_acct_fn get_acct;

static uint64_t pinned(void)
{
	struct siommu_preload_acct a;

	CHECK(get_acct(&a) == 0);
	return a.pinned_pages;
}

static uint64_t map_va(void *va, uint64_t len, uint64_t iova)
{
	struct iommu_ioas_map m = { .size = sizeof(m), .ioas_id = ioas, .length = len,
		.user_va = (uintptr_t)va, .iova = iova,
		.flags = RW | (iova ? IOMMU_IOAS_MAP_FIXED_IOVA : 0) };

	CHECK(ioctl(iommu_fd, IOMMU_IOAS_MAP, &m) == 0);
	return m.iova;
}

static uint64_t map_file(int fd, uint64_t start, uint64_t len, uint64_t iova)
{
	struct iommu_ioas_map_file m = { .size = sizeof(m), .ioas_id = ioas, .fd = fd,
		.start = start, .length = len, .iova = iova,
		.flags = RW | (iova ? IOMMU_IOAS_MAP_FIXED_IOVA : 0) };

	CHECK(ioctl(iommu_fd, IOMMU_IOAS_MAP_FILE, &m) == 0);
	return m.iova;
}

static void unmap_all(void)
{
	CHECK(ioctl(iommu_fd, IOMMU_IOAS_UNMAP, &(struct iommu_ioas_unmap){
		.size = sizeof(struct iommu_ioas_unmap), .ioas_id = ioas,
		.length = UINT64_MAX }) == 0);
	CHECK(pinned() == 0);
}

/* The device copies @len bytes from IOVA @src to @dst; the program sees
 * the source's bytes at @dst_va. */
static void dma_copy(uint64_t src, unsigned char *src_va, uint64_t dst, unsigned char *dst_va,
		     uint64_t len, unsigned char seed)
{
	uint64_t i;

	for (i = 0; i < len; i++)
		src_va[i] = (unsigned char)(i * 13 + seed);
	memset(dst_va, 0, len);
	eng_write64(dev, SIOMMU_DMAENG_SRC, src);
	eng_write64(dev, SIOMMU_DMAENG_DST, dst);
	eng_write64(dev, SIOMMU_DMAENG_LEN, len);
	CHECK(eng_run(dev) == SIOMMU_DMAENG_ST_DONE);
	CHECK(!memcmp(src_va, dst_va, len));
}

/* The 4 KiB pages of [iova, iova + len) that the device dirtied since the
 * last call (which clears them): their count, and the first in *first. */
static uint64_t dirty_pages(uint64_t iova, uint64_t len, uint64_t *first)
{
	static uint64_t bits[4096 / 64];
	struct iommu_hwpt_get_dirty_bitmap g = { .size = sizeof(g), .hwpt_id = hwpt,
		.iova = iova, .length = len, .page_size = PG, .data = (uintptr_t)bits };
	uint64_t n = 0, i;

	CHECK(len / PG <= sizeof(bits) * 8);
	memset(bits, 0, sizeof(bits));
	CHECK(ioctl(iommu_fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &g) == 0);
	*first = UINT64_MAX;
	for (i = 0; i < len / PG; i++) {
		if (!(bits[i / 64] >> (i % 64) & 1))
			continue;
		if (!n++)
			*first = i;
	}
	return n;
}

static void huge_pages_option(uint64_t val)
{
	struct iommu_option o = { .size = sizeof(o), .option_id = IOMMU_OPTION_HUGE_PAGES,
		.op = IOMMU_OPTION_OP_SET, .object_id = ioas, .val64 = val };

	CHECK(ioctl(iommu_fd, IOMMU_OPTION, &o) == 0);
}

/* MAP_HUGETLB memory: DMA reaches it; a 2 MiB-aligned IOVA gets 2 MiB
 * leaves, 4 KiB ones with huge pages off. */
static void hugetlb_anon(unsigned char *buf)
{
	uint64_t iova = 1ull << 30, first;

	CHECK(((uintptr_t)buf & (HUGE - 1)) == 0);
	map_va(buf, 2 * HUGE, iova);
	CHECK(pinned() == 2 * HUGE / PG);
	dirty_pages(iova, 2 * HUGE, &first);
	dma_copy(iova + 100, buf + 100, iova + HUGE + 2 * PG, buf + HUGE + 2 * PG, 300, 1);
	/* One 4 KiB page written: the whole second huge page is dirty. */
	CHECK(dirty_pages(iova, 2 * HUGE, &first) == HUGE / PG && first == HUGE / PG);
	unmap_all();

	huge_pages_option(0);
	map_va(buf, 2 * HUGE, iova);
	dma_copy(iova + 100, buf + 100, iova + HUGE + 2 * PG, buf + HUGE + 2 * PG, 300, 2);
	CHECK(dirty_pages(iova, 2 * HUGE, &first) == 1 && first == HUGE / PG + 2);
	unmap_all();
	huge_pages_option(1);
	/* An IOVA the kernel picks is aligned for the largest leaf. */
	iova = map_va(buf, 2 * HUGE, 0);
	CHECK((iova & (HUGE - 1)) == 0);
	dma_copy(iova + HUGE - 64, buf + HUGE - 64, iova + 8 * PG, buf + 8 * PG, 128, 3);
	CHECK(dirty_pages(iova, 2 * HUGE, &first) == HUGE / PG && first == 0);
	unmap_all();
}

/* A MFD_HUGETLB memfd (or a plain one, @granule PG): IOAS_MAP_FILE of it
 * whole and of a piece inside a huge page, IOAS_MAP of a view; DMA
 * between them lands in the file, seen through the view. */
static void memfd_case(unsigned int flags, uint64_t size, uint64_t granule)
{
	uint64_t whole, piece, view_iova, first;
	unsigned char *view;
	int fd = memfd_create("siommu-test", MFD_CLOEXEC | flags);

	CHECK(fd >= 0);
	CHECK(ftruncate(fd, (off_t)size) == 0);
	view = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(view != MAP_FAILED);

	whole = map_file(fd, 0, size, 2ull << 30);
	CHECK(pinned() == size / PG);
	piece = map_file(fd, granule + PG, 2 * PG, 0);
	CHECK(pinned() == size / PG + 2);
	/* Half the view: RLIMIT_MEMLOCK's usual 8 MiB holds it all. */
	view_iova = map_va(view, size / 2, 0);
	CHECK(pinned() == size / PG + 2 + size / 2 / PG);

	/* Into the piece: its IOVA is the file's byte granule + PG. */
	dma_copy(whole + 64, view + 64, piece + 100, view + granule + PG + 100, 2 * PG - 100, 4);
	/* Through the view's mapping, into the file mapped whole. */
	dma_copy(view_iova + 3 * PG, view + 3 * PG, whole + granule + 5 * PG,
		 view + granule + 5 * PG, 3 * PG, 5);
	/* The program's writes reach the device through every mapping. */
	dma_copy(whole + 7 * PG, view + 7 * PG, view_iova + 9 * PG, view + 9 * PG, PG, 6);
	if (granule == HUGE) {
		dirty_pages(whole, size, &first);
		dma_copy(view_iova, view, whole + HUGE + 16, view + HUGE + 16, 8, 7);
		CHECK(dirty_pages(whole, size, &first) == HUGE / PG && first == HUGE / PG);
	}
	unmap_all();
	CHECK(munmap(view, size) == 0);
	CHECK(close(fd) == 0);
}

/* Whether huge pages are there to test with; without them, the cases
 * not run are named, or the run fails when they are required. */
static unsigned char *hugetlb_get(void)
{
	unsigned char *buf = mmap(NULL, 2 * HUGE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	const char *req = getenv("SIOMMU_REQUIRE_HUGETLB");

	if (buf != MAP_FAILED)
		return buf;
	if (req && !strcmp(req, "1")) {
		fprintf(stderr, "FAILED: SIOMMU_REQUIRE_HUGETLB=1 but no 2 MiB huge pages "
			"(errno %d): reserve some in /proc/sys/vm/nr_hugepages\n", errno);
		exit(1);
	}
	fprintf(stderr, "*** NOT RUN: the hugetlb cases (MAP_HUGETLB memory, MFD_HUGETLB "
		"memfds, 2 MiB leaves): no 2 MiB huge pages reserved "
		"(/proc/sys/vm/nr_hugepages); the memfd cases run ***\n");
	return NULL;
}

int main(void)
{
	struct iommu_hwpt_alloc ha = { .size = sizeof(ha),
				       .flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING };
	struct iommu_ioas_alloc ia = { .size = sizeof(ia) };
	uint32_t dev_id, pt;
	unsigned char *huge;

	get_acct = (siommu_preload_get_acct_fn)dlsym(RTLD_DEFAULT, SIOMMU_PRELOAD_GET_ACCT);
	CHECK(get_acct);
	iommu_fd = open("/dev/iommu", O_RDWR);
	CHECK(iommu_fd >= 0);
	dev = open("/dev/vfio/devices/vfio0", O_RDWR);
	CHECK(dev >= 0);
	CHECK(vfio_bind(dev, iommu_fd, &dev_id) == 0);
	CHECK(ioctl(iommu_fd, IOMMU_IOAS_ALLOC, &ia) == 0);
	ioas = ia.out_ioas_id;
	ha.dev_id = dev_id;
	ha.pt_id = ioas;
	CHECK(ioctl(iommu_fd, IOMMU_HWPT_ALLOC, &ha) == 0);
	hwpt = pt = ha.out_hwpt_id;
	CHECK(vfio_attach(dev, 0, 0, &pt) == 0 && pt == hwpt);
	CHECK(ioctl(iommu_fd, IOMMU_HWPT_SET_DIRTY_TRACKING,
		    &(struct iommu_hwpt_set_dirty_tracking){
			    .size = sizeof(struct iommu_hwpt_set_dirty_tracking),
			    .flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE, .hwpt_id = hwpt }) == 0);

	memfd_case(0, 64 * PG, PG);
	puts("memfd: ok");
	huge = hugetlb_get();
	if (huge) {
		hugetlb_anon(huge);
		CHECK(munmap(huge, 2 * HUGE) == 0);
		puts("MAP_HUGETLB: ok");
		memfd_case(MFD_HUGETLB, 2 * HUGE, HUGE);
		puts("MFD_HUGETLB memfd: ok");
	}
	CHECK(close(dev) == 0);
	CHECK(close(iommu_fd) == 0);
	return 0;
}

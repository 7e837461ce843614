/* SPDX-License-Identifier: MIT */
/*
 * fork() with /dev/iommu and VFIO device fds open, as a program that
 * knows nothing of siommu sees it, run under libsiommu-preload.so on the
 * default machine: the child works on the parent's objects through the
 * fds it inherits (the same errnos as the parent, arrays behind
 * pointers, queue fds, the device's registers); memory the child maps,
 * from a memfd and from its private anonymous memory, is what the device
 * reaches, and stays pinned after the child unmaps it or exits; closing
 * in one process leaves the objects to the other, the last close
 * anywhere destroys them; a grandchild shares them too; a second child
 * gets the parent's GET_HW_INFO data and container GET_INFO bytes, maps
 * its memory in a container, and opens a context and a device of its own;
 * a child whose opener has exited gets EIO, also with a sibling alive.
 */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <siommu/iommufd_abi.h>
#include <siommu/vfio_abi.h>
#include <siommu/vfio_dmaeng.h>

#include "prog.h"

#define PG 4096
#define PIOVA 0x100000ull	/* the parent's buffer */
#define MIOVA 0x200000ull	/* the child's memfd buffer */
#define AIOVA 0x300000ull	/* the child's anonymous buffer */
#define SIOVA 0x400000ull	/* shared anonymous memory, the parent's too */
#define FIOVA 0x500000ull	/* a file the child mapped and closed */

static int iommu_fd, dev;
static uint32_t ioas, dev_id;
static unsigned char *pbuf, *sbuf;

static uint32_t ioas_alloc(int fd)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	CHECK(ioctl(fd, IOMMU_IOAS_ALLOC, &a) == 0);
	return a.out_ioas_id;
}

static int map_at(int fd, uint32_t id, void *va, uint64_t len, uint64_t iova)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m), .ioas_id = id, .user_va = (uintptr_t)va, .length = len,
		.iova = iova, .flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
				       IOMMU_IOAS_MAP_WRITEABLE,
	};

	return ioctl(fd, IOMMU_IOAS_MAP, &m);
}

static int unmap(int fd, uint32_t id, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = id, .iova = iova,
				      .length = len };

	return ioctl(fd, IOMMU_IOAS_UNMAP, &u);
}

/* The device copies @len bytes from @src to @dst (IOVAs): its status. */
static uint32_t dma(int d, uint64_t src, uint64_t dst, uint64_t len)
{
	eng_write64(d, SIOMMU_DMAENG_SRC, src);
	eng_write64(d, SIOMMU_DMAENG_DST, dst);
	eng_write64(d, SIOMMU_DMAENG_LEN, len);
	return eng_run(d);
}

/* How many threads this process has. */
static unsigned int threads(void)
{
	unsigned int n = 0;
	struct dirent *d;
	DIR *dir = opendir("/proc/self/task");

	CHECK(dir);
	while ((d = readdir(dir)))
		n += d->d_name[0] != '.';
	closedir(dir);
	return n;
}

static bool filled(const unsigned char *p, unsigned char c, size_t len)
{
	while (len--)
		if (*p++ != c)
			return false;
	return true;
}

/* The errnos of a set of bad calls on @fd: the same from any process. */
#define NR_BAD 9
static void bad_calls(int fd, int *err)
{
	union {
		unsigned char b[128];
		struct iommu_destroy d;
		struct iommu_ioas_map m;
		struct iommu_ioas_alloc a;
	} u;
	struct iommu_ioas_iova_ranges r = { .size = sizeof(r), .ioas_id = ioas, .num_iovas = 1,
					    .allowed_iovas = 0 };
	int i = 0;

#define BAD(call) do { errno = 0; CHECK((call) == -1); err[i++] = errno; } while (0)
	memset(&u, 0, sizeof(u));
	u.d = (struct iommu_destroy){ .size = sizeof(u.d), .id = 0xdead };
	BAD(ioctl(fd, IOMMU_DESTROY, &u));
	u.d.size = 4;
	BAD(ioctl(fd, IOMMU_DESTROY, &u));
	u.a = (struct iommu_ioas_alloc){ .size = sizeof(u.a) + 8 };
	u.b[sizeof(u.a) + 3] = 1;
	BAD(ioctl(fd, IOMMU_IOAS_ALLOC, &u));
	memset(&u, 0, sizeof(u));
	u.m = (struct iommu_ioas_map){ .size = sizeof(u.m), .ioas_id = ioas, .length = PG,
				       .flags = IOMMU_IOAS_MAP_READABLE };
	BAD(ioctl(fd, IOMMU_IOAS_MAP, &u));	/* no memory at 0 */
	u.m.length = 0;
	BAD(ioctl(fd, IOMMU_IOAS_MAP, &u));
	BAD(ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &r));
	BAD(ioctl(fd, IOMMU_IOAS_ALLOC, NULL));
	BAD(ioctl(fd, _IO(IOMMUFD_TYPE, 0x7f), &u));
	BAD(read(fd, u.b, 8));
#undef BAD
	CHECK(i == NR_BAD);
}

/* The child of the main test: works on the parent's objects, maps its
 * own memory, tells the parent where over @out, exits when @in closes. */
static void child(int in, int out)
{
	struct iommu_iova_range ranges[8];
	struct iommu_ioas_iova_ranges r = { .size = sizeof(r), .ioas_id = ioas, .num_iovas = 8,
					    .allowed_iovas = (uintptr_t)ranges };
	struct iommu_fault_alloc fa = { .size = sizeof(fa) };
	int perr[NR_BAD], cerr[NR_BAD], mfd, qfd, dup_fd;
	unsigned char *mbuf, *abuf, b;
	struct pollfd pfd;
	pid_t gc;
	int st;

	/* The parent's errnos came through the pipe. */
	CHECK(read(in, perr, sizeof(perr)) == sizeof(perr));
	bad_calls(iommu_fd, cerr);
	CHECK(!memcmp(perr, cerr, sizeof(perr)));

	/* Arrays behind pointers: the parent's IOAS has its buffer. */
	CHECK(ioctl(iommu_fd, IOMMU_IOAS_IOVA_RANGES, &r) == 0);
	CHECK(r.num_iovas >= 1 && ranges[0].start == 0);

	/* A memfd's memory and our anonymous memory, mapped in the
	 * parent's IOAS. */
	mfd = memfd_create("child-buf", MFD_CLOEXEC);
	CHECK(mfd >= 0 && ftruncate(mfd, PG) == 0);
	mbuf = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	CHECK(mbuf != MAP_FAILED);
	memset(mbuf, 'M', PG);
	abuf = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(abuf != MAP_FAILED);
	memset(abuf, 'A', 2 * PG);
	CHECK(map_at(iommu_fd, ioas, mbuf, PG, MIOVA) == 0);
	CHECK(map_at(iommu_fd, ioas, abuf, 2 * PG, AIOVA) == 0);
	/* The pin follows our memory: what we write now, the device reads. */
	memset(abuf, 'B', 2 * PG);
	/* The same IOVA again: the parent's rules. */
	FAILS(map_at(iommu_fd, ioas, mbuf, PG, MIOVA), EEXIST);
	/* Memory shared with the parent since before the fork stays shared:
	 * what we write the parent sees, and its device reads. */
	CHECK(map_at(iommu_fd, ioas, sbuf, PG, SIOVA) == 0);
	memset(sbuf, 'T', PG);
	/* A file we mapped shared and closed: found again by its path. */
	{
		char path[] = "/tmp/siommu-fork-XXXXXX";
		unsigned char *fbuf;
		int ffd = mkstemp(path);

		CHECK(ffd >= 0 && ftruncate(ffd, PG) == 0);
		fbuf = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, ffd, 0);
		CHECK(fbuf != MAP_FAILED);
		close(ffd);
		memset(fbuf, 'F', PG);
		CHECK(map_at(iommu_fd, ioas, fbuf, PG, FIOVA) == 0);
		unlink(path);
	}

	/* The device, driven from here, writes our memfd's page. */
	CHECK(dma(dev, PIOVA, MIOVA, 64) == SIOMMU_DMAENG_ST_DONE);
	CHECK(filled(mbuf, 'P', 64) && mbuf[64] == 'M');

	/* A fault queue of our own: an fd of ours, polled and read. */
	CHECK(ioctl(iommu_fd, IOMMU_FAULT_QUEUE_ALLOC, &fa) == 0);
	qfd = (int)fa.out_fault_fd;
	pfd = (struct pollfd){ .fd = qfd, .events = POLLIN };
	CHECK(poll(&pfd, 1, 0) == 0);
	CHECK(read(qfd, &b, 0) == 0);
	FAILS(read(qfd, &b, 1), ESPIPE);
	FAILS(write(qfd, &(struct iommu_hwpt_page_response){ .cookie = 99 },
		    sizeof(struct iommu_hwpt_page_response)), EINVAL);
	FAILS(ioctl(qfd, IOMMU_IOAS_ALLOC, &(struct iommu_ioas_alloc){ .size = 16 }), ENOTTY);
	CHECK(close(qfd) == 0);
	CHECK(ioctl(iommu_fd, IOMMU_DESTROY, &(struct iommu_destroy){
		.size = sizeof(struct iommu_destroy), .id = fa.out_fault_id }) == 0);
	FAILS(pread(iommu_fd, &b, 1, 0), ESPIPE);

	/* A dup is the same handle; closing it leaves the other. */
	dup_fd = dup(iommu_fd);
	CHECK(dup_fd >= 0 && close(dup_fd) == 0);
	CHECK(ioas_alloc(iommu_fd) != 0);

	/* A grandchild shares them too. */
	gc = fork();
	CHECK(gc >= 0);
	if (!gc) {
		CHECK(ioas_alloc(iommu_fd) != 0);
		CHECK(eng_read32(dev, SIOMMU_DMAENG_ID) == SIOMMU_DMAENG_ID_VALUE);
		_exit(0);
	}
	CHECK(waitpid(gc, &st, 0) == gc && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* Its service is the opener's: nothing of the library runs here. */
	CHECK(threads() == 1);

	/* The memfd page leaves the IOAS; the anonymous pages stay mapped
	 * as we exit. */
	CHECK(unmap(iommu_fd, ioas, MIOVA, PG) == 0);
	CHECK(write(out, "m", 1) == 1);
	CHECK(read(in, &b, 1) == 0);
	_exit(0);
}

/* The opener exits before its child: the child's calls fail with EIO,
 * never hang, also while a sibling forked after it lives on. Reports
 * over @res. */
static void orphan(int res)
{
	int gate[2], hold[2], fd;
	unsigned char b;
	pid_t c, sib;

	CHECK(pipe(gate) == 0 && pipe(hold) == 0);
	fd = open("/dev/iommu", O_RDWR);
	CHECK(fd >= 0);
	CHECK(ioas_alloc(fd) != 0);
	c = fork();
	CHECK(c >= 0);
	if (c) {
		sib = fork();
		CHECK(sib >= 0);
		if (!sib) {
			close(gate[1]);
			close(hold[1]);
			read(hold[0], &b, 1);
			_exit(0);
		}
		/* The opener: exits, its end of the gate with it. */
		_exit(0);
	}
	close(gate[1]);
	close(hold[0]);
	{
		struct iommu_ioas_alloc a = { .size = sizeof(a) };
		unsigned int n = 0;
		int ok;

		CHECK(read(gate[0], &b, 1) == 0);
		/* The opener's service ends with it (its exit closes the
		 * gate a moment before). */
		while (ioctl(fd, IOMMU_IOAS_ALLOC, &a) == 0 && n++ < 5000)
			usleep(1000);
		ok = errno == EIO;
		ok = ok && read(fd, &b, 1) == -1 && errno == EIO;
		ok = ok && close(fd) == 0;
		CHECK(write(res, ok ? "y" : "n", 1) == 1);
		_exit(0);
	}
}

/* fork() with a pipe each way: in each process, *in reads what the other
 * writes to its *out. Returns the child's pid (0 in the child). */
static pid_t fork_piped(int *in, int *out)
{
	int down[2], up[2];
	pid_t c;

	CHECK(pipe(down) == 0 && pipe(up) == 0);
	c = fork();
	CHECK(c >= 0);
	close(c ? down[0] : down[1]);
	close(c ? up[1] : up[0]);
	*in = c ? up[0] : down[0];
	*out = c ? down[1] : up[1];
	return c;
}

/* What the parent saw before the fork, for the second child to compare. */
static unsigned char hw_data[64], info[512];
static int bad_map_errno;

/* GET_HW_INFO (its data behind a pointer) on @fd. */
static void hw_info(int fd, unsigned char *data)
{
	struct iommu_hw_info h = { .size = sizeof(h), .dev_id = dev_id, .data_len = 64,
				   .data_uptr = (uintptr_t)data };

	memset(data, 0xee, 64);
	CHECK(ioctl(fd, IOMMU_GET_HW_INFO, &h) == 0);
}

/* The VFIO container @c: an IOAS of its own as the compatibility IOAS,
 * type1v2, and its GET_INFO (capabilities written after the struct). */
static void container_info(int c, unsigned char *out)
{
	struct vfio_iommu_type1_info *i = (void *)out;
	struct iommu_vfio_ioas v = { .size = sizeof(v), .op = IOMMU_VFIO_IOAS_SET,
				     .ioas_id = ioas_alloc(c) };

	CHECK(ioctl(c, IOMMU_VFIO_IOAS, &v) == 0);
	CHECK(ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) == 0);
	memset(out, 0, 512);
	i->argsz = 512;
	CHECK(ioctl(c, VFIO_IOMMU_GET_INFO, i) == 0);
	CHECK(i->cap_offset != 0);
}

/* A MAP_DMA of no memory (at the address nothing maps): 0 (no domain
 * needs the pages yet: Linux pins, and fails, only then), unmapped
 * again, or its errno. */
static int bad_map_dma(int c)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m), .flags = VFIO_DMA_MAP_FLAG_READ, .vaddr = PG,
		.iova = 0x10000000, .size = PG };
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u), .iova = 0x10000000, .size = PG };

	if (ioctl(c, VFIO_IOMMU_MAP_DMA, &m))
		return errno;
	CHECK(ioctl(c, VFIO_IOMMU_UNMAP_DMA, &u) == 0);
	return 0;
}

/* The second child: the parent's data behind pointers, the container,
 * and files it opens itself (served by the parent). */
static void child2(void)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m), .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.iova = 0x10000000, .size = 2 * PG };
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u), .iova = 0x10000000,
						.size = 2 * PG };
	unsigned char data[64], cinfo[512], *buf;
	uint32_t id, nid, nioas;
	int c, nfd, ndev;

	hw_info(iommu_fd, data);
	CHECK(!memcmp(data, hw_data, sizeof(data)));

	/* The container: the same reply, our memory mapped and unmapped. */
	c = open("/dev/vfio/vfio", O_RDWR);
	CHECK(c >= 0);
	CHECK(ioctl(c, VFIO_GET_API_VERSION) == VFIO_API_VERSION);
	CHECK(ioctl(c, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) == 1);
	container_info(c, cinfo);
	CHECK(!memcmp(cinfo, info, sizeof(cinfo)));
	CHECK(bad_map_dma(c) == bad_map_errno);
	buf = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(buf != MAP_FAILED);
	m.vaddr = (uintptr_t)buf;
	CHECK(ioctl(c, VFIO_IOMMU_MAP_DMA, &m) == 0);
	CHECK(ioctl(c, VFIO_IOMMU_UNMAP_DMA, &u) == 0 && u.size == 2 * PG);
	close(c);

	/* Files of our own: a context and a device, the device copying
	 * within our buffer. */
	nfd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	ndev = open("/dev/vfio/devices/vfio2", O_RDWR);
	CHECK(nfd >= 0 && ndev >= 0);
	FAILS(open("/dev/vfio/devices/vfio99", O_RDWR), ENOENT);
	CHECK(vfio_bind(ndev, nfd, &nid) == 0);
	nioas = ioas_alloc(nfd);
	id = nioas;
	CHECK(vfio_attach(ndev, 0, 0, &id) == 0);
	memset(buf, 'x', PG);
	memset(buf + PG, 'y', PG);
	CHECK(map_at(nfd, nioas, buf, 2 * PG, AIOVA) == 0);
	CHECK(dma(ndev, AIOVA, AIOVA + PG, 100) == SIOMMU_DMAENG_ST_DONE);
	CHECK(filled(buf + PG, 'x', 100) && buf[PG + 100] == 'y');
	_exit(0);
}

int main(void)
{
	int perr[NR_BAD], in, out, fd2, dev1, other;
	unsigned char b;
	uint32_t id2, dev1_id, i;
	pid_t c;
	int st;

	signal(SIGPIPE, SIG_IGN);
	/* The opener gone first (an opener of its own: we have no fds yet). */
	c = fork_piped(&in, &out);
	if (!c)
		orphan(out);
	CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(read(in, &b, 1) == 1 && b == 'y');
	close(in);
	close(out);

	iommu_fd = open("/dev/iommu", O_RDWR);
	CHECK(iommu_fd >= 0);
	dev = open("/dev/vfio/devices/vfio0", O_RDWR);
	CHECK(dev >= 0);
	CHECK(vfio_bind(dev, iommu_fd, &dev_id) == 0);
	ioas = ioas_alloc(iommu_fd);
	CHECK(vfio_attach(dev, 0, 0, &(uint32_t){ ioas }) == 0);
	pbuf = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	sbuf = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(pbuf != MAP_FAILED && sbuf != MAP_FAILED);
	memset(sbuf, 'S', PG);
	memset(pbuf, 'P', PG);
	CHECK(map_at(iommu_fd, ioas, pbuf, PG, PIOVA) == 0);
	bad_calls(iommu_fd, perr);
	hw_info(iommu_fd, hw_data);
	other = open("/dev/vfio/vfio", O_RDWR);
	CHECK(other >= 0);
	container_info(other, info);
	bad_map_errno = bad_map_dma(other);
	close(other);

	/* The child: its memory, mapped into our IOAS, reached by our
	 * device. */
	c = fork_piped(&in, &out);
	if (!c)
		child(in, out);
	CHECK(write(out, perr, sizeof(perr)) == sizeof(perr));
	CHECK(read(in, &b, 1) == 1 && b == 'm');
	/* The shared page, as the child wrote it after mapping it; the
	 * file's page. */
	CHECK(filled(sbuf, 'T', PG));
	CHECK(dma(dev, SIOVA, PIOVA, 32) == SIOMMU_DMAENG_ST_DONE && filled(pbuf, 'T', 32));
	CHECK(dma(dev, FIOVA, PIOVA, 32) == SIOMMU_DMAENG_ST_DONE && filled(pbuf, 'F', 32));
	CHECK(unmap(iommu_fd, ioas, SIOVA, PG) == 0 && unmap(iommu_fd, ioas, FIOVA, PG) == 0);
	/* The child's anonymous pages, with what it wrote after mapping. */
	CHECK(dma(dev, AIOVA + 16, PIOVA, 128) == SIOMMU_DMAENG_ST_DONE);
	CHECK(filled(pbuf, 'B', 128) && pbuf[128] == 'P');
	/* Its memfd page is gone from the IOAS. */
	CHECK(dma(dev, MIOVA, PIOVA, 8) == SIOMMU_DMAENG_ST_FAULT);
	close(out);
	CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(in);
	/* The child has exited: its pinned pages stay valid. */
	memset(pbuf, 'P', PG);
	CHECK(dma(dev, AIOVA + 16 + PG, PIOVA, 256) == SIOMMU_DMAENG_ST_DONE);
	CHECK(filled(pbuf, 'B', 256));
	CHECK(unmap(iommu_fd, ioas, AIOVA, 2 * PG) == 0);

	/* The second child; its device is free again once it has exited. */
	c = fork();
	CHECK(c >= 0);
	if (!c)
		child2();
	CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	fd2 = open("/dev/iommu", O_RDWR);
	other = open("/dev/vfio/devices/vfio2", O_RDWR);
	CHECK(fd2 >= 0 && other >= 0);
	for (i = 0; i < 5000 && vfio_bind(other, fd2, &dev1_id); i++)
		usleep(1000);
	CHECK(i < 5000);
	close(other);
	close(fd2);

	/* Closing in one process leaves the objects to the other; the last
	 * close anywhere destroys them (the device is free to bind). */
	fd2 = open("/dev/iommu", O_RDWR);
	dev1 = open("/dev/vfio/devices/vfio1", O_RDWR);
	CHECK(fd2 >= 0 && dev1 >= 0);
	CHECK(vfio_bind(dev1, fd2, &dev1_id) == 0);
	id2 = ioas_alloc(fd2);
	c = fork_piped(&in, &out);
	if (!c) {
		/* After the parent's close: the objects are there. */
		CHECK(read(in, &b, 1) == 1);
		CHECK(map_at(fd2, id2, pbuf, PG, PIOVA) == 0);
		CHECK(vfio_attach(dev1, 0, 0, &(uint32_t){ id2 }) == 0);
		CHECK(dma(dev1, PIOVA, PIOVA + 64, 64) == SIOMMU_DMAENG_ST_DONE);
		CHECK(write(out, "d", 1) == 1);
		CHECK(read(in, &b, 1) == 0);
		_exit(0);
	}
	CHECK(close(fd2) == 0 && close(dev1) == 0);
	CHECK(write(out, "c", 1) == 1);
	CHECK(read(in, &b, 1) == 1 && b == 'd');
	/* The device stays bound while the child holds its file. */
	other = open("/dev/vfio/devices/vfio1", O_RDWR);
	fd2 = open("/dev/iommu", O_RDWR);
	CHECK(other >= 0 && fd2 >= 0);
	FAILS(vfio_bind(other, fd2, &dev1_id), EINVAL);
	close(out);
	close(in);
	CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* The child's exit lets the objects go; its service notices. */
	for (i = 0; i < 5000 && vfio_bind(other, fd2, &dev1_id); i++)
		usleep(1000);
	CHECK(i < 5000);
	close(other);
	close(fd2);

	CHECK(unmap(iommu_fd, ioas, PIOVA, PG) == 0);
	close(dev);
	close(iommu_fd);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* Small compiler helpers shared by the whole library (internal). */
#ifndef SIOMMU_UTIL_COMPILER_H
#define SIOMMU_UTIL_COMPILER_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define SIOMMU_EXPORT __attribute__((visibility("default")))
#define inline_hot inline __attribute__((__always_inline__))

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

/* Relaxed single-copy-atomic accesses of shared words. */
#define READ_ONCE(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define LOAD_ACQUIRE(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE_RELEASE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

/* Debug-build check of an internal invariant (never of caller input). */
#ifdef NDEBUG
#define SIOMMU_ASSERT(x) ((void)0)
#else
#define SIOMMU_ASSERT(x) assert(x)
#endif

/* A spin-wait loop's pause: lets the sibling hyperthread run. */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
#endif
}

static inline uint64_t align_down64(uint64_t x, uint64_t a) { return x & ~(a - 1); }
static inline int is_aligned64(uint64_t x, uint64_t a) { return (x & (a - 1)) == 0; }

#endif

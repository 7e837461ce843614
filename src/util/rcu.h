/* SPDX-License-Identifier: MIT */
/*
 * RCU for the library (internal): liburcu's urcu-bp flavour, inlined.
 *
 * urcu-bp needs no thread registration, so embedders' threads can translate
 * and walk tables without telling us about themselves. Read-side sections
 * nest. synchronize_rcu() waits for every section that started before it.
 *
 * ThreadSanitizer does not understand liburcu's grace periods, so under TSan
 * each read-side unlock releases, and each grace period acquires, one token:
 * the happens-before edge RCU guarantees between "a reader finished with an
 * object" and "the updater frees it". Elsewhere the annotations compile away.
 */
#ifndef SIOMMU_UTIL_RCU_H
#define SIOMMU_UTIL_RCU_H

#ifndef _LGPL_SOURCE
#define _LGPL_SOURCE
#endif
#include <urcu-bp.h>

#if defined(__SANITIZE_THREAD__)
#define SIOMMU_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SIOMMU_TSAN 1
#endif
#endif

#ifdef SIOMMU_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
extern char siommu_rcu_tsan_token;
#define siommu_rcu_read_lock() rcu_read_lock()
#define siommu_rcu_read_unlock() \
	do { __tsan_release(&siommu_rcu_tsan_token); rcu_read_unlock(); } while (0)
#define siommu_synchronize_rcu() \
	do { synchronize_rcu(); __tsan_acquire(&siommu_rcu_tsan_token); } while (0)
#else
#define siommu_rcu_read_lock() rcu_read_lock()
#define siommu_rcu_read_unlock() rcu_read_unlock()
#define siommu_synchronize_rcu() synchronize_rcu()
#endif

#endif

/* SPDX-License-Identifier: MIT */
#include "util/rcu.h"

#ifdef SIOMMU_TSAN
/* Only an address for TSan's happens-before bookkeeping; never read. */
char siommu_rcu_tsan_token;
#endif

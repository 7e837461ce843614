/* SPDX-License-Identifier: MIT */
/*
 * Checks for the programs the preload suite runs: they know nothing of
 * siommu but its ABI headers, so they use libc alone.
 */
#ifndef SIOMMU_TESTS_PRELOAD_PROG_H
#define SIOMMU_TESTS_PRELOAD_PROG_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(c)                                                           \
	do {                                                               \
		if (!(c)) {                                                \
			fprintf(stderr, "%s:%d: failed: %s (errno %d)\n",  \
				__FILE__, __LINE__, #c, errno);            \
			exit(1);                                           \
		}                                                          \
	} while (0)

/* @call fails with @err. */
#define FAILS(call, err) CHECK((call) == -1 && errno == (err))

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Reading a fuzz input as a program: take() consumes little-endian values
 * from the front; past the end it yields zeros, so every input is a whole
 * program.
 */
#ifndef SIOMMU_TEST_FUZZ_INPUT_H
#define SIOMMU_TEST_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct in {
	const uint8_t *p;
	size_t n;
};

static inline uint64_t take(struct in *in, unsigned int bytes)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < bytes && in->n; i++, in->n--)
		v |= (uint64_t)*in->p++ << (8 * i);
	return v;
}

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Plain driver for a libFuzzer target (LLVMFuzzerTestOneInput; the VT-d
 * model's first, now every target's), for compilers without libFuzzer:
 * replays the files named on the command line (a directory stands for the
 * files in it, as a libFuzzer corpus), or a number of pseudo-random inputs
 * (SIOMMU_TEST_SEED picks the sequence, SIOMMU_TEST_OPS how many; a
 * target's build may give its own default seed as FUZZ_SEED). The 'fuzz'
 * suite runs it.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "test.h"

#ifndef FUZZ_SEED
#define FUZZ_SEED 0xf0220
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *name)
{
	static uint8_t buf[1 << 20];
	FILE *f = fopen(name, "rb");
	size_t n;

	if (!f) {
		perror(name);
		return 1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	return 0;
}

static int replay(const char *name)
{
	struct dirent *e;
	struct stat st;
	char path[4096];
	DIR *d;
	int ret = 0;

	if (stat(name, &st) || !S_ISDIR(st.st_mode))
		return replay_file(name);
	d = opendir(name);
	if (!d) {
		perror(name);
		return 1;
	}
	while (!ret && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", name, e->d_name);
		ret = replay(path);
	}
	closedir(d);
	return ret;
}

int main(int argc, char **argv)
{
	static uint8_t buf[4096];
	struct test_rng rng;
	uint64_t i, n;
	int a;

	if (argc > 1) {
		for (a = 1; a < argc; a++)
			if (replay(argv[a]))
				return 1;
		return 0;
	}
	rng = test_rng_init(FUZZ_SEED);
	n = test_ops(3000);
	for (i = 0; i < n; i++) {
		size_t len = (size_t)test_rand_below(&rng, sizeof(buf)), j;

		for (j = 0; j < len; j++)
			buf[j] = (uint8_t)test_rand(&rng);
		LLVMFuzzerTestOneInput(buf, len);
	}
	return 0;
}

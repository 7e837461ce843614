/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the scenario loader (tools/scenario.c), parse and check
 * only, never run. Any input must come back as a scenario or as an error
 * message of the form "NAME..." (the file's name leads every message),
 * without a crash, a leak or a hang; a scenario that loads frees cleanly.
 * Seeds: examples/scenarios/. The fuzz suite replays the seeds and
 * fuzz_regress/ through the plain driver.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512] = "";
	struct scenario *sc = scenario_load_buf("in", data, size, NULL, err, sizeof(err));

	if (!sc && strncmp(err, "in", 2))
		abort();
	scenario_free(sc);
	return 0;
}

/* SPDX-License-Identifier: MIT */
#ifndef SIOMMU_TOOLS_DEMO_H
#define SIOMMU_TOOLS_DEMO_H

#include <stdio.h>

/* Run the built-in demo, printing to @out. Returns 0 or a negative errno. */
int demo_run(FILE *out);

#endif

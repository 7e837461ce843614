/* SPDX-License-Identifier: MIT */
#ifndef SIOMMU_TOOLS_DEMO_H
#define SIOMMU_TOOLS_DEMO_H

#include <stdio.h>

/* The unit the demo's devices sit behind. */
enum demo_unit { DEMO_VTD, DEMO_SMMUV3 };

/* Run the built-in demo on a unit of type @unit, printing to @out.
 * Returns 0 or a negative errno. */
int demo_run(FILE *out, enum demo_unit unit);

#endif

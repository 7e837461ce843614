/* SPDX-License-Identifier: MIT */
/*
 * The machine behind /dev/iommu and the VFIO device files: a scenario
 * file's units and devices (docs/scenarios.md), built by the scenario
 * loader the `siommu` tool runs, once per process. The file is the one
 * $SIOMMU_SCENARIO names; without it, the default below. Device N of the
 * file's `devices` list (in file order, whatever its unit) is
 * /dev/vfio/devices/vfioN; the rest of the file (domains, attachments,
 * processes, the workload) is for `siommu run` and is not built here:
 * the program makes its own through iommufd.
 *
 * The machine stays for the life of the process. machine_lock is taken
 * alone: building the machine may close fds, which takes the fd table's
 * lock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <siommu/mock.h>

#include "preload/shim.h"
#include "scenario.h"

/* One VT-d unit and four PCIe devices with 20-bit PASIDs, ATS and PRI. */
static const char default_scenario[] =
	"units:\n"
	"  - { name: vtd0, type: vtd, aw: 48, pasid_bits: 20 }\n"
	"devices:\n"
	"  - { name: dev0, unit: vtd0, rid: \"00:01.0\", pasid_bits: 20, ats: true, pri: true }\n"
	"  - { name: dev1, unit: vtd0, rid: \"00:02.0\", pasid_bits: 20, ats: true, pri: true }\n"
	"  - { name: dev2, unit: vtd0, rid: \"00:03.0\", pasid_bits: 20, ats: true, pri: true }\n"
	"  - { name: dev3, unit: vtd0, rid: \"00:04.0\", pasid_bits: 20, ats: true, pri: true }\n"
	"domains: []\n"
	"attach: []\n";

static pthread_mutex_t machine_lock = PTHREAD_MUTEX_INITIALIZER;
static struct scenario *machine;
static struct dmaeng *engines[SCENARIO_MAX_ITEMS];
static bool taken[SCENARIO_MAX_ITEMS];	/* a device file has it bound */
static int machine_err;		/* the build failed: every call says so */
static bool built;		/* atomic: machine is set */
static struct siommu_unit *test_unit;	/* test mode's mock unit, or NULL */

static struct scenario *load(char *err, size_t errlen)
{
	const char *path = getenv("SIOMMU_SCENARIO");

	if (path && *path)
		return scenario_load(path, NULL, err, errlen);
	return scenario_load_buf("(default machine)", default_scenario,
				 sizeof(default_scenario) - 1, NULL, err, errlen);
}

/* Test mode ($SIOMMU_IOMMUFD_TEST=1): IOMMU_TEST_CMD answers, over a
 * mock unit beside the scenario's. */
static bool test_mode(void)
{
	const char *test = getenv("SIOMMU_IOMMUFD_TEST");

	return test && !strcmp(test, "1");
}

/* The scenario's machine with an engine per device. */
static int build(char *err, size_t errlen)
{
	struct scenario *sc;
	unsigned int i;
	int ret;

	sc = load(err, errlen);
	if (!sc)
		return -EINVAL;
	ret = scenario_build_machine(sc, err, errlen);
	if (!ret && test_mode()) {
		ret = siommu_unit_add_mock(scenario_ctx(sc), &test_unit);
		if (ret)
			snprintf(err, errlen, "test mode: no mock unit: %s", strerror(-ret));
	}
	for (i = 0; !ret && i < scenario_num_devices(sc); i++) {
		struct scenario_device d;

		ret = scenario_device(sc, i, &d);
		if (ret)
			break;
		ret = dmaeng_create(scenario_ctx(sc), d.unit, d.dev, &engines[i]);
		if (ret)
			snprintf(err, errlen, "device '%s' (line %d): no DMA engine: %s",
				 d.name, d.line, strerror(-ret));
	}
	if (ret) {
		while (i--)
			dmaeng_destroy(engines[i]);
		memset(engines, 0, sizeof(engines));
		scenario_free(sc);
		return ret;
	}
	machine = sc;
	__atomic_store_n(&built, true, __ATOMIC_RELEASE);
	return 0;
}

bool machine_built(void)
{
	return __atomic_load_n(&built, __ATOMIC_ACQUIRE);
}

int machine_get(struct siommu_ctx **ctx)
{
	char err[512] = "";
	int ret = 0;

	pthread_mutex_lock(&machine_lock);
	if (!machine && !machine_err) {
		ret = build(err, sizeof(err));
		if (ret) {
			machine_err = ret;
			fprintf(stderr, "libsiommu-preload: %s\n", err);
		}
	}
	ret = machine_err;
	if (!ret)
		*ctx = scenario_ctx(machine);
	pthread_mutex_unlock(&machine_lock);
	return ret;
}

struct siommu_unit *machine_test_unit(void)
{
	struct siommu_unit *unit;

	pthread_mutex_lock(&machine_lock);
	unit = test_unit;
	pthread_mutex_unlock(&machine_lock);
	return unit;
}

int machine_device_take(unsigned int index)
{
	int ret = 0;

	pthread_mutex_lock(&machine_lock);
	if (index >= SCENARIO_MAX_ITEMS || taken[index])
		ret = -EBUSY;
	else
		taken[index] = true;
	pthread_mutex_unlock(&machine_lock);
	return ret;
}

void machine_device_give(unsigned int index)
{
	pthread_mutex_lock(&machine_lock);
	taken[index] = false;
	pthread_mutex_unlock(&machine_lock);
}

int machine_device(unsigned int index, struct siommu_device **dev, struct dmaeng **eng)
{
	struct scenario_device d;
	struct siommu_ctx *ctx;
	int ret;

	ret = machine_get(&ctx);
	if (ret)
		return ret;
	ret = scenario_device(machine, index, &d);
	if (ret)
		return ret;
	*dev = d.dev;
	*eng = engines[index];
	return 0;
}

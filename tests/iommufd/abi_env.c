/* SPDX-License-Identifier: MIT */
/* The machine behind the ABI tests (abi_env.h), over the object model. */
#include <siommu/iommufd_abi.h>
#include <siommu/mock.h>

#include "abi_env.h"
#include "iommufd_test.h"

#define PRI_RID 0x400

struct abi_env {
	struct tfd t;
	struct siommu_device *pri;
	uint32_t dev_id[ABI_ENV_PRI_DEV + 1];
	struct tfd_resp_log log;
};

struct abi_env *abi_env_create(uint64_t limit_pages)
{
	return abi_env_create_mode(limit_pages, false);
}

struct abi_env *abi_env_create_mode(uint64_t limit_pages, bool test_mode)
{
	struct abi_env *e = calloc(1, sizeof(*e));
	struct siommu_unit *mock;
	unsigned int i;

	CHECK(e);
	tfd_setup(&e->t, limit_pages);
	if (test_mode) {
		siommu_iommufd_destroy(e->t.ictx);
		CHECK_OK(siommu_unit_add_mock(e->t.ctx, &mock));
		CHECK_OK(siommu_iommufd_create(&(struct siommu_iommufd_cfg){
			.ctx = e->t.ctx, .user = e->t.user, .test_unit = mock }, &e->t.ictx));
	}
	CHECK_OK(siommu_device_add(e->t.unit, &(struct siommu_device_cfg){
		.rid = PRI_RID, .pasid_bits = 20, .flags = SIOMMU_DEV_PRI,
		.alias_rid = SIOMMU_NO_ALIAS }, &e->pri));
	tfd_pri_register(&e->t, PRI_RID, &e->log);
	for (i = 0; i < TFD_NR_DEVS; i++)
		CHECK_OK(siommu_iommufd_bind(e->t.ictx, e->t.dev[i], &e->dev_id[i]));
	CHECK_OK(siommu_iommufd_bind(e->t.ictx, e->pri, &e->dev_id[ABI_ENV_PRI_DEV]));
	return e;
}

void abi_env_destroy(struct abi_env *e)
{
	tfd_teardown(&e->t);
	free(e);
}

struct siommu_iommufd *abi_env_ictx(struct abi_env *e)
{
	return e->t.ictx;
}

uint32_t abi_env_dev(struct abi_env *e, unsigned int i)
{
	return e->dev_id[i];
}

int abi_env_attach(struct abi_env *e, unsigned int i, uint32_t *pt_id)
{
	return siommu_iommufd_attach(e->t.ictx, e->dev_id[i], NOPASID, pt_id);
}

int abi_env_dma(struct abi_env *e, unsigned int i, uint64_t iova, void *buf, size_t len,
		bool write)
{
	return tfd_dma(&e->t, i, NOPASID, iova, buf, len, write);
}

void abi_env_page_request(struct abi_env *e, uint16_t grp, uint64_t addr, bool last)
{
	tfd_page_request(&e->t, PRI_RID, NOPASID, grp, addr, last, false);
}

unsigned int abi_env_responses(struct abi_env *e, uint16_t *grp, uint8_t *code)
{
	*grp = e->log.last.prgi;
	*code = (uint8_t)e->log.last.code;
	return e->log.n;
}

uint32_t abi_env_hw_info_type(void)
{
	return test_unit_type() == TEST_UNIT_SMMUV3 ? IOMMU_HW_INFO_TYPE_ARM_SMMUV3 :
						      IOMMU_HW_INFO_TYPE_INTEL_VTD;
}

uint32_t abi_env_objects(struct abi_env *e)
{
	struct siommu_iommufd_stats st;

	siommu_iommufd_get_stats(e->t.ictx, &st);
	return st.objects;
}

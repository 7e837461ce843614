/* SPDX-License-Identifier: MIT */
/*
 * The iommufd ABI header against Linux's layouts: the size and offset of
 * every field of every struct (LP64), the request numbers, the first
 * published sizes and the flag and type values. Everything is checked at
 * compile time; the program only reports it ran.
 */
#include <stddef.h>
#include <stdio.h>

#include <siommu/iommufd_abi.h>
#include <siommu/iommufd_test.h>

#define SIZE(s, n) _Static_assert(sizeof(struct s) == (n), #s " size")
#define OFF(s, f, n) _Static_assert(offsetof(struct s, f) == (n), #s "." #f " offset")

SIZE(iommu_destroy, 8);
OFF(iommu_destroy, size, 0);
OFF(iommu_destroy, id, 4);

SIZE(iommu_ioas_alloc, 12);
OFF(iommu_ioas_alloc, size, 0);
OFF(iommu_ioas_alloc, flags, 4);
OFF(iommu_ioas_alloc, out_ioas_id, 8);

SIZE(iommu_iova_range, 16);
OFF(iommu_iova_range, start, 0);
OFF(iommu_iova_range, last, 8);

SIZE(iommu_ioas_iova_ranges, 32);
OFF(iommu_ioas_iova_ranges, size, 0);
OFF(iommu_ioas_iova_ranges, ioas_id, 4);
OFF(iommu_ioas_iova_ranges, num_iovas, 8);
OFF(iommu_ioas_iova_ranges, __reserved, 12);
OFF(iommu_ioas_iova_ranges, allowed_iovas, 16);
OFF(iommu_ioas_iova_ranges, out_iova_alignment, 24);

SIZE(iommu_ioas_allow_iovas, 24);
OFF(iommu_ioas_allow_iovas, size, 0);
OFF(iommu_ioas_allow_iovas, ioas_id, 4);
OFF(iommu_ioas_allow_iovas, num_iovas, 8);
OFF(iommu_ioas_allow_iovas, __reserved, 12);
OFF(iommu_ioas_allow_iovas, allowed_iovas, 16);

SIZE(iommu_ioas_map, 40);
OFF(iommu_ioas_map, size, 0);
OFF(iommu_ioas_map, flags, 4);
OFF(iommu_ioas_map, ioas_id, 8);
OFF(iommu_ioas_map, __reserved, 12);
OFF(iommu_ioas_map, user_va, 16);
OFF(iommu_ioas_map, length, 24);
OFF(iommu_ioas_map, iova, 32);

SIZE(iommu_ioas_map_file, 40);
OFF(iommu_ioas_map_file, size, 0);
OFF(iommu_ioas_map_file, flags, 4);
OFF(iommu_ioas_map_file, ioas_id, 8);
OFF(iommu_ioas_map_file, fd, 12);
OFF(iommu_ioas_map_file, start, 16);
OFF(iommu_ioas_map_file, length, 24);
OFF(iommu_ioas_map_file, iova, 32);

SIZE(iommu_ioas_copy, 40);
OFF(iommu_ioas_copy, size, 0);
OFF(iommu_ioas_copy, flags, 4);
OFF(iommu_ioas_copy, dst_ioas_id, 8);
OFF(iommu_ioas_copy, src_ioas_id, 12);
OFF(iommu_ioas_copy, length, 16);
OFF(iommu_ioas_copy, dst_iova, 24);
OFF(iommu_ioas_copy, src_iova, 32);

SIZE(iommu_ioas_unmap, 24);
OFF(iommu_ioas_unmap, size, 0);
OFF(iommu_ioas_unmap, ioas_id, 4);
OFF(iommu_ioas_unmap, iova, 8);
OFF(iommu_ioas_unmap, length, 16);

SIZE(iommu_option, 24);
OFF(iommu_option, size, 0);
OFF(iommu_option, option_id, 4);
OFF(iommu_option, op, 8);
OFF(iommu_option, __reserved, 10);
OFF(iommu_option, object_id, 12);
OFF(iommu_option, val64, 16);

SIZE(iommu_vfio_ioas, 12);
OFF(iommu_vfio_ioas, size, 0);
OFF(iommu_vfio_ioas, ioas_id, 4);
OFF(iommu_vfio_ioas, op, 8);
OFF(iommu_vfio_ioas, __reserved, 10);

SIZE(iommu_hwpt_alloc, 48);
OFF(iommu_hwpt_alloc, size, 0);
OFF(iommu_hwpt_alloc, flags, 4);
OFF(iommu_hwpt_alloc, dev_id, 8);
OFF(iommu_hwpt_alloc, pt_id, 12);
OFF(iommu_hwpt_alloc, out_hwpt_id, 16);
OFF(iommu_hwpt_alloc, __reserved, 20);
OFF(iommu_hwpt_alloc, data_type, 24);
OFF(iommu_hwpt_alloc, data_len, 28);
OFF(iommu_hwpt_alloc, data_uptr, 32);
OFF(iommu_hwpt_alloc, fault_id, 40);
OFF(iommu_hwpt_alloc, __reserved2, 44);

SIZE(iommu_hwpt_vtd_s1, 24);
OFF(iommu_hwpt_vtd_s1, flags, 0);
OFF(iommu_hwpt_vtd_s1, pgtbl_addr, 8);
OFF(iommu_hwpt_vtd_s1, addr_width, 16);
OFF(iommu_hwpt_vtd_s1, __reserved, 20);

SIZE(iommu_hwpt_arm_smmuv3, 16);
OFF(iommu_hwpt_arm_smmuv3, ste, 0);

SIZE(iommu_hw_info, 40);
OFF(iommu_hw_info, size, 0);
OFF(iommu_hw_info, flags, 4);
OFF(iommu_hw_info, dev_id, 8);
OFF(iommu_hw_info, data_len, 12);
OFF(iommu_hw_info, data_uptr, 16);
OFF(iommu_hw_info, in_data_type, 24);
OFF(iommu_hw_info, out_data_type, 24);
OFF(iommu_hw_info, out_max_pasid_log2, 28);
OFF(iommu_hw_info, __reserved, 29);
OFF(iommu_hw_info, out_capabilities, 32);

SIZE(iommu_hw_info_vtd, 24);
OFF(iommu_hw_info_vtd, flags, 0);
OFF(iommu_hw_info_vtd, __reserved, 4);
OFF(iommu_hw_info_vtd, cap_reg, 8);
OFF(iommu_hw_info_vtd, ecap_reg, 16);

SIZE(iommu_hw_info_arm_smmuv3, 40);
OFF(iommu_hw_info_arm_smmuv3, flags, 0);
OFF(iommu_hw_info_arm_smmuv3, __reserved, 4);
OFF(iommu_hw_info_arm_smmuv3, idr, 8);
OFF(iommu_hw_info_arm_smmuv3, iidr, 32);
OFF(iommu_hw_info_arm_smmuv3, aidr, 36);

SIZE(iommu_hw_info_tegra241_cmdqv, 8);
OFF(iommu_hw_info_tegra241_cmdqv, flags, 0);
OFF(iommu_hw_info_tegra241_cmdqv, version, 4);
OFF(iommu_hw_info_tegra241_cmdqv, log2vcmdqs, 5);
OFF(iommu_hw_info_tegra241_cmdqv, log2vsids, 6);
OFF(iommu_hw_info_tegra241_cmdqv, __reserved, 7);

SIZE(iommu_hwpt_set_dirty_tracking, 16);
OFF(iommu_hwpt_set_dirty_tracking, size, 0);
OFF(iommu_hwpt_set_dirty_tracking, flags, 4);
OFF(iommu_hwpt_set_dirty_tracking, hwpt_id, 8);
OFF(iommu_hwpt_set_dirty_tracking, __reserved, 12);

SIZE(iommu_hwpt_get_dirty_bitmap, 48);
OFF(iommu_hwpt_get_dirty_bitmap, size, 0);
OFF(iommu_hwpt_get_dirty_bitmap, hwpt_id, 4);
OFF(iommu_hwpt_get_dirty_bitmap, flags, 8);
OFF(iommu_hwpt_get_dirty_bitmap, __reserved, 12);
OFF(iommu_hwpt_get_dirty_bitmap, iova, 16);
OFF(iommu_hwpt_get_dirty_bitmap, length, 24);
OFF(iommu_hwpt_get_dirty_bitmap, page_size, 32);
OFF(iommu_hwpt_get_dirty_bitmap, data, 40);

SIZE(iommu_hwpt_invalidate, 32);
OFF(iommu_hwpt_invalidate, size, 0);
OFF(iommu_hwpt_invalidate, hwpt_id, 4);
OFF(iommu_hwpt_invalidate, data_uptr, 8);
OFF(iommu_hwpt_invalidate, data_type, 16);
OFF(iommu_hwpt_invalidate, entry_len, 20);
OFF(iommu_hwpt_invalidate, entry_num, 24);
OFF(iommu_hwpt_invalidate, __reserved, 28);

SIZE(iommu_hwpt_vtd_s1_invalidate, 24);
OFF(iommu_hwpt_vtd_s1_invalidate, addr, 0);
OFF(iommu_hwpt_vtd_s1_invalidate, npages, 8);
OFF(iommu_hwpt_vtd_s1_invalidate, flags, 16);
OFF(iommu_hwpt_vtd_s1_invalidate, __reserved, 20);

SIZE(iommu_viommu_arm_smmuv3_invalidate, 16);
OFF(iommu_viommu_arm_smmuv3_invalidate, cmd, 0);

SIZE(iommu_fault_alloc, 16);
OFF(iommu_fault_alloc, size, 0);
OFF(iommu_fault_alloc, flags, 4);
OFF(iommu_fault_alloc, out_fault_id, 8);
OFF(iommu_fault_alloc, out_fault_fd, 12);

SIZE(iommu_hwpt_pgfault, 40);
OFF(iommu_hwpt_pgfault, flags, 0);
OFF(iommu_hwpt_pgfault, dev_id, 4);
OFF(iommu_hwpt_pgfault, pasid, 8);
OFF(iommu_hwpt_pgfault, grpid, 12);
OFF(iommu_hwpt_pgfault, perm, 16);
OFF(iommu_hwpt_pgfault, __reserved, 20);
OFF(iommu_hwpt_pgfault, addr, 24);
OFF(iommu_hwpt_pgfault, length, 32);
OFF(iommu_hwpt_pgfault, cookie, 36);

SIZE(iommu_hwpt_page_response, 8);
OFF(iommu_hwpt_page_response, cookie, 0);
OFF(iommu_hwpt_page_response, code, 4);

SIZE(iommu_viommu_selftest, 24);
OFF(iommu_viommu_selftest, in_data, 0);
OFF(iommu_viommu_selftest, out_data, 4);
OFF(iommu_viommu_selftest, out_mmap_offset, 8);
OFF(iommu_viommu_selftest, out_mmap_length, 16);
SIZE(iommu_viommu_alloc, 40);
OFF(iommu_viommu_alloc, size, 0);
OFF(iommu_viommu_alloc, flags, 4);
OFF(iommu_viommu_alloc, type, 8);
OFF(iommu_viommu_alloc, dev_id, 12);
OFF(iommu_viommu_alloc, hwpt_id, 16);
OFF(iommu_viommu_alloc, out_viommu_id, 20);
OFF(iommu_viommu_alloc, data_len, 24);
OFF(iommu_viommu_alloc, __reserved, 28);
OFF(iommu_viommu_alloc, data_uptr, 32);

SIZE(iommu_viommu_tegra241_cmdqv, 16);
OFF(iommu_viommu_tegra241_cmdqv, out_vintf_mmap_offset, 0);
OFF(iommu_viommu_tegra241_cmdqv, out_vintf_mmap_length, 8);

SIZE(iommu_vdevice_alloc, 24);
OFF(iommu_vdevice_alloc, size, 0);
OFF(iommu_vdevice_alloc, viommu_id, 4);
OFF(iommu_vdevice_alloc, dev_id, 8);
OFF(iommu_vdevice_alloc, out_vdevice_id, 12);
OFF(iommu_vdevice_alloc, virt_id, 16);

SIZE(iommu_ioas_change_process, 8);
OFF(iommu_ioas_change_process, size, 0);
OFF(iommu_ioas_change_process, __reserved, 4);

SIZE(iommufd_vevent_header, 8);
OFF(iommufd_vevent_header, flags, 0);
OFF(iommufd_vevent_header, sequence, 4);

SIZE(iommu_vevent_arm_smmuv3, 32);
OFF(iommu_vevent_arm_smmuv3, evt, 0);

SIZE(iommu_vevent_tegra241_cmdqv, 16);
OFF(iommu_vevent_tegra241_cmdqv, lvcmdq_err_map, 0);

SIZE(iommu_veventq_alloc, 32);
OFF(iommu_veventq_alloc, size, 0);
OFF(iommu_veventq_alloc, flags, 4);
OFF(iommu_veventq_alloc, viommu_id, 8);
OFF(iommu_veventq_alloc, type, 12);
OFF(iommu_veventq_alloc, veventq_depth, 16);
OFF(iommu_veventq_alloc, out_veventq_id, 20);
OFF(iommu_veventq_alloc, out_veventq_fd, 24);
OFF(iommu_veventq_alloc, __reserved, 28);

SIZE(iommu_hw_queue_alloc, 40);
OFF(iommu_hw_queue_alloc, size, 0);
OFF(iommu_hw_queue_alloc, flags, 4);
OFF(iommu_hw_queue_alloc, viommu_id, 8);
OFF(iommu_hw_queue_alloc, type, 12);
OFF(iommu_hw_queue_alloc, index, 16);
OFF(iommu_hw_queue_alloc, out_hw_queue_id, 20);
OFF(iommu_hw_queue_alloc, nesting_parent_iova, 24);
OFF(iommu_hw_queue_alloc, length, 32);

/* The test interface (Linux's iommufd_test.h). */
SIZE(iommu_test_cmd, 72);
OFF(iommu_test_cmd, size, 0);
OFF(iommu_test_cmd, op, 4);
OFF(iommu_test_cmd, id, 8);
OFF(iommu_test_cmd, __reserved, 12);
OFF(iommu_test_cmd, add_reserved.start, 16);
OFF(iommu_test_cmd, add_reserved.length, 24);
OFF(iommu_test_cmd, mock_domain.out_stdev_id, 16);
OFF(iommu_test_cmd, mock_domain.out_hwpt_id, 20);
OFF(iommu_test_cmd, mock_domain.out_idev_id, 24);
OFF(iommu_test_cmd, mock_domain_flags.dev_flags, 28);
OFF(iommu_test_cmd, check_map.uptr, 32);
OFF(iommu_test_cmd, check_refs.refs, 32);
OFF(iommu_test_cmd, create_access.flags, 20);
OFF(iommu_test_cmd, access_pages.out_access_pages_id, 20);
OFF(iommu_test_cmd, access_pages.iova, 24);
OFF(iommu_test_cmd, access_pages.uptr, 40);
OFF(iommu_test_cmd, access_rw.flags, 40);
OFF(iommu_test_cmd, dirty.iova, 24);
OFF(iommu_test_cmd, dirty.uptr, 48);
OFF(iommu_test_cmd, dirty.out_nr_dirty, 56);
OFF(iommu_test_cmd, trigger_iopf.addr, 32);
OFF(iommu_test_cmd, pasid_check.hwpt_id, 20);
OFF(iommu_test_cmd, last, 64);
SIZE(iommu_test_hw_info, 8);
SIZE(iommu_hwpt_selftest, 4);
SIZE(iommu_hwpt_invalidate_selftest, 8);
SIZE(iommu_viommu_invalidate_selftest, 12);
SIZE(iommu_viommu_event_selftest, 4);
_Static_assert(IOMMU_VEVENTQ_TYPE_SELFTEST == 0xbeefbeef, "vEVENTQ selftest type");
_Static_assert(IOMMU_TEST_CMD == 0x3ba0, "IOMMU_TEST_CMD");
_Static_assert(IOMMUFD_TEST_CMD_MIN_SIZE == 68, "TEST_CMD min");
_Static_assert(IOMMU_TEST_OP_PASID_CHECK_HWPT == 21, "last op");

/* _IO(';', nr): no direction or size bits. */
_Static_assert(IOMMU_DESTROY == 0x3b80, "IOMMU_DESTROY");
_Static_assert(IOMMU_IOAS_ALLOC == 0x3b81, "IOMMU_IOAS_ALLOC");
_Static_assert(IOMMU_IOAS_ALLOW_IOVAS == 0x3b82, "IOMMU_IOAS_ALLOW_IOVAS");
_Static_assert(IOMMU_IOAS_COPY == 0x3b83, "IOMMU_IOAS_COPY");
_Static_assert(IOMMU_IOAS_IOVA_RANGES == 0x3b84, "IOMMU_IOAS_IOVA_RANGES");
_Static_assert(IOMMU_IOAS_MAP == 0x3b85, "IOMMU_IOAS_MAP");
_Static_assert(IOMMU_IOAS_UNMAP == 0x3b86, "IOMMU_IOAS_UNMAP");
_Static_assert(IOMMU_OPTION == 0x3b87, "IOMMU_OPTION");
_Static_assert(IOMMU_VFIO_IOAS == 0x3b88, "IOMMU_VFIO_IOAS");
_Static_assert(IOMMU_HWPT_ALLOC == 0x3b89, "IOMMU_HWPT_ALLOC");
_Static_assert(IOMMU_GET_HW_INFO == 0x3b8a, "IOMMU_GET_HW_INFO");
_Static_assert(IOMMU_HWPT_SET_DIRTY_TRACKING == 0x3b8b, "IOMMU_HWPT_SET_DIRTY_TRACKING");
_Static_assert(IOMMU_HWPT_GET_DIRTY_BITMAP == 0x3b8c, "IOMMU_HWPT_GET_DIRTY_BITMAP");
_Static_assert(IOMMU_HWPT_INVALIDATE == 0x3b8d, "IOMMU_HWPT_INVALIDATE");
_Static_assert(IOMMU_FAULT_QUEUE_ALLOC == 0x3b8e, "IOMMU_FAULT_QUEUE_ALLOC");
_Static_assert(IOMMU_IOAS_MAP_FILE == 0x3b8f, "IOMMU_IOAS_MAP_FILE");
_Static_assert(IOMMU_VIOMMU_ALLOC == 0x3b90, "IOMMU_VIOMMU_ALLOC");
_Static_assert(IOMMU_VDEVICE_ALLOC == 0x3b91, "IOMMU_VDEVICE_ALLOC");
_Static_assert(IOMMU_IOAS_CHANGE_PROCESS == 0x3b92, "IOMMU_IOAS_CHANGE_PROCESS");
_Static_assert(IOMMU_VEVENTQ_ALLOC == 0x3b93, "IOMMU_VEVENTQ_ALLOC");
_Static_assert(IOMMU_HW_QUEUE_ALLOC == 0x3b94, "IOMMU_HW_QUEUE_ALLOC");

_Static_assert(IOMMUFD_DESTROY_MIN_SIZE == 8, "DESTROY min");
_Static_assert(IOMMUFD_IOAS_ALLOC_MIN_SIZE == 12, "IOAS_ALLOC min");
_Static_assert(IOMMUFD_IOAS_ALLOW_IOVAS_MIN_SIZE == 24, "IOAS_ALLOW_IOVAS min");
_Static_assert(IOMMUFD_IOAS_COPY_MIN_SIZE == 40, "IOAS_COPY min");
_Static_assert(IOMMUFD_IOAS_IOVA_RANGES_MIN_SIZE == 32, "IOAS_IOVA_RANGES min");
_Static_assert(IOMMUFD_IOAS_MAP_MIN_SIZE == 40, "IOAS_MAP min");
_Static_assert(IOMMUFD_IOAS_UNMAP_MIN_SIZE == 24, "IOAS_UNMAP min");
_Static_assert(IOMMUFD_OPTION_MIN_SIZE == 24, "OPTION min");
_Static_assert(IOMMUFD_VFIO_IOAS_MIN_SIZE == 12, "VFIO_IOAS min");
_Static_assert(IOMMUFD_HWPT_ALLOC_MIN_SIZE == 24, "HWPT_ALLOC min");
_Static_assert(IOMMUFD_GET_HW_INFO_MIN_SIZE == 32, "GET_HW_INFO min");
_Static_assert(IOMMUFD_HWPT_SET_DIRTY_TRACKING_MIN_SIZE == 16, "HWPT_SET_DIRTY_TRACKING min");
_Static_assert(IOMMUFD_HWPT_GET_DIRTY_BITMAP_MIN_SIZE == 48, "HWPT_GET_DIRTY_BITMAP min");
_Static_assert(IOMMUFD_HWPT_INVALIDATE_MIN_SIZE == 32, "HWPT_INVALIDATE min");
_Static_assert(IOMMUFD_FAULT_QUEUE_ALLOC_MIN_SIZE == 16, "FAULT_QUEUE_ALLOC min");
_Static_assert(IOMMUFD_IOAS_MAP_FILE_MIN_SIZE == 40, "IOAS_MAP_FILE min");
_Static_assert(IOMMUFD_VIOMMU_ALLOC_MIN_SIZE == 24, "VIOMMU_ALLOC min");
_Static_assert(IOMMUFD_VDEVICE_ALLOC_MIN_SIZE == 24, "VDEVICE_ALLOC min");
_Static_assert(IOMMUFD_IOAS_CHANGE_PROCESS_MIN_SIZE == 8, "IOAS_CHANGE_PROCESS min");
_Static_assert(IOMMUFD_VEVENTQ_ALLOC_MIN_SIZE == 32, "VEVENTQ_ALLOC min");
_Static_assert(IOMMUFD_HW_QUEUE_ALLOC_MIN_SIZE == 40, "HW_QUEUE_ALLOC min");

_Static_assert(IOMMU_IOAS_MAP_FIXED_IOVA == 1, "IOMMU_IOAS_MAP_FIXED_IOVA");
_Static_assert(IOMMU_IOAS_MAP_WRITEABLE == 2, "IOMMU_IOAS_MAP_WRITEABLE");
_Static_assert(IOMMU_IOAS_MAP_READABLE == 4, "IOMMU_IOAS_MAP_READABLE");
_Static_assert(IOMMU_OPTION_RLIMIT_MODE == 0, "IOMMU_OPTION_RLIMIT_MODE");
_Static_assert(IOMMU_OPTION_HUGE_PAGES == 1, "IOMMU_OPTION_HUGE_PAGES");
_Static_assert(IOMMU_OPTION_OP_SET == 0, "IOMMU_OPTION_OP_SET");
_Static_assert(IOMMU_OPTION_OP_GET == 1, "IOMMU_OPTION_OP_GET");
_Static_assert(IOMMU_VFIO_IOAS_GET == 0, "IOMMU_VFIO_IOAS_GET");
_Static_assert(IOMMU_VFIO_IOAS_SET == 1, "IOMMU_VFIO_IOAS_SET");
_Static_assert(IOMMU_VFIO_IOAS_CLEAR == 2, "IOMMU_VFIO_IOAS_CLEAR");
_Static_assert(IOMMU_HWPT_ALLOC_NEST_PARENT == 1, "IOMMU_HWPT_ALLOC_NEST_PARENT");
_Static_assert(IOMMU_HWPT_ALLOC_DIRTY_TRACKING == 2, "IOMMU_HWPT_ALLOC_DIRTY_TRACKING");
_Static_assert(IOMMU_HWPT_FAULT_ID_VALID == 4, "IOMMU_HWPT_FAULT_ID_VALID");
_Static_assert(IOMMU_HWPT_ALLOC_PASID == 8, "IOMMU_HWPT_ALLOC_PASID");
_Static_assert(IOMMU_VTD_S1_SRE == 1, "IOMMU_VTD_S1_SRE");
_Static_assert(IOMMU_VTD_S1_EAFE == 2, "IOMMU_VTD_S1_EAFE");
_Static_assert(IOMMU_VTD_S1_WPE == 4, "IOMMU_VTD_S1_WPE");
_Static_assert(IOMMU_HWPT_DATA_NONE == 0, "IOMMU_HWPT_DATA_NONE");
_Static_assert(IOMMU_HWPT_DATA_VTD_S1 == 1, "IOMMU_HWPT_DATA_VTD_S1");
_Static_assert(IOMMU_HWPT_DATA_ARM_SMMUV3 == 2, "IOMMU_HWPT_DATA_ARM_SMMUV3");
_Static_assert(IOMMU_HW_INFO_TYPE_NONE == 0, "IOMMU_HW_INFO_TYPE_NONE");
_Static_assert(IOMMU_HW_INFO_TYPE_INTEL_VTD == 1, "IOMMU_HW_INFO_TYPE_INTEL_VTD");
_Static_assert(IOMMU_HW_INFO_TYPE_ARM_SMMUV3 == 2, "IOMMU_HW_INFO_TYPE_ARM_SMMUV3");
_Static_assert(IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV == 3, "IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV");
_Static_assert(IOMMU_HW_CAP_DIRTY_TRACKING == 1, "IOMMU_HW_CAP_DIRTY_TRACKING");
_Static_assert(IOMMU_HW_CAP_PCI_PASID_EXEC == 2, "IOMMU_HW_CAP_PCI_PASID_EXEC");
_Static_assert(IOMMU_HW_CAP_PCI_PASID_PRIV == 4, "IOMMU_HW_CAP_PCI_PASID_PRIV");
_Static_assert(IOMMU_HW_INFO_FLAG_INPUT_TYPE == 1, "IOMMU_HW_INFO_FLAG_INPUT_TYPE");
_Static_assert(IOMMU_HWPT_DIRTY_TRACKING_ENABLE == 1, "IOMMU_HWPT_DIRTY_TRACKING_ENABLE");
_Static_assert(IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR == 1, "IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR");
_Static_assert(IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 == 0, "IOMMU_HWPT_INVALIDATE_DATA_VTD_S1");
_Static_assert(IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 == 1, "IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3");
_Static_assert(IOMMU_VTD_INV_FLAGS_LEAF == 1, "IOMMU_VTD_INV_FLAGS_LEAF");
_Static_assert(IOMMU_PGFAULT_FLAGS_PASID_VALID == 1, "IOMMU_PGFAULT_FLAGS_PASID_VALID");
_Static_assert(IOMMU_PGFAULT_FLAGS_LAST_PAGE == 2, "IOMMU_PGFAULT_FLAGS_LAST_PAGE");
_Static_assert(IOMMU_PGFAULT_PERM_READ == 1, "IOMMU_PGFAULT_PERM_READ");
_Static_assert(IOMMU_PGFAULT_PERM_WRITE == 2, "IOMMU_PGFAULT_PERM_WRITE");
_Static_assert(IOMMU_PGFAULT_PERM_EXEC == 4, "IOMMU_PGFAULT_PERM_EXEC");
_Static_assert(IOMMU_PGFAULT_PERM_PRIV == 8, "IOMMU_PGFAULT_PERM_PRIV");
_Static_assert(IOMMUFD_PAGE_RESP_SUCCESS == 0, "IOMMUFD_PAGE_RESP_SUCCESS");
_Static_assert(IOMMUFD_PAGE_RESP_INVALID == 1, "IOMMUFD_PAGE_RESP_INVALID");
_Static_assert(IOMMU_VIOMMU_TYPE_DEFAULT == 0, "IOMMU_VIOMMU_TYPE_DEFAULT");
_Static_assert(IOMMU_VIOMMU_TYPE_ARM_SMMUV3 == 1, "IOMMU_VIOMMU_TYPE_ARM_SMMUV3");
_Static_assert(IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV == 2, "IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV");
_Static_assert(IOMMU_VEVENTQ_FLAG_LOST_EVENTS == 1, "IOMMU_VEVENTQ_FLAG_LOST_EVENTS");
_Static_assert(IOMMU_VEVENTQ_TYPE_DEFAULT == 0, "IOMMU_VEVENTQ_TYPE_DEFAULT");
_Static_assert(IOMMU_VEVENTQ_TYPE_ARM_SMMUV3 == 1, "IOMMU_VEVENTQ_TYPE_ARM_SMMUV3");
_Static_assert(IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV == 2, "IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV");
_Static_assert(IOMMU_HW_QUEUE_TYPE_DEFAULT == 0, "IOMMU_HW_QUEUE_TYPE_DEFAULT");
_Static_assert(IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV == 1, "IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV");

int main(void)
{
	puts("iommufd ABI layouts: checked at compile time");
	return 0;
}

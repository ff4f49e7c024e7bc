/* kernel/pvh.h: the PVH start info (Xen public/arch-x86/hvm/start_info.h,
 * the ABI QEMU and Firecracker use for direct kernel boot). The loader
 * places it in RAM and passes its address in %ebx; all addresses in it are
 * physical. Read once at boot; version 1 adds the memory map. */
#ifndef KERNEL_PVH_H
#define KERNEL_PVH_H

#include <stdint.h>

#define PVH_START_MAGIC 0x336ec578u

struct hvm_start_info {
    uint32_t magic, version, flags, nr_modules;
    uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr;
    uint64_t memmap_paddr;              /* version >= 1 */
    uint32_t memmap_entries, reserved;
};
struct hvm_modlist_entry { uint64_t paddr, size, cmdline_paddr, reserved; };
struct hvm_memmap_table_entry { uint64_t addr, size; uint32_t type, reserved; };

#endif

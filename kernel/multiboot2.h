/* kernel/multiboot2.h: booting from GRUB (Multiboot2 specification 2.0).
 * Pure, host-tested.
 *
 * boot/pvh.S carries a Multiboot2 header beside the PVH note, and its
 * mb2_start entry (the ELF entry, which only a Multiboot2 loader uses:
 * PVH loaders take the note's) marks the boot and goes on as PVH does.
 * kmain then makes the boot information GRUB gave (the MBI) into the PVH
 * start info the rest of the kernel reads: the command line, the first
 * module (the config blob, `module2` in grub.cfg), the memory map, and
 * the ACPI RSDP, copied here (GRUB hands a copy inside the MBI, which
 * nothing reserves). */
#ifndef KERNEL_MULTIBOOT2_H
#define KERNEL_MULTIBOOT2_H

#include <stddef.h>
#include <stdint.h>
#include "kernel/klimits.h"
#include "kernel/pvh.h"

#define MB2_BOOTLOADER_MAGIC 0x36d76289u

struct mb2_boot {
    struct hvm_start_info si;
    struct hvm_modlist_entry mod;
    struct hvm_memmap_table_entry map[E820_MAX_ENTRIES];
    uint8_t rsdp[36];                   /* the ACPI 2.0 RSDP's size */
    char loader[64];                    /* the boot loader's name, if given */
    uint64_t tags;                      /* bit n: a tag of type n (< 64) was there */
};

/* The MBI at mbi (its total_size bytes, at most max) into b: 0, or -1
 * with *why (a static text) when it is malformed. */
int multiboot2_read(const uint8_t *mbi, size_t max, struct mb2_boot *b, const char **why);

#endif

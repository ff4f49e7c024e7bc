/* boot/pvh.S: the PVH entry point, from 32-bit protected mode to kmain.
 *
 * Contract (Xen PVH boot ABI, as QEMU -kernel and Firecracker implement it;
 * GRUB's Multiboot2 enters at mb2_start below, in the same state):
 * entered at pvh_start in 32-bit protected mode, paging off, flat segments,
 * %ebx = physical address of struct hvm_start_info. We build page tables
 * that identity-map the first 4 GiB with 2 MiB pages (RAM plus the LAPIC,
 * IOAPIC and PCI holes; kernel/paging.c maps RAM above 4 GiB later), enable
 * long mode, SSE (CR4.OSFXSR/OSXMMEXCPT, CR0.MP/NE, EM/TS clear) because
 * the x86_64 ABI and SQLite's floating point need it, clear .bss and call
 * kmain(start_info) with %rbp = 0 so backtraces end there.
 */
#define XEN_ELFNOTE_PHYS32_ENTRY 18

        .section .note.pvh, "a"
        .p2align 2
        .long 4                         /* namesz: "Xen\0" */
        .long 4                         /* descsz */
        .long XEN_ELFNOTE_PHYS32_ENTRY
        .asciz "Xen"
        .p2align 2
        .long pvh_start

/* The Multiboot2 header (Multiboot2 specification 2.0, section 3.1), for
 * GRUB (`multiboot2`): within the file's first 32 KiB, 8-byte aligned.
 * Tags: modules page-aligned, then the end. GRUB enters at the ELF entry,
 * mb2_start (PVH loaders take the note's pvh_start instead). */
#define MB2_MAGIC 0xe85250d6
#define MB2_ARCH_I386 0
        .section .multiboot2, "a"
        .p2align 3
mb2_header:
        .long MB2_MAGIC
        .long MB2_ARCH_I386
        .long mb2_header_end - mb2_header
        .long -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
        .p2align 3
        .short 6, 0                     /* module alignment: page-aligned modules */
        .long 8
        .p2align 3
        .short 0, 0                     /* end */
        .long 8
mb2_header_end:

        /* Set by mb2_start; in .data so the .bss clearing keeps it. */
        .section .data
        .p2align 2
        .globl boot_multiboot2
boot_multiboot2: .long 0

        .section .boot_bss, "aw", @nobits
        .p2align 12
        .globl boot_pml4, boot_pdpt
boot_pml4:   .skip 4096
boot_pdpt:   .skip 4096
boot_pd:     .skip 4 * 4096             /* 4 x 1 GiB of 2 MiB pages */
        .globl __boot_stack_bottom, __boot_stack_top
__boot_stack_bottom:
        .skip 64 * 1024
__boot_stack_top:

        .section .rodata
        .p2align 3
gdt64:
        .quad 0                         /* null */
        .quad 0x00af9a000000ffff        /* 0x08: 64-bit code, DPL 0 */
        .quad 0x00cf92000000ffff        /* 0x10: data, DPL 0 */
gdt64_end:
gdt64_ptr:
        .word gdt64_end - gdt64 - 1
        .quad gdt64

        .section .boot.text, "ax"
        .code32
        /* Multiboot2 entry: 32-bit protected mode, paging off, %eax the
         * loader's magic, %ebx the boot information (spec section 3.3).
         * The same machine state as PVH's: note it and go on as PVH does,
         * with %ebx still the boot information; kmain reads it so. */
        .globl mb2_start
mb2_start:
        cli
        cmpl $0x36d76289, %eax
        jne 4f
        movl $1, boot_multiboot2
        jmp pvh_start
4:      hlt
        jmp 4b

        .globl pvh_start
pvh_start:
        cli
        cld
        movl %ebx, %esi                 /* keep start_info across the setup */

        /* Zero the page tables (they are NOBITS: contents undefined). */
        movl $boot_pml4, %edi
        xorl %eax, %eax
        movl $(6 * 4096 / 4), %ecx
        rep stosl

        /* PML4[0] -> PDPT; PDPT[0..3] -> PD0..PD3; present + writable. */
        movl $boot_pdpt, %eax
        orl $0x3, %eax
        movl %eax, boot_pml4
        movl $boot_pd, %eax
        orl $0x3, %eax
        xorl %ecx, %ecx
1:      movl %eax, boot_pdpt(,%ecx,8)
        addl $4096, %eax
        incl %ecx
        cmpl $4, %ecx
        jne 1b

        /* 2048 PD entries: 2 MiB pages (PS|RW|P = 0x83), 0..4 GiB. */
        xorl %ecx, %ecx
2:      movl %ecx, %eax
        shll $21, %eax
        orl $0x83, %eax
        movl %eax, boot_pd(,%ecx,8)
        movl %ecx, %eax
        shrl $11, %eax                  /* high dword: bits 32+ of the address */
        movl %eax, boot_pd+4(,%ecx,8)
        incl %ecx
        cmpl $2048, %ecx
        jne 2b

        /* CR4: PAE (5), OSFXSR (9), OSXMMEXCPT (10). */
        movl %cr4, %eax
        orl $((1 << 5) | (1 << 9) | (1 << 10)), %eax
        movl %eax, %cr4

        movl $boot_pml4, %eax
        movl %eax, %cr3

        /* EFER.LME (bit 8). */
        movl $0xc0000080, %ecx
        rdmsr
        orl $(1 << 8), %eax
        wrmsr

        /* CR0: PG (31), WP (16), NE (5), MP (1), PE (0); clear EM (2), TS (3). */
        movl %cr0, %eax
        andl $~((1 << 2) | (1 << 3)), %eax
        orl $((1 << 31) | (1 << 16) | (1 << 5) | (1 << 1) | 1), %eax
        movl %eax, %cr0

        lgdt gdt64_ptr
        ljmp $0x08, $long_mode

        .code64
long_mode:
        movw $0x10, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %ss
        xorw %ax, %ax
        movw %ax, %fs
        movw %ax, %gs
        movq $__boot_stack_top, %rsp
        fninit
        movl %esi, %r12d                /* start_info, zero-extended */

        /* Clear .bss: nothing in it is in use yet (tables and stack are
         * in .boot_bss). */
        movq $__bss_start, %rdi
        movq $__bss_end, %rcx
        subq %rdi, %rcx
        xorl %eax, %eax
        rep stosb

        xorl %ebp, %ebp
        movq %r12, %rdi
        call kmain
3:      cli
        hlt
        jmp 3b

/* kernel/isr.S: interrupt and exception entry stubs.
 *
 * 256 stubs of 16 bytes each at isr_stubs + 16 * vector (kernel/intr.c
 * builds the IDT from that). Each pushes a dummy error code where the CPU
 * pushes none (Intel SDM vol. 3A table 6-1: 8, 10-14, 17, 21, 29, 30 push
 * one), then the vector, and joins isr_common, which saves every general
 * register and the FPU/SSE state (fxsave: C handlers may use SSE, and the
 * interrupted code's XMM registers must survive), calls
 * intr_dispatch(struct intr_frame *), and restores everything.
 */
        .text
        .p2align 4
        .globl isr_stubs
isr_stubs:
        .set vec, 0
        .rept 256
        .p2align 4
        .if (vec == 8) || (vec >= 10 && vec <= 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
        .else
        pushq $0
        .endif
        pushq $vec
        jmp isr_common
        .set vec, vec + 1
        .endr

isr_common:
        pushq %rax
        pushq %rbx
        pushq %rcx
        pushq %rdx
        pushq %rsi
        pushq %rdi
        pushq %rbp
        pushq %r8
        pushq %r9
        pushq %r10
        pushq %r11
        pushq %r12
        pushq %r13
        pushq %r14
        pushq %r15
        movq %rsp, %rdi                 /* struct intr_frame * */
        movq %rsp, %r12                 /* callee-saved: survives the call */
        subq $512, %rsp
        andq $-16, %rsp                 /* fxsave needs 16-byte alignment */
        fxsave (%rsp)
        cld
        call intr_dispatch
        fxrstor (%rsp)
        movq %r12, %rsp
        popq %r15
        popq %r14
        popq %r13
        popq %r12
        popq %r11
        popq %r10
        popq %r9
        popq %r8
        popq %rbp
        popq %rdi
        popq %rsi
        popq %rdx
        popq %rcx
        popq %rbx
        popq %rax
        addq $16, %rsp                  /* vector and error code */
        iretq

/* kernel/default_blob.S: the built-in default config blob (defaults/,
 * packed by apctl at build time with a development certificate), used when
 * the image boots without one. The Makefile passes its path. */
    .section .rodata.default_blob, "a"
    .balign 16
    .global default_blob_start, default_blob_end
default_blob_start:
    .incbin DEFAULT_BLOB
default_blob_end:
    .section .note.GNU-stack, "", @progbits

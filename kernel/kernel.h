/* kernel/kernel.h: what the layers above may use of the kernel: logging,
 * clocks, the event loop and its timers, the CSPRNG, the crypto
 * primitives of authentication (crypto.h), page allocation,
 * panic, the text writer (sbuf), the pattern matcher of sql route
 * parameters (textpat) and the PEM decoder that the config's
 * certificate check and the TLS server share (config_tls). Upper layers
 * include this header only (tools/check-layers.py). */
#ifndef KERNEL_KERNEL_H
#define KERNEL_KERNEL_H

#include "kernel/clock.h"
#include "kernel/config.h"
#include "kernel/config_tls.h"
#include "kernel/crypto.h"
#include "kernel/csprng.h"
#include "kernel/klimits.h"
#include "kernel/log.h"
#include "kernel/loop.h"
#include "kernel/memory.h"
#include "kernel/panic.h"
#include "kernel/sbuf.h"
#include "kernel/textpat.h"

#endif

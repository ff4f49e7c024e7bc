# Makefile: the one, non-recursive build of the appliance.
#
#   make           build/appliance.elf (installs packages and fetches and
#                  builds the pinned libraries on first use)
#   make run       boot it in QEMU (see README.md for the knobs)
#   make test      host unit tests, layer check, whole-image tests
#   make clean     remove build/ (deps/ is kept: fetched and built once)
#   make distclean remove deps/ too
#
# Layout: boot/ kernel/ drivers/ net/ store/ app/ are kernel code built
# freestanding against picolibc; tools/ are host scripts; tests/ the tests.
# Third-party code lives only in deps/ (git-ignored), see tools/deps.lock.

SHELL := /bin/bash
.DEFAULT_GOAL := all
.DELETE_ON_ERROR:

DEPS ?= deps
B := build
PY := /usr/bin/python3
# V=1 prints full compiler lines.
V ?= 0
Q = $(if $(filter 1,$(V)),,@echo "  CC $<";)

PICOLIBC := $(DEPS)/picolibc
LWIP_DIR := $(DEPS)/src/lwip-2.2.1
BEARSSL_DIR := $(DEPS)/src/bearssl-0.6
SQLITE_DIR := $(DEPS)/src/sqlite3-amalg
STAMP_PKGS := $(DEPS)/stamps/packages
STAMP_DEPS := $(DEPS)/stamps/built
BEARSSL_VERSION := $(shell sed -n 's/^bearssl *bearssl_\([0-9.]*\)[+.].*/\1/p' tools/deps.lock)

# Freestanding flags for everything that goes into the kernel (TOOLCHAIN.md):
# no red zone (interrupts use the same stack), no PIC, SSE kept on (x86_64
# ABI; boot enables it and interrupt entry saves it).
KCFLAGS := -m64 -mno-red-zone -fno-pic -fno-PIE -mcmodel=small -O2 \
  -fno-stack-protector -ffunction-sections -fdata-sections -fno-omit-frame-pointer \
  -nostdinc -isystem $(abspath $(PICOLIBC))/include -isystem $(shell gcc -print-file-name=include)
# min-pagesize=0: a kernel reads firmware data at low addresses (BIOS data
# area, ACPI) on purpose; GCC 12 would flag them as null-page accesses.
# No sibling calls: a tail call would drop its caller from backtraces.
OURFLAGS := -std=c11 -Wall -Wextra -Werror -g -I. -MMD -MP --param=min-pagesize=0 \
  -fno-optimize-sibling-calls
# Third-party headers come in with -isystem so their warnings do not fail
# our -Werror; only the layers that wrap a library see its headers.
INC_BEARSSL := -isystem $(BEARSSL_DIR)/inc
INC_LWIP := -isystem net/lwip -isystem $(LWIP_DIR)/src/include
INC_SQLITE := -isystem $(SQLITE_DIR)

# ---------------------------------------------------------------- setup
$(STAMP_PKGS): tools/install-packages.sh
	@mkdir -p $(@D)
	tools/install-packages.sh
	@touch $@

$(STAMP_DEPS): tools/deps.lock tools/fetch-deps.sh tools/build-deps.sh | $(STAMP_PKGS)
	tools/fetch-deps.sh $(DEPS)
	KCFLAGS="$(KCFLAGS)" tools/build-deps.sh $(DEPS)
	@touch $@

.PHONY: setup
setup: $(STAMP_DEPS)

# ---------------------------------------------------------------- our code
SRCS := $(wildcard boot/*.S kernel/*.S kernel/*.c drivers/*.c net/*.c store/*.c app/*.c)
OBJS := $(patsubst %,$(B)/%.o,$(basename $(SRCS)))

$(B)/%.o: %.c Makefile | $(STAMP_DEPS)
	@mkdir -p $(@D)
	$(Q)gcc $(KCFLAGS) $(OURFLAGS) $(EXTRA_$(firstword $(subst /, ,$<))) $(EXTRA_$<) -c $< -o $@

$(B)/%.o: %.S Makefile | $(STAMP_DEPS)
	@mkdir -p $(@D)
	$(Q)gcc $(KCFLAGS) $(OURFLAGS) $(EXTRA_$<) -c $< -o $@

EXTRA_net := $(INC_LWIP) $(INC_BEARSSL) -DBEARSSL_VERSION='"$(BEARSSL_VERSION)"'
EXTRA_store := $(INC_SQLITE)
EXTRA_kernel/csprng.c := $(INC_BEARSSL)
EXTRA_kernel/config_tls.c := $(INC_BEARSSL)
EXTRA_kernel/crypto.c := $(INC_BEARSSL)
EXTRA_kernel/default_blob.S := -DDEFAULT_BLOB='"$(B)/default.blob"'

# The built-in default config: defaults/ plus a development certificate
# made here on first build (self-signed ECDSA P-256 for localhost and
# 127.0.0.1, labelled not for production), packed by apctl and linked in.
DEFAULT_FILES := $(shell find defaults -type f)
$(B)/devcert/dev-key.pem: | $(STAMP_PKGS)
	@mkdir -p $(@D)
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 825 \
	  -subj "/O=appliance development certificate, not for production/CN=localhost" \
	  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
	  -keyout $(B)/devcert/dev-key.tmp -out $(B)/devcert/dev-cert.pem 2>/dev/null
	mv $(B)/devcert/dev-key.tmp $@

$(B)/default.blob: $(DEFAULT_FILES) $(B)/apctl $(B)/devcert/dev-key.pem
	rm -rf $(B)/default && cp -r defaults $(B)/default && mkdir -p $(B)/default/tls
	cp $(B)/devcert/dev-cert.pem $(B)/devcert/dev-key.pem $(B)/default/tls/
	$(B)/apctl pack $(B)/default/appliance.conf -o $@

$(B)/kernel/default_blob.o: $(B)/default.blob

# ---------------------------------------------------------------- libraries
LWIP_SRCS := $(addprefix $(LWIP_DIR)/src/, \
  core/init.c core/def.c core/inet_chksum.c core/ip.c core/mem.c core/memp.c \
  core/netif.c core/pbuf.c core/stats.c core/sys.c core/tcp.c core/tcp_in.c \
  core/tcp_out.c core/timeouts.c core/udp.c \
  core/ipv4/acd.c core/ipv4/dhcp.c core/ipv4/etharp.c core/ipv4/icmp.c \
  core/ipv4/ip4.c core/ipv4/ip4_addr.c core/ipv4/ip4_frag.c \
  netif/ethernet.c)
LWIP_OBJS := $(patsubst $(LWIP_DIR)/src/%.c,$(B)/lwip/%.o,$(LWIP_SRCS))

$(LWIP_DIR)/src/%.c: | $(STAMP_DEPS) ;

$(B)/lwip/%.o: $(LWIP_DIR)/src/%.c net/lwip/lwipopts.h net/lwip/arch/cc.h | $(STAMP_DEPS)
	@mkdir -p $(@D)
	$(Q)gcc $(KCFLAGS) -I. $(INC_LWIP) -c $< -o $@

$(B)/lib/liblwip.a: $(LWIP_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

# SQLite for a freestanding single-threaded kernel: our OS layer
# (store/sqlite_os.c), temp storage in memory, no extensions, no shared
# cache, no mmap, no local time zone (the appliance runs in UTC).
SQLITE_FLAGS := -DSQLITE_OS_OTHER=1 -DSQLITE_THREADSAFE=0 -DSQLITE_TEMP_STORE=3 \
  -DSQLITE_OMIT_LOAD_EXTENSION=1 -DSQLITE_OMIT_SHARED_CACHE=1 -DSQLITE_MAX_MMAP_SIZE=0 \
  -DSQLITE_OMIT_LOCALTIME=1 -DSQLITE_DEFAULT_MEMSTATUS=1 -DSQLITE_DQS=0 \
  -DSQLITE_OMIT_DEPRECATED=1 -DSQLITE_LIKE_DOESNT_MATCH_BLOBS=1

$(SQLITE_DIR)/sqlite3.c: | $(STAMP_DEPS) ;

$(B)/lib/sqlite3.o: $(SQLITE_DIR)/sqlite3.c Makefile | $(STAMP_DEPS)
	@mkdir -p $(@D)
	gcc $(KCFLAGS) $(SQLITE_FLAGS) -c $< -o $@

LIBS := $(B)/lib/sqlite3.o $(B)/lib/liblwip.a $(DEPS)/lib/libbearssl.a $(PICOLIBC)/lib/libc.a
$(DEPS)/lib/libbearssl.a $(PICOLIBC)/lib/libc.a: | $(STAMP_DEPS) ;

# ---------------------------------------------------------------- the image
$(B)/appliance.elf: $(OBJS) $(LIBS) linker.ld
	ld -nostdlib -static -no-pie --gc-sections -z max-page-size=4096 -z noexecstack \
	  -T linker.ld -Map $(B)/appliance.map -o $@ $(OBJS) --start-group $(LIBS) --end-group
	@size $@

$(B)/appliance-stripped.elf: $(B)/appliance.elf
	strip -o $@ $<

# apctl: the host tool, built from the kernel's own pure config modules.
# The config's certificate check links BearSSL, the kernel's own build of
# it (non-PIE objects, hence -no-pie for the host binaries that use it).
CONFIG_SRCS := kernel/sbuf.c kernel/cpio.c kernel/conf_parse.c kernel/config.c kernel/config_kit.c kernel/config_sec_tls.c kernel/config_fw.c \
  kernel/config_http.c kernel/config_db.c kernel/config_auth.c kernel/config_sql.c kernel/config_tls.c kernel/textpat.c
HOST_BEARSSL := $(INC_BEARSSL) -no-pie $(DEPS)/lib/libbearssl.a
# SQLite for the host (apctl db export, the store's host tests): the image's
# release, built once, without sanitizers (it is not ours to check).
HOST_SQLITE := $(B)/host/lib/sqlite3.o
$(HOST_SQLITE): $(SQLITE_DIR)/sqlite3.c | $(STAMP_DEPS)
	@mkdir -p $(@D)
	gcc -O1 -g -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION=1 -DSQLITE_DQS=0 -c $< -o $@
APCTL_SRCS := tools/apctl/apctl.c tools/apctl/dbexport.c $(CONFIG_SRCS) kernel/log_format.c store/layout.c
$(B)/apctl: $(APCTL_SRCS) $(wildcard kernel/*.h tools/apctl/*.h store/layout.h) $(HOST_SQLITE) Makefile | $(STAMP_DEPS)
	@mkdir -p $(@D)
	gcc -std=c11 -Wall -Wextra -Werror -O2 -g -D_FORTIFY_SOURCE=2 -I. $(INC_SQLITE) -o $@ $(APCTL_SRCS) \
	  $(HOST_SQLITE) $(HOST_BEARSSL) -lm

.PHONY: all
all: $(B)/appliance.elf $(B)/appliance-stripped.elf $(B)/apctl

# ---------------------------------------------------------------- run
# Knobs: HTTP_PORT, HTTPS_PORT (loopback forwards), MEM, ACCEL (tcg; kvm
# where it works), MACHINE (q35, pc, microvm), CMDLINE, QEMU_EXTRA, BLOB (a
# config blob from build/apctl pack, booted as -initrd), DISK (a raw image
# file attached as the first virtio-blk disk, vda: the database's).
HTTP_PORT ?= 8080
HTTPS_PORT ?= 8443
MEM ?= 256M
ACCEL ?= tcg
MACHINE ?= q35
CMDLINE ?=
QEMU_EXTRA ?=
BLOB ?=
DISK ?=
DISK_ARGS = -drive file=$(DISK),format=raw,if=none,id=disk0 -device virtio-blk-pci,drive=disk0

# A bootable raw disk image (GPT, GRUB for BIOS and UEFI; docs/deploy.md):
# make image [BLOB=config.blob] [IMAGE=build/appliance.img].
IMAGE ?= $(B)/appliance.img
.PHONY: image
image: all
	tools/image.sh build $(IMAGE) $(B)/appliance-stripped.elf $(BLOB)

.PHONY: run
run: all
	@echo "appliance: QEMU $(MACHINE)/$(ACCEL), $(MEM); http://127.0.0.1:$(HTTP_PORT) https://127.0.0.1:$(HTTPS_PORT) (forwarded to guest 80/443); quit with Ctrl-A x"
	qemu-system-x86_64 -M $(MACHINE) -accel $(ACCEL) -cpu max -m $(MEM) -no-reboot \
	  -display none -serial mon:stdio -kernel $(B)/appliance.elf -append "https-port=$(HTTPS_PORT) $(CMDLINE)" \
	  $(if $(BLOB),-initrd $(BLOB)) \
	  $(if $(DISK),$(DISK_ARGS)) \
	  -netdev user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:$(HTTP_PORT)-:80,hostfwd=tcp:127.0.0.1:$(HTTPS_PORT)-:443 \
	  -device virtio-net-pci,netdev=net0 -device virtio-rng-pci $(QEMU_EXTRA)

# ---------------------------------------------------------------- tests
# Pure modules: compiled unchanged for the host with ASan and UBSan.
PURE_SRCS := kernel/e820.c kernel/pmem.c kernel/log_format.c kernel/clock_calc.c drivers/virtq.c \
  kernel/cmdline.c kernel/timer.c kernel/acpi_parse.c kernel/multiboot2.c kernel/crypto.c net/ipcfg.c net/fw.c net/fw_track.c net/fw_show.c \
  net/tls_cache.c net/tls_sni.c store/layout.c \
  app/http_parse.c app/url.c app/router.c app/http_resp.c app/ratelimit.c app/json.c app/sqlparam.c \
  app/sqlpage.c app/jwt.c app/passhash.c app/cookie.c $(CONFIG_SRCS)
HOST_CFLAGS := -std=c11 -Wall -Wextra -Werror -g -O1 -I. -fsanitize=address,undefined \
  -fno-sanitize-recover=all -fno-omit-frame-pointer
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/host/%,$(UNIT_SRCS))

$(B)/host/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(PURE_SRCS) $(wildcard kernel/*.h drivers/*.h net/*.h app/*.h) | $(STAMP_DEPS)
	@mkdir -p $(@D)
	gcc $(HOST_CFLAGS) -o $@ $< $(PURE_SRCS) $(HOST_BEARSSL) -lm

# The store's VFS over a memory disk, with the host SQLite above.
STORE_HOST_SRCS := store/blkvfs.c store/layout.c
$(B)/host/test_blkvfs: tests/unit/test_blkvfs.c tests/unit/check.h $(STORE_HOST_SRCS) store/blkvfs.h store/layout.h \
  drivers/blkdev.h $(HOST_SQLITE)
	@mkdir -p $(@D)
	gcc $(HOST_CFLAGS) $(INC_SQLITE) -o $@ $< $(STORE_HOST_SRCS) $(HOST_SQLITE) -lm

# Fuzz targets (libFuzzer, clang): one binary per tests/fuzz/fuzz_*.c,
# linked with the pure modules. tests/test_fuzz.py runs each for a bounded
# time; FUZZ_SECONDS=600 make fuzz runs longer on demand.
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(FUZZ_SRCS))
FUZZ_SECONDS ?= 15

$(B)/fuzz/%: tests/fuzz/%.c $(PURE_SRCS) $(wildcard kernel/*.h drivers/*.h net/*.h app/*.h) | $(STAMP_DEPS)
	@mkdir -p $(@D)
	clang -std=c11 -g -O1 -I. -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	  -o $@ $< $(PURE_SRCS) $(HOST_BEARSSL) -lm

.PHONY: unit check-layers test fuzz bench-fw
# The firewall's per-packet cost on the host (docs/benchmarks.md).
FW_SRCS := net/fw.c net/fw_track.c net/fw_show.c kernel/sbuf.c
$(B)/bench-fw: tests/bench/bench_fw.c tests/unit/fw_frames.h $(FW_SRCS) $(wildcard net/*.h kernel/*.h)
	@mkdir -p $(@D)
	gcc -std=c11 -Wall -Wextra -Werror -O2 -I. -o $@ $< $(FW_SRCS)
bench-fw: $(B)/bench-fw
	$(B)/bench-fw $(FLOWS)
# Every comparison of the appliance with the reference Linux guest
# (tools/refguest.py), in one run: build/bench/bench.md and bench.json
# (docs/benchmarks.md, "make bench"; root). make bench BENCH_ARGS=--quick
# takes under 5 minutes; ACCEL=kvm where KVM works.
BENCH_ARGS ?=
.PHONY: bench
bench: all image
	tools/bench.py $(BENCH_ARGS)
# Logins and authenticated requests a second in the image (docs/benchmarks.md; root, wrk).
.PHONY: bench-auth
bench-auth: all
	tools/bench-auth.py
# The benchmarks' reference Linux guest from pinned Debian packages (tools/refguest.py).
.PHONY: refguest
refguest:
	$(PY) tools/refguest.py build
unit: $(UNIT_BINS) $(FUZZ_BINS)

fuzz: $(FUZZ_BINS)
	FUZZ_SECONDS=$(FUZZ_SECONDS) $(PY) -m pytest -q -p no:cacheprovider tests/test_fuzz.py

check-layers:
	tools/check-layers.py

test: all unit
	$(PY) -m pytest -q -p no:cacheprovider tests

.PHONY: clean distclean
clean:
	rm -rf $(B)
distclean: clean
	rm -rf $(DEPS)

-include $(OBJS:.o=.d)

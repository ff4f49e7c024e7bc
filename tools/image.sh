#!/usr/bin/env bash
# image.sh: the appliance as a bootable raw disk image (docs/deploy.md).
#
#   tools/image.sh build OUT.img KERNEL.elf [BLOB]   a new image
#   tools/image.sh set-config IMG BLOB               replace the config blob
#   tools/image.sh set-config IMG --default          drop it (the built-in default)
#   tools/image.sh get-config IMG OUT                copy the config blob out
#
# IMAGE_CMDLINE: kernel command-line words for grub.cfg (e.g. log=debug;
# the tests add debugexit). IMAGE_SIZE_MIB: the image's size (40).
# Layout: GPT; partition 1, 1 MiB, a BIOS boot partition holding GRUB's
# core.img (legacy BIOS: the MBR's boot code loads it); partition 2, the
# rest, an EFI system partition (FAT) with GRUB for UEFI
# (/EFI/BOOT/BOOTX64.EFI), grub.cfg, the kernel (/appliance/appliance.elf)
# and the config blob (/appliance/config.blob, a GRUB module). GRUB boots
# the kernel by Multiboot2 with its console on COM1. Built offline from
# Debian's grub-pc-bin, grub-efi-amd64-bin, gdisk, dosfstools and mtools;
# no root, no loop devices. The data disk is another disk: replacing the
# image never touches data.
set -euo pipefail

SIZE_MIB=${IMAGE_SIZE_MIB:-40}
ESP_START=4096                      # sectors: 2 MiB, after the BIOS boot partition
MODULES="part_gpt fat multiboot2 normal boot serial terminal test configfile echo"
GRUB_PC=/usr/lib/grub/i386-pc

die() { echo "image: $*" >&2; exit 1; }
# le FILE OFFSET BYTES VALUE: VALUE little-endian at OFFSET.
le() {
    local i v=$4 bytes=""
    for ((i = 0; i < $3; i++)); do
        bytes+=$(printf '\\0%03o' $((v & 255)))
        v=$((v >> 8))
    done
    printf '%b' "$bytes" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
esp() { echo "$1@@$((ESP_START * 512))"; }      # mtools: the ESP inside the image

check_blob() {
    # A cpio newc archive (the blob's format): its magic, at least.
    [ "$(head -c 6 "$1")" = "070701" ] || die "$1 is not a config blob (apctl pack makes one)"
}

build() {
    local out=$1 kernel=$2 blob=${3:-}
    [ -f "$kernel" ] || die "no kernel $kernel"
    grub-file --is-x86-multiboot2 "$kernel" || die "$kernel has no Multiboot2 header"
    [ -z "$blob" ] || check_blob "$blob"
    local tmp
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' RETURN
    rm -f "$out"
    truncate -s "${SIZE_MIB}M" "$out"
    sgdisk -o -n 1:2048:$((ESP_START - 1)) -t 1:ef02 -c 1:bios-boot \
        -n 2:$ESP_START:0 -t 2:ef00 -c 2:appliance-esp "$out" >/dev/null
    local last
    last=$(sgdisk -i 2 "$out" | awk '/^Last sector/ {print $3}')
    local sectors=$((last - ESP_START + 1))
    mkfs.fat -F 32 -n APPLIANCE --offset=$ESP_START "$out" $((sectors / 2)) >/dev/null 2>&1
    mmd -i "$(esp "$out")" ::/EFI ::/EFI/BOOT ::/boot ::/boot/grub ::/appliance
    cat >"$tmp/grub.cfg" <<'CFG'
set timeout=0
serial --unit=0 --speed=115200
terminal_input serial
terminal_output serial
echo "appliance: GRUB loading the kernel"
multiboot2 /appliance/appliance.elf @CMDLINE@
if [ -f /appliance/config.blob ]; then
    module2 /appliance/config.blob appliance-config
fi
boot
CFG
    sed -i "s|@CMDLINE@|${IMAGE_CMDLINE:-}|" "$tmp/grub.cfg"
    # shellcheck disable=SC2086  # MODULES is a word list
    grub-mkimage -O x86_64-efi -o "$tmp/BOOTX64.EFI" -p /boot/grub $MODULES
    # shellcheck disable=SC2086
    grub-mkimage -O i386-pc -o "$tmp/core.img" -p '(hd0,gpt2)/boot/grub' biosdisk $MODULES
    mcopy -i "$(esp "$out")" "$tmp/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
    mcopy -i "$(esp "$out")" "$tmp/grub.cfg" ::/boot/grub/grub.cfg
    mcopy -i "$(esp "$out")" "$kernel" ::/appliance/appliance.elf
    [ -z "$blob" ] || mcopy -i "$(esp "$out")" "$blob" ::/appliance/config.blob
    # Legacy BIOS: GRUB's boot.img as the MBR's code and core.img in the
    # BIOS boot partition, patched as grub-bios-setup would (it cannot
    # work on an image file without guessing the host's devices): the MBR
    # learns core.img's first sector (boot.h KERNEL_SECTOR, 0x5c), takes
    # the drive the BIOS booted from (BOOT_DRIVE 0x64 = 0xff, the drive
    # check at 0x66 made two NOPs), and core.img's first sector
    # (diskboot) learns where the rest of it is (its blocklist at 0x1f4:
    # start, sectors).
    local core_sectors=$(( ($(stat -c %s "$tmp/core.img") + 511) / 512 ))
    [ $core_sectors -le 2048 ] || die "core.img ($core_sectors sectors) does not fit the BIOS boot partition"
    dd if="$tmp/core.img" of="$out" bs=512 seek=2048 conv=notrunc status=none
    le "$out" $((2048 * 512 + 0x1f4)) 8 $((2048 + 1))
    le "$out" $((2048 * 512 + 0x1fc)) 2 $((core_sectors - 1))
    dd if="$GRUB_PC/boot.img" of="$out" bs=440 count=1 conv=notrunc status=none
    le "$out" $((0x5c)) 8 2048
    printf '\377' | dd of="$out" bs=1 seek=$((0x64)) conv=notrunc status=none
    printf '\220\220' | dd of="$out" bs=1 seek=$((0x66)) conv=notrunc status=none
    echo "image: $out: $SIZE_MIB MiB (GPT: BIOS boot + EFI system partition), kernel $(basename "$kernel")$([ -n "$blob" ] && echo ", config $(basename "$blob")" || echo ", the built-in config")"
}

set_config() {
    local img=$1 blob=$2
    [ -f "$img" ] || die "no image $img"
    mdir -i "$(esp "$img")" ::/appliance >/dev/null 2>&1 || die "$img is not an appliance image (no /appliance on its second partition)"
    if [ "$blob" = "--default" ]; then
        mdel -i "$(esp "$img")" ::/appliance/config.blob 2>/dev/null || true
        echo "image: $img: no config blob (the built-in default boots)"
        return
    fi
    check_blob "$blob"
    mcopy -o -i "$(esp "$img")" "$blob" ::/appliance/config.blob
    echo "image: $img: config replaced by $(basename "$blob") ($(stat -c %s "$blob") bytes)"
}

get_config() {
    mcopy -n -i "$(esp "$1")" ::/appliance/config.blob "$2" || die "$1 holds no config blob"
}

case "${1:-}" in
build) [ $# -ge 3 ] || die "usage: image.sh build OUT.img KERNEL.elf [BLOB]"; build "$2" "$3" "${4:-}" ;;
set-config) [ $# -eq 3 ] || die "usage: image.sh set-config IMG BLOB|--default"; set_config "$2" "$3" ;;
get-config) [ $# -eq 3 ] || die "usage: image.sh get-config IMG OUT"; get_config "$2" "$3" ;;
*) die "usage: image.sh build|set-config|get-config ... (docs/deploy.md)" ;;
esac

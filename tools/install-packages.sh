#!/usr/bin/env bash
# install-packages.sh: install the Debian packages the build, `make run`
# and `make test` need, only those missing. Needs root (or sudo) only when
# something is missing. The list is the one place that names them.
set -euo pipefail
pkgs=(
  gcc make binutils xz-utils ca-certificates   # build, unpack
  openssl                                      # the default config's development certificate
  meson ninja-build                            # picolibc
  tcl                                          # SQLite's amalgamation generator
  qemu-system-x86                              # make run, image tests
  python3 python3-pytest python3-cryptography  # test runner; tests mint JWTs (HS256, ES256)
  clang libclang-rt-14-dev                     # fuzz targets (libFuzzer)
  iproute2 procps                              # tests: ss, pgrep, netns
  dnsmasq-base iputils-ping                    # tests: DHCP server, ping in a netns
  nmap hping3                                  # tests: port scans and crafted packets at the firewall
  nginx-light slowhttptest wrk                 # tests and benchmarks: the HTTP reference, slow clients, load
  curl testssl.sh                              # tests: HTTPS clients and the TLS scanner
  grub-pc-bin grub-efi-amd64-bin ovmf          # make image: GRUB for BIOS and UEFI; UEFI firmware for its tests
  gdisk dosfstools mtools shellcheck           # make image: GPT, the EFI system partition, files in it; script checks
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-packages: installing ${missing[*]}" >&2
sudo=
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-packages: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
# Packages with services (nginx) must not start them: tests run their own
# copies on loopback. policy-rc.d answering 101 tells invoke-rc.d so.
policy=/usr/sbin/policy-rc.d
made_policy=
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod +x "$policy"
  made_policy=1
  trap '$sudo rm -f "$policy"' EXIT
fi
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null


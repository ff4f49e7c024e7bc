#!/usr/bin/env bash
# fetch-deps.sh DEPS_DIR: download the pinned upstream tarballs listed in
# tools/deps.lock from Debian's source archive into DEPS_DIR/tarballs and
# check every one against its pin. Idempotent: a tarball already present with
# the right checksum is not fetched again, and when all are present apt is not
# touched at all.
#
# How: a private APT configuration inside DEPS_DIR whose only source is the
# first stanza of the machine's debian.sources rewritten to deb-src/trixie, so
# no archive host name lives in this repository and the host's apt state is
# left alone. `apt-get source --print-uris` gives the URIs; apt-helper
# downloads and verifies each file against our pin.
# Exit: 0 all present and verified; 1 a download failed or a file does not
# match its pin (the message names the file).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
deps=${1:?usage: fetch-deps.sh DEPS_DIR}
mkdir -p "$deps/tarballs"
deps=$(cd "$deps" && pwd)
lock="${DEPS_LOCK:-$here/deps.lock}"   # DEPS_LOCK: tests use a bad pin

verify() {   # verify FILE SHA256 -> 0 if the file exists and matches
  [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]
}

missing=()
while read -r pkg file sum; do
  case "$pkg" in ''|\#*) continue ;; esac
  if verify "$deps/tarballs/$file" "$sum"; then continue; fi
  if [ -f "$deps/tarballs/$file" ]; then
    echo "fetch-deps: $file does not match its pinned sha256 $sum; fetching it again" >&2
    rm -f "$deps/tarballs/$file"
  fi
  missing+=("$pkg $file $sum")
done < "$lock"
[ ${#missing[@]} -eq 0 ] && exit 0

src=/etc/apt/sources.list.d/debian.sources
if [ ! -r "$src" ]; then
  echo "fetch-deps: $src not found: cannot locate Debian's archive to fetch ${missing[*]}" >&2
  exit 1
fi
apt="$deps/apt"
mkdir -p "$apt/sources.list.d" "$apt/lists/partial" "$apt/cache/archives/partial"
# First stanza only (up to the first blank line), as a deb-src trixie source.
awk 'BEGIN{RS=""} NR==1{print; exit}' "$src" |
  sed -e 's/^Types:.*/Types: deb-src/' -e 's/^Suites:.*/Suites: trixie/' \
  > "$apt/sources.list.d/trixie-src.sources"
cat > "$apt/apt.conf" <<CONF
Dir::Etc::SourceList "/dev/null";
Dir::Etc::SourceParts "$apt/sources.list.d";
Dir::State::Lists "$apt/lists";
Dir::Cache "$apt/cache";
APT::Sandbox::User "root";
CONF
export APT_CONFIG="$apt/apt.conf"
echo "fetch-deps: reading Debian's trixie source index" >&2
if ! apt-get -qq update; then
  echo "fetch-deps: apt-get update of the private trixie deb-src index failed" >&2
  exit 1
fi
uris=$(apt-get source --print-uris picolibc/trixie lwip/trixie bearssl/trixie sqlite3/trixie 2>/dev/null || true)

rc=0
for m in "${missing[@]}"; do
  read -r pkg file sum <<<"$m"
  uri=$(printf '%s\n' "$uris" | awk -v f="$file" '$2 == f {gsub(/\x27/, "", $1); print $1; exit}')
  if [ -z "$uri" ]; then
    echo "fetch-deps: Debian's archive does not list $file (package $pkg)" >&2
    rc=1; continue
  fi
  echo "fetch-deps: downloading $file" >&2
  if ! /usr/lib/apt/apt-helper download-file "$uri" "$deps/tarballs/$file.part" "SHA256:$sum" >/dev/null 2>&1; then
    rm -f "$deps/tarballs/$file.part"
    echo "fetch-deps: download of $file failed or its sha256 is not the pinned $sum" >&2
    rc=1; continue
  fi
  mv "$deps/tarballs/$file.part" "$deps/tarballs/$file"
  if ! verify "$deps/tarballs/$file" "$sum"; then
    rm -f "$deps/tarballs/$file"
    echo "fetch-deps: $file does not match its pinned sha256 $sum (tampered or corrupt); removed" >&2
    rc=1
  fi
done
exit $rc

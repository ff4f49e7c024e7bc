#!/usr/bin/env bash
# build-deps.sh DEPS_DIR: unpack the pinned tarballs (see fetch-deps.sh) and
# build what the kernel links that is not built by our Makefile:
#   DEPS_DIR/picolibc/           picolibc installed (include/, lib/libc.a)
#   DEPS_DIR/src/sqlite3-amalg/  sqlite3.c + sqlite3.h generated out of tree
#   DEPS_DIR/lib/libbearssl.a    BearSSL compiled with the kernel flags
# lwIP and SQLite's one file are compiled by the Makefile because they take
# our configuration headers and flags.
# Each step leaves a stamp in DEPS_DIR/stamps and is skipped when present, so
# a second run does nothing. KCFLAGS (from the Makefile) are the freestanding
# flags every kernel object uses.
set -euo pipefail
deps=$(cd "${1:?usage: build-deps.sh DEPS_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
: "${KCFLAGS:?KCFLAGS must come from the Makefile}"
jobs=$(nproc 2>/dev/null || echo 2)
mkdir -p "$deps/src" "$deps/stamps" "$deps/lib"
st="$deps/stamps"

unpack() {   # unpack PKG -> directory name printed
  local pkg=$1 file
  file=$(awk -v p="$pkg" '$1 == p {print $2}' "$here/deps.lock")
  if [ ! -e "$st/unpack-$pkg" ]; then
    tar -C "$deps/src" -xf "$deps/tarballs/$file"
    touch "$st/unpack-$pkg"
  fi
}
for p in picolibc lwip bearssl sqlite3; do unpack $p; done

# --- picolibc: meson cross build for a freestanding x86_64 kernel ----------
if [ ! -e "$st/picolibc" ]; then
  echo "build-deps: building picolibc (~40 s)" >&2
  b="$deps/build-picolibc"; rm -rf "$b"; mkdir -p "$b"
  cat > "$b/cross.txt" <<CROSS
[binaries]
c = ['gcc', '-m64', '-mno-red-zone', '-fno-pic', '-fno-PIE', '-static', '-nostdlib', '-ffreestanding']
ar = 'ar'
strip = 'strip'
[host_machine]
system = 'none'
cpu_family = 'x86_64'
cpu = 'x86_64'
endian = 'little'
[properties]
skip_sanity_check = true
CROSS
  (cd "$b" && meson setup --cross-file cross.txt --prefix "$deps/picolibc" \
      -Dmultilib=false -Dsemihost=false -Dtests=false -Dpicocrt=false \
      -Dthread-local-storage=false -Dsingle-thread=true -Dtinystdio=true \
      -Dio-long-long=true -Dformat-default=double -Dspecsdir=none \
      -Doptimization=2 -Ddebug=false \
      "$deps/src/picolibc-1.8.10" . > meson-setup.log 2>&1 || { cat meson-setup.log; exit 1; }
   ninja -j"$jobs" > ninja.log 2>&1 || { tail -50 ninja.log; exit 1; }
   ninja install > install.log 2>&1 || { tail -50 install.log; exit 1; })
  touch "$st/picolibc"
fi

# --- SQLite: generate the amalgamation (needs host cc and tclsh) -----------
if [ ! -e "$st/sqlite3-amalg" ]; then
  echo "build-deps: generating sqlite3.c (~20 s)" >&2
  b="$deps/src/sqlite3-amalg"; rm -rf "$b"; mkdir -p "$b"
  (cd "$b" && "$deps/src/sqlite3-3.46.1/configure" --disable-tcl > configure.log 2>&1 \
      || { cat configure.log; exit 1; }
   make -j"$jobs" sqlite3.c > make.log 2>&1 || { tail -50 make.log; exit 1; })
  touch "$st/sqlite3-amalg"
fi

# --- BearSSL: every source file, kernel flags, no OS hooks -----------------
if [ ! -e "$st/bearssl" ]; then
  echo "build-deps: building BearSSL" >&2
  src="$deps/src/bearssl-0.6"; b="$deps/build-bearssl"; rm -rf "$b"; mkdir -p "$b"
  # Debian's gcc defines __linux__, which would turn on /dev/urandom and time():
  # the kernel seeds the DRBG and supplies time itself.
  find "$src/src" -name '*.c' | sort | \
    xargs -P "$jobs" -I{} sh -c 'o="$0/$(echo "$1" | sed "s|.*/src/||; s|/|_|g; s|\.c$|.o|")";
        gcc $KCFLAGS -DBR_USE_URANDOM=0 -DBR_USE_UNIX_TIME=0 \
            -I"$2/inc" -I"$2/src" -c "$1" -o "$o" || exit 255' "$b" {} "$src"
  rm -f "$deps/lib/libbearssl.a"
  ar rcs "$deps/lib/libbearssl.a" "$b"/*.o
  touch "$st/bearssl"
fi

#!/usr/bin/python3
"""check-layers.py [ROOT]: fail on an #include that crosses the layer rules.

The rules (docs/architecture.md, "Layers"):
  kernel/   kernel/ only; BearSSL only in kernel/csprng.c (the CSPRNG sits
            below every layer), kernel/config_tls.c (the config's
            certificate check, shared with apctl) and kernel/crypto.c
            (HMAC, PBKDF2, ECDSA verification for authentication); kernel/main.c may include any of our
            headers (never a library's), as the one place that wires layers.
  drivers/  kernel/ and drivers/.
  net/      kernel/kernel.h, drivers/netdev.h, net/, lwIP and BearSSL headers.
  store/    kernel/kernel.h, drivers/blkdev.h, store/, sqlite3.h.
  app/      kernel/kernel.h, net/net.h, store/store.h, app/.
  tests/, tools/: anything (host code).
Angle-bracket includes are the C library's and are allowed everywhere.
Prints one line per violation as FILE:LINE: message; exit 1 if any.
"""
import os
import re
import sys

THIRD_PARTY = {
    "lwip": re.compile(r"^(lwip/|netif/|arch/|lwipopts\.h$)"),
    "bearssl": re.compile(r"^bearssl(_[a-z0-9_]+)?\.h$"),
    "sqlite": re.compile(r"^sqlite3(ext)?\.h$"),
}
OURS = re.compile(r"^(boot|kernel|drivers|net|store|app)/")


def allowed(path, inc):
    layer = path.split("/", 1)[0]
    if not OURS.match(inc):
        lib = next((k for k, rx in THIRD_PARTY.items() if rx.match(inc)), None)
        if lib is None:
            return f'"{inc}" is neither ours nor a known library: use <...> for the C library'
        ok = {
            "kernel": lib == "bearssl" and path in ("kernel/csprng.c", "kernel/config_tls.c", "kernel/crypto.c"),
            "net": lib in ("lwip", "bearssl"),
            "store": lib == "sqlite",
        }.get(layer, False)
        return None if ok else f"{layer}/ may not include {lib} headers (\"{inc}\")"
    target = inc.split("/", 1)[0]
    if layer == "kernel":
        if path == "kernel/main.c":
            return None         # the one place that wires layers together
        return None if target == "kernel" else f"kernel/ may not include {inc} (upward)"
    if layer == "drivers":
        return None if target in ("kernel", "drivers") else f"drivers/ may not include {inc}"
    if layer in ("net", "store"):
        iface = {"net": "drivers/netdev.h", "store": "drivers/blkdev.h"}[layer]
        if target == layer or inc in ("kernel/kernel.h", iface):
            return None
        return f"{layer}/ may include kernel/kernel.h, {iface} and its own headers only, not {inc}"
    if layer == "app":
        if target == "app" or inc in ("kernel/kernel.h", "net/net.h", "store/store.h"):
            return None
        return f"app/ may include kernel/kernel.h, net/net.h, store/store.h only, not {inc}"
    return None


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    inc_rx = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
    bad = 0
    for layer in ("boot", "kernel", "drivers", "net", "store", "app"):
        for dirpath, _, files in os.walk(os.path.join(root, layer)):
            for name in sorted(files):
                if not name.endswith((".c", ".h", ".S")):
                    continue
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, root).replace(os.sep, "/")
                # net/lwip/ holds lwIP's port headers: lwIP includes them.
                if rel.startswith("net/lwip/"):
                    continue
                with open(full, encoding="utf-8", errors="replace") as f:
                    for lineno, line in enumerate(f, 1):
                        m = inc_rx.match(line)
                        if not m:
                            continue
                        why = allowed(rel, m.group(1))
                        if why:
                            print(f"{rel}:{lineno}: {why}")
                            bad += 1
    if bad:
        print(f"check-layers: {bad} forbidden include(s)")
        return 1
    print("check-layers: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())

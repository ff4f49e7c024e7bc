"""Test helper: write cpio newc archives directly from the format
description (not through apctl), for fuzz seeds and for blobs apctl would
refuse to pack (invalid configs, odd archives)."""


def newc(entries):
    """entries: [(name, mode, data bytes)]; the trailer is added."""
    out = b""
    for ino, (name, mode, data) in enumerate(entries + [("TRAILER!!!", 0, b"")]):
        nb = name.encode() + b"\0"
        hdr = "070701" + "".join(f"{v:08X}" for v in
                                 (ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(nb), 0))
        out += hdr.encode() + nb
        out += b"\0" * (-len(out) % 4) + data
        out += b"\0" * (-len(out) % 4)
    return out


def config_blob(text):
    return newc([("appliance.conf", 0o100644, text.encode())])
